"""Hostile arXiv answers: what the operator, the chats and `arxiv-digest` see when arXiv goes wrong.

Feeds that are empty, truncated, not XML, HTML, a gzip bomb, slow or a 5xx storm, and API answers
to /paper that are HTML, empty or an error: each is a fetch report, a log line naming the feed or
the id, stored papers unchanged, a reply that says what happened, and never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

import bot.pipeline
from bot.cli import main
from bot.i18n import t
from bot.models import Chat
from bot.store import Store
from handlers.texts import plain_text
from tests.conftest import ARXIV
from tests.fakes.feed_server import HTML_ERROR_PAGE, NOT_XML, FeedServer, truncated
from tests.harness import Harness

QUERY = "quant-ph"
QUANT = "rss2-quant-ph-2025-04-28.xml"
ERROR_FEED = "rss2-error-bad-archive-astroph-2024-11-28.xml"
EMPTY_FEED = "rss2-empty-test-archive-2024-11-28.xml"
DAY = datetime(2025, 4, 28, 12, 0, tzinfo=UTC)
CHAT, BYSTANDER = 4242, 4343
PAPER_ID = "2402.99999"


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [record for record in caplog.records if record.exc_info], caplog.text
    assert "Traceback" not in caplog.text


def logged(caplog: pytest.LogCaptureFixture, *fragments: str) -> bool:
    return any(all(f in record.getMessage() for f in fragments) for record in caplog.records)


def stored(h: Harness) -> set[str]:
    return {paper.key for paper in h.engine.store.announced_since("1970-01-01")}


@pytest.fixture
async def h(harness: Harness, caplog: pytest.LogCaptureFixture) -> Harness:
    """The bot with one chat following quant-ph, whose feed is stored; arXiv then turns hostile."""
    caplog.set_level(logging.INFO)
    harness.feeds.serve_feed(QUERY, QUANT)
    harness.clock.set(DAY)
    await harness.start()
    await harness.say(CHAT, "/start")
    await harness.say(CHAT, "/subscribe quant-ph")
    await harness.settled()
    assert stored(harness), "the feed was stored before arXiv turned hostile"
    return harness


def hold_forever(feeds: FeedServer) -> None:
    feeds.serve_feed(QUERY, truncated(QUANT, 0.9))  # a new body, so not a 304
    feeds.hold(QUERY)


# name: (what arXiv does, what the log line says besides the feed's name)
FAILED_FEEDS: dict[str, tuple[Callable[[FeedServer], None], str]] = {
    "empty answer": (lambda f: f.serve_feed(QUERY, b""), "the answer was empty"),
    "not XML": (lambda f: f.serve_feed(QUERY, NOT_XML), "Not an RSS or Atom feed: 44 bytes"),
    "HTML page": (lambda f: f.serve_html(QUERY), "an HTML page ('503 Service Unavailable')"),
    "gzip bomb, 100 MB unpacked": (lambda f: f.serve_bomb(QUERY), "too large (over 1,000,000"),
    "5xx storm": (lambda f: f.fail_next(503, 503, 503), "arXiv unreachable (HTTP 503)"),
    "slow, never finishes": (hold_forever, "no whole answer within 0.3 s"),
    "error feed": (lambda f: f.serve_feed(QUERY, ERROR_FEED), "arXiv feed error for"),
}


@pytest.mark.parametrize("case", FAILED_FEEDS)
async def test_a_hostile_feed_is_a_failed_fetch_named_in_the_log(h, caplog, case):
    arrange, fragment = FAILED_FEEDS[case]
    before = stored(h)
    h.engine.arxiv.max_response_bytes = 1_000_000
    if arrange is hold_forever:  # waited out in 0.3 s; the others keep the harness's 5 s, so
        h.engine.arxiv.timeout = 0.3  # a loaded machine's slow 503 is not taken for a timeout
    arrange(h.feeds)
    try:
        await h.scheduler.fetch()
    finally:
        for hold in h.feeds.holds.values():
            hold.release.set()
    assert logged(caplog, f"fetch of {QUERY} failed", fragment), caplog.text
    assert logged(caplog, f"failed: {QUERY}")  # the run's report line
    assert stored(h) == before
    assert (await h.say(BYSTANDER, "/help"))[0]["plain_text"]  # the bot still answers
    no_traceback(caplog)


async def test_an_empty_announcement_is_no_failure_and_stores_nothing(h, caplog):
    before = stored(h)
    h.feeds.serve_feed(QUERY, EMPTY_FEED)
    await h.scheduler.fetch()
    assert logged(caplog, f"feed {QUERY}: 0 paper(s), 0 new")
    assert not logged(caplog, "failed:")
    assert stored(h) == before
    no_traceback(caplog)


async def test_a_truncated_feed_stores_only_the_papers_that_arrived_whole(harness, caplog):
    harness.feeds.serve_feed(QUERY, truncated(QUANT, 0.5))
    harness.clock.set(DAY)
    await harness.start()
    await harness.say(CHAT, "/subscribe quant-ph")
    await harness.settled()
    whole = {p.key: p for p in bot.pipeline.parse_feed((ARXIV / QUANT).read_bytes()).papers}
    kept = harness.engine.store.announced_since("1970-01-01")
    assert 0 < len(kept) < len(whole)
    assert all(paper.abstract == whole[paper.key].abstract for paper in kept)  # none cut short
    no_traceback(caplog)


# name: (what the API answers for PAPER_ID, the reply's catalog key)
PAPER_ANSWERS: dict[str, tuple[Callable[[FeedServer], None], str]] = {
    "HTML page": (lambda f: f.serve_api_body(PAPER_ID, HTML_ERROR_PAGE), "reading.arxiv_error"),
    "not XML": (lambda f: f.serve_api_body(PAPER_ID, NOT_XML), "reading.arxiv_error"),
    "empty body": (lambda f: f.serve_api_body(PAPER_ID, b""), "reading.arxiv_error"),
    "error Atom": (
        lambda f: f.serve_api(PAPER_ID, "api-query-error400-id_list-abc-2026-04-12.xml", 400),
        "reading.arxiv_error",
    ),
    "too large": (
        lambda f: f.serve_api_body(PAPER_ID, b"<feed>" + b" " * 2_000_000),
        "reading.arxiv_error",
    ),
    "HTML page with 503, after retries": (
        lambda f: f.serve_api_body(PAPER_ID, HTML_ERROR_PAGE, status=503),
        "reading.arxiv_down",
    ),
    "empty result": (lambda f: None, "reading.unknown_id"),
}


@pytest.mark.parametrize("case", PAPER_ANSWERS)
async def test_paper_by_id_says_what_arxiv_answered(h, caplog, case):
    arrange, key = PAPER_ANSWERS[case]
    h.engine.arxiv.max_response_bytes = 1_000_000
    arrange(h.feeds)
    replies = await h.say(CHAT, f"/paper {PAPER_ID}")
    assert [m["plain_text"] for m in replies] == [plain_text(t("en", key, id=PAPER_ID))]
    if key != "reading.unknown_id":
        assert logged(caplog, f"look-up of {PAPER_ID}")
    assert h.api.rejections == []
    no_traceback(caplog)


async def test_a_slow_feed_keeps_no_chat_waiting(h, caplog):
    """While the bot's fetch is stuck mid-answer, another chat's /help is answered."""
    h.feeds.serve_feed(QUERY, truncated(QUANT, 0.9))
    hold = h.feeds.hold(QUERY)
    fetch = asyncio.create_task(h.scheduler.fetch())
    assert await asyncio.to_thread(hold.started.wait, 10)
    try:
        replies = await h.say(BYSTANDER, "/help")
        assert replies[0]["plain_text"] and not fetch.done()  # answered mid-fetch
        assert h.engine.fetches.runs  # the fetch run is still under way
    finally:
        hold.release.set()
    await fetch
    assert not logged(caplog, "failed:")
    no_traceback(caplog)


async def test_a_big_feed_is_parsed_while_chats_are_answered(h, caplog, monkeypatch):
    """The parse of the 2.8 MB all-archives feed runs in a thread: /help is answered meanwhile."""
    parsing, may_finish, waited = threading.Event(), threading.Event(), []
    real_parse = bot.pipeline.parse_feed

    def parse_when_allowed(content: bytes) -> bot.pipeline.Feed:
        parsing.set()
        waited.append(may_finish.wait(timeout=10))  # blocks the event loop if run on it
        return real_parse(content)

    monkeypatch.setattr(bot.pipeline, "parse_feed", parse_when_allowed)
    h.feeds.serve_feed(QUERY, "rss2-all-archives-2024-11-28.xml")
    fetch = asyncio.create_task(h.scheduler.fetch())
    assert await asyncio.to_thread(parsing.wait, 10)
    try:
        replies = await h.say(BYSTANDER, "/help")
        assert replies[0]["plain_text"] and not fetch.done() and not may_finish.is_set()
    finally:
        may_finish.set()
    await fetch
    assert waited == [True]  # the parse was released by the test, not by its time-out
    assert logged(caplog, f"feed {QUERY}: 1504 paper(s)")
    no_traceback(caplog)


# --- arxiv-digest preview and fetch, as an operator runs them ---------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, feed_server: FeedServer):
    for name in ("TELEGRAM_BOT_TOKEN", "LLM_BASE_URL", "LLM_API_KEY", "LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "fast.toml"
    config.write_text(
        "[arxiv]\nmin_interval = 0.0\nbackoff = 0.0\nretries = 1\ntimeout = 2.0\n"
        "max_response_bytes = 1000000\n"
    )
    monkeypatch.setenv("ARXIV_DIGEST_CONFIG", str(config))
    monkeypatch.setenv("ARXIV_DIGEST_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARXIV_RSS_URL", feed_server.rss_url)
    return tmp_path / "data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


PREVIEW_FAILURES: dict[str, tuple[Callable[[FeedServer], None], str]] = {
    "HTML page": (lambda f: f.serve_html(QUERY), "an HTML page ('503 Service Unavailable')"),
    "not XML": (lambda f: f.serve_feed(QUERY, NOT_XML), "Not an RSS or Atom feed"),
    "empty answer": (lambda f: f.serve_feed(QUERY, b""), "the answer was empty"),
    "gzip bomb": (lambda f: f.serve_bomb(QUERY), "too large (over 1,000,000 bytes)"),
    "5xx storm": (lambda f: f.fail_next(503, 503), "arXiv unreachable (HTTP 503)"),
}


@pytest.mark.parametrize("case", PREVIEW_FAILURES)
def test_preview_of_a_hostile_url_is_one_line_and_a_non_zero_exit(
    cli_env, capsys, feed_server, case
):
    arrange, fragment = PREVIEW_FAILURES[case]
    arrange(feed_server)
    url = feed_server.rss_url + QUERY
    status, out, err = run(capsys, "preview", "--feed", url)
    assert status == 1 and out == ""
    assert fragment in err and url in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_preview_of_a_truncated_feed_shows_the_papers_that_arrived(cli_env, capsys, feed_server):
    feed_server.serve_feed(QUERY, truncated(QUANT, 0.5))
    status, out, err = run(capsys, "preview", "--feed", feed_server.rss_url + QUERY)
    assert status == 0, err
    assert "https://arxiv.org/abs/2504.17830" in out  # the feed's first paper
    assert "Traceback" not in err


def test_fetch_of_a_gzip_bomb_reports_the_feed_failed(cli_env, capsys, feed_server):
    with Store(cli_env) as store:
        store.put_chat(Chat(chat_id=CHAT, topics=(QUERY,)))
    feed_server.serve_bomb(QUERY)
    status, out, err = run(capsys, "fetch")
    assert status == 1
    assert out.startswith("1 feed(s) asked") and f"failed: {QUERY}" in out
    assert f"fetch of {QUERY} failed" in err and "too large" in err
    assert "Traceback" not in err
