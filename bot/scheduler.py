"""Jobs: the fetch run (at start-up, then hourly) and the check for deliveries that fell due.

The store is the source of truth. Each chat keeps the last delivery time it had (`last_slot`); a
check every few seconds compares it with the chat's latest HH:MM in its time zone, so a restart
rebuilds nothing, a digest due while the bot was down goes out once when it is back, and a new
/time or /timezone counts from the next check. A slot with nothing new stays open until papers
arrive or the next slot replaces it, so a digest due before the fetch still arrives that day.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.digest import chat_feeds, chat_topics, is_weekly, join_feeds
from bot.digest import latest_slot as slots_latest
from bot.digest import next_slot as slots_next
from bot.engine import Engine, FetchRun
from bot.models import Chat, Digest
from bot.pipeline import Candidates, MadeDigest, prepare_digest, run_fetch
from bot.telegram import bulk_sends, send_page
from bot.views import page_to_send

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
T = TypeVar("T")
MAKING_AT_ONCE = 4
WEEKLY_OPEN = timedelta(days=1)  # a weekly slot stays open on its day only, never on others


def utc_now() -> datetime:
    return datetime.now(UTC)


def latest_slot(chat: Chat, now: datetime) -> datetime | None:
    """The chat's most recent delivery time at or before `now` (UTC); None for "asap"."""
    return slots_latest(chat, now)


def next_slot(chat: Chat, now: datetime) -> datetime | None:
    """The chat's next delivery time after `now`, in its own time zone; None for "asap"."""
    return slots_next(chat, now)


def slot_due(chat: Chat, now: datetime) -> str | None:
    """The slot (ISO, UTC) this chat should be delivered for now, or None when none is open."""
    if not chat.active or chat.paused or not chat.topics:
        return None
    if chat.time == "asap":
        return now.isoformat()
    slot = latest_slot(chat, now)
    if slot is None or (chat.last_slot and slot <= datetime.fromisoformat(chat.last_slot)):
        return None
    if is_weekly(chat) and now - slot >= WEEKLY_OPEN:
        return None  # nothing matched on its day: the papers wait for next week's digest
    return slot.isoformat()


class Scheduler:
    """Owns the two repeating jobs and the memory of which open slots were already checked."""

    def __init__(
        self, app: Application[Any, Any, Any, Any, Any, Any], engine: Engine, clock: Clock = utc_now
    ) -> None:
        self.app = app
        self.engine = engine
        self.clock = clock
        self.generation = 0  # bumped when a fetch stores new papers
        self.fetch_runs = 0
        self._checked: dict[int, tuple[int, Chat]] = {}
        self._lock = asyncio.Lock()
        # Digests made at once: making one is CPU in a worker thread (select, summaries looked
        # up), which still takes the GIL from the loop; a few at once leave replies a turn.
        self._making = asyncio.Semaphore(MAKING_AT_ONCE)

    def start(self) -> None:
        """Schedule the fetch (now, then every `fetch_every_minutes`) and the delivery check."""
        queue = self.app.job_queue
        assert queue is not None, "python-telegram-bot[job-queue] is a dependency"
        settings = self.engine.settings
        every = settings.fetch_every_minutes * 60
        # An interval trigger skips a first run time already past when the scheduler starts,
        # so the start-up fetch is its own one-off job.
        queue.run_once(self._fetch_job, 0, name="fetch at start-up")
        queue.run_repeating(self._fetch_job, every, first=every, name="fetch")
        queue.run_repeating(
            self._check_job,
            settings.check_every_seconds,
            first=settings.check_every_seconds,
            name="deliveries",
        )
        # Retention (storage.keep_days): an hour after start-up, then daily, in a worker thread.
        queue.run_repeating(
            self._retention_job,
            timedelta(days=1),
            first=timedelta(hours=1),
            name="retention",
        )

    async def _retention_job(self, _: ContextTypes.DEFAULT_TYPE) -> None:
        store, keep_days = self.engine.store, self.engine.settings.keep_days
        with bulk_sends():
            await store.run(store.prune, keep_days, self.clock().timestamp())

    async def _fetch_job(self, _: ContextTypes.DEFAULT_TYPE) -> None:
        await self.fetch()

    async def _check_job(self, _: ContextTypes.DEFAULT_TYPE) -> None:
        await self.deliver_due()

    def fetch_for(self, chat: Chat) -> list[str]:
        """Fetch now, in the background, the chat's feeds that no run plans and that were not
        asked a moment ago (a new topic); the queries planned, [] when none was needed.

        Planned before this returns: every other subscriber of the same feeds finds them
        planned and shares this one request, and their /digest waits for it.
        """
        feeds = chat_feeds(chat_topics(chat.topics), self.engine.settings.keyword_scope)
        stale = self.engine.fetches.stale(feeds)
        if not stale:
            return []
        queries = join_feeds(stale)
        log.info("fetching new feed(s) now: %s", ", ".join(queries))
        run = self.engine.fetches.plan(queries)
        self.app.create_task(self.fetch(queries, run), name="fetch-new-feeds")
        return queries

    async def fetch(self, queries: list[str] | None = None, run: FetchRun | None = None) -> None:
        """One fetch run, then deliveries that were waiting for its papers (bulk lane)."""
        with bulk_sends():
            report = await run_fetch(self.engine, queries, run)
            self.fetch_runs += 1
            log.info("fetch: %s", report.line())
            if report.new_papers:
                self.generation += 1
            await self.deliver_due()

    async def deliver_due(self) -> None:
        """Finish interrupted deliveries, then deliver every chat whose slot is open.

        Up to `delivery_concurrency` chats are served at once, each chat's messages in order;
        the rate limiter paces them overall, and they make way for replies to users.
        """
        async with self._lock:
            with bulk_sends():
                await self._resume_interrupted()
                now, candidates = self.clock(), Candidates(self.engine.store)
                due = [
                    (chat.chat_id, slot)
                    for chat in await self.engine.db.all_chats()
                    if (slot := slot_due(chat, now)) is not None
                    and self._checked.get(chat.chat_id) != (self.generation, chat)
                ]
                await self._each_chat(due, lambda item: self._deliver(*item, now, candidates))
            if due:
                journal = self.engine.store.journal
                log.info("delivery pass: %d chat(s) due; messages %s", len(due), journal.figures())

    async def _each_chat(
        self, items: list[tuple[int, T]], work: Callable[[tuple[int, T]], Awaitable[None]]
    ) -> None:
        """Run `work` for each (chat id, ...) item, a bounded number at once; one chat's
        failure, whatever it is, is logged with its id and left for the next pass."""
        pending = iter(items)

        async def worker() -> None:
            for item in pending:
                try:
                    await work(item)
                except TelegramError as error:
                    log.warning("delivery to chat %s failed, will retry: %s", item[0], error)
                except Exception:  # noqa: BLE001 (any bug in one digest must spare the others)
                    log.exception("delivery to chat %s failed, will retry next pass", item[0])

        workers = min(self.engine.settings.delivery_concurrency, len(items))
        async with asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())

    async def _deliver(
        self, chat_id: int, slot: str, now: datetime, candidates: Candidates
    ) -> None:
        """Make and send one chat's digest, from its state as stored now, not at the pass start."""
        db = self.engine.db
        chat = await db.get_chat(chat_id)
        if chat is None or slot_due(chat, now) is None:
            return
        async with self._making:
            made = await prepare_digest(self.engine, chat, candidates)
        if made is None:
            self._checked[chat.chat_id] = (self.generation, chat)
            return
        latest = await db.get_chat(chat.chat_id) or chat
        if chat.time != "asap":
            await db.put_chat(latest.with_changes(last_slot=slot))
        self._checked.pop(chat.chat_id, None)
        if not _receives(latest):  # paused or gone while it was made: sent after /resume
            return
        digest = made.digest
        if latest.lang != digest.lang:  # /lang while it was made: sent in the new language
            digest = digest.with_changes(lang=latest.lang)
            await db.put_digest(digest)
        await self._send(digest, made)

    async def _resume_interrupted(self) -> None:
        """Send the rest of digests a crash or a failed send left, chats that receive only."""
        digests = [
            (digest.chat_id, digest)
            for digest in await self.engine.db.undelivered_digests()
            if _receives(await self.engine.db.get_chat(digest.chat_id))
        ]
        await self._each_chat(digests, self._resume)

    async def _resume(self, item: tuple[int, Digest]) -> None:
        log.info("resuming digest %s of chat %s", item[1].number, item[0])
        await self._send(item[1])

    async def _send(self, digest: Digest, made: MadeDigest | None = None) -> None:
        """Send page 1 of a digest: its view asked of the engine once, then sent and recorded."""
        async with page_to_send(self.engine, digest, 1, made) as view:
            if view is not None:
                await send_page(self.app.bot, self.engine, view)


def _receives(chat: Chat | None) -> bool:
    """Whether a stored chat takes scheduled messages now."""
    return chat is not None and chat.active and not chat.paused and bool(chat.topics)
