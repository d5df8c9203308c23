"""Delivering digests to Telegram: pages with number buttons, resumable, each message recorded
the moment Telegram accepts it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from telegram import Bot

from bot import lanes
from bot.digest import DigestHeader, DigestPart, page_slices, render_digest_parts
from bot.engine import Engine
from bot.models import Digest
from bot.pipeline import MadeDigest, digest_entries
from bot.telegram.keyboards import digest_keyboard
from bot.telegram.send import send_html

log = logging.getLogger(__name__)


def page_count(digest: Digest) -> int:
    return max(len(page_slices(len(digest.paper_ids), digest.limit)), 1)


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
