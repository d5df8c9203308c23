"""A delivery pass's ranking through the store: `engine.ranking.order` for N chats, one day.

Each chat follows one to three archives or categories and has interests, votes, or both (its
liked papers read from the store like a real chat's); the first chat pays for the shared
PaperIndex, built in a thread, the others reuse it. Prints figures; asserts nothing.

    python bench/learning_pass.py            # 1,000 chats
    python bench/learning_pass.py --chats 200
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

from bot.arxiv.parse import parse_feed  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.digest.select import select_papers  # noqa: E402
from bot.engine import Engine, close_engine, open_engine_now  # noqa: E402
from bot.models import Chat, Paper  # noqa: E402

FEED = ROOT / "tests" / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"
TOPICS = ["cs.LG", "cs.CV", "cs.AI", "quant-ph", "math", "hep-ph", "cs.CL", "stat.ML", "astro-ph"]
INTERESTS = [
    "graph neural networks",
    "diffusion models for video",
    "quantum error correction",
    "large language model reasoning",
    "dark matter halos",
    "protein structure",
]


async def main(chats: int) -> None:
    papers = parse_feed(FEED.read_bytes()).papers
    with tempfile.TemporaryDirectory() as data:
        env = {"TELEGRAM_BOT_TOKEN": "1:x", "ARXIV_DIGEST_DATA_DIR": data}
        engine = open_engine_now(load_settings(None, environ=env))
        try:
            engine.store.put_papers(papers)
            await _pass(engine, chats, random.Random(9))
        finally:
            await close_engine(engine)


async def _pass(engine: Engine, count: int, rng: random.Random) -> None:
    day = engine.store.announced_since("2024-11-27")
    ids = [p.id for p in day]
    made: list[tuple[Chat, list[Paper]]] = []
    for n in range(count):
        chat = Chat(n + 1, topics=tuple(rng.sample(TOPICS, rng.randint(1, 3))))
        if n % 3 != 1:
            chat = chat.with_changes(interests=rng.choice(INTERESTS))
        if n % 3 != 0:
            for paper_id in rng.sample(ids, 5):
                engine.store.press_vote(chat.chat_id, paper_id, 1, rng.choice((1, -1)))
        made.append((chat, select_papers(day, chat, set())))
    start = time.perf_counter()
    await engine.ranking.order(*made[0])
    first = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    for chat, selected in made[1:]:
        await engine.ranking.order(chat, selected)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    mean = sum(len(s) for _, s in made) / len(made)
    print(f"{len(day)} papers, {count} chats, {mean:.0f} selected papers a chat on average")
    print(f"first chat (builds the shared index): {first:.2f} s")
    print(f"the other {count - 1} chats: {wall:.2f} s wall, {cpu:.2f} s CPU, "
          f"{1000 * wall / max(count - 1, 1):.1f} ms a chat")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chats", type=int, default=1000)
    asyncio.run(main(parser.parse_args().chats))
