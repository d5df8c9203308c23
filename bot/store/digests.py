"""Digests with their message index and undelivered list, and the papers sent to each chat."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.models import Digest
from bot.store.db import Database


def digest_key(chat_id: int, number: int) -> str:
    return f"{chat_id}:{number}"


class Digests:
    """Tables `digests` ("chat:number"), `latest` (chat), `messages` ("chat:message id" ->
    number) and `undelivered` ("chat:number" -> [chat, number])."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def next_number(self, chat_id: int) -> int:
        return int(self.db["latest"].get(str(chat_id), 0)) + 1

    def put(self, digest: Digest) -> Digest | None:
        """Store a digest and its index rows; returns what was stored before (None if new).

        Only what changed is written: recording one more message is the digest row and one
        message row, whatever the chat's history.
        """
        key, chat = digest_key(digest.chat_id, digest.number), str(digest.chat_id)
        stored = self.db["digests"].get(key)
        old = Digest.from_dict(stored) if stored else None
        self.db["digests"][key] = digest.to_dict()
        if old is None and digest.number > int(self.db["latest"].get(chat, 0)):
            self.db["latest"][chat] = digest.number
        known = set(old.message_ids) if old else set()
        messages = {f"{chat}:{m}": digest.number for m in digest.message_ids if m not in known}
        self.db.put_many("messages", messages)
        if digest.done and old is not None and not old.done:
            self.db.delete_many("undelivered", [key])
        elif not digest.done and (old is None or old.done):
            self.db["undelivered"][key] = [digest.chat_id, digest.number]
        return old

    def get(self, chat_id: int, number: int) -> Digest | None:
        data = self.db["digests"].get(digest_key(chat_id, number))
        return Digest.from_dict(data) if data else None

    def latest(self, chat_id: int) -> Digest | None:
        number = int(self.db["latest"].get(str(chat_id), 0))
        return self.get(chat_id, number) if number else None

    def undelivered(self) -> list[Digest]:
        """Digests whose delivery has not finished (for resuming after a crash), oldest first."""
        found = self.db.get_many("digests", list(self.db["undelivered"].keys()))
        digests = (Digest.from_dict(data) for data in found.values())
        return sorted(digests, key=lambda d: (d.created, d.number))

    def for_message(self, chat_id: int, message_id: int) -> Digest | None:
        number = self.db["messages"].get(f"{chat_id}:{message_id}")
        return self.get(chat_id, int(number)) if number else None

    def referenced(self) -> list[Digest]:
        """What retention keeps whatever its age: each chat's latest digest, undelivered ones."""
        keys = [digest_key(int(chat), int(n)) for chat, n in self.db["latest"].items()]
        keys += list(self.db["undelivered"].keys())
        return [Digest.from_dict(data) for data in self.db.get_many("digests", keys).values()]

    def prune(self, created_before: float, keep: Iterable[Digest]) -> int:
        """Drop digests made before `created_before` and their message rows, except `keep`."""
        kept = {digest_key(d.chat_id, d.number) for d in keep}
        sql = "SELECT key FROM digests WHERE json_extract(value, '$.created') < ?"
        old = [key for (key,) in self.db.select(sql, (created_before,)) if key not in kept]
        numbers: dict[str, set[int]] = {}
        for key in old:
            chat, _, number = key.partition(":")
            numbers.setdefault(chat, set()).add(int(number))
        for chat, gone in numbers.items():
            rows = self.db.items_from("messages", f"{chat}:")
            self.db.delete_many("messages", [key for key, n in rows if int(n) in gone])
        self.db.delete_many("digests", old)
        return len(old)

    def move(self, old_id: int, new_id: int) -> None:
        """Re-address every digest, index row and undelivered ref of `old_id` to `new_id`."""
        old, new = f"{old_id}:", f"{new_id}:"
        digests = self.db.items_from("digests", old)
        moved = {new + k[len(old) :]: {**v, "chat_id": new_id} for k, v in digests}
        self._replace("digests", digests, moved)
        messages = self.db.items_from("messages", old)
        self._replace("messages", messages, {new + k[len(old) :]: v for k, v in messages})
        undelivered = self.db.items_from("undelivered", old)
        refs = {new + k[len(old) :]: [new_id, v[1]] for k, v in undelivered}
        self._replace("undelivered", undelivered, refs)
        if (number := self.db["latest"].get(str(old_id))) is not None:
            self.db["latest"][str(new_id)] = number
            del self.db["latest"][str(old_id)]

    def _replace(
        self, name: str, old_rows: list[tuple[str, Any]], new_rows: dict[str, Any]
    ) -> None:
        self.db.delete_many(name, [key for key, _ in old_rows])
        self.db.put_many(name, new_rows)


class Deliveries:
    """Table `sent`: "chat:paper id" -> ISO day of the digest that sent it, one row per send."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, digest: Digest, before: Digest | None) -> None:
        """Add the digest's papers to its chat's sent rows (nothing when they are there)."""
        if before is not None and before.paper_ids == digest.paper_ids:
            return
        keys = [f"{digest.chat_id}:{paper_id}" for paper_id in dict.fromkeys(digest.paper_ids)]
        there = self.db.get_many("sent", keys)
        self.db.put_many("sent", {key: digest.announced for key in keys if key not in there})

    def paper_ids(self, chat_id: int) -> set[str]:
        """Ids of every paper sent to this chat (within retention), by a key range."""
        return {key.partition(":")[2] for key in self.db.keys_from("sent", f"{chat_id}:")}

    def prune(self, before_day: str) -> None:
        """Drop the sends of digests dated before `before_day`: their papers are gone too."""
        self.db.execute("DELETE FROM sent WHERE value < ?", (json.dumps(before_day),))

    def move(self, old_id: int, new_id: int) -> None:
        old, new = f"{old_id}:", f"{new_id}:"
        sql = "UPDATE OR REPLACE sent SET key = ? || substr(key, ?) WHERE key >= ? AND key < ?"
        end = old[:-1] + chr(ord(old[-1]) + 1)
        self.db.execute(sql, (new, len(old) + 1, old, end))
