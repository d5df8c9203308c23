"""The store keeps papers, summaries, chats and digests as JSON, and survives a kill mid-write."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.errors import DigestError
from bot.models import Chat, Digest, Paper, Summary
from bot.store import FILENAME, Store


def paper(pid: str, version: int = 1, day: str = "2024-11-28", kind: str = "new", **kw) -> Paper:
    return Paper(id=pid, version=version, title=f"Title {pid}", abstract=f"Abstract of {pid}.",
                 announced=day, announce_type=kind, categories=("cs.AI",), **kw)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "data") as opened:
        yield opened


def test_papers_round_trip_and_count_only_new_ones(store: Store) -> None:
    assert store.put_papers([paper("2411.00001"), paper("2411.00002")]) == 2
    assert store.put_papers([paper("2411.00002"), paper("2411.00003")]) == 1
    assert store.get_paper("2411.00001") == paper("2411.00001")
    assert store.get_paper("2411.99999") is None


def test_newest_version_wins_whatever_the_arrival_order(store: Store) -> None:
    store.put_papers([paper("2411.00001", version=2, day="2024-11-29", kind="replace")])
    store.put_papers([paper("2411.00001", version=1)])
    assert store.get_paper("2411.00001").version == 2


def test_api_look_up_of_the_same_version_keeps_the_announcement(store: Store) -> None:
    store.put_papers([paper("2411.00001", day="2024-11-28", kind="cross")])
    store.put_papers([paper("2411.00001", day="", kind="new", journal_ref="Nature 1")])
    stored = store.get_paper("2411.00001")
    assert (stored.announced, stored.announce_type, stored.journal_ref) == (
        "2024-11-28", "cross", "Nature 1")  # fmt: skip


def test_announced_since_gives_newest_day_first_in_feed_order(store: Store) -> None:
    store.put_papers([paper("b", day="2024-11-27"), paper("a", day="2024-11-27", kind="cross")])
    store.put_papers([paper("d", day="2024-11-28"), paper("c", day="2024-11-28")])
    got = store.announced_since("2024-11-26")
    assert [(p.id, p.announced, p.announce_type) for p in got] == [
        ("d", "2024-11-28", "new"), ("c", "2024-11-28", "new"),
        ("b", "2024-11-27", "new"), ("a", "2024-11-27", "cross"),
    ]  # fmt: skip
    assert [p.id for p in store.announced_since("2024-11-27")] == ["d", "c"]
    assert store.latest_day() == "2024-11-28"
    assert store.days_with_papers() == ["2024-11-27", "2024-11-28"]


def test_a_new_paper_replaced_the_next_day_is_listed_once_as_new(store: Store) -> None:
    store.put_papers([paper("a", version=1, day="2024-11-27", kind="new")])
    store.put_papers([paper("a", version=2, day="2024-11-28", kind="replace")])
    got = store.announced_since("2024-11-26")
    assert [(p.id, p.version, p.announce_type) for p in got] == [("a", 2, "new")]
    assert [p.announce_type for p in store.announced_since("2024-11-27")] == ["replace"]


def test_a_paper_new_in_one_feed_and_cross_in_another_counts_as_new(store: Store) -> None:
    store.put_papers([paper("a", kind="cross")])
    store.put_papers([paper("a", kind="new")])
    assert store.announced_since("")[0].announce_type == "new"


def test_empty_store_has_no_latest_day(store: Store) -> None:
    assert store.latest_day() == ""
    assert store.announced_since("") == []


def test_summaries_feeds_chats_counters_round_trip(tmp_path: Path) -> None:
    summary = Summary("2411.00001v1", "zh", "标题", "一句话。", "摘要", source="llm")
    chat = Chat(chat_id=-100123, topics=("cs.AI", '"weather forecast"'), lang="zh")
    with Store(tmp_path) as store:
        store.put_summaries([summary])
        store.put_feed_state("cs.AI+hep-th", {"etag": '"abc"', "announced": "2024-11-28"})
        store.put_chat(chat)
        store.bump("llm_calls")
        store.bump("llm_calls:2024-11-28", 3)
    with Store(tmp_path) as store:  # everything is on disk, not just in memory
        assert store.get_summary("2411.00001v1", "zh") == summary
        assert store.get_summary("2411.00001v1", "ja") is None
        assert store.get_feed_state("cs.AI+hep-th")["etag"] == '"abc"'
        assert store.get_feed_state("nope") == {}
        assert store.get_chat(-100123) == chat and store.all_chats() == [chat]
        assert store.counters() == {"llm_calls": 1, "llm_calls:2024-11-28": 3}
        assert store.counter("llm_failures") == 0


def digest(number: int, ids: tuple[str, ...], **kw) -> Digest:
    return Digest(chat_id=42, number=number, announced="2024-11-28", topics=("cs.AI",),
                  paper_ids=ids, created=float(number), **kw)  # fmt: skip


def test_digests_numbering_lookup_and_resume(store: Store) -> None:
    assert store.next_digest_number(42) == 1 and store.latest_digest(42) is None
    store.put_digest(digest(1, ("a", "b")))
    store.put_digest(digest(1, ("a", "b"), message_ids=(500, 501), done=True))
    store.put_digest(digest(2, ("c",), message_ids=(510,)))
    assert store.next_digest_number(42) == 3
    assert store.latest_digest(42).number == 2
    assert store.get_digest(42, 1).message_ids == (500, 501)
    assert store.digest_for_message(42, 501).number == 1
    assert store.digest_for_message(42, 999) is None
    assert store.digest_for_message(7, 501) is None
    assert store.sent_paper_ids(42) == {"a", "b", "c"}
    assert store.sent_paper_ids(7) == set()
    assert [d.number for d in store.undelivered_digests()] == [2]
    store.put_digest(digest(2, ("c",), message_ids=(510,), done=True))
    assert store.undelivered_digests() == []


def test_values_are_json_text_not_pickle(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.put_papers([paper("2411.00001")])
        store.put_chat(Chat(chat_id=1, lang="ja"))
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        (value,) = conn.execute("SELECT value FROM papers WHERE key = '2411.00001'").fetchone()
        (chat,) = conn.execute("SELECT value FROM chats WHERE key = '1'").fetchone()
    conn.close()
    assert isinstance(value, str) and json.loads(value)["title"] == "Title 2411.00001"
    assert json.loads(chat)["lang"] == "ja"


def test_a_file_that_is_no_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(DigestError, match=str(path)):
        Store(tmp_path)
    assert path.read_bytes() == b"this is not sqlite at all" * 100


def test_a_pickled_value_is_reported_not_unpickled(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        conn.execute("INSERT INTO chats VALUES ('1', ?)", (b"\x80\x04\x95\x00",))
    conn.close()
    with Store(tmp_path) as store, pytest.raises(DigestError, match="not JSON"):
        store.get_chat(1)


WRITER = textwrap.dedent(
    """
    import sys
    from bot.models import Paper
    from bot.store import Store
    store = Store(sys.argv[1])
    for batch in range(1000):
        papers = [Paper(id=f"{batch:04d}.{i:05d}", version=1, title="t" * 50,
                        abstract="word " * 600, announced=f"2024-01-{batch % 28 + 1:02d}")
                  for i in range(1000)]
        sys.stdin.readline()  # the test says when each batch begins
        print("start", batch, flush=True)
        store.put_papers(papers)
        print("done", batch, flush=True)
    """
)


@pytest.mark.slow
def test_a_kill_mid_batch_leaves_the_whole_batch_or_none_of_it(tmp_path: Path) -> None:
    wal = tmp_path / (FILENAME + "-wal")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        proc.stdin.write("go\ngo\n")  # two batches, and no third until the test says so
        proc.stdin.flush()
        for line in proc.stdout:
            if line.startswith("done 1"):
                break
        committed = wal.stat().st_size  # two batches in the write-ahead log
        proc.stdin.write("go\n")  # the third batch, killed while it is written
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while wal.stat().st_size == committed and time.monotonic() < deadline:
            pass  # the third batch is spilling into the log, uncommitted
        mid_write = wal.stat().st_size > committed
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with Store(tmp_path) as store:  # opens: the log's uncommitted frames are ignored
        listed = [p.id[:4] for p in store.announced_since("")]
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        rows = conn.execute("SELECT substr(key, 1, 4), count(*) FROM papers GROUP BY 1").fetchall()
    conn.close()
    counts = {int(batch): n for batch, n in rows}
    assert mid_write, "the kill should land while the batch is being written"
    assert counts[0] == counts[1] == 1000
    assert counts.get(2, 0) in (0, 1000) and 3 not in counts
    assert listed.count("0000") == listed.count("0001") == 1000
    assert listed.count("0002") in (
        0,
        counts.get(2, 0),
    )  # a day lists a batch whole, after its papers
