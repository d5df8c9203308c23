"""The bot process as an operator sees it: menu, logs without secrets, errors survived."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from bot.logs import setup_logging
from handlers import settings as chat_settings
from tests.harness import Harness


@pytest.fixture
async def h(harness: Harness):
    yield harness
    assert harness.api.rejections == []


async def test_start_up_publishes_the_command_menu(h):
    await h.start()
    names = [command["command"] for command in h.api.commands()]
    assert {"subscribe", "digest", "paper", "lang", "time", "export", "settings"} <= set(names)


async def test_the_token_and_the_llm_key_never_reach_the_logs(h, capfd):
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    settings_secrets = ("123456:TEST-SECRET-TOKEN", "sk-SECRET")
    setup_logging(settings_secrets, logging.DEBUG)
    try:
        await h.start()
        await h.say(31, "/start")
        await h.say(31, "/subscribe hep-th")
        await h.settled()
        logging.getLogger("demo").error(
            "url was %s/bot123456:TEST-SECRET-TOKEN/getMe", "https://api.telegram.org"
        )
        await h.stop()
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    logged = capfd.readouterr().err
    assert "getMe" in logged and "[REDACTED]" in logged
    assert "TEST-SECRET-TOKEN" not in logged and "sk-SECRET" not in logged


async def test_a_failing_handler_gets_an_apology_and_the_bot_keeps_answering(h, monkeypatch):
    async def broken(update, context):
        raise RuntimeError("boom")

    monkeypatch.setattr(chat_settings, "limit", broken)  # before the handlers are registered
    await h.start()
    await h.say(32, "/start")
    (apology,) = await h.say(32, "/limit 5")
    assert "went wrong" in apology["plain_text"]
    (help_text,) = await h.say(32, "/help")
    assert "/subscribe" in help_text["plain_text"]


async def test_a_new_time_counts_from_the_next_check_without_a_restart(h):
    await h.start()
    for text in ("/start", "/subscribe hep-th", "/time 09:00"):
        await h.say(33, text)
    await h.settled()
    h.clock.set(datetime(2024, 11, 29, 8, 31, tzinfo=UTC))  # 08:31: not yet due at 09:00
    await h.scheduler.deliver_due()
    assert h.engine.store.latest_digest(33) is None
    await h.say(33, "/time 08:30")
    await h.wait_until(lambda: h.engine.store.latest_digest(33) is not None)
