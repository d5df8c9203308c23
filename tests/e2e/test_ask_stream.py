"""Issue 19, item 2: answers that appear as they are written. A private chat sees drafts
(sendMessageDraft) then the message; a group "typing…" then one message; a long answer comes
in parts split at a paragraph; a stream cut mid-way says so and gives the question back."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest

from bot.i18n import t
from tests.e2e.test_ask import ask_requests, paper_of, reader
from tests.harness import Harness

CHAT, OTHER, GROUP, MEMBER = 711, 712, -100779, 7001
PAPER = "2402.01295"


async def test_a_private_chat_sees_drafts_grow_then_the_message(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    paper = paper_of(h, CHAT, 1)
    h.feeds.serve_paper_html(paper.id, "2501.11120v1.html")
    h.llm.stream_delay = 0.06  # about 16 words a second: the answer takes 2 to 3 seconds
    (answer,) = await h.say(CHAT, "/ask 1 How do they define the setup and evaluations formally?")
    drafts = h.api.drafts_to(CHAT)
    assert len(drafts) >= 2, "at least two drafts, about a second apart"
    texts = [d["plain_text"] for d in drafts]
    assert all(len(a) < len(b) for a, b in zip(texts, texts[1:], strict=False)), "growing"
    assert all("SECTIONS" not in text and "📖" not in text for text in texts)
    assert texts[-1].split("\n\n", 1)[1] in answer["plain_text"]  # the draft's words, kept
    assert "📖 Sources: §2 Out-of-context reasoning" in answer["plain_text"]
    assert len({d["draft_id"] for d in drafts}) == 1 and drafts[0]["draft_id"] != 0
    assert drafts[-1]["at"] <= h.api.send_times[-1][0], "no draft after the message"
    body = h.llm.requests[-1]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert "response_format" not in body


async def test_a_group_sees_typing_then_one_message_and_no_draft(llm_harness):
    h = llm_harness
    await h.start()
    h.feeds.serve_api(PAPER, "../constructed/api-id_list-2402.01295.xml")
    h.llm.stream_delay = 0.02
    (answer,) = await h.say(GROUP, f"/ask {PAPER} What is this about?", user_id=MEMBER)
    assert answer["plain_text"].startswith("📄 ")
    assert (GROUP, "typing") in h.api.chat_actions
    assert h.api.drafts_to(GROUP) == [] and not h.api.calls("sendMessageDraft")
    assert not h.api.rejections


async def test_a_draft_to_a_group_is_refused_as_telegram_does(llm_harness):
    h = llm_harness
    await h.start()
    h.api.push_message(GROUP, "/help", user_id=MEMBER)
    await h.api.wait_for_messages(GROUP, 1)
    bot = h.app.bot
    with pytest.raises(BadRequest, match="private chats"):
        await bot.send_message_draft(GROUP, 5, "half an answer")
    with pytest.raises(BadRequest):  # its HTML is checked like a message's
        await bot.send_message_draft(CHAT, 5, "<b>unclosed")
    with pytest.raises(BadRequest, match="non-zero"):
        await bot.send_message_draft(CHAT, 0, "half an answer")
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message_draft(CHAT, 5, "x" * 4097)
    assert await bot.send_message_draft(CHAT, 5, "<b>half</b> an answer")
    assert h.api.drafts_to(CHAT)[-1]["plain_text"] == "half an answer"


async def test_a_long_answer_is_split_at_a_paragraph(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    first = "First paragraph. " + "word " * 600 + "END-ONE."
    second = "Second paragraph. " + "more " * 600 + "END-TWO."
    h.llm.question_text = f"{first}\n\n{second}\nSECTIONS: §1"
    h.llm.stream_delay = 0.0005
    one, two = await h.say(CHAT, "/ask 1 Tell me everything?", expect=2)
    assert one["plain_text"].rstrip().endswith("END-ONE.")
    assert two["plain_text"].startswith("Second paragraph.")
    assert two["plain_text"].rstrip().endswith("END-TWO.")
    assert all(len(m["plain_text"]) <= 4096 for m in (one, two))
    assert all(len(d["plain_text"]) <= 4096 for d in h.api.drafts_to(CHAT))


async def test_a_stream_cut_mid_way_says_so_and_gives_the_question_back(llm_harness):
    h = llm_harness
    h.more_config = "[ask]\ndaily_questions = 1\n"
    await h.start()
    await reader(h, CHAT)
    h.llm.cut_questions = 4
    h.llm.stream_delay = 0.01
    (failed,) = await h.say(CHAT, "/ask 1 What is new?")
    assert failed["plain_text"] == t("en", "ask.stopped")
    h.llm.cut_questions = None
    (answer,) = await h.say(CHAT, "/ask 1 What is new?")  # the quota of 1 is still there
    assert "What is new?" in answer["plain_text"]
    assert len(ask_requests(h)) == 2


async def test_another_chat_is_answered_while_a_stream_is_written(llm_harness: Harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    h.llm.stream_delay = 0.1  # about ten words a second: several seconds of answer
    before = len(h.api.messages_to(CHAT))
    h.api.push_message(CHAT, "/ask 1 What is new?")
    await h.wait_until(lambda: bool(h.api.drafts_to(CHAT)))
    (other,) = await h.say(OTHER, "/help")
    assert "/subscribe" in other["plain_text"]
    assert len(h.api.messages_to(CHAT)) == before, "chat A's answer is still being written"
    await h.api.wait_for_messages(CHAT, before + 1)
    assert "What is new?" in h.api.messages_to(CHAT)[-1]["plain_text"]
