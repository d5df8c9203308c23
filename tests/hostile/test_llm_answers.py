"""Hostile LLM answers, through the real Application: what a Chinese reader sees of each.

Every case serves one kind of bad (or odd) answer to every LLM request of a chat that follows
econ.EM (two papers on the feed's day) in Chinese, then reads the digest and the expanded first
paper as the user gets them. A bad answer gives the paper the offline English TL;DR and the
"not translated" note; a usable one is shown as the LLM wrote it, escaped. Nothing the bot sends
is refused by the fake Bot API, nothing logged is a traceback, and no piece of a secret is shown.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import tests.harness as harness_module
from bot.i18n import t
from bot.llm.summaries import offline_tldr
from bot.logs import setup_logging
from bot.models import Paper
from tests.fakes.llm_server import Behaviour, translation
from tests.harness import ALL_ARCHIVES, Harness

CHAT = 5
TOPIC = "econ.EM"  # two papers on the feed's day: a small digest
KEY = "sk-SECRET-llm-key-0123456789abcdefghij"  # long: every 8-character piece is checked
TOKEN = "987654:AAHzyxwvutsrqponmlk-BOT-TOKEN-9876"  # no 8 characters in common with KEY
MEGABYTE = 1_000_000
TRANSLATED, OFFLINE = "llm", "offline"


@cache
def topic_feed() -> bytes:
    """The recorded all-archives feed with only the items in TOPIC: quick to parse and store."""
    feed = (Path(__file__).parent.parent / "fixtures" / "arxiv" / ALL_ARCHIVES).read_text()
    items = re.findall(r"\s*<item>.*?</item>", feed, re.DOTALL)
    head, tail = feed[: feed.index(items[0])], feed[feed.index(items[-1]) + len(items[-1]) :]
    kept = [item for item in items if f"<category>{TOPIC}</category>" in item]
    return (head + "".join(kept) + tail).encode()


def pieces(secret: str) -> list[str]:
    return [secret[i : i + 8] for i in range(len(secret) - 7)]


def changed(**fields: Callable[[str], str]) -> Behaviour:
    """A good translation with some fields rewritten (each from the good value)."""

    def answer(body: dict[str, Any]) -> tuple[int, str]:
        good = translation(body)
        good |= {name: make(good.get(name, "")) for name, make in fields.items()}
        return 200, json.dumps(good, ensure_ascii=False)

    return ("call", answer)


def extra_keys(body: dict[str, Any]) -> tuple[int, str]:
    return 200, json.dumps({**translation(body), "notes": "none", "confidence": 0.9})


def fenced(body: dict[str, Any]) -> tuple[int, str]:
    text = json.dumps(translation(body), ensure_ascii=False)
    return 200, f"<think>The user wants JSON.</think>\n```json\n{text}\n```"


def http_date(offset: float) -> str:
    return email.utils.formatdate(time.time() + offset, usegmt=True)


HTML = "<b>粗体</b> <script>alert(1)</script> &amp; "
# (case, behaviours scripted first, default behaviour, what the user gets)
CASES: list[tuple[str, Callable[[], tuple[list[Behaviour], Behaviour]], str]] = [
    ("not json", lambda: ([], ("raw", "Sure! Here is the translation you asked for.")), OFFLINE),
    ("a json list", lambda: ([], ("raw", '["标题", "总结"]')), OFFLINE),
    ("wrong keys", lambda: ([], ("json", {"titel": "标题", "summary": "总结"})), OFFLINE),
    ("extra keys", lambda: ([], ("call", extra_keys)), TRANSLATED),
    ("fenced, with reasoning", lambda: ([], ("call", fenced)), TRANSLATED),
    ("wrong language", lambda: ([], ("english",)), OFFLINE),
    ("1 MB of text", lambda: ([], ("raw", "词" * MEGABYTE)), OFFLINE),
    ("1 MB abstract", lambda: ([], changed(abstract=lambda a: a * (MEGABYTE // len(a)))), OFFLINE),
    ("1 MB TL;DR", lambda: ([], changed(tldr=lambda s: s * (MEGABYTE // len(s)))), OFFLINE),
    ("empty", lambda: ([], ("raw", "")), OFFLINE),
    ("empty fields", lambda: ([], ("json", {"title": "", "tldr": " ", "abstract": ""})), OFFLINE),
    ("html-looking", lambda: ([], changed(tldr=HTML.__add__, abstract=HTML.__add__)), TRANSLATED),
    ("words in dollars", lambda: ([], changed(abstract="$恶意$ $查询$ ".__add__)), TRANSLATED),
    ("echoes the key", lambda: ([], ("echo_key", "answer")), OFFLINE),
    ("echoes part of the key", lambda: ([], ("echo_key", "partial")), OFFLINE),
    ("echoes the bot token", lambda: ([], changed(tldr=lambda s: s + TOKEN[7:20])), OFFLINE),
    ("error body echoes the key", lambda: ([], ("echo_key", "error")), OFFLINE),
    (
        "429, Retry-After a date now",
        lambda: ([("status", 429, {"Retry-After": http_date(0)})], ("translate",)),
        TRANSLATED,
    ),  # fmt: skip
    (
        "429, Retry-After a date in an hour",
        lambda: ([], ("status", 429, {"Retry-After": http_date(3600)})),
        OFFLINE,
    ),  # fmt: skip
    ("500 storm", lambda: ([], ("status", 500)), OFFLINE),
    ("hangs past the timeout", lambda: ([], ("sleep", 3)), OFFLINE),
]


@pytest.fixture
def quick_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    """The LLM times out after 1 s and a failed request is tried once more, at once."""
    config = harness_module.TEST_CONFIG.replace(
        "[llm]\ntimeout = 5.0\nretries = 0", "[llm]\ntimeout = 1.0\nretries = 1\nbackoff = 0.0"
    )
    assert config != harness_module.TEST_CONFIG
    monkeypatch.setattr(harness_module, "TEST_CONFIG", config)


@pytest.fixture
def h(llm_harness: Harness, quick_llm: None) -> Harness:
    llm_harness.env |= {"LLM_API_KEY": KEY, "TELEGRAM_BOT_TOKEN": TOKEN}
    llm_harness.feeds.default_feed = topic_feed()
    return llm_harness


def plain(messages: list[dict]) -> str:
    return "\n".join(m.get("plain_text", "") for m in messages)


async def digest_and_first_paper(h: Harness) -> tuple[str, str, list[Paper]]:
    """The digest page and the expanded paper [1] as the user sees them, and the papers."""
    await h.start()
    for text in ("/start", "/lang zh", f"/subscribe {TOPIC}"):
        await h.say(CHAT, text)
    digest = plain(await h.say(CHAT, "/digest", expect=None))
    first = plain(await h.say(CHAT, "1", expect=None))
    ids = h.engine.store.latest_digest(CHAT).paper_ids
    return digest, first, [h.engine.store.get_paper(paper_id) for paper_id in ids]


def everything_sent(h: Harness) -> str:
    """Every parameter of every Bot API request, and every document's bytes."""
    params = [json.dumps(r.params, ensure_ascii=False) for r in h.api.requests]
    documents = [s["content"].decode("utf-8", "replace") for s in h.api.sent if s.get("content")]
    return "\n".join(params + documents)


def assert_no_secret(where: str, text: str) -> None:
    for secret in (KEY, TOKEN):
        leaked = [piece for piece in pieces(secret) if piece in text]
        assert not leaked, f"{where} holds {leaked[:3]} of a secret"


def assert_clean_log(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


def process_logging(
    caplog: pytest.LogCaptureFixture, level: int
) -> Iterator[pytest.LogCaptureFixture]:
    """Logging as `arxiv-digest run` sets it (`--verbose`: DEBUG), with caplog still listening;
    at DEBUG httpx, httpcore and telegram log at DEBUG too, their URLs holding the token."""
    root, factory = logging.getLogger(), logging.getLogRecordFactory()
    saved = root.handlers[:], root.level
    noisy = [logging.getLogger(name) for name in ("httpx", "httpcore", "telegram")]
    levels = [logger.level for logger in noisy]
    setup_logging((TOKEN, KEY), level)
    for logger in noisy if level == logging.DEBUG else []:
        logger.setLevel(logging.DEBUG)
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(level)
    try:
        yield caplog
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.setLogRecordFactory(factory)
        for logger, saved_level in zip(noisy, levels, strict=True):
            logger.setLevel(saved_level)


@pytest.fixture
def run_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    yield from process_logging(caplog, logging.INFO)


@pytest.fixture
def verbose_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    yield from process_logging(caplog, logging.DEBUG)


@pytest.mark.parametrize(("case", "behaviours", "shown"), CASES, ids=[c[0] for c in CASES])
async def test_a_hostile_llm_answer_shows_the_user_a_safe_digest(
    h: Harness, run_log: pytest.LogCaptureFixture, case: str, behaviours: Callable, shown: str
) -> None:
    caplog = run_log
    scripted, default = behaviours()
    h.llm.script(*scripted)
    h.llm.default = default
    digest, first, papers = await digest_and_first_paper(h)
    summaries = [h.engine.store.get_summary(p.key, "zh") for p in papers]
    assert [s.source for s in summaries] == [shown] * len(papers)
    for paper, summary in zip(papers, summaries, strict=True):
        if shown == OFFLINE:
            assert summary.tldr == offline_tldr(paper)
        assert summary.tldr in digest  # each TL;DR, as stored, is what the user reads
    if shown == OFFLINE:
        assert t("zh", "paper.untranslated") in first
        assert t("zh", "paper.translated_abstract") not in first
    else:
        assert t("zh", "paper.translated_abstract") in first and summaries[0].abstract in first
    assert h.api.rejections == []  # every message was valid HTML within Telegram's limits
    assert_no_secret("what the bot sent", everything_sent(h))
    assert_no_secret("the log", caplog.text)
    assert_clean_log(caplog)


async def test_html_in_an_answer_reaches_the_user_as_text(h: Harness) -> None:
    h.llm.default = changed(tldr=HTML.__add__)
    digest, _, _ = await digest_and_first_paper(h)
    assert "<script>alert(1)</script> &amp;" in digest  # shown literally, as the LLM wrote it
    page = next(r for r in h.api.calls("sendMessage") if "[1]" in r.params.get("text", ""))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;" in page.params["text"]
    assert "<script>" not in page.params["text"]


async def test_words_in_dollars_are_shown_without_them(h: Harness) -> None:
    h.llm.default = changed(abstract="$恶意$ $查询$ ".__add__)
    _, first, _ = await digest_and_first_paper(h)
    assert "恶意 查询" in first and "$恶意$" not in first


async def test_no_piece_of_a_secret_reaches_messages_exports_the_log_or_the_database(
    h: Harness, verbose_log: pytest.LogCaptureFixture
) -> None:
    # a prompt-injected LLM: its answers quote the key or the bot token, its errors the key
    token_leak = changed(tldr=lambda s: f"{s} {TOKEN}", abstract=lambda a: a + TOKEN[9:30])
    # Two papers, each asked twice (an unusable answer is asked once more) whatever the order
    # the requests come in: the 400 is last, so it is always a paper's second try.
    h.llm.script(token_leak, ("echo_key", "answer"), ("echo_key", "partial"), ("echo_key", "error"))
    h.llm.default = ("echo_key", "answer")
    digest, first, papers = await digest_and_first_paper(h)
    (export,) = await h.say(CHAT, "/export")
    await h.stop()
    assert len(h.llm.requests) == 4 and "Bearer " + KEY in h.llm.headers[0]["authorization"]
    assert any("getUpdates" in r.getMessage() for r in verbose_log.records)  # httpx logged URLs
    assert export["kind"] == "document" and papers[0].title in export["content"].decode()
    assert offline_tldr(papers[0]) in digest and t("zh", "paper.untranslated") in first
    assert_no_secret("what the bot sent", everything_sent(h))
    records = [r.getMessage() + (r.exc_text or "") for r in verbose_log.records]
    assert_no_secret("the log records", "\n".join(records) + verbose_log.text)
    stored = b"".join(p.read_bytes() for p in sorted(Path(h.data_dir).rglob("*")) if p.is_file())
    assert_no_secret("the database", stored.decode("utf-8", "replace"))
    assert_clean_log(verbose_log)
