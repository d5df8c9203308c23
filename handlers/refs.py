"""Which paper a user means by `N` or an arXiv id, as /paper reads them, whether a paper was
shown to a chat (so its buttons may act on it), and its ⭐ state."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from telegram import Message, Update

from bot import lanes
from bot.arxiv import ascii_digits, normalize_arxiv_id, parse_api
from bot.digest import fold_full_width, strip_invisible
from bot.engine import Engine
from bot.errors import FeedError, FetchError, ResponseTooLargeError
from bot.i18n import t
from bot.models import Chat, Paper
from bot.store import Store
from bot.telegram import PaperMarks
from handlers.chats import args_text, replied_message_id
from handlers.context import Context, engine_of

log = logging.getLogger(__name__)
NUMBER = re.compile(r"\[?([0-9]{1,4})\]?")  # 3 or [3], once read as ASCII
REFERENCE_CHARS = 100  # no number or arXiv id (link and version included) is longer


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


def typed_reference(update: Update, context: Context) -> str:
    """What was typed after a command that takes N or an arXiv id: invisible characters gone,
    full-width forms folded."""
    return fold_full_width(strip_invisible(args_text(update, context))).strip()


def reference_number(text: str) -> int | None:
    """The number a reference is ("3", "[3]", "３", "٣", "[३]"), or None when it is none."""
    if len(text) > REFERENCE_CHARS:
        return None
    match = NUMBER.fullmatch(ascii_digits(text).strip())
    return int(match.group(1)) if match else None


def reference_id(text: str) -> str | None:
    """The ASCII arXiv id a reference names (in any digits: "２４０２.０１２９５"), or None."""
    if len(text) > REFERENCE_CHARS:
        return None
    try:
        return normalize_arxiv_id(text)[0]
    except ValueError:
        return None


async def paper_id_for(
    update: Update, context: Context, chat: Chat, argument: str, usage: str
) -> str | Refusal:
    """The id `argument` names (a number as /paper reads it, or an arXiv id); else `usage`."""
    number = reference_number(argument)
    if number is not None:
        return await listed_id(update, context, chat, number)
    paper_id = reference_id(argument)
    return Refusal(usage) if paper_id is None else paper_id


async def paper_for(
    update: Update, context: Context, chat: Chat, argument: str, usage: str
) -> Paper | Refusal:
    """The paper `argument` names, from the store or else from arXiv (not stored here); an
    id arXiv does not know (or cannot be asked about now) is a Refusal saying so."""
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
        papers = await lanes.in_thread(parse_api, answer)
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


def carries_pressed_button(update: Update) -> bool:
    """Whether the message a button was pressed under carries a button with exactly that data.

    Telegram sends the message with the press, as the chat shows it: a client can make up
    callback data, but not the buttons the bot put under its own message.
    """
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or message.reply_markup is None:
        return False
    rows = message.reply_markup.inline_keyboard
    return any(button.callback_data == query.data for row in rows for button in row)


async def was_shown(update: Update, engine: Engine, chat_id: int, paper_id: str) -> bool:
    """Whether the chat was shown this paper, so a button naming it (👍, 👎, ⭐, ✖) may act:

    - the message the button was pressed under carries that very button (a paper expanded
      from a digest, from /saved or by id: Telegram's copy of what the chat was shown), or
    - the paper is in one of the chat's digests (its sent papers, within retention), on its
      reading list, or voted on by one of its members (so a vote can always be withdrawn).

    Anything else is a button the bot never made for this chat: answered as expired.
    """
    if carries_pressed_button(update):
        return True
    return await engine.store.run(_known_to_chat, engine.store, chat_id, paper_id)


def _known_to_chat(store: Store, chat_id: int, paper_id: str) -> bool:
    """The store's side of was_shown, in one worker thread."""
    if store.is_saved(chat_id, paper_id):
        return True
    tally = store.vote_tally(chat_id, paper_id)
    return bool(tally.up or tally.down) or paper_id in store.sent_paper_ids(chat_id)
