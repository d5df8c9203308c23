"""Shared fixtures: paths to the recorded arXiv answers and the seed digest."""

from pathlib import Path

import pytest

pytest_plugins = (
    "tests.fakes.llm_server",
    "tests.fakes.feed_server",
    "tests.fakes.bot_api",
    "tests.fakes.embed_server",
    "tests.harness",
)

FIXTURES = Path(__file__).parent / "fixtures"
ARXIV = FIXTURES / "arxiv"


@pytest.fixture
def arxiv_fixture():
    """Return the bytes of a recorded arXiv answer by file name."""

    def read(name: str) -> bytes:
        return (ARXIV / name).read_bytes()

    return read
