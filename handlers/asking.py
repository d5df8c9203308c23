"""Questions about a paper: /ask N|ID QUESTION, a reply to an expanded paper or to an answer,
and the ready-question buttons under an expanded paper."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType

from bot.ask import Answer, AskRefused, render_answer, render_refusal
from bot.digest import fold_full_width, strip_invisible
from bot.engine import Engine
from bot.i18n import t
from bot.models import Chat, Paper
from bot.telegram import LiveText, ReadyButton, send_html
from bot.views import Refusal, look_up
from handlers.chats import args_text, get_or_create_chat, replied_message_id, thread_of
from handlers.context import Context, engine_of
from handlers.refs import paper_for, was_shown
from handlers.replies import reply
from handlers.rights import expired_button, pressed

log = logging.getLogger(__name__)


def typed_question(text: str) -> str:
    """A question as typed: invisible characters gone, one space between words."""
    return " ".join(strip_invisible(text).split())


async def ask(update: Update, context: Context) -> None:
    """Answer `/ask N|ID QUESTION` from the paper's full text."""
    chat = await get_or_create_chat(update, context)
    reference, _, question = typed_question(args_text(update, context)).partition(" ")
    question = question.strip()
    if not reference or not question:
        await reply(update, context, t(chat.lang, "ask.usage_html"))
        return
    found = await paper_for(update, context, chat, fold_full_width(reference), "ask.usage_html")
    if isinstance(found, Refusal):
        await reply(update, context, found.text(chat.lang))
        return
    await _start(update, context, chat, found, question, [])


async def reply_question(update: Update, context: Context) -> None:
    """Answer a reply to an expanded paper or to an answer (a follow-up in that thread); a
    reply to another message of the bot says how to ask, a reply to anyone else's is left."""
    message = update.effective_message
    replied = replied_message_id(update)
    if message is None or replied is None:
        return
    engine, chat = engine_of(context), await get_or_create_chat(update, context)
    thread = await engine.store.run(engine.store.thread_for, chat.chat_id, replied)
    if thread is None:
        author = message.reply_to_message.from_user if message.reply_to_message else None
        if author is not None and author.id == context.bot.id:
            await reply(update, context, t(chat.lang, "ask.not_paper"))
        return
    question = typed_question(message.text or "")
    if not question:
        await reply(update, context, t(chat.lang, "ask.usage_html"))
        return
    paper_id, turns = thread
    paper = await engine.db.get_paper(paper_id) or await look_up(engine, paper_id)
    if isinstance(paper, str):
        await reply(update, context, t(chat.lang, paper, id=paper_id))
        return
    await _start(update, context, chat, paper, question, turns)


async def ready_button(update: Update, context: Context) -> None:
    """Send the shared answer to a ready question under an expanded paper."""
    button = await pressed(update, context, ReadyButton)
    if button is None:
        return
    engine, chat = engine_of(context), await get_or_create_chat(update, context)
    if not await was_shown(update, engine, chat.chat_id, button.paper_id):
        await expired_button(update, context)
        return
    assert update.callback_query is not None, "registered for callback queries"
    await update.callback_query.answer()
    paper = await engine.db.get_paper(button.paper_id) or await look_up(engine, button.paper_id)
    if isinstance(paper, str):
        await reply(update, context, t(chat.lang, paper, id=button.paper_id))
        return
    question = t(chat.lang, f"ask.ready_{button.question}_question")
    context.application.create_task(
        _ready(update, context, chat, paper, button.question, question), update=update
    )


async def _ready(
    update: Update, context: Context, chat: Chat, paper: Paper, name: str, question: str
) -> None:
    live = _live(update, context, chat, paper, question)
    await live.start()
    try:
        result = await engine_of(context).asking.ready(chat.lang, paper, name, live.update)
    finally:
        await live.close()
    await _send(update, context, chat, paper, question, result, [])


async def _start(
    update: Update,
    context: Context,
    chat: Chat,
    paper: Paper,
    question: str,
    turns: list[list[str]],
) -> None:
    """Answer in a task of its own: the chat's next command is not held up by the LLM."""
    engine = engine_of(context)
    limit = engine.settings.ask_max_question_chars
    if len(question) > limit:
        question = question[:limit]
        await reply(update, context, t(chat.lang, "ask.cut", limit=limit))
    context.application.create_task(
        _answer(update, context, chat, paper, question, turns), update=update
    )


async def _answer(
    update: Update,
    context: Context,
    chat: Chat,
    paper: Paper,
    question: str,
    turns: list[list[str]],
) -> None:
    """Show the answer as it is written (drafts, or "typing…"), then send it."""
    live = _live(update, context, chat, paper, question)
    await live.start()
    asking = engine_of(context).asking
    try:
        asked = await asking.ask(
            chat.chat_id, chat.lang, paper, question, turns, live.update, chat.daily_questions
        )
    finally:
        await live.close()
    if isinstance(asked, AskRefused):
        await _send(update, context, chat, paper, question, asked, turns)
    else:
        await _send(update, context, chat, paper, question, asked.answer, asked.turns)


def _live(update: Update, context: Context, chat: Chat, paper: Paper, question: str) -> LiveText:
    """Drafts of the answer in a private chat (the last message's part of it), else typing."""
    private = update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE

    def render(text: str) -> str:
        return render_answer(Answer(text), paper, question, chat.lang)[-1]

    return LiveText(
        context.bot,
        chat.chat_id,
        render,
        private=private,
        draft_id=update.update_id,
        thread_id=thread_of(update),
    )


async def _send(
    update: Update,
    context: Context,
    chat: Chat,
    paper: Paper,
    question: str,
    result: Answer | AskRefused,
    turns: list[list[str]],
) -> None:
    """Send the answer and remember its message as a thread about the paper (a reply to it
    asks a follow-up); or say why there is none."""
    engine: Engine = engine_of(context)
    if isinstance(result, AskRefused):
        limit = engine.asking.daily_limit(chat.daily_questions)
        await reply(update, context, render_refusal(result, chat.lang, chat.timezone, limit))
        return
    if not turns:
        turns = [[question, result.text]]
    sent_ids: list[int] = []
    for part in render_answer(result, paper, question, chat.lang):
        sent = await send_html(context.bot, engine, chat.chat_id, part, thread_id=thread_of(update))
        if sent is None:
            return
        sent_ids.append(sent.message_id)
    await engine.store.run(engine.store.put_thread, chat.chat_id, sent_ids, paper.id, turns)
