"""What questions about papers keep: full texts, the threads of messages, answers, the quota."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from bot.models import FullText
from bot.store.db import Database


class FullTexts:
    """Table `fulltext`: paper id -> `FullText` (the parsed HTML, or that there is none)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, paper_id: str) -> FullText | None:
        data = self.db["fulltext"].get(paper_id)
        return FullText.from_dict(data) if data else None

    def put(self, text: FullText) -> None:
        self.db["fulltext"][text.paper_id] = text.to_dict()

    def prune(self, paper_ids: Iterable[str]) -> None:
        self.db.delete_many("fulltext", list(paper_ids))


class Threads:
    """Table `threads`: "chat:message id" -> {"paper": id, "turns": [[question, answer], ...],
    "at": unix time}: an expanded paper's messages (no turns) and each answer's message, so a
    reply to either asks about that paper, the turns before it kept."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def put(
        self, chat_id: int, message_ids: Sequence[int], paper_id: str, turns: list[list[str]]
    ) -> None:
        row = {"paper": paper_id, "turns": turns, "at": time.time()}
        self.db.put_many("threads", {f"{chat_id}:{m}": row for m in message_ids})

    def get(self, chat_id: int, message_id: int) -> tuple[str, list[list[str]]] | None:
        row = self.db["threads"].get(f"{chat_id}:{message_id}")
        if not isinstance(row, dict) or not isinstance(row.get("paper"), str):
            return None
        turns = [[str(q), str(a)] for q, a in row.get("turns", [])]
        return row["paper"], turns

    def prune(self, before: float, paper_ids: Iterable[str]) -> None:
        """Drop rows older than `before` and those of papers that went."""
        self.db.execute("DELETE FROM threads WHERE json_extract(value, '$.at') < ?", (before,))
        sql = "DELETE FROM threads WHERE json_extract(value, '$.paper') = ?"
        self.db.conn.executemany(sql, [(paper_id,) for paper_id in paper_ids])


class Questions:
    """Table `questions`: "chat:ISO day" -> questions the chat asked that UTC day."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def take(self, chat_id: int, day: str, limit: int) -> bool:
        """Count one more question, unless the chat asked `limit` today already."""
        key = f"{chat_id}:{day}"
        asked = int(self.db["questions"].get(key, 0))
        if asked >= limit:
            return False
        self.db["questions"][key] = asked + 1
        return True

    def give_back(self, chat_id: int, day: str) -> None:
        """A question counted and not answered (the LLM failed): it does not count."""
        key = f"{chat_id}:{day}"
        asked = int(self.db["questions"].get(key, 0))
        if asked > 0:
            self.db["questions"][key] = asked - 1

    def prune(self, before_day: str) -> None:
        sql = "DELETE FROM questions WHERE substr(key, instr(key, ':') + 1) < ?"
        self.db.execute(sql, (before_day,))


class ReadyAnswers:
    """Table `ready`: "paper id|lang|question" -> the answer to a ready question, shared by
    every chat."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, paper_id: str, lang: str, question: str) -> dict[str, Any] | None:
        data = self.db["ready"].get(f"{paper_id}|{lang}|{question}")
        return data if isinstance(data, dict) else None

    def put(self, paper_id: str, lang: str, question: str, answer: dict[str, Any]) -> None:
        self.db["ready"][f"{paper_id}|{lang}|{question}"] = answer

    def prune(self, paper_ids: Iterable[str]) -> None:
        sql = "DELETE FROM ready WHERE key >= ? AND key < ?"
        self.db.conn.executemany(sql, [(f"{pid}|", f"{pid}}}") for pid in paper_ids])
