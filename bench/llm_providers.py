"""LLM calls and tokens of the 1,504-paper day in Chinese, with each provider's loopback fake.

Each provider is configured with its README block (tests/e2e/test_providers.py reads the same
blocks), and once more with only its base URL, key and model (`--bare`: thinking left on, the
refused parameters found by the bot). Runs `arxiv-digest preview --replacements` over the
all-archives feed of 2024-11-28 (all 1,504 papers); tokens are the fakes' (4 bytes of UTF-8 a
token), so compare rows, not bills.
Prints figures, asserts nothing.

    python bench/llm_providers.py [--limit N] [--bare]
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
from tests.e2e.test_providers import readme_blocks  # noqa: E402
from tests.fakes.llm_server import FakeLLM  # noqa: E402

FEED = ROOT / "tests" / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"
KEY = "sk-bench-0123456789abcdef"
BARE = ("LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL")


def total(answered: list[dict], *path: str) -> int:
    found = 0
    for usage in answered:
        value: object = usage
        for key in path:
            value = value.get(key, 0) if isinstance(value, dict) else 0
        found += value if isinstance(value, int) else 0
    return found


async def run(name: str, block: dict[str, str], limit: int) -> str:
    keyed = "LLM_API_KEY" in block
    with FakeLLM(name, KEY if keyed else None) as llm, tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "bench.toml"
        config.write_text("[llm]\nconcurrency = 8\ndaily_budget = 100000\nbackoff = 0.1\n")
        env = block | {"ARXIV_DIGEST_DATA_DIR": folder, "LLM_BASE_URL": llm.url,
                       "LLM_API_KEY": KEY if keyed else ""}  # fmt: skip
        request = PreviewRequest(
            feed=str(FEED), lang="zh", format="text", limit=limit, replacements=True
        )
        started = time.perf_counter()
        async with open_engine(load_settings(config, environ=env)) as engine:
            await preview(engine, request)
            failures = engine.store.counters().get("llm_failures", 0)
        seconds = time.perf_counter() - started
        answered = llm.answered
        reasoning = total(answered, "completion_tokens_details", "reasoning_tokens")
        cached = max(total(answered, "prompt_cache_hit_tokens"),
                     total(answered, "prompt_tokens_details", "cached_tokens"))  # fmt: skip
        return (
            f"| {name} | {block['LLM_MODEL']} | {len(llm.requests):,} | {llm.refusals():,} | "
            f"{total(answered, 'prompt_tokens'):,} | {total(answered, 'completion_tokens'):,} | "
            f"{reasoning:,} | {cached:,} | {failures:,} | {seconds:.0f} s |"
        )


async def main(limit: int, bare: bool) -> None:
    print("| provider | model | calls | refused | tokens in | out | reasoning | cached | "
          "failures | time |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, block in readme_blocks().items():
        if bare:
            block = {k: v for k, v in block.items() if k in BARE}
        print(await run(name, block, limit), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="at most N papers (0: all)")
    parser.add_argument("--bare", action="store_true", help="base URL, key and model only")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.limit, arguments.bare))
