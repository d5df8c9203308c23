"""Buttons with data no button of ours has: the press is answered "this button has expired"
and nothing else happens (no message, no edit, no change, no traceback)."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import pytest

from tests.conftest import ARXIV
from tests.harness import Harness

EMPTY_FEED = ARXIV / "rss2-empty-test-archive-2024-11-28.xml"
USER = 602
GROUP, GROUP_ADMIN, MEMBER = -100602, 42, 43
EXPIRED = "This button has expired."


@dataclass(frozen=True)
class Press:
    """Bad callback data pressed under the /settings screen, and who presses it where."""

    name: str
    data: str
    chat: int = USER
    user: int | None = None


PRESSES = [
    Press("paper-letters", "p:abc"),
    Press("paper-three-numbers", "p:1:2:3"),
    Press("paper-empty", "p:"),
    Press("paper-one-number", "p:1"),
    Press("paper-zero", "p:0:1"),
    Press("paper-negative", "p:-1:2"),
    Press("paper-arabic-digits", "p:١:٢"),
    Press("paper-nul", "p:1:1\x00"),
    Press("paper-html", "p:<b>1</b>:2"),
    Press("page-letters", "pg:x:y"),
    Press("page-empty", "pg:"),
    Press("page-zero", "pg:1:0"),
    Press("page-float", "pg:1:2.0"),
    Press("page-of-no-digest", "pg:1:1"),  # reads, but this chat never had digest 1
    Press("page-huge-number", "pg:1:" + "9" * 58),
    Press("remove-empty", "rm:"),
    Press("remove-not-hex", "rm:xyz"),
    Press("remove-too-long", "rm:" + "a" * 13),
    Press("remove-sql", "rm:'; DROP TABLE chats; --"),
    Press("setting-empty", "set:"),
    Press("setting-unknown", "set:evil"),
    Press("setting-extra", "set:repl:1"),
    Press("setting-path", "set:../../etc/passwd"),
    Press("unknown-prefix", "zz:1"),
    Press("rtl-prefix", "\u202ep:1:1"),
    Press("emoji", "🚀:🔥"),
    Press("random-bytes", random.Random(7).randbytes(64).decode("latin-1")),
    Press("group-member-unknown-setting", "set:evil", chat=GROUP, user=MEMBER),
    Press("group-member-bad-remove", "rm:zz", chat=GROUP, user=MEMBER),
    Press("vote-empty", "v:"),
    Press("vote-no-id", "v:+:"),
    Press("vote-bad-sign", "v:*:2402.01295"),
    Press("vote-letters", "v:+:abc"),
    Press("vote-versioned-id", "v:+:2402.01295v2"),
    Press("vote-path", "v:-:../../etc/passwd"),
    Press("vote-html", "v:+:<b>2402.01295</b>"),
    Press("vote-extra", "v:+:2402.01295:1"),
    Press("group-member-bad-vote", "v:+:x", chat=GROUP, user=MEMBER),
    Press("ready-empty", "q:"),
    Press("ready-unknown-question", "q:x:2402.01295"),
    Press("ready-no-id", "q:n:"),
    Press("ready-path", "q:e:../../etc/passwd"),
    Press("ready-html", "q:l:<b>2402.01295</b>"),
    Press("ready-extra", "q:n:2402.01295:1"),
    Press("ready-never-shown", "q:n:2402.01295"),  # reads, but this chat was never shown it
]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


@pytest.mark.parametrize("press", PRESSES, ids=[press.name for press in PRESSES])
async def test_a_button_with_bad_data_is_answered_as_expired_and_changes_nothing(
    harness: Harness, caplog: pytest.LogCaptureFixture, press: Press
) -> None:
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    admin = GROUP_ADMIN if press.chat == GROUP else None
    await harness.say(press.chat, "/subscribe cs.AI", user_id=admin)
    [screen] = await harness.say(press.chat, "/settings", user_id=admin)
    chat_before = harness.engine.store.get_chat(press.chat)
    sent_before = len(harness.api.messages_to(press.chat, include_edits=True))
    answers = len(harness.api.callback_answers)
    caplog.clear()
    harness.api.push_callback(press.chat, screen["message_id"], press.data, user_id=press.user)
    await harness.wait_until(lambda: len(harness.api.callback_answers) > answers)
    await harness.idle()
    assert [a["text"] for a in harness.api.callback_answers[answers:]] == [EXPIRED]
    assert len(harness.api.messages_to(press.chat, include_edits=True)) == sent_before
    assert harness.engine.store.get_chat(press.chat) == chat_before
    assert harness.api.rejections == []
    assert tracebacks(caplog) == []


async def test_a_remove_button_of_a_topic_already_gone_says_so(harness: Harness) -> None:
    """Data that reads (a topic token) but names no followed topic: the pop-up says it."""
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    [listing] = await harness.say(USER, "/list")
    answers = len(harness.api.callback_answers)
    harness.api.push_callback(USER, listing["message_id"], "rm:" + "0" * 12)
    await harness.wait_until(lambda: len(harness.api.callback_answers) > answers)
    assert harness.api.callback_answers[answers]["text"] == "That topic was already removed."
    assert harness.engine.store.get_chat(USER).topics == ("cs.AI",)


def test_the_table_holds_every_prefix() -> None:
    prefixes = {press.data.split(":")[0] + ":" for press in PRESSES if ":" in press.data}
    assert {"p:", "pg:", "rm:", "set:", "v:", "q:"} <= prefixes
