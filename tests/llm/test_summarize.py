"""Summaries: a readable offline TL;DR, one LLM call per paper and language, safe fallbacks."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import feedparser
import httpx
import pytest

from bot.arxiv.clean import plain_markup
from bot.llm.client import LLMSummarizer
from bot.llm.summaries import SummaryService, offline_summary, offline_tldr, split_sentences
from bot.models import Paper
from bot.store import Store

if TYPE_CHECKING:
    from tests.fakes.llm_server import FakeLLM


ARXIV = Path(__file__).parents[1] / "fixtures" / "arxiv"
DAY = 1732780800.0  # 2024-11-28 08:00 UTC
IMMP = Paper(
    id="2310.17072", version=1, title="Isometric Motion Manifold Primitives",
    abstract="The Motion Manifold Primitive (MMP) produces, for a given task, a continuous "
    "manifold of trajectories each of which can successfully complete the task. It consists of "
    "the decoder function that parametrizes the manifold and the probability density in the "
    "latent coordinate space. In this paper, we first show that the MMP performance can "
    "significantly degrade due to the geometric distortion in the latent space -- by distortion, "
    "we mean that similar motions are not located nearby in the latent space. We then propose "
    "{\\it Isometric Motion Manifold Primitives (IMMP)} whose latent coordinate space preserves "
    "the geometry of the manifold. Experiments with planar obstacle-avoiding motions and pushing "
    "manipulation tasks show that IMMP significantly outperforms existing MMP methods. Code is "
    "available at https://github.com/Gabe-YHLee/IMMP",
)  # fmt: skip


def feed_papers(name: str = "rss2-all-archives-2024-11-28.xml") -> list[Paper]:
    """The papers of a recorded feed, their abstracts cleaned of the announce prefix."""
    feed = feedparser.parse((ARXIV / name).read_bytes())
    papers = []
    for n, item in enumerate(feed.entries):
        abstract = re.sub(r"^arXiv:\S+ Announce Type: \S+\s+Abstract:\s*", "", item.description)
        papers.append(Paper(id=f"2411.{n:05d}", version=1, title=item.title,
                            abstract=" ".join(abstract.split())))  # fmt: skip
    return papers


def test_every_offline_tldr_of_a_real_feed_is_a_sentence_cut_at_a_word() -> None:
    papers = feed_papers()
    assert len(papers) > 1000
    for paper in papers:
        tldr = offline_tldr(paper)
        body = tldr.removesuffix("…")
        assert len(tldr) <= 280, tldr
        sentences = split_sentences(plain_markup(paper.abstract))
        sentence = next((s for s in sentences if s.startswith(body)), None)
        assert sentence is not None, f"{paper.id}: {tldr!r} is no sentence of the abstract"
        if tldr.endswith("…"):
            assert sentence[len(body)] in " ,;:", f"{paper.id}: {tldr!r} ends mid-word"


def test_sentences_are_not_split_at_abbreviations_decimals_or_math() -> None:
    first = "We study priors, e.g. Gaussian ones, i.e. smooth ones, as in Smith et al. (2020) and Fig. 3."
    second = "Our method reaches 3.5 dB vs. 2.1 dB of J. Doe's baseline [Phys. Rev. Lett. 105]."
    rest = ["It holds for $x. Y$ too.", "Code is at github.com/a/b."]
    assert split_sentences(" ".join([first, second, *rest])) == [first, second, *rest]


def test_the_offline_tldr_is_the_contribution_not_the_background() -> None:
    assert offline_tldr(IMMP).startswith("We then propose Isometric Motion Manifold")


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("We propose {\\it TeXNet}, a method for learning wonderful and useful ideas.", "TeXNet"),
        ("We propose \\emph{TeXNet}, a method for learning wonderful and useful ideas.", "TeXNet"),
        ("We propose \\textbf{TeXNet}, a method for learning wonderful useful ideas.", "TeXNet"),
        ("We propose {\\bf Tex Net}, a method for learning wonderful and useful ideas.", "Tex Net"),
    ],
)
def test_the_offline_tldr_shows_text_style_markup_as_the_words(written: str, shown: str) -> None:
    math = " It holds for $\\textbf{x}_1<p<2$ and $\\alpha$ as the authors show in proofs."
    paper = Paper(id="x", version=1, title="T", abstract=written + math)
    tldr = offline_tldr(paper)
    assert tldr.startswith(f"We propose {shown}, a method") and "\\" not in tldr
    offline = offline_summary(paper, "zh")
    assert offline.tldr == tldr and offline.abstract == paper.abstract  # stored as written
    assert plain_markup(paper.abstract).endswith(math)  # math stays as written


def test_a_long_sentence_is_cut_at_a_word_with_an_ellipsis() -> None:
    long = Paper(
        id="x", version=1, title="T", abstract="We propose " + "wonderful " * 40 + "ideas."
    )
    tldr = offline_tldr(long)
    assert tldr.endswith("wonderful…") and len(tldr) <= 280


def test_the_offline_summary_is_english_and_flagged() -> None:
    summary = offline_summary(IMMP, "zh")
    assert (summary.title, summary.abstract, summary.lang) == (IMMP.title, IMMP.abstract, "zh")
    assert summary.source == "offline" and summary.is_fallback


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path) as opened:
        yield opened


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as opened:
        yield opened


async def no_sleep(seconds: float) -> None:
    """Backoff delays pass at once in tests."""


def service(store: Store, client, url: str | None, *, budget: int | None = None,
            clock: list[float] | None = None, concurrency: int = 4,
            timeout: float = 5.0) -> SummaryService:  # fmt: skip
    """The service over the fake LLM; `timeout` is generous so that a loaded machine's slow
    answer is never taken for a timeout (the timeout test shortens it)."""
    llm = (LLMSummarizer(client, url, "m", "sk-x", timeout=timeout, retries=1, sleep=no_sleep)
           if url else None)  # fmt: skip
    now = clock or [DAY]
    return SummaryService(store, llm, concurrency=concurrency, daily_budget=budget,
                          clock=lambda: now[0])  # fmt: skip


PAPERS = feed_papers("rss2-quant-ph-2025-04-28.xml")[:4]


async def test_without_an_llm_every_language_gets_the_offline_summary(store: Store) -> None:
    got = await service(store, None, None).summaries(PAPERS, "zh")
    assert list(got) == [p.key for p in PAPERS]
    assert all(
        s.source == "offline" and s.title == p.title
        for s, p in zip(got.values(), PAPERS, strict=True)
    )
    assert store.get_summary(PAPERS[0].key, "zh") == got[PAPERS[0].key]


async def test_a_wrong_language_falls_back_then_is_retried_next_run(
    fake_llm: FakeLLM, store: Store, client, caplog
) -> None:
    fake_llm.script(("english",), ("english",))
    first = (await service(store, client, fake_llm.url).summaries([IMMP], "zh"))[IMMP.key]
    assert first.source == "offline" and first.tldr == offline_tldr(IMMP)  # English, flagged
    assert store.counter("llm_failures") == 1
    assert caplog.text.count(IMMP.key + " [zh]: LLM failed") == 1 and "offline" in caplog.text
    again = await service(store, client, fake_llm.url).summaries([IMMP], "zh")
    assert again[IMMP.key] == first and len(fake_llm.requests) == 2  # no retry unless asked
    retried = await service(store, client, fake_llm.url).summaries(
        [IMMP], "zh", retry_fallbacks=True
    )
    assert retried[IMMP.key].source == "llm" and retried[IMMP.key].tldr != first.tldr
    assert store.get_summary(IMMP.key, "zh").source == "llm"


async def test_one_llm_call_per_paper_and_language_across_runs(
    fake_llm: FakeLLM, store: Store, client
) -> None:
    for _ in range(2):
        got = await service(store, client, fake_llm.url).summaries(
            PAPERS, "zh", retry_fallbacks=True
        )
        assert all(s.source == "llm" for s in got.values())
    assert len(fake_llm.requests) == len(PAPERS)
    await service(store, client, fake_llm.url).summaries(PAPERS + PAPERS, "ja")
    assert len(fake_llm.requests_for("ja")) == len(PAPERS)
    assert store.counter("llm_calls") == 2 * len(PAPERS)


async def test_concurrent_requests_for_the_same_papers_share_one_call(
    fake_llm: FakeLLM, store: Store, client
) -> None:
    shared = service(store, client, fake_llm.url, concurrency=10)
    first, second = await asyncio.gather(
        shared.summaries(PAPERS, "zh"), shared.summaries(list(reversed(PAPERS)), "zh")
    )
    assert first == second and len(fake_llm.requests) == len(PAPERS)


async def test_concurrency_is_bounded(fake_llm: FakeLLM, store: Store, client) -> None:
    both, now, peak = threading.Condition(), [0], [0]

    def slow(body: dict) -> tuple[int, str]:
        with both:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
            both.notify_all()
            both.wait_for(lambda: peak[0] >= 2, timeout=10)  # the first waits for a second
        time.sleep(0.05)  # time for a third to arrive, were the bound broken
        with both:
            now[0] -= 1
        return 200, json.dumps(fake_llm.translation(body), ensure_ascii=False)

    fake_llm.default = ("call", slow)
    await service(store, client, fake_llm.url, concurrency=2).summaries(PAPERS, "zh")
    assert peak[0] == 2 and len(fake_llm.requests) == len(PAPERS)


async def test_a_spent_budget_gives_offline_summaries_until_the_next_day(
    fake_llm: FakeLLM, store: Store, client
) -> None:
    clock = [DAY]
    got = await service(store, client, fake_llm.url, budget=2, clock=clock,
                        concurrency=1).summaries(PAPERS, "zh")  # fmt: skip
    assert [s.source for s in got.values()] == ["llm", "llm", "offline", "offline"]
    assert len(fake_llm.requests) == 2 and store.counter("llm_calls:2024-11-28") == 2
    await service(store, client, fake_llm.url, budget=2, clock=clock).summaries(
        PAPERS, "zh", retry_fallbacks=True
    )
    assert len(fake_llm.requests) == 2  # still the same day: nothing more is spent
    clock[0] += 86400
    got = await service(store, client, fake_llm.url, budget=2, clock=clock).summaries(
        PAPERS, "zh", retry_fallbacks=True
    )
    assert all(s.source == "llm" for s in got.values()) and len(fake_llm.requests) == 4


async def test_a_zero_budget_makes_no_request(fake_llm: FakeLLM, store: Store, client) -> None:
    got = await service(store, client, fake_llm.url, budget=0).summaries(PAPERS, "de")
    assert all(s.source == "offline" for s in got.values()) and fake_llm.requests == []


async def test_a_timeout_still_gives_the_paper_a_tldr(
    fake_llm: FakeLLM, store: Store, client
) -> None:
    fake_llm.script(*[("sleep", 3)] * 2)
    got = await service(store, client, fake_llm.url, timeout=0.3).summaries([IMMP], "zh")
    assert got[IMMP.key].source == "offline" and got[IMMP.key].tldr == offline_tldr(IMMP)


async def test_english_with_an_llm_makes_one_call_for_the_tldr(
    fake_llm: FakeLLM, store: Store, client
) -> None:
    got = (await service(store, client, fake_llm.url).summaries([IMMP], "en"))[IMMP.key]
    assert got.source == "llm" and (got.title, got.abstract) == (IMMP.title, IMMP.abstract)
    assert got.tldr.startswith("In short:") and len(fake_llm.requests) == 1


async def test_an_llm_outage_costs_one_papers_retries_not_every_papers(
    fake_llm: FakeLLM, store: Store, client, caplog
) -> None:
    fake_llm.default = ("status", 503)
    clock = [DAY]
    down = service(store, client, fake_llm.url, clock=clock, concurrency=1)
    got = await down.summaries(PAPERS, "zh")
    assert all(s.source == "offline" and s.tldr for s in got.values())
    assert len(fake_llm.requests) == 2  # the first paper's try and retry; the rest wait for none
    assert caplog.text.count("LLM unavailable after 2 tries: HTTP 503") == 1
    assert store.counter("llm_failures") == len(PAPERS)
    fake_llm.default = ("translate",)
    clock[0] += 601
    got = await down.summaries(PAPERS, "zh", retry_fallbacks=True)
    assert all(s.source == "llm" for s in got.values())


async def test_a_failing_paper_counts_one_llm_failure_however_often_it_is_retried(
    fake_llm: FakeLLM, store: Store, client
) -> None:
    fake_llm.default = ("english",)  # every answer unusable: two tries per run
    for _ in range(3):
        got = await service(store, client, fake_llm.url).summaries(
            [IMMP], "zh", retry_fallbacks=True
        )
        assert got[IMMP.key].source == "offline"
    assert len(fake_llm.requests) == 6 and store.counter("llm_calls") == 6
    assert store.counter("llm_failures") == 1  # one paper failed, not six attempts
    await service(store, client, fake_llm.url).summaries([IMMP], "ja")
    assert store.counter("llm_failures") == 2  # another language is another summary


async def test_a_spent_budget_is_no_llm_failure(fake_llm: FakeLLM, store: Store, client) -> None:
    got = await service(store, client, fake_llm.url, budget=0).summaries(PAPERS, "zh")
    assert all(s.source == "offline" for s in got.values())
    assert store.counter("llm_failures") == 0
