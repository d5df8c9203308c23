"""Logging for the process: one format, quiet HTTP loggers, and secrets redacted from every line."""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Formats a record, tracebacks included, then blanks out every secret it contains."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def setup_logging(secrets: Iterable[str], level: int = logging.INFO) -> None:
    """Log to stderr; httpx and httpcore only from WARNING, since their INFO lines carry URLs
    and the Bot API URL holds the token."""
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
