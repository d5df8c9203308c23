"""The reading list and BibTeX: /save, /unsave, /saved and its buttons, ⭐, /bib, /export bib."""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import lanes
from bot.digest import SavedView, bibtex_document, bibtex_entry, render_saved_view, shorten
from bot.engine import Engine
from bot.i18n import t
from bot.models import Chat, Paper
from bot.telegram import (
    BUTTONS_PER_ROW,
    SaveButton,
    SavedPageButton,
    UnsaveButton,
    save_data,
    save_label,
    saved_page_data,
    send_document,
    send_html,
    unsave_data,
)
from bot.views import Refusal, look_up, saved_view
from handlers.chats import chat_id_of, get_or_create_chat, is_channel, thread_of
from handlers.context import Context, engine_of
from handlers.refs import paper_for, paper_id_for, typed_reference, was_shown
from handlers.replies import reply
from handlers.rights import expired_button, may_change, pressed, refuse_change
from handlers.texts import esc

TITLE_UNITS = 120  # a title quoted in a reply is cut to this
BIB_FILENAME = "arxiv-reading-list.bib"


def _linked(paper: Paper) -> str:
    title = shorten(" ".join(paper.title.split()), TITLE_UNITS)
    return f'<a href="{html.escape(paper.abs_url, quote=True)}">{esc(title)}</a>'


ListButton = TypeVar("ListButton", SaveButton, UnsaveButton)


async def save(update: Update, context: Context) -> None:
    """Put a paper on the chat's reading list: /save 3 or /save 2402.01295 (any member)."""
    chat = await get_or_create_chat(update, context)
    if is_channel(update) and not await may_change(update, context):
        await refuse_change(update, context)
        return
    found = await paper_for(
        update, context, chat, typed_reference(update, context), "saved.save_usage_html"
    )
    if isinstance(found, Refusal):
        await reply(update, context, found.text(chat.lang))
        return
    added = await engine_of(context).db.save_paper(chat.chat_id, found, time.time())
    key = "saved.added_html" if added else "saved.already_html"
    await reply(update, context, t(chat.lang, key, paper=_linked(found), id=esc(found.id)))


async def unsave(update: Update, context: Context) -> None:
    """Take a paper off the reading list: /unsave 3 or /unsave 2402.01295."""
    chat = await get_or_create_chat(update, context)
    if is_channel(update) and not await may_change(update, context):
        await refuse_change(update, context)
        return
    usage = "saved.unsave_usage_html"
    found = await paper_id_for(update, context, chat, typed_reference(update, context), usage)
    if isinstance(found, Refusal):
        await reply(update, context, found.text(chat.lang))
        return
    removed = await engine_of(context).db.unsave_paper(chat.chat_id, found)
    key = "saved.removed_html" if removed else "saved.not_saved_html"
    await reply(update, context, t(chat.lang, key, id=esc(found)))


async def saved(update: Update, context: Context) -> None:
    """Show the reading list, newest first, numbered; bare numbers now expand from it."""
    chat = await get_or_create_chat(update, context)
    view = await saved_view(engine_of(context), chat)
    if view is None:
        await reply(update, context, t(chat.lang, "saved.empty_html"))
        return
    await _send_saved_page(update, context, view)


async def saved_page_button(update: Update, context: Context) -> None:
    """Send the page of the reading list a "More" button under /saved asks for."""
    button = await pressed(update, context, SavedPageButton)
    if button is None:
        return
    chat = await get_or_create_chat(update, context)
    view = await saved_view(engine_of(context), chat, button.page, from_last_view=True)
    if view is None:
        await expired_button(update, context)
        return
    assert update.callback_query is not None, "registered for callback queries"
    await update.callback_query.answer()
    await _send_saved_page(update, context, view)


async def _send_saved_page(update: Update, context: Context, view: SavedView) -> None:
    """One page of the list in messages, a remove button per entry under the message it is in
    and "More" under the last message when a page follows."""
    engine, chat_id = engine_of(context), chat_id_of(update)
    parts = render_saved_view(view)
    for index, part in enumerate(parts):
        if index:
            await asyncio.sleep(engine.settings.chat_interval)
        last = index == len(parts) - 1
        next_page = view.next_page if last else None
        markup = _saved_keyboard(view.lang, view.papers, list(part.numbers), next_page)
        sent = await send_html(
            context.bot, engine, chat_id, part.text, markup, thread_id=thread_of(update)
        )
        if sent is None:
            return


def _saved_keyboard(
    lang: str, papers: Sequence[Paper], numbers: list[int], next_page: int | None
) -> InlineKeyboardMarkup | None:
    buttons = [
        InlineKeyboardButton(
            t(lang, "saved.remove_button", number=n), callback_data=unsave_data(papers[n - 1].id)
        )
        for n in numbers
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    if next_page is not None:
        more = InlineKeyboardButton(
            t(lang, "digest.more_button"), callback_data=saved_page_data(next_page)
        )
        rows.append([more])
    return InlineKeyboardMarkup(rows) if rows else None


async def _list_button(
    update: Update, context: Context, kind: type[ListButton]
) -> tuple[ListButton, Chat] | None:
    """The reading-list button pressed and its chat; None when it expired (bad data, or a
    paper the chat was never shown), or when a channel subscriber (not an admin) pressed it:
    the channel's list is its admins'."""
    button = await pressed(update, context, kind)
    if button is None:
        return None
    if not await was_shown(update, engine_of(context), chat_id_of(update), button.paper_id):
        await expired_button(update, context)  # a paper this chat was never shown
        return None
    if is_channel(update) and not await may_change(update, context):
        await refuse_change(update, context)
        return None
    return button, await get_or_create_chat(update, context)


async def save_button(update: Update, context: Context) -> None:
    """⭐ under an expanded paper: save it, or take it off when saved; the button shows which."""
    found = await _list_button(update, context, SaveButton)
    if found is None:
        return
    (button, chat), engine = found, engine_of(context)
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    at = time.time()  # when it was saved, on the wall clock: the list is newest first
    is_saved = await _toggle_saved(engine, chat.chat_id, button.paper_id, at)
    if isinstance(is_saved, str):  # arXiv does not confirm it (or cannot be asked now)
        await query.answer(t(chat.lang, is_saved, id=button.paper_id))
        return
    data = save_data(button.paper_id)
    try:
        await _relabel(update, lambda b: b.callback_data == data, save_label(is_saved))
    finally:
        toast = "saved.toast_saved" if is_saved else "saved.toast_removed"
        await query.answer(t(chat.lang, toast))


async def _toggle_saved(engine: Engine, chat_id: int, paper_id: str, at: float) -> bool | str:
    """⭐: take the paper off the list, or put it on; whether it is saved now. A paper the store
    does not hold (expanded from a look-up by id, or pruned since) is looked up again and
    stored with the save; the catalog key of what went wrong when arXiv does not confirm it."""
    if await engine.db.get_paper(paper_id) or await engine.db.is_saved(chat_id, paper_id):
        return await engine.db.toggle_saved(chat_id, paper_id, at)
    found = await look_up(engine, paper_id)
    if isinstance(found, str):
        return found
    return await engine.db.save_paper(chat_id, found, at)


async def unsave_button(update: Update, context: Context) -> None:
    """A remove button under /saved: take the paper off; its button goes."""
    found = await _list_button(update, context, UnsaveButton)
    if found is None:
        return
    (button, chat), db = found, engine_of(context).db
    removed = await db.unsave_paper(chat.chat_id, button.paper_id)
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    data = unsave_data(button.paper_id)
    try:
        await _relabel(update, lambda b: b.callback_data == data, None)
    finally:
        toast = "saved.toast_removed" if removed else "saved.toast_gone"
        await query.answer(t(chat.lang, toast))


async def _relabel(
    update: Update, match: Callable[[InlineKeyboardButton], bool], label: str | None
) -> None:
    """Edit the buttons of the pressed message: the matching one gets `label` (None: it goes)."""
    query = update.callback_query
    message = query.message if query is not None else None
    markup = getattr(message, "reply_markup", None)
    if query is None or not isinstance(markup, InlineKeyboardMarkup):
        return
    rows = []
    for row in markup.inline_keyboard:
        kept = [b for b in (_relabelled(b, match, label) for b in row) if b is not None]
        if kept:
            rows.append(kept)
    new = InlineKeyboardMarkup(rows)
    if new != markup:
        await query.edit_message_reply_markup(new)


def _relabelled(
    button: InlineKeyboardButton, match: Callable[[InlineKeyboardButton], bool], label: str | None
) -> InlineKeyboardButton | None:
    if not match(button):
        return button
    return InlineKeyboardButton(label, callback_data=button.callback_data) if label else None


async def bib(update: Update, context: Context) -> None:
    """Reply with a paper's BibTeX entry: /bib 3 or /bib 2402.01295."""
    chat = await get_or_create_chat(update, context)
    found = await paper_for(
        update, context, chat, typed_reference(update, context), "saved.bib_usage_html"
    )
    if isinstance(found, Refusal):
        await reply(update, context, found.text(chat.lang))
        return
    entry = await lanes.in_thread(bibtex_entry, found)
    await reply(update, context, f"<pre>{esc(entry.strip())}</pre>")


async def export_bib(update: Update, context: Context) -> None:
    """/export bib: the whole reading list as a .bib file."""
    chat = await get_or_create_chat(update, context)
    engine = engine_of(context)
    paper_ids = await engine.db.saved_paper_ids(chat.chat_id)
    stored = await engine.db.get_papers(paper_ids)
    papers = [stored[i] for i in paper_ids if i in stored]
    if not papers:
        await reply(update, context, t(chat.lang, "saved.empty_html"))
        return
    document = (await lanes.in_thread(bibtex_document, papers)).encode("utf-8")
    caption = t(chat.lang, "saved.export_caption", count=len(papers))
    thread = thread_of(update)
    await send_document(context.bot, engine, chat.chat_id, document, BIB_FILENAME, caption, thread)
