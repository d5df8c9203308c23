"""Logging for the process: one format, quiet HTTP loggers, and secrets redacted from every line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

REDACTED = "[REDACTED]"
PIECE = 8  # characters: no run this long of a secret may be shown anywhere


def secret_pieces(secrets: Iterable[str], size: int = PIECE) -> frozenset[str]:
    """Every `size`-character window of each secret (a shorter secret is its own piece)."""
    pieces: set[str] = set()
    for secret in secrets:
        if len(secret) <= size:
            pieces.update([secret] if secret else [])
        else:
            pieces.update(secret[i : i + size] for i in range(len(secret) - size + 1))
    return frozenset(pieces)


def holds_secret(text: str, pieces: frozenset[str]) -> bool:
    """Whether text holds any piece of a secret: a whole or partial echo."""
    return any(piece in text for piece in pieces)


def redact(text: str, pieces: frozenset[str]) -> str:
    """Text with every run made of secret pieces replaced by REDACTED (before any cut)."""
    covered: list[tuple[int, int]] = []
    for piece in pieces:
        start = text.find(piece)
        while start >= 0:
            covered.append((start, start + len(piece)))
            start = text.find(piece, start + 1)
    if not covered:
        return text
    kept, end = [], 0
    for start, stop in _merged(covered):
        kept += [text[end:start], REDACTED]
        end = stop
    return "".join(kept) + text[end:]


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans joined, in order."""
    merged: list[tuple[int, int]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


class RedactingFormatter(logging.Formatter):
    """Formats a record, tracebacks included, then blanks out every secret it contains."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.pieces = secret_pieces(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        return redact(text, self.pieces)


class RedactingRecordFactory:
    """Makes log records with secrets already redacted, so every handler gets clean lines
    (pytest's caplog, a handler a library adds) and not only the one `setup_logging` sets."""

    def __init__(self, secrets: Iterable[str], inner: Callable[..., logging.LogRecord]) -> None:
        self.pieces = secret_pieces(secrets)
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: logging reports it itself
            return record
        if holds_secret(message, self.pieces):
            record.msg, record.args = redact(message, self.pieces), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info),
                                     self.pieces)  # fmt: skip
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.pieces)
        return record


def install_redaction(secrets: Iterable[str]) -> None:
    """Redact secrets in every log record from now on (replacing an earlier installation)."""
    current = logging.getLogRecordFactory()
    inner = current.inner if isinstance(current, RedactingRecordFactory) else current
    logging.setLogRecordFactory(RedactingRecordFactory(secrets, inner))


def setup_logging(secrets: Iterable[str], level: int = logging.INFO) -> None:
    """Log to stderr with secrets redacted from every record; httpx and httpcore only from
    WARNING, since their INFO lines carry URLs and the Bot API URL holds the token."""
    secrets = tuple(secrets)
    install_redaction(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "sqlitedict", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # APScheduler warns at every check that finds the previous one still running (a long
    # delivery pass): expected here, so only its errors are logged.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
