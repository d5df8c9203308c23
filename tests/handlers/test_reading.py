"""Reading papers: /digest now, further pages, numbers and buttons, /paper by id, /export."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import ARXIV
from tests.harness import Harness

QUANT = ARXIV / "rss2-quant-ph-2025-04-28.xml"  # 40 new + 10 cross-lists (+ 31 replacements)
DAY = datetime(2025, 4, 28, 12, 0, tzinfo=UTC)
CHAT = 515


def buttons(message: dict) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {button["text"]: button.get("callback_data", "") for row in rows for button in row}


@pytest.fixture
async def h(harness: Harness) -> Harness:
    harness.feeds.default_feed = QUANT.read_bytes()
    harness.clock.set(DAY)
    await harness.start()
    await harness.say(CHAT, "/start")
    # due tonight: only /digest sends digests here, no scheduled delivery races it
    await harness.say(CHAT, "/time 23:00")
    await harness.say(CHAT, "/subscribe quant-ph")
    await harness.settled()
    return harness


async def digest(h: Harness) -> list[dict]:
    return await h.say(CHAT, "/digest", expect=None)


async def test_digest_sends_the_first_page_now_with_a_button_per_paper_and_more(h):
    messages = await digest(h)
    text = "\n".join(m["plain_text"] for m in messages)
    assert "2025-04-28" in messages[0]["plain_text"] and "50" in messages[0]["plain_text"]
    assert "[1] " in text and "[30] " in text and "[31] " not in text
    assert set(str(n) for n in range(1, 31)) <= set().union(*(buttons(m) for m in messages))
    assert any(label.startswith("More") for m in messages for label in buttons(m))


async def test_more_sends_the_next_page_with_numbering_running_on(h):
    messages = await digest(h)
    more = next(m for m in messages if any(b.startswith("More") for b in buttons(m)))
    data = next(v for k, v in buttons(more).items() if k.startswith("More"))
    page = await h.press(CHAT, more["message_id"], data, expect=None)
    text = "\n".join(m["plain_text"] for m in page)
    assert "[31] " in text and "[50] " in text and "[1] " not in text
    expanded = await h.press(CHAT, page[-1]["message_id"], buttons(page[-1])["50"], expect=None)
    assert expanded[0]["plain_text"].startswith("[50] ")


async def test_a_number_button_expands_that_paper(h):
    messages = await digest(h)
    digest_record = h.engine.store.latest_digest(CHAT)
    paper = h.engine.store.get_paper(digest_record.paper_ids[1])
    expanded = await h.press(
        CHAT, messages[0]["message_id"], buttons(messages[0])["2"], expect=None
    )
    assert expanded[0]["plain_text"].startswith(f"[2] {paper.title}")
    assert f"https://arxiv.org/abs/{paper.id}" in expanded[0]["plain_text"]


async def test_digest_with_nothing_new_says_so_and_offers_the_last_one_again(h):
    first = await digest(h)
    (answer,) = await h.say(CHAT, "/digest")
    assert "Nothing new" in answer["plain_text"] and "2025-04-28" in answer["plain_text"]
    ((label, data),) = buttons(answer).items()
    again = await h.press(CHAT, answer["message_id"], data, expect=len(first))
    assert [m["text"] for m in again] == [m["text"] for m in first]


async def test_a_number_outside_the_digest_says_what_is_valid(h):
    await digest(h)
    (answer,) = await h.say(CHAT, "/paper 99")
    assert "[99]" in answer["plain_text"] and "[1] to [50]" in answer["plain_text"]
    (answer,) = await h.say(CHAT, "0")
    assert "[1] to [50]" in answer["plain_text"]


async def test_paper_with_junk_explains_the_two_forms(h):
    (answer,) = await h.say(CHAT, "/paper abc")
    assert "/paper 3" in answer["plain_text"] and "2402.01295" in answer["plain_text"]


async def test_an_id_arxiv_does_not_know_is_said_plainly(h):
    (answer,) = await h.say(CHAT, "/paper 0000.0000")
    assert "no paper 0000.0000" in answer["plain_text"]


async def test_a_number_before_any_digest_points_to_digest(h):
    (answer,) = await h.say(CHAT, "3")
    assert "/digest" in answer["plain_text"]
    (answer,) = await h.say(CHAT, "/export")
    assert "/digest" in answer["plain_text"]


async def test_anyone_in_a_group_can_read_papers(h):
    group, admin, member = -100777, 1, 2
    h.api.set_admins(group, [admin])
    await h.say(group, "/subscribe quant-ph", user_id=admin)
    await h.settled()
    first = await h.say(group, "/digest", expect=None, user_id=member)
    assert "[1] " in first[0]["plain_text"]
    expanded = await h.say(group, "/paper 3", expect=None, user_id=member)
    assert expanded[0]["plain_text"].startswith("[3] ")
    (document,) = await h.say(group, "/export", user_id=member)
    assert document["kind"] == "document"


async def test_a_page_button_past_the_digest_says_it_expired_and_sends_nothing(h):
    messages = await digest(h)
    number = h.engine.store.latest_digest(CHAT).number
    answers = len(h.api.callback_answers)
    sent = await h.press(CHAT, messages[0]["message_id"], f"pg:{number}:99", expect=0)
    await h.wait_until(lambda: len(h.api.callback_answers) > answers)
    assert h.api.callback_answers[answers]["text"] == "This button has expired."
    assert sent == []


async def test_export_to_a_chat_that_blocked_the_bot_marks_it_inactive(h, caplog):
    await digest(h)
    h.api.block_chat(CHAT)
    await h.say(CHAT, "/export", expect=0)
    await h.idle()
    assert not h.engine.store.get_chat(CHAT).active
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_export_waits_out_telegrams_flood_control(h):
    await digest(h)
    h.api.fail_next("sendDocument", 429, retry_after=1)
    (document,) = await h.say(CHAT, "/export")
    assert document["kind"] == "document" and document["filename"].endswith(".md")
    assert document["plain_text"] == "50 papers, announced 2025-04-28"
