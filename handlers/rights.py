"""Who may change a chat, and buttons read or refused: the admin rule, expired button data."""

from __future__ import annotations

import logging
from typing import TypeVar

from telegram import CallbackQuery, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.i18n import t
from bot.telegram import Button, parse_button
from handlers.chats import chat_id_of, is_channel, is_group, lang_of, user_lang
from handlers.context import Context
from handlers.replies import reply

log = logging.getLogger(__name__)

Pressed = TypeVar("Pressed", bound=Button)


async def may_change(update: Update, context: Context) -> bool:
    """Whether the sender may change this chat: anyone in private, only admins in groups; in a
    channel its posts (the channel is their sender) and the buttons its admins press."""
    if not is_group(update) and not is_channel(update):
        return True
    message, chat_id = update.effective_message, chat_id_of(update)
    if update.callback_query is None and message and message.sender_chat:
        return message.sender_chat.id == chat_id  # an anonymous admin posts as the group
    user = update.effective_user
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat_id, user.id)
    except TelegramError as error:
        log.warning("cannot check admin rights in chat %s: %s", chat_id, error)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def refuse_change(update: Update, context: Context) -> None:
    """Tell a group member that only admins change this (as a reply or a button's alert)."""
    text = t(await lang_of(update, context), "common.admins_only")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, context, text)


async def pressed(update: Update, context: Context, kind: type[Pressed]) -> Pressed | None:
    """The button of this kind a callback query reads as; None, after saying the button
    expired, when its data reads as no such button."""
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    button = parse_button(query.data)
    if not isinstance(button, kind):
        await expired_button(update, context)
        return None
    return button


async def expired_button(update: Update, context: Context) -> None:
    """Answer a button whose data no handler can read: it has expired, nothing else happens."""
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    chat = update.effective_chat
    log.info("a button with unreadable data in chat %s", chat.id if chat else "-")
    lang = await lang_of(update, context) if chat else user_lang(update)
    await query.answer(t(lang, "common.button_expired"))


async def admin_button(
    update: Update, context: Context, kind: type[Pressed]
) -> tuple[CallbackQuery, Pressed] | None:
    """The pressed button's query and data when it reads as `kind` and its sender may change
    this chat; else answered (expired, or refused) and None."""
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    button = await pressed(update, context, kind)
    if button is None:
        return None
    if not await may_change(update, context):
        await refuse_change(update, context)
        return None
    return query, button
