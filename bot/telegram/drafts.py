"""What a chat sees while an answer is written: drafts in a private chat, "typing…" elsewhere.

`sendMessageDraft` (Bot API 9.3; python-telegram-bot 22.7+) shows a private chat a message
being written; a draft lasts about 30 seconds and the final `sendMessage` is still required.
Groups, channels and forum topics have no drafts: they see the typing action, repeated while
the answer is written, then the message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError

log = logging.getLogger(__name__)

DRAFT_INTERVAL = 1.0  # seconds between two drafts to a chat, at least
TYPING_INTERVAL = 4.5  # the typing action lasts 5 seconds: sent again after this


class LiveText:
    """Shows an answer as it grows: `update(text)` on every piece (cheap, never waits), at most
    one draft a `DRAFT_INTERVAL` in a private chat, each with the text as `render` makes it
    (Telegram HTML); elsewhere the typing action again every `TYPING_INTERVAL`. `close()` waits
    for the draft in flight, so none arrives after the message."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        render: Callable[[str], str],
        *,
        private: bool,
        draft_id: int,
        thread_id: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._render = render
        self._private = private
        self._draft_id = draft_id or 1  # must be non-zero
        self._thread_id = thread_id
        self._clock = clock
        self._last = -float("inf")  # when the last draft or typing action went
        self._text = ""
        self._sent_text = ""
        self._task: asyncio.Task[None] | None = None
        self.drafts = 0

    async def start(self) -> None:
        """The typing action, while the paper is read and the first words come."""
        await self._typing()

    def update(self, text: str) -> None:
        """The answer so far; a draft (or typing action) goes when it is due and none is out."""
        self._text = text
        now = self._clock()
        interval = DRAFT_INTERVAL if self._private else TYPING_INTERVAL
        if now - self._last < interval or (self._task is not None and not self._task.done()):
            return
        if self._private and (not text.strip() or text == self._sent_text):
            return
        self._last = now
        self._task = asyncio.ensure_future(self._draft(text) if self._private else self._typing())

    async def close(self) -> None:
        """Wait for what is in flight; no more drafts after this."""
        self._private, self._last = False, float("inf")
        if self._task is not None:
            await self._task

    async def _draft(self, text: str) -> None:
        try:
            await self._bot.send_message_draft(
                self._chat_id,
                self._draft_id,
                self._render(text),
                message_thread_id=self._thread_id,
            )
            self._sent_text = text
            self.drafts += 1
        except TelegramError as error:  # a lost draft is replaced by the next, or the message
            log.info("no draft in chat %s: %s", self._chat_id, error)

    async def _typing(self) -> None:
        try:
            await self._bot.send_chat_action(
                self._chat_id, ChatAction.TYPING, message_thread_id=self._thread_id
            )
        except TelegramError as error:
            log.info("no typing action in chat %s: %s", self._chat_id, error)
