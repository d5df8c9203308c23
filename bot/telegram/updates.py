"""Updates from different chats run side by side; one chat's updates run one after another.

PTB's `BaseUpdateProcessor.process_update` holds its semaphore for the whole of
`do_process_update`, waiting included. If an update waited for its chat's turn inside that
semaphore, a chat sending 200 commands would fill every slot and stop the others. So PTB's
semaphore here only counts the updates accepted and not finished (`current_concurrent_updates`,
what tests read to know the bot is idle), with a generous bound; the updates actually running
are bounded by a second semaphore, taken only once it is the update's turn in its chat.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

ACCEPTED_PER_RUNNING = 64  # updates waiting their chat's turn, per update running


def chat_key(update: object) -> int | None:
    """The chat whose order an update keeps; None for updates of no chat (run at once)."""
    if isinstance(update, Update) and update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """At most `max_running` updates run at once, one per chat at a time, in arrival order."""

    def __init__(self, max_running: int) -> None:
        super().__init__(max_running * ACCEPTED_PER_RUNNING)
        self.max_running = max_running
        self._running: asyncio.Semaphore | None = None
        # the last update accepted for each chat: the next one of that chat starts after it
        self._last_of_chat: dict[int, asyncio.Future[None]] = {}

    async def initialize(self) -> None:
        """Make the running bound on the loop that will use it."""
        self._running = asyncio.Semaphore(self.max_running)
        self._last_of_chat.clear()

    async def shutdown(self) -> None:
        """Nothing to free: PTB waits for the updates under way before it shuts down."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's previous update to finish, then run within the running bound."""
        assert self._running is not None, "PTB initializes the processor before any update"
        key = chat_key(update)
        previous = self._last_of_chat.get(key) if key is not None else None
        finished = asyncio.get_running_loop().create_future()
        if key is not None:
            self._last_of_chat[key] = finished  # taken before any await: arrival order kept
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._running:
                await coroutine
        except asyncio.CancelledError:
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled before its turn: never to run
            raise
        finally:
            finished.set_result(None)
            if key is not None and self._last_of_chat.get(key) is finished:
                del self._last_of_chat[key]
