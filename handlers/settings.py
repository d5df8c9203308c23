"""Chat settings: /lang, /time, /timezone, /limit, /questions, /pause, /resume and the /settings
screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.config import parse_hhmm, valid_timezone
from bot.digest import DAILY, WEEKLY, day_name, fold_full_width, is_weekly, strip_invisible
from bot.i18n import available_languages, catalog, is_english, resolve_language, t
from bot.models import Chat
from bot.telegram import SettingButton, setting_data
from handlers.chats import args_text, chat_or_default, get_or_create_chat, normalize_lang
from handlers.context import clock_now, engine_of
from handlers.replies import edit, reply
from handlers.rights import admin_button, may_change, refuse_change
from handlers.texts import echo, echo_refused, esc, topic_list, when_text

MAX_LIMIT = 100  # entries per digest page: a page is a few Telegram messages at most
TIMEZONE_ALIASES = {"beijing": "Asia/Shanghai", "北京": "Asia/Shanghai", "上海": "Asia/Shanghai"}
_CLOCK = re.compile(r"[0-9]{1,2}(?::[0-9]{2})?")
_UTC_OFFSET = re.compile(r"(?:utc|gmt)([+-])(\d{1,2})(?::?00)?")
TOGGLES = {"repl": "include_replacements", "pause": "paused"}  # button name -> Chat field


def lang_label(code: str) -> str:
    """A language code with its own name when the bot speaks it: "中文（简体） (zh)", "ja"."""
    if code in available_languages():
        name = catalog(code).get("meta.name")
        if isinstance(name, str) and name:
            return f"{name} ({code})"
    return code


def utc_offset(timezone: str, now: datetime) -> str:
    """The zone's offset from UTC at `now`: "+08:00", "-05:00"."""
    raw = now.astimezone(ZoneInfo(timezone)).strftime("%z")
    return f"{raw[:3]}:{raw[3:]}"


@cache
def _zones() -> dict[str, str]:
    """Every known time zone by its lower-case name."""
    names = available_timezones() - {"localtime", "Factory"}
    return {name.lower(): name for name in names}


@cache
def _cities() -> dict[str, str]:
    """City names ("tokyo", "new_york") to their Area/City zone (the first, sorted, of links)."""
    cities: dict[str, str] = {}
    for name in sorted(_zones().values()):
        if "/" in name and not name.startswith("Etc/"):
            cities.setdefault(name.rsplit("/", 1)[1].lower(), name)
    return cities


def resolve_timezone(text: str) -> str | None:
    """The IANA zone a user means: "asia/shanghai", "UTC", "Tokyo", "New York", "UTC+8"."""
    lowered = "_".join(text.split()).lower()
    lowered = TIMEZONE_ALIASES.get(lowered, lowered).lower()
    name = _zones().get(lowered) or _cities().get(lowered)
    offset = _UTC_OFFSET.fullmatch(lowered)
    if name is None and offset:
        sign, hours = offset.group(1), int(offset.group(2))
        flipped = "-" if sign == "+" else "+"  # Etc/GMT-8 is UTC+8, as POSIX has it
        name = "UTC" if hours == 0 else _zones().get(f"etc/gmt{flipped}{hours}")
    return name if name and valid_timezone(name) else None


def parse_time(text: str) -> str | None:
    """A delivery time as stored: "08:30" for "8:30", "08:00" for "8", "asap"; None if neither."""
    value = text.strip().lower().replace("：", ":")
    if value == "asap":
        return value
    if not _CLOCK.fullmatch(value):  # ASCII digits only: parse_hhmm trips on "²"
        return None
    hhmm = parse_hhmm(value if ":" in value else value + ":00")
    return f"{hhmm[0]:02d}:{hhmm[1]:02d}" if hhmm else None


def parse_limit(text: str) -> int | None:
    """Entries per page from "20"; None for what is no whole number from 1 to MAX_LIMIT."""
    value = text.strip()
    if not value.isdecimal():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_LIMIT else None


async def _change(update: Update, context: ContextTypes.DEFAULT_TYPE, **changes: Any) -> Chat:
    """Store these changes to the chat (created if new) and return it."""
    chat = (await get_or_create_chat(update, context)).with_changes(**changes)
    await engine_of(context).db.put_chat(chat)
    return chat


def _values(chat: Chat, now: datetime) -> dict[str, Any]:
    """The placeholders the setting messages use."""
    return {
        "language": esc(lang_label(chat.lang)),
        "time": chat.time,
        "timezone": esc(chat.timezone),
        "offset": utc_offset(chat.timezone, now),
        "limit": chat.limit,
        "max": MAX_LIMIT,
        "when": when_text(chat, now),
    }


async def _set(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    field: str,
    parse: Callable[[str], Any],
    show: Callable[[Chat], str],
    extra: Callable[[Chat], dict[str, Any]] = lambda _: {},
) -> Chat | None:
    """Store one setting from the command's argument and return the chat; or, returning None,
    show the setting (no argument, with the message `show` names), refuse a group member who is
    no admin, or say why the argument is no good (settings.<field>_bad)."""
    value = fold_full_width(strip_invisible(args_text(update, context))).strip()
    if not value:
        chat = await chat_or_default(update, context)
        values = _values(chat, clock_now(context)) | extra(chat)
        await reply(update, context, t(chat.lang, show(chat), **values))
        return None
    if not await may_change(update, context):
        await refuse_change(update, context)
        return None
    parsed = parse(value)
    if parsed is None:
        chat = await chat_or_default(update, context)
        most = extra(chat).get("max", MAX_LIMIT)
        bad = t(chat.lang, f"settings.{field}_bad", value=echo_refused(value), max=most)
        await reply(update, context, bad)
        return None
    return await _change(update, context, **{field: parsed})


async def _confirm(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat: Chat,
    key: str,
    extra: dict[str, Any] | None = None,
) -> None:
    values = _values(chat, clock_now(context)) | (extra or {})
    await reply(update, context, t(chat.lang, key, **values))


async def lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set the language of summaries and translations (/lang zh); without a code, show it."""
    chat = await _set(update, context, "lang", normalize_lang, lambda _: "settings.lang_current")
    if chat is None:
        return
    lines = [t(chat.lang, "settings.lang_set", **_values(chat, clock_now(context)))]
    if not is_english(chat.lang) and resolve_language(chat.lang) == "en":
        lines.append(t(chat.lang, "settings.lang_words_english"))
    if not is_english(chat.lang) and not engine_of(context).settings.llm_enabled:
        lines.append(t(chat.lang, "settings.lang_needs_llm"))
    await reply(update, context, "\n".join(lines))


def _time_key(chat: Chat) -> str:
    return "settings.time_current_asap" if chat.time == "asap" else "settings.time_current"


async def time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set the daily delivery time (/time 08:30, /time asap); without one, show it."""
    chat = await _set(update, context, "time", parse_time, _time_key)
    if chat is not None:
        asap = chat.time == "asap"
        await _confirm(
            update, context, chat, "settings.time_set_asap" if asap else "settings.time_set"
        )


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set the chat's time zone (/timezone Asia/Shanghai); without one, show it."""
    chat = await _set(
        update, context, "timezone", resolve_timezone, lambda _: "settings.timezone_current"
    )
    if chat is not None:
        await _confirm(update, context, chat, "settings.timezone_set")


async def limit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set how many entries a digest page holds (/limit 20); without a number, show it."""
    chat = await _set(update, context, "limit", parse_limit, lambda _: "settings.limit_current")
    if chat is not None:
        await _confirm(update, context, chat, "settings.limit_set")


async def questions(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Set how many questions (/ask) the chat may ask a day (/questions 5; 0: none), within
    the operator's `ask.daily_questions`; in a group, the admins' to set. Without a number,
    show it."""
    asking = engine_of(context).asking
    most = asking.settings.ask_daily_questions

    def parse(text: str) -> int | None:
        return int(text) if text.isdecimal() and len(text) <= 6 and int(text) <= most else None

    def values(chat: Chat) -> dict[str, Any]:
        return {"questions": asking.daily_limit(chat.daily_questions), "max": most}

    key = "settings.questions_current"
    chat = await _set(update, context, "daily_questions", parse, lambda _: key, values)
    if chat is not None:
        await _confirm(update, context, chat, "settings.questions_set", values(chat))


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop the daily digest, keeping topics and settings."""
    await _set_paused(update, context, True)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Restart the daily digest."""
    await _set_paused(update, context, False)


async def _set_paused(update: Update, context: ContextTypes.DEFAULT_TYPE, paused: bool) -> None:
    if not await may_change(update, context):
        await refuse_change(update, context)
        return
    chat = await get_or_create_chat(update, context)
    if chat.paused == paused:
        key = "settings.already_paused" if paused else "settings.not_paused"
    else:
        chat = await _change(update, context, paused=paused)
        key = "settings.paused" if paused else "settings.resumed"
    await reply(update, context, t(chat.lang, key, **_values(chat, clock_now(context))))


def render_settings(
    chat: Chat, now: datetime, llm_enabled: bool, votes: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The /settings screen: every setting of the chat, with toggle buttons."""
    lang, values = chat.lang, _values(chat, now)
    topics = topic_list(lang, chat.topics) if chat.topics else t(lang, "settings.no_topics")
    lines = [
        t(lang, "settings.heading"),
        t(lang, "settings.topics", topics=topics),
        t(lang, "settings.language", **values),
        t(lang, _delivery_key(chat), day=day_name(chat.weekday, lang), **values),
        t(lang, "settings.next", **values),
        t(lang, "settings.limit", **values),
        t(lang, "settings.state_paused" if chat.paused else "settings.state_on"),
        t(
            lang,
            "settings.replacements_on"
            if chat.include_replacements
            else "settings.replacements_off",
        ),
        _interests_line(chat),
        t(lang, "learning.settings_votes", count=votes),
    ]
    lines += ["", t(lang, "settings.change")]
    if not llm_enabled:
        lines.append(t(lang, "settings.offline"))
    repl = "settings.button_replacements_" + ("on" if chat.include_replacements else "off")
    pause_key = "settings.button_resume" if chat.paused else "settings.button_pause"
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t(lang, repl), callback_data=setting_data("repl"))],
            [InlineKeyboardButton(t(lang, pause_key), callback_data=setting_data("pause"))],
            [_frequency_button(chat)],
        ]
    )
    return "\n".join(lines), markup


def _delivery_key(chat: Chat) -> str:
    if chat.time == "asap":
        return "settings.time_asap"
    return "settings.time_weekly" if is_weekly(chat) else "settings.time"


def _frequency_button(chat: Chat) -> InlineKeyboardButton:
    """Switch between a digest a day and one a week (on the chat's weekly day)."""
    if is_weekly(chat):
        label = t(chat.lang, "frequency.button_daily")
    else:
        label = t(chat.lang, "frequency.button_weekly", day=day_name(chat.weekday, chat.lang))
    return InlineKeyboardButton(label, callback_data=setting_data("freq"))


def toggled(chat: Chat, name: str) -> dict[str, Any]:
    """The change a /settings button makes: a yes/no setting flipped, or daily <-> weekly."""
    if name == "freq":
        return {"frequency": DAILY if is_weekly(chat) else WEEKLY}
    field = TOGGLES[name]
    return {field: not getattr(chat, field)}


def _interests_line(chat: Chat) -> str:
    """The /settings line of the chat's interests (quoted back cut, like any input)."""
    if not chat.interests:
        return t(chat.lang, "learning.settings_no_interests")
    return t(chat.lang, "learning.settings_interests_html", interests=echo(chat.interests))


async def _vote_count(context: ContextTypes.DEFAULT_TYPE, chat: Chat) -> int:
    return (await engine_of(context).db.chat_votes(chat.chat_id)).count


async def show_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show every setting of this chat on one screen, with toggle buttons (anyone may look)."""
    chat = await chat_or_default(update, context)
    llm = engine_of(context).settings.llm_enabled
    votes = await _vote_count(context, chat)
    text, markup = render_settings(chat, clock_now(context), llm, votes)
    await reply(update, context, text, markup)


async def settings_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Toggle the setting whose button was pressed and edit the settings screen in place."""
    pressed = await admin_button(update, context, SettingButton)
    if pressed is None:
        return
    query, button = pressed
    chat = await get_or_create_chat(update, context)
    chat = await _change(update, context, **toggled(chat, button.name))
    llm = engine_of(context).settings.llm_enabled
    try:
        votes = await _vote_count(context, chat)
        await edit(query, *render_settings(chat, clock_now(context), llm, votes))
    finally:
        await query.answer(t(chat.lang, "settings.saved"))
