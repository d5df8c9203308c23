"""Retention drops what is older than keep_days, except what a chat still references."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.models import Digest, Paper, Summary
from bot.store import Store

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC).timestamp()
OLD_DAY, RECENT_DAY = "2024-12-01", "2025-02-20"  # 90 and 9 days before NOW
OLD_TIME, RECENT_TIME = NOW - 90 * 86400, NOW - 9 * 86400


def paper(pid: str, day: str) -> Paper:
    return Paper(id=pid, version=1, title=pid, abstract="a", announced=day)


def digest(
    chat: int, number: int, ids: tuple[str, ...], created: float, done: bool = True
) -> Digest:
    day = OLD_DAY if created == OLD_TIME else RECENT_DAY
    return Digest(chat_id=chat, number=number, announced=day, topics=(), paper_ids=ids,
                  created=created, message_ids=(number * 10,), done=done)  # fmt: skip


def fill(store: Store) -> None:
    store.put_papers([paper(f"old.{i}", OLD_DAY) for i in range(6)])
    store.put_papers([paper(f"new.{i}", RECENT_DAY) for i in range(2)])
    store.put_summaries(Summary(f"{p}v1", "en", "t", "d", "a") for p in ("old.0", "old.3", "new.0"))
    store.put_digest(digest(1, 1, ("old.0", "old.1"), OLD_TIME))
    store.put_digest(digest(1, 2, ("new.0",), RECENT_TIME))  # chat 1: its latest is recent
    store.put_digest(digest(2, 1, ("old.2",), OLD_TIME))
    store.put_digest(digest(2, 2, ("old.3",), OLD_TIME))  # chat 2's latest digest is old
    store.put_digest(digest(3, 1, ("old.4",), OLD_TIME, done=False))  # never delivered


def test_old_rows_go_and_what_chats_reference_stays(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        fill(store)
        pruned = store.prune(keep_days=60, now=NOW)
        assert store.days_with_papers() == [RECENT_DAY]
        assert store.get_paper("old.1") is None and store.get_paper("old.5") is None
        assert store.get_paper("new.1") is not None
        assert store.get_digest(1, 1) is None and store.digest_for_message(1, 10) is None
        assert store.get_digest(2, 1) is None and store.digest_for_message(2, 10) is None
        assert store.latest_digest(2).paper_ids == ("old.3",)  # a chat's latest digest stays
        assert store.digest_for_message(2, 20).number == 2  # and its buttons work
        assert store.get_paper("old.3") is not None and store.get_summary("old.3v1", "en")
        assert store.get_summary("old.0v1", "en") is None
        assert [d.chat_id for d in store.undelivered_digests()] == [3]
        assert store.get_paper("old.4") is not None
        assert store.sent_paper_ids(1) == {"new.0"}
        assert store.next_digest_number(2) == 3
    assert (pruned.papers, pruned.digests) == (4, 2)  # old.0, .1, .2, .5; digests 1:1, 2:1


def test_pruning_twice_changes_nothing_more(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        fill(store)
        store.prune(keep_days=60, now=NOW)
        sizes = store.table_sizes()
        again = store.prune(keep_days=60, now=NOW)
        assert (again.papers, again.digests) == (0, 0) and store.table_sizes() == sizes


def test_nothing_younger_than_keep_days_goes(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        fill(store)
        sizes = store.table_sizes()
        store.prune(keep_days=120, now=NOW)
        assert store.table_sizes() == sizes
