"""The flood limiter's window: no more than N held at once, replies let in before broadcasts."""

from __future__ import annotations

import asyncio

from bot.shell.ratelimit import SlidingWindow


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
