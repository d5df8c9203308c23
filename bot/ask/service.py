"""Asking: a question about a paper answered from its full text, within the chat's daily quota.

The full text is fetched once per paper (arXiv's HTML through the polite client), parsed in a
worker thread and stored; a paper without HTML is answered from its abstract. The LLM request
goes through the summary service (`SummaryService.ask`): today's budget, the outage pause and
the token counts of /stats hold for questions as for summaries.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import lanes
from bot.arxiv import ArxivClient, parse_html
from bot.ask.answer import Answer, read_reply, shown_text
from bot.ask.context import choose_sections
from bot.ask.prompt import READY_QUESTIONS, ask_messages
from bot.config import Settings
from bot.errors import FeedError, FetchError, SummarizeError
from bot.llm import BudgetExhausted, StreamCut, SummaryService
from bot.models import FullText, Paper, Section
from bot.store import Store

log = logging.getLogger(__name__)

MISSING_RETRY = 86400.0  # seconds before a paper without HTML is asked for it again


@dataclass(frozen=True)
class AskRefused:
    """Why a question gets no answer: a catalog key ("ask.quota", "ask.budget", "ask.no_llm",
    "ask.failed", "ask.stopped", "ask.busy") and, for the quota, when it resets (unix time)."""

    key: str
    resets: float = 0.0


@dataclass(frozen=True)
class Asked:
    """An answer, and the turns its thread holds now (the earlier ones, then this one)."""

    answer: Answer
    turns: list[list[str]]


class Asking:
    """Questions about papers (`engine.asking`): quota, full text, context, one LLM request."""

    def __init__(
        self,
        store: Store,
        arxiv: ArxivClient,
        summaries: SummaryService,
        settings: Settings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._arxiv = arxiv
        self._summaries = summaries
        self.settings = settings
        self._clock = clock
        self._texts: dict[str, asyncio.Future[FullText]] = {}  # paper id -> its fetch
        self._ready: dict[tuple[str, str, str], asyncio.Future[Answer]] = {}
        self._waiting: set[int] = set()  # chats whose question is being answered

    def day(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).date().isoformat()

    def resets(self) -> float:
        """When today's quota resets: the next UTC midnight."""
        today = datetime.fromtimestamp(self._clock(), UTC).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        return (today + timedelta(days=1)).timestamp()

    def daily_limit(self, chosen: int | None) -> int:
        """Questions a chat may ask today: its own cap when it set one, within the operator's."""
        most = self.settings.ask_daily_questions
        return most if chosen is None else max(0, min(chosen, most))

    async def ask(
        self,
        chat_id: int,
        lang: str,
        paper: Paper,
        question: str,
        turns: Sequence[Sequence[str]],
        on_text: Callable[[str], None] | None = None,
        limit: int | None = None,
    ) -> Asked | AskRefused:
        """Answer a chat's question (its thread's earlier `turns` kept as context), the answer
        given to `on_text` as it is written (its text so far, closing line left out). `limit`:
        the chat's own daily cap (/questions), never above `ask.daily_questions`."""
        if not self._summaries.enabled:
            return AskRefused("ask.no_llm")
        if chat_id in self._waiting:
            return AskRefused("ask.busy")
        day, limit = self.day(), self.daily_limit(limit)
        if not await lanes.in_thread(self._store.take_question, chat_id, day, limit):
            return AskRefused("ask.quota", self.resets())
        self._waiting.add(chat_id)
        try:
            kept = [list(turn) for turn in turns][-self.settings.ask_turns :]
            if not self.settings.ask_turns:
                kept = []
            answer = await self._answer(paper, question, lang, kept, on_text)
        except SummarizeError as error:
            await lanes.in_thread(self._store.give_back_question, chat_id, day)
            return self._refusal(paper, error)
        finally:
            self._waiting.discard(chat_id)
        return Asked(answer, [*kept, [question, answer.text]])

    async def ready(
        self, lang: str, paper: Paper, name: str, on_text: Callable[[str], None] | None = None
    ) -> Answer | AskRefused:
        """The answer to a ready question: made once per paper and language, shared by every
        chat (stored); not counted in a chat's quota. The chat whose press makes it sees it
        written (`on_text`); the others get it whole."""
        if name not in READY_QUESTIONS:
            return AskRefused("ask.failed")
        stored = await lanes.in_thread(self._store.get_ready, paper.id, lang, name)
        if stored is not None:
            return Answer.from_dict(stored)
        if not self._summaries.enabled:
            return AskRefused("ask.no_llm")
        key = (paper.id, lang, name)
        future = self._ready.get(key)
        if future is None:
            future = asyncio.ensure_future(self._make_ready(paper, lang, name, on_text))
            self._ready[key] = future
            future.add_done_callback(lambda _: self._ready.pop(key, None))
        try:
            return await asyncio.shield(future)
        except SummarizeError as error:
            return self._refusal(paper, error)

    async def _make_ready(
        self, paper: Paper, lang: str, name: str, on_text: Callable[[str], None] | None
    ) -> Answer:
        answer = await self._answer(paper, READY_QUESTIONS[name], lang, [], on_text)
        await lanes.in_thread(self._store.put_ready, paper.id, lang, name, answer.to_dict())
        return answer

    def _refusal(self, paper: Paper, error: SummarizeError) -> AskRefused:
        if isinstance(error, BudgetExhausted):
            return AskRefused("ask.budget")
        if isinstance(error, StreamCut):
            log.warning("%s: the answer stopped mid-way: %s", paper.id, error)
            return AskRefused("ask.stopped")
        log.warning("%s: no answer to a question: %s", paper.id, error)
        return AskRefused("ask.failed")

    async def _answer(
        self,
        paper: Paper,
        question: str,
        lang: str,
        turns: list[list[str]],
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """One streamed LLM request from the sections the question needs; SummarizeError on
        failure."""
        text = await self.full_text(paper)
        sections: Sequence[Section] = text.sections
        if text.missing or not sections:
            sections = (Section("", "Abstract", paper.abstract),)
        asked = " ".join([question, *(q for q, _ in turns)])
        chosen = await lanes.in_thread(
            choose_sections, sections, asked, self.settings.ask_max_context_chars
        )
        abstract_only = text.missing or not text.sections
        messages = ask_messages(
            paper, text.title, chosen, question, lang, turns=turns, abstract_only=abstract_only
        )

        def show(text: str) -> None:
            if on_text is not None:
                on_text(shown_text(text))

        reply = await self._summaries.ask(messages, on_text=show)
        return read_reply(reply, chosen, abstract_only)

    async def full_text(self, paper: Paper) -> FullText:
        """The paper's stored text, else fetched once whoever asks (a missing one again a day
        later); arXiv failing gives a missing text, not stored."""
        stored = await lanes.in_thread(self._store.get_fulltext, paper.id)
        if stored is not None and not (
            stored.missing and self._clock() - stored.fetched > MISSING_RETRY
        ):
            return stored
        future = self._texts.get(paper.id)
        if future is None:
            future = asyncio.ensure_future(self._fetch(paper))
            self._texts[paper.id] = future
            future.add_done_callback(lambda _: self._texts.pop(paper.id, None))
        return await asyncio.shield(future)

    async def _fetch(self, paper: Paper) -> FullText:
        now = self._clock()
        try:
            content = await self._arxiv.fetch_html(paper.id)
        except FetchError as error:  # down, or a page past the size cap: the abstract for now
            log.warning("%s: no full text for now: %s", paper.id, error)
            return FullText(paper.id, missing=True, fetched=now)
        text = FullText(paper.id, missing=True, fetched=now)
        if content is not None:
            try:
                text = await lanes.in_thread(parse_html, content, paper.id)
                text = FullText(text.paper_id, text.title, text.sections, False, now)
            except FeedError as error:  # an error page answered 200
                log.warning("%s: %s; answering from the abstract", paper.id, error)
        await lanes.in_thread(self._store.put_fulltext, text)
        return text
