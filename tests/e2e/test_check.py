"""`arxiv-digest check` against loopback Telegram, arXiv, LLM and embeddings servers: one line per
check with ✓ or ✗ and what to change, exit 0 only when everything configured works, and no
secret in anything it prints, with httpx logging at DEBUG too."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.embed_server import FakeEmbeddings
from tests.fakes.feed_server import FeedServer, start_feed_server
from tests.fakes.llm_server import FakeLLM
from tests.harness import ALL_ARCHIVES

TOKEN = "424242:AAF-check-SECRET-token-0123456789"
KEY = "sk-check-SECRET-key-abcdefghijklmn"
EMBED_KEY = "ek-check-SECRET-embed-zyxwvutsrq"
ZH = "中文"


@dataclass
class Setup:
    api: FakeBotApi
    feeds: FeedServer
    llm: FakeLLM
    data: Path
    monkeypatch: pytest.MonkeyPatch

    def env(self, **values: str) -> None:
        for name, value in values.items():
            self.monkeypatch.setenv(name, value)


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Setup]:
    """Every service up; the environment a DeepSeek V4 operator sets (README block)."""
    api = FakeBotApi().start()
    feeds, httpd = start_feed_server()
    feeds.default_feed = (
        Path(__file__).parents[1] / "fixtures" / "arxiv" / ALL_ARCHIVES
    ).read_bytes()
    llm = FakeLLM("deepseek", KEY).start()
    for name in (
        "ARXIV_DIGEST_CONFIG",
        "EMBED_BASE_URL",
        "EMBED_API_KEY",
        "EMBED_MODEL",
        "LLM_OMIT",
    ):
        monkeypatch.delenv(name, raising=False)
    found = Setup(api, feeds, llm, tmp_path / "data", monkeypatch)
    found.env(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.base_url,
        ARXIV_RSS_URL=feeds.rss_url,
        ARXIV_API_URL=feeds.api_url,
        ARXIV_DIGEST_DATA_DIR=str(found.data),
        LLM_BASE_URL=llm.url,
        LLM_API_KEY=KEY,
        LLM_MODEL="deepseek-v4-flash",
        LLM_EXTRA_BODY='{"thinking": {"type": "disabled"}}',
    )
    try:
        yield found
    finally:
        llm.stop()
        httpd.shutdown()
        httpd.server_close()
        api.stop()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    """Exit status, the lines on stdout, and everything printed (stdout and stderr)."""
    status = main([*args, "check"])
    out, err = capsys.readouterr()
    for secret in (TOKEN, KEY, EMBED_KEY):
        for piece in (secret[i : i + 8] for i in range(len(secret) - 7)):
            assert piece not in out + err, f"a piece of a secret was printed: {piece}"
    return status, out.splitlines(), out + err


def line_of(lines: list[str], start: str) -> str:
    [found] = [line for line in lines if line[2:].startswith(start)]
    return found


def test_everything_configured_works(setup: Setup, capsys, fake_embeddings: FakeEmbeddings) -> None:
    setup.env(EMBED_BASE_URL=fake_embeddings.url, EMBED_MODEL="fake-embed", EMBED_API_KEY=EMBED_KEY)
    status, lines, _ = run(capsys)
    assert status == 0, lines
    assert len(lines) == 5 and all(line.startswith("✓ ") for line in lines), lines
    assert f"@{setup.api.bot_username}" in line_of(lines, "Telegram")
    llm = line_of(lines, "LLM deepseek-v4-flash")
    assert "Simplified Chinese" in llm and "2411.16552" in llm
    usage = setup.llm.answered[-1]
    assert f"tokens in {usage['prompt_tokens']:,} out {usage['completion_tokens']:,}" in llm
    assert "(reasoning 0)" in llm and "thinks" not in llm
    assert "dimensions" in line_of(lines, "Embeddings")
    assert "cs.AI feed holds" in line_of(lines, "arXiv")
    assert "writable" in line_of(lines, "Data folder") and setup.data.is_dir()
    assert list(setup.data.iterdir()) == []  # the check leaves nothing behind


def test_nothing_optional_set_is_no_failure(setup: Setup, capsys) -> None:
    setup.monkeypatch.delenv("LLM_BASE_URL")
    status, lines, _ = run(capsys)
    assert status == 0
    assert line_of(lines, "LLM").startswith("- ") and "offline" in line_of(lines, "LLM")
    assert line_of(lines, "Embeddings").startswith("- ")


def test_a_thinking_model_is_usable_and_said_to_think(setup: Setup, capsys) -> None:
    setup.monkeypatch.delenv("LLM_EXTRA_BODY")
    status, lines, _ = run(capsys)
    llm = line_of(lines, "LLM")
    reasoning = setup.llm.answered[-1]["completion_tokens_details"]["reasoning_tokens"]
    assert status == 0 and llm.startswith("✓ ")
    assert f"(reasoning {reasoning:,})" in llm and "turn it off" in llm


def test_a_refused_parameter_is_changed_and_the_config_line_given(setup: Setup, capsys) -> None:
    setup.llm.use("openai", KEY)
    setup.env(LLM_MODEL="gpt-5-mini", LLM_EXTRA_BODY="")
    status, lines, _ = run(capsys)
    llm = line_of(lines, "LLM")
    assert status == 0 and llm.startswith("✓ ")
    assert "LLM_OMIT=temperature" in llm and "max_completion_tokens" in llm


def test_a_wrong_key(setup: Setup, capsys) -> None:
    setup.env(LLM_API_KEY="sk-check-wrong-key-000000000000")
    status, lines, _ = run(capsys)
    llm = line_of(lines, "LLM")
    assert status == 1 and llm.startswith("✗ ") and "LLM_API_KEY" in llm
    assert "wrong-key-000" not in llm  # the key the operator set is not printed either
    assert [line for line in lines if line.startswith("✗ ")] == [llm]


def test_a_missing_model(setup: Setup, capsys) -> None:
    setup.env(LLM_MODEL="deepseek-chat")
    status, lines, _ = run(capsys)
    llm = line_of(lines, "LLM")
    assert status == 1 and llm.startswith("✗ ")
    assert "Model Not Exist" in llm and "LLM_MODEL" in llm


def test_an_unreachable_llm_server(setup: Setup, capsys) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once closed
    setup.env(LLM_BASE_URL=f"http://127.0.0.1:{port}/v1")
    status, lines, _ = run(capsys)
    llm = line_of(lines, "LLM")
    assert status == 1 and llm.startswith("✗ ") and "LLM_BASE_URL" in llm


def test_an_answer_in_the_wrong_language_is_not_usable(setup: Setup, capsys) -> None:
    setup.llm.default = ("english",)
    status, lines, _ = run(capsys)
    llm = line_of(lines, "LLM")
    assert status == 1 and llm.startswith("✗ ") and "not translated" in llm


def test_a_refused_token_and_an_unwritable_data_folder(setup: Setup, capsys, tmp_path) -> None:
    setup.api.fail_next("getMe", 401, description="Unauthorized")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    setup.env(ARXIV_DIGEST_DATA_DIR=str(blocker / "data"))
    status, lines, _ = run(capsys)
    assert status == 1
    telegram = line_of(lines, "Telegram")
    assert (
        telegram.startswith("✗ ") and "TELEGRAM_BOT_TOKEN" in telegram and "@BotFather" in telegram
    )
    data = line_of(lines, "Data folder")
    assert data.startswith("✗ ") and "ARXIV_DIGEST_DATA_DIR" in data


def test_unreachable_arxiv(setup: Setup, capsys) -> None:
    setup.feeds.fail_next(503)
    status, lines, _ = run(capsys)
    arxiv = line_of(lines, "arXiv")
    assert status == 1 and arxiv.startswith("✗ ") and "ARXIV_RSS_URL" in arxiv


def test_no_secret_with_httpx_logging_at_debug(setup: Setup, capsys) -> None:
    import bot.cli

    set_up = bot.cli.setup_logging

    def with_httpx(*args, **kwargs) -> None:  # the bot's logging, then httpx's at DEBUG
        set_up(*args, **kwargs)
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).setLevel(logging.DEBUG)

    setup.monkeypatch.setattr(bot.cli, "setup_logging", with_httpx)
    setup.api.fail_next("getMe", 401, description="Unauthorized")
    setup.env(LLM_API_KEY=KEY[:-1] + "X")  # refused: the 401 quotes the key's tail
    status, _, printed = run(capsys, "-v")
    assert status == 1
    assert "getMe" in printed  # httpx logged its requests, and `run` found no secret in them
