"""Votes on papers, one row per (chat, paper, user), and paper vectors for the embeddings ranker."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.store.db import Database

UP, DOWN = 1, -1
_VERSION = re.compile(r"v\d+$")


@dataclass(frozen=True)
class Tally:
    """A chat's votes on one paper: how many members pressed 👍 and 👎, and this user's vote."""

    up: int = 0
    down: int = 0
    mine: int = 0  # UP, DOWN or 0 (none)


@dataclass(frozen=True)
class ChatVotes:
    """What a chat's votes say, all members together: papers it likes and dislikes, by id."""

    liked: tuple[str, ...] = ()
    disliked: tuple[str, ...] = ()
    count: int = 0  # votes cast, every member's


def vote_key(chat_id: int, paper_id: str, user_id: int) -> str:
    return f"{chat_id}:{paper_id}:{user_id}"


class Votes:
    """Table `votes`: "chat:paper id:user" -> 1 (👍) or -1 (👎); no row when there is no vote.

    A vote writes one row; a paper's tally reads its voters by a key range, a chat's votes
    by another, so nothing is rewritten whole as votes grow.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def press(self, chat_id: int, paper_id: str, user_id: int, value: int) -> Tally:
        """Cast `value` (UP or DOWN); pressing the vote already cast withdraws it."""
        if value not in (UP, DOWN):
            raise ValueError(f"a vote is {UP} or {DOWN}, not {value}")
        key = vote_key(chat_id, paper_id, user_id)
        if self.db["votes"].get(key) == value:
            del self.db["votes"][key]
        else:
            self.db["votes"][key] = value
        return self.tally(chat_id, paper_id, user_id)

    def tally(self, chat_id: int, paper_id: str, user_id: int = 0) -> Tally:
        """The 👍 and 👎 counts of one paper in a chat, and `user_id`'s own vote."""
        rows = self.db.items_from("votes", f"{chat_id}:{paper_id}:")
        values = [value for _, value in rows]
        mine = self.db["votes"].get(vote_key(chat_id, paper_id, user_id), 0)
        return Tally(values.count(UP), values.count(DOWN), int(mine))

    def of_chat(self, chat_id: int) -> ChatVotes:
        """The chat's liked and disliked papers: those whose votes add up above or below 0."""
        net: dict[str, int] = {}
        rows = self.db.items_from("votes", f"{chat_id}:")
        for key, value in rows:
            paper_id = key.split(":", 1)[1].rpartition(":")[0]
            net[paper_id] = net.get(paper_id, 0) + int(value)
        liked = tuple(paper for paper, total in net.items() if total > 0)
        disliked = tuple(paper for paper, total in net.items() if total < 0)
        return ChatVotes(liked, disliked, len(rows))

    def move(self, old_id: int, new_id: int) -> None:
        """Re-address a group's votes to its supergroup id."""
        old, new = f"{old_id}:", f"{new_id}:"
        rows = self.db.items_from("votes", old)
        self.db.delete_many("votes", [key for key, _ in rows])
        self.db.put_many("votes", {new + key[len(old) :]: value for key, value in rows})


class Vectors:
    """Table `vectors`: "model:paper:key" or "model:text:hash" -> base64 float32 (ranking.embed).

    The store's VectorCache: each paper is embedded once for every chat and every restart.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return {key: str(value) for key, value in self.db.get_many("vectors", list(keys)).items()}

    def put_many(self, vectors: Mapping[str, str]) -> None:
        self.db.put_many("vectors", dict(vectors))

    def prune(self) -> int:
        """Drop the vectors of papers the store no longer holds (retention took them)."""
        stored = {key for (key,) in self.db.select("SELECT key FROM papers")}
        keys = [
            key
            for (key,) in self.db.select("SELECT key FROM vectors WHERE key LIKE ?", ("%:paper:%",))
        ]
        gone = [k for k in keys if _VERSION.sub("", k.rsplit(":paper:", 1)[1]) not in stored]
        self.db.delete_many("vectors", gone)
        return len(gone)
