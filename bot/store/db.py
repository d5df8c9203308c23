"""One SQLite file, one connection: sqlitedict tables that commit together, one step at a time."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlitedict import SqliteDict, SqliteMultithread

from bot.errors import DigestError

BATCH = 500  # keys per SELECT ... IN (...), well under SQLite's parameter limit
# The default rollback journal: the database stays one file (no -wal/-shm sidecars to lose in a
# backup or on a network volume), and a kill mid-commit is rolled back on the next open.
JOURNAL_MODE = "DELETE"


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
    """Refuse a file that is not an SQLite database, before sqlitedict's thread trips on it."""
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


class Table(SqliteDict):  # type: ignore[misc]  # sqlitedict ships no type hints
    """A sqlitedict table on the database's shared connection: its writes join the open step."""

    def __init__(self, conn: SqliteMultithread, path: Path, name: str) -> None:
        self._shared = conn
        super().__init__(
            str(path),
            tablename=name,
            autocommit=False,
            journal_mode=JOURNAL_MODE,
            encode=json.dumps,
            decode=_decoder(path, name),
            outer_stack=False,  # sqlitedict otherwise records a traceback on every query
        )

    def _new_conn(self) -> SqliteMultithread:
        return self._shared

    def close(self, do_log: bool = True, force: bool = False) -> None:
        self.conn = None  # the Database closes the shared connection, once


class Database:
    """The file, its one connection (a sqlitedict worker thread) and a lock held per step.

    Every table shares the connection, so whatever a step wrote to any table is one SQLite
    transaction: a kill -9 before its commit leaves none of it, after it all of it.
    """

    def __init__(self, path: Path, table_names: Iterable[str]) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._depth = 0  # steps open on the lock's owner
        self.conn = SqliteMultithread(
            str(path), autocommit=False, journal_mode=JOURNAL_MODE, outer_stack=False
        )
        # sqlitedict switches fsync off; a kill is safe either way, a power cut only with FULL.
        self.conn.execute("PRAGMA synchronous=FULL")
        # Takes effect on a new file (before its first table); an old file needs a VACUUM.
        self.conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        self.tables = {name: Table(self.conn, path, name) for name in table_names}

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    @contextmanager
    def step(self) -> Iterator[None]:
        """One logical write: whole, committed once at its end, rolled back if it fails.

        A step inside a step joins it (only the outermost one commits).
        """
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.conn.execute("BEGIN")  # explicit, so a failed step always has one to roll back
            self._depth = 1
            try:
                yield
            except BaseException:
                self.conn.select_one("ROLLBACK")
                raise
            else:
                self.conn.commit()
            finally:
                self._depth = 0

    def select(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.select(sql, tuple(args)))

    def execute(self, sql: str, args: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, tuple(args))

    def get_many(self, name: str, keys: Sequence[str]) -> dict[str, Any]:
        """Decoded values of `keys`: per chunk one query answering one row (sqlitedict hands
        rows over one at a time, through a queue), decoded at once; a foreign value (not JSON)
        is reported as `decode` reports it."""
        table, found = self[name], {}
        for start in range(0, len(keys), BATCH):
            chunk = list(keys[start : start + BATCH])
            where = f'FROM "{table.tablename}" WHERE key IN ({",".join("?" * len(chunk))})'
            values, foreign = self.conn.select_one(
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
        (keys,) = self.conn.select_one(sql, (prefix, prefix_end(prefix)))
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
        with self.lock:
            self.conn.select_one("VACUUM" if full else "PRAGMA incremental_vacuum")

    def close(self) -> None:
        with self.lock:
            tables, self.tables = self.tables, {}
            for table in tables.values():
                table.close()
            self.conn.close()
