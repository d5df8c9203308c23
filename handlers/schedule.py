"""When and where digests come: /frequency (daily or weekly) and /here (a forum topic)."""

from __future__ import annotations

from datetime import datetime

from telegram import Update

from bot.digest import (
    Frequency,
    day_name,
    fold_full_width,
    frequency_text,
    is_weekly,
    parse_frequency,
    strip_invisible,
)
from bot.digest import with_frequency as frequency_applied
from bot.i18n import t
from bot.models import Chat
from handlers.chats import args_text, chat_or_default, get_or_create_chat, thread_of
from handlers.context import Context, clock_now, engine_of
from handlers.replies import reply
from handlers.rights import may_change, refuse_change
from handlers.texts import esc, when_text


async def frequency(update: Update, context: Context) -> None:
    """Set a digest a day or one a week (/frequency weekly fri); without a word, show it."""
    text = fold_full_width(strip_invisible(args_text(update, context))).strip()
    if not text:
        chat = await chat_or_default(update, context)
        current = t(chat.lang, "frequency.line", frequency=esc(frequency_text(chat, chat.lang)))
        await reply(update, context, current + "\n" + t(chat.lang, "frequency.invalid_html"))
        return
    if not await may_change(update, context):
        await refuse_change(update, context)
        return
    choice = parse_frequency(text)
    if not isinstance(choice, Frequency):
        await reply(update, context, t((await chat_or_default(update, context)).lang, choice))
        return
    chat = frequency_applied(await get_or_create_chat(update, context), choice)
    await engine_of(context).db.put_chat(chat)
    await reply(update, context, frequency_set_text(chat, clock_now(context)))


def frequency_set_text(chat: Chat, now: datetime) -> str:
    """The confirmation of a /frequency: how often, on which day, and the next digest."""
    lang = chat.lang
    if is_weekly(chat):
        done = t(lang, "frequency.set_weekly", day=day_name(chat.weekday, lang), time=chat.time)
    else:
        done = t(lang, "frequency.set_daily", time=chat.time)
    return done + "\n" + t(lang, "settings.next", when=when_text(chat, now))


async def here(update: Update, context: Context) -> None:
    """In a group with topics: digests go to the topic this is sent in (admins only)."""
    chat_type = update.effective_chat
    if chat_type is None or not chat_type.is_forum:
        lang = (await chat_or_default(update, context)).lang
        await reply(update, context, t(lang, "forum.no_topics"))
        return
    if not await may_change(update, context):
        await refuse_change(update, context)
        return
    thread = thread_of(update) or 0
    chat = (await get_or_create_chat(update, context)).with_changes(thread_id=thread)
    await engine_of(context).db.put_chat(chat)
    key = "forum.here_topic" if thread else "forum.here_general"
    await reply(update, context, t(chat.lang, key))
