"""The real `arxiv-digest run` process for benches, as users and operators meet it.

Not a bench itself: the pieces `crash_soak.py`, `latency_bench.py --real` and
`subscribe_burst.py` share.

- The fake Bot API (tests/fakes/bot_api.py) is served from a process of its own (its HTML checks
  must not take the bot's CPU, as Telegram's servers are not on the bot's machine), with strict
  flood limits: no more than 30 messages in any one second overall, one a second per chat
  (`chat_burst` more in a window of `chat_burst` seconds, if asked). It records when it answered
  each message it accepted (time.time() just before the answer is written), also as JSON lines.
- The loopback arXiv (tests/fakes/feed_server.py) runs in the bench's process; it records every
  request.
- The bot is the venv's `arxiv-digest` console script, started with subprocess, configured by
  environment variables and a `--config` file; commands reach it through getUpdates long
  polling; it may be killed with SIGKILL at any moment and started again.
- Chats are written into the bot's store before it starts (`Store(data_dir).put_chat`).

Everything runs on loopback, in a temporary folder; whatever started is stopped in `finally`.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from multiprocessing.managers import BaseManager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.digest import slots  # noqa: E402
from bot.models import Chat  # noqa: E402
from bot.store import FILENAME, Store  # noqa: E402
from tests.fakes.bot_api import FakeBotApi  # noqa: E402
from tests.fakes.feed_server import FeedServer, start_feed_server  # noqa: E402

FLOOD_LIMIT = 30
CHAT_FLOOD_INTERVAL = 1.0
ALL_ARCHIVES = ROOT / "tests" / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"
TOPICS = ("q-bio.NC", "hep-th", "gr-qc", "math.AG")  # a digest of 1 to 3 messages each
ZONES = ("UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York")
TOKEN = "123456:BENCH-TOKEN"
LOOPBACK = "127.0.0.1,localhost"


# --- the fake Bot API in its own process ---------------------------------------------------


class RemoteApi:
    """The fake Bot API, served from the manager's process; methods return plain data."""

    def __init__(self, **options: Any) -> None:
        self.api = FakeBotApi(**options).start()

    def base_url(self) -> str:
        return self.api.base_url

    def push(self, messages: Sequence[tuple[int, str]]) -> list[float]:
        """Queue each (chat id, text) as a user's message, back to back; the time.time() right
        after each was queued (when the bot could first have it)."""
        times = []
        for chat_id, text in messages:
            self.api.push_message(chat_id, text)
            times.append(time.time())
        return times

    def answers(self, start: int = 0) -> list[dict[str, Any]]:
        return self.api.answers(start)

    def answer_count(self) -> int:
        with self.api._cond:  # noqa: SLF001 (a cheap count, no copy)
            return len(self.api._answers)  # noqa: SLF001

    def long_polls(self) -> int:
        return self.api.long_polls

    def pending_updates(self) -> int:
        return len(self.api.pending_updates)

    def flood_429s(self) -> int:
        return self.api.flood_429s

    def stop(self) -> None:
        self.api.stop()


class _ApiProcess(BaseManager):
    pass


_ApiProcess.register("RemoteApi", RemoteApi)


@contextlib.contextmanager
def fake_bot_api(
    answers_path: Path | None = None, chat_burst: int = 1, **options: Any
) -> Iterator[Any]:
    """A started fake Bot API in its own process, with strict flood limits; stopped after."""
    manager = _ApiProcess()
    manager.start()
    try:
        api = manager.RemoteApi(  # type: ignore[attr-defined]
            flood_limit=FLOOD_LIMIT,
            chat_flood_interval=CHAT_FLOOD_INTERVAL,
            chat_burst=chat_burst,
            answers_path=str(answers_path) if answers_path else None,
            **options,
        )
        try:
            yield api
        finally:
            api.stop()
    finally:
        manager.shutdown()


@contextlib.contextmanager
def feed_server() -> Iterator[FeedServer]:
    """The loopback arXiv in this process, serving the recorded all-archives day for any feed."""
    feeds, httpd = start_feed_server()
    feeds.default_feed = ALL_ARCHIVES.read_bytes()
    try:
        yield feeds
    finally:
        _stop_http(httpd)


def _stop_http(httpd: ThreadingHTTPServer) -> None:
    httpd.shutdown()
    httpd.server_close()


# --- the bot process -----------------------------------------------------------------------


def console_script() -> str:
    """The venv's `arxiv-digest` (next to this Python), else the one on PATH."""
    beside = Path(sys.executable).with_name("arxiv-digest")
    if beside.exists():
        return str(beside)
    found = shutil.which("arxiv-digest")
    if found is None:
        raise SystemExit("arxiv-digest is not installed: pip install -e . in this venv")
    return found


@dataclass
class BotProcess:
    """`arxiv-digest --config FILE run` against the fakes, its output appended to bot.log."""

    folder: Path
    api_url: str
    feeds: FeedServer
    config: str = ""
    process: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)
    kills: list[float] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        return self.folder / "bot.log"

    def environment(self) -> dict[str, str]:
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SYSTEMROOT")
        env = {name: os.environ[name] for name in keep if name in os.environ}
        return env | {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": self.api_url,
            "ARXIV_RSS_URL": self.feeds.rss_url,
            "ARXIV_API_URL": self.feeds.api_url,
            "ARXIV_DIGEST_DATA_DIR": str(self.data_dir),
            "NO_PROXY": LOOPBACK,
            "no_proxy": LOOPBACK,
            "PYTHONUNBUFFERED": "1",
        }

    def start(self) -> float:
        """Start the process (the previous one must be gone); returns the time.time() of it."""
        assert self.process is None or self.process.poll() is not None, "one process per token"
        config = self.folder / "bot.toml"
        config.write_text(self.config)
        with self.log_path.open("ab") as log:
            log.write(f"--- start at {time.time():.6f}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [console_script(), "--config", str(config), "run"],
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
            )
        self.starts.append(time.time())
        return self.starts[-1]

    def kill(self) -> float:
        """SIGKILL now; returns the time.time() taken just before the signal."""
        assert self.process is not None
        at = time.time()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills.append(at)
        return at

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (PTB stops polling and closes the store), SIGKILL if it takes too long."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_lines(self, needle: str) -> list[str]:
        if not self.log_path.exists():
            return []
        text = self.log_path.read_text(errors="replace")
        return [line for line in text.splitlines() if needle in line]


@contextlib.contextmanager
def bot_process(
    folder: Path, api_url: str, feeds: FeedServer, config: str = ""
) -> Iterator[BotProcess]:
    bot = BotProcess(folder, api_url, feeds, config)
    try:
        yield bot
    finally:
        with contextlib.suppress(Exception):
            bot.stop(timeout=5)
        if bot.process is not None and bot.process.poll() is None:
            bot.process.kill()
            bot.process.wait()


def wait_ready(api: Any, bot: BotProcess, timeout: float = 60.0) -> float:
    """Until the bot long-polls (its Application started); the time.time() when seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.long_polls() > 0:
            return time.time()
        if not bot.alive:
            raise SystemExit(f"the bot exited; see {bot.log_path}:\n{tail(bot.log_path)}")
        time.sleep(0.02)
    raise SystemExit(f"the bot did not start polling in {timeout:.0f} s; see {bot.log_path}")


def tail(path: Path, lines: int = 20) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# --- chats and the store --------------------------------------------------------------------


def due_now(chat_ids: Iterable[int], topics: Sequence[str] = TOPICS) -> list[Chat]:
    """Chats whose daily slot is the minute just past, in their own time zone, and whose last
    handled slot is the day before: `arxiv-digest run` (real clock) finds them all due at its
    first check after the start-up fetch. Each follows one of `topics`, by turns; a fresh chat
    has no `last_announced`, so its first digest holds the latest announcement day the store
    has (the recorded feed's), whatever today's date."""
    now = datetime.now(UTC)
    chats = []
    for n, chat_id in enumerate(chat_ids):
        zone = ZONES[n % len(ZONES)]
        local = (now - timedelta(minutes=1)).astimezone(ZoneInfo(zone))
        chat = Chat(chat_id, topics=(topics[n % len(topics)],), time=local.strftime("%H:%M"))
        chat = chat.with_changes(timezone=zone)
        slot = slots.latest_slot(chat, now)
        assert slot is not None
        chats.append(chat.with_changes(last_slot=(slot - timedelta(days=1)).isoformat()))
    return chats


def not_due(chat: Chat) -> Chat:
    """The chat with its latest slot already handled: nothing falls due while a bench runs
    (unless the bench lasts until its next slot)."""
    slot = slots.latest_slot(chat, datetime.now(UTC))
    return chat.with_changes(last_slot=slot.isoformat() if slot else "")


def put_chats(data_dir: Path, chats: Iterable[Chat]) -> None:
    with Store(data_dir) as store:
        for chat in chats:
            store.put_chat(chat)


def stored_digests(data_dir: Path) -> list[dict[str, Any]]:
    """Every digest row (JSON) of a stopped bot's store, read-only."""
    uri = f"file:{data_dir / FILENAME}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        rows = conn.execute("SELECT value FROM digests").fetchall()
    return [json.loads(value) for (value,) in rows]


# --- figures ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """The value at `share` (0..1) of the sorted values, nearest rank; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def ms_summary(values: Sequence[float]) -> str:
    """p50 / p99 / max of seconds, printed in milliseconds, with the count."""
    if not values:
        return "no samples"
    p50 = statistics.median(values)
    return (
        f"p50 {p50 * 1000:.0f} ms, p99 {percentile(values, 0.99) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms (n={len(values)})"
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def machine_line() -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {load_average()}, python {sys.version.split()[0]}"
    )
