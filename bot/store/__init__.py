"""All storage: one SQLite file of sqlitedict tables, a JSON table per concern, one commit per
logical step."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

from bot import lanes
from bot.errors import DigestError
from bot.models import Chat, Digest, FullText, Paper, PaperLinks, Summary
from bot.store.aio import AsyncStore
from bot.store.asking import FullTexts, Questions, ReadyAnswers, Threads
from bot.store.chats import Chats, Counters, Feeds, Notes
from bot.store.db import Database, check_database
from bot.store.digests import Deliveries, Digests
from bot.store.journal import SendJournal
from bot.store.links import LINKS_DAY, Links
from bot.store.papers import Papers, Summaries
from bot.store.reserved import Saved
from bot.store.retention import Concerns, Pruned, prune
from bot.store.schema import SCHEMA_VERSION, TABLES, upgrade
from bot.store.views import Views
from bot.store.votes import ChatVotes, Tally, Vectors, Votes

__all__ = [
    "FILENAME",
    "LINKS_DAY",
    "SCHEMA_VERSION",
    "TABLES",
    "AsyncStore",
    "ChatVotes",
    "Pruned",
    "Store",
    "Tally",
]

FILENAME = "arxiv-digest.sqlite"
P = ParamSpec("P")
R = TypeVar("R")


class Store:
    """The bot's database: `Store(data_dir)` opens (or creates) data_dir / arxiv-digest.sqlite.

    Each method is one step: its writes, across however many tables, are one commit. Methods
    are thread-safe; `await store.run(store.put_digest, digest)` runs one off the event loop.
    """

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / FILENAME
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DigestError(f"cannot create data directory {self.path.parent}: {exc}") from None
        check_database(self.path)
        try:
            self.db = Database(self.path, TABLES)
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            raise DigestError(f"cannot open database {self.path}: {exc}") from None
        try:
            upgrade(self.db)
        except BaseException:
            self.db.close()
            raise
        self.chats, self.feeds, self.counts = Chats(self.db), Feeds(self.db), Counters(self.db)
        self.notes = Notes(self.db)
        self.papers, self.summaries = Papers(self.db), Summaries(self.db)
        self.digests, self.deliveries = Digests(self.db), Deliveries(self.db)
        self.votes, self.saved = Votes(self.db), Saved(self.db)
        self.views = Views(self.db)
        self.fulltexts, self.threads = FullTexts(self.db), Threads(self.db)
        self.questions, self.ready = Questions(self.db), ReadyAnswers(self.db)
        self.links = Links(self.db)  # the Hugging Face paper API's answers (bot.links)
        self.vectors = Vectors(self.db)  # the embeddings ranker's VectorCache (bot.ranking.embed)
        # each sent message's record, committed by a thread of its own (bot/store/journal.py)
        self.journal = SendJournal(self._record_sent)

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a store call (or any function of store calls) in a worker thread of the
        caller's lane (bot.lanes)."""
        return await lanes.in_thread(fn, *args, **kwargs)

    def _read(self, fn: Callable[..., R], *args: Any) -> R:
        with self.db.read():  # one state of the file, never half of another thread's step
            return fn(*args)

    def _write(self, fn: Callable[..., R], *args: Any) -> R:
        with self.db.step():
            return fn(*args)

    def close(self) -> None:
        """Close the file; every step is committed when its method returns."""
        self.journal.close()
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # papers and announcement days

    def put_papers(self, papers: Iterable[Paper]) -> int:
        """Store papers (the newest version wins) and their announce days, in one commit."""
        return self._write(self.papers.put, papers)

    def get_paper(self, paper_id: str) -> Paper | None:
        return self._read(self.papers.get, paper_id)

    def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        """The stored papers of these ids, by id, in one query per few hundred."""
        return self._read(self.papers.get_many, paper_ids)

    def announced_since(self, after_iso: str) -> list[Paper]:
        """Papers announced on days after `after_iso`, newest day first, feed order within a day."""
        return self._read(self.papers.announced_since, after_iso)

    def days_with_papers(self) -> list[str]:
        return self._read(self.papers.days)

    def latest_day(self) -> str:
        days = self.days_with_papers()
        return days[-1] if days else ""

    # summaries

    def get_summary(self, paper_key: str, lang: str) -> Summary | None:
        return self._read(self.summaries.get, paper_key, lang)

    def get_summaries(self, paper_keys: Sequence[str], lang: str) -> dict[str, Summary]:
        return self._read(self.summaries.get_many, paper_keys, lang)

    def put_summaries(self, summaries: Iterable[Summary]) -> None:
        self._write(self.summaries.put, summaries)

    # feeds

    def get_feed_state(self, query: str) -> dict[str, Any]:
        """What the last fetch of a feed left: etag, last_modified, fetched_at, announced."""
        return self._read(self.feeds.get, query)

    def put_feed_state(self, query: str, state: dict[str, Any]) -> None:
        self._write(self.feeds.put, query, state)

    # chats

    def get_chat(self, chat_id: int) -> Chat | None:
        return self._read(self.chats.get, chat_id)

    def put_chat(self, chat: Chat) -> None:
        self._write(self.chats.put, chat)

    def all_chats(self) -> list[Chat]:
        return self._read(self.chats.all)

    def move_chat(self, old_id: int, new_id: int) -> bool:
        """A group became a supergroup: its settings, digests, index and sends move, one commit.

        The old id stays as an inactive chat. Nothing moves (False) when the old chat is
        unknown or the new id already has settings (the move was done).
        """
        with self.db.step():
            chat = self.chats.get(old_id)
            if chat is None or self.chats.get(new_id) is not None:
                return False
            self.chats.put(chat.with_changes(chat_id=new_id))
            self.chats.put(chat.with_changes(active=False))
            self.digests.move(old_id, new_id)
            self.deliveries.move(old_id, new_id)
            self.saved.move(old_id, new_id)
            self.votes.move(old_id, new_id)
            return True

    # digests, their message index and undelivered list, and the papers sent

    def next_digest_number(self, chat_id: int) -> int:
        return self._read(self.digests.next_number, chat_id)

    def put_digest(self, digest: Digest) -> None:
        """Store a digest (new or after delivery progress), its index and sent rows: one commit."""
        with self.db.step():
            before = self.digests.put(digest)
            self.deliveries.record(digest, before)
            self.views.forget(digest.chat_id)  # bare numbers mean the digest again

    def _record_sent(self, digests: Sequence[Digest]) -> None:
        """Delivery progress of several digests (each a message further): one commit."""
        with self.db.step():
            for digest in digests:
                self.put_digest(digest)

    def add_digest(self, digest: Digest, chat: Chat) -> None:
        """A new digest and its chat's `last_announced` and cold-start tip flag (the chat as
        stored, else `chat`): one commit, so a settings change made meanwhile is kept."""
        with self.db.step():
            self.put_digest(digest)
            current = self.chats.get(chat.chat_id) or chat
            newest = max(current.last_announced, digest.announced)
            told = current.interests_tip_shown or digest.interests_tip
            self.chats.put(current.with_changes(last_announced=newest, interests_tip_shown=told))

    def get_digest(self, chat_id: int, number: int) -> Digest | None:
        return self._read(self.digests.get, chat_id, number)

    def latest_digest(self, chat_id: int) -> Digest | None:
        return self._read(self.digests.latest, chat_id)

    def undelivered_digests(self) -> list[Digest]:
        """Digests whose delivery has not finished (for resuming after a crash), oldest first."""
        return self._read(self.digests.undelivered)

    def digest_for_message(self, chat_id: int, message_id: int) -> Digest | None:
        return self._read(self.digests.for_message, chat_id, message_id)

    def sent_paper_ids(self, chat_id: int) -> set[str]:
        """Ids of every paper in this chat's digests (within retention)."""
        return self._read(self.deliveries.paper_ids, chat_id)

    # counters

    def bump(self, name: str, n: int = 1) -> int:
        """Add n to a counter and return its new value."""
        return self._write(self.counts.bump, name, n)

    def bump_many(self, amounts: dict[str, int]) -> None:
        """Add to several counters in one commit."""
        self._write(self.counts.bump_many, amounts)

    def counter(self, name: str) -> int:
        return self._read(self.counts.get, name)

    def counters(self) -> dict[str, int]:
        return self._read(self.counts.all)

    # notes the bot keeps about itself (table meta)

    def get_note(self, name: str) -> Any:
        """A note ("llm_adaptations": what each LLM model refuses), None when there is none."""
        return self._read(self.notes.get, name)

    def put_note(self, name: str, value: Any) -> None:
        self._write(self.notes.put, name, value)

    # the file

    def table_sizes(self) -> dict[str, int]:
        """Rows per table (papers, summaries, chats, ...), for /stats; each is a count query."""
        return self._read(lambda: {name: len(table) for name, table in self.db.tables.items()})

    def prune(self, keep_days: int, now: float | None = None) -> Pruned:
        """Retention: drop what is older than keep_days and no chat references (one commit)."""
        parts = Concerns(
            self.db, self.papers, self.summaries, self.digests, self.deliveries, self.saved,
            self.fulltexts, self.threads, self.questions, self.ready,
        )  # fmt: skip
        pruned = prune(parts, keep_days, now)
        self._write(self.vectors.prune)  # the embeddings of the papers that went
        self._write(self.links.prune, time.time() if now is None else now)
        return pruned

    # the reading list (saved papers) and what /saved numbered

    def save_paper(self, chat_id: int, paper: Paper, at: float) -> bool:
        """Put a paper on the chat's list, storing the paper if it is new (a look-up by id);
        False when it was on the list already. One commit."""
        with self.db.step():
            if self.papers.get(paper.id) is None:
                self.papers.put([paper])
            return self.saved.add(chat_id, paper.id, at)

    def unsave_paper(self, chat_id: int, paper_id: str) -> bool:
        """Take a paper off the chat's list; False when it was not on it."""
        return self._write(self.saved.remove, chat_id, paper_id)

    def toggle_saved(self, chat_id: int, paper_id: str, at: float) -> bool:
        """⭐: save the stored paper, or take it off when it is saved; whether it is saved now."""
        with self.db.step():
            if self.saved.remove(chat_id, paper_id):
                return False
            return self.saved.add(chat_id, paper_id, at)

    def is_saved(self, chat_id: int, paper_id: str) -> bool:
        return self._read(self.saved.has, chat_id, paper_id)

    def saved_paper_ids(self, chat_id: int) -> list[str]:
        """The chat's reading list, newest first (a saved paper counts as a like for ranking)."""
        return self._read(self.saved.of_chat, chat_id)

    def put_saved_view(self, chat_id: int, paper_ids: list[str]) -> None:
        """Remember the reading list as `/saved` numbered it: bare numbers now mean it."""
        self._write(self.views.put, chat_id, paper_ids)

    def saved_view(self, chat_id: int) -> list[str] | None:
        """The reading list as last numbered, when it is the chat's latest view; else None."""
        return self._read(self.views.get, chat_id)

    # votes (one row per chat, paper and user) and interests

    def press_vote(self, chat_id: int, paper_id: str, user_id: int, value: int) -> Tally:
        """A 👍 (1) or 👎 (-1) of one user; the same again withdraws it. One commit."""
        return self._write(self.votes.press, chat_id, paper_id, user_id, value)

    def vote_tally(self, chat_id: int, paper_id: str, user_id: int = 0) -> Tally:
        return self._read(self.votes.tally, chat_id, paper_id, user_id)

    def chat_votes(self, chat_id: int) -> ChatVotes:
        """The papers the chat's members like and dislike, all votes together."""
        return self._read(self.votes.of_chat, chat_id)

    def set_interests(self, chat_id: int, interests: str) -> Chat | None:
        """Store the chat's interests ("" clears them), without search terms yet; None when
        the chat is unknown."""
        with self.db.step():
            chat = self.chats.get(chat_id)
            if chat is None:
                return None
            chat = chat.with_changes(interests=interests, interest_terms=(), terms_failures=0)
            self.chats.put(chat)
            return chat

    def set_interest_terms(
        self, chat_id: int, interests: str, terms: tuple[str, ...], failed: bool = False
    ) -> Chat | None:
        """Store the English terms made of `interests` (or count a failure to make them),
        unless the chat has other interests by now; the chat as stored, None when unknown."""
        with self.db.step():
            chat = self.chats.get(chat_id)
            if chat is None or chat.interests != interests:
                return chat
            chat = chat.with_changes(
                interest_terms=terms, terms_failures=chat.terms_failures + int(failed)
            )
            self.chats.put(chat)
            return chat

    # embeddings (bot.ranking.embed's VectorCache is `self.vectors`; these take the lock)

    def get_vectors(self, keys: Sequence[str]) -> dict[str, str]:
        return self._read(self.vectors.get_many, keys)

    def put_vectors(self, vectors: dict[str, str]) -> None:
        self._write(self.vectors.put_many, vectors)

    # questions about papers: full texts, threads of messages, the daily quota, ready answers

    def get_fulltext(self, paper_id: str) -> FullText | None:
        return self._read(self.fulltexts.get, paper_id)

    def put_fulltext(self, text: FullText) -> None:
        self._write(self.fulltexts.put, text)

    def put_thread(
        self,
        chat_id: int,
        message_ids: Sequence[int],
        paper_id: str,
        turns: list[list[str]] | None = None,
    ) -> None:
        """Remember that these messages show paper `paper_id` (an expanded paper, an answer
        with the turns that led to it): a reply to one asks about it."""
        self._write(self.threads.put, chat_id, message_ids, paper_id, turns or [])

    def thread_for(self, chat_id: int, message_id: int) -> tuple[str, list[list[str]]] | None:
        """The paper a message shows and the turns before it, or None for any other message."""
        return self._read(self.threads.get, chat_id, message_id)

    def take_question(self, chat_id: int, day: str, limit: int) -> bool:
        """Count a question of the chat today, unless it asked `limit` already."""
        return self._write(self.questions.take, chat_id, day, limit)

    def give_back_question(self, chat_id: int, day: str) -> None:
        self._write(self.questions.give_back, chat_id, day)

    def get_ready(self, paper_id: str, lang: str, question: str) -> dict[str, Any] | None:
        return self._read(self.ready.get, paper_id, lang, question)

    def put_ready(self, paper_id: str, lang: str, question: str, answer: dict[str, Any]) -> None:
        self._write(self.ready.put, paper_id, lang, question, answer)

    # the Hugging Face paper API's answers, kept a day (bot.links)

    def get_links(self, paper_id: str, now: float) -> PaperLinks | None:
        return self._read(self.links.get, paper_id, now)

    def put_links(self, paper_id: str, links: PaperLinks, now: float) -> None:
        self._write(self.links.put, paper_id, links, now)
