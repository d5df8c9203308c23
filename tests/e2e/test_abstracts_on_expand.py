"""Half the LLM bill (llm.abstracts = "first_page", the default): title and TL;DR for every paper
up front, the whole abstract only for papers on some chat's first page; the others are translated
when a reader first expands them, without making the reader wait."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from bot.i18n import t
from tests.fakes.llm_server import asked_keys
from tests.harness import Harness

CHAT, OTHER = 601, 602
LIMIT = 5  # a first page of 5: paper [6] is on the second
COMING = t("zh", "paper.abstract_coming")
TRANSLATED = t("zh", "paper.translated_abstract")
ORIGINAL = t("zh", "paper.original_abstract")


def abstract_requests(h: Harness) -> list[dict]:
    """The requests that asked for an abstract alone (a paper expanded after a brief summary)."""
    return [body for body in h.llm.requests if asked_keys(body) == ("abstract",)]


async def reader(h: Harness, chat_id: int) -> None:
    """A Chinese reader of hep-th with a first page of 5, due tonight (no scheduled delivery)."""
    await h.say(chat_id, "/start")
    await h.say(chat_id, "/lang zh")
    await h.say(chat_id, f"/limit {LIMIT}")
    await h.say(chat_id, "/time 23:00")
    await h.say(chat_id, "/subscribe hep-th")
    await h.settled()
    await h.say(chat_id, "/digest", expect=None)


def paper_of(h: Harness, chat_id: int, number: int):
    digest = h.engine.store.latest_digest(chat_id)
    return h.engine.store.get_paper(digest.paper_ids[number - 1])


def buttons(message: dict) -> list[list[str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [[button.get("callback_data", "") for button in row] for row in rows]


async def edited(h: Harness, chat_id: int, message_id: int, text: str) -> dict:
    """The message once an edit made it show `text`."""
    await h.wait_until(lambda: text in h.api.message(chat_id, message_id)["text"])
    return h.api.message(chat_id, message_id)


async def test_the_fetch_makes_whole_abstracts_for_the_first_page_only(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    digest = h.engine.store.latest_digest(CHAT)
    assert len(digest.paper_ids) > LIMIT
    summaries = [
        h.engine.store.get_summary(h.engine.store.get_paper(i).key, "zh") for i in digest.paper_ids
    ]
    assert all(s.source == "llm" for s in summaries)
    assert [s.needs_abstract for s in summaries[:LIMIT]] == [False] * LIMIT
    assert all(s.needs_abstract and s.abstract == "" for s in summaries[LIMIT:])
    whole = [b for b in h.llm.requests if asked_keys(b) == ("title", "tldr", "abstract")]
    brief = [b for b in h.llm.requests if asked_keys(b) == ("title", "tldr")]
    assert (len(whole), len(brief)) == (LIMIT, len(digest.paper_ids) - LIMIT)


async def test_a_paper_on_the_first_page_expands_bilingual_with_no_further_call(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    calls = len(h.llm.requests)
    paper = paper_of(h, CHAT, 2)
    (answer,) = await h.say(CHAT, "/paper 2")
    text = answer["plain_text"]
    assert TRANSLATED in text and ORIGINAL in text and COMING not in text
    assert paper.abstract.split()[0] in text
    assert len(h.llm.requests) == calls


async def test_a_paper_further_down_answers_at_once_then_the_same_message_turns_bilingual(
    llm_harness,
):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    paper = paper_of(h, CHAT, LIMIT + 1)
    h.llm.hold()
    (answer,) = await h.say(CHAT, f"/paper {LIMIT + 1}")
    # answered with the original abstract and one line saying the translation is coming ...
    assert COMING in answer["plain_text"] and ORIGINAL in answer["plain_text"]
    assert TRANSLATED not in answer["plain_text"]
    assert paper.abstract.split()[0] in answer["plain_text"]
    # ... while the LLM is still asked for it
    await h.wait_until(lambda: h.llm.held == 1)
    assert len(abstract_requests(h)) == 1
    assert COMING in h.api.message(CHAT, answer["message_id"])["text"]
    h.llm.release()
    message = await edited(h, CHAT, answer["message_id"], TRANSLATED)
    assert COMING not in message["text"] and ORIGINAL in message["text"]
    assert buttons(message) == buttons(answer)  # the ⭐ 👍 👎 row kept
    # stored for every chat: expanding it again costs nothing
    (again,) = await h.say(CHAT, f"/paper {LIMIT + 1}")
    assert TRANSLATED in again["plain_text"] and len(abstract_requests(h)) == 1


async def test_another_chat_is_answered_while_a_translation_is_pending(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    h.llm.hold()
    (answer,) = await h.say(CHAT, f"/paper {LIMIT + 2}")
    await h.wait_until(lambda: h.llm.held == 1)
    (other,) = await h.say(OTHER, "/help")  # not held up by chat A's LLM call
    assert "/subscribe" in other["plain_text"] and h.llm.held == 1
    h.llm.release()
    await edited(h, CHAT, answer["message_id"], TRANSLATED)


async def test_two_chats_expanding_one_paper_at_once_cause_one_call(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    await reader(h, OTHER)
    paper = paper_of(h, CHAT, LIMIT + 1)
    number = h.engine.store.latest_digest(OTHER).paper_ids.index(paper.id) + 1
    assert number > LIMIT  # on neither chat's first page
    h.llm.hold()
    h.api.push_message(CHAT, f"/paper {LIMIT + 1}")
    h.api.push_message(OTHER, f"/paper {number}")
    await h.api.wait_for(lambda: all(COMING in m["plain_text"] for m in last_two(h)))
    first, second = last_two(h)
    await h.wait_until(lambda: h.llm.held == 1)
    h.llm.release()
    await edited(h, CHAT, first["message_id"], TRANSLATED)
    await edited(h, OTHER, second["message_id"], TRANSLATED)
    assert len(abstract_requests(h)) == 1


def last_two(h: Harness) -> list[dict]:
    return [(h.api.messages_to(c) or [{"plain_text": ""}])[-1] for c in (CHAT, OTHER)]


async def test_a_failing_llm_leaves_the_original_with_one_line_saying_so(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    h.llm.script(("status", 500))
    (answer,) = await h.say(CHAT, f"/paper {LIMIT + 1}")
    failed = t("zh", "paper.abstract_failed")
    message = await edited(h, CHAT, answer["message_id"], failed)
    assert COMING not in message["text"] and TRANSLATED not in message["text"]
    assert ORIGINAL in message["text"] and buttons(message) == buttons(answer)


async def test_export_holds_every_abstract_translated(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    digest = h.engine.store.latest_digest(CHAT)
    (document,) = await h.say(CHAT, "/export")
    text = document["content"].decode("utf-8")
    for paper_id in digest.paper_ids:
        summary = h.engine.store.get_summary(h.engine.store.get_paper(paper_id).key, "zh")
        assert not summary.needs_abstract
        assert summary.abstract.split()[0] in text
    assert "\n" not in document["plain_text"]  # no line about untranslated abstracts
    # translated once: a second export asks nothing
    calls = len(h.llm.requests)
    await h.say(CHAT, "/export")
    assert len(h.llm.requests) == calls


@pytest.fixture
def budget_of(monkeypatch: pytest.MonkeyPatch):
    def set_budget(calls: int) -> None:
        from tests import harness as harness_module

        config = harness_module.TEST_CONFIG + f"daily_budget = {calls}\n"
        monkeypatch.setattr(harness_module, "TEST_CONFIG", config)

    return set_budget


async def test_after_the_budget_the_original_shows_with_a_line_saying_tomorrow(
    llm_harness, budget_of
):
    h = llm_harness
    budget_of(1000)
    await h.start()
    await reader(h, CHAT)
    today = datetime.fromtimestamp(time.time(), tz=UTC).date().isoformat()  # the budget's day
    h.engine.store.bump_many({f"llm_calls:{today}": 1000})  # today's budget spent meanwhile
    await h.restart()
    calls = len(h.llm.requests)
    (answer,) = await h.say(CHAT, f"/paper {LIMIT + 1}")
    assert t("zh", "paper.abstract_tomorrow") in answer["plain_text"]
    assert COMING not in answer["plain_text"] and ORIGINAL in answer["plain_text"]
    await asyncio.sleep(0.3)  # nothing edits it, nothing is asked
    assert h.api.message(CHAT, answer["message_id"])["text"] == answer["plain_text"]
    assert len(h.llm.requests) == calls
    (document,) = await h.say(CHAT, "/export")
    assert "\n" in document["plain_text"]  # the caption names the untranslated ones
    assert f"[{LIMIT + 1}]" in document["plain_text"]


@pytest.mark.parametrize(("mode", "whole_first_page"), [("all", True), ("on_expand", False)])
async def test_the_other_modes_make_every_abstract_or_none_up_front(
    llm_harness, mode, whole_first_page
):
    h = llm_harness
    h.env["LLM_ABSTRACTS"] = mode
    await h.start()
    await reader(h, CHAT)
    digest = h.engine.store.latest_digest(CHAT)
    kinds = {asked_keys(body) for body in h.llm.requests if "Title: " in str(body)}
    whole = ("title", "tldr", "abstract")
    assert kinds == ({whole} if whole_first_page else {("title", "tldr")})
    (answer,) = await h.say(CHAT, "/paper 1")
    assert (COMING not in answer["plain_text"]) == whole_first_page
    if not whole_first_page:  # on_expand: even the first paper is translated when expanded
        await edited(h, CHAT, answer["message_id"], TRANSLATED)
    assert len(digest.paper_ids) > LIMIT


def test_an_unknown_mode_is_one_line_naming_the_choices(tmp_path):
    from bot.config import load_settings
    from bot.errors import ConfigError

    config = tmp_path / "c.toml"
    config.write_text('[llm]\nabstracts = "some"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(config, environ={"TELEGRAM_BOT_TOKEN": "1:x"})
    assert str(error.value) == (
        'config: llm.abstracts must be one of "all", "first_page", "on_expand", not \'some\''
    )
