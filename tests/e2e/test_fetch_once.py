"""One fetch per feed, whoever asks: many chats subscribing at once to a new topic cost arXiv
one request, and a feed asked a moment ago is not asked again for a new subscriber."""

from __future__ import annotations

import asyncio

from tests.harness import Harness

CHATS = range(5001, 5051)  # 50 chats


def feed_requests(h: Harness, query: str) -> int:
    return sum(seen.path == f"/rss/{query}" for seen in h.feeds.feed_requests())


async def test_fifty_chats_subscribing_at_once_to_a_new_topic_cause_one_request(harness):
    h = harness
    await h.start()
    hold = h.feeds.hold("hep-th")  # the first fetch is still under way while the others come
    for chat in CHATS:
        h.api.push_message(chat, "/subscribe hep-th")
    await h.api.wait_for(lambda: all(h.api.messages_to(chat) for chat in CHATS), timeout=30)
    await asyncio.to_thread(hold.started.wait, 10)
    assert feed_requests(h, "hep-th") == 1, "every subscriber shares the fetch under way"
    hold.release.set()
    await h.settled()
    assert feed_requests(h, "hep-th") == 1
    [digest, *_] = await h.say(CHATS[0], "/digest", expect=None)
    assert "hep-th" in digest["plain_text"] and "[1]" in digest["plain_text"]


async def test_a_subscriber_of_a_feed_asked_a_moment_ago_causes_no_request(harness):
    h = harness
    await h.start()
    await h.say(1, "/subscribe hep-th")
    await h.wait_until(lambda: feed_requests(h, "hep-th") == 1)
    await h.settled()
    await h.say(2, "/subscribe hep-th")
    await h.idle()
    await h.settled()
    assert feed_requests(h, "hep-th") == 1
    [digest, *_] = await h.say(2, "/digest", expect=None)
    assert "[1]" in digest["plain_text"], "the second subscriber reads what the first fetch brought"


async def test_a_digest_asked_while_the_new_feed_is_fetched_waits_for_it(harness):
    h = harness
    await h.start()
    hold = h.feeds.hold("hep-th")
    await h.say(1, "/subscribe hep-th")
    await asyncio.to_thread(hold.started.wait, 10)
    await h.say(2, "/subscribe hep-th")
    h.api.push_message(2, "/digest")
    await asyncio.sleep(0.3)  # a /digest answered now would be empty: it must wait
    assert len(h.api.messages_to(2)) == 1, "the /digest waits for the fetch under way"
    hold.release.set()
    [digest] = (await h.api.wait_for_messages(2, 2, timeout=15))[1:2]
    assert "[1]" in digest["plain_text"]
    assert feed_requests(h, "hep-th") == 1
