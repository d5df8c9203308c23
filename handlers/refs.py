"""Which paper a user means by `N` or an arXiv id, as /paper reads them, and its ⭐ state."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from telegram import Update

from bot.clean import normalize_arxiv_id
from bot.engine import Engine
from bot.errors import FeedError, FetchError, ResponseTooLargeError
from bot.i18n import t
from bot.models import Chat, Paper
from bot.parse import parse_api
from bot.shell.deliver import PaperMarks
from handlers.common import Context, engine_of, replied_message_id

log = logging.getLogger(__name__)
NUMBER = re.compile(r"^\s*\[?(\d{1,4})\]?\s*$")


@dataclass(frozen=True)
class Refusal:
    """Why no paper: a catalog key and its values, said in the chat's language."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(lang, self.key, **self.values)


async def listed_id(update: Update, context: Context, chat: Chat, number: int) -> str | Refusal:
    """The id of paper `number` in what the chat was shown: the digest the message replies
    to, else the reading list while `/saved` is the latest view, else the latest digest."""
    db = engine_of(context).db
    replied = replied_message_id(update)
    digest = await db.digest_for_message(chat.chat_id, replied) if replied else None
    listed = None if digest else await db.saved_view(chat.chat_id)
    if listed is not None:
        if not 1 <= number <= len(listed):
            return Refusal("saved.bad_number", {"number": number, "count": len(listed)})
        return listed[number - 1]
    digest = digest or await db.latest_digest(chat.chat_id)
    if digest is None:
        return Refusal("reading.no_digest")
    if not 1 <= number <= len(digest.paper_ids):
        return Refusal("reading.bad_number", {"number": number, "count": len(digest.paper_ids)})
    return digest.paper_ids[number - 1]


async def paper_id_for(
    update: Update, context: Context, chat: Chat, argument: str, usage: str
) -> str | Refusal:
    """The id `argument` names (a number as /paper reads it, or an arXiv id); else `usage`."""
    match = NUMBER.match(argument)
    if match:
        return await listed_id(update, context, chat, int(match.group(1)))
    try:
        paper_id, _ = normalize_arxiv_id(argument.strip())
    except ValueError:
        return Refusal(usage)
    return paper_id


async def paper_for(
    update: Update, context: Context, chat: Chat, argument: str, usage: str
) -> Paper | Refusal:
    """The paper `argument` names, from the store or else from arXiv (not stored here)."""
    found = await paper_id_for(update, context, chat, argument, usage)
    if isinstance(found, Refusal):
        return found
    engine = engine_of(context)
    paper = await engine.db.get_paper(found) or await look_up(engine, found)
    return Refusal(paper, {"id": found}) if isinstance(paper, str) else paper


async def look_up(engine: Engine, paper_id: str) -> Paper | str:
    """The paper from the arXiv API, or the catalog key of what went wrong.

    "No such paper" only when arXiv answered a result without entries; an answer that is not
    one (an HTML error page, junk, an error entry, too large) says arXiv answered an error.
    """
    try:
        answer = await engine.arxiv.fetch_ids([paper_id])
        papers = await asyncio.to_thread(parse_api, answer)
    except (FeedError, ResponseTooLargeError) as error:
        log.warning("look-up of %s: %s", paper_id, error)
        return "reading.arxiv_error"
    except FetchError as error:
        log.warning("look-up of %s: %s", paper_id, error)
        return "reading.arxiv_down"
    return papers[0] if papers else "reading.unknown_id"


async def paper_marks(engine: Engine, chat: Chat, paper_id: str) -> PaperMarks:
    """What the buttons under an expanded paper show for this chat: its ⭐ state and, in a
    group, how many members pressed 👍 and 👎."""
    saved = await engine.db.is_saved(chat.chat_id, paper_id)
    if not chat.is_group:
        return PaperMarks(saved=saved)
    tally = await engine.db.vote_tally(chat.chat_id, paper_id)
    return PaperMarks(tally.up, tally.down, saved, show_counts=True)
