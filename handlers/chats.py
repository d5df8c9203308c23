"""The chat an update comes from: who, what kind, its stored settings, its language, its topic."""

from __future__ import annotations

import logging
import re
from datetime import UTC

from telegram import Update
from telegram.constants import ChatType

from bot.i18n import FALLBACK
from bot.models import Chat
from handlers.context import Context, clock_now, engine_of

log = logging.getLogger(__name__)

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


def is_channel(update: Update) -> bool:
    """Whether the update comes from a channel (its posts have no sender user)."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.CHANNEL


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
