"""LLM calls, tokens and money a day per `llm.abstracts` mode, and what expanding papers adds."""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.llm_providers import total  # noqa: E402
from bench.ranking import CHAT_TOPICS, subjects  # noqa: E402
from bot.arxiv.parse import parse_feed  # noqa: E402
from bot.arxiv.taxonomy import category_name  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.engine import Engine, open_engine  # noqa: E402
from bot.models import Chat, Paper  # noqa: E402
from bot.pipeline import summarize_pending  # noqa: E402
from tests.e2e.test_providers import readme_blocks  # noqa: E402
from tests.fakes.llm_server import FakeLLM, asked_keys  # noqa: E402

FEED = ROOT / "tests" / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"
KEY = "sk-bench-0123456789abcdef"
MODES = ("all", "first_page", "on_expand")
SHARES = (0.05, 0.20)  # of the summarized papers, expanded by some reader
LANG, LIMIT = "zh", 10
CONFIG = "[llm]\nconcurrency = 16\ndaily_budget = 1000000\nbackoff = 0.1\n"
# USD per million tokens: input (cache miss), input (cache hit; None: billed as input), output;
# list prices read on 2026-12-05, sources in bench/README.md (issue 18).
PRICES = {
    "DeepSeek deepseek-v4-flash, off-peak": (0.15, 0.003, 0.60),
    "OpenAI gpt-5-mini": (0.25, None, 2.00),
    "Qwen qwen-plus (International)": (0.40, None, 1.20),
}
Figures = dict[str, int]


def make_chats(engine: Engine, papers: list[Paper], count: int) -> list[Chat]:
    """Chats like bench/ranking.py's day: 1 to 3 topics; interests, 5 likes, or both (some with
    5 dislikes), votes stored; all in Chinese with a first page of LIMIT."""
    pick = random.Random(count)
    interests = [category_name(s) for s in subjects(papers)] + [
        "graph neural networks", "dark matter halos", "quantum error correction",
        "我研究 LLM agents 的安全",
    ]  # fmt: skip
    chats = []
    for n in range(count):
        topics = tuple(sorted(pick.sample(CHAT_TOPICS, pick.randint(1, 3))))
        votes = pick.sample(papers, 10)
        kind = n % 4  # interests + 5 likes, interests only, 5 likes, 5 likes + 5 dislikes
        chat = Chat(n + 1, topics=topics, lang=LANG, limit=LIMIT,
                    interests=pick.choice(interests) if kind < 2 else "")  # fmt: skip
        for paper in votes[:5] if kind != 1 else ():
            engine.store.press_vote(chat.chat_id, paper.id, 1, 1)
        for paper in votes[5:] if kind == 3 else ():
            engine.store.press_vote(chat.chat_id, paper.id, 1, -1)
        chats.append(chat)
    return chats


def figures(llm: FakeLLM) -> Figures:
    """Calls and tokens of the answers so far; "abstracts": the requests that asked for one."""
    answered = llm.answered
    return {
        "calls": len(answered),
        "abstracts": sum("abstract" in asked_keys(body) for body in llm.requests),
        "in": total(answered, "prompt_tokens"),
        "out": total(answered, "completion_tokens"),
        "reasoning": total(answered, "completion_tokens_details", "reasoning_tokens"),
        "cached": total(answered, "prompt_cache_hit_tokens"),
    }


async def expand(engine: Engine, papers: list[Paper]) -> None:
    """Readers expand these papers: each abstract not translated yet is asked for (one that
    cannot be made stays original, as for a reader)."""
    asked = (engine.summaries.abstract(paper, LANG) for paper in papers)
    await asyncio.gather(*asked, return_exceptions=True)


async def run_mode(mode: str, papers: list[Paper], chats: int) -> dict[str, Figures]:
    """The fetch run's summaries for `chats` chats, then SHARES of its papers expanded (nested
    seeded samples: the 20% hold the 5%); cumulative figures by stage."""
    block = readme_blocks()["deepseek"]
    with FakeLLM("deepseek", KEY) as llm, tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "bench.toml"
        config.write_text(CONFIG)
        env = block | {"ARXIV_DIGEST_DATA_DIR": folder, "LLM_BASE_URL": llm.url,
                       "LLM_API_KEY": KEY, "LLM_ABSTRACTS": mode}  # fmt: skip
        async with open_engine(load_settings(config, environ=env)) as engine:
            engine.store.put_papers(papers)
            made = make_chats(engine, papers, chats)
            started = time.perf_counter()
            summarized = await summarize_pending(engine, made)
            seconds = round(time.perf_counter() - started)
            failures = engine.store.counters().get("llm_failures", 0)
            stages = {"up front": figures(llm)}
            stages["up front"] |= {"papers": summarized, "seconds": seconds, "offline": failures}
            shown = [p for p in papers if engine.store.get_summary(p.key, LANG) is not None]
            order = random.Random(18).sample(shown, len(shown))
            for share in SHARES:
                await expand(engine, order[: round(share * len(shown))])
                stages[f"+ {share:.0%} expanded"] = figures(llm)
    return stages


def dollars(row: Figures, price: tuple[float, float | None, float]) -> float:
    miss, hit, out = price
    cached = row["cached"] if hit is not None else 0
    return ((row["in"] - cached) * miss + cached * (hit or 0) + row["out"] * out) / 1e6


def print_tokens(results: dict[str, dict[str, Figures]]) -> None:
    base = results.get("all", next(iter(results.values())))["up front"]["out"]
    columns = ("calls", "abstracts", "in", "out", "reasoning", "cached")
    print("| mode | stage | calls | abstracts asked | tokens in | out | reasoning | cached | "
          "out / all's |")  # fmt: skip
    print("| --- | --- |" + " --- |" * (len(columns) + 1))
    for mode, stages in results.items():
        for stage, row in stages.items():
            cells = " | ".join(f"{row[c]:,}" for c in columns)
            print(f"| {mode} | {stage} | {cells} | {row['out'] / base:.0%} |")


def print_money(results: dict[str, dict[str, Figures]]) -> None:
    print("\n| mode | stage | " + " | ".join(PRICES) + " |")
    print("| --- | --- |" + " --- |" * len(PRICES))
    for mode, stages in results.items():
        for stage, row in stages.items():
            money = " | ".join(f"${dollars(row, price):.3f}" for price in PRICES.values())
            print(f"| {mode} | {stage} | {money} |")


async def main(modes: list[str], chats: int) -> None:
    logging.getLogger("bot").setLevel(logging.ERROR)  # each failed answer is counted instead
    papers = list(parse_feed(FEED.read_bytes()).papers)
    print(f"{len(papers)} papers, {chats} chats (/limit {LIMIT}, /lang {LANG}); stages add up: "
          "up front (the fetch run), then 5% and 20% of its papers expanded\n")  # fmt: skip
    results = {}
    for mode in modes:
        results[mode] = await run_mode(mode, papers, chats)
        row = results[mode]["up front"]
        print(f"{mode}: {row['papers']:,} papers summarized in {row['seconds']} s, "
              f"{row['offline']} left offline", flush=True)  # fmt: skip
    print()
    print_tokens(results)
    print_money(results)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="*", choices=MODES, default=list(MODES))
    parser.add_argument("--chats", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.modes, arguments.chats))
