"""The bot's own membership: removed or blocked makes a chat inactive; added back, active."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes

from bot.i18n import t
from bot.telegram import mark_inactive, move_chat
from handlers.chats import is_group, user_lang
from handlers.context import engine_of, fetch_new_feeds
from handlers.replies import reply

log = logging.getLogger(__name__)

GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


def is_present(member: ChatMember) -> bool:
    """Whether the bot is in the chat (a restricted member still is, while `is_member`)."""
    if member.status == ChatMemberStatus.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status not in GONE


async def member_changed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Mark the chat inactive when the bot is removed or blocked; active again when it is back."""
    change = update.my_chat_member
    if change is None:
        return
    chat_id = change.chat.id
    was, now = is_present(change.old_chat_member), is_present(change.new_chat_member)
    if was and not now:
        mark_inactive(engine_of(context), chat_id, f"bot is now {change.new_chat_member.status}")
    elif now and not was:
        await _came_back(update, context, change)


async def _came_back(
    update: Update, context: ContextTypes.DEFAULT_TYPE, change: ChatMemberUpdated
) -> None:
    """Reactivate a known chat (fetching its feeds unless asked a moment ago); greet a group."""
    engine = engine_of(context)
    chat = await engine.db.get_chat(change.chat.id)
    if chat is not None and not chat.active:
        await engine.db.put_chat(chat.with_changes(active=True))
        log.info("chat %s active again: bot is %s", chat.chat_id, change.new_chat_member.status)
        fetch_new_feeds(context, chat)
    if is_group(update):  # a private chat's /start follows and greets
        lang = chat.lang if chat is not None else user_lang(update)
        await reply(update, context, t(lang, "membership.group_added"))


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: its settings, digests and sent papers move to the new id.

    Telegram announces it twice (migrate_to_chat_id in the group, migrate_from_chat_id in the
    supergroup); the first moves the chat, the second finds it moved.
    """
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old_id, new_id = message.chat_id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old_id, new_id = message.migrate_from_chat_id, message.chat_id
    else:
        return
    engine = engine_of(context)
    await engine.store.run(move_chat, engine, old_id, new_id)  # one commit, off the event loop
