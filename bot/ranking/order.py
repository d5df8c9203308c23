"""A chat's digest in the order its interests and votes ask for, with why; shared work cached.

Per announcement-day set, one TF-IDF `PaperIndex` (and, with `EMBED_BASE_URL`, one embedding
of each paper) serves every chat; per chat, its signal (interests, the members' votes) ranks
the papers its topics selected. A chat without a signal keeps the selection's order.
"""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import numpy as np

from bot import lanes
from bot.config import Settings
from bot.digest import strip_invisible
from bot.models import Chat, Paper
from bot.ranking.embed import (
    EmbeddingClient,
    EmbeddingSpace,
    EmbedError,
    MappingVectorCache,
    embed_cached,
    paper_key,
    rank_with_fallback,
    text_key,
)
from bot.ranking.index import PaperIndex, paper_text
from bot.ranking.rank import NO_REASON, Reason, Signal, voted_papers
from bot.store import Store

log = logging.getLogger(__name__)

INTERESTS_LIMIT = 500  # characters of /interests text
INDEXES_KEPT = 4  # day sets whose index stays cached (today's, a weekly chat's week, ...)
EMBED_RETRY_SECONDS = 600.0  # after a failure the embeddings API is left alone this long


class InterestsRefused(ValueError):
    """/interests text that cannot be stored: `reason` is "too_long" or "no_words"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def clean_interests(text: str) -> str:
    """Interests as stored: invisible characters gone, one space between words; refused when
    longer than INTERESTS_LIMIT characters or holding no letter at all."""
    cleaned = " ".join(strip_invisible(text).split())
    if len(cleaned) > INTERESTS_LIMIT:
        raise InterestsRefused("too_long")
    if not any(unicodedata.category(char).startswith("L") for char in cleaned):
        raise InterestsRefused("no_words")
    return cleaned


@dataclass(frozen=True)
class Ordered:
    """A chat's papers in digest order and, for the first page, why each is there."""

    papers: list[Paper]
    reasons: tuple[dict[str, Any], ...] = ()
    has_signal: bool = False


def reason_data(reason: Reason) -> dict[str, Any]:
    """A Reason as the digest stores it (JSON)."""
    return asdict(reason)


def reason_of(data: Any) -> Reason:
    """The Reason a digest stored; no reason for anything else."""
    if not isinstance(data, dict):
        return NO_REASON
    words = data.get("words", ())
    return Reason(
        kind=str(data.get("kind", "none")),
        words=tuple(str(w) for w in words) if isinstance(words, list | tuple) else (),
        title=str(data.get("title", "")),
        paper_id=str(data.get("paper_id", "")),
        name=str(data.get("name", "")),
    )


def chat_signal(store: Store, chat: Chat) -> Signal:
    """The chat's interests and its members' votes (saved papers as likes), papers loaded."""
    votes = store.chat_votes(chat.chat_id)
    saved = [i for i in store.saved_paper_ids(chat.chat_id) if i not in votes.disliked]
    liked_ids = dict.fromkeys((*votes.liked, *saved))
    liked = [p for p in map(store.get_paper, liked_ids) if p is not None]
    disliked = [p for p in map(store.get_paper, votes.disliked) if p is not None]
    return Signal.for_chat(chat.topics, chat.interests, liked, disliked, chat.interest_terms)


def _build(store: Store, days: tuple[str, ...]) -> PaperIndex:
    before = (date.fromisoformat(days[0]) - timedelta(days=1)).isoformat()
    return PaperIndex([p for p in store.announced_since(before) if p.announced in days])


@dataclass
class Ranking:
    """Every chat's ranking, with what they share: indexes and embeddings by day set, built
    once (kept on the Engine as `engine.ranking`)."""

    store: Store
    http: httpx.AsyncClient
    settings: Settings
    indexes: dict[tuple[str, ...], asyncio.Task[PaperIndex]] = field(default_factory=dict)
    spaces: dict[tuple[str, ...], asyncio.Task[EmbeddingSpace]] = field(default_factory=dict)
    embed_failed_at: float = -EMBED_RETRY_SECONDS

    async def index(self, days: tuple[str, ...]) -> PaperIndex:
        """The TF-IDF index of every stored paper of `days`, built once (in a thread)."""
        if days not in self.indexes:
            self.indexes[days] = asyncio.ensure_future(lanes.in_thread(_build, self.store, days))
            for old in list(self.indexes)[:-INDEXES_KEPT]:  # the oldest day sets go
                self.indexes.pop(old)
                self.spaces.pop(old, None)
        return await self.indexes[days]

    async def order(self, chat: Chat, papers: Sequence[Paper]) -> Ordered:
        """The papers in the order the chat's signal asks for, with the first page's reasons."""
        signal = await self.store.run(chat_signal, self.store, chat)
        if signal.is_empty or not papers:
            return Ordered(list(papers))
        days = tuple(sorted({p.announced for p in papers if p.announced}))
        if not days:
            return Ordered(list(papers))
        index = await self.index(days)
        space = await self._space(days, index, signal) if self.settings.embed_enabled else None
        ranked = await lanes.in_thread(
            rank_with_fallback, index, papers, signal, space, reasons_for=chat.limit
        )
        reasons = tuple(reason_data(r.reason) for r in ranked[: chat.limit])
        return Ordered([r.paper for r in ranked], reasons, has_signal=True)

    async def _space(
        self, days: tuple[str, ...], index: PaperIndex, signal: Signal
    ) -> EmbeddingSpace | None:
        """The day set's embeddings with this chat's vectors added; None when the API fails."""
        if time.monotonic() - self.embed_failed_at < EMBED_RETRY_SECONDS:
            return None
        settings = self.settings
        client = EmbeddingClient(
            self.http,
            settings.embed_base_url,
            settings.embed_model,
            settings.embed_api_key,
            batch_size=settings.embed_batch_size,
            timeout=settings.embed_timeout,
        )
        task = self.spaces.get(days)
        if task is None:  # one embedding of the day per day set, whichever chat asks first
            task = asyncio.ensure_future(self._day_space(client, index))
            self.spaces[days] = task
        try:
            space = await task
            await self._add_signal(client, space, signal)
        except EmbedError as error:
            if task.done() and task.exception() is not None:
                self.spaces.pop(days, None)  # asked again once the pause is over
            self.embed_failed_at = time.monotonic()
            log.warning("%s; ranking with the offline TF-IDF ranker instead", error)
            return None
        return space

    async def _day_space(self, client: EmbeddingClient, index: PaperIndex) -> EmbeddingSpace:
        """The day's papers embedded (or read from the store), each once."""
        texts = {paper_key(client.model, p): paper_text(p) for p in index.papers}
        return EmbeddingSpace(index, client.model, await self._vectors(client, texts))

    async def _add_signal(
        self, client: EmbeddingClient, space: EmbeddingSpace, signal: Signal
    ) -> None:
        """Embed (or read) the chat's interest text and voted papers into the space."""
        texts = {
            paper_key(client.model, p): paper_text(p)
            for p in voted_papers(space.index, (*signal.liked, *signal.disliked))
        }
        if signal.interests.strip():
            texts[text_key(client.model, signal.interests)] = signal.interests
        missing = {key: text for key, text in texts.items() if key not in space.vectors}
        for key, vector in (await self._vectors(client, missing)).items():
            space.vectors[key] = vector / (float(np.linalg.norm(vector)) or 1.0)

    async def _vectors(
        self, client: EmbeddingClient, texts: dict[str, str]
    ) -> dict[str, np.ndarray]:
        """Vectors by key: the store's, and the rest embedded once and stored (reads and
        writes off the event loop)."""
        if not texts:
            return {}
        store = self.store
        stored = await store.run(store.get_vectors, list(texts))
        memory = MappingVectorCache(dict(stored))
        vectors = await embed_cached(client, memory, texts)
        fresh = {key: value for key, value in memory.mapping.items() if key not in stored}
        if fresh:
            await store.run(store.put_vectors, fresh)
        return vectors
