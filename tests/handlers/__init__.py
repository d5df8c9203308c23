"""End-to-end tests of the chat face: the real Application against loopback Telegram and arXiv."""

from __future__ import annotations

from typing import Any

from bot.models import Chat
from tests.harness import Harness

ADMIN = 777  # in ARXIV_DIGEST_ADMINS of the harness
GROUP = -100123  # a supergroup
GROUP_ADMIN = 42
MEMBER = 43


def stored(harness: Harness, chat_id: int) -> Chat:
    """The chat as the store holds it."""
    chat = harness.engine.store.get_chat(chat_id)
    assert chat is not None, f"chat {chat_id} is not stored"
    return chat


async def press(
    harness: Harness, chat_id: int, message_id: int, data: str, user_id: int | None = None
) -> dict[str, Any]:
    """Press an inline button and wait until the bot answered it (after any edit of its message);
    return the answer the user sees as a pop-up."""
    answers = len(harness.api.callback_answers)
    harness.api.push_callback(chat_id, message_id, data, user_id=user_id)
    await harness.wait_until(lambda: len(harness.api.callback_answers) > answers)
    return harness.api.callback_answers[answers]


def shown(harness: Harness, chat_id: int, message_id: int) -> dict[str, Any]:
    """A message as the chat shows it now, edits applied."""
    message = harness.api.message(chat_id, message_id)
    assert message is not None
    return message


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback data) of every inline button under a sent message."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]
