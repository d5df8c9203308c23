"""No chat waits for another: a slow LLM or a flood costs only its own chat; one chat stays in order.

Isolation is shown by the order of events (what arrived while what was still pending), never
by timings.
"""

from __future__ import annotations

import re

from tests.harness import Harness

A, B = 1, 2
GROUP, ADMIN = -1001234567, 42


def position(h: Harness, message: dict) -> int:
    """Where a sent message stands among everything the bot sent."""
    keys = [(m["chat_id"], m["message_id"]) for m in h.api.sent]
    return keys.index((message["chat_id"], message["message_id"]))


async def test_another_chat_is_answered_while_a_digest_waits_on_a_hanging_llm(llm_harness):
    h = llm_harness
    await h.start()
    await h.say(A, "/start")
    await h.say(A, "/subscribe hep-th")
    await h.settled()
    await h.say(A, "/lang de")  # German summaries are made when first asked for, by the LLM
    sent_to_a = len(h.api.messages_to(A))
    h.llm.hold()
    h.api.push_message(A, "/digest")
    await h.wait_until(lambda: h.llm.held > 0)

    help_reply = (await h.say(B, "/help"))[0]
    list_reply = (await h.say(B, "/list"))[0]

    assert h.llm.held > 0, "A's LLM call was still pending when B was answered"
    assert len(h.api.messages_to(A)) == sent_to_a, "A's digest had not come yet"
    h.llm.release()
    digest = (await h.api.wait_for_messages(A, sent_to_a + 1))[sent_to_a]
    assert "[1]" in digest["plain_text"]
    assert position(h, help_reply) < position(h, list_reply) < position(h, digest)


async def test_a_chat_sending_200_commands_delays_nobody_and_gets_its_replies_in_order(harness):
    h = harness
    await h.start()
    await h.say(A, "/start")
    limits = [i % 50 + 1 for i in range(200)]
    for limit in limits:
        h.api.push_message(A, f"/limit {limit}")

    await h.say(B, "/help")  # sent after A's 200 commands

    assert len(h.api.messages_to(A)) - 1 < 200, "B was answered before A's 200th reply"
    replies = (await h.api.wait_for_messages(A, 1 + 200, timeout=120))[1:]
    said = [int(re.search(r"at most (\d+) entries", m["plain_text"]).group(1)) for m in replies]
    assert said == limits


async def test_one_chats_commands_run_in_the_order_sent(harness):
    h = harness
    h.api.set_admins(GROUP, [ADMIN])
    await h.start()
    await h.say(GROUP, "/start", user_id=ADMIN, chat_type="supergroup")
    before = len(h.api.messages_to(GROUP))
    # /lang in a group first asks Telegram whether the sender is an admin: it waits on the
    # network before it changes anything, so a /settings run beside it would show the old one.
    for text in ("/lang zh", "/settings", "/lang en", "/settings"):
        h.api.push_message(GROUP, text, user_id=ADMIN, chat_type="supergroup")
    replies = (await h.api.wait_for_messages(GROUP, before + 4))[before:]

    lang_zh, settings_zh, lang_en, settings_en = (m["plain_text"] for m in replies)
    assert "语言" in lang_zh and "语言：" in settings_zh
    assert "Language" in lang_en and "Language:" in settings_en and "语言" not in settings_en
