"""Delivery slots: weekly chats get one a week on their day, daily ones as before, DST-proof."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import scheduler
from bot.digest import slots
from bot.digest.slots import Frequency, frequency_text, parse_frequency, with_frequency
from bot.models import Chat

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
WEEKLY_MONDAY = Chat(1, time="08:30", timezone="Asia/Shanghai", frequency="weekly", weekday=0)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def instants(start: datetime, days: int, step_minutes: int) -> list[datetime]:
    return [start + timedelta(minutes=m) for m in range(0, days * 24 * 60, step_minutes)]


# --- weekly ------------------------------------------------------------------------------


@pytest.mark.parametrize("days_after_monday", range(7))
def test_a_weekly_monday_chat_has_last_mondays_slot_all_week(days_after_monday: int) -> None:
    monday_slot = local(SHANGHAI, 2026, 11, 30, 8, 30)  # Monday 30 Nov 2026, 08:30 Shanghai
    for minutes in (0, 1, 12 * 60, 23 * 60 + 59):
        now = monday_slot + timedelta(days=days_after_monday, minutes=minutes)
        assert slots.latest_slot(WEEKLY_MONDAY, now) == monday_slot
        assert slots.next_slot(WEEKLY_MONDAY, now) == monday_slot + timedelta(days=7)


def test_before_mondays_time_the_slot_is_the_monday_before() -> None:
    now = local(SHANGHAI, 2026, 11, 30, 8, 29)
    assert slots.latest_slot(WEEKLY_MONDAY, now) == local(SHANGHAI, 2026, 11, 23, 8, 30)
    assert slots.next_slot(WEEKLY_MONDAY, now) == local(SHANGHAI, 2026, 11, 30, 8, 30)


def test_slots_are_utc_and_local_as_the_scheduler_gives_them() -> None:
    now = local(SHANGHAI, 2026, 12, 2, 12, 0)
    latest, following = slots.latest_slot(WEEKLY_MONDAY, now), slots.next_slot(WEEKLY_MONDAY, now)
    assert latest is not None and latest.tzinfo is UTC
    assert latest == datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
    assert following is not None and following.tzinfo == SHANGHAI
    assert (following.weekday(), following.hour, following.minute) == (0, 8, 30)


@pytest.mark.parametrize("weekday", range(7))
def test_every_weekday_gets_one_slot_a_week_on_that_day(weekday: int) -> None:
    chat = Chat(1, time="07:05", timezone="America/New_York", frequency="weekly", weekday=weekday)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seen = {slots.latest_slot(chat, now) for now in instants(start, 28, 97)}
    zone = ZoneInfo("America/New_York")
    days = sorted(s.astimezone(zone) for s in seen if s is not None)
    assert [d.weekday() for d in days] == [weekday] * len(days)
    assert {(d.hour, d.minute) for d in days} == {(7, 5)}
    assert [b - a for a, b in zip(days, days[1:], strict=False)] == [timedelta(days=7)] * 4


def test_the_weekday_is_the_chats_local_day_not_utcs() -> None:
    chat = Chat(1, time="06:00", timezone="Pacific/Auckland", frequency="weekly", weekday=0)
    now = datetime(2026, 11, 29, 17, 30, tzinfo=UTC)  # Sunday in UTC, Monday 06:30 in Auckland
    latest = slots.latest_slot(chat, now)
    assert latest is not None
    assert latest.astimezone(ZoneInfo("Pacific/Auckland")) == local(
        ZoneInfo("Pacific/Auckland"), 2026, 11, 30, 6, 0
    )


def test_asap_has_no_slot_whatever_the_frequency() -> None:
    chat = WEEKLY_MONDAY.with_changes(time="asap")
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert slots.latest_slot(chat, now) is None and slots.next_slot(chat, now) is None


# --- daily, unchanged ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "time"),
    [("Asia/Shanghai", "08:30"), ("UTC", "00:00"), ("America/Los_Angeles", "23:59")],
)
def test_daily_slots_match_the_scheduler_for_a_year(zone: str, time: str) -> None:
    chat = Chat(1, time=time, timezone=zone)
    for now in instants(datetime(2026, 1, 1, tzinfo=UTC), 365, 173):
        if _near_dst_change(ZoneInfo(zone), now):
            continue
        assert slots.latest_slot(chat, now) == scheduler.latest_slot(chat, now), now
        assert slots.next_slot(chat, now) == scheduler.next_slot(chat, now), now


def test_a_chat_stored_before_frequency_existed_is_daily() -> None:
    stored = Chat(5, time="08:30", timezone="Asia/Shanghai").to_dict()
    del stored["frequency"], stored["weekday"]
    chat = Chat.from_dict(stored)
    assert (chat.frequency, chat.weekday) == ("daily", 0)
    now = local(SHANGHAI, 2026, 12, 2, 9, 0)
    assert slots.latest_slot(chat, now) == local(SHANGHAI, 2026, 12, 2, 8, 30)
    assert Chat.from_dict(WEEKLY_MONDAY.to_dict()) == WEEKLY_MONDAY


def _near_dst_change(zone: ZoneInfo, now: datetime) -> bool:
    """Within two days of an offset change, where the scheduler compares wall-clock times."""
    offsets = {(now + timedelta(hours=h)).astimezone(zone).utcoffset() for h in range(-48, 49, 6)}
    return len(offsets) > 1


# --- daylight saving time (Europe/Berlin: 29 Mar 2026 02:00 -> 03:00, 25 Oct 03:00 -> 02:00) ---


@pytest.mark.parametrize("time", ["02:30", "08:30", "00:00", "23:59", "03:00", "01:59"])
@pytest.mark.parametrize("frequency", ["daily", "weekly"])
@pytest.mark.parametrize(
    "start", [datetime(2026, 3, 25, tzinfo=UTC), datetime(2026, 10, 21, tzinfo=UTC)]
)
def test_dst_changes_neither_skip_nor_repeat_a_slot(
    time: str, frequency: str, start: datetime
) -> None:
    chat = Chat(1, time=time, timezone="Europe/Berlin", frequency=frequency, weekday=6)
    seen: list[datetime] = []
    announced: datetime | None = None  # the next slot as the previous instant saw it
    for now in instants(start, 15, 10):
        latest, following = slots.latest_slot(chat, now), slots.next_slot(chat, now)
        assert latest is not None and following is not None
        assert latest <= now < following
        if seen and latest != seen[-1]:
            assert announced is not None and latest > seen[-1]
            assert latest == announced.astimezone(UTC)
        seen.append(latest)
        announced = following
    days = [s.astimezone(BERLIN).date() for s in dict.fromkeys(seen)]
    step = 7 if frequency == "weekly" else 1
    assert [(b - a).days for a, b in zip(days, days[1:], strict=False)] == [step] * (len(days) - 1)


def test_a_time_that_occurs_twice_is_delivered_at_its_first_occurrence() -> None:
    chat = Chat(1, time="02:30", timezone="Europe/Berlin")
    after_both = datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 03:00 CET, after the second 02:30
    assert slots.latest_slot(chat, after_both) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_time_skipped_by_the_clock_change_falls_forward_by_the_gap() -> None:
    chat = Chat(1, time="02:30", timezone="Europe/Berlin", frequency="weekly", weekday=6)
    sunday = datetime(2026, 3, 29, 1, 40, tzinfo=UTC)  # 03:40 CEST on the day of the change
    assert slots.latest_slot(chat, sunday) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    ten_minutes_before = datetime(2026, 3, 29, 1, 20, tzinfo=UTC)
    assert slots.latest_slot(chat, ten_minutes_before) == datetime(2026, 3, 22, 1, 30, tzinfo=UTC)


# --- /frequency ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", Frequency("daily")),
        ("DAILY", Frequency("daily")),
        ("weekly", Frequency("weekly", 0)),
        ("weekly fri", Frequency("weekly", 4)),
        ("Weekly Friday", Frequency("weekly", 4)),
        ("weekly  sun.", Frequency("weekly", 6)),
        ("weekly wed", Frequency("weekly", 2)),
        ("weekly 7", Frequency("weekly", 6)),
        ("weekly 周三", Frequency("weekly", 2)),
        ("weekly 星期日", Frequency("weekly", 6)),
        ("每周五", Frequency("weekly", 4)),
        ("每天", Frequency("daily")),
    ],
)
def test_frequency_words(text: str, expected: Frequency) -> None:
    assert parse_frequency(text) == expected


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "frequency.invalid_html"),
        ("hourly", "frequency.invalid_html"),
        ("daily mon", "frequency.invalid_html"),
        ("weekly mon tue", "frequency.invalid_html"),
        ("weekly " + "mon" * 2000, "frequency.invalid_html"),
        ("x" * 5000, "frequency.invalid_html"),
        ("week\u200bly", "frequency.invalid_html"),
        ("\u202eylkeew", "frequency.invalid_html"),
        ("ｗｅｅｋｌｙ", "frequency.invalid_html"),
        ("weekly funday", "frequency.bad_day_html"),
        ("weekly m", "frequency.bad_day_html"),
        ("weekly 0", "frequency.bad_day_html"),
        ("weekly ٣", "frequency.bad_day_html"),
        ("weekly mon\u200b", "frequency.bad_day_html"),
    ],
)
def test_bad_frequencies_name_their_error(text: str, error: str) -> None:
    assert parse_frequency(text) == error


def test_daily_keeps_the_weekly_day_and_settings_say_it() -> None:
    weekly = with_frequency(Chat(1), Frequency("weekly", 4))
    assert (weekly.frequency, weekly.weekday) == ("weekly", 4)
    assert frequency_text(weekly, "en") == "weekly, on Friday"
    assert frequency_text(weekly, "zh") == "每周五"
    daily = with_frequency(weekly, Frequency("daily"))
    assert (daily.frequency, daily.weekday) == ("daily", 4)
    assert frequency_text(daily, "en") == "daily"
