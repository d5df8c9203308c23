"""Room for saved papers: the table exists, a later version fills it (votes: bot/store/votes.py)."""

from __future__ import annotations

from bot.store.db import Database


class Saved:
    """Table `saved`: "chat:paper id" -> when the chat saved the paper (reserved).

    `paper_ids()` is retention's hook: a saved paper and its summaries are never pruned.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def paper_ids(self) -> set[str]:
        return {key.partition(":")[2] for key in self.db["saved"]}
