"""Fixtures of the handler tests: the end-to-end harness, and no message Telegram would refuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import Harness

EMPTY_FEED = (
    Path(__file__).parent.parent / "fixtures" / "arxiv" / "rss2-empty-test-archive-2024-11-28.xml"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "full_feed: serve the real 1,504-paper feed (the default here is an empty one)"
    )


@pytest.fixture(autouse=True)
def empty_feed_unless_marked(request: pytest.FixtureRequest) -> None:
    """Serve an empty announcement unless a test reads papers (@pytest.mark.full_feed): parsing,
    storing and summarizing 1,504 papers takes seconds that a test of a command does not need."""
    if request.node.get_closest_marker("full_feed"):
        return
    for name in ("harness", "llm_harness"):
        if name in request.fixturenames:
            request.getfixturevalue(name).feeds.default_feed = EMPTY_FEED.read_bytes()


@pytest.fixture(autouse=True)
def nothing_rejected(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test: Telegram refused no message (HTML, length, button data)."""
    yield
    for name in ("harness", "llm_harness"):
        running = request.node.funcargs.get(name)
        if isinstance(running, Harness):
            assert running.api.rejections == [], running.api.rejections
