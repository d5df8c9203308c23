"""Broadcast at the flood limit: share of the limit reached, 429s met, reply latency meanwhile.

Runs the real Application (as `arxiv-digest run` builds it) against the loopback Bot API set
to count flood limits as a strict server does (no more than 30 messages in any one second,
one a second per chat), with N chats due at the same minute. While the broadcast runs, other
chats send /help and /paper 1 every 0.25 s; their reply latency (command pushed to first reply
accepted) is printed as p50/p99. The replies take flood slots too (before broadcast messages):
the share of the limit counts every message sent from the broadcast's first to its last, and
the broadcast's own messages are given apart. Prints figures; asserts nothing.

    python bench/broadcast_bench.py            # 240 and 1000 chats
    python bench/broadcast_bench.py 240
    python bench/broadcast_bench.py --no-probes 240 1000   # the broadcast alone
    python bench/broadcast_bench.py --sends-only 240 1000   # the rate limiter alone
    python bench/broadcast_bench.py --sends-only --ptb-limiter 240   # PTB's, for comparison
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any

from telegram.ext import AIORateLimiter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot.app  # noqa: E402
import tests.harness  # noqa: E402
from bot.models import Chat  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.telegram.ratelimit import bulk_sends  # noqa: E402
from tests.fakes.bot_api import FakeBotApi  # noqa: E402
from tests.fakes.feed_server import start_feed_server  # noqa: E402
from tests.fakes.llm_server import FakeLLM  # noqa: E402
from tests.harness import ALL_ARCHIVES, FEED_DAY, Harness, ManualClock  # noqa: E402

FLOOD_LIMIT = 30
MORNING = datetime(2024, 11, 29, 8, 31, tzinfo=UTC)
TOPICS = ["q-bio.NC", "hep-th", "gr-qc", "math.AG"]  # 1 to 3 messages a digest
READERS = list(range(900_001, 900_011))  # chats with a digest already, asking /paper 1
# Telegram's pace for one chat, as the bot is configured by default (tests use 0).
tests.harness.TEST_CONFIG = tests.harness.TEST_CONFIG.replace(
    "chat_interval = 0.0", "chat_interval = 1.0"
)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency_line(name: str, values: list[float]) -> str:
    if not values:
        return f"{name}: no replies"
    p50, p99 = statistics.median(values), percentile(values, 0.99)
    return f"{name} latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms ({len(values)} asked)"


class RemoteApi:
    """The fake Bot API, served from its own process: its HTML checks must not take the bot's
    CPU (Telegram's servers are not on the bot's machine either)."""

    def __init__(self, **options: object) -> None:
        self.api = FakeBotApi(**options).start()  # type: ignore[arg-type]

    def base_url(self) -> str:
        return self.api.base_url

    def push_message(self, chat_id: int, text: str) -> None:
        self.api.push_message(chat_id, text)

    def send_times_since(self, index: int) -> list[tuple[float, int]]:
        return self.api.send_times[index:]

    def flood_429s(self) -> int:
        return self.api.flood_429s

    def stop(self) -> None:
        self.api.stop()


class ApiProcess(BaseManager):
    pass


ApiProcess.register("RemoteApi", RemoteApi)


@dataclass
class LocalView:
    """What the harness and the bench read of the remote API; send times pulled by `follow`."""

    remote: Any
    base_url: str
    sent: list[tuple[float, int]] = field(default_factory=list)
    waiting: dict[int, list[tuple[float, asyncio.Future[float]]]] = field(default_factory=dict)

    def push_message(self, chat_id: int, text: str) -> None:
        self.remote.push_message(chat_id, text)

    async def follow(self) -> None:
        """Pull new send times every 20 ms; answer whoever waits for a chat's next message."""
        while True:
            for at, chat in self.remote.send_times_since(len(self.sent)):
                self.sent.append((at, chat))
                for started, future in self.waiting.pop(chat, []):
                    if not future.done():
                        future.set_result(at - started)
            await asyncio.sleep(0.02)


async def start_bot(folder: Path, chats: list[Chat], with_llm: bool = False) -> Harness:
    """The bot over the recorded all-archives feed, `chats` already stored, strict flood limits."""
    manager = ApiProcess()
    manager.start()
    remote = manager.RemoteApi(flood_limit=FLOOD_LIMIT, chat_flood_interval=1.0)  # type: ignore[attr-defined]
    api = LocalView(remote, remote.base_url())
    feeds, httpd = start_feed_server()
    feeds.default_feed = (ROOT / "tests" / "fixtures" / "arxiv" / ALL_ARCHIVES).read_bytes()
    llm = FakeLLM().start() if with_llm else None
    h = Harness(api, feeds, llm, folder / "data", ManualClock(FEED_DAY))  # type: ignore[arg-type]
    h.extras = (manager, httpd, asyncio.create_task(api.follow()))  # type: ignore[attr-defined]
    with Store(h.data_dir) as store:
        for chat in chats:
            store.put_chat(chat)
    await h.start()
    return h


async def stop_bot(h: Harness) -> None:
    manager, httpd, follower = h.extras  # type: ignore[attr-defined]
    follower.cancel()
    await h.stop()
    if h.llm is not None:
        h.llm.stop()
    httpd.shutdown()
    h.api.remote.stop()  # type: ignore[attr-defined]
    manager.shutdown()


async def ask(h: Harness, chat_id: int, text: str, latencies: list[float]) -> None:
    """Push a command; record the time until the first message to that chat was accepted."""
    future = asyncio.get_running_loop().create_future()
    h.api.waiting.setdefault(chat_id, []).append((time.monotonic(), future))  # type: ignore[attr-defined]
    h.api.push_message(chat_id, text)
    latencies.append(await asyncio.wait_for(future, 60))


async def prober(h: Harness, stop: asyncio.Event, helps: list[float], papers: list[float]) -> None:
    """/help from a new bystander every 0.25 s, /paper 1 from a reader every 1 s, until `stop`."""
    tasks, n = [], 0
    while not stop.is_set():
        tasks.append(asyncio.create_task(ask(h, 800_000 + n, "/help", helps)))
        if n % 4 == 0:
            reader = READERS[(n // 4) % len(READERS)]
            tasks.append(asyncio.create_task(ask(h, reader, "/paper 1", papers)))
        n += 1
        await asyncio.sleep(0.25)
    await asyncio.gather(*tasks)


def due_chats(count: int) -> list[Chat]:
    slot = FEED_DAY.isoformat()
    return [
        Chat(n, topics=(TOPICS[n % len(TOPICS)],), time="08:30", last_slot=slot)
        for n in range(1, count + 1)
    ]


async def broadcast(count: int, probes: bool = True) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        readers = [Chat(r, topics=("q-bio.NC",), time="asap") for r in READERS]
        h = await start_bot(Path(folder), due_chats(count) + readers)
        await wait_delivered(h, READERS)  # "asap": their digest comes right after the fetch
        stop, helps, papers = asyncio.Event(), [], []
        probing = asyncio.create_task(prober(h, stop, helps, papers) if probes else stop.wait())
        h.clock.set(MORNING)
        await wait_delivered(h, range(1, count + 1))
        stop.set()
        await probing
        await asyncio.sleep(0.1)  # the last send times pulled
        times = [at for at, chat in h.api.sent if 1 <= chat <= count]  # type: ignore[attr-defined]
        elapsed = max(times) - min(times)
        sent = [at for at, _ in h.api.sent if min(times) <= at <= max(times)]  # type: ignore[attr-defined]
        row = {
            "chats": count,
            "messages": len(times),
            "elapsed": elapsed,
            "share": len(sent) / (elapsed * FLOOD_LIMIT),
            "replies": len(sent) - len(times),
            "429s": h.api.remote.flood_429s(),  # type: ignore[attr-defined]
            "help": latency_line("/help", helps),
            "paper": latency_line("/paper 1", papers),
        }
        await stop_bot(h)
        return row


async def sends_only(count: int) -> dict[str, object]:
    """The Telegram side alone: the bot's rate limiter and the pass's bound, no digests made.

    Each chat gets 1 to 3 messages (as the digests above), one a second, through the same
    Bot, FloodLimiter and `delivery_concurrency` as a pass; what is left of the limit here is
    the limiter's, the rest of the gap in the full run is the CPU spent making digests.
    """
    with tempfile.TemporaryDirectory() as folder:
        h = await start_bot(Path(folder), [])
        bound = asyncio.Semaphore(h.engine.settings.delivery_concurrency)

        async def send(chat_id: int) -> None:
            async with bound:
                for part in range(1 + chat_id % 3):
                    if part:
                        await asyncio.sleep(h.engine.settings.chat_interval)
                    await h.app.bot.send_message(chat_id, f"part {part + 1}")

        with bulk_sends():
            await asyncio.gather(*(send(n) for n in range(1, count + 1)))
        await asyncio.sleep(0.1)
        times = [at for at, chat in h.api.sent if 1 <= chat <= count]  # type: ignore[attr-defined]
        elapsed = max(times) - min(times)
        row = {
            "chats": count,
            "messages": len(times),
            "elapsed": elapsed,
            "share": len(times) / (elapsed * FLOOD_LIMIT),
            "429s": h.api.remote.flood_429s(),  # type: ignore[attr-defined]
            "help": "no probes",
            "paper": "sends only",
        }
        await stop_bot(h)
        return row


async def wait_delivered(h: Harness, chat_ids: Iterable[int]) -> None:
    waiting = list(chat_ids)
    while waiting:
        await asyncio.sleep(0.5)
        waiting = await asyncio.to_thread(lambda w=waiting: [c for c in w if not _done(h, c)])


def _done(h: Harness, chat_id: int) -> bool:
    digest = h.engine.store.latest_digest(chat_id)
    return digest is not None and digest.done


async def main(sizes: list[int], only_sends: bool = False, probes: bool = True) -> None:
    for size in sizes:
        row = await (sends_only(size) if only_sends else broadcast(size, probes))
        print(
            f"{row['chats']} chats: {row['messages']} messages + {row.get('replies', 0)} "
            f"replies in {row['elapsed']:.1f} s = "
            f"{row['share']:.2f} of the {FLOOD_LIMIT} msg/s limit, {row['429s']} 429s; "
            f"{row['help']}; {row['paper']}",
            flush=True,
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[240, 1000])
    parser.add_argument("--sends-only", action="store_true", help="the Telegram side alone")
    parser.add_argument("--no-probes", action="store_true", help="no /help or /paper meanwhile")
    parser.add_argument("--ptb-limiter", action="store_true", help="PTB's AIORateLimiter instead")
    options = parser.parse_args()
    if options.ptb_limiter:  # for comparison: leaky buckets, a 429 halts every chat
        bot.app.FloodLimiter = lambda _limit, _interval, max_retries: AIORateLimiter(  # type: ignore[assignment,misc]
            max_retries=max_retries
        )
    asyncio.run(main(options.sizes, options.sends_only, not options.no_probes))
