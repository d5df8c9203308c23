"""Reading: the digest on demand, papers by number or id, further pages, the Markdown export."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.digest import (
    DigestHeader,
    Entry,
    fold_full_width,
    render_empty,
    render_markdown,
    render_paper,
    strip_invisible,
)
from bot.engine import Engine
from bot.i18n import t
from bot.models import Chat, Digest
from bot.pipeline import digest_entries, prepare_digest
from bot.telegram import (
    PageButton,
    PaperButton,
    page_count,
    page_data,
    paper_keyboard,
    send_document,
    send_html,
    send_page,
)
from handlers.chats import get_or_create_chat, thread_of
from handlers.context import engine_of
from handlers.refs import (
    Refusal,
    listed_id,
    look_up,
    paper_marks,
    reference_id,
    reference_number,
    typed_reference,
)
from handlers.replies import reply
from handlers.rights import expired_button, pressed

log = logging.getLogger(__name__)


async def digest_now(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the papers this chat has not had yet, or say there are none and offer the last."""
    engine, chat = engine_of(context), await get_or_create_chat(update, context)
    if not chat.topics:
        await reply(update, context, t(chat.lang, "reading.no_topics"))
        return
    await engine.feeds_fetched(chat)  # a fetch of its feeds under way (a new topic) ends first
    made = await prepare_digest(engine, chat)
    if made is not None:
        await send_page(context.bot, engine, made.digest, 1, made)
        return
    latest = await engine.db.latest_digest(chat.chat_id)
    markup = None
    if latest is not None:
        again = t(chat.lang, "reading.show_latest", number=latest.number)
        button = InlineKeyboardButton(again, callback_data=page_data(latest.number, 1))
        markup = InlineKeyboardMarkup([[button]])
    await reply(update, context, render_empty(chat.lang, await engine.db.latest_day()), markup)


async def paper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand reference N of the chat's digest (/paper 3), or a paper by id (/paper 2402.01295)."""
    chat = await get_or_create_chat(update, context)
    argument = typed_reference(update, context)
    number = reference_number(argument)
    if number is not None:
        await _expand_number(update, context, chat, number)
        return
    paper_id = reference_id(argument)
    if paper_id is None:
        await reply(update, context, t(chat.lang, "reading.paper_usage"))
        return
    await _expand_id(update, context, chat, paper_id)


async def paper_by_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand the number a user sent, from the digest it replies to or else the latest one."""
    chat = await get_or_create_chat(update, context)
    message = update.effective_message
    typed = fold_full_width(strip_invisible(message.text or "")) if message else ""
    number = reference_number(typed)
    if number is not None:
        await _expand_number(update, context, chat, number)


async def expand_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand the entry whose number button was pressed under a digest message; a digest this
    chat never had, or a number it never held, is a button the bot did not make: expired."""
    button = await pressed(update, context, PaperButton)
    if button is None:
        return
    chat = await get_or_create_chat(update, context)
    digest = await engine_of(context).db.get_digest(chat.chat_id, button.digest)
    if digest is None or not 1 <= button.number <= len(digest.paper_ids):
        await expired_button(update, context)
        return
    await _answer(update)
    await _expand(update, context, chat, digest, button.number)


async def page_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the page of a digest that a "More" (or "show again") button asks for."""
    button = await pressed(update, context, PageButton)
    if button is None:
        return
    chat, engine = await get_or_create_chat(update, context), engine_of(context)
    digest = await engine.db.get_digest(chat.chat_id, button.digest)
    if digest is None or not 1 <= button.page <= page_count(digest):
        await expired_button(update, context)  # a digest pruned, or a page it never had
        return
    await _answer(update)
    await send_page(context.bot, engine, digest, button.page)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the latest digest as a Markdown document: the table, then every paper expanded."""
    engine, chat = engine_of(context), await get_or_create_chat(update, context)
    digest = await engine.db.latest_digest(chat.chat_id)
    if digest is None:
        await reply(update, context, t(chat.lang, "reading.no_digest"))
        return
    view = digest.with_changes(lang=chat.lang)
    entries = await digest_entries(engine, view, range(1, len(digest.paper_ids) + 1))
    header = DigestHeader(digest.announced, digest.topics, len(entries))
    document = render_markdown(entries, chat.lang, header).encode("utf-8")
    name = f"arxiv-digest-{digest.announced or digest.number}.md"
    caption = t(chat.lang, "reading.export_caption", count=len(entries), date=digest.announced)
    thread = thread_of(update)
    await send_document(context.bot, engine, chat.chat_id, document, name, caption, thread)


async def _expand_number(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, number: int
) -> None:
    found = await listed_id(update, context, chat, number)  # a digest's, or /saved's while shown
    if isinstance(found, Refusal):
        await reply(update, context, found.text(chat.lang))
        return
    await _expand_id(update, context, chat, found, number)


async def _expand(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    digest: Digest,
    number: int,  # within the digest
) -> None:
    engine = engine_of(context)
    entries = await digest_entries(engine, digest.with_changes(lang=chat.lang), [number])
    shown = entries[0].paper
    markup = paper_keyboard(shown.id, await paper_marks(engine, chat, shown.id))
    await _send_parts(context, engine, chat, render_paper(entries[0], chat.lang), markup, update)


async def _expand_id(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    paper_id: str,
    number: int = 0,  # its number in what the chat was shown; 0: asked for by id
) -> None:
    engine = engine_of(context)
    found = await engine.db.get_paper(paper_id) or await look_up(engine, paper_id)
    if isinstance(found, str):
        await reply(update, context, t(chat.lang, found, id=paper_id))
        return
    summaries = await engine.summaries.summaries([found], chat.lang)
    entry = Entry(number, found, summaries[found.key])
    markup = paper_keyboard(found.id, await paper_marks(engine, chat, found.id))
    await _send_parts(context, engine, chat, render_paper(entry, chat.lang), markup, update)


async def _send_parts(
    context: ContextTypes.DEFAULT_TYPE,
    engine: Engine,
    chat: Chat,
    parts: list[str],
    markup: InlineKeyboardMarkup | None = None,
    update: Update | None = None,
) -> None:
    """Send an expanded paper's messages, in the topic asked from; the buttons go under the
    last one."""
    thread = thread_of(update) if update is not None else None
    for index, part in enumerate(parts):
        if index:
            await asyncio.sleep(engine.settings.chat_interval)
        last = index == len(parts) - 1
        sent = await send_html(
            context.bot, engine, chat.chat_id, part, markup if last else None, thread_id=thread
        )
        if sent is None:
            return


async def _answer(update: Update) -> None:
    """Stop the spinner of a pressed digest button (the answer carries no text)."""
    assert update.callback_query is not None, "registered for callback queries"
    await update.callback_query.answer()
