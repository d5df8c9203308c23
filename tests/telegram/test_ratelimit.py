"""The flood limiter's window: no more than N held at once, replies let in before broadcasts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.telegram.ratelimit import FloodLimiter, SlidingWindow


async def test_a_full_window_lets_a_waiting_reply_in_before_earlier_broadcast_messages():
    window, order = SlidingWindow(2, period=0.05), []
    for _ in range(2):
        await window.acquire(urgent=False)

    async def send(name: str, urgent: bool) -> None:
        await window.acquire(urgent)
        order.append(name)

    bulk = [asyncio.create_task(send(f"bulk {n}", urgent=False)) for n in range(2)]
    await asyncio.sleep(0)
    reply = asyncio.create_task(send("reply", urgent=True))
    await asyncio.sleep(0.01)
    assert order == [], "nothing passes while two requests count in the window"
    window.release_later()  # the first one's window ends
    await reply
    assert order == ["reply"]
    window.release_later()
    await asyncio.wait_for(bulk[0], 1)
    assert order == ["reply", "bulk 0"]
    bulk[1].cancel()


async def test_a_request_cancelled_while_waiting_gives_up_no_slot():
    window = SlidingWindow(1, period=0.01)
    await window.acquire(urgent=True)
    waiting = asyncio.create_task(window.acquire(urgent=False))
    await asyncio.sleep(0)
    waiting.cancel()
    window.release_later()
    await asyncio.sleep(0.03)
    await asyncio.wait_for(window.acquire(urgent=False), 1)  # the slot came back
    assert not window.idle


async def test_two_replies_to_one_chat_go_at_once_and_a_fourth_waits_for_the_window():
    limiter = FloodLimiter(flood_limit=30, chat_interval=3600.0, chat_burst=3)
    sent: list[str] = []

    async def answer(text: str) -> dict:
        sent.append(text)
        return {"ok": True}

    async def send(text: str) -> object:
        return await limiter.process_request(
            answer, (text,), {}, "sendMessage", {"chat_id": 7}, None
        )

    await asyncio.wait_for(asyncio.gather(send("help"), send("list"), send("third")), 5)
    assert sent == ["help", "list", "third"], "a burst of three is sent without waiting"
    fourth = asyncio.create_task(send("fourth"))
    await asyncio.sleep(0.05)
    assert sent == ["help", "list", "third"], "a fourth waits for the window (an hour here)"
    fourth.cancel()
    other = await asyncio.wait_for(
        limiter.process_request(answer, ("other",), {}, "sendMessage", {"chat_id": 8}, None), 5
    )
    assert other == {"ok": True} and sent[-1] == "other", "another chat is not held up"


async def test_drafts_skip_the_chats_pace_and_a_429_on_one_is_not_retried():
    limiter = FloodLimiter(flood_limit=30, chat_interval=3600.0, chat_burst=1)
    sent: list[str] = []

    async def answer(text: str) -> bool:
        sent.append(text)
        return True

    async def refused(text: str) -> bool:
        raise RetryAfter(timedelta(seconds=5))

    def send(text: str, endpoint: str, call=answer):
        return limiter.process_request(call, (text,), {}, endpoint, {"chat_id": 7}, None)

    await asyncio.wait_for(send("answer", "sendMessage"), 5)  # the chat's pace: an hour now
    await asyncio.wait_for(send("draft 1", "sendMessageDraft"), 5)
    await asyncio.wait_for(send("draft 2", "sendMessageDraft"), 5)
    assert sent == ["answer", "draft 1", "draft 2"], "drafts do not wait for the chat's pace"
    with pytest.raises(RetryAfter):  # a refused draft is dropped, not retried
        await asyncio.wait_for(send("draft 3", "sendMessageDraft", refused), 5)
