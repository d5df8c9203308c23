"""Log redaction: no 8-character piece of a secret survives in any record, whatever cuts it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.logs import (
    REDACTED,
    RedactingFormatter,
    RedactingRecordFactory,
    holds_secret,
    install_redaction,
    redact,
    secret_pieces,
)

KEY = "sk-SECRET-0123456789abcdefghij"
TOKEN = "987654:AAH-token-abcdefghijklmnop"
PIECES = secret_pieces((KEY, TOKEN))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"key {KEY} refused", f"key {REDACTED} refused"),
        (f"cut: ...{KEY[:12]}", f"cut: ...{REDACTED}"),  # the head an earlier cut would leave
        (f"middle {KEY[5:13]} only", f"middle {REDACTED} only"),  # any 8 characters
        (f"{KEY}{TOKEN}", REDACTED),  # touching secrets: one mark
        (f"seven {KEY[:7]} stay", f"seven {KEY[:7]} stay"),  # shorter than a piece
        ("nothing secret", "nothing secret"),
    ],
)
def test_every_run_of_secret_pieces_is_redacted(text: str, shown: str) -> None:
    assert redact(text, PIECES) == shown
    assert holds_secret(text, PIECES) is (text != shown)


def test_a_short_secret_is_its_own_piece_and_empty_ones_none() -> None:
    assert secret_pieces(("short", "")) == frozenset({"short"})


@pytest.fixture
def redaction():
    factory = logging.getLogRecordFactory()
    install_redaction((KEY, TOKEN))
    install_redaction((KEY, TOKEN))  # installing again replaces, does not nest
    yield
    logging.setLogRecordFactory(factory)


def test_records_are_redacted_for_every_handler(redaction, caplog) -> None:
    log = logging.getLogger("demo")
    log.warning("POST %s/bot%s/getMe", "https://api.telegram.org", TOKEN)
    try:
        raise ValueError(f"bad key {KEY[3:20]}")
    except ValueError:
        log.exception("request failed")
    assert caplog.records[0].getMessage() == f"POST https://api.telegram.org/bot{REDACTED}/getMe"
    assert "ValueError: bad key " + REDACTED in caplog.text
    assert not holds_secret(caplog.text, PIECES)
    assert not isinstance(logging.getLogRecordFactory().inner, RedactingRecordFactory)


def test_the_formatter_redacts_what_it_formats() -> None:
    formatter = RedactingFormatter("%(message)s", (KEY,))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key=%s", (KEY[2:30],), None)
    assert formatter.format(record) == f"key={REDACTED}"


TWO_TESTS = """
import logging
from pathlib import Path

from bot.logs import RedactingRecordFactory, setup_logging


def test_a_run_sets_up_logging(capsys):
    setup_logging(("123456:SECRET-TOKEN",))  # as `arxiv-digest preview` does in a test
    logging.getLogger("bot").warning("up")
    assert "up" in capsys.readouterr().err


def test_the_next_test_logs_through_pytest_alone(caplog):
    logging.getLogger("bot").warning("still here")
    root = logging.getLogger()
    assert all(type(h).__module__.startswith("_pytest") for h in root.handlers), root.handlers
    assert root.level == logging.WARNING and logging.getLogger("httpx").level == logging.NOTSET
    assert not isinstance(logging.getLogRecordFactory(), RedactingRecordFactory)
    assert caplog.messages == ["still here"]
"""


def test_logging_set_up_by_one_test_is_gone_in_the_next(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test that runs the bot's logging set-up (the CLI, the run command) leaves no handler
    bound to its closed capture file: the next test's log lines go to pytest alone, and the
    run's output carries no `--- Logging error ---` (tests/conftest.py `logging_restored`)."""
    pytester.makeconftest("from tests.conftest import logging_restored  # noqa: F401\n")
    pytester.makepyfile(test_two=TWO_TESTS)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parents[1]))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "Logging error" not in result.stdout.str() + result.stderr.str()
