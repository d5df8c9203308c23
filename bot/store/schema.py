"""The file's tables, its schema version (table `meta`) and the migrations that bring it up to date.

Schema 3 (this one). Every table is sqlitedict's (key TEXT PRIMARY KEY, value JSON text):

| table | key | value |
| --- | --- | --- |
| meta | "schema" | the schema version, an int |
| meta | "llm_adaptations" | {model: [[parameter, "drop" or "rename" or "set", value], ...]} |
| chats | chat id | `Chat` dict |
| papers | paper id ("2411.00001") | `Paper` dict |
| days | ISO day | {paper id: announce type}, in feed order |
| summaries | "paper key|lang" ("2411.00001v1|zh") | `Summary` dict |
| feeds | feed query ("cs.AI+hep-th") | etag, last_modified, fetched_at, announced |
| digests | "chat:number" | `Digest` dict |
| latest | chat id | number of the chat's latest digest |
| messages | "chat:message id" | number of the digest that message belongs to |
| undelivered | "chat:number" | [chat, number] of a digest whose delivery has not finished |
| sent | "chat:paper id" | ISO day of the digest that sent the paper to the chat |
| counters | counter name | an int |
| votes | "chat:paper id:user" | 1 (👍) or -1 (👎), one row per vote |
| saved | "chat:paper id" | when the chat saved the paper (unix time) |
| views | chat id | the paper ids `/saved` numbered, while that list is the chat's latest view |
| vectors | "model:paper:key", "model:text:hash" | an embedding, base64 float32 (ranking.embed) |
| fulltext | paper id | `FullText` dict: the paper's sections from arXiv's HTML (or `missing`) |
| threads | "chat:message id" | {paper, turns: [[question, answer], ...], at}: a reply asks it |
| questions | "chat:ISO day" | questions the chat asked that UTC day (`ask.daily_questions`) |
| ready | "paper id|lang|question" | the answer to a ready question, shared by every chat |
| links | paper id | {"at": unix time, "links": `PaperLinks` dict}, kept a day (bot.links) |

Schema 0 (before versions) kept the digests, their indexes, the sent papers and the undelivered
list as prefixed keys of one `digests` table ("digest:C:N", "latest:C", "msg:C:M", "sent:C",
"undelivered"); `migrate_v0` moves them to their own tables in one transaction. Schema 1 had no
`vectors` table and reserved `votes` (never written): going to 2 only records the version.
Schema 2 had no `fulltext`, `threads`, `questions` or `ready`: going to 3 only records it too.
A table added since (`links`) is made when the file is opened and needs no version: an older
bot leaves it alone.
"""

from __future__ import annotations

from typing import Any

from bot.errors import DigestError
from bot.store.db import Database

SCHEMA_VERSION = 3
TABLES = (
    "meta",
    "papers",
    "days",
    "summaries",
    "feeds",
    "chats",
    "digests",
    "latest",
    "messages",
    "undelivered",
    "sent",
    "counters",
    "votes",
    "saved",
    "views",
    "vectors",
    "fulltext",
    "threads",
    "questions",
    "ready",
    "links",
)
INCREMENTAL = 2  # PRAGMA auto_vacuum value


def upgrade(db: Database) -> None:
    """Bring an opened file to SCHEMA_VERSION (once; a kill mid-way leaves it to redo)."""
    version = db["meta"].get("schema")
    if version is None:
        with db.step():
            migrate_v0(db)
            db["meta"]["schema"] = SCHEMA_VERSION
    elif int(version) < SCHEMA_VERSION:
        with db.step():  # schema 1 -> 2 -> 3: new tables only, which opening the file created
            db["meta"]["schema"] = SCHEMA_VERSION
    elif int(version) > SCHEMA_VERSION:
        raise DigestError(
            f"{db.path} has schema {version}, newer than this bot's {SCHEMA_VERSION}; "
            "it was left as is"
        )
    if db.select("PRAGMA auto_vacuum")[0][0] != INCREMENTAL:
        db.vacuum(full=True)  # an old file: VACUUM makes the pending auto_vacuum setting real


def migrate_v0(db: Database) -> None:
    """Move schema 0's prefixed rows of `digests` to their own tables (inside the open step)."""
    rows = {key: value for key, value in db["digests"].items() if not _is_v1_digest_key(key)}
    digests, latest, messages, undelivered, sent = {}, {}, {}, {}, {}
    for key, value in rows.items():
        kind, _, rest = key.partition(":")
        if kind == "digest":
            digests[rest] = value
        elif kind == "latest":
            latest[rest] = value
        elif kind == "msg":
            messages[rest] = value
        elif kind == "sent":
            sent.update(_sent_rows(rest, value, digests_of=rows))
        elif key == "undelivered":
            undelivered = {f"{chat}:{number}": [chat, number] for chat, number in value}
    db.delete_many("digests", rows)
    for name, items in (("digests", digests), ("latest", latest), ("messages", messages),
                        ("undelivered", undelivered), ("sent", sent)):  # fmt: skip
        db.put_many(name, items)


def _is_v1_digest_key(key: str) -> bool:
    chat, _, number = key.partition(":")
    return number.isdigit() and chat.lstrip("-").isdigit()


def _sent_rows(chat: str, paper_ids: list[str], digests_of: dict[str, Any]) -> dict[str, str]:
    """One `sent` row per paper, dated by the digest that sent it (for retention)."""
    day_of: dict[str, str] = {}
    for key, value in digests_of.items():
        if key.startswith(f"digest:{chat}:"):
            for paper_id in value.get("paper_ids", ()):
                day_of.setdefault(paper_id, value.get("announced", ""))
    return {f"{chat}:{paper_id}": day_of.get(paper_id, "") for paper_id in paper_ids}
