"""A refusal quotes back at most the first few characters of what was sent, through the real
Application: an API key pasted at the start of an argument does not come back."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.conftest import ARXIV
from tests.harness import Harness

EMPTY_FEED = ARXIV / "rss2-empty-test-archive-2024-11-28.xml"
USER = 607
# What a user might paste by mistake: an API key (51 characters) at the start of the text.
KEY = "sk-proj-" + "Q7vX2mLp9RtZ4wKc8NbY3hJd6FsG1aUe5oTiVyBnMqWrXlCk0"
SHOWN_OF_KEY = 19  # a refusal quotes at most this much (handlers.texts.REFUSAL_UNITS - "…")
VOTE_USAGE = "Send /like 3 or /dislike 3 for paper [3] of the latest digest"
SAVE_USAGE = "Send /save 3 to keep paper [3] of the latest digest"
PAPER_USAGE = "Send /paper 3 to expand paper [3] of the latest digest"


@pytest.fixture
async def h(harness: Harness) -> Harness:
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    await harness.start()
    await harness.say(USER, "/start")
    return harness


@dataclass(frozen=True)
class Pasted:
    name: str
    typed: str
    shows: str


PASTED = [
    Pasted("interests", "/interests " + KEY + " " + "graph neural networks " * 25, "That is"),
    Pasted("interests-key-only-symbols", "/interests " + KEY.replace("-", " ") * 12, "That is"),
    Pasted("lang", "/lang " + KEY, KEY[:SHOWN_OF_KEY] + "… is not a language code"),
    Pasted("time", "/time " + KEY, KEY[:SHOWN_OF_KEY] + "… is not a time"),
    Pasted("timezone", "/timezone " + KEY, KEY[:SHOWN_OF_KEY] + "… is not a time zone"),
    Pasted("limit", "/limit " + KEY, KEY[:SHOWN_OF_KEY] + "… is not a number"),
    Pasted("subscribe-too-long", "/subscribe " + KEY * 2, "That topic is too long"),
    Pasted("unsubscribe", "/unsubscribe " + KEY, "Not followed, so not removed"),
    Pasted("like", "/like " + KEY, VOTE_USAGE),
    Pasted("save", "/save " + KEY, SAVE_USAGE),
    Pasted("paper", "/paper " + KEY, PAPER_USAGE),
]


@pytest.mark.parametrize("pasted", PASTED, ids=[pasted.name for pasted in PASTED])
async def test_a_refusal_quotes_no_more_than_the_first_few_characters(
    h: Harness, pasted: Pasted
) -> None:
    [answer] = await h.say(USER, pasted.typed)
    shown = answer["plain_text"]
    assert shown.startswith(pasted.shows), shown
    assert KEY[: SHOWN_OF_KEY + 1] not in shown and KEY[-12:] not in shown
    chat = h.engine.store.get_chat(USER)
    assert chat is not None and chat.interests == "" and chat.topics == ()


async def test_the_600_character_interests_refusal_shows_the_length_not_the_key(
    h: Harness,
) -> None:
    typed = (KEY + " " + "protein structure prediction " * 20)[:600]
    [answer] = await h.say(USER, "/interests " + typed)
    assert answer["plain_text"] == (
        "That is 600 characters; interests hold at most 500. A few sentences are enough. "
        f"You sent: {KEY[:SHOWN_OF_KEY]}…"
    )
