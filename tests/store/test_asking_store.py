"""What questions keep in the store: full texts, threads, the quota; pruned with the paper."""

from __future__ import annotations

import time

from bot.models import FullText, Paper, Section
from bot.store import Store

DAY = 86400


def test_the_quota_counts_per_chat_and_day(tmp_path) -> None:
    with Store(tmp_path) as store:
        assert [store.take_question(1, "2025-01-01", 2) for _ in range(3)] == [True, True, False]
        store.give_back_question(1, "2025-01-01")
        assert store.take_question(1, "2025-01-01", 2)
        assert store.take_question(2, "2025-01-01", 2) and store.take_question(1, "2025-01-02", 2)


def test_full_text_ready_answers_and_threads_go_with_their_paper(tmp_path) -> None:
    old = Paper("2411.00001", 1, "Old", "abstract", announced="2024-11-01")
    with Store(tmp_path) as store:
        store.put_papers([old])
        store.put_fulltext(FullText(old.id, "Old", (Section("1", "Intro", "text"),)))
        store.put_ready(old.id, "en", "new", {"text": "new"})
        store.put_thread(5, [10, 11], old.id, [["q", "a"]])
        assert store.thread_for(5, 11) == (old.id, [["q", "a"]])
        assert store.get_fulltext(old.id).sections[0].label == "§1 Intro"
        store.prune(keep_days=30, now=time.time())
        assert store.get_paper(old.id) is None
        assert store.get_fulltext(old.id) is None and store.get_ready(old.id, "en", "new") is None
        assert store.thread_for(5, 10) is None
