"""A group that becomes a supergroup keeps its settings, digests, buttons and sent papers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.harness import Harness

MORNING = datetime(2024, 11, 29, 8, 31, tzinfo=UTC)  # 08:31 UTC the day after the announcement
GROUP, SUPERGROUP, ADMIN = -4242, -1004242, 1


@pytest.fixture
async def h(harness: Harness):
    harness.api.set_admins(GROUP, [ADMIN])
    harness.api.set_admins(SUPERGROUP, [ADMIN])
    await harness.start()
    await harness.say(GROUP, "/subscribe hep-th", user_id=ADMIN)
    await harness.say(GROUP, "/time 08:30", user_id=ADMIN)
    await harness.settled()
    yield harness
    assert harness.api.rejections == [], "Telegram would have refused a message"


def delivered(h: Harness, chat_id: int) -> bool:
    digest = h.engine.store.latest_digest(chat_id)
    return digest is not None and digest.done


async def test_a_digest_made_for_the_old_group_is_delivered_to_the_supergroup(h):
    h.api.migrate_chat(GROUP, SUPERGROUP)  # Telegram now answers 400 + migrate_to_chat_id
    h.clock.set(MORNING)
    await h.wait_until(lambda: delivered(h, SUPERGROUP))
    store, digest = h.engine.store, h.engine.store.latest_digest(SUPERGROUP)
    parts = h.api.messages_to(SUPERGROUP)
    assert [m["message_id"] for m in parts] == list(digest.message_ids)
    assert parts[0]["plain_text"].count("[1] ") == 1
    assert store.get_chat(SUPERGROUP).topics == ("hep-th",)
    assert not store.get_chat(GROUP).active
    assert store.latest_digest(GROUP) is None and store.undelivered_digests() == []
    assert store.sent_paper_ids(SUPERGROUP) == set(digest.paper_ids)
    assert store.sent_paper_ids(GROUP) == set()
    [expanded] = await h.press(SUPERGROUP, parts[0]["message_id"], "p:1:1")
    assert expanded["plain_text"].startswith("[1] ")


async def test_the_migrate_service_message_moves_digests_buttons_and_sent_papers(h):
    h.clock.set(MORNING)
    await h.wait_until(lambda: delivered(h, GROUP))
    digest = h.engine.store.latest_digest(GROUP)
    first = h.api.messages_to(GROUP)[-len(digest.message_ids)]
    h.api.migrate_chat(GROUP, SUPERGROUP, push_service_messages=True)
    await h.wait_until(lambda: h.engine.store.get_chat(SUPERGROUP) is not None)
    await h.idle()
    store = h.engine.store
    moved = store.latest_digest(SUPERGROUP)
    assert moved == digest.with_changes(chat_id=SUPERGROUP)
    assert store.digest_for_message(SUPERGROUP, first["message_id"]) == moved
    assert store.sent_paper_ids(SUPERGROUP) == set(digest.paper_ids)
    assert store.get_chat(SUPERGROUP).last_slot == store.get_chat(GROUP).last_slot
    # The next /digest in the supergroup repeats none of the papers the group already had.
    await h.say(SUPERGROUP, "/digest", expect=None, user_id=ADMIN)
    later = store.latest_digest(SUPERGROUP)
    repeated = (
        set(later.paper_ids) & set(digest.paper_ids) if later.number > moved.number else set()
    )
    assert repeated == set()
