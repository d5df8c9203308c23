"""The links line of an expanded paper, through the real Application: its code repository with
its stars and how many models, datasets and demos cite it (the Hugging Face paper API, loopback);
nothing, and no word, when the API fails; one request a day per paper; nobody waits for it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from tests.fakes.hf_api import fixture
from tests.harness import Harness

CHAT, OTHER = 701, 702
REPO = "sail-sg/understand-r1-zero"
COUNTS = "3 models, 1 dataset, 2 demos"
ERROR_WORDS = ("error", "wrong", "Hugging", "API", "try again")


async def reader(h: Harness, chat_id: int = CHAT) -> None:
    """A reader of hep-th with a digest, due tonight (no scheduled delivery meanwhile)."""
    await h.say(chat_id, "/start")
    await h.say(chat_id, "/time 23:00")
    await h.say(chat_id, "/subscribe hep-th")
    await h.settled()
    await h.say(chat_id, "/digest", expect=None)


def paper_id(h: Harness, number: int, chat_id: int = CHAT) -> str:
    return h.engine.store.latest_digest(chat_id).paper_ids[number - 1]


def known_paper(h: Harness, number: int = 1) -> str:
    """Make the fake know paper `number` of the digest as the fixture's paper (code, 6 repos)."""
    pid = paper_id(h, number)
    h.hf.add(pid, fixture("2503.20783.paper.json"), fixture("2503.20783.repos.json"))
    return pid


def asked(h: Harness, pid: str) -> list[str]:
    return [path for path in h.hf.paths if pid in path]


async def edited(h: Harness, message_id: int, text: str, chat_id: int = CHAT) -> dict:
    await h.wait_until(lambda: text in h.api.message(chat_id, message_id)["text"])
    return h.api.message(chat_id, message_id)


def link_urls(message: dict) -> list[str]:
    return [e["url"] for e in message.get("entities", []) if e.get("type") == "text_link"]


async def quiet(h: Harness, message_id: int, pid: str, requests: int = 2) -> dict:
    """The message once the look-up of `pid` was answered and any edit would have come."""
    await h.wait_until(lambda: len(asked(h, pid)) >= requests)
    await asyncio.sleep(0.4)
    return h.api.message(CHAT, message_id)


async def test_the_expanded_paper_gets_the_repository_its_stars_and_the_counts(harness):
    h = harness
    await h.start()
    await reader(h)
    pid = known_paper(h)
    (answer,) = await h.say(CHAT, "/paper 1")
    message = await edited(h, answer["message_id"], REPO)
    line = next(row for row in message["text"].splitlines() if REPO in row)
    assert line == f"💻 {REPO} ★ 1,234 · 🤗 {COUNTS}"
    assert f"https://github.com/{REPO}" in link_urls(message)
    assert f"https://huggingface.co/papers/{pid}" in link_urls(message)
    assert message["reply_markup"] == answer["reply_markup"]  # the ⭐ 👍 👎 row kept
    assert sorted(asked(h, pid)) == [f"/v1/arxiv/{pid}/repos", f"/v1/papers/{pid}"]


async def test_a_second_expansion_within_the_day_shows_the_line_at_once_and_asks_nothing(harness):
    h = harness
    await h.start()
    await reader(h)
    pid = known_paper(h)
    (first,) = await h.say(CHAT, "/paper 1")
    await edited(h, first["message_id"], REPO)
    (again,) = await h.say(CHAT, "/paper 1")
    assert f"💻 {REPO} ★ 1,234 · 🤗 {COUNTS}" in again["plain_text"]  # in the first answer
    await asyncio.sleep(0.3)
    assert len(asked(h, pid)) == 2


async def test_a_404_shows_no_line_and_is_kept_for_the_day(harness):
    h = harness
    await h.start()
    await reader(h)
    pid = paper_id(h, 2)  # the fake does not know it: 404 on both endpoints
    (answer,) = await h.say(CHAT, "/paper 2")
    message = await quiet(h, answer["message_id"], pid)
    assert message["text"] == answer["plain_text"]  # never edited
    assert "💻" not in message["text"] and "🤗" not in message["text"]
    (again,) = await h.say(CHAT, "/paper 2")
    await asyncio.sleep(0.3)
    assert len(asked(h, pid)) == 2  # the 404 was kept: no second look-up
    assert again["plain_text"] == answer["plain_text"]


async def _fails_quietly(h: Harness) -> None:
    await h.start()
    await reader(h)
    pid = known_paper(h)
    (answer,) = await h.say(CHAT, "/paper 1")
    sent = len(h.api.messages_to(CHAT, include_edits=True))
    message = await quiet(h, answer["message_id"], pid, requests=1)
    await asyncio.sleep(0.3)
    assert message["text"] == answer["plain_text"]
    assert "💻" not in message["text"] and "🤗" not in message["text"]
    assert not any(word in message["text"] for word in ERROR_WORDS)
    assert len(h.api.messages_to(CHAT, include_edits=True)) == sent  # nothing else was said


async def test_a_500_shows_no_line_and_no_error(harness):
    harness.hf.default = ("status", 500)
    await _fails_quietly(harness)


async def test_junk_json_shows_no_line_and_no_error(harness):
    harness.hf.default = ("json", ["not", "an", "object"])
    await _fails_quietly(harness)


async def test_an_html_page_shows_no_line_and_no_error(harness):
    harness.hf.default = ("html",)
    await _fails_quietly(harness)


async def test_a_slow_api_is_given_up_after_links_timeout(harness):
    h = harness
    h.links_config = "timeout = 0.3\n"
    h.hf.default = ("sleep", 3.0)
    await _fails_quietly(h)


async def test_a_failure_is_not_kept_but_the_api_rests_a_while(harness):
    h = harness
    h.hf.default = ("status", 503)
    await h.start()
    await reader(h)
    pid = known_paper(h)
    (answer,) = await h.say(CHAT, "/paper 1")
    await quiet(h, answer["message_id"], pid, requests=1)
    assert h.engine.store.get_links(pid, time.time()) is None
    (again,) = await h.say(CHAT, "/paper 1")  # within REST_SECONDS: not asked again
    await asyncio.sleep(0.3)
    assert len(asked(h, pid)) <= 2 and REPO not in again["plain_text"]


async def test_links_huggingface_false_makes_no_request_but_shows_the_abstracts_link(harness):
    h = harness
    h.links_config = "huggingface = false\n"
    await h.start()
    await reader(h)
    known_paper(h)
    paper = h.engine.store.get_paper(paper_id(h, 1))
    written = paper.abstract + " Code: https://github.com/some-lab/their-code."
    h.engine.store.put_papers([replace(paper, abstract=written)])
    (answer,) = await h.say(CHAT, "/paper 1")
    await asyncio.sleep(0.4)
    assert h.hf.paths == []
    assert "💻 some-lab/their-code" in answer["plain_text"] and "🤗" not in answer["plain_text"]
    message = h.api.message(CHAT, answer["message_id"])
    assert "https://github.com/some-lab/their-code" in link_urls(message)


async def test_hostile_answers_are_dropped_or_escaped(harness):
    h = harness
    await h.start()
    await reader(h)
    pid = paper_id(h, 1)
    h.hf.add(
        pid,
        {"githubRepo": "https://github.com/<script>alert(1)</script>/x", "githubStars": 10**12},
        {"models": "many", "datasets": -3, "spaces": [{"id": "<b>x</b>"}]},
    )
    second = paper_id(h, 2)
    h.hf.add(
        second,
        {"githubRepo": 'https://github.com/ok-owner/repo"><i>', "githubStars": -5},
        {"models": [1] * 2, "datasets": None},
    )
    third = paper_id(h, 3)
    h.hf.add(third, {"githubRepo": "https://github.com/a/b", "githubStars": "1234"}, {})
    (answer,) = await h.say(CHAT, "/paper 1")
    message = await edited(h, answer["message_id"], "🤗")
    assert "💻" not in message["text"] and "<script>" not in message["text"]
    assert "🤗 1 demo" in message["text"]  # the list counted, its items never shown
    (answer,) = await h.say(CHAT, "/paper 2")
    message = await quiet(h, answer["message_id"], second)
    assert "💻" not in message["text"]  # a repository name not of GitHub's shape is dropped
    assert "🤗 2 models" in message["text"]
    (answer,) = await h.say(CHAT, "/paper 3")
    message = await edited(h, answer["message_id"], "💻")
    assert "💻 a/b ·" not in message["text"] and "★" not in message["text"]  # stars as text
    assert h.api.rejections == []


async def test_another_chat_is_answered_while_the_api_holds_the_look_up(harness):
    h = harness
    await h.start()
    await reader(h)
    pid = known_paper(h)
    h.hf.hold()
    (answer,) = await h.say(CHAT, "/paper 1")  # answered at once, without the line
    assert REPO not in answer["plain_text"]
    await h.wait_until(lambda: h.hf.held >= 1)
    (other,) = await h.say(OTHER, "/help")  # not held up by chat A's look-up
    assert "/subscribe" in other["plain_text"] and h.hf.held >= 1
    assert REPO not in h.api.message(CHAT, answer["message_id"])["text"]
    h.hf.release()
    await edited(h, answer["message_id"], REPO)
    assert len(asked(h, pid)) == 2


async def test_the_line_and_the_abstracts_translation_both_reach_the_same_message(llm_harness):
    from bot.i18n import t

    h = llm_harness
    await h.start()
    for line in ("/start", "/lang zh", "/limit 2", "/time 23:00", "/subscribe hep-th"):
        await h.say(CHAT, line)
    await h.settled()
    await h.say(CHAT, "/digest", expect=None)
    pid = known_paper(h, 3)  # on the second page: its abstract is translated when expanded
    (answer,) = await h.say(CHAT, "/paper 3")
    assert t("zh", "paper.abstract_coming") in answer["plain_text"]
    translated = t("zh", "paper.translated_abstract")
    message = await edited(h, answer["message_id"], translated)
    await edited(h, answer["message_id"], REPO)
    assert "3 个模型" in h.api.message(CHAT, answer["message_id"])["text"]
    assert translated in h.api.message(CHAT, answer["message_id"])["text"]
    assert message["reply_markup"] == answer["reply_markup"] and len(asked(h, pid)) == 2
