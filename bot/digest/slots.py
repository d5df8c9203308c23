"""Delivery slots: a chat's daily or weekly HH:MM in its time zone, and `/frequency` parsing.

A slot is the chat's `time` on a local day (every day, or its `weekday` when weekly). Slots are
compared as instants (UTC), never as wall-clock times, so daylight saving time changes neither
skip nor repeat one: a time that occurs twice (clocks going back) is its first occurrence, and a
time that does not exist (clocks going forward) falls forward by the gap, as RFC 5545 does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.config import parse_hhmm
from bot.i18n import t
from bot.models import Chat

DAILY = "daily"
WEEKLY = "weekly"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_FREQUENCY_TEXT = 40  # "weekly wednesday" is 16; anything much longer is not a frequency
ERROR_INVALID = "frequency.invalid_html"
ERROR_BAD_DAY = "frequency.bad_day_html"

_FREQUENCY_WORDS = {
    "daily": DAILY,
    "每天": DAILY,
    "每日": DAILY,
    "weekly": WEEKLY,
    "每周": WEEKLY,
    "每星期": WEEKLY,
}
_ENGLISH_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CHINESE_DAYS = ("一", "二", "三", "四", "五", "六", "日")


class Frequency(NamedTuple):
    """What `/frequency` set: "daily" or "weekly", and the weekly day (0 Monday ... 6 Sunday)."""

    frequency: str
    weekday: int = 0


def latest_slot(chat: Chat, now: datetime) -> datetime | None:
    """The chat's most recent delivery time at or before `now` (UTC); None for "asap"."""
    return _walk(chat, now, forward=False)


def next_slot(chat: Chat, now: datetime) -> datetime | None:
    """The chat's next delivery time after `now`, in its own time zone; None for "asap"."""
    slot = _walk(chat, now, forward=True)
    return slot.astimezone(ZoneInfo(chat.timezone)) if slot else None


def _walk(chat: Chat, now: datetime, forward: bool) -> datetime | None:
    """The chat's first slot after `now` (forward) or last at or before it, day by day (or
    week by week) in its zone; None for "asap"."""
    hhmm = parse_hhmm(chat.time)
    if hhmm is None:
        return None
    zone, step = ZoneInfo(chat.timezone), _period(chat)
    day = now.astimezone(zone).date()
    if step.days == 7:  # to the chat's weekday, on the side of `now` we walk from
        gap = (chat.weekday - day.weekday()) if forward else (day.weekday() - chat.weekday)
        day += timedelta(days=gap % 7) if forward else -timedelta(days=gap % 7)
    slot = _slot_on(day, hhmm, zone)
    while (slot <= now) if forward else (slot > now):
        day = day + step if forward else day - step
        slot = _slot_on(day, hhmm, zone)
    return slot


def parse_frequency(text: str) -> Frequency | str:
    """`daily`, `weekly`, `weekly fri`, `weekly Friday`, `每周 周五` ...; else an i18n error key."""
    if len(text) > MAX_FREQUENCY_TEXT:
        return ERROR_INVALID
    words = _split_chinese_weekly(text.lower().split())
    frequency = _FREQUENCY_WORDS.get(words[0]) if words else None
    if frequency is None or len(words) > 2 or (frequency == DAILY and len(words) > 1):
        return ERROR_INVALID
    if len(words) == 1:
        return Frequency(frequency)
    weekday = parse_weekday(words[1])
    return ERROR_BAD_DAY if weekday is None else Frequency(WEEKLY, weekday)


def parse_weekday(word: str) -> int | None:
    """0-6 for `mon`, `Monday`, `mon.`, `1` (ISO: 1 is Monday, 7 Sunday), `周一`, `星期日` ..."""
    word = word.strip().lower().removesuffix(".")
    if word.isascii() and word.isdecimal() and len(word) == 1 and "1" <= word <= "7":
        return int(word) - 1
    for number, name in enumerate(_ENGLISH_DAYS):
        if word.isascii() and len(word) >= 3 and name.startswith(word):
            return number
    for prefix in ("周", "星期", "礼拜"):
        day = word.removeprefix(prefix)
        if day != word and day in _CHINESE_DAYS + ("天",):
            return _CHINESE_DAYS.index(day) if day != "天" else 6
    return None


def _split_chinese_weekly(words: list[str]) -> list[str]:
    """`每周一` ("every Monday", one word in Chinese) as `每周 周一`."""
    for prefix in ("每周", "每星期"):
        if len(words) == 1 and words[0].startswith(prefix) and words[0] != prefix:
            return [prefix, "周" + words[0].removeprefix(prefix)]
    return words


def with_frequency(chat: Chat, choice: Frequency) -> Chat:
    """The chat with `/frequency` applied; a daily chat keeps its weekly day for next time."""
    if choice.frequency == DAILY:
        return chat.with_changes(frequency=DAILY)
    return chat.with_changes(frequency=WEEKLY, weekday=choice.weekday)


def frequency_text(chat: Chat, lang: str) -> str:
    """ "daily" or "weekly, on Friday" in the chat's language, for /settings and replies."""
    if not is_weekly(chat):
        return t(lang, "frequency.daily")
    return t(lang, "frequency.weekly", day=day_name(chat.weekday, lang))


def day_name(weekday: int, lang: str) -> str:
    return t(lang, f"frequency.day.{WEEKDAYS[weekday]}")


def is_weekly(chat: Chat) -> bool:
    return chat.frequency == WEEKLY and 0 <= chat.weekday <= 6


def _period(chat: Chat) -> timedelta:
    return timedelta(days=7 if is_weekly(chat) else 1)


def _slot_on(day: date, hhmm: tuple[int, int], zone: ZoneInfo) -> datetime:
    """HH:MM on a local day as a UTC instant (fold=0: the first of two, forward over a gap)."""
    return datetime.combine(day, time(*hhmm), tzinfo=zone).astimezone(UTC)
