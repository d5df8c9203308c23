"""A researcher's first days with the bot, step by step, against the real Application.

/start, /subscribe cs.AI "weather forecast", /lang zh, /time 08:30, /timezone Asia/Shanghai, the
scheduled digest, `3`, a reply `5` to the digest, /paper 2402.01295, /export, /pause, and a
restart that finds everything as it was. Each step is a test that replays the steps before it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.harness import Harness

CHAT = 4242
# The recorded cs.AI feed was announced on Wednesday 2025-08-20; the user starts that afternoon.
AFTERNOON = datetime(2025, 8, 20, 9, 0, tzinfo=UTC)
# 08:31 in Shanghai on Thursday 2025-08-21, the morning after the announcement.
MORNING = datetime(2025, 8, 21, 0, 31, tzinfo=UTC)
CS_AI = "atom-cs.AI-2025-08-20-TRUNCATED-AT-SOURCE.xml"
KEYWORDS = "rss2-quant-ph-2025-04-28.xml"  # the keyword scope, made small for speed
API_ANSWER = Path(__file__).parents[1] / "fixtures" / "constructed" / "api-id_list-2402.01295.xml"

STEPS = [
    "start",
    "subscribe",
    "lang",
    "time",
    "timezone",
    "digest",
    "three",
    "reply five",
    "paper id",
    "export",
    "pause",
    "restart",
]


async def journey(h: Harness, upto: str) -> dict:
    """Run the steps before `upto`; return what they produced, for the step under test."""
    seen: dict = {}
    for step in STEPS[: STEPS.index(upto)]:
        seen[step] = await STEP_ACTIONS[step](h, seen)
    return seen


async def say(h: Harness, text: str, expect: int | None = 1, **options) -> list[dict]:
    return await h.say(CHAT, text, expect=expect, language_code="en", **options)


async def scheduled_digest(h: Harness, seen: dict) -> list[dict]:
    before = len(h.api.messages_to(CHAT))
    h.clock.set(MORNING)
    await h.wait_until(lambda: _latest_done(h))
    return h.api.messages_to(CHAT)[before:]


def _latest_done(h: Harness) -> bool:
    digest = h.engine.store.latest_digest(CHAT)
    return digest is not None and digest.done


async def reply_five(h: Harness, seen: dict) -> list[dict]:
    first = seen["digest"][0]["message_id"]
    return await say(h, "5", expect=None, reply_to_message_id=first)


async def paper_by_id(h: Harness, seen: dict) -> list[dict]:
    h.feeds.api["2402.01295"] = (200, API_ANSWER.read_bytes())
    return await say(h, "/paper 2402.01295", expect=None)


async def restart(h: Harness, seen: dict) -> list[dict]:
    await h.restart()
    return []


STEP_ACTIONS = {
    "start": lambda h, seen: say(h, "/start"),
    "subscribe": lambda h, seen: say(h, '/subscribe cs.AI "weather forecast"'),
    "lang": lambda h, seen: say(h, "/lang zh"),
    "time": lambda h, seen: say(h, "/time 08:30"),
    "timezone": lambda h, seen: say(h, "/timezone Asia/Shanghai"),
    "digest": scheduled_digest,
    "three": lambda h, seen: say(h, "3", expect=None),
    "reply five": reply_five,
    "paper id": paper_by_id,
    "export": lambda h, seen: say(h, "/export"),
    "pause": lambda h, seen: say(h, "/pause"),
    "restart": restart,
}


@pytest.fixture
async def h(llm_harness: Harness):
    llm_harness.clock.set(AFTERNOON)
    llm_harness.feeds.serve_feed("cs.AI", CS_AI)
    llm_harness.feeds.serve_feed("quant-ph", KEYWORDS)
    llm_harness.feeds.default_feed = llm_harness.feeds.feeds["cs.AI"]  # e.g. cs.AI+quant-ph
    llm_harness.keyword_scope = ("quant-ph",)
    await llm_harness.start()
    yield llm_harness
    assert llm_harness.api.rejections == [], "Telegram would have refused a message"


async def test_start_greets_and_explains(h):
    (greeting,) = await say(h, "/start")
    assert "/subscribe" in greeting["plain_text"]


async def test_subscribe_to_a_category_and_a_phrase(h):
    await journey(h, "subscribe")
    (answer,) = await say(h, '/subscribe cs.AI "weather forecast"')
    assert "cs.AI" in answer["plain_text"] and "weather forecast" in answer["plain_text"]
    await h.settled()
    assert h.engine.store.get_chat(CHAT).topics == ("cs.AI", '"weather forecast"')
    assert h.engine.store.latest_day() == "2025-08-20"  # fetched at once, not at the next hour


async def test_lang_zh_answers_in_chinese(h):
    await journey(h, "lang")
    (answer,) = await say(h, "/lang zh")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in answer["plain_text"])
    assert h.engine.store.get_chat(CHAT).lang == "zh"


async def test_time_is_set(h):
    await journey(h, "time")
    (answer,) = await say(h, "/time 08:30")
    assert "08:30" in answer["plain_text"]


async def test_timezone_is_set(h):
    await journey(h, "timezone")
    (answer,) = await say(h, "/timezone Asia/Shanghai")
    assert "Asia/Shanghai" in answer["plain_text"]
    chat = h.engine.store.get_chat(CHAT)
    assert (chat.time, chat.timezone) == ("08:30", "Asia/Shanghai")


async def test_the_scheduled_digest_arrives_at_0830_shanghai_in_chinese(h):
    seen = await journey(h, "digest")
    assert h.api.messages_to(CHAT)[-1]["plain_text"] == seen["timezone"][0]["plain_text"]
    messages = await scheduled_digest(h, seen)
    first = messages[0]
    assert "2025-08-20" in first["plain_text"] and "cs.AI" in first["plain_text"]
    assert first["plain_text"].count("[") >= 2 and "[1]" in first["plain_text"]
    assert "中文翻译" in first["plain_text"]  # TL;DRs in the chat's language
    assert 'href="https://arxiv.org/abs/' in first["text"]
    buttons = [b["text"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert "1" in buttons
    digest = h.engine.store.latest_digest(CHAT)
    shown = sum(m["plain_text"].count("\n[") + m["plain_text"].startswith("[") for m in messages)
    assert len(digest.paper_ids) > 30 and shown <= 30  # first page only, "More" for the rest
    assert any(
        "More" in b["text"] or "更多" in b["text"]
        for m in messages
        for row in (m["reply_markup"] or {}).get("inline_keyboard", [])
        for b in row
    )
    count = len(h.api.messages_to(CHAT))
    await h.scheduler.deliver_due()  # the same slot, checked again, sends nothing twice
    assert len(h.api.messages_to(CHAT)) == count
    assert h.engine.store.latest_digest(CHAT).number == 1


async def test_sending_3_expands_paper_3_bilingually(h):
    seen = await journey(h, "three")
    digest = h.engine.store.latest_digest(CHAT)
    paper = h.engine.store.get_paper(digest.paper_ids[2])
    messages = await say(h, "3", expect=None)
    text = messages[0]["plain_text"]
    assert text.startswith("[3] ") and "中文翻译" in text.splitlines()[0]
    assert paper.title in text and f"https://arxiv.org/abs/{paper.id}" in text
    assert "<blockquote expandable>" in "".join(m["text"] for m in messages)
    everything = " ".join(" ".join(m["plain_text"] for m in messages).split())
    assert paper.abstract in everything  # whole, even when it takes several messages
    assert seen["digest"]


async def test_replying_5_to_the_digest_expands_its_paper_5(h):
    seen = await journey(h, "reply five")
    digest = h.engine.store.latest_digest(CHAT)
    paper = h.engine.store.get_paper(digest.paper_ids[4])
    messages = await reply_five(h, seen)
    assert messages[0]["plain_text"].startswith("[5] ") and paper.title in messages[0]["plain_text"]


async def test_paper_by_arxiv_id_is_looked_up_through_the_api(h):
    seen = await journey(h, "paper id")
    messages = await paper_by_id(h, seen)
    text = "".join(m["plain_text"] for m in messages)
    assert "ExtremeCast" in text and "https://arxiv.org/abs/2402.01295" in text
    assert "rss.arxiv.org" not in text
    assert h.feeds.requests[-1].path == "/api/query"


async def test_export_sends_the_digest_as_a_markdown_document(h):
    await journey(h, "export")
    (document,) = await say(h, "/export")
    assert document["kind"] == "document" and document["filename"].endswith(".md")
    body = document["content"].decode()
    digest = h.engine.store.latest_digest(CHAT)
    assert "# 摘要" in body and "# 详细" in body
    assert body.count("| [^") == len(digest.paper_ids)  # every page, all of it


async def test_pause_stops_the_daily_push(h):
    await journey(h, "pause")
    (answer,) = await say(h, "/pause")
    assert h.engine.store.get_chat(CHAT).paused
    assert answer["plain_text"]


async def test_after_a_restart_everything_is_as_it_was(h):
    seen = await journey(h, "restart")
    before = h.engine.store.get_chat(CHAT)
    digest = h.engine.store.latest_digest(CHAT)
    sent = len(h.api.messages_to(CHAT))
    await restart(h, seen)
    assert h.engine.store.get_chat(CHAT) == before
    (settings,) = await say(h, "/settings")
    for shown in ("cs.AI", "weather forecast", "08:30", "Asia/Shanghai"):
        assert shown in settings["plain_text"]
    h.clock.set(datetime(2025, 8, 22, 0, 31, tzinfo=UTC))
    await h.scheduler.deliver_due()
    assert len(h.api.messages_to(CHAT)) == sent + 1  # paused: nothing but the /settings answer
    three = await say(h, "3", expect=None)
    assert h.engine.store.get_paper(digest.paper_ids[2]).title in three[0]["plain_text"]
