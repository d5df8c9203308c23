"""The daily job as it reads: fetch, parse, store, select, summarize; and a chat's next digest."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial

from bot import lanes
from bot.arxiv import parse_feed
from bot.digest import Entry, Pool, feed_queries, is_weekly, select_papers
from bot.engine import Engine, FetchRun
from bot.errors import FeedError, FetchError
from bot.llm import Usage
from bot.models import Chat, Digest, Paper, Summary
from bot.ranking import reason_of, reason_text
from bot.store import Store

log = logging.getLogger(__name__)

FIRST_DIGEST_LOOKBACK = 7  # announcement days a chat's first digest looks back for its papers


@dataclass(frozen=True)
class FetchReport:
    """What one fetch run did, for logs, `arxiv-digest fetch` and /stats."""

    feeds: int = 0
    unchanged: int = 0
    failed: tuple[str, ...] = ()
    new_papers: int = 0
    summarized: int = 0
    usage: Usage = Usage()  # the LLM's answers while the run ran
    llm_paused: str = ""  # why the LLM is left alone after the run, if it is

    def line(self) -> str:
        failed = f", failed: {', '.join(self.failed)}" if self.failed else ""
        llm = f"; LLM: {self.usage.calls} answer(s), tokens {self.usage.line()}"
        paused = f"; LLM paused: {self.llm_paused}" if self.llm_paused else ""
        return (
            f"{self.feeds} feed(s) asked, {self.unchanged} unchanged, {self.new_papers} new "
            f"paper(s), {self.summarized} paper(s) summarized{failed}"
            + (llm if self.usage.calls else "")
            + paused
        )


async def run_fetch(
    engine: Engine, queries: Sequence[str] | None = None, run: FetchRun | None = None
) -> FetchReport:
    """Fetch every feed the chats need (or `queries`, or a `run` planned already), store new
    papers, summarize what is due. A feed another run is fetching is awaited, not asked again."""
    chats = [chat for chat in await engine.db.all_chats() if chat.active]
    engine.summaries.next_run()  # an LLM that refused the last run is asked once more
    spent = engine.summaries.spent
    if run is None:
        run = engine.fetches.plan(
            queries if queries is not None else feed_queries(chats, engine.settings.keyword_scope)
        )
    with run:
        new, unchanged, failed = 0, 0, []
        for query in run.queries:
            try:
                added = await engine.fetches.once(query, partial(fetch_and_store, engine, query))
            except (FetchError, FeedError) as error:
                log.warning("fetch of %s failed: %s", query, error)
                failed.append(query)
                continue
            finally:
                run.done(query)
            if added is None:
                unchanged += 1
            else:
                new += added
        chats = await engine.terms.catch_up(chats)  # interest terms a failed LLM still owes
        summarized = await summarize_pending(engine, chats)
    await engine.db.put_feed_state("_last_run", {"at": time.time(), "failed": failed})
    state = engine.summaries.state()
    return FetchReport(
        len(run.queries),
        unchanged,
        tuple(failed),
        new,
        summarized,
        engine.summaries.spent - spent,
        state.line() if state else "",
    )


async def fetch_and_store(engine: Engine, query: str) -> int | None:
    """Fetch one feed conditionally and store its papers; None when arXiv said 304."""
    state = await engine.db.get_feed_state(query)
    response = await engine.arxiv.fetch_feed(
        query, state.get("etag", ""), state.get("last_modified", "")
    )
    if response.unchanged:
        return None
    feed = await lanes.in_thread(parse_feed, response.content)  # seconds for a big feed
    added = await lanes.in_thread(engine.store.put_papers, feed.papers)
    # The validators are saved after the papers: a kill in between costs a refetch, not papers.
    await engine.db.put_feed_state(
        query,
        {
            "etag": response.etag,
            "last_modified": response.last_modified,
            "fetched_at": time.time(),
            "announced": feed.announced,
            "papers": len(feed.papers),
        },
    )
    log.info(
        "feed %s: %d paper(s), %d new, announced %s",
        query,
        len(feed.papers),
        added,
        feed.announced or "-",
    )
    return added


class Candidates:
    """The store's papers announced after a day, read once and shared by every chat of a run.

    Each window of days is one `Pool`, so a topic's matches are found once for all chats.
    Worker threads of one pass share it: the first to ask for a window reads it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._since: dict[str, Pool] = {}
        self._days: list[str] | None = None
        self._lock = threading.Lock()

    def since(self, after_iso: str) -> Pool:
        with self._lock:
            if after_iso not in self._since:
                self._since[after_iso] = Pool(self.store.announced_since(after_iso))
            return self._since[after_iso]

    def recent_days(self) -> list[str]:
        """The latest announcement days that hold papers, newest first."""
        with self._lock:
            if self._days is None:
                days = sorted(self.store.days_with_papers(), reverse=True)
                self._days = days[:FIRST_DIGEST_LOOKBACK]
            return self._days


async def summarize_pending(engine: Engine, chats: Iterable[Chat]) -> int:
    """Summarize, once per language, every paper some chat is due to receive, best ranked
    first: a daily LLM budget that runs out leaves the least relevant with the offline TL;DR.
    Papers on some chat's first page get their whole abstract too (`llm.abstracts`)."""
    pending = await engine.store.run(_pending_by_chat, engine.store, list(chats))
    by_language: dict[str, dict[str, tuple[int, Paper]]] = {}
    first_pages: dict[str, set[str]] = {}
    for chat, papers in pending:
        queue = by_language.setdefault(chat.lang, {})
        first_page = first_pages.setdefault(chat.lang, set())
        for position, paper in enumerate((await engine.ranking.order(chat, papers)).papers):
            if paper.key not in queue or position < queue[paper.key][0]:
                queue[paper.key] = (position, paper)  # its best place in any chat's digest
            if position < chat.limit:
                first_page.add(paper.key)
    for lang, queue in by_language.items():
        papers = [paper for _, paper in sorted(queue.values(), key=lambda item: item[0])]
        await engine.summaries.summaries(
            papers, lang, retry_fallbacks=True, whole=first_pages[lang]
        )
    return sum(len(queue) for queue in by_language.values())


def _pending_by_chat(store: Store, chats: list[Chat]) -> list[tuple[Chat, list[Paper]]]:
    """Each receiving chat with the papers due to it, in digest order (blocking)."""
    candidates = Candidates(store)
    return [
        (chat, pending_papers(store, chat, candidates))
        for chat in chats
        if chat.active and not chat.paused
    ]


def pending_papers(store: Store, chat: Chat, candidates: Candidates | None = None) -> list[Paper]:
    """The papers this chat has not had yet, in digest order (blocking: run it in a thread).

    A chat that had digests gets what was announced since the day of its last one (that day
    included, so a topic added after a digest still brings that day's papers); a chat's first
    digest covers the latest announcement day that holds papers for it (among the last few),
    a weekly chat's the seven days up to the latest announcement day.
    """
    candidates = candidates or Candidates(store)
    sent = store.sent_paper_ids(chat.chat_id)
    if chat.last_announced:
        return select_papers(candidates.since(_day_before(chat.last_announced)), chat, sent)
    recent = candidates.recent_days()
    if not recent:
        return []
    if is_weekly(chat):  # a weekly chat's first digest holds the latest week, not one day
        week_start = date.fromisoformat(recent[0]) - timedelta(days=7)
        return select_papers(candidates.since(week_start.isoformat()), chat, sent)
    # One selection over the recent days; each paper is in the pool once, on its first day.
    selected = select_papers(candidates.since(_day_before(recent[-1])), chat, sent)
    newest = max((paper.announced for paper in selected), default="")
    return [paper for paper in selected if paper.announced == newest]


@dataclass(frozen=True)
class MadeDigest:
    """A digest just made and stored, with its papers and summaries for sending it now."""

    digest: Digest
    papers: tuple[Paper, ...]
    summaries: dict[str, Summary]  # by paper key, in the digest's language

    def holds(self, digest: Digest) -> bool:
        """Whether `digest` is still this one, in the same language (not changed by /lang)."""
        return (digest.paper_ids, digest.lang) == (self.digest.paper_ids, self.digest.lang)

    def entries(self, numbers: Iterable[int]) -> list[Entry]:
        """The numbered entries, from what was made (nothing looked up again)."""
        chosen = [(n, self.papers[n - 1]) for n in numbers]
        return [
            Entry(n, paper, self.summaries[paper.key], _why(self.digest, n)) for n, paper in chosen
        ]


async def make_digest(
    engine: Engine, chat: Chat, candidates: Candidates | None = None
) -> Digest | None:
    """Build and store this chat's next digest, its summaries ready; None when nothing is new."""
    made = await prepare_digest(engine, chat, candidates)
    return made.digest if made else None


async def prepare_digest(
    engine: Engine, chat: Chat, candidates: Candidates | None = None
) -> MadeDigest | None:
    """`make_digest`, keeping the papers and summaries it selected for the first page.

    Chats handled in one pass share `candidates`, so the store's papers are read once. Two
    callers for one chat (a /digest during the scheduled delivery) take turns: the second finds
    the first's papers already sent.
    """
    async with engine.chat_locks[chat.chat_id]:
        return await _make_digest(engine, chat, candidates)


async def _make_digest(
    engine: Engine, chat: Chat, candidates: Candidates | None
) -> MadeDigest | None:
    selected = await engine.store.run(pending_papers, engine.store, chat, candidates)
    if not selected:
        return None
    ordered = await engine.ranking.order(chat, selected)  # the chat's ranking, if it has one
    papers = ordered.papers
    first_page = {paper.key for paper in papers[: chat.limit]}
    # rank order: spend follows
    summaries = await engine.summaries.summaries(papers, chat.lang, whole=first_page)
    tip = not ordered.has_signal and len(papers) > chat.limit and not chat.interests_tip_shown
    digest = Digest(
        chat_id=chat.chat_id,
        number=await engine.db.next_digest_number(chat.chat_id),
        announced=max(paper.announced for paper in papers),
        topics=chat.topics,
        paper_ids=tuple(paper.id for paper in papers),
        lang=chat.lang,
        limit=chat.limit,
        created=time.time(),
        reasons=ordered.reasons,
        interests_tip=tip,
    )
    await engine.db.add_digest(digest, chat)  # and last_announced, of the chat as stored now
    return MadeDigest(digest, tuple(papers), summaries)


async def digest_entries(engine: Engine, digest: Digest, numbers: Iterable[int]) -> list[Entry]:
    """The numbered entries of a stored digest, each with its summary in the digest's language."""
    numbers = list(numbers)
    stored = await engine.db.get_papers([digest.paper_ids[n - 1] for n in numbers])
    papers = {
        n: stored[digest.paper_ids[n - 1]] for n in numbers if digest.paper_ids[n - 1] in stored
    }
    summaries = await engine.summaries.summaries(list(papers.values()), digest.lang)
    return [
        Entry(number, paper, summaries[paper.key], _why(digest, number))
        for number, paper in papers.items()
    ]


def _why(digest: Digest, number: int) -> str:
    """The 💡 line of a ranked first-page entry, in the digest's language ("" for none)."""
    if number > len(digest.reasons):
        return ""
    return reason_text(reason_of(digest.reasons[number - 1]), digest.lang)


def _day_before(iso_day: str) -> str:
    return (date.fromisoformat(iso_day) - timedelta(days=1)).isoformat()
