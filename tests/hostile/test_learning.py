"""Hostile /interests, /like and /dislike input, through the real Application: a short reply
that fits, quoted input cut, what is stored as the reply says, and no traceback."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from bot.digest.textcut import telegram_length, utf16_len
from bot.ranking.order import INTERESTS_LIMIT
from tests.conftest import ARXIV
from tests.harness import Harness

EMPTY_FEED = ARXIV / "rss2-empty-test-archive-2024-11-28.xml"
USER = 603
SHORT = 600  # UTF-16 units: every reply here is a few lines


@dataclass(frozen=True)
class Case:
    """What is typed, what the reply says, and the interests stored after."""

    name: str
    typed: str
    shows: tuple[str, ...]
    interests: str = ""


CASES = [
    Case("empty", "/interests", ("no interests yet", f"at most {INTERESTS_LIMIT} characters")),
    Case("spaces", "/interests     ", ("no interests yet",)),
    Case("zero-width-only", "/interests \u200b\u200d\ufeff", ("no interests yet",)),
    Case(
        "huge",
        "/interests " + "x" * 5000,
        ("5000 characters", f"at most {INTERESTS_LIMIT}", "You sent: " + "x" * 19 + "…"),
    ),
    Case("just-over", "/interests " + "a " * 250 + "b", (f"at most {INTERESTS_LIMIT}",)),
    Case("binary-controls", "/interests \x7f\x00\x01\x02\x03", ("no interests yet",)),
    Case("binary-elf", "/interests \x7fELF\x02\x01\x01\x00", ("Interests: ELF",), "ELF"),
    Case("binary-symbols", "/interests \x7f\x02 ¤¶§ \x00 ±", ("holds no words",)),
    Case("digits-only", "/interests 123 456 !!!", ("holds no words", "123 456 !!!")),
    Case(
        "rtl", "/interests \u202egraph neural\u202c", ("Interests: graph neural",), "graph neural"
    ),
    Case("zero-width-inside", "/interests gra\u200bph", ("Interests: graph",), "graph"),
    Case(
        "html",
        "/interests <b>diffusion</b> & <script>",
        ("Interests: <b>diffusion</b> & <script>",),
        "<b>diffusion</b> & <script>",
    ),
    Case(
        "chinese",
        "/interests 图神经网络 graph",
        (
            "Interests saved: 图神经网络 graph",
            "need an LLM",
            "only these words of them match: graph",
        ),
        "图神经网络 graph",
    ),
    Case(
        "long-echo-cut",
        "/interests " + "protein " * 50,
        ("Interests: protein", "…"),
        ("protein " * 50).strip(),
    ),
    Case("off-when-none", "/interests off", ("Interests cleared",)),
    Case("off-zero-width", "/interests o\u200bff\u200e", ("Interests cleared",)),
    Case("like-nothing", "/like", ("Send /like 3",)),
    Case("like-no-digest", "/like 3", ("There is no digest here yet.",)),
    Case("like-junk", "/like ../../etc/passwd", ("Send /like 3",)),
    Case("dislike-html", "/dislike <b>1</b>", ("Send /like 3",)),
    Case("dislike-huge", "/dislike " + "9" * 5000, ("Send /like 3",)),
]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_hostile_learning_input_gets_a_short_reply_and_stores_what_it_says(
    harness: Harness, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    await harness.start()
    await harness.say(USER, "/start")
    answers = await harness.say(USER, case.typed, expect=None)
    assert len(answers) == 1, [a["plain_text"] for a in answers]
    shown = answers[0]["plain_text"]
    for words in case.shows:
        assert words in shown, shown
    assert utf16_len(shown) <= SHORT and telegram_length(answers[0]["text"]) <= SHORT
    chat = harness.engine.store.get_chat(USER)
    assert chat is not None and chat.interests == case.interests
    assert harness.engine.store.chat_votes(USER).count == 0
    assert harness.api.rejections == []
    assert tracebacks(caplog) == []


@dataclass(frozen=True)
class TermsCase:
    """Hostile /interests with an LLM: the reply, the interests stored, the terms asked for."""

    name: str
    typed: str
    shows: tuple[str, ...]
    interests: str = ""
    asked: tuple[str, ...] = ()


LOOK_FOR = "so I look for: "
TERMS_CASES = [
    TermsCase("empty", "/interests", ("no interests yet",)),
    TermsCase("zero-width-only", "/interests \u200b\u200d\ufeff", ("no interests yet",)),
    TermsCase(
        "huge-chinese",
        "/interests " + "医" * 5000,
        ("5000 characters", f"at most {INTERESTS_LIMIT}", "You sent: " + "医" * 19 + "…"),
    ),
    TermsCase(
        "binary-chinese",
        "/interests \x00医疗\x7f\x01 AI\x02",
        ("Interests: 医疗 AI", LOOK_FOR + "medical, AI"),
        "医疗 AI",
        ("医疗 AI",),
    ),
    TermsCase(
        "rtl-override-chinese",
        "/interests \u202e医疗人工智能\u202c",
        ("Interests: 医疗人工智能", LOOK_FOR + "medical, artificial intelligence"),
        "医疗人工智能",
        ("医疗人工智能",),
    ),
    TermsCase(
        "rtl-arabic",  # the loopback model knows no Arabic: no usable terms, said so
        "/interests \u202bتعلم الآلة\u202c",
        ("Interests saved: تعلم الآلة", "not turned them into English", "match nothing"),
        "تعلم الآلة",
        ("تعلم الآلة",),
    ),
    TermsCase(
        "zero-width-chinese",
        "/interests 医\u200b疗",
        ("Interests: 医疗", LOOK_FOR + "medical"),
        "医疗",
        ("医疗",),
    ),
    TermsCase(
        "html-chinese",
        "/interests <b>医疗</b> & <script>",
        ("Interests: <b>医疗</b> & <script>", LOOK_FOR + "medical"),
        "<b>医疗</b> & <script>",
        ("<b>医疗</b> & <script>",),
    ),
    TermsCase(
        "html-english",
        "/interests <i>diffusion</i>",
        ("Interests: <i>diffusion</i>",),
        "<i>diffusion</i>",
    ),  # fmt: skip
]


@pytest.mark.parametrize("case", TERMS_CASES, ids=[case.name for case in TERMS_CASES])
async def test_hostile_interests_with_an_llm_get_a_short_reply_and_terms_only_when_needed(
    llm_harness: Harness, caplog: pytest.LogCaptureFixture, case: TermsCase
) -> None:
    harness = llm_harness
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    await harness.start()
    await harness.say(USER, "/start")
    answers = await harness.say(USER, case.typed, expect=None)
    assert len(answers) == 1, [a["plain_text"] for a in answers]
    shown = answers[0]["plain_text"]
    for words in case.shows:
        assert words in shown, shown
    assert utf16_len(shown) <= SHORT and telegram_length(answers[0]["text"]) <= SHORT
    chat = harness.engine.store.get_chat(USER)
    assert chat is not None and chat.interests == case.interests
    assert harness.llm is not None and harness.llm.terms_requests() == list(case.asked)
    assert harness.api.rejections == []
    assert tracebacks(caplog) == []
