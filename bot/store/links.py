"""Table `links`: what the Hugging Face paper API said of a paper, kept a day (a 404 too)."""

from __future__ import annotations

from typing import Any

from bot.models import PaperLinks
from bot.store.db import Database

LINKS_DAY = 86400.0  # seconds an answer is kept: a paper's code and models change slowly


class Links:
    """Table `links`: paper id -> {"at": unix time of the answer, "found": the API knew the
    paper, "links": `PaperLinks` dict}. Small: only expanded papers, pruned after a day."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, paper_id: str, now: float) -> PaperLinks | None:
        """The answer kept for the paper, None when there is none from the last day."""
        row: Any = self.db["links"].get(paper_id)
        if _expired(row, now):
            return None
        links = row.get("links")
        return PaperLinks.from_dict(links) if isinstance(links, dict) else PaperLinks()

    def put(self, paper_id: str, links: PaperLinks, now: float) -> None:
        self.db["links"][paper_id] = {"at": now, "links": links.to_dict()}

    def prune(self, now: float) -> int:
        """Drop the answers older than a day."""
        table = self.db["links"]
        rows = self.db.select('SELECT key, value FROM "links"')
        gone = [key for key, value in rows if _expired(table.decode(value), now)]
        self.db.delete_many("links", gone)
        return len(gone)


def _expired(row: Any, now: float) -> bool:
    """Whether a row is older than a day (or not a row this module wrote)."""
    at = row.get("at") if isinstance(row, dict) else None
    return not isinstance(at, int | float) or not 0 <= now - at < LINKS_DAY
