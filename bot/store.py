"""All storage: one sqlitedict file, one JSON table per concern, committed per logical write."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlitedict import SqliteDict

from bot.errors import DigestError
from bot.models import ANNOUNCE_TYPES, Chat, Digest, Paper, Summary

FILENAME = "arxiv-digest.sqlite"
TABLES = ("papers", "days", "summaries", "feeds", "chats", "digests", "counters")
BATCH = 500  # keys per SELECT ... IN (...), well under SQLite's parameter limit
# The default rollback journal: the database stays one file (no -wal/-shm sidecars to lose in a
# backup or on a network volume), and a kill mid-commit is rolled back on the next open.
JOURNAL_MODE = "DELETE"


def _decoder(path: Path, table: str) -> Callable[[str | bytes], Any]:
    """JSON decoding that turns a foreign value (an old pickle) into a one-line error."""

    def decode(raw: str | bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise DigestError(
                f"{path}: table {table!r} holds a value that is not JSON; the file was left as is"
            ) from None

    return decode


def _check_database(path: Path) -> None:
    """Refuse a file that is not an SQLite database, before sqlitedict's thread trips on it."""
    if not path.exists():
        return
    try:
        with sqlite3.connect(path) as conn:  # a hot journal from a kill is rolled back here
            conn.execute("PRAGMA schema_version").fetchone()
        conn.close()
    except sqlite3.Error as exc:
        raise DigestError(f"{path} is not a readable database ({exc}); it was left as is") from None


def _merge(old: Paper | None, paper: Paper) -> Paper | None:
    """What to store when `paper` arrives over `old`: None keeps `old` (a newer version)."""
    if old is None or paper.version > old.version:
        return paper
    if paper.version < old.version:
        return None
    if not paper.announced:  # an API look-up of the same version: keep the announcement
        return replace(paper, announced=old.announced, announce_type=old.announce_type)
    return paper


def _day_entry_rank(announce_type: str) -> int:
    """Lower is stronger: a paper that is `new` in one feed and `cross` in another is `new`."""
    return ANNOUNCE_TYPES.index(announce_type) if announce_type in ANNOUNCE_TYPES else 99


class Store:
    """The bot's database: `Store(data_dir)` opens (or creates) data_dir / arxiv-digest.sqlite."""

    def __init__(self, data_dir: Path | str) -> None:
        self.path = Path(data_dir) / FILENAME
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DigestError(f"cannot create data directory {self.path.parent}: {exc}") from None
        _check_database(self.path)
        self._lock = threading.RLock()  # read-modify-write methods stay whole across threads
        self._tables: dict[str, SqliteDict] = {}
        try:
            for name in TABLES:
                self._tables[name] = self._open_table(name)
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            self.close()
            raise DigestError(f"cannot open database {self.path}: {exc}") from None

    def _open_table(self, name: str) -> SqliteDict:
        table = SqliteDict(
            str(self.path),
            tablename=name,
            autocommit=False,
            journal_mode=JOURNAL_MODE,
            encode=json.dumps,
            decode=_decoder(self.path, name),
            outer_stack=False,  # sqlitedict otherwise records a traceback on every query
        )
        # sqlitedict switches fsync off; a kill is safe either way, a power cut only with FULL.
        table.conn.execute("PRAGMA synchronous=FULL")
        return table

    def _t(self, name: str) -> SqliteDict:
        return self._tables[name]

    def _get_many(self, name: str, keys: Sequence[str]) -> dict[str, Any]:
        """Decoded values of `keys` in one query per chunk, not one round trip per key."""
        table, found = self._t(name), {}
        for start in range(0, len(keys), BATCH):
            chunk = list(keys[start : start + BATCH])
            marks = ",".join("?" * len(chunk))
            query = f'SELECT key, value FROM "{table.tablename}" WHERE key IN ({marks})'
            for key, value in table.conn.select(query, chunk):
                found[key] = table.decode(value)
        return found

    def close(self) -> None:
        """Close every table; uncommitted writes (there are none between methods) are dropped."""
        tables, self._tables = self._tables, {}
        for table in tables.values():
            table.close()

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
        """Store papers (the newest version wins) and their announce days; returns how many are new.

        Papers are committed before days, so a kill in between leaves papers that no day lists
        yet; storing the same feed again (its state is saved after this call) completes it.
        """
        with self._lock:
            table, new = self._t("papers"), 0
            days: dict[str, dict[str, str]] = {}
            papers = list(papers)
            existing = self._get_many("papers", [paper.id for paper in papers])
            for paper in papers:
                stored = existing.get(paper.id)
                old = Paper.from_dict(stored) if stored else None
                new += old is None
                merged = _merge(old, paper)
                if merged is not None:
                    table[paper.id] = merged.to_dict()
                if paper.announced:
                    self._note_day(days, paper)
            table.commit()
            for day, entry in days.items():
                self._t("days")[day] = entry
            self._t("days").commit()
            return new

    def _note_day(self, days: dict[str, dict[str, str]], paper: Paper) -> None:
        """Merge the paper into its announce day's {paper_id: announce_type}, in feed order."""
        if paper.announced not in days:
            days[paper.announced] = dict(self._t("days").get(paper.announced, {}))
        entry = days[paper.announced]
        old = entry.get(paper.id)
        if old is None or _day_entry_rank(paper.announce_type) < _day_entry_rank(old):
            entry[paper.id] = paper.announce_type

    def get_paper(self, paper_id: str) -> Paper | None:
        data = self._t("papers").get(paper_id)
        return Paper.from_dict(data) if data else None

    def announced_since(self, after_iso: str) -> list[Paper]:
        """Papers announced on days after `after_iso`, newest day first, feed order within a day.

        A paper announced on several of those days (new, then replaced) appears once, on the
        earliest of them, so a new submission is not hidden behind its later replacement.
        """
        table = self._t("days")
        days = {d: table[d] for d in sorted(k for k in table if k > after_iso)}
        first_day: dict[str, str] = {}
        for day, entry in days.items():
            for paper_id in entry:
                first_day.setdefault(paper_id, day)
        stored = self._get_many("papers", list(first_day))
        result: list[Paper] = []
        for day in sorted(days, reverse=True):
            for paper_id, kind in days[day].items():
                data = stored.get(paper_id) if first_day[paper_id] == day else None
                if data:
                    result.append(replace(Paper.from_dict(data), announce_type=kind, announced=day))
        return result

    def days_with_papers(self) -> list[str]:
        """Announcement days with at least one stored paper, oldest first."""
        return sorted(day for day, entry in self._t("days").items() if entry)

    def latest_day(self) -> str:
        days = self.days_with_papers()
        return days[-1] if days else ""

    # summaries

    def get_summary(self, paper_key: str, lang: str) -> Summary | None:
        data = self._t("summaries").get(f"{paper_key}|{lang}")
        return Summary.from_dict(data) if data else None

    def get_summaries(self, paper_keys: Sequence[str], lang: str) -> dict[str, Summary]:
        """The stored summaries of these paper keys in `lang`, by paper key, in one query."""
        found = self._get_many("summaries", [f"{key}|{lang}" for key in paper_keys])
        return {name.rpartition("|")[0]: Summary.from_dict(data) for name, data in found.items()}

    def put_summaries(self, summaries: Iterable[Summary]) -> None:
        table = self._t("summaries")
        with self._lock:
            for summary in summaries:
                table[f"{summary.paper_key}|{summary.lang}"] = summary.to_dict()
            table.commit()

    # feeds

    def get_feed_state(self, query: str) -> dict[str, Any]:
        """What the last fetch of a feed left: etag, last_modified, fetched_at, announced."""
        return dict(self._t("feeds").get(query, {}))

    def put_feed_state(self, query: str, state: dict[str, Any]) -> None:
        with self._lock:
            self._t("feeds")[query] = state
            self._t("feeds").commit()

    # chats

    def get_chat(self, chat_id: int) -> Chat | None:
        data = self._t("chats").get(str(chat_id))
        return Chat.from_dict(data) if data else None

    def put_chat(self, chat: Chat) -> None:
        with self._lock:
            self._t("chats")[str(chat.chat_id)] = chat.to_dict()
            self._t("chats").commit()

    def all_chats(self) -> list[Chat]:
        return [Chat.from_dict(data) for data in self._t("chats").values()]

    # digests: one table holds the digests and their indexes, so one commit keeps them in step

    def next_digest_number(self, chat_id: int) -> int:
        return int(self._t("digests").get(f"latest:{chat_id}", 0)) + 1

    def put_digest(self, digest: Digest) -> None:
        """Store a digest (new or updated after delivery progress) with its indexes, one commit."""
        table, chat = self._t("digests"), digest.chat_id
        with self._lock:
            table[f"digest:{chat}:{digest.number}"] = digest.to_dict()
            if digest.number > int(table.get(f"latest:{chat}", 0)):
                table[f"latest:{chat}"] = digest.number
            for message_id in digest.message_ids:
                if table.get(f"msg:{chat}:{message_id}") != digest.number:
                    table[f"msg:{chat}:{message_id}"] = digest.number
            sent: list[str] = table.get(f"sent:{chat}", [])
            known = set(sent)
            missing = [p for p in dict.fromkeys(digest.paper_ids) if p not in known]
            if missing:
                table[f"sent:{chat}"] = sent + missing
            self._mark_open(table, digest)
            table.commit()

    @staticmethod
    def _mark_open(table: SqliteDict, digest: Digest) -> None:
        ref = [digest.chat_id, digest.number]
        pending = table.get("undelivered", [])
        if digest.done and ref in pending:
            table["undelivered"] = [r for r in pending if r != ref]
        elif not digest.done and ref not in pending:
            table["undelivered"] = pending + [ref]

    def get_digest(self, chat_id: int, number: int) -> Digest | None:
        data = self._t("digests").get(f"digest:{chat_id}:{number}")
        return Digest.from_dict(data) if data else None

    def latest_digest(self, chat_id: int) -> Digest | None:
        number = int(self._t("digests").get(f"latest:{chat_id}", 0))
        return self.get_digest(chat_id, number) if number else None

    def undelivered_digests(self) -> list[Digest]:
        """Digests whose delivery has not finished (for resuming after a crash), oldest first."""
        refs = self._t("digests").get("undelivered", [])
        found = (self.get_digest(chat_id, number) for chat_id, number in refs)
        return sorted((d for d in found if d is not None), key=lambda d: (d.created, d.number))

    def digest_for_message(self, chat_id: int, message_id: int) -> Digest | None:
        number = self._t("digests").get(f"msg:{chat_id}:{message_id}")
        return self.get_digest(chat_id, int(number)) if number else None

    def sent_paper_ids(self, chat_id: int) -> set[str]:
        """Ids of every paper in this chat's digests so far."""
        return set(self._t("digests").get(f"sent:{chat_id}", []))

    # counters

    def bump(self, name: str, n: int = 1) -> int:
        """Add n to a counter and return its new value."""
        table = self._t("counters")
        with self._lock:
            value = int(table.get(name, 0)) + n
            table[name] = value
            table.commit()
            return value

    def counter(self, name: str) -> int:
        return int(self._t("counters").get(name, 0))

    def counters(self) -> dict[str, int]:
        return {name: int(value) for name, value in self._t("counters").items()}

    def table_sizes(self) -> dict[str, int]:
        """Rows per table (papers, summaries, chats, ...), for /stats; each is a count query."""
        return {name: len(table) for name, table in self._tables.items()}
