"""Greeting and topics: /start, /help, /subscribe, /unsubscribe, /list and its remove buttons."""

from __future__ import annotations

import re
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.arxiv import category_name
from bot.config import Settings
from bot.digest import (
    LookalikeTopicError,
    Topic,
    chat_topics,
    parse_topic_string,
    parse_topics,
    plain_input,
    shorten,
)
from bot.errors import UnknownTopicError
from bot.i18n import t
from bot.models import Chat
from bot.telegram import RemoveButton, remove_data, topic_token
from handlers.chats import (
    args_text,
    chat_or_default,
    get_or_create_chat,
    is_group,
    lang_of,
    thread_of,
)
from handlers.context import clock_now, engine_of, fetch_new_feeds
from handlers.replies import edit, reply
from handlers.rights import admin_button, may_change, refuse_change
from handlers.texts import REFUSAL_UNITS, code_list, echo_refused, esc, topic_list, when_text

BUTTON_CHARS = 40  # a remove button's label is cut to this
REASON_CHARS = 200  # what a refusal quotes of why a topic cannot be read
_WORD = re.compile(r"\w")


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet, say what the bot does with examples; make a chat that had blocked the bot active."""
    engine = engine_of(context)
    chat = await get_or_create_chat(update, context)
    back = not chat.active
    if back:
        chat = chat.with_changes(active=True)
        await engine.db.put_chat(chat)
        fetch_new_feeds(context, chat)
    lines = [t(chat.lang, "start.welcome_back" if back else "start.hello")]
    if is_group(update):
        lines.append(t(chat.lang, "start.group"))
    if chat.topics:
        lines.append(t(chat.lang, "start.topics", topics=topic_list(chat.lang, chat.topics)))
    lines.append(t(chat.lang, "start.examples"))
    await reply(update, context, "\n\n".join(lines))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List every command with examples."""
    lang = await lang_of(update, context)
    extra = [t(lang, "start.group")] if is_group(update) else []
    await reply(update, context, "\n\n".join([t(lang, "help.text"), *extra]))


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add the typed topics; when one cannot be followed, add none of them and say why."""
    if not await may_change(update, context):
        await refuse_change(update, context)
        return
    chat = await get_or_create_chat(update, context)
    topics = await _parse_or_explain(update, context, chat.lang, adding=True)
    if topics is None:
        return
    problem = _subscription_problem(chat, topics, engine_of(context).settings)
    if problem:
        await reply(update, context, problem)
        return
    engine = engine_of(context)
    have = {_key_of(s) for s in chat.topics}
    added = [topic for topic in topics if topic.key not in have]
    chat = chat.with_changes(topics=chat.topics + tuple(str(topic) for topic in added))
    thread = thread_of(update)  # sent inside a forum topic: digests go to that topic
    chat = chat.with_changes(thread_id=thread) if thread else chat
    await engine.db.put_chat(chat)
    fetch_new_feeds(context, chat)
    await reply(update, context, _subscribed_text(chat, topics, added, clock_now(context)))


async def _parse_or_explain(
    update: Update, context: ContextTypes.DEFAULT_TYPE, lang: str, adding: bool
) -> list[Topic] | None:
    """The topics typed after the command, or None after telling the user what is wrong."""
    text = args_text(update, context)
    if not _WORD.search(text):
        usage = "subscribe.usage" if adding else "unsubscribe.usage"
        await reply(update, context, t(lang, usage))
        return None
    try:
        return parse_topics(text)
    except LookalikeTopicError as error:
        category = esc(error.suggestions[0])
        lines = [
            t(lang, "subscribe.lookalike_html", topic=echo_refused(error.topic), category=category)
        ]
        adding = False  # the message says nothing was added
    except UnknownTopicError as error:
        lines = [t(lang, "subscribe.unknown", topic=echo_refused(error.topic))]
        if error.suggestions:
            lines.append(t(lang, "subscribe.suggest", suggestions=code_list(error.suggestions)))
    except ValueError as error:
        lines = [t(lang, "subscribe.invalid", reason=esc(shorten(str(error), REASON_CHARS)))]
    if adding:
        lines.append(t(lang, "subscribe.nothing_added"))
    await reply(update, context, "\n".join(lines))
    return None


def _subscription_problem(chat: Chat, topics: list[Topic], settings: Settings) -> str | None:
    """Why these topics cannot be added to this chat (too long, too many), or None."""
    longest = settings.max_phrase_chars
    too_long = [str(topic) for topic in topics if len(topic.value) > longest]
    if too_long:
        return t(chat.lang, "subscribe.too_long", max=longest, topic=echo_refused(too_long[0]))
    have = {_key_of(s) for s in chat.topics}
    count = len(chat.topics) + len([topic for topic in topics if topic.key not in have])
    if count > settings.max_topics:
        return t(chat.lang, "subscribe.too_many", max=settings.max_topics, count=count)
    return None


def _subscribed_text(chat: Chat, typed: list[Topic], added: list[Topic], now: datetime) -> str:
    """The confirmation: what was added, what was already followed, and when papers come."""
    lang = chat.lang
    lines = []
    if added:
        lines.append(t(lang, "subscribe.added", topics=topic_list(lang, map(str, added))))
    already = [str(topic) for topic in typed if topic not in added]
    if already:
        lines.append(t(lang, "subscribe.already", topics=topic_list(lang, already)))
    following = topic_list(lang, chat.topics)
    lines.append(t(lang, "subscribe.now", count=len(chat.topics), topics=following))
    if not any(topic.is_positive for topic in chat_topics(chat.topics)):
        lines.append(t(lang, "subscribe.only_exclusions"))
    else:
        lines.append(t(lang, "subscribe.next", when=when_text(chat, now)))
    return "\n".join(lines)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove the typed topics, or every topic with `all`."""
    if not await may_change(update, context):
        await refuse_change(update, context)
        return
    chat = await get_or_create_chat(update, context)
    if plain_input(args_text(update, context)).strip().lower() in ("all", "*"):
        await _unsubscribe_all(update, context, chat)
        return
    topics = await _parse_or_explain(update, context, chat.lang, adding=False)
    if topics is None:
        return
    keys = {topic.key for topic in topics}
    kept = tuple(s for s in chat.topics if _key_of(s) not in keys)
    removed = [s for s in chat.topics if s not in kept]
    have = {_key_of(s) for s in chat.topics}
    missing = [str(topic) for topic in topics if topic.key not in have]
    chat = chat.with_changes(topics=kept)
    await engine_of(context).db.put_chat(chat)
    lines = []
    if removed:
        lines.append(t(chat.lang, "unsubscribe.removed", topics=topic_list(chat.lang, removed)))
    if missing:
        missed = topic_list(chat.lang, missing, units=REFUSAL_UNITS)
        lines.append(t(chat.lang, "unsubscribe.not_followed", topics=missed))
    lines.append(_remaining(chat))
    await reply(update, context, "\n".join(lines))


async def _unsubscribe_all(update: Update, context: ContextTypes.DEFAULT_TYPE, chat: Chat) -> None:
    count = len(chat.topics)
    await engine_of(context).db.put_chat(chat.with_changes(topics=()))
    key = "unsubscribe.all" if count else "topics.empty"
    await reply(update, context, t(chat.lang, key, count=count))


def _remaining(chat: Chat) -> str:
    if not chat.topics:
        return t(chat.lang, "unsubscribe.none_left")
    topics = topic_list(chat.lang, chat.topics)
    return t(chat.lang, "subscribe.now", count=len(chat.topics), topics=topics)


def _key_of(topic: str) -> tuple[str, str]:
    """The key of a stored topic string; one that no longer parses compares as typed."""
    try:
        return parse_topic_string(topic).key
    except (UnknownTopicError, ValueError):
        return ("stored", topic.casefold())


def _describe(topic: str) -> str:
    """One line of /list: the topic as typed, and a category's or archive's name."""
    kind, value = _key_of(topic)
    name = category_name(topic) if kind in ("category", "archive") else ""
    suffix = f" — {esc(name)}" if name and name.casefold() != value else ""
    return f"• <code>{esc(topic)}</code>{suffix}"


def _short(topic: str) -> str:
    """A topic cut to fit a button or a pop-up."""
    return shorten(topic, BUTTON_CHARS)


def render_list(chat: Chat) -> tuple[str, InlineKeyboardMarkup | None]:
    """The /list message: the topics, and a button under it to remove each."""
    if not chat.topics:
        return t(chat.lang, "topics.empty"), None
    lines = [t(chat.lang, "topics.heading", count=len(chat.topics))]
    lines += [_describe(topic) for topic in chat.topics]
    lines += ["", t(chat.lang, "topics.remove_hint")]
    buttons = [
        [
            InlineKeyboardButton(
                t(chat.lang, "topics.button", topic=_short(s)),
                callback_data=remove_data(s),
            )
        ]
        for s in chat.topics
    ]
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def list_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show the chat's topics, one remove button each (anyone may look)."""
    text, markup = render_list(await chat_or_default(update, context))
    await reply(update, context, text, markup)


async def remove_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove the topic whose button was pressed and edit the list to what is left."""
    pressed = await admin_button(update, context, RemoveButton)
    if pressed is None:
        return
    query, button = pressed
    chat = await get_or_create_chat(update, context)
    topic = next((s for s in chat.topics if topic_token(s) == button.token), None)
    answer = t(chat.lang, "topics.gone")
    if topic is not None:
        chat = chat.with_changes(topics=tuple(s for s in chat.topics if s != topic))
        await engine_of(context).db.put_chat(chat)
        answer = t(chat.lang, "topics.removed", topic=_short(topic))
    try:
        await edit(query, *render_list(chat))
    finally:
        await query.answer(answer)
