"""A chat that blocks or removes the bot is skipped with its settings kept, until it comes back."""

from __future__ import annotations

from tests.handlers import GROUP, GROUP_ADMIN, stored
from tests.harness import Harness

USER = 701


def feed_requests(harness: Harness, query: str) -> int:
    return sum(seen.path == f"/rss/{query}" for seen in harness.feeds.feed_requests())


async def test_a_user_who_blocks_the_bot_is_skipped_and_start_brings_them_back(
    harness: Harness,
) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    await harness.say(USER, "/time 09:30")
    harness.api.push_my_chat_member(USER, "kicked")
    await harness.wait_until(lambda: not stored(harness, USER).active)
    harness.api.unblock_chat(USER)
    [answer] = await harness.say(USER, "/start")
    assert answer["plain_text"].startswith("👋 Welcome back! Your topics and settings were kept")
    assert "You follow: cs.AI" in answer["plain_text"]
    chat = stored(harness, USER)
    assert chat.active and chat.topics == ("cs.AI",) and chat.time == "09:30"


async def test_unblocking_makes_the_chat_active_again(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    harness.api.push_my_chat_member(USER, "kicked")
    await harness.wait_until(lambda: not stored(harness, USER).active)
    harness.api.push_my_chat_member(USER, "member")
    await harness.wait_until(lambda: stored(harness, USER).active)
    assert stored(harness, USER).topics == ("cs.AI",)


async def test_a_group_that_removes_and_re_adds_the_bot_keeps_its_topics(harness: Harness) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    await harness.say(GROUP, "/subscribe hep-th", user_id=GROUP_ADMIN)
    harness.api.push_my_chat_member(GROUP, "left")
    await harness.wait_until(lambda: not stored(harness, GROUP).active)
    before = len(harness.api.messages_to(GROUP))
    harness.api.push_my_chat_member(GROUP, "member")
    [greeting] = await harness.replies(GROUP, before, 1)
    assert "Thanks for adding me!" in greeting["plain_text"]
    chat = stored(harness, GROUP)
    assert chat.active and chat.topics == ("hep-th",)


async def test_a_bot_added_to_a_new_group_greets_it(harness: Harness) -> None:
    await harness.start()
    harness.api.push_my_chat_member(GROUP, "member")
    [greeting] = await harness.replies(GROUP, 0, 1)
    assert "Group admins choose topics with /subscribe cs.AI" in greeting["plain_text"]


async def test_a_chat_back_after_a_block_has_its_feeds_fetched_again(harness: Harness) -> None:
    harness.arxiv_config = "fresh_minutes = 0\n"  # as if its feed was last asked long ago
    await harness.start()
    await harness.say(USER, "/subscribe hep-th")
    await harness.wait_until(lambda: feed_requests(harness, "hep-th") == 1)
    await harness.settled()
    harness.api.push_my_chat_member(USER, "kicked")
    await harness.wait_until(lambda: not stored(harness, USER).active)
    harness.api.unblock_chat(USER)
    await harness.say(USER, "/start")
    await harness.wait_until(lambda: feed_requests(harness, "hep-th") == 2)


async def test_a_403_when_answering_marks_the_chat_inactive(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    harness.api.block_chat(USER)
    harness.api.push_message(USER, "/list")
    await harness.wait_until(lambda: not stored(harness, USER).active)
    assert [e.status for e in harness.api.errors] == [403]
    assert stored(harness, USER).topics == ("cs.AI",)
