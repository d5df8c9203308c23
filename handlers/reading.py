"""Reading: the digest on demand, papers by number or id, further pages, the Markdown export."""

from __future__ import annotations

import asyncio
import io
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.clean import normalize_arxiv_id
from bot.deliver import page_callback, page_count, send_html, send_page
from bot.engine import Engine
from bot.errors import FeedError, FetchError
from bot.i18n import t
from bot.markdown import render_markdown
from bot.models import Chat, Digest, Paper
from bot.parse import parse_api
from bot.pipeline import digest_entries, make_digest
from bot.render import DigestHeader, Entry, render_empty, render_paper
from handlers.common import args_text, engine_of, get_or_create_chat, reply

NUMBER = re.compile(r"^\s*\[?(\d{1,4})\]?\s*$")


async def digest_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the papers this chat has not had yet, or say there are none and offer the last."""
    engine, chat = engine_of(context), await get_or_create_chat(update, context)
    if not chat.topics:
        await reply(update, context, t(chat.lang, "reading.no_topics"))
        return
    await engine.feeds_fetched(chat)  # a fetch of its feeds under way (a new topic) ends first
    digest = await make_digest(engine, chat)
    if digest is not None:
        await send_page(context.bot, engine, digest, 1)
        return
    latest = engine.store.latest_digest(chat.chat_id)
    markup = None
    if latest is not None:
        again = t(chat.lang, "reading.show_latest", number=latest.number)
        button = InlineKeyboardButton(again, callback_data=page_callback(latest, 1))
        markup = InlineKeyboardMarkup([[button]])
    await reply(update, context, render_empty(chat.lang, engine.store.latest_day()), markup)


async def paper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand reference N of the chat's digest (/paper 3), or a paper by id (/paper 2402.01295)."""
    chat = await get_or_create_chat(update, context)
    argument = args_text(update, context).strip()
    if NUMBER.match(argument):
        await _expand_number(update, context, chat, int(NUMBER.match(argument).group(1)))  # type: ignore[union-attr]
        return
    try:
        paper_id, _ = normalize_arxiv_id(argument)
    except ValueError:
        await reply(update, context, t(chat.lang, "reading.paper_usage"))
        return
    await _expand_id(update, context, chat, paper_id)


async def paper_by_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand the number a user sent, from the digest it replies to or else the latest one."""
    chat = await get_or_create_chat(update, context)
    match = NUMBER.match(update.effective_message.text or "") if update.effective_message else None
    if match is not None:
        await _expand_number(update, context, chat, int(match.group(1)))


async def expand_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand the entry whose number button was pressed under a digest message."""
    chat, digest_number, number = await _pressed(update, context)
    digest = engine_of(context).store.get_digest(chat.chat_id, digest_number)
    await _expand(update, context, chat, digest, number)


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the page of a digest that a "More" (or "show again") button asks for."""
    chat, digest_number, page = await _pressed(update, context)
    engine = engine_of(context)
    digest = engine.store.get_digest(chat.chat_id, digest_number)
    if digest is None or not 1 <= page <= page_count(digest):
        await reply(update, context, t(chat.lang, "reading.no_digest"))
        return
    await send_page(context.bot, engine, digest, page)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the latest digest as a Markdown document: the table, then every paper expanded."""
    engine, chat = engine_of(context), await get_or_create_chat(update, context)
    digest = engine.store.latest_digest(chat.chat_id)
    if digest is None:
        await reply(update, context, t(chat.lang, "reading.no_digest"))
        return
    view = digest.with_changes(lang=chat.lang)
    entries = await digest_entries(engine, view, range(1, len(digest.paper_ids) + 1))
    header = DigestHeader(digest.announced, digest.topics, len(entries))
    document = render_markdown(entries, chat.lang, header).encode("utf-8")
    name = f"arxiv-digest-{digest.announced or digest.number}.md"
    caption = t(chat.lang, "reading.export_caption", count=len(entries), date=digest.announced)
    await context.bot.send_document(
        chat.chat_id, io.BytesIO(document), filename=name, caption=caption
    )


async def _expand_number(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, number: int
) -> None:
    store = engine_of(context).store
    message = update.effective_message
    replied = message.reply_to_message if message is not None else None
    digest = store.digest_for_message(chat.chat_id, replied.message_id) if replied else None
    await _expand(update, context, chat, digest or store.latest_digest(chat.chat_id), number)


async def _expand(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    digest: Digest | None,
    number: int,
) -> None:
    if digest is None:
        await reply(update, context, t(chat.lang, "reading.no_digest"))
        return
    if not 1 <= number <= len(digest.paper_ids):
        text = t(chat.lang, "reading.bad_number", number=number, count=len(digest.paper_ids))
        await reply(update, context, text)
        return
    engine = engine_of(context)
    entries = await digest_entries(engine, digest.with_changes(lang=chat.lang), [number])
    await _send_parts(context, engine, chat, render_paper(entries[0], chat.lang))


async def _expand_id(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, paper_id: str
) -> None:
    engine = engine_of(context)
    found = engine.store.get_paper(paper_id) or await _look_up(engine, paper_id)
    if isinstance(found, str):
        await reply(update, context, t(chat.lang, found, id=paper_id))
        return
    summaries = await engine.summaries.summaries([found], chat.lang)
    entry = Entry(0, found, summaries[found.key])
    await _send_parts(context, engine, chat, render_paper(entry, chat.lang))


async def _look_up(engine: Engine, paper_id: str) -> Paper | str:
    """The paper from the arXiv API, or the catalog key of what went wrong."""
    try:
        papers = parse_api(await engine.arxiv.fetch_ids([paper_id]))
    except FeedError:
        return "reading.unknown_id"
    except FetchError:
        return "reading.arxiv_down"
    return papers[0] if papers else "reading.unknown_id"


async def _send_parts(
    context: ContextTypes.DEFAULT_TYPE, engine: Engine, chat: Chat, parts: list[str]
) -> None:
    for index, part in enumerate(parts):
        if index:
            await asyncio.sleep(engine.settings.chat_interval)
        if await send_html(context.bot, engine, chat.chat_id, part) is None:
            return


async def _pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> tuple[Chat, int, int]:
    """Answer a pressed digest button; its chat and the two numbers in "p:<digest>:<n>"."""
    query = update.callback_query
    assert query is not None and query.data is not None, "registered for callback queries"
    await query.answer()
    _, first, second = query.data.split(":")
    return await get_or_create_chat(update, context), int(first), int(second)
