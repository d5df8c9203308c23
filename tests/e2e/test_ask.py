"""Issue 19: questions about a paper, answered from its full text (arXiv's HTML), through the real
Application, the loopback arXiv (feeds, API, /html/) and the loopback LLM."""

from __future__ import annotations

import asyncio

from bot.i18n import t
from tests.fakes.llm_server import paper_question
from tests.harness import Harness

CHAT, OTHER = 701, 702
# A sentence of §2 of 2501.11120v1 (tests/fixtures/arxiv-html), not in its abstract.
BODY = "In this section, we define our setup and evaluations formally."
ABSTRACT_ONLY = t("en", "ask.abstract_only")


async def reader(h: Harness, chat_id: int) -> None:
    """An English reader of hep-th with today's digest, due tonight (no scheduled delivery)."""
    await h.say(chat_id, "/start")
    await h.say(chat_id, "/time 23:00")
    await h.say(chat_id, "/subscribe hep-th")
    await h.settled()
    await h.say(chat_id, "/digest", expect=None)


def paper_of(h: Harness, chat_id: int, number: int):
    digest = h.engine.store.latest_digest(chat_id)
    return h.engine.store.get_paper(digest.paper_ids[number - 1])


def ask_requests(h: Harness) -> list[tuple[str, str]]:
    """(paper text, question) of every request that asked a question about a paper."""
    return [asked for body in h.llm.requests if (asked := paper_question(body)) is not None]


def buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button.get("callback_data", "") for row in rows for button in row]


async def test_an_answer_comes_from_the_body_and_cites_its_section(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    paper = paper_of(h, CHAT, 1)
    h.feeds.serve_paper_html(paper.id, "2501.11120v1.html")
    (answer,) = await h.say(CHAT, "/ask 1 How do they define the setup and evaluations formally?")
    (text, question) = ask_requests(h)[-1]
    assert BODY in text and BODY not in paper.abstract  # the full text, not the abstract
    assert "References" not in text and "Anthropic. 2024" not in text  # no bibliography
    assert question.startswith("How do they define")
    assert "📖 Sources: §2 Out-of-context reasoning" in answer["plain_text"]
    assert ABSTRACT_ONLY not in answer["plain_text"]
    (fetch,) = h.feeds.html_requests()  # fetched politely, once, naming the bot
    assert fetch.headers["user-agent"].startswith("arxiv-digest-bot/")
    assert h.engine.store.get_fulltext(paper.id).sections[2].label == "§2 Out-of-context reasoning"
    await h.say(CHAT, "/ask 1 What is in the conclusion?")
    assert len(h.feeds.html_requests()) == 1  # stored once per paper


async def test_a_paper_without_html_is_answered_from_its_abstract_and_says_so(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    paper = paper_of(h, CHAT, 2)  # the fake arXiv answers /html/<id> with arXiv's 404 page
    (answer,) = await h.say(CHAT, f"/ask {paper.id} What is this about?")
    (text, _) = ask_requests(h)[-1]
    assert paper.abstract[:80] in text
    assert ABSTRACT_ONLY in answer["plain_text"]
    assert h.feeds.html_requests()[0].status == 404
    assert h.engine.store.get_fulltext(paper.id).missing


async def test_a_reply_to_the_paper_asks_and_a_reply_to_the_answer_follows_up(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    paper = paper_of(h, CHAT, 1)
    h.feeds.serve_paper_html(paper.id, "2501.11120v1.html")
    (expanded,) = await h.say(CHAT, "/paper 1")
    assert f"q:n:{paper.id}" in buttons(expanded)  # the ready questions under the paper
    first = "What do they call behavioral self-awareness?"
    (answer,) = await h.say(CHAT, first, reply_to_message_id=expanded["message_id"])
    assert paper.title.split()[0] in answer["plain_text"]
    (follow,) = await h.say(
        CHAT, "And what about the conclusion?", reply_to_message_id=answer["message_id"]
    )
    (text, question) = ask_requests(h)[-1]
    body = h.llm.requests[-1]["messages"][-1]["content"]
    assert f"Earlier question: {first}" in body and question == "And what about the conclusion?"
    assert "And what about the conclusion?" in follow["plain_text"]


async def test_a_reply_to_a_message_that_is_no_paper_says_how_to_ask(llm_harness):
    h = llm_harness
    await h.start()
    (help_message,) = await h.say(CHAT, "/help")
    (answer,) = await h.say(CHAT, "what is this?", reply_to_message_id=help_message["message_id"])
    assert answer["plain_text"] == t("en", "ask.not_paper")
    assert ask_requests(h) == []


async def test_the_daily_quota_holds_and_says_when_it_resets(llm_harness):
    h = llm_harness
    h.more_config = "[ask]\ndaily_questions = 2\n"
    await h.start()
    await reader(h, CHAT)
    for question in ("What is new?", "What data?"):
        (answer,) = await h.say(CHAT, f"/ask 1 {question}")
        assert question in answer["plain_text"]
    (refused,) = await h.say(CHAT, "/ask 1 One more?")
    assert refused["plain_text"] == t("en", "ask.quota", limit=2, time="00:00", timezone="UTC")
    assert len(ask_requests(h)) == 2
    h.feeds.serve_api("2402.01295", "../constructed/api-id_list-2402.01295.xml")
    (other,) = await h.say(OTHER, "/ask 2402.01295 Another chat, its own quota?")
    assert "Another chat" in other["plain_text"]


async def test_a_chat_waiting_for_its_answer_holds_up_no_other_chat(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    h.llm.hold()
    before = len(h.api.messages_to(CHAT))
    h.api.push_message(CHAT, "/ask 1 What is new?")
    await h.wait_until(lambda: h.llm.held == 1)
    (other,) = await h.say(OTHER, "/help")  # answered while chat A's question waits
    (mine,) = await h.say(CHAT, "/help")  # and chat A's own next command too
    assert "/subscribe" in other["plain_text"] and "/subscribe" in mine["plain_text"]
    assert h.llm.held == 1
    h.llm.release()
    await h.api.wait_for_messages(CHAT, before + 2)
    assert "What is new?" in h.api.messages_to(CHAT)[-1]["plain_text"]


async def test_a_ready_question_asked_by_two_chats_makes_one_llm_call(llm_harness):
    h = llm_harness
    await h.start()
    await reader(h, CHAT)
    await reader(h, OTHER)
    paper = paper_of(h, CHAT, 1)
    assert paper_of(h, OTHER, 1).id == paper.id
    h.feeds.serve_paper_html(paper.id, "2501.11120v1.html")
    (mine,) = await h.say(CHAT, "/paper 1")
    (theirs,) = await h.say(OTHER, "/paper 1")
    h.llm.hold()
    first = asyncio.ensure_future(h.press(CHAT, mine["message_id"], f"q:e:{paper.id}"))
    await h.wait_until(lambda: h.llm.held == 1)
    second = asyncio.ensure_future(h.press(OTHER, theirs["message_id"], f"q:e:{paper.id}"))
    await asyncio.sleep(0.3)
    h.llm.release()
    ((a,), (b,)) = await asyncio.gather(first, second)
    assert len(ask_requests(h)) == 1
    question = t("en", "ask.ready_eval_question")
    assert question in a["plain_text"] and a["plain_text"] == b["plain_text"]
    assert h.engine.store.get_ready(paper.id, "en", "eval") is not None


async def test_a_chat_sets_its_own_daily_questions_within_the_operators(llm_harness):
    h = llm_harness
    h.more_config = "[ask]\ndaily_questions = 3\n"
    await h.start()
    await reader(h, CHAT)
    (shown,) = await h.say(CHAT, "/questions")
    assert shown["plain_text"].startswith("This chat may ask 3 questions a day")
    (over,) = await h.say(CHAT, "/questions 4")  # above the operator's 3
    assert over["plain_text"] == t("en", "settings.daily_questions_bad", value="4", max=3).replace(
        "<code>", ""
    ).replace("</code>", "")
    (done,) = await h.say(CHAT, "/questions １")  # fullwidth digits read as ASCII
    assert done["plain_text"] == "✅ This chat may now ask 1 questions a day about papers."
    (answer,) = await h.say(CHAT, "/ask 1 What is new?")
    assert "What is new?" in answer["plain_text"]
    (refused,) = await h.say(CHAT, "/ask 1 And the data?")
    assert refused["plain_text"] == t("en", "ask.quota", limit=1, time="00:00", timezone="UTC")
    assert len(ask_requests(h)) == 1
    (off,) = await h.say(CHAT, "/questions 0")
    assert "0 questions" in off["plain_text"]


async def test_in_a_group_only_admins_set_the_daily_questions(llm_harness):
    h = llm_harness
    group, admin, member = -100777, 91, 92
    h.api.set_admins(group, [admin])
    await h.start()
    (refused,) = await h.say(group, "/questions 1", user_id=member)
    assert refused["plain_text"] == t("en", "common.admins_only")
    assert (
        h.engine.store.get_chat(group) is None
        or h.engine.store.get_chat(group).daily_questions is None
    )
    (shown,) = await h.say(group, "/questions", user_id=member)  # members may still look
    assert "20 questions a day" in shown["plain_text"]
    (done,) = await h.say(group, "/questions 2", user_id=admin)
    assert (
        done["plain_text"].startswith("✅") and h.engine.store.get_chat(group).daily_questions == 2
    )


async def test_hostile_daily_questions_get_a_short_clear_answer_and_store_nothing(llm_harness):
    h = llm_harness
    await h.start()
    await h.say(CHAT, "/start")
    hostile = ["x" * 5000, "-1", "<b>1</b>", "\u202eخمسة", "1e3", "٣٣٣٣٣٣٣٣٣٣"]
    for argument in hostile:
        (answer,) = await h.say(CHAT, f"/questions {argument}")
        text = answer["plain_text"]
        assert text.endswith("For example: /questions 5.") and len(text) < 200, argument
    (binary,) = await h.say(CHAT, "/questions \x00\x01")  # control characters dropped: shown
    assert binary["plain_text"].startswith("This chat may ask 20 questions a day")
    assert h.engine.store.get_chat(CHAT).daily_questions is None
    (zero_width,) = await h.say(CHAT, "/questions \u200b2")  # invisible characters dropped
    assert zero_width["plain_text"].startswith("✅ This chat may now ask 2")
    assert h.engine.store.get_chat(CHAT).daily_questions == 2
    assert h.api.rejections == []
