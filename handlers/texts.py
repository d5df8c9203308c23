"""Pieces of the bot's HTML replies: escaping, quoting what a user typed, topic lists, when."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from datetime import datetime

from bot.digest import next_slot, quote
from bot.i18n import t
from bot.models import Chat

log = logging.getLogger(__name__)

_TAG = re.compile(r"<[^>]*>")


ECHO_UNITS = 64  # what was stored, said back (topics, interests), is cut to this (UTF-16 units)


# A refusal quotes at most this much of what was sent (UTF-16 units, "…" included): enough
# to tell which word was refused (any arXiv category, a language code, most time zones, a
# phrase's first words), too little to repeat a pasted secret: of an API key (40-160
# characters behind a public prefix such as "sk-proj-") at most 19 characters come back.
REFUSAL_UNITS = 20


LIST_SHOWN = 10  # a reply lists at most this many topics, then "and N more"


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


def plain_text(text: str) -> str:
    """What Telegram shows of one of the bot's HTML messages: tags gone, entities decoded."""
    return html.unescape(_TAG.sub("", text)).strip()


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
