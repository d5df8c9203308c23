"""`arxiv-digest run` as an operator starts it: a real process, long polling, Ctrl-C to stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes.bot_api import FakeBotApi

TOKEN = "123456:RUN-SECRET-TOKEN"
SCRIPT = Path(sys.executable).parent / "arxiv-digest"


def launch(api: FakeBotApi, feed_server, tmp_path: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        ARXIV_RSS_URL=feed_server.rss_url,
        ARXIV_API_URL=feed_server.api_url,
        ARXIV_DIGEST_DATA_DIR=str(tmp_path / "data"),
    )
    env.pop("ARXIV_DIGEST_CONFIG", None)
    command = [str(SCRIPT), "run"] if SCRIPT.exists() else [sys.executable, "-m", "bot.cli", "run"]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def api():
    with FakeBotApi() as running:
        yield running


def test_run_answers_a_chat_and_stops_cleanly_on_ctrl_c(api, feed_server, tmp_path):
    process = launch(api, feed_server, tmp_path)
    try:
        wait_for(lambda: api.commands() or process.poll() is not None)
        assert process.poll() is None, process.stderr.read()
        api.push_message(1, "/start")
        wait_for(lambda: api.messages_to(1))
        assert "/subscribe" in api.messages_to(1)[0]["plain_text"]
        process.send_signal(signal.SIGINT)
        status = process.wait(timeout=30)
    finally:
        process.kill()
    err = process.stderr.read()
    assert status == 0, err
    assert "RUN-SECRET-TOKEN" not in err and "arxiv-digest is up" in err
    assert (tmp_path / "data" / "arxiv-digest.sqlite").exists()


def test_a_token_telegram_refuses_is_one_line_and_exit_2(api, feed_server, tmp_path):
    api.fail_next("getMe", status=401, description="Unauthorized")
    process = launch(api, feed_server, tmp_path)
    try:
        status = process.wait(timeout=30)
    finally:
        process.kill()
    err = process.stderr.read().strip()
    assert status == 2
    assert err.splitlines()[-1].startswith("arxiv-digest: Telegram refused TELEGRAM_BOT_TOKEN")
    assert "Traceback" not in err and "RUN-SECRET-TOKEN" not in err
