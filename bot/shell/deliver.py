"""Delivering digests to Telegram: pages with number buttons, resumable, paced."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import MessageLimit
from telegram.error import BadRequest, ChatMigrated, Forbidden

from bot import lanes
from bot.buttons import page_data, paper_data, save_data, vote_data
from bot.digest import DigestHeader, DigestPart, fit_html, page_slices, render_digest_parts
from bot.engine import Engine
from bot.i18n import t
from bot.models import Digest
from bot.pipeline import MadeDigest, digest_entries

log = logging.getLogger(__name__)

BUTTONS_PER_ROW = 8
# Telegram's answers to a send into a forum topic that was closed or deleted.
GONE_TOPIC = ("topic_closed", "message thread not found", "topic_deleted")


def page_count(digest: Digest) -> int:
    return max(len(page_slices(len(digest.paper_ids), digest.limit)), 1)


def digest_keyboard(
    digest: Digest, numbers: list[int], next_page: int | None
) -> InlineKeyboardMarkup | None:
    """A button per entry of one message, and a "More" button under the last part of a page."""
    buttons = [
        InlineKeyboardButton(str(n), callback_data=paper_data(digest.number, n)) for n in numbers
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    if next_page is not None:
        more = t(digest.lang, "digest.more_button")
        button = InlineKeyboardButton(more, callback_data=page_data(digest.number, next_page))
        rows.append([button])
    return InlineKeyboardMarkup(rows) if rows else None


@dataclass(frozen=True)
class PaperMarks:
    """What the buttons under an expanded paper show: vote counts (groups) and the ⭐ state."""

    up: int = 0
    down: int = 0
    saved: bool = False
    show_counts: bool = False  # in groups each button shows how many members pressed it


def paper_keyboard(paper_id: str, marks: PaperMarks = PaperMarks()) -> InlineKeyboardMarkup:
    """👍 / 👎 / ⭐ under an expanded paper (the last message of it)."""

    def label(symbol: str, count: int) -> str:
        return f"{symbol} {count}" if marks.show_counts and count else symbol

    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    label("👍", marks.up), callback_data=vote_data(paper_id, True)
                ),
                InlineKeyboardButton(
                    label("👎", marks.down), callback_data=vote_data(paper_id, False)
                ),
                InlineKeyboardButton(save_label(marks.saved), callback_data=save_data(paper_id)),
            ]
        ]
    )


def save_label(saved: bool) -> str:
    """The ⭐ button's label: with a check mark while the paper is on the reading list."""
    return "⭐ ✓" if saved else "⭐"


async def send_page(
    bot: Bot, engine: Engine, digest: Digest, page: int, made: MadeDigest | None = None
) -> Digest:
    """Send one page of a stored digest; page 1 resumes after the parts a crash left sent.

    An undelivered first page has one sender at a time (a /digest and the scheduler's resume
    may both reach it), and it starts from what the store says was sent, not from a stale copy.
    `made` is the digest as just made: its entries are not looked up again.
    """
    if page != 1 or digest.done:
        return await _send_page(bot, engine, digest, page, made)
    key = (digest.chat_id, digest.number)
    current = await engine.db.get_digest(*key) or digest
    if key in engine.delivering or current.done:
        return current
    engine.delivering.add(key)
    try:
        return await _send_page(bot, engine, current, page, made)
    finally:
        engine.delivering.discard(key)


async def _send_page(
    bot: Bot, engine: Engine, digest: Digest, page: int, made: MadeDigest | None
) -> Digest:
    parts = await _page_parts(engine, digest, page, made)
    pages = page_count(digest)
    resume = page == 1 and not digest.done
    first = digest.parts_sent if resume else 0
    for index in range(first, len(parts)):
        last = index == len(parts) - 1
        next_page = page + 1 if last and page < pages else None
        markup = digest_keyboard(digest, list(parts[index].numbers), next_page)
        if index > first:
            await asyncio.sleep(engine.settings.chat_interval)
        chat = await engine.db.get_chat(digest.chat_id)
        thread = chat.thread_id if chat and chat.thread_id else None  # its forum topic
        text = parts[index].text
        message = await send_html(bot, engine, digest.chat_id, text, markup, None, thread)
        if message is None:
            return digest
        digest = digest.with_changes(
            chat_id=message.chat_id,  # the supergroup's id, if the group migrated meanwhile
            message_ids=digest.message_ids + (message.message_id,),
            parts_sent=index + 1 if resume else digest.parts_sent,
        )
        if resume and last:  # the last part and the end of delivery: one commit
            digest = digest.with_changes(done=True)
        await engine.db.record_sent(digest)  # on disk before anything else is sent
    if resume and not digest.done:  # nothing was left to send
        digest = digest.with_changes(done=True)
        await engine.db.put_digest(digest)
    return digest


async def _page_parts(
    engine: Engine, digest: Digest, page: int, made: MadeDigest | None
) -> list[DigestPart]:
    """The messages of one page, each with its entry numbers, rendered in a worker thread."""
    slices = page_slices(len(digest.paper_ids), digest.limit)
    numbers = [index + 1 for index in slices[page - 1]]
    if made is not None and made.holds(digest):
        entries = made.entries(numbers)
    else:
        entries = await digest_entries(engine, digest, numbers)
    header = DigestHeader(digest.announced, digest.topics, len(digest.paper_ids), page, len(slices))
    header = replace(header, interests_tip=digest.interests_tip and page == 1)
    return await lanes.in_thread(render_digest_parts, header, entries, digest.lang)


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
