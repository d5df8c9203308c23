"""One SQLite file in WAL mode: sqlitedict tables over a connection per thread, one writer at a
time with people's writes first, one step = one transaction."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlitedict import SqliteDict

from bot import lanes
from bot.errors import DigestError

BATCH = 500  # keys per SELECT ... IN (...), well under SQLite's parameter limit
# Write-ahead log: readers never wait for a writer, and a commit is one append to the log.
# With synchronous=NORMAL a commit does not wait for fsync: it survives a kill of the process
# (the operating system holds the written pages), and a power cut loses at most the last
# commits before the most recent checkpoint's sync, never the file's integrity.
JOURNAL_MODE = "WAL"
SYNCHRONOUS = "NORMAL"
BUSY_SECONDS = 30.0  # another process writing (an `arxiv-digest fetch` beside `run`)
CHECKPOINT_EVERY = 256  # commits between two checkpoints, made by bulk work outside the gate


def _decoder(path: Path, table: str) -> Callable[[str | bytes], Any]:
    """JSON decoding that turns a foreign value (an old pickle) into a one-line error."""

    def decode(raw: str | bytes) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            raise DigestError(
                f"{path}: table {table!r} holds a value that is not JSON; the file was left as is"
            ) from None

    return decode


def check_database(path: Path) -> None:
    """Refuse a file that is not an SQLite database, before any table is opened on it."""
    if not path.exists():
        return
    try:
        with sqlite3.connect(path) as conn:  # a hot journal from a kill is rolled back here
            conn.execute("PRAGMA schema_version").fetchone()
        conn.close()
    except sqlite3.Error as exc:
        raise DigestError(f"{path} is not a readable database ({exc}); it was left as is") from None


def prefix_end(prefix: str) -> str:
    """The smallest string above every string that starts with `prefix` (for key ranges)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class WriteGate:
    """The file's one writer at a time in this process; waiting urgent writers go first.

    SQLite lets one connection write at a time; a writer that finds the file busy sleeps in
    steps of up to 100 ms. Taking this gate first, writers of this process never meet a busy
    file: they wake as soon as the previous one commits, people's writes and the record of a
    sent message before broadcast work.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._urgent_waiting = 0

    def acquire(self, urgent: bool) -> None:
        with self._cond:
            self._urgent_waiting += urgent
            try:
                while self._held or (not urgent and self._urgent_waiting):
                    self._cond.wait()
            finally:
                self._urgent_waiting -= urgent
            self._held = True

    def release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


class ThreadConnection:
    """sqlitedict's connection interface over the calling thread's own SQLite connection.

    Each thread opens its connection on first use (WAL lets them read side by side); the
    Database closes them all. Statements outside a step commit on their own.
    """

    autocommit = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.closed = False

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        if self.closed:
            raise DigestError(f"{self.path}: the database is closed")
        conn = sqlite3.connect(
            self.path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
        conn.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints are the Database's, off-gate
        with self._lock:
            self._opened.append(conn)
        return conn

    def execute(self, req: str, arg: Sequence[Any] | None = None, res: Any = None) -> None:
        self.connection().execute(req, tuple(arg or ()))

    def executemany(self, req: str, items: Iterable[Sequence[Any]]) -> None:
        for item in items:
            self.execute(req, item)

    def select(self, req: str, arg: Sequence[Any] | None = None) -> Iterator[tuple[Any, ...]]:
        return iter(self.connection().execute(req, tuple(arg or ())).fetchall())

    def select_one(self, req: str, arg: Sequence[Any] | None = None) -> tuple[Any, ...] | None:
        return next(iter(self.select(req, arg)), None)

    def commit(self, blocking: bool = True) -> None:
        """Nothing to do: a step commits itself, other statements commit on their own."""

    def close(self, force: bool = False) -> None:
        """Close every thread's connection (when no thread uses them any more)."""
        with self._lock:
            self.closed = True
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()


class Table(SqliteDict):  # type: ignore[misc]  # sqlitedict ships no type hints
    """A sqlitedict table on the database's connections: its writes join the thread's step."""

    def __init__(self, conn: ThreadConnection, path: Path, name: str) -> None:
        self._shared = conn
        super().__init__(
            str(path),
            tablename=name,
            autocommit=False,
            encode=json.dumps,
            decode=_decoder(path, name),
            outer_stack=False,  # sqlitedict otherwise records a traceback on every query
        )

    def _new_conn(self) -> ThreadConnection:
        return self._shared

    def close(self, do_log: bool = True, force: bool = False) -> None:
        self.conn = None  # the Database closes the connections, once


class Database:
    """The file, a connection per thread, the write gate, and steps: one transaction each.

    Whatever a step writes to any table is one SQLite transaction: a kill -9 before its commit
    leaves none of it, after it all of it. Reads outside a step see one snapshot per `read()`.
    """

    def __init__(self, path: Path, table_names: Iterable[str]) -> None:
        self.path = path
        self.gate = WriteGate()
        self.conn = ThreadConnection(path)
        self._local = threading.local()  # this thread's step depth
        self._commits = 0
        first = self.conn.connection()
        # Takes effect on a new file (before its first table); an old file needs a VACUUM.
        first.execute("PRAGMA auto_vacuum=INCREMENTAL")
        first.execute(f"PRAGMA journal_mode={JOURNAL_MODE}")
        self.tables = {name: Table(self.conn, path, name) for name in table_names}

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    @property
    def _depth(self) -> int:
        depth: int = getattr(self._local, "depth", 0)
        return depth

    @_depth.setter
    def _depth(self, value: int) -> None:
        self._local.depth = value

    @contextmanager
    def step(self) -> Iterator[None]:
        """One logical write: whole, committed once at its end, rolled back if it fails.

        A step inside a step joins it (only the outermost one commits). Work of the bulk lane
        waits at the gate while a person's write or a send record is waiting.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        bulk = lanes.is_bulk()
        self.gate.acquire(urgent=not bulk)
        conn = self.conn.connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self._commits += 1
        finally:
            self._depth = 0
            self.gate.release()
        if bulk and self._commits >= CHECKPOINT_EVERY:
            self.checkpoint()

    @contextmanager
    def read(self) -> Iterator[None]:
        """Several reads that see one state of the file (never half of another's step)."""
        if self._depth:
            yield
            return
        conn = self.conn.connection()
        conn.execute("BEGIN")
        self._depth = 1
        try:
            yield
        finally:
            self._depth = 0
            conn.execute("COMMIT")

    def checkpoint(self, mode: str = "PASSIVE") -> None:
        """Copy the write-ahead log into the file, beside readers and writers (PASSIVE)."""
        self._commits = 0
        self.conn.select_one(f"PRAGMA wal_checkpoint({mode})")

    def select(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.select(sql, tuple(args)))

    def execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, tuple(args))

    def one(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...]:
        """The one row of an aggregate query."""
        row = self.conn.select_one(sql, tuple(args))
        assert row is not None, "an aggregate query answers one row"
        return row

    def get_many(self, name: str, keys: Sequence[str]) -> dict[str, Any]:
        """Decoded values of `keys`: per chunk one query answering one row of JSON, decoded at
        once; a foreign value (not JSON) is reported as `decode` reports it."""
        table, found = self[name], {}
        for start in range(0, len(keys), BATCH):
            chunk = list(keys[start : start + BATCH])
            where = f'FROM "{table.tablename}" WHERE key IN ({",".join("?" * len(chunk))})'
            values, foreign = self.one(
                "SELECT json_group_object(key, json(value)) FILTER (WHERE json_valid(value)), "
                f"count(*) FILTER (WHERE NOT json_valid(value)) {where}",
                chunk,
            )
            if foreign:
                for key, value in self.conn.select(f"SELECT key, value {where}", chunk):
                    found[key] = table.decode(value)
            found.update(json.loads(values))
        return found

    def keys_from(self, name: str, prefix: str) -> list[str]:
        """Keys that start with `prefix`, by an index range (no scan), in one row of JSON."""
        sql = (
            f'SELECT json_group_array(key) FROM (SELECT key FROM "{name}" '
            "WHERE key >= ? AND key < ? ORDER BY key)"
        )
        (keys,) = self.one(sql, (prefix, prefix_end(prefix)))
        return list(json.loads(keys))

    def items_from(self, name: str, prefix: str) -> list[tuple[str, Any]]:
        """(key, decoded value) of the keys that start with `prefix`, by an index range."""
        sql = f'SELECT key, value FROM "{name}" WHERE key >= ? AND key < ? ORDER BY key'
        rows = self.select(sql, (prefix, prefix_end(prefix)))
        return [(key, self[name].decode(value)) for key, value in rows]

    def put_many(self, name: str, items: dict[str, Any]) -> None:
        """Write many rows of one table (inside the open step)."""
        sql = f'REPLACE INTO "{name}" (key, value) VALUES (?, ?)'
        self.conn.executemany(sql, [(key, json.dumps(value)) for key, value in items.items()])

    def delete_many(self, name: str, keys: Iterable[str]) -> None:
        self.conn.executemany(f'DELETE FROM "{name}" WHERE key = ?', [(key,) for key in keys])

    def vacuum(self, full: bool = False) -> None:
        """Give freed pages back to the file system (outside any step)."""
        self.gate.acquire(urgent=False)
        try:
            self.conn.select_one("VACUUM" if full else "PRAGMA incremental_vacuum")
        finally:
            self.gate.release()

    def close(self) -> None:
        """Fold the log into the file and close every connection."""
        tables, self.tables = self.tables, {}
        for table in tables.values():
            table.close()
        if not self.conn.closed:
            self.gate.acquire(urgent=True)
            try:
                self.checkpoint("TRUNCATE")
            finally:
                self.gate.release()
            self.conn.close()
