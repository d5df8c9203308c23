"""Papers with their announcement days, and summaries per paper key and language."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from bot.models import ANNOUNCE_TYPES, Paper, Summary
from bot.store.db import Database


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


class Papers:
    """Table `papers` (by id, newest version) and `days` (ISO day -> {id: announce type})."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, papers: Iterable[Paper]) -> int:
        """Store papers (the newest version wins) and their announce days; returns the new count."""
        papers = list(papers)
        existing = self.db.get_many("papers", [paper.id for paper in papers])
        rows: dict[str, Any] = {}
        days: dict[str, dict[str, str]] = {}
        new = 0
        for paper in papers:
            stored = rows.get(paper.id) or existing.get(paper.id)
            old = Paper.from_dict(stored) if stored else None
            new += old is None
            merged = _merge(old, paper)
            if merged is not None:
                rows[paper.id] = merged.to_dict()
            if paper.announced:
                self._note_day(days, paper)
        self.db.put_many("papers", rows)
        self.db.put_many("days", days)
        return new

    def _note_day(self, days: dict[str, dict[str, str]], paper: Paper) -> None:
        """Merge the paper into its announce day's {paper_id: announce_type}, in feed order."""
        if paper.announced not in days:
            days[paper.announced] = dict(self.db["days"].get(paper.announced, {}))
        entry = days[paper.announced]
        old = entry.get(paper.id)
        if old is None or _day_entry_rank(paper.announce_type) < _day_entry_rank(old):
            entry[paper.id] = paper.announce_type

    def get(self, paper_id: str) -> Paper | None:
        data = self.db["papers"].get(paper_id)
        return Paper.from_dict(data) if data else None

    def get_many(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        found = self.db.get_many("papers", list(dict.fromkeys(paper_ids)))
        return {key: Paper.from_dict(data) for key, data in found.items()}

    def announced_since(self, after_iso: str) -> list[Paper]:
        """Papers announced on days after `after_iso`, newest day first, feed order within a day.

        A paper announced on several of those days (new, then replaced) appears once, on the
        earliest of them, so a new submission is not hidden behind its later replacement.
        """
        sql = "SELECT key, value FROM days WHERE key > ? ORDER BY key"
        rows = self.db.select(sql, (after_iso,))
        days = {day: self.db["days"].decode(value) for day, value in rows}
        first_day: dict[str, str] = {}
        for day, entry in days.items():
            for paper_id in entry:
                first_day.setdefault(paper_id, day)
        stored = self.db.get_many("papers", list(first_day))
        result: list[Paper] = []
        for day in sorted(days, reverse=True):
            for paper_id, kind in days[day].items():
                data = stored.get(paper_id) if first_day[paper_id] == day else None
                if data:
                    result.append(replace(Paper.from_dict(data), announce_type=kind, announced=day))
        return result

    def days(self) -> list[str]:
        """Announcement days with at least one stored paper, oldest first."""
        return sorted(day for day, entry in self.db["days"].items() if entry)

    def prune(self, before_day: str, keep: set[str]) -> list[str]:
        """Drop days before `before_day` and the papers announced then (not those in `keep`)."""
        self.db.execute("DELETE FROM days WHERE key < ?", (before_day,))
        sql = "SELECT key FROM papers WHERE json_extract(value, '$.announced') < ?"
        old = [key for (key,) in self.db.select(sql, (before_day,)) if key not in keep]
        self.db.delete_many("papers", old)
        return old


class Summaries:
    """Table `summaries`: "paper key|lang" -> `Summary`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, paper_key: str, lang: str) -> Summary | None:
        data = self.db["summaries"].get(f"{paper_key}|{lang}")
        return Summary.from_dict(data) if data else None

    def get_many(self, paper_keys: Sequence[str], lang: str) -> dict[str, Summary]:
        """The stored summaries of these paper keys in `lang`, by paper key, in one query."""
        found = self.db.get_many("summaries", [f"{key}|{lang}" for key in paper_keys])
        return {name.rpartition("|")[0]: Summary.from_dict(data) for name, data in found.items()}

    def put(self, summaries: Iterable[Summary]) -> None:
        rows = {f"{s.paper_key}|{s.lang}": s.to_dict() for s in summaries}
        self.db.put_many("summaries", rows)

    def prune(self, paper_ids: Iterable[str]) -> None:
        """Drop every version's summaries of these papers ("id" + "v1|zh", ...)."""
        sql = "DELETE FROM summaries WHERE key >= ? AND key < ?"
        self.db.conn.executemany(sql, [(f"{pid}v", f"{pid}w") for pid in paper_ids])
