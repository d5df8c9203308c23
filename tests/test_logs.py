"""Log redaction: no 8-character piece of a secret survives in any record, whatever cuts it."""

from __future__ import annotations

import logging

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
