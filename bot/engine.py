"""Engine: the settings, store, arXiv client and summary service a run needs, opened together."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from bot.config import Settings
from bot.fetch import ArxivClient
from bot.learn import RankCache
from bot.llm import LLMSummarizer
from bot.store import Store
from bot.summarize import SummaryService


@dataclass
class Engine:
    """What the pipeline, the CLI and the handlers share; made by `open_engine`."""

    settings: Settings
    store: Store
    arxiv: ArxivClient
    summaries: SummaryService
    http: httpx.AsyncClient
    fetch_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # (chat id, digest number) of first pages being sent now: one sender per digest at a time
    delivering: set[tuple[int, int]] = field(default_factory=set)
    # one digest being made per chat at a time (a /digest and the scheduler may meet)
    chat_locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    # the TF-IDF index and embeddings of a day's papers, shared by every chat's ranking
    ranking: RankCache = field(default_factory=RankCache)


def make_summary_service(
    settings: Settings, store: Store, http: httpx.AsyncClient
) -> SummaryService:
    """The summary service: the LLM when one is configured, offline otherwise."""
    summarizer = None
    if settings.llm_enabled:
        summarizer = LLMSummarizer(
            http,
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key,
            model=settings.llm_model,
            timeout=settings.llm_timeout,
            retries=settings.llm_retries,
            backoff=settings.llm_backoff,
            other_secrets=(settings.telegram_token,),  # an answer quoting it is refused
        )
    return SummaryService(
        store,
        summarizer,
        concurrency=settings.llm_concurrency,
        daily_budget=settings.llm_daily_budget,
    )


def open_engine_now(settings: Settings) -> Engine:
    """Open the store and one HTTP client; the caller closes them with `close_engine`."""
    store = Store(settings.data_dir)
    http = httpx.AsyncClient(follow_redirects=True)
    arxiv = ArxivClient(
        http,
        settings.arxiv_rss_url,
        settings.arxiv_api_url,
        min_interval=settings.arxiv_min_interval,
        retries=settings.arxiv_retries,
        backoff=settings.arxiv_backoff,
        timeout=settings.arxiv_timeout,
        max_response_bytes=settings.arxiv_max_response_bytes,
    )
    return Engine(settings, store, arxiv, make_summary_service(settings, store, http), http)


async def close_engine(engine: Engine) -> None:
    """Close the HTTP client and the store (which commits)."""
    try:
        await engine.http.aclose()
    finally:
        engine.store.close()


@asynccontextmanager
async def open_engine(settings: Settings) -> AsyncIterator[Engine]:
    """The engine for the length of a `with` block, closed whatever happened."""
    engine = open_engine_now(settings)
    try:
        yield engine
    finally:
        await close_engine(engine)
