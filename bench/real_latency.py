"""`latency_bench.py --real`: bystanders' replies during a broadcast, through getUpdates to the
real `arxiv-digest run` process. See latency_bench.py's docstring for what runs and how."""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from live import (
    BotProcess,
    bot_process,
    due_now,
    fake_bot_api,
    feed_server,
    machine_line,
    ms_summary,
    not_due,
    put_chats,
    wait_ready,
)

from bot.models import Chat

READERS = range(900_001, 900_101)  # chats with a digest already, asking /paper 1
PAIRS = range(500_001, 500_101)  # subscribed bystanders sending /help and /list together
ALONE = 600_001  # a subscribed bystander sending /help alone
NEWCOMERS = 800_000  # + n: a chat the bot has never seen, sending /help
QUIET = 3.0  # seconds without a broadcast message: the broadcast is over
REPLY_TIMEOUT = 60.0
# A closed-loop bystander's pause after its replies: over the bot's one-second pace per chat,
# so a reply never waits for the previous one's (only the second of a pair does).
PAUSE = (1.1, 2.0)


def bystander(chat_id: int) -> Chat:
    """A chat with a subscription and stored settings, not due while the bench runs."""
    chat = Chat(chat_id, topics=("hep-th",), time="21:30", timezone="Europe/Berlin", limit=20)
    return not_due(chat)


@dataclass
class Follower:
    """Pulls the fake's answer records every 10 ms; wakes whoever waits for a chat's replies."""

    api: Any
    answers: list[dict[str, Any]] = field(default_factory=list)
    by_chat: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    waiting: list[tuple[int, float, int, asyncio.Future[list[dict[str, Any]]]]] = field(
        default_factory=list
    )

    def pull(self) -> None:
        for answer in self.api.answers(len(self.answers)):
            self.answers.append(answer)
            self.by_chat[answer["chat_id"]].append(answer)
        still = []
        for chat, after, count, future in self.waiting:
            replies = [a for a in self.by_chat[chat] if a["at"] >= after]
            if len(replies) >= count and not future.done():
                future.set_result(replies[:count])
            elif not future.done():
                still.append((chat, after, count, future))
        self.waiting = still

    async def run(self) -> None:
        while True:
            self.pull()
            await asyncio.sleep(0.01)

    async def replies(self, chat: int, after: float, count: int) -> list[dict[str, Any]] | None:
        """The first `count` messages answered to `chat` from `after` on (None: time-out)."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((chat, after, count, future))
        try:
            return await asyncio.wait_for(future, REPLY_TIMEOUT)
        except TimeoutError:
            return None


@dataclass
class Latencies:
    first: list[float] = field(default_factory=list)
    second: list[float] = field(default_factory=list)
    gap: list[float] = field(default_factory=list)
    alone: list[float] = field(default_factory=list)
    newcomer: list[float] = field(default_factory=list)
    paper: list[float] = field(default_factory=list)
    timeouts: int = 0


async def pair_prober(
    api: Any,
    follow: Follower,
    chat: int,
    stop: asyncio.Event,
    out: Latencies,
    rng: random.Random,
    every: float = 0.0,
    count: int = 5,
) -> None:
    """Closed loop (every=0): a pair, both replies, a pause, again until `stop`. Open loop:
    `count` pairs pushed `every` seconds apart whatever the replies, then all replies awaited."""
    if every > 0:
        pushed_pairs = []
        for n in range(count):
            if n:
                await asyncio.sleep(every)
            pushed_pairs.append(api.push([(chat, "/help"), (chat, "/list")]))
        replies = await follow.replies(chat, pushed_pairs[0][0], 2 * count)
        if replies is None:
            out.timeouts += 1
            return
        for n, pushed in enumerate(pushed_pairs):
            first, second = replies[2 * n], replies[2 * n + 1]
            out.first.append(first["at"] - pushed[0])
            out.second.append(second["at"] - pushed[1])
            out.gap.append(second["at"] - first["at"])
        return
    while not stop.is_set():
        pushed = api.push([(chat, "/help"), (chat, "/list")])
        replies = await follow.replies(chat, pushed[0], 2)
        if replies is None:
            out.timeouts += 1
            return
        out.first.append(replies[0]["at"] - pushed[0])
        out.second.append(replies[1]["at"] - pushed[1])
        out.gap.append(replies[1]["at"] - replies[0]["at"])
        await asyncio.sleep(rng.uniform(*PAUSE))


async def one_prober(
    api: Any,
    follow: Follower,
    chat: int,
    text: str,
    into: list[float],
    stop: asyncio.Event,
    out: Latencies,
    pause: tuple[float, float],
    rng: random.Random,
) -> None:
    while not stop.is_set():
        [pushed] = api.push([(chat, text)])
        replies = await follow.replies(chat, pushed, 1)
        if replies is None:
            out.timeouts += 1
            return
        into.append(replies[0]["at"] - pushed)
        await asyncio.sleep(rng.uniform(*pause))


async def newcomers(
    api: Any, follow: Follower, stop: asyncio.Event, out: Latencies, first_id: int
) -> None:
    asked: list[asyncio.Task[None]] = []

    async def ask(chat: int) -> None:
        [pushed] = api.push([(chat, "/help")])
        replies = await follow.replies(chat, pushed, 1)
        if replies is None:
            out.timeouts += 1
        else:
            out.newcomer.append(replies[0]["at"] - pushed)

    n = 0
    while not stop.is_set():
        asked.append(asyncio.create_task(ask(first_id + n)))
        n += 1
        await asyncio.sleep(1.0)
    await asyncio.gather(*asked)


def start_probes(
    api: Any,
    follow: Follower,
    options: argparse.Namespace,
    stop: asyncio.Event,
    out: Latencies,
    rng: random.Random,
    newcomer_ids: int,
) -> list[asyncio.Task[None]]:
    """Every kind of bystander, each in its own task, until `stop`."""
    probes = [
        pair_prober(api, follow, chat, stop, out, rng, options.pair_every, options.pair_count)
        for chat in PAIRS[: options.pairs]
    ]
    probes += [
        one_prober(api, follow, ALONE, "/help", out.alone, stop, out, PAUSE, rng),
        newcomers(api, follow, stop, out, newcomer_ids),
    ]
    probes += [
        one_prober(api, follow, r, "/paper 1", out.paper, stop, out, PAUSE, rng)
        for r in READERS[: options.readers]
    ]
    return [asyncio.create_task(probe) for probe in probes]


async def while_idle(api: Any, seconds: float, options: argparse.Namespace) -> Latencies:
    """The same bystanders for `seconds` while the bot has nothing else to do: the baseline."""
    follow, out, stop = Follower(api), Latencies(), asyncio.Event()
    follow.pull()
    following = asyncio.create_task(follow.run())
    tasks = start_probes(api, follow, options, stop, out, random.Random(0), NEWCOMERS)
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.gather(*tasks)
    following.cancel()
    return out


async def during_broadcast(
    api: Any, bot: BotProcess, size: int, options: argparse.Namespace
) -> tuple[Latencies, Follower, int]:
    """Start the bot, wait for the broadcast's first message, probe until it is over."""
    follow, out, stop = Follower(api), Latencies(), asyncio.Event()
    follow.pull()
    already = len(follow.answers)
    bot.start()
    following = asyncio.create_task(follow.run())
    async with asyncio.timeout(120):
        while not any(1 <= a["chat_id"] <= size for a in follow.answers[already:]):
            await asyncio.sleep(0.01)
    tasks = start_probes(api, follow, options, stop, out, random.Random(size), NEWCOMERS + 10_000)
    while True:
        sent = [a["at"] for a in follow.answers[already:] if 1 <= a["chat_id"] <= size]
        if time.time() - sent[-1] > QUIET:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*tasks)
    following.cancel()
    follow.pull()
    return out, follow, already


def run(size: int, options: argparse.Namespace) -> None:
    before = machine_line()
    with tempfile.TemporaryDirectory(prefix="latency-real-") as scratch:
        folder = (options.keep or Path(scratch)) / f"broadcast-{size}"
        folder.mkdir(parents=True)
        with (
            fake_bot_api(folder / "answers.jsonl", chat_burst=options.chat_burst) as api,
            feed_server() as feeds,
            bot_process(folder, api.base_url(), feeds) as bot,
        ):
            readers = [Chat(r, topics=("q-bio.NC",), time="asap") for r in READERS]
            put_chats(bot.data_dir, readers[: options.readers])
            put_chats(bot.data_dir, [bystander(c) for c in [*PAIRS[: options.pairs], ALONE]])
            warm_up(api, bot, list(READERS[: options.readers]))
            idle = asyncio.run(while_idle(api, options.idle, options)) if options.idle else None
            bot.stop()
            put_chats(bot.data_dir, due_now(range(1, size + 1)))
            out, follow, already = asyncio.run(during_broadcast(api, bot, size, options))
            flood_429s = api.flood_429s()
            bot.stop()
    report(size, options, out, idle, follow.answers[already:], flood_429s, before)


def warm_up(api: Any, bot: BotProcess, readers: list[int]) -> None:
    """The readers' "asap" digests, right after the start-up fetch."""
    bot.start()
    wait_ready(api, bot)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        got = {a["chat_id"] for a in api.answers()}
        if set(readers) <= got:
            break
        time.sleep(0.1)
    time.sleep(2.0)  # the rest of their digests


def report(
    size: int,
    options: argparse.Namespace,
    out: Latencies,
    idle: Latencies | None,
    answers: list[dict[str, Any]],
    flood_429s: int,
    before: str,
) -> None:
    broadcast = [a["at"] for a in answers if 1 <= a["chat_id"] <= size]
    start, end = min(broadcast), max(broadcast)
    meanwhile = [a for a in answers if start <= a["at"] <= end]
    share = len(meanwhile) / ((end - start) * 30) if end > start else float("nan")
    print(
        f"{size} chats, real process, commands through getUpdates, chat_burst "
        f"{options.chat_burst}, {pairing(options)}: broadcast {len(broadcast)} messages + "
        f"{len(meanwhile) - len(broadcast)} replies in {end - start:.1f} s = {share:.2f} of "
        f"30 msg/s, {flood_429s} 429s; reply time-outs {out.timeouts}",
        flush=True,
    )
    print(f"  machine at start: {before}")
    print(f"  machine at end:   {machine_line()}")
    rows = [
        ("/help of a /help + /list pair (subscribed bystander)", "first"),
        ("/list of the pair, second reply", "second"),
        ("  second reply after the first", "gap"),
        ("/help alone (subscribed bystander)", "alone"),
        ("/help from a newcomer (chat never seen)", "newcomer"),
        ("/paper 1 (reader with a digest)", "paper"),
    ]
    for name, key in rows:
        print(f"  {name}:")
        print(f"      during the broadcast: {ms_summary(getattr(out, key))}")
        if idle is not None:
            print(f"      bot idle before it:   {ms_summary(getattr(idle, key))}")
    if out.gap:
        near_second = sum(1 for g in out.gap if g >= 0.9)
        print(
            f"  pairs whose second reply came 0.9 s or more after the first: {near_second} of "
            f"{len(out.gap)} (median gap {statistics.median(out.gap) * 1000:.0f} ms)",
            flush=True,
        )


def pairing(options: argparse.Namespace) -> str:
    if options.pair_every > 0:
        return (
            f"{options.pairs} bystander(s) each pushing {options.pair_count} /help + /list pairs "
            f"{options.pair_every:g} s apart"
        )
    return f"{options.pairs} bystander(s) each pushing a /help + /list pair after the last replies"
