"""Time parse_feed on the recorded all-archives feed (1504 papers): median papers per second."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bot.arxiv.parse import parse_feed

FEED = (
    Path(__file__).parent.parent
    / "tests"
    / "fixtures"
    / "arxiv"
    / "rss2-all-archives-2024-11-28.xml"
)


def main() -> None:
    """Parse the feed N times and print the median rate and the total time."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="?", type=int, default=5, help="how many parses (default 5)")
    parser.add_argument("--feed", type=Path, default=FEED, help="feed file to parse")
    args = parser.parse_args()

    content = args.feed.read_bytes()
    seconds: list[float] = []
    papers = 0
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        papers = len(parse_feed(content).papers)
        seconds.append(time.perf_counter() - start)

    median = statistics.median(seconds)
    print(f"{args.feed.name}: {len(content):,} bytes, {papers} papers, {len(seconds)} runs")
    print(f"median {median:.3f} s per parse = {papers / median:,.0f} papers/s")
    print(
        f"total {sum(seconds):.3f} s (fastest {min(seconds):.3f} s, slowest {max(seconds):.3f} s)"
    )


if __name__ == "__main__":
    main()
