"""Reading: the digest on demand, papers by number or id, further pages, the Markdown export."""

from __future__ import annotations

import asyncio
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import ContextTypes

from bot.digest import (
    DigestHeader,
    NothingNew,
    PaperView,
    fold_full_width,
    page_count,
    render_markdown,
    render_nothing_new,
    render_paper_view,
    strip_invisible,
)
from bot.engine import Engine
from bot.i18n import t
from bot.models import Chat
from bot.telegram import (
    PageButton,
    PaperButton,
    edit_parts,
    page_data,
    paper_keyboard,
    send_document,
    send_html,
    send_page,
)
from bot.views import (
    Refusal,
    entry_view,
    export_entries,
    later_views,
    next_digest,
    page_to_send,
    paper_view,
)
from handlers.chats import get_or_create_chat, replied_message_id, thread_of
from handlers.context import engine_of
from handlers.refs import reference_id, reference_number, typed_reference
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
    made = await next_digest(engine, chat)
    if isinstance(made, NothingNew):
        await reply(update, context, render_nothing_new(made), _show_again(made))
        return
    async with page_to_send(engine, made.digest, 1, made) as view:
        if view is not None:
            await send_page(context.bot, engine, view)


def _show_again(nothing: NothingNew) -> InlineKeyboardMarkup | None:
    """The button that sends the latest digest again, when there is one."""
    if not nothing.latest_number:
        return None
    again = t(nothing.lang, "reading.show_latest", number=nothing.latest_number)
    button = InlineKeyboardButton(again, callback_data=page_data(nothing.latest_number, 1))
    return InlineKeyboardMarkup([[button]])


async def paper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand reference N of the chat's digest (/paper 3), or a paper by id (/paper 2402.01295)."""
    chat = await get_or_create_chat(update, context)
    argument = typed_reference(update, context)
    number = reference_number(argument)
    reference = number if number is not None else reference_id(argument)
    if reference is None:
        await reply(update, context, t(chat.lang, "reading.paper_usage"))
        return
    await _expand(update, context, chat, reference)


async def paper_by_number(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand the number a user sent, from the digest it replies to or else the latest one."""
    chat = await get_or_create_chat(update, context)
    message = update.effective_message
    typed = fold_full_width(strip_invisible(message.text or "")) if message else ""
    number = reference_number(typed)
    if number is not None:
        await _expand(update, context, chat, number)


async def expand_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Expand the entry whose number button was pressed under a digest message; a digest this
    chat never had, or a number it never held, is a button the bot did not make: expired."""
    button = await pressed(update, context, PaperButton)
    if button is None:
        return
    chat = await get_or_create_chat(update, context)
    view = await entry_view(engine_of(context), chat, button.digest, button.number)
    if view is None:
        await expired_button(update, context)
        return
    await _answer(update)
    await _send_paper(update, context, chat, view)


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
    async with page_to_send(engine, digest, button.page) as view:
        if view is not None:
            await send_page(context.bot, engine, view)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the latest digest as a Markdown document: the table, then every paper expanded."""
    engine, chat = engine_of(context), await get_or_create_chat(update, context)
    digest = await engine.db.latest_digest(chat.chat_id)
    if digest is None:
        await reply(update, context, t(chat.lang, "reading.no_digest"))
        return
    entries, untranslated = await export_entries(engine, digest.with_changes(lang=chat.lang))
    header = DigestHeader(digest.announced, digest.topics, len(entries))
    document = render_markdown(entries, chat.lang, header).encode("utf-8")
    name = f"arxiv-digest-{digest.announced or digest.number}.md"
    caption = t(chat.lang, "reading.export_caption", count=len(entries), date=digest.announced)
    if untranslated:
        numbers = ", ".join(f"[{n}]" for n in untranslated[:20])
        numbers += " …" if len(untranslated) > 20 else ""
        caption += "\n" + t(
            chat.lang, "reading.export_untranslated", count=len(untranslated), numbers=numbers
        )
    thread = thread_of(update)
    await send_document(context.bot, engine, chat.chat_id, document, name, caption, thread)


async def _expand(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, reference: int | str
) -> None:
    """Expand a number in what the chat was shown, or an arXiv id; else say what is valid."""
    view = await paper_view(engine_of(context), chat, reference, replied_message_id(update))
    if isinstance(view, Refusal):
        await reply(update, context, view.text(chat.lang))
        return
    await _send_paper(update, context, chat, view)


async def _send_paper(
    update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat, view: PaperView
) -> None:
    """Send the expanded paper at once; when its links are being looked up or its abstract
    translated, the same messages are edited as each comes (in a task: neither the reader's
    next command nor another chat is held up by it)."""
    engine = engine_of(context)
    markup = paper_keyboard(view.entry.paper.id, view.marks, _ask_lang(engine, chat))
    sent = await _send_parts(context, engine, chat, render_paper_view(view), markup, update)
    if sent:  # a reply to any of these messages asks about the paper (handlers/asking.py)
        ids = [message.message_id for message in sent]
        await engine.store.run(engine.store.put_thread, chat.chat_id, ids, view.entry.paper.id)
    if (view.awaits_abstract or view.links_due) and sent:
        ids, thread = [message.message_id for message in sent], thread_of(update)
        context.application.create_task(
            _bring_up_to_date(context, chat, view, ids, thread), update=update
        )


async def _bring_up_to_date(
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    view: PaperView,
    message_ids: list[int],
    thread: int | None,
) -> None:
    """Edit an expanded paper's messages to show its links and its translated abstract (or
    why it is not) as they come."""
    async for done in later_views(engine_of(context), chat, view):
        markup = paper_keyboard(
            done.entry.paper.id, done.marks, _ask_lang(engine_of(context), chat)
        )
        parts = render_paper_view(done)
        message_ids = await edit_parts(
            context.bot, chat.chat_id, message_ids, parts, markup, thread
        )


def _ask_lang(engine: Engine, chat: Chat) -> str | None:
    """The language of the ready-question buttons, or None when questions cannot be asked."""
    asking = engine.summaries.enabled and engine.settings.ask_daily_questions > 0
    return chat.lang if asking else None


async def _send_parts(
    context: ContextTypes.DEFAULT_TYPE,
    engine: Engine,
    chat: Chat,
    parts: list[str],
    markup: InlineKeyboardMarkup | None = None,
    update: Update | None = None,
) -> list[Message]:
    """Send an expanded paper's messages, in the topic asked from; the buttons go under the
    last one. The messages sent (fewer when the chat blocked the bot meanwhile)."""
    thread = thread_of(update) if update is not None else None
    messages: list[Message] = []
    for index, part in enumerate(parts):
        if index:
            await asyncio.sleep(engine.settings.chat_interval)
        last = index == len(parts) - 1
        sent = await send_html(
            context.bot, engine, chat.chat_id, part, markup if last else None, thread_id=thread
        )
        if sent is None:
            break
        messages.append(sent)
    return messages


async def _answer(update: Update) -> None:
    """Stop the spinner of a pressed digest button (the answer carries no text)."""
    assert update.callback_query is not None, "registered for callback queries"
    await update.callback_query.answer()
