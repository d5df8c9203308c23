"""What every handler shares: engine, clock, the chat and its language, replies, admin rule."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.digest import next_slot, quote
from bot.engine import Engine
from bot.i18n import FALLBACK, t
from bot.models import Chat
from bot.telegram import Button, fit_message, parse_button, send_html

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE
Pressed = TypeVar("Pressed", bound=Button)

# ISO 639-1 codes, plus a few three-letter ones Telegram and researchers use.
_LANGUAGE_CODES = (
    "aa ab af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da "
    "de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu "
    "hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la "
    "lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc "
    "oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st "
    "su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za "
    "zh zu fil yue ceb haw ckb"
)
LANGUAGES = frozenset(_LANGUAGE_CODES.split())
# Regional variants worth their own summaries; any other region folds into its language.
KEPT_REGIONS = frozenset({"pt-br"})
TRADITIONAL_CHINESE = frozenset({"zh-tw", "zh-hk", "zh-mo"})
LANGUAGE_ALIASES = {"cn": "zh", "chinese": "zh", "中文": "zh", "english": "en", "jp": "ja"}
_LANG_SHAPE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8}){0,2}")
_COMMAND = re.compile(r"\s*/\S*\s?")
_TAG = re.compile(r"<[^>]*>")
ECHO_UNITS = 64  # what was stored, said back (topics, interests), is cut to this (UTF-16 units)
# A refusal quotes at most this much of what was sent (UTF-16 units, "…" included): enough
# to tell which word was refused (any arXiv category, a language code, most time zones, a
# phrase's first words), too little to repeat a pasted secret: of an API key (40-160
# characters behind a public prefix such as "sk-proj-") at most 19 characters come back.
REFUSAL_UNITS = 20
LIST_SHOWN = 10  # a reply lists at most this many topics, then "and N more"


def engine_of(context: Context) -> Engine:
    """The engine (settings, store, arXiv client, summaries) the app opened at start-up."""
    return context.bot_data["engine"]  # type: ignore[no-any-return]


class Jobs(Protocol):
    """What handlers ask of the scheduler (bot/scheduler.py, a layer above them)."""

    def fetch_for(self, chat: Chat) -> list[str]:
        """Fetch the chat's feeds now, unless planned or asked a moment ago."""


def jobs_of(context: Context) -> Jobs:
    """The scheduler that runs fetches and deliveries, as handlers may use it."""
    return context.bot_data["scheduler"]  # type: ignore[no-any-return]


def clock_now(context: Context) -> datetime:
    """Now, as the scheduler sees it (tests move this clock)."""
    return context.bot_data["clock"]()  # type: ignore[no-any-return]


def normalize_lang(code: str | None) -> str | None:
    """A language code as stored: "ZH_cn" -> "zh", "zh-Hant" -> "zh-hant", "pt-BR" -> "pt-br",
    "de-AT" -> "de"; None for what is no language code."""
    lowered = (code or "").strip().lower().replace("_", "-")
    lowered = LANGUAGE_ALIASES.get(lowered, lowered)
    if not _LANG_SHAPE.fullmatch(lowered):
        return None
    base = lowered.split("-")[0]
    if base not in LANGUAGES:
        return None
    if base == "zh":
        traditional = lowered in TRADITIONAL_CHINESE or lowered.startswith("zh-hant")
        return "zh-hant" if traditional else "zh"
    return lowered if lowered in KEPT_REGIONS else base


def user_lang(update: Update) -> str:
    """The language of the user's Telegram app, English when it says nothing usable."""
    user = update.effective_user
    return normalize_lang(user.language_code if user else None) or FALLBACK


def is_group(update: Update) -> bool:
    """Whether the update comes from a group or supergroup."""
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def chat_id_of(update: Update) -> int:
    """The id of the chat the update comes from."""
    assert update.effective_chat is not None, "chat handlers only get updates with a chat"
    return update.effective_chat.id


def new_chat(update: Update, context: Context) -> Chat:
    """A chat with the configured defaults; its first delivery is the next HH:MM, not now."""
    settings = engine_of(context).settings
    return Chat(
        chat_id=chat_id_of(update),
        lang=user_lang(update),
        time=settings.default_time,
        timezone=settings.default_timezone,
        limit=settings.default_limit,
        last_slot=clock_now(context).astimezone(UTC).isoformat(),
        is_group=is_group(update),
    )


async def chat_or_default(update: Update, context: Context) -> Chat:
    """The stored chat, or what a new one would be (not stored): for read-only views."""
    stored = await engine_of(context).db.get_chat(chat_id_of(update))
    return stored or new_chat(update, context)


async def get_or_create_chat(update: Update, context: Context) -> Chat:
    """The stored chat, created with the defaults when this is its first command."""
    db = engine_of(context).db
    chat = await db.get_chat(chat_id_of(update))
    if chat is None:
        chat = new_chat(update, context)
        await db.put_chat(chat)
        log.info("new chat %s (%s)", chat.chat_id, "group" if chat.is_group else "private")
    return chat


async def lang_of(update: Update, context: Context) -> str:
    """The language of the bot's words in this chat: the chat's own, else the user's app's."""
    return (await chat_or_default(update, context)).lang


def args_text(update: Update, context: Context) -> str:
    """Everything typed after the command, quotes and all (context.args splits on spaces)."""
    message = update.effective_message
    text = (message.text or "") if message else ""
    return _COMMAND.sub("", text, count=1) if text.lstrip().startswith("/") else text


def esc(text: str) -> str:
    """User-typed or arXiv text, safe in an HTML message."""
    return html.escape(text, quote=False)


def code_list(items: Iterable[str]) -> str:
    """Items as `<code>` pieces joined by commas, each escaped: `cs.AI`, `"a&lt;b"`."""
    return ", ".join(f"<code>{esc(item)}</code>" for item in items)


def echo(text: str, units: int = ECHO_UNITS) -> str:
    """User-typed text to quote back in a reply: one line, cut to `units` with "…", escaped."""
    return esc(quote(text, units))


def echo_refused(text: str) -> str:
    """User-typed text a refusal quotes back: its first few characters (REFUSAL_UNITS)."""
    return echo(text, REFUSAL_UNITS)


def topic_list(
    lang: str, items: Iterable[str], shown: int = LIST_SHOWN, units: int = ECHO_UNITS
) -> str:
    """Topics as `<code>` pieces, each cut like echo (to `units`), at most `shown` of them, then
    "and N more"."""
    every = list(items)
    listed = ", ".join(f"<code>{echo(item, units)}</code>" for item in every[:shown])
    rest = len(every) - shown
    return listed + t(lang, "common.and_more", count=rest) if rest > 0 else listed


async def reply(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send an HTML message to the update's chat, in the forum topic the update came from; a
    chat that blocked the bot is marked inactive."""
    engine, chat_id, thread = engine_of(context), chat_id_of(update), thread_of(update)
    await send_html(context.bot, engine, chat_id, text, markup, thread_id=thread)


def plain_text(text: str) -> str:
    """What Telegram shows of one of the bot's HTML messages: tags gone, entities decoded."""
    return html.unescape(_TAG.sub("", text)).strip()


def _shows(message: object, text: str, markup: InlineKeyboardMarkup | None) -> bool:
    """Whether a message already shows this HTML text and these buttons."""
    if not isinstance(message, Message):
        return False
    return message.text == plain_text(text) and message.reply_markup == markup


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message a button sits under, unless it already shows exactly this."""
    if _shows(query.message, text, markup):  # Telegram refuses an edit that changes nothing
        return
    chat_id = query.message.chat.id if query.message else 0
    fitted = fit_message(text, MessageLimit.MAX_TEXT_LENGTH, chat_id)
    try:
        await query.edit_message_text(fitted, reply_markup=markup)
    except BadRequest as error:  # a double tap can race its own edit
        if "not modified" not in str(error).lower():
            raise


async def may_change(update: Update, context: Context) -> bool:
    """Whether the sender may change this chat: anyone in private, only admins in groups; in a
    channel its posts (the channel is their sender) and the buttons its admins press."""
    if not is_group(update) and not is_channel(update):
        return True
    message, chat_id = update.effective_message, chat_id_of(update)
    if update.callback_query is None and message and message.sender_chat:
        return message.sender_chat.id == chat_id  # an anonymous admin posts as the group
    user = update.effective_user
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat_id, user.id)
    except TelegramError as error:
        log.warning("cannot check admin rights in chat %s: %s", chat_id, error)
        return False
    return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


async def refuse_change(update: Update, context: Context) -> None:
    """Tell a group member that only admins change this (as a reply or a button's alert)."""
    text = t(await lang_of(update, context), "common.admins_only")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, context, text)


async def pressed(update: Update, context: Context, kind: type[Pressed]) -> Pressed | None:
    """The button of this kind a callback query reads as; None, after saying the button
    expired, when its data reads as no such button."""
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    button = parse_button(query.data)
    if not isinstance(button, kind):
        await expired_button(update, context)
        return None
    return button


async def expired_button(update: Update, context: Context) -> None:
    """Answer a button whose data no handler can read: it has expired, nothing else happens."""
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    chat = update.effective_chat
    log.info("a button with unreadable data in chat %s", chat.id if chat else "-")
    lang = await lang_of(update, context) if chat else user_lang(update)
    await query.answer(t(lang, "common.button_expired"))


async def admin_button(
    update: Update, context: Context, kind: type[Pressed]
) -> tuple[CallbackQuery, Pressed] | None:
    """The pressed button's query and data when it reads as `kind` and its sender may change
    this chat; else answered (expired, or refused) and None."""
    query = update.callback_query
    assert query is not None, "registered for callback queries"
    button = await pressed(update, context, kind)
    if button is None:
        return None
    if not await may_change(update, context):
        await refuse_change(update, context)
        return None
    return query, button


def fetch_new_feeds(context: Context, chat: Chat) -> None:
    """Fetch, in the background, the chat's feeds that nobody fetched a moment ago (a new
    topic); many chats subscribing at once share one request per feed."""
    jobs_of(context).fetch_for(chat)


def when_text(chat: Chat, now: datetime) -> str:
    """When the next digest comes, in the chat's words: a local date and time, or why none."""
    if not chat.topics:
        return t(chat.lang, "settings.when_no_topics")
    if chat.paused:
        return t(chat.lang, "settings.when_paused")
    slot = next_slot(chat, now)
    if slot is None:
        return t(chat.lang, "settings.when_asap")
    return t(
        chat.lang,
        "settings.when_at",
        date=slot.date().isoformat(),
        time=slot.strftime("%H:%M"),
        timezone=esc(chat.timezone),
    )


def is_channel(update: Update) -> bool:
    """Whether the update comes from a channel (its posts have no sender user)."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.CHANNEL


def thread_of(update: Update) -> int | None:
    """The forum topic the update's message is in (message_thread_id), or None (General, or a
    chat without topics)."""
    message = update.effective_message
    if message is None or not message.is_topic_message:
        return None
    return message.message_thread_id


def replied_message_id(update: Update) -> int | None:
    """The id of the message the user's message replies to; None when it replies to nothing
    but the creation of the forum topic it was sent in (Telegram's shape of a topic message)."""
    message = update.effective_message
    if message is None or message.reply_to_message is None:
        return None
    replied = message.reply_to_message
    topic_start = message.is_topic_message and replied.message_id == message.message_thread_id
    if topic_start or replied.forum_topic_created is not None:
        return None
    return replied.message_id
