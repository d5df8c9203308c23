"""Telegram's flood limits as a strict server counts them: sliding windows, replies first.

PTB's AIORateLimiter uses leaky buckets (aiolimiter): an idle bucket lets `max_rate` requests
through at once and then leaks at `max_rate` a period, so 30/s lets about 60 through in the
first second, and a strict server answers 429. It also halts every chat on any 429. Here:

- overall, no more than `flood_limit` messages in any one second: a request holds one of
  `flood_limit` slots from its start until one second after Telegram answered it, so every
  window of a second at the server sees at most `flood_limit` of them, whatever the latency;
- a private chat gets a burst of `chat_burst` messages, then one per `chat_interval` on
  average (a token bucket): two commands sent together get both replies at once; one message
  to a chat is in flight at a time and the bucket counts it from Telegram's answer, so the
  server, counting from when it accepted each, never sees more; a group keeps PTB's 20 a
  minute;
- a 429 pauses the chat it came from for `retry_after`, not the whole bot;
- drafts (`sendMessageDraft`, an answer shown as it is written) hold a slot of the overall
  window but not the chat's pace: Telegram documents no limit of their own, the bot sends at
  most one a second to a chat anyway, and the answer's message must not wait a second behind
  the last draft; a draft refused with a 429 is dropped, not retried (the next one, or the
  message, replaces it);
- replies to users take a free slot before broadcast messages (sent in the bulk lane,
  `bulk_sends()`: bot/lanes.py), and broadcast messages start evenly spread, one every
  1/`flood_limit` of a second: a window filled in one burst would free its slots in one burst
  a second later, and a reply arriving in between would wait for it (up to a second); spread
  out, a slot frees every 1/`flood_limit` of a second and a reply waits at most that.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot import lanes

log = logging.getLogger(__name__)

GROUP_PER_MINUTE = 20
MAX_IDLE_WINDOWS = 1024
CATCH_UP = 2  # broadcast turns a late loop may take at once
DRAFT = "sendMessageDraft"  # counted overall, not in a chat's pace, never retried


@contextlib.contextmanager
def bulk_sends() -> Iterator[None]:
    """Mark the messages sent in this block (and tasks it starts) as broadcast: replies go first.
    The block's store and CPU work runs in the bulk lane's threads (bot/lanes.py)."""
    with lanes.bulk():
        yield


class SlidingWindow:
    """At most `limit` requests in any `period` seconds, each counted until `period` after it
    ended; waiting urgent requests are let in before bulk ones."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._held = 0
        self._waiting: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())

    @property
    def idle(self) -> bool:
        return self._held == 0 and not any(self._waiting)

    async def acquire(self, urgent: bool) -> None:
        if self._held < self.limit and not any(self._waiting):
            self._held += 1
            return
        ticket = asyncio.get_running_loop().create_future()
        queue = self._waiting[0 if urgent else 1]
        queue.append(ticket)
        try:
            await ticket
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():  # given a slot, gone before using it
                self._free()
            else:
                queue.remove(ticket)
            raise

    def release_later(self) -> None:
        """Free the slot one `period` from now: the request counts for a whole window."""
        asyncio.get_running_loop().call_later(self.period, self._free)

    def _free(self) -> None:
        self._held -= 1
        for queue in self._waiting:
            while queue and self._held < self.limit:
                ticket = queue.popleft()
                if not ticket.done():
                    self._held += 1
                    ticket.set_result(None)


class ChatPace:
    """One private chat's pace: a burst of `burst` messages, then one per `interval` on
    average (GCRA: a message may start once `due - (burst - 1) * interval` has passed, and
    its answer moves `due` one interval on). One message in flight at a time, replies first."""

    def __init__(self, burst: int, interval: float) -> None:
        self.burst = burst
        self.interval = interval
        self.due = -math.inf  # the bucket's theoretical arrival time (loop clock)
        self._turn = SlidingWindow(1, 0.0)

    @property
    def idle(self) -> bool:
        return self._turn.idle and self.due <= asyncio.get_running_loop().time()

    async def acquire(self, urgent: bool) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._turn.acquire(urgent)
            wait = self.due - (self.burst - 1) * self.interval - loop.time()
            if wait <= 0:
                return
            self._turn.release_later()  # others (a reply) may find the bucket earlier
            await asyncio.sleep(wait)

    def answered(self) -> None:
        """The message's answer came (or it failed): it counts from now on."""
        now = asyncio.get_running_loop().time()
        self.due = max(self.due, now) + self.interval
        self._turn.release_later()


class FloodLimiter(BaseRateLimiter[int]):
    """PTB rate limiter: sliding windows overall and per private chat (a short burst allowed);
    429s paused per chat."""

    def __init__(
        self,
        flood_limit: int = 30,
        chat_interval: float = 1.0,
        max_retries: int = 5,
        chat_burst: int = 1,
    ) -> None:
        self._overall = SlidingWindow(flood_limit, 1.0)
        self._bulk_spacing = 1.0 / flood_limit
        self._next_bulk = -math.inf  # loop time at which the next broadcast message may start
        self._chat_interval = chat_interval
        self._chat_burst = max(1, chat_burst)
        self._max_retries = max_retries
        self._chats: dict[str, ChatPace] = {}
        self._groups: dict[str, AsyncLimiter] = {}
        self._paused_until: dict[str, float] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Send within the limits; after a 429, wait as told (this chat only) and try again."""
        chat_id = data.get("chat_id")
        if chat_id is None:  # getUpdates, getMe, answerCallbackQuery...: no flood limit
            return await callback(*args, **kwargs)
        chat, retries = str(chat_id), rate_limit_args or self._max_retries
        if endpoint == DRAFT:
            await self._wait_pause(chat)
            await self._overall.acquire(not lanes.is_bulk())
            try:
                return await callback(*args, **kwargs)
            finally:
                self._overall.release_later()
        for attempt in itertools.count():
            await self._wait_pause(chat)
            try:
                return await self._send(chat, callback, args, kwargs)
            except RetryAfter as error:
                if attempt >= retries:
                    raise
                wait = error._retry_after.total_seconds() + 0.1  # noqa: SLF001 (PTB's own use)
                log.info("429 for chat %s on %s: waiting %.1f s", chat, endpoint, wait)
                self._paused_until[chat] = time.monotonic() + wait
        raise RuntimeError("itertools.count() ended")

    async def _wait_pause(self, chat: str) -> None:
        until = self._paused_until.get(chat)
        if until is not None:
            await asyncio.sleep(max(0.0, until - time.monotonic()))
            self._paused_until.pop(chat, None)

    async def _send(
        self, chat: str, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any, kwargs: Any
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        urgent = not lanes.is_bulk()
        async with self._chat_limit(chat, urgent):
            if not urgent:
                await self._bulk_turn()
            await self._overall.acquire(urgent)
            try:
                answer: bool | dict[str, Any] | list[dict[str, Any]] = await callback(
                    *args, **kwargs
                )
                return answer
            finally:
                self._overall.release_later()

    async def _bulk_turn(self) -> None:
        """Wait for this broadcast message's turn: one every 1/flood_limit of a second."""
        now = asyncio.get_running_loop().time()
        # A loop that woke late makes up for it with a couple of turns at once, not fewer turns.
        turn = max(now - CATCH_UP * self._bulk_spacing, self._next_bulk)
        self._next_bulk = turn + self._bulk_spacing
        if turn > now:
            await asyncio.sleep(turn - now)

    @contextlib.asynccontextmanager
    async def _chat_limit(self, chat: str, urgent: bool) -> Any:
        if chat.startswith(("-", "@")):  # a group or channel: PTB's 20 a minute
            group = self._group_limiter(chat)
            async with group:
                yield
            return
        if self._chat_interval <= 0:
            yield
            return
        pace = self._chat_pace(chat)
        await pace.acquire(urgent)
        try:
            yield
        finally:
            pace.answered()

    def _group_limiter(self, chat: str) -> AsyncLimiter:
        if len(self._groups) > MAX_IDLE_WINDOWS:  # forget the groups whose minute is over
            self._groups = {k: g for k, g in self._groups.items() if not g.has_capacity(g.max_rate)}
        group = self._groups.get(chat)
        if group is None:
            group = self._groups[chat] = AsyncLimiter(GROUP_PER_MINUTE, 60)
        return group

    def _chat_pace(self, chat: str) -> ChatPace:
        if len(self._chats) > MAX_IDLE_WINDOWS:
            self._chats = {key: pace for key, pace in self._chats.items() if not pace.idle}
        pace = self._chats.get(chat)
        if pace is None:
            pace = self._chats[chat] = ChatPace(self._chat_burst, self._chat_interval)
        return pace
