"""A database written before schema versions (tests/fixtures/db-v0) opens without loss."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.errors import DigestError
from bot.models import Digest
from bot.store import FILENAME, SCHEMA_VERSION, Store

FIXTURE = Path(__file__).parents[1] / "fixtures" / "db-v0" / FILENAME


def v0_rows(path: Path) -> dict[str, dict[str, object]]:
    """Every (table, key) -> decoded value of a file, read with plain sqlite3."""
    with sqlite3.connect(path) as conn:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {
            n: {k: json.loads(v) for k, v in conn.execute(f'SELECT * FROM "{n}"')} for n in names
        }
    conn.close()
    return rows


@pytest.fixture
def old(tmp_path: Path) -> Path:
    shutil.copy(FIXTURE, tmp_path / FILENAME)
    return tmp_path


def test_every_row_of_a_v0_file_is_carried(old: Path) -> None:
    before = v0_rows(old / FILENAME)
    digests = before["digests"]
    with Store(old) as store:
        for table in ("papers", "summaries", "chats", "feeds", "counters", "days"):
            assert v0_rows(old / FILENAME)[table] == before[table], table
        assert len(store.all_chats()) == 3 and store.get_chat(-303).is_group
        for key, data in digests.items():
            kind, _, rest = key.partition(":")
            if kind == "digest":
                chat, number = map(int, rest.split(":"))
                assert store.get_digest(chat, number) == Digest.from_dict(data)
            elif kind == "latest":
                assert store.latest_digest(int(rest)).number == data
            elif kind == "msg":
                chat, message = map(int, rest.split(":"))
                assert store.digest_for_message(chat, message).number == data
            elif kind == "sent":
                assert store.sent_paper_ids(int(rest)) == set(data)
        refs = [[d.chat_id, d.number] for d in store.undelivered_digests()]
        assert refs == digests["undelivered"] == [[-303, 1]]
        assert store.counters() == before["counters"]
        assert store.next_digest_number(101) == 3


def test_the_migrated_file_has_a_version_and_no_prefixed_keys(old: Path) -> None:
    Store(old).close()
    after = v0_rows(old / FILENAME)
    assert after["meta"] == {"schema": SCHEMA_VERSION}
    assert all(":" in key and not key.startswith(("digest", "msg")) for key in after["digests"])
    assert "undelivered" not in after["digests"] and len(after["undelivered"]) == 1
    with sqlite3.connect(old / FILENAME) as conn:
        assert conn.execute("PRAGMA auto_vacuum").fetchone() == (2,)  # incremental from now on
    conn.close()
    with Store(old) as store:  # a second open migrates nothing twice
        assert [d.number for d in store.undelivered_digests()] == [1]


def test_a_file_from_a_newer_bot_is_refused(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    conn.close()
    with pytest.raises(DigestError, match="newer"):
        Store(tmp_path)


KILLED_MIGRATION = textwrap.dedent(
    """
    import os, sys
    from bot.store import schema
    real = schema.migrate_v0
    def migrate_then_die(db):
        real(db)
        db.conn.select_one("SELECT 1")  # every write of the migration reached SQLite
        os.kill(os.getpid(), 9)  # before the commit
    schema.migrate_v0 = migrate_then_die
    from bot.store import Store
    Store(sys.argv[1])
    """
)


def test_a_kill_mid_migration_leaves_a_file_that_migrates_on_the_next_open(old: Path) -> None:
    before = v0_rows(old / FILENAME)
    run = subprocess.run([sys.executable, "-c", KILLED_MIGRATION, str(old)], check=False)
    assert run.returncode == -9
    assert v0_rows(old / FILENAME)["digests"] == before["digests"]  # rolled back on open
    with Store(old) as store:
        assert [d.chat_id for d in store.undelivered_digests()] == [-303]
        assert store.sent_paper_ids(101) == set(before["digests"]["sent:101"])


def test_chats_written_before_interest_terms_load_without_them_and_take_them(old: Path) -> None:
    assert all("interest_terms" not in row for row in v0_rows(old / FILENAME)["chats"].values())
    with Store(old) as store:
        chats = store.all_chats()
        assert [(c.interest_terms, c.terms_failures) for c in chats] == [((), 0)] * len(chats)
        chat = chats[0]
        store.set_interests(chat.chat_id, "医疗人工智能")
        store.set_interest_terms(chat.chat_id, "医疗人工智能", ("medical", "AI"))
    with Store(old) as store:
        assert store.get_chat(chat.chat_id).interest_terms == ("medical", "AI")
