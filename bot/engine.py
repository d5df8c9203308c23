"""Engine: the settings, store, arXiv client and summary service a run needs, opened together."""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial

import httpx

from bot.arxiv import ArxivClient, archive_of
from bot.ask import Asking
from bot.config import Settings
from bot.digest import chat_feeds, chat_topics
from bot.links import HuggingFaceClient, LinkService
from bot.llm import ADAPTATIONS_NOTE, Adaptations, InterestTerms, LLMSummarizer, SummaryService
from bot.models import Chat
from bot.ranking import Ranking
from bot.store import AsyncStore, Store

TERMS_WAIT = 15.0  # seconds at most a /interests reply waits for the LLM's search terms


class FeedFetches:
    """Fetches of feeds, planned, under way and just done: each feed is asked once per need.

    A run plans its queries when it starts (`plan`, no await in between, so the next asker sees
    them) and each query stays planned until it is fetched and stored. A query already being
    fetched is not requested again: whoever else needs it awaits the same fetch (`once`). A new
    subscriber's feeds are fetched only when no plan holds them and none was asked within
    `fresh_seconds` (`stale`). A /digest waits only for the planned queries that hold feeds its
    chat reads (`wait_for`), not for other feeds nor for summarizing.
    """

    def __init__(self, fresh_seconds: float = 300.0) -> None:
        self.fresh_seconds = fresh_seconds
        self.plans: list[list[str]] = []  # the queries each run under way has still to fetch
        self.inflight: dict[str, asyncio.Future[int | None]] = {}
        self.asked: dict[str, float] = {}  # feed name -> time.monotonic() of its last answer
        self.changed = asyncio.Event()

    @property
    def runs(self) -> int:
        """Fetch runs under way, summarizing included."""
        return len(self.plans)

    def plan(self, queries: Sequence[str]) -> FetchRun:
        """Register a run of these queries now; the caller runs it `with` the returned run."""
        run = FetchRun(self, list(queries))
        self.plans.append(run.left)
        return run

    def stale(self, feeds: Iterable[str]) -> list[str]:
        """The feeds that no run plans and that were not asked within `fresh_seconds`."""
        now = time.monotonic()
        planned = [query for left in self.plans for query in left]
        return [
            feed
            for feed in feeds
            if not any(covers(query, [feed]) for query in planned)
            and now - self.asked.get(feed, -math.inf) > self.fresh_seconds
        ]

    async def once(self, query: str, fetch: Callable[[], Awaitable[int | None]]) -> int | None:
        """Fetch a query, or await the fetch of it already under way (one request for all)."""
        future = self.inflight.get(query)
        if future is None:
            future = asyncio.ensure_future(fetch())
            self.inflight[query] = future
            future.add_done_callback(lambda done: self._answered(query, done))
        return await asyncio.shield(future)

    def _answered(self, query: str, done: asyncio.Future[int | None]) -> None:
        self.inflight.pop(query, None)
        if not done.cancelled() and done.exception() is None:
            now = time.monotonic()
            self.asked.update(dict.fromkeys(query.split("+"), now))

    async def wait_for(self, feeds: Collection[str]) -> None:
        """Until no run plans a query that holds any of these feed names."""
        while any(covers(query, feeds) for left in self.plans for query in left):
            await self.changed.wait()

    def wake(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


@dataclass
class FetchRun:
    """One run's plan: the queries it has still to fetch; `with run:` ends it."""

    fetches: FeedFetches
    left: list[str]
    queries: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.queries = tuple(self.left)

    def done(self, query: str) -> None:
        """The query is fetched and stored (or failed): the run no longer plans it."""
        if query in self.left:
            self.left.remove(query)
        self.fetches.wake()

    def __enter__(self) -> FetchRun:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.left in self.fetches.plans:
            self.fetches.plans.remove(self.left)
        self.fetches.wake()


def covers(query: str, feeds: Collection[str]) -> bool:
    """Whether a "+"-joined query holds papers of these feeds (cs holds cs.AI, and back)."""
    names = set(query.split("+"))
    return any(f in names or archive_of(f) in names or f in map(archive_of, names) for f in feeds)


@dataclass
class Engine:
    """What the pipeline, the CLI and the handlers share; made by `open_engine`."""

    settings: Settings
    store: Store
    arxiv: ArxivClient
    summaries: SummaryService
    http: httpx.AsyncClient
    fetches: FeedFetches = field(default_factory=FeedFetches)
    # (chat id, digest number) of first pages being sent now: one sender per digest at a time
    delivering: set[tuple[int, int]] = field(default_factory=set)
    # one digest being made per chat at a time (a /digest and the scheduler may meet)
    chat_locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock)
    )
    # every chat's ranking, with the TF-IDF index and embeddings of a day's papers it shares
    ranking: Ranking = field(init=False)
    db: AsyncStore = field(init=False)  # the store's calls, awaited in a worker thread
    # English search terms for interests in another language, made by the LLM
    terms: InterestTerms = field(init=False)
    # questions about papers, answered from their full text
    asking: Asking = field(init=False)
    # an expanded paper's code and models (the Hugging Face paper API), kept a day
    links: LinkService = field(init=False)

    def __post_init__(self) -> None:
        self.db = AsyncStore(self.store)
        self.ranking = Ranking(self.store, self.http, self.settings)
        self.terms = InterestTerms(
            self.store,
            self.summaries,
            llm=self.settings.llm_enabled,
            embed=self.settings.embed_enabled,
            wait=min(self.settings.llm_timeout, TERMS_WAIT),
        )
        self.asking = Asking(self.store, self.arxiv, self.summaries, self.settings)
        self.fetches.fresh_seconds = self.settings.fresh_minutes * 60
        self.links = LinkService(self.store, make_links_client(self.settings, self.http))

    async def feeds_fetched(self, chat: Chat) -> None:
        """Return once no fetch under way or planned holds a feed this chat reads."""
        topics = chat_topics(chat.topics)
        await self.fetches.wait_for(chat_feeds(topics, self.settings.keyword_scope))


def make_links_client(settings: Settings, http: httpx.AsyncClient) -> HuggingFaceClient | None:
    """The Hugging Face paper API's client, None when links.huggingface is off."""
    if not settings.links_huggingface:
        return None
    return HuggingFaceClient(http, settings.links_huggingface_api_url, settings.links_timeout)


def make_summary_service(
    settings: Settings, store: Store, http: httpx.AsyncClient
) -> SummaryService:
    """The summary service: the LLM when one is configured, offline otherwise."""
    summarizer = None
    if settings.llm_enabled:
        # what each model refused, learned on earlier runs and kept in the store
        learned = Adaptations(
            store.get_note(ADAPTATIONS_NOTE), save=partial(store.put_note, ADAPTATIONS_NOTE)
        )
        summarizer = make_summarizer(settings, http, learned)
    return SummaryService(
        store,
        summarizer,
        concurrency=settings.llm_concurrency,
        daily_budget=settings.llm_daily_budget,
        abstracts=settings.llm_abstracts,
    )


def make_summarizer(
    settings: Settings, http: httpx.AsyncClient, adaptations: Adaptations | None = None
) -> LLMSummarizer:
    """The LLM client as the settings describe it (the `check` command uses it alone)."""
    return LLMSummarizer(
        http,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        timeout=settings.llm_timeout,
        retries=settings.llm_retries,
        backoff=settings.llm_backoff,
        other_secrets=(settings.telegram_token,),  # an answer quoting it is refused
        extra_body=settings.llm_extra_body,
        omit=settings.llm_omit,
        max_output_tokens=settings.llm_max_output_tokens,
        adaptations=adaptations,
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
        html_url=settings.arxiv_html_url,
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
