"""A delivery pass does each chat's work once and off the event loop; buttons follow the renderer."""

from __future__ import annotations

import re
import threading
from collections import Counter

import bot.pipeline
from bot.llm.summaries import offline_summary
from bot.models import Chat, Digest, Paper
from tests.e2e.test_broadcast import MORNING, all_delivered, due_chat, seed
from tests.harness import FEED_DAY, Harness

ENTRY_LINE = re.compile(r"^\[(\d+)\]", re.M)


async def test_a_delivery_pass_selects_each_chats_papers_once(harness, monkeypatch):
    h = harness
    chats = list(range(5000, 5030))
    seed(h, [due_chat(c, lang=("en", "zh")[c % 2]) for c in chats])
    await h.start()  # the start-up fetch (which summarizes ahead) is over
    selected, select = Counter(), bot.pipeline.select_papers

    def counting(papers, chat, already_sent):
        selected[chat.chat_id] += 1
        return select(papers, chat, already_sent)

    monkeypatch.setattr(bot.pipeline, "select_papers", counting)
    h.clock.set(MORNING)
    await all_delivered(h, chats, timeout=60)

    assert selected == Counter({chat_id: 1 for chat_id in chats})
    for chat_id in chats:
        assert len(h.api.messages_to(chat_id)) == 1


async def test_store_writes_of_a_delivery_pass_happen_off_the_event_loop(harness, monkeypatch):
    h = harness
    chats = list(range(6000, 6010))
    seed(h, [due_chat(c) for c in chats])
    await h.start()
    store, writers = h.engine.store, []
    for name in ("put_digest", "add_digest", "put_chat"):
        write = getattr(store, name)

        def recording(*args, _write=write, _name=name):
            writers.append((_name, threading.current_thread()))
            return _write(*args)

        monkeypatch.setattr(store, name, recording)
    h.clock.set(MORNING)
    await all_delivered(h, chats, timeout=60)

    loop_thread = threading.current_thread()
    assert {name for name, _ in writers} == {"put_digest", "add_digest", "put_chat"}
    assert [name for name, thread in writers if thread is loop_thread] == []


def many_papers(count: int) -> list[Paper]:
    """Papers whose titles hold text that looks like digest markup."""
    return [
        Paper(
            id=f"2411.{n:05d}",
            version=1,
            title=f"Paper {n}: on <b>[{n + 1}]</b> & [{n}] brackets, a long title " + "x" * 40,
            abstract=f"We study case {n}. " + "The method works well on many tasks. " * 5,
            categories=("hep-th",),
            announced=FEED_DAY.date().isoformat(),
        )
        for n in range(1, count + 1)
    ]


async def test_buttons_match_the_entries_of_every_part_of_a_300_paper_digest(harness: Harness):
    h = harness
    await h.start()
    papers = many_papers(300)
    h.engine.store.put_papers(papers)
    h.engine.store.put_summaries(offline_summary(paper, "en") for paper in papers)
    # paused: the scheduler leaves this chat alone, the page is sent here only
    h.engine.store.put_chat(Chat(7100, topics=("hep-th",), limit=300, paused=True))
    digest = Digest(
        chat_id=7100,
        number=1,
        announced=FEED_DAY.date().isoformat(),
        topics=("hep-th",),
        paper_ids=tuple(paper.id for paper in papers),
        lang="en",
        limit=300,
    )
    h.engine.store.put_digest(digest)
    await h.send_page(digest)

    messages = h.api.messages_to(7100)
    assert len(messages) > 3  # a page of 300 entries takes several messages
    shown = []
    for message in messages:
        in_text = [int(n) for n in ENTRY_LINE.findall(message["plain_text"])]
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        buttons = [int(button["text"]) for row in rows for button in row]
        assert buttons == in_text
        shown += in_text
    assert shown == list(range(1, 301))
