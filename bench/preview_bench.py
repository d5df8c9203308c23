"""LLM calls and time of `arxiv-digest preview` on the 1,504-paper feed, run twice.

The second run finds every summary cached: it should make no LLM call at all. Uses a loopback
OpenAI-compatible LLM; prints figures, asserts nothing.

    python bench/preview_bench.py [--lang zh] [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.engine import open_engine  # noqa: E402
from bot.preview import PreviewRequest, preview  # noqa: E402
from tests.fakes.llm_server import FakeLLM  # noqa: E402

FEED = ROOT / "tests" / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"


async def main(lang: str, limit: int) -> None:
    with FakeLLM() as llm, tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "bench.toml"
        config.write_text("[llm]\nconcurrency = 8\ndaily_budget = 100000\n")
        env = {"ARXIV_DIGEST_DATA_DIR": folder, "LLM_BASE_URL": llm.url, "LLM_MODEL": "bench"}
        request = PreviewRequest(feed=str(FEED), lang=lang, format="markdown", limit=limit)
        for run in (1, 2):
            before, started = len(llm.requests), time.perf_counter()
            async with open_engine(load_settings(config, environ=env)) as engine:
                document = await preview(engine, request)
            print(
                f"run {run}: {len(llm.requests) - before} LLM calls, "
                f"{time.perf_counter() - started:.1f} s, {len(document):,} characters"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", default="zh")
    parser.add_argument("--limit", type=int, default=0)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.lang, arguments.limit))
