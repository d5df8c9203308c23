"""How the cost of a day grows with chats: feed requests, LLM calls and time, for 1 to N chats.

Runs the real engine against loopback arXiv (the recorded 1,504-paper all-archives feed) and a
loopback OpenAI-compatible LLM, twice per size: the second run is the next hour's (a 304 from
arXiv, nothing left to summarize). Prints figures; asserts nothing.

    python bench/scale_bench.py            # 1, 10, 100, 1000 chats
    python bench/scale_bench.py 1 5000

With --select-render, only the CPU of a delivery pass is measured, over a stored day with its
summaries (no Telegram, no LLM, no arXiv): each chat's pending papers selected, its summaries
looked up, its first page rendered, as the scheduler does; with the peak RSS of the process.

    python bench/scale_bench.py --select-render 1000 10000 100000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.arxiv.parse import parse_feed  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.digest.render import DigestHeader, Entry, page_slices, render_digest_parts  # noqa: E402
from bot.engine import open_engine  # noqa: E402
from bot.llm.summaries import SummaryService, offline_summary  # noqa: E402
from bot.models import Chat  # noqa: E402
from bot.pipeline import Candidates, make_digest, pending_papers, run_fetch  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.fakes.feed_server import start_feed_server  # noqa: E402
from tests.fakes.llm_server import FakeLLM  # noqa: E402

FEED = ROOT / "tests" / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"
TOPICS = [
    "cs.AI",
    "cs.LG",
    "cs.CL",
    "hep-th",
    "quant-ph",
    "math.AP",
    "astro-ph.GA",
    "stat.ML",
    '"neural network"',
    '"dark matter"',
    "cond-mat.str-el",
    "physics.optics",
]
LANGS = ["zh", "ja", "en"]


def chats(count: int, seed: int = 7) -> list[Chat]:
    """`count` chats with 1-3 topics each and one of three languages, the same every run."""
    pick = random.Random(seed)
    return [
        Chat(
            chat_id=n,
            topics=tuple(pick.sample(TOPICS, pick.randint(1, 3))),
            lang=pick.choice(LANGS),
        )
        for n in range(1, count + 1)
    ]


async def one_size(count: int, rss_url: str, llm: FakeLLM) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "bench.toml"
        config.write_text("[arxiv]\nmin_interval = 0.0\n[llm]\nconcurrency = 8\n")
        env = {
            "ARXIV_RSS_URL": rss_url,
            "ARXIV_DIGEST_DATA_DIR": folder,
            "LLM_BASE_URL": llm.url,
            "LLM_MODEL": "bench",
        }
        async with open_engine(load_settings(config, environ=env)) as engine:
            for chat in chats(count):
                engine.store.put_chat(chat)
            llm.requests.clear()
            started = time.perf_counter()
            first = await run_fetch(engine)
            fetched = time.perf_counter() - started
            calls_first = len(llm.requests)
            started = time.perf_counter()
            candidates = Candidates(engine.store)  # as the scheduler's delivery pass does
            for chat in engine.store.all_chats():
                await make_digest(engine, chat, candidates)
            digests = time.perf_counter() - started
            second = await run_fetch(engine)
            return {
                "chats": count,
                "requests": first.feeds + second.feeds,
                "llm_run1": calls_first,
                "llm_run2": len(llm.requests) - calls_first,
                "fetch_s": fetched,
                "digests_s": digests,
            }


def stored_day(folder: str, count: int) -> Store:
    """A store holding the recorded day, its offline summaries in every language, and chats."""
    store = Store(folder)
    papers = parse_feed(FEED.read_bytes()).papers
    store.put_papers(papers)
    store.put_summaries(offline_summary(paper, lang) for paper in papers for lang in LANGS)
    with store.db.step():  # one commit for all chats (a bench shortcut, not a bot path)
        for chat in chats(count):
            store.chats.put(chat)
    return store


async def select_and_render(store: Store) -> int:
    """Every chat's digest as a pass makes it: select, summaries (all its papers, as
    make_digest asks), page one rendered. Returns the messages rendered."""
    candidates, summaries, messages = Candidates(store), SummaryService(store, None), 0
    for chat in store.all_chats():
        papers = pending_papers(store, chat, candidates)
        if not papers:
            continue
        by_key = await summaries.summaries(papers, chat.lang)
        slices = page_slices(len(papers), chat.limit)
        entries = [Entry(i + 1, papers[i], by_key[papers[i].key]) for i in slices[0]]
        header = DigestHeader(papers[0].announced, chat.topics, len(papers), 1, len(slices))
        messages += len(render_digest_parts(header, entries, chat.lang))
    return messages


def select_render_sizes(sizes: list[int]) -> None:
    columns = ("chats", "wall s", "CPU s", "ms/chat", "messages", "RSS MB")
    print(" ".join(f"{name:>8}" for name in columns))
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder, stored_day(folder, size) as store:
            wall, cpu = time.perf_counter(), time.process_time()
            messages = asyncio.run(select_and_render(store))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{size:>8} {wall:>8.2f} {cpu:>8.2f} {wall * 1000 / size:>8.2f} {messages:>8} "
            f"{peak:>8.0f}",
            flush=True,
        )


async def main(sizes: list[int]) -> None:
    feeds, httpd = start_feed_server()
    feeds.default_feed = FEED.read_bytes()
    with FakeLLM() as llm:
        print(
            f"{'chats':>6} {'feed requests':>14} {'LLM calls run 1':>16} {'run 2':>6} "
            f"{'fetch+summarize s':>18} {'make digests s':>15}"
        )
        for size in sizes:
            row = await one_size(size, feeds.rss_url, llm)
            print(
                f"{row['chats']:>6} {row['requests']:>14} {row['llm_run1']:>16} "
                f"{row['llm_run2']:>6} {row['fetch_s']:>18.2f} {row['digests_s']:>15.2f}"
            )
    httpd.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[1, 10, 100, 1000])
    parser.add_argument("--select-render", action="store_true", help="a pass's CPU alone")
    options = parser.parse_args()
    if options.select_render:
        select_render_sizes(options.sizes)
    else:
        asyncio.run(main(options.sizes))
