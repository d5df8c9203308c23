"""Answering an update: a reply in its chat and forum topic, an edit of a button's message."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest

from bot.telegram import fit_message, send_html
from handlers.chats import chat_id_of, thread_of
from handlers.context import Context, engine_of
from handlers.texts import plain_text

log = logging.getLogger(__name__)


async def reply(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send an HTML message to the update's chat, in the forum topic the update came from; a
    chat that blocked the bot is marked inactive."""
    engine, chat_id, thread = engine_of(context), chat_id_of(update), thread_of(update)
    await send_html(context.bot, engine, chat_id, text, markup, thread_id=thread)


def _shows(message: object, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """Whether a message already shows this HTML text and these buttons."""
    if not isinstance(message, Message):
        return False
    return message.text == plain_text(text) and message.reply_markup == markup


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message a button sits under, unless it already shows exactly this."""
    if _shows(query.message, text, markup):  # Telegram refuses an edit that changes nothing
        return
    chat_id = query.message.chat.id if query.message else 0
    fitted = fit_message(text, MessageLimit.MAX_TEXT_LENGTH, chat_id)
    try:
        await query.edit_message_text(fitted, reply_markup=markup)
    except BadRequest as error:  # a double tap can race its own edit
        if "not modified" not in str(error).lower():
            raise
