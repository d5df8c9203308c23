"""The record of each digest message Telegram accepted, on disk a moment after its answer.

Telegram has no idempotency key: a message it accepted whose record did not reach the file
before a kill is sent again after the restart. This window is kept as small as the machine
allows. A thread of its own takes each record the moment the sender hands it over and commits
it at once, with every other record that came meanwhile (one transaction for the lot), ahead
of broadcast work at the file's write gate, through the write-ahead log (no fsync wait).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.errors import DigestError
from bot.models import Digest

log = logging.getLogger(__name__)
SAMPLES = 4096  # hand-over-to-commit times kept for the figures


@dataclass
class Pending:
    digest: Digest
    done: asyncio.Future[None]
    loop: asyncio.AbstractEventLoop
    since: float


class SendJournal:
    """`await journal.record(digest)` returns once the digest's progress is committed."""

    def __init__(self, write: Callable[[Sequence[Digest]], None]) -> None:
        self._write = write  # one transaction for a batch of digests
        self._cond = threading.Condition()
        self._queue: list[Pending] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self.windows: deque[float] = deque(maxlen=SAMPLES)  # seconds, hand-over to commit

    async def record(self, digest: Digest) -> None:
        """Commit this digest's delivery progress (its message ids, parts sent, done)."""
        loop = asyncio.get_running_loop()
        pending = Pending(digest, loop.create_future(), loop, time.perf_counter())
        with self._cond:
            if self._closed:
                raise DigestError("the store is closed: a sent message could not be recorded")
            self._queue.append(pending)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="send-journal", daemon=True)
                self._thread.start()
            self._cond.notify()
        await pending.done

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                batch, self._queue = self._queue, []
            if not batch:
                return  # closed and drained
            self._commit(batch)

    def _commit(self, batch: list[Pending]) -> None:
        error: BaseException | None = None
        try:
            self._write([pending.digest for pending in batch])
        except Exception as exc:  # noqa: BLE001 (handed to each sender, who logs and retries)
            error = exc
        now = time.perf_counter()
        for pending in batch:
            self.windows.append(now - pending.since)
            try:
                pending.loop.call_soon_threadsafe(_settle, pending.done, error)
            except RuntimeError:  # its event loop is closed: nobody waits for it any more
                continue

    def figures(self) -> str:
        """The hand-over-to-commit time of the latest records, p50 and p99, for the log."""
        ordered = sorted(self.windows)
        if not ordered:
            return "no message recorded yet"
        p50 = ordered[len(ordered) // 2]
        p99 = ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]
        return f"recorded {p50 * 1000:.1f} ms (p50), {p99 * 1000:.1f} ms (p99) after the answer"

    def close(self) -> None:
        """Commit what is handed over, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():  # the sender was cancelled meanwhile; the record stands anyway
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
