"""Which paper a user means by `N` or an arXiv id, as /paper reads them, and whether a paper was
shown to a chat (so its buttons may act on it); the engine's side is bot/views.py."""

from __future__ import annotations

import logging
import re

from telegram import Message, Update

from bot.arxiv import ascii_digits, normalize_arxiv_id
from bot.digest import fold_full_width, strip_invisible
from bot.engine import Engine
from bot.models import Chat, Paper
from bot.views import Refusal, known_to_chat, listed_id, look_up
from handlers.chats import args_text, replied_message_id
from handlers.context import Context, engine_of

log = logging.getLogger(__name__)
NUMBER = re.compile(r"\[?([0-9]{1,4})\]?")  # 3 or [3], once read as ASCII
REFERENCE_CHARS = 100  # no number or arXiv id (link and version included) is longer


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
        return await listed_id(engine_of(context), chat, number, replied_message_id(update))
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
    return await engine.store.run(known_to_chat, engine.store, chat_id, paper_id)
