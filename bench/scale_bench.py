"""How the cost of a day grows with chats: feed requests, LLM calls and time, for 1 to N chats.

Runs the real engine against loopback arXiv (the recorded 1,504-paper all-archives feed) and a
loopback OpenAI-compatible LLM, twice per size: the second run is the next hour's (a 304 from
arXiv, nothing left to summarize). Prints figures; asserts nothing.

    python bench/scale_bench.py            # 1, 10, 100, 1000 chats
    python bench/scale_bench.py 1 5000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.engine import open_engine  # noqa: E402
from bot.models import Chat  # noqa: E402
from bot.pipeline import Candidates, make_digest, run_fetch  # noqa: E402
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
    asyncio.run(main(parser.parse_args().sizes))
