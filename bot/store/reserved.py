"""Room for saved papers: the table exists, a later version fills it (votes: bot/store/votes.py)."""

from __future__ import annotations

from bot.store.db import Database


class Saved:
    """Table `saved`: "chat:paper id" -> when the chat saved the paper (unix time), one row each.

    `paper_ids()` is retention's hook: a saved paper and its summaries are never pruned.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def paper_ids(self) -> set[str]:
        return {key.partition(":")[2] for key in self.db["saved"]}

    def add(self, chat_id: int, paper_id: str, at: float) -> bool:
        """Put a paper on the chat's list; False when it was there already (its date kept)."""
        key = f"{chat_id}:{paper_id}"
        if key in self.db["saved"]:
            return False
        self.db["saved"][key] = at
        return True

    def remove(self, chat_id: int, paper_id: str) -> bool:
        """Take a paper off the chat's list; False when it was not on it."""
        key = f"{chat_id}:{paper_id}"
        if key not in self.db["saved"]:
            return False
        del self.db["saved"][key]
        return True

    def has(self, chat_id: int, paper_id: str) -> bool:
        return f"{chat_id}:{paper_id}" in self.db["saved"]

    def of_chat(self, chat_id: int) -> list[str]:
        """The chat's saved paper ids, newest first, by a key range."""
        rows = self.db.items_from("saved", f"{chat_id}:")
        rows.sort(key=lambda row: (-float(row[1]), row[0]))
        return [key.partition(":")[2] for key, _ in rows]

    def move(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its list goes with it."""
        rows = self.db.items_from("saved", f"{old_id}:")
        moved = {f"{new_id}:{key.partition(':')[2]}": at for key, at in rows}
        self.db.delete_many("saved", [key for key, _ in rows])
        self.db.put_many("saved", moved)
