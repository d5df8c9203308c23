"""Shared fixtures: paths to the recorded arXiv answers and the seed digest; logging put back as
it was after every test."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = (
    "pytester",
    "tests.fakes.llm_server",
    "tests.fakes.feed_server",
    "tests.fakes.bot_api",
    "tests.fakes.embed_server",
    "tests.fakes.hf_api",
    "tests.harness",
)

FIXTURES = Path(__file__).parent / "fixtures"
ARXIV = FIXTURES / "arxiv"

# The loggers whose level bot.logs.setup_logging (or a test of it) sets.
SET_UP_LOGGERS = ("httpx", "httpcore", "sqlitedict", "hpack", "apscheduler", "telegram")


@pytest.fixture
def arxiv_fixture():
    """Return the bytes of a recorded arXiv answer by file name."""

    def read(name: str) -> bytes:
        return (ARXIV / name).read_bytes()

    return read


def _pytests(handler: logging.Handler) -> bool:
    """Whether pytest attached this handler (caplog, the report, live logs, the log file)."""
    return type(handler).__module__.startswith("_pytest")


@pytest.fixture(autouse=True)
def logging_restored() -> Iterator[None]:
    """Logging as it was before the test: `arxiv-digest` run in a test (bot.cli.main, or
    `setup_logging` itself) replaces the root logger's handlers with one writing to the
    sys.stderr of that moment, pytest's capture file that is closed after the test; left in
    place, every later test's log line would end in `--- Logging error ---`. Put back: the root
    logger's handlers and level, the levels of every logger, and the log record factory; the
    handlers the test added are closed. Pytest's own handlers stay as pytest has them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    for name in SET_UP_LOGGERS:
        logging.getLogger(name)
    loggers = {
        logger: logger.level
        for logger in root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    }
    factory = logging.getLogRecordFactory()
    try:
        yield
    finally:
        now = root.handlers[:]
        for handler in now:
            if handler not in handlers and not _pytests(handler):
                handler.close()
        root.handlers[:] = handlers + [h for h in now if _pytests(h) and h not in handlers]
        root.setLevel(level)
        for logger, was in loggers.items():
            if logger.level != was:
                logger.setLevel(was)
        logging.setLogRecordFactory(factory)
