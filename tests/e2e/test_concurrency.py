"""No chat waits for another: a slow LLM or a flood costs only its own chat; one chat stays in order.

Isolation is shown by the order of events (what arrived while what was still pending), never
by timings.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import bot.telegram.deliver
from bot import lanes
from bot.models import Chat
from bot.store import Store
from tests.harness import FEED_DAY, Harness

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


async def test_a_subscriber_is_answered_while_128_deliveries_hold_the_worker_threads(
    harness: Harness, monkeypatch
) -> None:
    h = harness
    reader = 4242  # a chat with topics and settings of its own, not due this morning
    with Store(h.data_dir) as store:
        for chat_id in range(1, 129):
            store.put_chat(Chat(chat_id, topics=("hep-th",), time="08:30",
                                last_slot=FEED_DAY.isoformat()))  # fmt: skip
        store.put_chat(Chat(reader, topics=("cs.AI", "hep-th"), time="23:00", lang="de",
                            last_slot=FEED_DAY.isoformat()))  # fmt: skip
    release, held = threading.Event(), []
    render = bot.telegram.deliver.render_page

    def stuck_render(*args, **kwargs):  # a delivery's CPU work, held until the test lets go
        held.append(threading.current_thread().name)
        release.wait(30)
        return render(*args, **kwargs)

    monkeypatch.setattr(bot.telegram.deliver, "render_page", stuck_render)
    await h.start()
    try:
        h.clock.set(datetime(2024, 11, 29, 8, 31, tzinfo=UTC))  # 128 digests fall due
        await h.wait_until(lambda: len(held) >= lanes.THREADS[lanes.BULK])
        [listed] = await h.say(reader, "/list")
        [helped] = await h.say(reader, "/help")
        assert "hep-th" in listed["plain_text"] and "/subscribe" in helped["plain_text"]
        assert not any(h.api.messages_to(chat) for chat in range(1, 129)), "no digest went yet"
        assert not release.is_set() and all(name.startswith("bulk") for name in held)
    finally:
        release.set()
    await h.api.wait_for(lambda: any(h.api.messages_to(c) for c in range(1, 129)), timeout=60)


async def test_two_commands_sent_together_get_both_replies_without_waiting_out_the_pace(
    harness: Harness, monkeypatch
) -> None:
    from tests import harness as harness_module

    # Telegram's pace of one message a second per chat, stretched to a minute: a bot that
    # waited it out between the two replies would not answer the second within the test.
    paced = harness_module.TEST_CONFIG.replace("chat_interval = 0.0", "chat_interval = 60.0")
    monkeypatch.setattr(harness_module, "TEST_CONFIG", paced)
    h = harness
    h.api.chat_flood_interval, h.api.chat_burst = 60.0, 3  # a strict server allows a burst of 3
    await h.start()
    await h.say(A, "/subscribe cs.AI")
    await h.settled()
    before = len(h.api.messages_to(A))
    h.api.push_message(A, "/help")
    h.api.push_message(A, "/list")
    helped, listed = (await h.api.wait_for_messages(A, before + 2, timeout=20))[before:]
    assert "/subscribe" in helped["plain_text"] and "cs.AI" in listed["plain_text"]
    assert h.api.flood_429s == 0
