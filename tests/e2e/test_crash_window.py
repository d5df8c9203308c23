"""A kill between Telegram's answer and the record of a sent message: the real `arxiv-digest run`
process dies at that point (a fault hook, not a timing); the restart sends that message again
and nothing else twice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.models import Chat
from bot.store import Store
from tests.conftest import ARXIV
from tests.fakes.bot_api import FakeBotApi
from tests.harness import ALL_ARCHIVES

TOKEN = "123456:CRASH-SECRET-TOKEN"
READER = 4711
# The process as `arxiv-digest run` starts it, but it dies (kill -9 does the same: no cleanup)
# when the journal is about to write the record of the Nth message Telegram accepted. The
# journal may group several records in one commit: the messages before the Nth are recorded.
DYING_RUN = textwrap.dedent(
    """
    import os, sys
    from bot.store import Store
    real, nth = Store._record_sent, int(sys.argv[1])
    def record_or_die(self, digests):
        for digest in digests:
            if len(digest.message_ids) >= nth:
                kept = digest.message_ids[: nth - 1]
                if kept:
                    real(self, [digest.with_changes(message_ids=kept, parts_sent=len(kept),
                                                    done=False)])
                os._exit(9)  # Telegram answered the Nth message; its record never reaches the file
        real(self, digests)
    Store._record_sent = record_or_die
    from bot.cli import main
    sys.exit(main(["run"]))
    """
)


def environment(api: FakeBotApi, feed_server, data: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        ARXIV_RSS_URL=feed_server.rss_url,
        ARXIV_API_URL=feed_server.api_url,
        ARXIV_DIGEST_DATA_DIR=str(data),
    )
    env.pop("ARXIV_DIGEST_CONFIG", None)
    return env


def wait_for(condition, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def delivered(data: Path) -> bool:
    with Store(data) as store:
        digest = store.latest_digest(READER)
    return digest is not None and digest.done


@pytest.fixture
def api():
    with FakeBotApi() as running:
        yield running


@pytest.mark.slow
@pytest.mark.parametrize("dies_at", [1, 2])
def test_the_message_answered_before_the_kill_is_sent_again_and_nothing_else(
    api, feed_server, tmp_path, dies_at
):
    feed_server.default_feed = (ARXIV / ALL_ARCHIVES).read_bytes()
    data = tmp_path / "data"
    with Store(data) as store:  # "asap": its digest goes out right after the start-up fetch
        store.put_chat(Chat(READER, topics=("hep-th",), time="asap"))  # 38 papers: 2 messages
    env = environment(api, feed_server, data)
    dying = subprocess.run(
        [sys.executable, "-c", DYING_RUN, str(dies_at)], env=env, capture_output=True, timeout=60
    )
    assert dying.returncode == 9, dying.stderr.decode()[-2000:]
    before = [m["plain_text"] for m in api.messages_to(READER)]
    assert len(before) == dies_at, "the kill came right after the Nth message was answered"

    command = [str(Path(sys.executable).parent / "arxiv-digest"), "run"]
    again = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(api.messages_to(READER)) >= 3 or again.poll() is not None)
        wait_for(lambda: delivered(data))
    finally:
        again.kill()
        again.wait(timeout=30)
    texts = [m["plain_text"] for m in api.messages_to(READER)]
    first, second = texts[0], texts[1] if dies_at == 2 else texts[2]
    assert first.startswith("📰") and second.startswith("[17]")
    expected = [first, first, second] if dies_at == 1 else [first, second, second]
    assert texts == expected, "only the message in flight at the kill is sent twice"
