"""The one send path: every message and file to a chat, cut to Telegram's limits, following a
group's move to a supergroup, falling back from a closed forum topic, marking a chat that
blocked the bot inactive. Flood control is the bot's rate limiter's (bot/telegram/ratelimit.py)."""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden

from bot.digest import fit_html
from bot.engine import Engine
from bot.i18n import t

log = logging.getLogger(__name__)

# Telegram's answers to a send into a forum topic that was closed or deleted.
GONE_TOPIC = ("topic_closed", "message thread not found", "topic_deleted")


async def send_html(
    bot: Bot,
    engine: Engine,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    reply_to: int | None = None,
    thread_id: int | None = None,
) -> Message | None:
    """Send one HTML message (into forum topic `thread_id`, if any), cut to Telegram's limit if
    it is longer whatever built it; a chat that blocked or removed the bot is marked inactive
    (None)."""
    fitted = fit_message(text, MessageLimit.MAX_TEXT_LENGTH, chat_id)

    def send(to: int, thread: int | None) -> Awaitable[Message]:
        replied = reply_to if to == chat_id else None  # a moved chat has new message ids
        return bot.send_message(
            to, fitted, reply_markup=markup, reply_to_message_id=replied, message_thread_id=thread
        )

    return await _deliver(bot, engine, chat_id, send, thread_id)


async def edit_parts(
    bot: Bot,
    chat_id: int,
    message_ids: list[int],
    parts: list[str],
    markup: InlineKeyboardMarkup | None,
    thread_id: int | None = None,
) -> list[int]:
    """Show `parts` in the messages sent before (edited in place, the buttons under the last
    part); parts beyond them are sent after, messages beyond them deleted. A message the user
    deleted meanwhile, or a chat that blocked the bot, ends it quietly. The ids of the messages
    that show the parts now (for a later edit)."""
    shown = list(message_ids)
    try:
        for index, part in enumerate(parts):
            buttons = markup if index == len(parts) - 1 else None
            fitted = fit_message(part, MessageLimit.MAX_TEXT_LENGTH, chat_id)
            if index < len(message_ids):
                await _edit(bot, chat_id, message_ids[index], fitted, buttons)
            else:
                sent = await bot.send_message(
                    chat_id, fitted, reply_markup=buttons, message_thread_id=thread_id
                )
                shown.append(sent.message_id)
        for extra in message_ids[len(parts) :]:
            await bot.delete_message(chat_id, extra)
            shown.remove(extra)
    except (Forbidden, BadRequest) as error:
        log.info("message of chat %s not brought up to date: %s", chat_id, error)
    return shown


async def _edit(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    try:
        await bot.edit_message_text(text, chat_id, message_id, reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def send_document(
    bot: Bot,
    engine: Engine,
    chat_id: int,
    content: bytes,
    filename: str,
    caption: str = "",
    thread_id: int | None = None,
) -> Message | None:
    """Send a file, on the same path as messages (flood control, blocked or moved chats)."""
    fitted = fit_message(caption, MessageLimit.CAPTION_LENGTH, chat_id)

    def send(to: int, thread: int | None) -> Awaitable[Message]:
        return bot.send_document(
            to,
            io.BytesIO(content),
            filename=filename,
            caption=fitted or None,
            message_thread_id=thread,
        )

    return await _deliver(bot, engine, chat_id, send, thread_id)


def fit_message(text: str, units: int, chat_id: int) -> str:
    """The HTML text, cut to `units` as Telegram counts them (logged when a cut was needed)."""
    fitted = fit_html(text, units)
    if fitted != text:
        log.warning("a message to chat %s was cut to Telegram's %d characters", chat_id, units)
    return fitted


async def _deliver(
    bot: Bot,
    engine: Engine,
    chat_id: int,
    send: Callable[[int, int | None], Awaitable[Message]],
    thread_id: int | None = None,
) -> Message | None:
    """Run one send to a chat: follow a group's move to a supergroup; fall back to the General
    topic when the forum topic is closed or gone; mark a chat that blocked or removed the bot
    inactive (None). Flood control and 429s are the bot's rate limiter's."""
    try:
        return await send(chat_id, thread_id)
    except ChatMigrated as moved:  # a group became a supergroup: its settings move with it
        await engine.store.run(move_chat, engine, chat_id, moved.new_chat_id)
        return await _deliver(bot, engine, moved.new_chat_id, send)
    except Forbidden as error:
        await engine.store.run(mark_inactive, engine, chat_id, str(error))
    except BadRequest as error:
        why = str(error).lower()
        if thread_id is not None and any(gone in why for gone in GONE_TOPIC):
            await leave_topic(bot, engine, chat_id, thread_id, why)
            return await _deliver(bot, engine, chat_id, send)
        if "chat not found" not in why:
            raise
        await engine.store.run(mark_inactive, engine, chat_id, str(error))
    return None


async def leave_topic(bot: Bot, engine: Engine, chat_id: int, thread_id: int, why: str) -> None:
    """The chat's forum topic is closed or gone: digests go to the General topic from now on,
    and the first time that happens a line there says so."""
    chat = await engine.db.get_chat(chat_id)
    log.info(
        "chat %s: topic %s refused a message (%s); sending to General", chat_id, thread_id, why
    )
    if chat is None or chat.thread_id != thread_id:
        return
    await engine.db.put_chat(chat.with_changes(thread_id=0))
    await _deliver(
        bot, engine, chat_id, lambda to, _: bot.send_message(to, t(chat.lang, "forum.topic_gone"))
    )


def mark_inactive(engine: Engine, chat_id: int, why: str) -> None:
    """Skip this chat from now on, keeping its settings; /start makes it active again."""
    chat = engine.store.get_chat(chat_id)
    if chat is not None and chat.active:
        engine.store.put_chat(chat.with_changes(active=False))
        log.info("chat %s marked inactive: %s", chat_id, why)


def move_chat(engine: Engine, old_id: int, new_id: int) -> None:
    """Carry a group's settings, digests and sent papers to its supergroup id; retire the old id."""
    if engine.store.move_chat(old_id, new_id):
        log.info("chat %s moved to %s (now a supergroup)", old_id, new_id)
