"""Store steps: one send costs the same whatever the history, steps are whole under kill -9 and
threads."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from bot.models import Chat, Digest
from bot.store import Store


def digest(chat_id: int, number: int, ids: list[str], **kw) -> Digest:
    return Digest(chat_id=chat_id, number=number, announced="2024-11-28", topics=("cs.AI",),
                  paper_ids=tuple(ids), created=float(number), **kw)  # fmt: skip


def traffic_of_one_send(store: Store, chat_id: int, prior_sends: int) -> tuple[list[str], int]:
    """The write statements and the bytes read and written when one more message is recorded."""
    for n, start in enumerate(range(0, prior_sends, 100), start=1):
        ids = [f"{chat_id}.{i:05d}" for i in range(start, min(start + 100, prior_sends))]
        store.put_digest(digest(chat_id, n, ids, message_ids=(n,), done=True))
    assert len(store.sent_paper_ids(chat_id)) == prior_sends
    fresh = digest(chat_id, 9999, [f"new.{i}" for i in range(30)])
    store.put_digest(fresh)
    writes: list[str] = []
    moved = [0]
    conn = store.db.conn
    execute, select = conn.execute, conn.select

    def counting_execute(req, arg=None, res=None):
        moved[0] += sum(len(str(a)) for a in arg or ())
        if req.split()[0].upper() in ("INSERT", "REPLACE", "UPDATE", "DELETE"):
            writes.append(req.split('"')[1] if '"' in req else req)
        return execute(req, arg, res)

    def counting_select(req, arg=None):
        for row in select(req, arg):
            moved[0] += sum(len(str(v)) for v in row)
            yield row

    conn.execute, conn.select = counting_execute, counting_select
    try:
        store.put_digest(fresh.with_changes(message_ids=(777,), parts_sent=1))
    finally:
        conn.execute, conn.select = execute, select
    return writes, moved[0]


def test_recording_one_send_costs_the_same_at_10_and_10000_prior_sends(tmp_path: Path):
    with Store(tmp_path) as store:
        few = traffic_of_one_send(store, 1, 10)
        many = traffic_of_one_send(store, 2, 10_000)
    assert few == many  # the same statements, the same bytes read and written
    assert sorted(few[0]) == ["digests", "messages"]  # the digest row and one message row


def test_threads_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    with Store(tmp_path) as store:

        def work(worker: int) -> None:
            for i in range(40):
                store.bump("sends")
                store.put_chat(Chat(chat_id=worker * 1000 + i))
                store.put_digest(digest(worker, i + 1, [f"{worker}.{i}"]))

        threads = [threading.Thread(target=work, args=(w,)) for w in range(1, 7)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert store.counter("sends") == 240
        assert len(store.all_chats()) == 240
        assert len(store.undelivered_digests()) == 240
        assert all(len(store.sent_paper_ids(w)) == 40 for w in range(1, 7))


async def test_run_calls_the_store_in_a_worker_thread(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        caller = threading.get_ident()
        where = await store.run(lambda: (store.bump("x"), threading.get_ident())[1])
        assert where != caller and store.counter("x") == 1


WRITER = textwrap.dedent(
    """
    import sys
    from bot.models import Digest
    from bot.store import Store
    store = Store(sys.argv[1])
    store.db.conn.connection().execute("PRAGMA cache_size=5")  # a step spills into the log
    for n in range(1, 100_000):
        ids = tuple(f"{n:06d}.{i:05d}" for i in range(3000))
        print("start", n, flush=True)
        store.put_digest(Digest(chat_id=5, number=n, announced="2024-11-28", topics=(),
                                paper_ids=ids, message_ids=(n,)))
        print("done", n, flush=True)
    """
)


@pytest.mark.slow
def test_a_kill_during_a_digest_write_leaves_digest_index_and_sends_together(tmp_path: Path):
    wal = tmp_path / "arxiv-digest.sqlite-wal"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        for line in proc.stdout:
            if line.startswith("start 3"):
                break
        committed = wal.stat().st_size
        while wal.stat().st_size == committed and proc.poll() is None:
            pass  # the step is spilling into the log, uncommitted
        mid_write = wal.stat().st_size > committed
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with Store(tmp_path) as store:
        numbers = [d.number for d in store.undelivered_digests()]
        sent = store.sent_paper_ids(5)
        indexed = [n for n in numbers if store.digest_for_message(5, n)]
        latest = store.latest_digest(5).number
    assert mid_write, "the kill should land while the step is being written"
    assert numbers == list(range(1, latest + 1)) == indexed
    assert len(sent) == 3000 * latest  # every digest's sends, and none of a lost digest


def test_moving_a_chat_re_addresses_its_digests_index_sends_and_undelivered(tmp_path: Path):
    with Store(tmp_path) as store:
        store.put_chat(Chat(chat_id=-5, topics=("cs.AI",), is_group=True))
        store.put_chat(Chat(chat_id=-55))  # a neighbour whose keys share the prefix "-5"
        store.put_digest(digest(-5, 1, ["a", "b"], message_ids=(10,), done=True))
        store.put_digest(digest(-5, 2, ["c"], message_ids=(20,)))
        store.put_digest(digest(-55, 1, ["z"], message_ids=(10,)))
        assert store.move_chat(-5, -1005) and not store.move_chat(-5, -1005)
        assert store.get_chat(-1005).topics == ("cs.AI",) and not store.get_chat(-5).active
        assert store.latest_digest(-1005).number == 2 and store.latest_digest(-5) is None
        assert store.digest_for_message(-1005, 10).paper_ids == ("a", "b")
        assert store.sent_paper_ids(-1005) == {"a", "b", "c"} and store.sent_paper_ids(-5) == set()
        assert [(d.chat_id, d.number) for d in store.undelivered_digests()] == [
            (-55, 1),
            (-1005, 2),
        ]
        assert store.sent_paper_ids(-55) == {"z"} and store.digest_for_message(-55, 10).number == 1
        assert store.next_digest_number(-1005) == 3


def test_a_step_that_fails_half_way_leaves_nothing_and_logs_no_sqlite_error(tmp_path, caplog):
    with Store(tmp_path) as store:
        with pytest.raises(RuntimeError), store.db.step():
            store.chats.put(Chat(chat_id=1))
            raise RuntimeError("the step fails after its first write")
        with pytest.raises(RuntimeError), store.db.step():
            raise RuntimeError("the step fails before any write")
        store.put_chat(Chat(chat_id=2))
        assert [c.chat_id for c in store.all_chats()] == [2]
    assert not [r for r in caplog.records if r.name.startswith("sqlitedict")]
