"""Teaching the ranking: /interests in plain words, 👍 / 👎 votes by button, /like and /dislike."""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.buttons import VoteButton, save_data
from bot.clean import normalize_arxiv_id
from bot.i18n import t
from bot.learn import INTERESTS_LIMIT, InterestsRefused, clean_interests
from bot.models import Chat
from bot.shell.deliver import PaperMarks, paper_keyboard
from bot.store import Tally
from bot.textcut import shorten, strip_invisible
from handlers.common import (
    args_text,
    echo,
    echo_refused,
    engine_of,
    esc,
    get_or_create_chat,
    is_group,
    may_change,
    pressed,
    refuse_change,
    reply,
)

log = logging.getLogger(__name__)

OFF_WORDS = frozenset({"off", "clear", "none", "关闭", "清除"})
NUMBER = re.compile(r"^\s*\[?(\d{1,4})\]?\s*$")
TITLE_UNITS = 80  # a paper's title in a vote's reply


async def interests(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the chat's interests, set them from the text typed, or clear them with "off"."""
    chat = await get_or_create_chat(update, context)
    typed = args_text(update, context)
    visible = " ".join(strip_invisible(typed).split())
    if not visible:
        await reply(update, context, _interests_text(chat))
        return
    if not await may_change(update, context):
        await refuse_change(update, context)
        return
    db = engine_of(context).db
    if visible.lower() in OFF_WORDS:
        await db.set_interests(chat.chat_id, "")
        await reply(update, context, esc(t(chat.lang, "learning.interests_cleared")))
        return
    try:
        cleaned = clean_interests(typed)
    except InterestsRefused as refused:
        key = f"learning.interests_{refused.reason}_html"
        values = {
            "length": len(typed.strip()),
            "limit": INTERESTS_LIMIT,
            "echo": echo_refused(typed),
        }
        await reply(update, context, t(chat.lang, key, **values))
        return
    await db.set_interests(chat.chat_id, cleaned)
    await reply(update, context, t(chat.lang, "learning.interests_set_html", echo=echo(cleaned)))


def _interests_text(chat: Chat) -> str:
    if chat.interests:
        return t(chat.lang, "learning.interests_current_html", interests=esc(chat.interests))
    return t(chat.lang, "learning.interests_none_html", limit=INTERESTS_LIMIT)


async def like(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍 a paper by reference number or arXiv id (again: withdraw the vote)."""
    await _vote_command(update, context, up=True)


async def dislike(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👎 a paper by reference number or arXiv id (again: withdraw the vote)."""
    await _vote_command(update, context, up=False)


async def _vote_command(update: Update, context: ContextTypes.DEFAULT_TYPE, up: bool) -> None:
    chat = await get_or_create_chat(update, context)
    paper_id = await _paper_id(update, context, chat)
    if paper_id is None:
        await reply(update, context, t(chat.lang, "learning.vote_usage_html"))
        return
    tally = await _press(update, context, chat, paper_id, up)
    paper = await engine_of(context).db.get_paper(paper_id)
    title = esc(shorten(" ".join(paper.title.split()), TITLE_UNITS)) if paper else paper_id
    key = "learning.vote_withdrawn_html"
    if tally.mine:
        key = "learning.vote_up_html" if tally.mine > 0 else "learning.vote_down_html"
    await reply(update, context, t(chat.lang, key, title=title))


async def _paper_id(update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat) -> str | None:
    """The paper a /like or /dislike names: [N] of the digest replied to or the latest, or an
    arXiv id; None when it names none."""
    argument = strip_invisible(args_text(update, context)).strip()
    match = NUMBER.match(argument)
    if match is None:
        try:
            return normalize_arxiv_id(argument)[0]
        except ValueError:
            return None
    db, message = engine_of(context).db, update.effective_message
    replied = message.reply_to_message if message is not None else None
    digest = await db.digest_for_message(chat.chat_id, replied.message_id) if replied else None
    digest = digest or await db.latest_digest(chat.chat_id)
    number = int(match.group(1))
    if digest is None or not 1 <= number <= len(digest.paper_ids):
        return None
    return digest.paper_ids[number - 1]


async def _press(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, paper_id: str, up: bool
) -> Tally:
    """Record one member's vote (the same again withdraws it): one row, off the event loop."""
    user = update.effective_user
    user_id = user.id if user is not None else chat.chat_id
    return await engine_of(context).db.press_vote(chat.chat_id, paper_id, user_id, 1 if up else -1)


async def vote_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Count a 👍 / 👎 press, answer with a short pop-up; in groups show the new counts."""
    button = await pressed(update, context, VoteButton)
    if button is None:
        return
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    chat = await get_or_create_chat(update, context)
    tally = await _press(update, context, chat, button.paper_id, button.up)
    if is_group(update):
        await _show_counts(query, button.paper_id, tally)
    key = "learning.vote_withdrawn"
    if tally.mine:
        key = "learning.vote_up" if tally.mine > 0 else "learning.vote_down"
    await query.answer(t(chat.lang, key))


async def _show_counts(query: CallbackQuery, paper_id: str, tally: Tally) -> None:
    """Put the counts on the paper's buttons, keeping the ⭐ as the message shows it."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    saved = markup is not None and any(
        b.callback_data == save_data(paper_id) and "✓" in b.text
        for row in markup.inline_keyboard
        for b in row
    )
    keyboard = paper_keyboard(paper_id, PaperMarks(tally.up, tally.down, saved, True))
    if markup == keyboard:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as error:  # two taps racing their own edits
        if "not modified" not in str(error).lower():
            raise
