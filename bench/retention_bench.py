"""Database size over simulated days with daily retention: flat after keep_days.

    python bench/retention_bench.py [--days 90] [--papers 300] [--chats 50] [--keep-days 60]
                                     [--no-prune]

Each day: `papers` new papers with an English summary, a digest of 10 of them per chat
(stored, then delivered in two messages), then the daily prune. Prints the file size every
10 days.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import Digest, Paper, Summary
from bot.store import Store

START = datetime(2025, 1, 1, 8, tzinfo=UTC)
ABSTRACT = "We study a model of the thing and show that it behaves as expected. " * 14


def one_day(store: Store, day: int, papers: int, chats: int) -> None:
    when = START + timedelta(days=day)
    iso = when.date().isoformat()
    batch = [
        Paper(
            id=f"{day:04d}.{i:05d}",
            version=1,
            title=f"Paper {i} of day {day}",
            abstract=ABSTRACT,
            authors=("A. Author", "B. Author"),
            categories=("cs.AI",),
            announced=iso,
        )  # fmt: skip
        for i in range(papers)
    ]
    store.put_papers(batch)
    store.put_summaries(Summary(p.key, "en", p.title, "One line.", p.abstract) for p in batch)
    for chat in range(1, chats + 1):
        ids = tuple(p.id for p in batch[chat % 30 :: 30][:10])
        digest = Digest(chat_id=-chat, number=day + 1, announced=iso, topics=("cs.AI",),
                        paper_ids=ids, limit=10, created=when.timestamp())  # fmt: skip
        store.put_digest(digest)
        base = (day + 1) * 10
        store.put_digest(digest.with_changes(message_ids=(base, base + 1), parts_sent=2, done=True))


def report(day: int, path: Path, sizes: dict[str, int]) -> None:
    rows = "  ".join(f"{sizes[name]:9d}" for name in ("papers", "summaries", "digests", "sent"))
    print(f"{day:3d}  {path.stat().st_size / 1e6:7.2f}  {rows}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--papers", type=int, default=300)
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--keep-days", type=int, default=60)
    parser.add_argument("--no-prune", action="store_true", help="the same days without retention")
    args = parser.parse_args()
    began, slowest = time.perf_counter(), 0.0
    with tempfile.TemporaryDirectory() as tmp, Store(tmp) as store:
        path = Path(tmp) / "arxiv-digest.sqlite"
        print(f"{args.papers} papers/day, {args.chats} chats, keep_days={args.keep_days}")
        print("day  size_MB     papers  summaries    digests       sent")
        for day in range(args.days):
            one_day(store, day, args.papers, args.chats)
            now = (START + timedelta(days=day, hours=12)).timestamp()
            if not args.no_prune:
                pruning = time.perf_counter()
                store.prune(args.keep_days, now=now)
                slowest = max(slowest, time.perf_counter() - pruning)
            if (day + 1) % 10 == 0:
                report(day + 1, path, store.table_sizes())
    print(
        f"slowest daily prune {slowest * 1000:.0f} ms; {time.perf_counter() - began:.0f} s in all"
    )


if __name__ == "__main__":
    main()
