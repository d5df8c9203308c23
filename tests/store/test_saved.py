"""The reading list in the store: one row per (chat, paper), newest first, never pruned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.models import Chat, Digest, Paper
from bot.store import Store

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC).timestamp()
OLD_DAY = "2024-12-01"  # 90 days before NOW


def paper(pid: str, day: str = OLD_DAY) -> Paper:
    return Paper(id=pid, version=1, title=pid, abstract="a", announced=day)


def test_a_saved_paper_outlives_retention_and_an_unsaved_one_does_not(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.put_papers([paper("2412.00001"), paper("2412.00002")])
        assert store.save_paper(7, paper("2412.00001"), at=1.0)
        assert store.save_paper(7, paper("2412.00002"), at=2.0)
        assert store.unsave_paper(7, "2412.00002")
        store.prune(keep_days=60, now=NOW)
        assert store.get_paper("2412.00001") is not None
        assert store.get_paper("2412.00002") is None
        assert store.saved_paper_ids(7) == ["2412.00001"]


def test_lists_are_per_chat_newest_first_and_each_save_is_one_row(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        looked_up = Paper(id="2402.01295", version=2, title="t", abstract="a")  # not stored yet
        assert store.save_paper(-1001, looked_up, at=5.0)
        assert store.get_paper("2402.01295") == looked_up
        assert store.days_with_papers() == []  # a look-up is in no announcement day
        assert store.save_paper(-1001, paper("2412.00001"), at=9.0)
        assert not store.save_paper(-1001, paper("2412.00001"), at=10.0)  # already there
        assert store.save_paper(-100, paper("2412.00003"), at=1.0)
        assert store.saved_paper_ids(-1001) == ["2412.00001", "2402.01295"]
        assert store.saved_paper_ids(-100) == ["2412.00003"]  # a prefix of the other id
        assert store.table_sizes()["saved"] == 3
        assert store.toggle_saved(-100, "2412.00003", at=2.0) is False
        assert store.toggle_saved(-100, "2412.00003", at=3.0) is True


def test_the_saved_view_lasts_until_a_digest_is_stored(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.put_saved_view(7, ["2412.00001", "2402.01295"])
        assert store.saved_view(7) == ["2412.00001", "2402.01295"]
        store.put_digest(Digest(7, 1, OLD_DAY, (), ("2412.00009",)))
        assert store.saved_view(7) is None


def test_a_group_that_became_a_supergroup_keeps_its_list(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.put_chat(Chat(-5))
        store.save_paper(-5, paper("2412.00001"), at=1.0)
        assert store.move_chat(-5, -1005)
        assert store.saved_paper_ids(-1005) == ["2412.00001"]
        assert store.saved_paper_ids(-5) == []
