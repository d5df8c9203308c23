"""End-to-end harness: the real Application against loopback Telegram, arXiv and LLM servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_application
from bot.config import load_settings
from bot.engine import Engine
from bot.scheduler import Scheduler
from bot.telegram import send_page
from bot.views import page_to_send
from tests.fakes import PATIENCE
from tests.fakes.bot_api import FakeBotApi
from tests.fakes.feed_server import FeedServer, start_feed_server
from tests.fakes.hf_api import FakeHuggingFace
from tests.fakes.llm_server import FakeLLM

ALL_ARCHIVES = "rss2-all-archives-2024-11-28.xml"
# The all-archives feed was announced on Thursday 2024-11-28 (00:00 US Eastern).
FEED_DAY = datetime(2024, 11, 28, 12, 0, tzinfo=UTC)

TEST_CONFIG = """
[arxiv]
min_interval = 0.0
backoff = 0.0
retries = 1
timeout = 5.0
[schedule]
check_every_seconds = 0.1
chat_interval = 0.0
[links]
[llm]
timeout = 5.0
retries = 0
"""


class ManualClock:
    """The time the scheduler sees; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@dataclass
class Harness:
    """The bot process as a test drives it: `say` what a user types, read what the bot sent."""

    api: FakeBotApi
    feeds: FeedServer
    llm: FakeLLM | None
    data_dir: Path
    clock: ManualClock
    admins: str = ""
    app: Any = None
    env: dict[str, str] = field(default_factory=dict)
    fetching: int = 0  # fetch runs asked for and not finished (see `_count_fetches`)
    keyword_scope: tuple[str, ...] = ()  # feeds keyword topics search; () keeps the default
    arxiv_config: str = ""  # more lines of the [arxiv] section ("fresh_minutes = 0\n")
    more_config: str = ""  # more sections ("[ask]\ndaily_questions = 2\n")
    # the loopback Hugging Face paper API (HF_API_URL): it knows no paper unless told (404)
    hf: FakeHuggingFace | None = None
    links_config: str = ""  # more lines of the [links] section ("huggingface = false\n")

    def environment(self) -> dict[str, str]:
        env = {
            "TELEGRAM_BOT_TOKEN": "123456:TEST-SECRET-TOKEN",
            "TELEGRAM_API_BASE_URL": self.api.base_url,
            "ARXIV_RSS_URL": self.feeds.rss_url,
            "ARXIV_API_URL": self.feeds.api_url,
            "ARXIV_HTML_URL": self.feeds.html_url,
            "ARXIV_DIGEST_DATA_DIR": str(self.data_dir),
            "ARXIV_DIGEST_ADMINS": self.admins,
        }
        if self.hf is not None:
            env["HF_API_URL"] = self.hf.url
        if self.llm is not None:
            env |= {"LLM_BASE_URL": self.llm.url, "LLM_API_KEY": "sk-SECRET", "LLM_MODEL": "fake"}
        return env | self.env

    async def start(self) -> None:
        """Build the Application from settings, as `arxiv-digest run` does, and start polling."""
        config = self.data_dir.parent / "test.toml"
        scope = ", ".join(f'"{name}"' for name in self.keyword_scope)
        extra = (f"keyword_scope = [{scope}]\n" if scope else "") + self.arxiv_config
        text = TEST_CONFIG.replace("[arxiv]\n", "[arxiv]\n" + extra, 1)
        text = text.replace("[links]\n", "[links]\n" + self.links_config, 1)
        config.write_text(text + self.more_config)
        settings = load_settings(config, environ=self.environment())
        self.app = build_application(settings, clock=self.clock)
        await self.app.initialize()
        await self.app.post_init(self.app)
        self._count_fetches()
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)
        await self.settled()

    async def stop(self) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.post_shutdown(self.app)
        await self.app.shutdown()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def engine(self) -> Engine:
        return self.app.bot_data["engine"]

    @property
    def scheduler(self) -> Scheduler:
        return self.app.bot_data["scheduler"]

    def _count_fetches(self) -> None:
        """Count the scheduler's fetch runs from the moment one is asked for (a handler's
        `create_task(scheduler.fetch(...))`, the fetch job) to the end of the deliveries
        after it, so `settled` sees a fetch that has not reached its first await yet."""
        scheduler = self.scheduler
        fetch = scheduler.fetch
        self.fetching = 0

        def counted(*args: Any) -> Coroutine[Any, Any, None]:
            self.fetching += 1

            async def run() -> None:
                try:
                    await fetch(*args)
                finally:
                    self.fetching -= 1

            return run()

        scheduler.fetch = counted  # type: ignore[method-assign]

    async def send_page(self, digest: Any, page: int = 1) -> None:
        """Send a page of a stored digest as the scheduler and /digest do: its view asked of the
        engine once (claimed, for page 1 of an undelivered digest), then sent and recorded."""
        async with page_to_send(self.engine, digest, page) as view:
            if view is not None:
                await send_page(self.app.bot, self.engine, view)

    async def settled(self, timeout: float = PATIENCE) -> None:
        """Wait until the start-up fetch and every fetch asked for since (a new topic's, a
        scheduled one) have finished, with the deliveries that followed them."""
        async with asyncio.timeout(timeout):
            while self.scheduler.fetch_runs == 0 or self.fetching or self.engine.fetches.runs:
                await asyncio.sleep(0.02)

    async def say(
        self, chat_id: int, text: str, expect: int | None = 1, **options: Any
    ) -> list[dict]:
        """Send `text` as a user of `chat_id`; return the `expect` messages the bot answered."""
        before = len(self.api.messages_to(chat_id))
        self.api.push_message(chat_id, text, **options)
        return await self.replies(chat_id, before, expect)

    async def press(
        self, chat_id: int, message_id: int, data: str, expect: int | None = 1, **options: Any
    ) -> list[dict]:
        """Press an inline button; return the `expect` messages the bot answered."""
        before = len(self.api.messages_to(chat_id))
        self.api.push_callback(chat_id, message_id, data, **options)
        return await self.replies(chat_id, before, expect)

    async def replies(self, chat_id: int, before: int, expect: int | None) -> list[dict]:
        """The bot's answers: `expect` of them, or with `expect=None` all it sends until quiet."""
        if expect == 0:
            await asyncio.sleep(0.3)
            return self.api.messages_to(chat_id)[before:]
        await self.api.wait_for_messages(chat_id, before + (expect or 1))
        if expect is None:
            await self.idle()
        return self.api.messages_to(chat_id)[before:]

    def _busy(self) -> bool:
        processor = self.app.update_processor
        return bool(
            self.api.pending_updates  # not yet taken and confirmed by the bot
            or not self.app.update_queue.empty()
            or processor.current_concurrent_updates
        )

    async def idle(self, timeout: float = PATIENCE) -> None:
        """Wait until the bot has handled every update sent so far (checked twice, apart)."""
        async with asyncio.timeout(timeout):
            calm = 0
            while calm < 2:
                calm = 0 if self._busy() else calm + 1
                await asyncio.sleep(0.05)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = PATIENCE) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.02)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """A started bot over the all-archives feed, offline summaries, clock at the feed's day."""
    async for running in _harness(tmp_path, with_llm=False):
        yield running


@pytest.fixture
async def llm_harness(tmp_path: Path) -> AsyncIterator[Harness]:
    """The same bot with a loopback LLM."""
    async for running in _harness(tmp_path, with_llm=True):
        yield running


async def _harness(tmp_path: Path, with_llm: bool) -> AsyncIterator[Harness]:
    api = FakeBotApi().start()
    feeds, httpd = start_feed_server()
    feeds.default_feed = (Path(__file__).parent / "fixtures" / "arxiv" / ALL_ARCHIVES).read_bytes()
    llm = FakeLLM().start() if with_llm else None
    hf = FakeHuggingFace().start()
    running = Harness(api, feeds, llm, tmp_path / "data", ManualClock(FEED_DAY), admins="777")
    running.hf = hf
    try:
        yield running  # the test calls `await harness.start()` after any setup of its own
    finally:
        if running.app is not None and running.app.running:
            await running.stop()
        if llm is not None:
            llm.stop()
        hf.stop()
        httpd.shutdown()
        httpd.server_close()
        api.stop()
