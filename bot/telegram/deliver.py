"""Delivering a page of a digest: its rendered messages sent with their number buttons, each
recorded the moment Telegram accepts it, resuming after the messages a crash left sent."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot

from bot import lanes
from bot.digest import PageView, render_page
from bot.engine import Engine
from bot.models import Digest
from bot.telegram.keyboards import digest_keyboard
from bot.telegram.send import send_html

log = logging.getLogger(__name__)


async def send_page(bot: Bot, engine: Engine, view: PageView) -> Digest:
    """Send the page a view holds (rendered in a worker thread); the digest as recorded.

    Page 1 of a digest not delivered yet is its delivery: it starts after the messages sent
    before, and each message sent is on disk before the next goes (engine.db.record_sent).
    """
    parts = await lanes.in_thread(render_page, view)
    digest, resume, first = view.digest, view.resuming, view.sent_before
    thread = view.thread_id
    for index in range(first, len(parts)):
        last = index == len(parts) - 1
        markup = digest_keyboard(
            digest, list(parts[index].numbers), view.next_page if last else None
        )
        if index > first:
            await asyncio.sleep(engine.settings.chat_interval)
        message = await send_html(
            bot, engine, digest.chat_id, parts[index].text, markup, None, thread
        )
        if message is None:
            return digest
        thread = thread if message.is_topic_message else None  # gone to General: stays there
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
        await engine.db.record_sent(digest)
    return digest
