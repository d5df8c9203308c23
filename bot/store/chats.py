"""Chats, feed states, counters and the file's own notes: one row per chat, feed query, counter
name, note."""

from __future__ import annotations

from typing import Any

from bot.models import Chat
from bot.store.db import Database


class Chats:
    """Table `chats`: chat id -> `Chat`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, chat_id: int) -> Chat | None:
        data = self.db["chats"].get(str(chat_id))
        return Chat.from_dict(data) if data else None

    def put(self, chat: Chat) -> None:
        self.db["chats"][str(chat.chat_id)] = chat.to_dict()

    def all(self) -> list[Chat]:
        return [Chat.from_dict(data) for data in self.db["chats"].values()]


class Feeds:
    """Table `feeds`: feed query -> what its last fetch left (etag, last_modified, ...)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, query: str) -> dict[str, Any]:
        return dict(self.db["feeds"].get(query, {}))

    def put(self, query: str, state: dict[str, Any]) -> None:
        self.db["feeds"][query] = state


class Counters:
    """Table `counters`: name -> int (llm_calls, llm_calls:DAY, llm_failures, ...)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def bump(self, name: str, n: int = 1) -> int:
        value = self.get(name) + n
        self.db["counters"][name] = value
        return value

    def bump_many(self, amounts: dict[str, int]) -> None:
        for name, n in amounts.items():
            self.bump(name, n)

    def get(self, name: str) -> int:
        return int(self.db["counters"].get(name, 0))

    def all(self) -> dict[str, int]:
        return {name: int(value) for name, value in self.db["counters"].items()}


class Notes:
    """Table `meta`, other than its "schema" row: small notes the bot keeps about itself
    (what each LLM model refuses, "llm_adaptations")."""

    RESERVED = frozenset({"schema"})  # the schema version is the migrations' alone

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, name: str) -> Any:
        return None if name in self.RESERVED else self.db["meta"].get(name)

    def put(self, name: str, value: Any) -> None:
        if name in self.RESERVED:
            raise ValueError(f"meta row {name!r} is not a note")
        self.db["meta"][name] = value
