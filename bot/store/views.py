"""What a chat was shown last, when it was not a digest: the reading list numbered as listed."""

from __future__ import annotations

from bot.store.db import Database


class Views:
    """Table `views`: chat id -> the paper ids `/saved` numbered, 1 first, while it is the latest
    thing the chat was shown. A new digest or a page of one removes the row, so bare numbers
    mean the digest again."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(self, chat_id: int, paper_ids: list[str]) -> None:
        self.db["views"][str(chat_id)] = paper_ids

    def get(self, chat_id: int) -> list[str] | None:
        value = self.db["views"].get(str(chat_id))
        return [str(paper_id) for paper_id in value] if isinstance(value, list) else None

    def forget(self, chat_id: int) -> None:
        if str(chat_id) in self.db["views"]:
            del self.db["views"][str(chat_id)]
