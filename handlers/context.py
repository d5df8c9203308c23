"""What a handler gets from the Application: the engine, the clock, the scheduler's fetches."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from telegram.ext import ContextTypes

from bot.engine import Engine
from bot.models import Chat

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


def engine_of(context: Context) -> Engine:
    """The engine (settings, store, arXiv client, summaries) the app opened at start-up."""
    return context.bot_data["engine"]  # type: ignore[no-any-return]


class Jobs(Protocol):
    """What handlers ask of the scheduler (bot/scheduler.py, a layer above them)."""

    def fetch_for(self, chat: Chat) -> list[str]:
        """Fetch the chat's feeds now, unless planned or asked a moment ago."""


def jobs_of(context: Context) -> Jobs:
    """The scheduler that runs fetches and deliveries, as handlers may use it."""
    return context.bot_data["scheduler"]  # type: ignore[no-any-return]


def clock_now(context: Context) -> datetime:
    """Now, as the scheduler sees it (tests move this clock)."""
    return context.bot_data["clock"]()  # type: ignore[no-any-return]


def fetch_new_feeds(context: Context, chat: Chat) -> None:
    """Fetch, in the background, the chat's feeds that nobody fetched a moment ago (a new
    topic); many chats subscribing at once share one request per feed."""
    jobs_of(context).fetch_for(chat)
