"""Reply latency while the LLM hangs, while one chat floods, or, with --real, during a broadcast
as users meet it: commands through getUpdates to the real `arxiv-digest run` process.

The default modes run the real Application in this process (as `arxiv-digest run` builds it)
against the loopback Bot API (its own process, strict flood limits) and a loopback LLM that stops
answering: every 2 s one more chat asks /digest in a language not yet summarized, so its LLM calls
hang. With --flood N, instead, one chat sends N commands at once (its replies come at Telegram's
one a second per chat). Meanwhile a new bystander sends /help every 0.25 s and a reader /paper 1
every 1 s.

With --real SIZE..., the bot is the venv's `arxiv-digest` console script in its own process
(real clock, default settings), the fake Bot API in another (strict flood limits: 30 messages in
any one second, one a second per chat, or `--chat-burst K` messages in any K seconds), and every
command reaches the bot through getUpdates long polling. First a warm-up run gives readers a
digest, then the bystanders below probe the idle bot for `--idle` seconds (the baseline); the
bot is stopped, SIZE chats due at the minute just past are written into its store, and it is
started again: a broadcast at the flood limit. While it lasts:

- pair: bystanders that have a subscription and stored settings (time zone, time, limit) each
  send /help and /list pushed back to back, wait for both replies, pause 1.1 to 2 s, again;
  with --pair-every S, each pushes --pair-count pairs (5) S seconds apart without waiting;
- alone: such a bystander sends /help alone, waits for the reply, pauses 1.1 to 2 s, again;
- newcomer: a chat the bot has never seen sends /help, a new one every second (what the
  in-process bench measures);
- /paper 1: readers with a digest, each waiting for the reply and 1.1 to 2 s before the next.

(The pauses exceed the bot's one-second pace per chat, so only the second reply of a pair
waits for it; --pair-every makes replies queue behind it, as a user typing fast meets it.)

Latency: from the command pushed into the fake's update queue to the fake's answer to the bot's
reply (the fake records when it answered each message: time.time() just before it wrote the
answer). Pairs give the first and the second reply apart, and the gap between them. Prints
figures and the load average; asserts nothing.

    python bench/latency_bench.py            # 20 s of hanging
    python bench/latency_bench.py 60
    python bench/latency_bench.py --flood 200   # 20 s of a 200-command flood
    python bench/latency_bench.py --real 240 1000   # real process, getUpdates, broadcasts
    python bench/latency_bench.py --real 240 --chat-burst 1   # a fake allowing no burst
    python bench/latency_bench.py --real 240 --pair-every 1.2   # 5 pairs 1.2 s apart, open loop
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from broadcast_bench import (  # noqa: E402
    FEED_DAY,
    READERS,
    latency_line,
    prober,
    start_bot,
    stop_bot,
    wait_delivered,
)

import tests.harness  # noqa: E402
from bot.models import Chat  # noqa: E402

# The LLM hangs for the whole run: the bot's LLM time-out is longer than it.
tests.harness.TEST_CONFIG = tests.harness.TEST_CONFIG.replace(
    "[llm]\ntimeout = 5.0", "[llm]\ntimeout = 300.0"
)
WAITERS = range(700_001, 700_100)  # chats whose /digest waits on the hanging LLM
FLOODER = 900_001  # the chat that sends its commands all at once


async def flood(seconds: float, commands: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        readers = [Chat(r, topics=("q-bio.NC",), time="asap") for r in READERS]
        h = await start_bot(Path(folder), readers, with_llm=True)
        await wait_delivered(h, READERS)
        for n in range(commands):
            h.api.push_message(FLOODER, "/list" if n % 2 else "/help")
        stop, helps, papers = asyncio.Event(), [], []
        probing = asyncio.create_task(prober(h, stop, helps, papers))
        await asyncio.sleep(seconds)
        answered = sum(1 for _, chat in h.api.sent if chat == FLOODER)  # type: ignore[attr-defined]
        stop.set()
        await probing
        print(
            f"one chat flooding {commands} commands ({answered} answered after {seconds:.0f} s, "
            f"at its per-chat pace): {latency_line('/help', helps)}; "
            f"{latency_line('/paper 1', papers)}",
            flush=True,
        )
        await stop_bot(h)


async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        readers = [Chat(r, topics=("q-bio.NC",), time="asap") for r in READERS]
        h = await start_bot(Path(folder), readers, with_llm=True)
        await wait_delivered(h, READERS)  # their summaries made before the LLM hangs
        assert h.llm is not None
        h.llm.hold()
        stop, helps, papers = asyncio.Event(), [], []
        probing = asyncio.create_task(prober(h, stop, helps, papers))
        waiting = 0
        for chat_id in WAITERS[: max(1, int(seconds / 2))]:
            h.engine.store.put_chat(
                Chat(chat_id, topics=("q-bio.NC",), lang="de", last_slot=FEED_DAY.isoformat())
            )
            h.api.push_message(chat_id, "/digest")
            waiting += 1
            await asyncio.sleep(2)
        held = h.llm.held
        stop.set()
        h.llm.release()
        await probing
        print(
            f"LLM hanging {seconds:.0f} s ({waiting} /digest waiting on it, {held} LLM calls "
            f"held at the end): {latency_line('/help', helps)}; {latency_line('/paper 1', papers)}",
            flush=True,
        )
        await stop_bot(h)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=20.0)
    parser.add_argument("--flood", type=int, metavar="N", help="one chat sends N commands")
    parser.add_argument(
        "--real", type=int, nargs="+", metavar="SIZE", help="the real process, SIZE-chat broadcasts"
    )
    parser.add_argument(
        "--chat-burst",
        type=int,
        default=3,
        help="--real: the fake's per-chat burst, as the bot's chat_burst (default 3; 1: strict)",
    )
    parser.add_argument("--pairs", type=int, default=3, help="--real: /help + /list bystanders")
    parser.add_argument(
        "--pair-every",
        type=float,
        default=0.0,
        metavar="S",
        help="--real: push --pair-count pairs S s apart, not waiting for replies",
    )
    parser.add_argument("--pair-count", type=int, default=5, help="--real: see --pair-every")
    parser.add_argument("--readers", type=int, default=3, help="--real: /paper 1 readers")
    parser.add_argument(
        "--idle", type=float, default=10.0, help="--real: s of the same probes, bot idle (0: none)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="--real: keep the folders here")
    args = parser.parse_args()
    if args.real:
        import real_latency

        for size in args.real:
            real_latency.run(size, args)
    else:
        asyncio.run(flood(args.seconds, args.flood) if args.flood else main(args.seconds))
