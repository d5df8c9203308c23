"""Teaching the ranking: /interests in plain words, 👍 / 👎 votes by button, /like and /dislike."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.digest import PaperMarks, shorten, strip_invisible
from bot.i18n import t
from bot.llm import english_words
from bot.models import Chat
from bot.ranking import INTERESTS_LIMIT, InterestsRefused, clean_interests
from bot.store import Tally
from bot.telegram import VoteButton, paper_keyboard, save_data
from bot.views import Refusal
from handlers.chats import args_text, chat_id_of, get_or_create_chat, is_group
from handlers.context import engine_of
from handlers.refs import paper_for, typed_reference, was_shown
from handlers.replies import reply
from handlers.rights import expired_button, may_change, pressed, refuse_change
from handlers.texts import echo, echo_refused, esc

log = logging.getLogger(__name__)

OFF_WORDS = frozenset({"off", "clear", "none", "关闭", "清除"})
TITLE_UNITS = 80  # a paper's title in a vote's reply
TERMS_UNITS = 240  # the English search terms shown


async def interests(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the chat's interests, set them from the text typed, or clear them with "off"."""
    chat = await get_or_create_chat(update, context)
    typed = args_text(update, context)
    visible = " ".join(strip_invisible(typed).split())
    engine = engine_of(context)
    if not visible:
        await reply(update, context, _interests_text(chat, engine.terms.status(chat)))
        return
    if not await may_change(update, context):
        await refuse_change(update, context)
        return
    if visible.lower() in OFF_WORDS:
        await engine.db.set_interests(chat.chat_id, "")
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
    stored = await engine.terms.set_interests(chat.chat_id, cleaned)  # with the LLM's terms
    stored = stored or chat.with_changes(interests=cleaned)
    await reply(update, context, _set_text(stored, engine.terms.status(stored)))


def _set_text(chat: Chat, status: str) -> str:
    """The reply to interests just set: what they are, and what the bot will look for."""
    matched = status in ("english", "terms", "embedded")
    key = "learning.interests_set_html" if matched else "learning.interests_saved_html"
    return "\n".join([t(chat.lang, key, echo=echo(chat.interests)), *_match_lines(chat, status)])


def _interests_text(chat: Chat, status: str) -> str:
    if chat.interests:
        current = t(chat.lang, "learning.interests_current_html", interests=esc(chat.interests))
        return "\n".join([current, *_match_lines(chat, status)])
    return t(chat.lang, "learning.interests_none_html", limit=INTERESTS_LIMIT)


def _match_lines(chat: Chat, status: str) -> list[str]:
    """What interests written in another language are matched by (bot.llm.terms): the English
    search terms, the embeddings, or why nothing yet and the English words that count."""
    lang = chat.lang
    if status == "terms":
        terms = echo(", ".join(chat.interest_terms), TERMS_UNITS)
        return [t(lang, "learning.interests_terms_html", terms=terms)]
    if status not in ("later", "gave_up", "no_llm", "embedded"):
        return []
    lines = [t(lang, f"learning.interests_{status}_html")]
    if status == "embedded":
        return lines
    words = english_words(chat.interests)
    if words:
        return [*lines, t(lang, "learning.interests_only_words_html", words=echo(", ".join(words)))]
    return [*lines, esc(t(lang, "learning.interests_no_match"))]


async def like(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍 a paper by reference number or arXiv id (again: withdraw the vote)."""
    await _vote_command(update, context, up=True)


async def dislike(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👎 a paper by reference number or arXiv id (again: withdraw the vote)."""
    await _vote_command(update, context, up=False)


async def _vote_command(update: Update, context: ContextTypes.DEFAULT_TYPE, up: bool) -> None:
    """A vote by N or id; kept only for a paper the store holds or arXiv confirms."""
    chat = await get_or_create_chat(update, context)
    argument = typed_reference(update, context)
    found = await paper_for(update, context, chat, argument, "learning.vote_usage_html")
    if isinstance(found, Refusal):
        await reply(update, context, found.text(chat.lang))
        return
    tally = await _press(update, context, chat, found.id, up)
    title = esc(shorten(" ".join(found.title.split()), TITLE_UNITS))
    key = "learning.vote_withdrawn_html"
    if tally.mine:
        key = "learning.vote_up_html" if tally.mine > 0 else "learning.vote_down_html"
    await reply(update, context, t(chat.lang, key, title=title))


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
    if not await was_shown(update, engine_of(context), chat_id_of(update), button.paper_id):
        await expired_button(update, context)  # a paper this chat was never shown
        return
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
    if markup is not None:  # the rows under the marks (the ready questions) stay
        rows = (*keyboard.inline_keyboard, *markup.inline_keyboard[1:])
        keyboard = InlineKeyboardMarkup(rows)
    if markup == keyboard:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as error:  # two taps racing their own edits
        if "not modified" not in str(error).lower():
            raise
