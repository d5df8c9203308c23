"""Hostile input to /save, /unsave, /saved, /bib, /export bib, /frequency, /here and their
buttons: each gets a short reply (or pop-up) saying what is valid, and nothing breaks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.digest.textcut import telegram_length
from tests.conftest import ARXIV
from tests.harness import Harness

EMPTY_FEED = ARXIV / "rss2-empty-test-archive-2024-11-28.xml"
API_ANSWER = Path(__file__).parents[1] / "fixtures" / "constructed" / "api-id_list-2402.01295.xml"
USER = 603
HUGE = "x" * 5000
BINARY = "\x7fELF\x02\x01\x01\x00\x00\x00"
RTL = "\u202e{}\u202c"
ZERO_WIDTH = "\u200b{}\u200b"
EXPIRED = "This button has expired."

SAVE_USAGE = "Send /save 3 to keep paper [3] of the latest digest"
UNSAVE_USAGE = "Send /unsave 3 to take paper [3] of /saved off the list"
BIB_USAGE = "Send /bib 3 for the BibTeX of paper [3]"
NO_DIGEST = "There is no digest here yet."
EMPTY_LIST = "The reading list is empty."
FREQUENCY_USAGE = "Send /frequency daily for a digest every day"
BAD_DAY = "I don't know that day."
NO_TOPICS = "/here is for groups with topics"


@dataclass(frozen=True)
class Case:
    name: str
    typed: str
    shows: str  # the reply starts with this
    frequency: str = "daily"  # what the chat's frequency is after


CASES = [
    Case("save-empty", "/save", SAVE_USAGE),
    Case("save-huge", "/save " + HUGE, SAVE_USAGE),
    Case("save-binary", "/save " + BINARY, SAVE_USAGE),
    Case("save-html", "/save <b>1</b>", SAVE_USAGE),
    Case("save-html-entity", "/save &lt;1&gt;", SAVE_USAGE),
    Case("save-five-digits", "/save 99999", SAVE_USAGE),
    Case("save-zero-width-number", "/save " + ZERO_WIDTH.format("3"), NO_DIGEST),
    Case("save-rtl-id", "/save " + RTL.format("2402.01295"), "⭐ Saved to the reading list"),
    Case("save-zero-width-id", "/save " + ZERO_WIDTH.format("2402.01295"), "⭐ Saved"),
    Case("unsave-empty", "/unsave", UNSAVE_USAGE),
    Case("unsave-huge", "/unsave " + HUGE, UNSAVE_USAGE),
    Case("unsave-binary", "/unsave " + BINARY, UNSAVE_USAGE),
    Case("unsave-not-saved", "/unsave 2402.01295", "2402.01295 is not on the reading list."),
    Case("unsave-number-no-list", "/unsave 1", NO_DIGEST),
    Case("saved-junk-after", "/saved " + HUGE, EMPTY_LIST),
    Case("bib-empty", "/bib", BIB_USAGE),
    Case("bib-huge", "/bib " + HUGE, BIB_USAGE),
    Case("bib-binary", "/bib " + BINARY, BIB_USAGE),
    Case("bib-html", "/bib <script>alert(1)</script>", BIB_USAGE),
    Case("bib-rtl-number", "/bib " + RTL.format("2"), NO_DIGEST),
    Case("export-bib-empty", "/export bib", EMPTY_LIST),
    Case("export-bib-upper", "/export BIB", EMPTY_LIST),
    Case("frequency-empty", "/frequency", "Frequency: daily"),
    Case("frequency-huge", "/frequency " + HUGE, FREQUENCY_USAGE),
    Case("frequency-binary", "/frequency " + BINARY, FREQUENCY_USAGE),
    Case("frequency-html", "/frequency <b>weekly</b>", FREQUENCY_USAGE),
    Case("frequency-bad-day", "/frequency weekly someday", BAD_DAY),
    Case("frequency-day-huge", "/frequency weekly " + "f" * 30, BAD_DAY),
    Case("frequency-daily-with-day", "/frequency daily fri", FREQUENCY_USAGE),
    Case(
        "frequency-rtl",
        "/frequency " + RTL.format("weekly fri"),
        "Done: one digest a week, on Friday",
        "weekly",
    ),
    Case(
        "frequency-zero-width",
        "/frequency weekly" + ZERO_WIDTH.format(""),
        "Done: one digest a week, on Monday",
        "weekly",
    ),
    Case("here-private", "/here", NO_TOPICS),
    Case("here-huge", "/here " + HUGE, NO_TOPICS),
]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


@pytest.fixture
async def h(harness: Harness) -> Harness:
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    harness.feeds.api["2402.01295"] = (200, API_ANSWER.read_bytes())
    await harness.start()
    return harness


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_a_hostile_argument_gets_a_short_reply(
    h: Harness, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    caplog.clear()
    [answer] = await h.say(USER, case.typed)
    shown = answer["plain_text"] or answer["caption"] or ""
    assert shown.startswith(case.shows), shown
    assert telegram_length(answer["text"] or "") <= 4096
    assert HUGE[:100] not in shown and "\x00" not in shown
    await h.idle()
    assert len(h.api.messages_to(USER)) == 1  # one reply, nothing else
    chat = h.engine.store.get_chat(USER)
    assert (chat.frequency if chat else "daily") == case.frequency
    assert h.api.rejections == []
    assert tracebacks(caplog) == []


@dataclass(frozen=True)
class Press:
    name: str
    data: str
    pops: str = EXPIRED


PRESSES = [
    Press("star-empty", "sv:"),
    Press("star-letters", "sv:abc"),
    Press("star-too-long", "sv:" + "1" * 70),
    Press("star-nul", "sv:2402.01295\x00"),
    Press("star-rtl", "sv:\u202e2402.01295"),
    Press("star-html", "sv:<b>2402.01295</b>"),
    Press("star-path", "sv:../../etc/passwd"),
    Press("star-unknown-paper", "sv:2402.99999"),  # reads, but no such paper is stored
    Press("remove-empty", "us:"),
    Press("remove-versioned", "us:2402.01295v2"),
    Press("remove-sql", "us:'; DROP TABLE saved; --"),
    Press("remove-once-saved", "us:2402.01295"),  # on a message that never carried it
    Press("page-zero", "sp:0"),
    Press("page-negative", "sp:-1"),
    Press("page-arabic-digits", "sp:١"),
    Press("page-float", "sp:1.5"),
    Press("page-huge", "sp:" + "9" * 60),
    Press("page-past-the-end", "sp:5"),
    Press("frequency-extra", "set:freq:weekly"),
]


@pytest.mark.parametrize("press", PRESSES, ids=[press.name for press in PRESSES])
async def test_a_forged_button_is_answered_and_changes_nothing(
    h: Harness, caplog: pytest.LogCaptureFixture, press: Press
) -> None:
    await h.say(USER, "/save 2402.01295")
    await h.say(USER, "/unsave 2402.01295")
    [screen] = await h.say(USER, "/saved")
    saved_before = h.engine.store.saved_paper_ids(USER)
    chat_before = h.engine.store.get_chat(USER)
    sent_before = len(h.api.messages_to(USER, include_edits=True))
    answers = len(h.api.callback_answers)
    caplog.clear()
    h.api.push_callback(USER, screen["message_id"], press.data)
    await h.wait_until(lambda: len(h.api.callback_answers) > answers)
    await h.idle()
    assert [a["text"] for a in h.api.callback_answers[answers:]] == [press.pops]
    assert len(h.api.messages_to(USER, include_edits=True)) == sent_before
    assert h.engine.store.saved_paper_ids(USER) == saved_before == []
    assert h.engine.store.get_chat(USER) == chat_before
    assert h.api.rejections == []
    assert tracebacks(caplog) == []
