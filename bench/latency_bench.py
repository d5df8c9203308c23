"""Reply latency while the LLM hangs, or while one chat floods: /help and /paper 1, p50/p99.

The real Application against the loopback Bot API (its own process, strict flood limits) and a
loopback LLM that stops answering: every 2 s one more chat asks /digest in a language not yet
summarized, so its LLM calls hang. With --flood N, instead, one chat sends N commands at once
(its replies come at Telegram's one a second per chat). Meanwhile a new bystander sends /help
every 0.25 s and a reader /paper 1 every 1 s. Prints figures; asserts nothing.

    python bench/latency_bench.py            # 20 s of hanging
    python bench/latency_bench.py 60
    python bench/latency_bench.py --flood 200   # 20 s of a 200-command flood
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
    args = parser.parse_args()
    asyncio.run(flood(args.seconds, args.flood) if args.flood else main(args.seconds))
