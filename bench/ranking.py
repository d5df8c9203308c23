"""Ranking quality and cost on a real day: the recorded 1,504-paper all-archives feed.

A simulated reader follows one narrow subject, a primary category with 30 to 100 papers that day
(8 subjects), and has liked 10 of its papers (5 readers a subject, seeded). The other papers of
the subject are held back; precision at K is the share of them in the first K of the day's
other papers. Rankers: today's (feed) order; interests only (the category's name as interest
text, e.g. "Analysis of PDEs"); likes only; both; both plus 10 dislikes from other subjects
(the linear model); embeddings, when EMBED_BASE_URL and EMBED_MODEL are set. Then the time to
rank a day for N chats over one shared index. Prints figures; asserts nothing.

    python bench/ranking.py                 # quality, then 1,000 and 10,000 chats
    python bench/ranking.py --chats 100000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.arxiv.parse import parse_feed  # noqa: E402
from bot.arxiv.taxonomy import category_name  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.digest.select import select_papers  # noqa: E402
from bot.models import Chat, Paper  # noqa: E402
from bot.ranking.index import PaperIndex  # noqa: E402
from bot.ranking.rank import Signal, rank  # noqa: E402

FEED = ROOT / "tests" / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"
READERS = 5  # per subject
LIKES = 10
CHAT_TOPICS = (
    "cs.AI cs.LG cs.CL cs.CV hep-th quant-ph math.AP astro-ph stat.ML cond-mat".split()
    + ["physics.optics", '"neural network"', '"dark matter"', 'au:"Wei Zhang"']
)


@dataclass(frozen=True)
class Reader:
    subject: str
    liked: tuple[Paper, ...]
    disliked: tuple[Paper, ...]
    held_back: frozenset[str]


def subjects(papers: list[Paper]) -> list[str]:
    """Primary categories with 30 to 100 papers in the day: narrow, with enough to hold back."""
    counts = Counter(p.primary_category for p in papers)
    return sorted(c for c, n in counts.items() if 30 <= n <= 100)


def readers(papers: list[Paper]) -> list[Reader]:
    found = []
    for subject in subjects(papers):
        own = [p for p in papers if p.primary_category == subject]
        others = [p for p in papers if p.primary_category != subject]
        for seed in range(READERS):
            pick = random.Random(f"{subject}/{seed}")
            liked = tuple(pick.sample(own, LIKES))
            held = frozenset(p.id for p in own) - {p.id for p in liked}
            found.append(Reader(subject, liked, tuple(pick.sample(others, LIKES)), held))
    return found


def signals(reader: Reader) -> dict[str, Signal]:
    interests = category_name(reader.subject)
    return {
        "today's order": Signal(),
        "interests only": Signal(interests=interests),
        "likes only": Signal(liked=reader.liked),
        "interests + likes": Signal(interests=interests, liked=reader.liked),
        "+ 10 dislikes (linear)": Signal(interests, reader.liked, reader.disliked),
    }


def precision(order: list[Paper], reader: Reader, k: int) -> float:
    return sum(p.id in reader.held_back for p in order[:k]) / k


def quality(
    papers: list[Paper], index: PaperIndex, space_for: Any = None
) -> dict[str, list[float]]:
    """Mean precision at 10 and 50 for each ranker over every reader."""
    totals: dict[str, list[float]] = {}
    for reader in readers(papers):
        seen = {p.id for p in (*reader.liked, *reader.disliked)}
        day = [p for p in papers if p.id not in seen]
        named = signals(reader)
        if space_for is not None:
            shown = ("interests only", "likes only", "interests + likes")
            named = {f"embeddings, {name}": named[name] for name in shown}
        orders = {}
        if space_for is None:  # the best any ranker could do: every held-back paper first
            orders["ideal"] = sorted(day, key=lambda p: p.id not in reader.held_back)
        for name, signal in named.items():
            parts = space_for(day, signal) if space_for is not None else None
            orders[name] = [r.paper for r in rank(index, day, signal, reasons_for=0, parts=parts)]
        for name, order in orders.items():
            sums = totals.setdefault(name, [0.0, 0.0, 0])
            sums[0] += precision(order, reader, 10)
            sums[1] += precision(order, reader, 50)
            sums[2] += 1
    return {name: [s[0] / s[2], s[1] / s[2]] for name, s in totals.items()}


def chat_day(papers: list[Paper], index: PaperIndex, count: int) -> tuple[tuple[float, float], int]:
    """Seconds (wall, CPU) to rank every chat's selected papers (reasons for a first page of 30),
    and the mean number of papers a chat ranks."""
    pick = random.Random(count)
    interests = [category_name(s) for s in subjects(papers)] + [
        "graph neural networks",
        "dark matter halos",
        "quantum error correction",
        "我研究 LLM agents 的安全",
    ]
    work = []
    selections: dict[tuple[str, ...], list[Paper]] = {}
    for n in range(count):
        topics = tuple(sorted(pick.sample(CHAT_TOPICS, pick.randint(1, 3))))
        if topics not in selections:
            selections[topics] = select_papers(papers, Chat(chat_id=n, topics=topics), set())
        votes = pick.sample(papers, 10)
        kind = n % 4  # interests + 5 likes, interests only, 5 likes, 5 likes + 5 dislikes
        signal = Signal(
            interests=pick.choice(interests) if kind < 2 else "",
            liked=tuple(v.id for v in votes[:5]) if kind != 1 else (),
            disliked=tuple(v.id for v in votes[5:]) if kind == 3 else (),
            boosts=Signal.for_chat(topics).boosts,
        )
        work.append((selections[topics], signal))
    started, cpu = time.perf_counter(), time.process_time()
    for selected, signal in work:
        rank(index, selected, signal, reasons_for=30)
    seconds = (time.perf_counter() - started, time.process_time() - cpu)
    return seconds, sum(len(s) for s, _ in work) // max(count, 1)


async def embedding_quality(papers: list[Paper], index: PaperIndex) -> dict[str, list[float]]:
    import httpx

    from bot.ranking.embed import EmbeddingClient, MappingVectorCache, embedding_space

    settings = load_settings(environ=os.environ)
    async with httpx.AsyncClient() as http:
        client = EmbeddingClient(http, settings.embed_base_url, settings.embed_model,
                                 settings.embed_api_key, batch_size=settings.embed_batch_size,
                                 timeout=settings.embed_timeout)  # fmt: skip
        chats = [s for r in readers(papers) for s in signals(r).values()]
        space = await embedding_space(client, MappingVectorCache({}), index, chats)
    if space is None:
        print("embeddings: the endpoint failed (see the log line); skipped")
        return {}
    return quality(papers, index, space_for=space.parts)


def print_quality(rows: dict[str, list[float]]) -> None:
    for name, (p10, p50) in rows.items():
        print(f"| {name} | {p10:.2f} | {p50:.2f} |")


def main(chat_counts: list[int]) -> None:
    papers = list(parse_feed(FEED.read_bytes()).papers)
    started = time.perf_counter()
    index = PaperIndex(papers)
    built = time.perf_counter() - started
    print(f"{len(papers)} papers; subjects: {', '.join(subjects(papers))}; "
          f"{len(readers(papers))} readers; index built in {built:.2f} s\n")  # fmt: skip
    print("| ranker | precision@10 | precision@50 |\n| --- | --- | --- |")
    print_quality(quality(papers, index))
    if load_settings(environ=os.environ).embed_enabled:
        print_quality(asyncio.run(embedding_quality(papers, index)))
    else:
        print("| embeddings | skipped: EMBED_BASE_URL / EMBED_MODEL not set | |")
    print("\n| chats | papers per chat | rank all chats s (wall) | CPU s | CPU ms per chat |")
    print("| --- | --- | --- | --- | --- |")
    for count in chat_counts:
        (wall, cpu), per_chat = chat_day(papers, index, count)
        print(f"| {count} | {per_chat} | {wall:.2f} | {cpu:.2f} | {1000 * cpu / count:.2f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", nargs="*", type=int, default=[1000, 10000])
    main(parser.parse_args().chats)
