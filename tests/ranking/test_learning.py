"""A digest that learns, through the real Application: interests, 👍 / 👎, ranking and 💡 lines,
spend in rank order, the cold-start tip, and the optional embeddings ranker with its fallback."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime

import pytest

from bot.digest.select import select_papers
from bot.models import Digest
from bot.ranking.embed import decode_vector
from bot.ranking.index import paper_text
from bot.store import FILENAME
from bot.telegram.buttons import vote_data
from tests.conftest import ARXIV
from tests.fakes.embed_server import FakeEmbeddings
from tests.handlers import buttons, press, shown, stored
from tests.harness import Harness

USER, OTHER, THIRD = 501, 502, 503
GROUP, GROUP_ADMIN, MEMBER = -100501, 42, 43
INTERESTS = "graph neural networks"
DAY_TWO = ARXIV / "rss2-quant-ph-2025-04-28.xml"


def latest(harness: Harness, chat_id: int) -> Digest:
    digest = harness.engine.store.latest_digest(chat_id)
    assert digest is not None, f"chat {chat_id} has no digest"
    return digest


def text_of(harness: Harness, paper_id: str) -> str:
    paper = harness.engine.store.get_paper(paper_id)
    assert paper is not None
    return paper_text(paper).lower()


async def digest_messages(harness: Harness, chat_id: int, **options: object) -> list[dict]:
    return await harness.say(chat_id, "/digest", expect=None, **options)


async def test_interests_put_matching_papers_first_with_a_why_line(harness: Harness) -> None:
    await harness.start()
    for chat in (USER, OTHER):
        await harness.say(chat, "/subscribe cs.LG")
    [answer] = await harness.say(USER, f"/interests {INTERESTS}")
    assert f"Interests: {INTERESTS}" in answer["plain_text"]
    first = (await digest_messages(harness, USER))[0]["plain_text"]
    await digest_messages(harness, OTHER)
    ranked, plain = latest(harness, USER).paper_ids, latest(harness, OTHER).paper_ids
    assert sorted(ranked) == sorted(plain)  # the filters did not change, only the order

    def matching(ids: tuple[str, ...]) -> int:
        words = ("graph", "neural network")
        return sum(any(w in text_of(harness, i) for w in words) for i in ids[:10])

    assert matching(ranked) == 10 > matching(plain)
    assert "💡 Matches your interests: graph neural networks" in first
    assert first.count("💡") >= 5


async def test_the_why_line_is_in_the_chats_language(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/lang zh")
    await harness.say(USER, "/subscribe cs.LG")
    [answer] = await harness.say(USER, f"/interests {INTERESTS}")
    assert "兴趣：graph neural networks" in answer["plain_text"]
    first = (await digest_messages(harness, USER))[0]["plain_text"]
    assert "💡 符合你的兴趣：graph neural networks" in first
    assert "Matches your interests" not in first


async def test_a_chat_without_signal_keeps_todays_order_and_is_told_once(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.LG")
    await harness.say(USER, "/limit 10")
    first = (await digest_messages(harness, USER))[0]["plain_text"]
    store = harness.engine.store
    day = store.announced_since("2024-11-27")
    expected = select_papers(day, stored(harness, USER), set())
    assert latest(harness, USER).paper_ids == tuple(p.id for p in expected)
    assert "💡" in first.split("\n")[2]  # the tip under the header, once
    assert first.count("💡") == 1 and "/interests protein structure prediction" in first
    assert stored(harness, USER).interests_tip_shown


async def test_votes_change_the_next_days_order(harness: Harness) -> None:
    await harness.start()
    for chat in (USER, OTHER):
        await harness.say(chat, "/subscribe quant-ph")
        await harness.say(chat, "/pause")  # digests on demand only: the test moves the clock
    await digest_messages(harness, USER)
    day_one = latest(harness, USER).paper_ids
    liked = [p for p in day_one if "photon" in text_of(harness, p)][:3]
    disliked = [p for p in day_one if "photon" not in text_of(harness, p)][:3]
    assert len(liked) == 3
    for paper_id in liked:
        [answer] = await harness.say(USER, f"/like {paper_id}")
        assert "noted, more papers like it" in answer["plain_text"]
    [expanded, *_] = await harness.say(USER, f"/paper {day_one.index(disliked[0]) + 1}")
    for paper_id in disliked:
        answer = await press(harness, USER, expanded["message_id"], vote_data(paper_id, False))
        assert answer["text"] == "👎 Noted: fewer papers like this one."
    harness.feeds.default_feed = DAY_TWO.read_bytes()
    harness.clock.set(datetime(2025, 4, 28, 12, 0, tzinfo=UTC))
    await harness.scheduler.fetch()
    first = (await digest_messages(harness, USER))[0]["plain_text"]
    await digest_messages(harness, OTHER)
    voted, control = latest(harness, USER), latest(harness, OTHER)
    assert voted.announced == control.announced == "2025-04-28"
    assert sorted(voted.paper_ids) == sorted(control.paper_ids)
    assert voted.paper_ids[:5] != control.paper_ids[:5]
    assert "photon" in text_of(harness, voted.paper_ids[0])
    assert "💡 Like a paper you liked:" in first


async def test_a_group_members_vote_counts_and_a_second_tap_withdraws_it(
    harness: Harness,
) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    await harness.say(GROUP, "/subscribe cs.LG", user_id=GROUP_ADMIN)
    await digest_messages(harness, GROUP, user_id=GROUP_ADMIN)
    paper_id = latest(harness, GROUP).paper_ids[0]
    expanded = (await harness.say(GROUP, "/paper 1", expect=None, user_id=MEMBER))[-1]
    data = vote_data(paper_id, True)
    answer = await press(harness, GROUP, expanded["message_id"], data, user_id=MEMBER)
    assert answer["text"] == "👍 Noted: more papers like this one."
    assert ("👍 1", data) in buttons(shown(harness, GROUP, expanded["message_id"]))
    assert harness.engine.store.chat_votes(GROUP).liked == (paper_id,)
    other = await press(harness, GROUP, expanded["message_id"], data, user_id=GROUP_ADMIN)
    assert other["text"] == answer["text"]
    assert ("👍 2", data) in buttons(shown(harness, GROUP, expanded["message_id"]))
    again = await press(harness, GROUP, expanded["message_id"], data, user_id=MEMBER)
    assert again["text"] == "Vote withdrawn."
    assert ("👍 1", data) in buttons(shown(harness, GROUP, expanded["message_id"]))
    assert harness.engine.store.chat_votes(GROUP).count == 1
    down = vote_data(paper_id, False)
    flip = await press(harness, GROUP, expanded["message_id"], down, user_id=GROUP_ADMIN)
    assert flip["text"] == "👎 Noted: fewer papers like this one."
    labels = [label for label, _ in buttons(shown(harness, GROUP, expanded["message_id"]))]
    assert labels == ["👍", "👎 1", "⭐"]
    again_shown = (await harness.say(GROUP, "/paper 1", expect=None, user_id=MEMBER))[-1]
    assert [label for label, _ in buttons(again_shown)] == ["👍", "👎 1", "⭐"]
    assert harness.engine.store.chat_votes(GROUP).disliked == (paper_id,)
    [refused] = await harness.say(GROUP, f"/interests {INTERESTS}", user_id=MEMBER)
    assert "only" in refused["plain_text"].lower() and stored(harness, GROUP).interests == ""


async def test_interests_and_votes_survive_a_restart(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.LG")
    await harness.say(USER, f"/interests {INTERESTS}")
    await digest_messages(harness, USER)
    await harness.say(USER, "/dislike 2")
    await harness.restart()
    [screen] = await harness.say(USER, "/settings")
    assert f"Interests: {INTERESTS}" in screen["plain_text"]
    assert "Votes: 1" in screen["plain_text"]
    [current] = await harness.say(USER, "/interests")
    assert f"This chat's interests: {INTERESTS}" in current["plain_text"]
    [cleared] = await harness.say(USER, "/interests off")
    assert cleared["plain_text"].startswith("Interests cleared")
    assert stored(harness, USER).interests == ""


async def test_spend_follows_rank_when_the_budget_is_smaller_than_the_digest(
    llm_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests import harness as harness_module

    monkeypatch.setattr(
        harness_module, "TEST_CONFIG", harness_module.TEST_CONFIG + "daily_budget = 3\n"
    )
    harness = llm_harness
    await harness.start()
    await harness.say(USER, "/lang zh")
    await harness.say(USER, f"/interests {INTERESTS}")  # before the topic: its fetch summarizes
    await harness.say(USER, "/subscribe cs.LG")
    await harness.idle()
    await digest_messages(harness, USER)
    store, digest = harness.engine.store, latest(harness, USER)
    papers = [store.get_paper(paper_id) for paper_id in digest.paper_ids]
    sources = [store.get_summary(p.key, "zh").source for p in papers]
    assert sources[:3] == ["llm"] * 3
    assert set(sources[3:]) == {"offline"}
    assert all("graph" in text_of(harness, paper_id) for paper_id in digest.paper_ids[:3])


def embeddings_env(harness: Harness, server: FakeEmbeddings) -> None:
    harness.env = {"EMBED_BASE_URL": server.url, "EMBED_MODEL": "fake-embed"}


async def test_each_paper_is_embedded_once_for_many_chats_and_not_after_a_restart(
    harness: Harness, fake_embeddings: FakeEmbeddings
) -> None:
    embeddings_env(harness, fake_embeddings)
    await harness.start()
    for chat, interests in (
        (USER, INTERESTS),
        (OTHER, "quantum error correction"),
        (THIRD, INTERESTS),
    ):
        await harness.say(chat, "/subscribe cs.LG quant-ph")
        await harness.say(chat, f"/interests {interests}")
        await digest_messages(harness, chat)
    day = harness.engine.store.announced_since("2024-11-27")
    embedded = Counter(fake_embeddings.inputs)
    assert all(embedded[paper_text(p)] == 1 for p in day)
    assert embedded[INTERESTS] == 1
    assert len(fake_embeddings.inputs) == len(day) + 2  # the papers and two interest texts
    requests = len(fake_embeddings.requests)
    await harness.restart()
    await harness.say(OTHER + 10, "/subscribe cs.LG")
    await harness.say(OTHER + 10, f"/interests {INTERESTS}")
    first = (await digest_messages(harness, OTHER + 10))[0]["plain_text"]
    assert len(fake_embeddings.requests) == requests
    assert "💡" in first
    with sqlite3.connect(harness.data_dir / FILENAME) as conn:
        rows = conn.execute("SELECT value FROM vectors").fetchall()
    conn.close()
    assert len(rows) == len(day) + 2
    for (value,) in rows:
        text = json.loads(value)
        assert isinstance(text, str) and len(decode_vector(text)) == 64


async def test_a_failing_embeddings_endpoint_falls_back_to_the_offline_ranker(
    harness: Harness, fake_embeddings: FakeEmbeddings
) -> None:
    fake_embeddings.default = ("status", 500)
    embeddings_env(harness, fake_embeddings)
    await harness.start()
    await harness.say(USER, "/subscribe cs.LG")
    await harness.say(USER, f"/interests {INTERESTS}")
    first = (await digest_messages(harness, USER))[0]["plain_text"]
    assert fake_embeddings.requests  # it was asked, and failed
    assert "💡 Matches your interests: graph neural networks" in first
    assert "graph" in text_of(harness, latest(harness, USER).paper_ids[0])


async def test_every_stored_value_is_json_text_never_pickle(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.LG")
    await harness.say(USER, f"/interests {INTERESTS}")
    await digest_messages(harness, USER)
    await harness.say(USER, "/like 1")
    path = harness.data_dir / FILENAME
    with sqlite3.connect(path) as conn:
        tables = [
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            for (value,) in conn.execute(f'SELECT value FROM "{table}"'):
                assert isinstance(value, str), (table, value)
                json.loads(value)
        votes = conn.execute("SELECT value FROM votes").fetchall()
        digest = conn.execute("SELECT value FROM digests").fetchone()[0]
    conn.close()
    assert votes == [("1",)]
    assert json.loads(digest)["reasons"][0]["kind"] == "interest"


def test_a_why_line_is_counted_by_the_packer_and_every_message_fits() -> None:
    from bot.digest.render import DigestHeader, Entry, render_digest_page, telegram_length
    from bot.models import Paper, Summary
    from bot.ranking.rank import Reason, reason_text

    why = reason_text(Reason("liked", title="T" * 60), "zh")
    entries = [
        Entry(
            n,
            Paper(f"2411.{n:05d}", 1, "title " * 300, "a"),
            Summary(f"k{n}", "zh", "t", "tl;dr " * 600, "a"),
            why,
        )
        for n in range(1, 8)
    ]
    parts = render_digest_page(
        DigestHeader("2024-11-28", ("cs.LG",), 7, interests_tip=True), entries, "zh"
    )
    assert all(telegram_length(part) <= 4096 for part in parts)
    assert sum(part.count("💡 与你赞过的论文相似") for part in parts) == 7
    assert "/interests" in parts[0]
