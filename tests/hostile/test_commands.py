"""Hostile arguments to every command, through the real Application: each gets a short, fitting
reply that says what was stored, and no traceback."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.digest.textcut import telegram_length, utf16_len
from tests.conftest import ARXIV
from tests.harness import Harness

EMPTY_FEED = ARXIV / "rss2-empty-test-archive-2024-11-28.xml"
USER = 601
ADMIN = 777  # in the harness's ARXIV_DIGEST_ADMINS
LIMIT = 4096
DEFAULTS = {"lang": "en", "time": "08:00", "timezone": "UTC", "limit": 30}  # a new chat's

HUGE = "x" * 5000
BINARY = "\x7fELF\x02\x01\x01\x00\x00\x00"
SQL = "'; DROP TABLE chats; --"
PATH = "../../../etc/passwd"
RTL = "\u202ecs.AI\u202c"
ZERO_WIDTH = "cs.AI\u200b"
PHRASES_40 = " ".join(f'"{chr(ord("a") + i % 26) * 79}{i % 10}"' for i in range(40))
NOT_FOLLOWED_500 = " ".join(f"word{i}" for i in range(500))


@dataclass(frozen=True)
class Case:
    """One hostile input: what is typed, what the reply says, what the chat holds after."""

    name: str
    typed: str
    shows: tuple[str, ...]
    topics: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    before: tuple[str, ...] = ()
    chat: int = USER


SUBSCRIBE = [
    Case("subscribe-empty", "/subscribe", ("Tell me what to follow",)),
    Case("subscribe-spaces", "/subscribe    ", ("Tell me what to follow",)),
    Case(
        "subscribe-huge",
        "/subscribe " + HUGE,
        ("at most 80 characters", ': "' + "x" * 18 + "…. Nothing"),
    ),
    Case(
        "subscribe-huge-category-typo",
        "/subscribe cs." + "X" * 4073,
        ("at most 80 characters", "Nothing was added"),
    ),
    Case(
        "subscribe-huge-excluded-category",
        "/subscribe -cs." + "X" * 4074,
        ("at most 80 characters", "Nothing was added"),
    ),
    Case(
        "subscribe-40-long-phrases",
        "/subscribe " + PHRASES_40,
        ("✅ Added:", "and 30 more", "follows 40 topics"),
        topics=tuple(f'"{chr(ord("a") + i % 26) * 79}{i % 10}"' for i in range(40)),
    ),
    Case(
        "subscribe-41-topics",
        "/subscribe " + PHRASES_40 + " cs.AI",
        ("at most 40 topics", "would make 41", "Nothing was added"),
    ),
    Case("subscribe-binary", "/subscribe " + BINARY, ("✅ Added:", '"ELF"'), topics=('"ELF"',)),
    Case("subscribe-only-controls", "/subscribe \x00\x01\x02\x03", ("Tell me what to follow",)),
    Case("subscribe-rtl", "/subscribe " + RTL, ("✅ Added: cs.AI",), topics=("cs.AI",)),
    Case("subscribe-zero-width", "/subscribe " + ZERO_WIDTH, ("✅ Added: cs.AI",), ("cs.AI",)),
    Case("subscribe-cyrillic", "/subscribe сs.AI", ("Did you mean cs.AI?", "Nothing was added")),
    Case("subscribe-greek", "/subscribe cs.ΑΙ", ("Did you mean cs.AI?",)),
    Case("subscribe-emoji-only", "/subscribe 🚀🔥", ("Tell me what to follow",)),
    Case("subscribe-emoji", '/subscribe "🚀 rockets"', ('"🚀 rockets"',), ('"🚀 rockets"',)),
    Case("subscribe-html", "/subscribe <b>bold</b>", ('"<b>bold</b>"',), ('"<b>bold</b>"',)),
    Case("subscribe-entity", '/subscribe "&amp;"', ('"&amp;"',), ('"&amp;"',)),
    Case("subscribe-entity-bare", "/subscribe &amp;", ('"&amp"',), ('"&amp"',)),  # ; separates
    Case(
        "subscribe-sql",
        "/subscribe " + SQL,
        ('"DROP"', '"TABLE"', '"chats"'),
        topics=('"DROP"', '"TABLE"', '"chats"'),
    ),
    Case("subscribe-path", "/subscribe " + PATH, (f'"{PATH}"',), (f'"{PATH}"',)),
]

UNSUBSCRIBE = [
    Case("unsubscribe-empty", "/unsubscribe", ("Tell me what to stop following",)),
    Case(
        "unsubscribe-500-not-followed",
        "/unsubscribe " + NOT_FOLLOWED_500,
        ("Not followed, so not removed", "and 490 more", "follows 1 topic"),
        topics=("cs.AI",),
        before=("/subscribe cs.AI",),
    ),
    Case(
        "unsubscribe-huge-phrase",
        '/unsubscribe "' + "p" * 4070 + '"',
        ("Not followed, so not removed", '"' + "p" * 18 + "…"),
    ),
    Case(
        "unsubscribe-all-zero-width",
        "/unsubscribe all\u200b",
        ("Removed this chat's only topic",),
        before=("/subscribe cs.AI",),
    ),
    Case(
        "unsubscribe-html",
        "/unsubscribe <b>x</b>",
        ('🗑 Removed: "<b>x</b>"', "follows no topics now"),
        before=('/subscribe "<b>x</b>"',),
    ),
    Case(
        "unsubscribe-rtl",
        "/unsubscribe " + RTL,
        ("🗑 Removed: cs.AI",),
        before=("/subscribe cs.AI",),
    ),
]

PAPER = [
    Case("paper-empty", "/paper", ("/paper 3", "2402.01295")),
    Case("paper-huge", "/paper " + HUGE, ("/paper 3", "2402.01295")),
    Case("paper-path", "/paper " + PATH, ("/paper 3",)),
    Case("paper-sql", "/paper 1; DROP TABLE papers", ("/paper 3",)),
    Case("paper-html", "/paper <b>1</b>", ("/paper 3",)),
    Case("paper-number-no-digest", "/paper 9999", ("There is no digest here yet",)),
]

SETTINGS = [
    Case("lang-huge", "/lang " + HUGE, ("not a language code", "x" * 19 + "… is")),
    Case("lang-html", "/lang <b>zh</b>", ("<b>zh</b> is not a language code",)),
    Case("lang-rtl-mark", "/lang \u200fzh", ("语言：中文",), settings={"lang": "zh"}),
    Case("lang-emoji", "/lang 🇨🇳", ("not a language code",), settings={"lang": "en"}),
    Case("lang-binary", "/lang " + BINARY, ("not a language code",), settings={"lang": "en"}),
    Case("time-out-of-range", "/time 25:99", ("25:99 is not a time",), settings={"time": "08:00"}),
    Case("time-full-width", "/time ８:３０", ("daily at 08:30",), settings={"time": "08:30"}),
    Case("time-sql", "/time " + SQL, ("is not a time",), settings={"time": "08:00"}),
    Case("time-huge", "/time " + HUGE, ("is not a time", "…"), settings={"time": "08:00"}),
    Case(
        "timezone-path",
        "/timezone " + PATH,
        (f"{PATH} is not a time zone",),
        settings={"timezone": "UTC"},
    ),
    Case(
        "timezone-zero-width",
        "/timezone Asia/Shanghai\u200b",
        ("Time zone: Asia/Shanghai",),
        settings={"timezone": "Asia/Shanghai"},
    ),
    Case("timezone-html", "/timezone <i>&amp;</i>", ("<i>&amp;</i> is not a time zone",)),
    Case("limit-negative", "/limit -5", ("not a number from 1 to 100",), settings={"limit": 30}),
    Case("limit-enormous", "/limit " + "9" * 100, ("not a number from 1 to 100", "…")),
    Case("limit-full-width", "/limit ２０", ("at most 20 entries",), settings={"limit": 20}),
    Case("limit-sql", "/limit 1 OR 1=1", ("not a number",), settings={"limit": 30}),
]

READING = [
    Case("digest-huge", "/digest " + HUGE, ("You follow no topics yet",)),
    Case("digest-html", "/digest <b>", ("You follow no topics yet",)),
    Case("export-path", "/export " + PATH, ("There is no digest here yet",)),
    Case("export-sql", "/export " + SQL, ("There is no digest here yet",)),
    Case("settings-entity", "/settings &amp;", ("Settings of this chat",)),
    Case("settings-huge", "/settings " + HUGE, ("Settings of this chat",)),
    Case("list-html", "/list <script>alert(1)</script>", ("follows no topics yet",)),
    Case(
        "list-40-long-phrases",
        "/list",
        ("follows 40 topics",),
        topics=tuple(f'"{chr(ord("a") + i % 26) * 79}{i % 10}"' for i in range(40)),
        before=("/subscribe " + PHRASES_40,),
    ),
    Case("stats-not-admin-huge", "/stats " + HUGE, ("only for the bot's operators",)),
    Case("stats-admin-sql", "/stats ' OR 1=1 --", ("Chats: 0", "Topics: 0 distinct"), chat=ADMIN),
    Case("number-zero", "0", ("There is no digest here yet",)),
    Case("number-large", "9999", ("There is no digest here yet",)),
    Case("number-bracketed", "[3]", ("There is no digest here yet",)),
    Case("number-arabic-indic", "٣", ("There is no digest here yet",)),
]

CASES = SUBSCRIBE + UNSUBSCRIBE + PAPER + SETTINGS + READING


def no_traceback(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log lines at ERROR or above that carry a traceback."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


def said_count(text: str) -> int | None:
    """The number of topics a reply says the chat follows, if it says so."""
    match = re.search(r"follows (\d+) topics?", text)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_hostile_command_gets_a_short_reply_that_matches_what_is_stored(
    harness: Harness, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    await harness.start()
    for typed in case.before:
        await harness.say(case.chat, typed)
    caplog.clear()
    answers = await harness.say(case.chat, case.typed, expect=None)
    assert len(answers) == 1, [a["plain_text"] for a in answers]
    shown = answers[0]["plain_text"]
    for words in case.shows:
        assert words in shown
    assert utf16_len(shown) <= LIMIT and telegram_length(answers[0]["text"]) <= LIMIT
    chat = harness.engine.store.get_chat(case.chat)
    topics = chat.topics if chat else ()
    assert topics == case.topics
    if said_count(shown) is not None:
        assert said_count(shown) == len(topics)
    for name, value in case.settings.items():  # a refused change stores no chat at all
        assert (getattr(chat, name) if chat else DEFAULTS[name]) == value
    assert harness.api.rejections == []
    assert no_traceback(caplog) == []


def test_the_table_holds_enough_inputs() -> None:
    assert len(CASES) >= 45
    assert len({case.name for case in CASES}) == len(CASES)
