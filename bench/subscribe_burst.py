"""Feed requests during a subscribe burst: many chats send /subscribe of the same topics at once.

    python bench/subscribe_burst.py                       # 1,000 chats, 4 topics, 2 of them new
    python bench/subscribe_burst.py --chats 60 --topics cs.LG --known 0   # one new topic
    python bench/subscribe_burst.py --min-interval 0      # arXiv's pause between requests off

What runs: the real `arxiv-digest run` process (the venv's console script, default settings
unless --min-interval is given, written to its --config file) against the loopback Bot API in
its own process (strict flood limits) and the loopback arXiv in this process, which records
every request. One stored chat already follows the first `--known` topics, so the start-up
fetch asks for their feed. Once that fetch is over and the bot idles, `--chats` new chats each
push `/subscribe` of all the topics, at once (every update queued before the bot's next
getUpdates). The bench waits until every chat had its reply and arXiv saw no request for
`--settle` seconds.

Figures: the requests arXiv saw after the burst began, per feed path (with their answers,
200 or 304, and when they came), the bot's "fetching new feed(s) now" log lines, and the
/subscribe reply latency (push to the fake's answer). Goal after the fix: each new feed asked
once. Prints figures and the load average; asserts nothing. Loopback only, a temporary folder.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from live import (  # noqa: E402
    BotProcess,
    bot_process,
    fake_bot_api,
    feed_server,
    machine_line,
    ms_summary,
    not_due,
    put_chats,
    wait_ready,
)

from bot.models import Chat  # noqa: E402
from tests.fakes.feed_server import FeedServer  # noqa: E402

FIRST_CHAT = 300_001
OLD_SUBSCRIBER = 299_999
DEFAULT_MIN_INTERVAL = 3.0  # config/default.toml's arxiv.min_interval


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000, help="chats subscribing (1000)")
    parser.add_argument(
        "--topics", nargs="+", default=["hep-th", "gr-qc", "cs.CL", "cs.CV"], help="topics"
    )
    parser.add_argument("--known", type=int, default=2, help="first topics the bot knows (2)")
    parser.add_argument(
        "--min-interval", type=float, default=None, help="arxiv.min_interval (default: 3.0)"
    )
    parser.add_argument("--settle", type=float, default=None, help="s without a request: done")
    parser.add_argument("--keep", type=Path, default=None, help="keep the folder here")
    options = parser.parse_args()
    interval = DEFAULT_MIN_INTERVAL if options.min_interval is None else options.min_interval
    settle = options.settle if options.settle is not None else max(10.0, 3 * interval + 2)
    config = "" if options.min_interval is None else f"[arxiv]\nmin_interval = {interval}\n"
    before = machine_line()
    with tempfile.TemporaryDirectory(prefix="subscribe-burst-") as scratch:
        folder = options.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        with (
            fake_bot_api(folder / "answers.jsonl") as api,
            feed_server() as feeds,
            bot_process(folder, api.base_url(), feeds, config) as bot,
        ):
            known = tuple(options.topics[: options.known])
            if known:
                old = Chat(OLD_SUBSCRIBER, topics=known, time="21:30", timezone="Europe/Berlin")
                put_chats(bot.data_dir, [not_due(old)])
            bot.start()
            wait_ready(api, bot)
            startup = wait_requests_settle(feeds, bot, 2.0 + interval, at_least=1 if known else 0)
            ids = range(FIRST_CHAT, FIRST_CHAT + options.chats)
            text = "/subscribe " + " ".join(options.topics)
            index = len(feeds.requests)
            burst_at = time.time()
            pushed = api.push([(chat, text) for chat in ids])
            wait_replies(api, set(ids), bot)
            wait_requests_settle(feeds, bot, settle)
            answers = [a for a in api.answers() if a["chat_id"] in set(ids)]
            flood_429s = api.flood_429s()
            seen = list(feeds.requests[index:])
            fetch_lines = bot.log_lines("fetching new feed(s) now")
            bot.stop()
    print(
        f"subscribe burst: {options.chats} chats push {text!r} at once "
        f"({len(options.topics) - options.known} topic(s) new to the bot), arxiv.min_interval "
        f"{interval:g} s; start-up fetch: {startup} request(s)"
    )
    print(f"  machine at start: {before}")
    print(f"  machine at end:   {machine_line()}")
    print(f"  feed requests after the burst began: {len(seen)}")
    paths: dict[str, list[str]] = defaultdict(list)
    for request in seen:
        paths[request.path].append(str(request.status))
    for path, statuses in sorted(paths.items()):
        counts = {s: statuses.count(s) for s in sorted(set(statuses))}
        print(f"    {path}: {len(statuses)} ({', '.join(f'{n}x {s}' for s, n in counts.items())})")
    print(f"  bot log 'fetching new feed(s) now': {len(fetch_lines)} line(s)")
    first: dict[int, float] = {}
    for answer in answers:
        first.setdefault(answer["chat_id"], answer["at"])
    latencies = [first[chat] - at for chat, at in zip(ids, pushed, strict=True) if chat in first]
    print(f"  /subscribe replies: {len(first)} of {options.chats}, {ms_summary(latencies)}")
    last = max(first.values(), default=burst_at) - burst_at
    print(f"  last reply {last:.1f} s after the burst; 429s {flood_429s}", flush=True)


def wait_requests_settle(
    feeds: FeedServer, bot: BotProcess, quiet: float, at_least: int = 0
) -> int:
    """Until arXiv saw at least `at_least` requests and none for `quiet` s; how many it saw."""
    requests = feeds.requests
    deadline = time.monotonic() + 900
    count, changed = len(requests), time.monotonic()
    while time.monotonic() < deadline:
        if len(requests) != count:
            count, changed = len(requests), time.monotonic()
        if count >= at_least and time.monotonic() - changed > quiet:
            return count
        if not bot.alive:
            raise SystemExit("the bot exited")
        time.sleep(0.05)
    return count


def wait_replies(api: Any, chats: set[int], bot: BotProcess, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    answered: set[int] = set()
    index = 0
    while time.monotonic() < deadline and not chats <= answered:
        new = api.answers(index)
        index += len(new)
        answered |= {a["chat_id"] for a in new}
        if not bot.alive:
            raise SystemExit("the bot exited")
        time.sleep(0.1)


if __name__ == "__main__":
    main()
