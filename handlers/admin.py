"""Operator commands: /stats, for the user ids in the `admins` setting only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.config import Settings
from bot.i18n import t
from bot.llm import LLMState, Usage
from bot.models import Chat
from bot.store import Store
from handlers.chats import lang_of
from handlers.context import engine_of
from handlers.replies import reply
from handlers.texts import echo, esc, topic_list

WEEK = 7  # days of the spend /stats sums beside today's
REASON_UNITS = 160  # of the provider's error text /stats shows (UTF-16 units, cut with "…")


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show chats, topics, papers, summaries, LLM use and the last fetch; refuse anyone else."""
    engine, user = engine_of(context), update.effective_user
    lang = await lang_of(update, context)
    if user is None or user.id not in engine.settings.admins:
        await reply(update, context, t(lang, "admin.refused"))
        return
    state = engine.summaries.state()
    values = await engine.store.run(stats_values, engine.store, lang, engine.settings, state)
    await reply(update, context, t(lang, "admin.stats", **values))


def stats_values(
    store: Store, lang: str, settings: Settings, state: LLMState | None = None
) -> dict[str, Any]:
    """The numbers /stats shows, as its message's placeholders (store reads: run it in a
    worker thread, `await store.run(stats_values, store, lang, settings, state)`)."""
    chats = store.all_chats()
    sizes, counters = store.table_sizes(), store.counters()
    today = datetime.now(UTC).date()
    return {
        **_chat_counts(chats),
        **_topic_counts(chats),
        "papers": sizes.get("papers", 0),
        "latest": store.latest_day() or "-",
        "summaries": sizes.get("summaries", 0),
        "llm_calls": counters.get("llm_calls", 0),
        "llm_today": counters.get(f"llm_calls:{today.isoformat()}", 0),
        "llm_failures": counters.get("llm_failures", 0),
        "tokens_today": _spend(Usage.of_days(counters, _days(today, 1)), settings, lang),
        "tokens_week": _spend(Usage.of_days(counters, _days(today, WEEK)), settings, lang),
        "llm_state": _llm_state(state, lang),
        "last_fetch": _last_fetch(store.get_feed_state("_last_run"), lang),
    }


def _days(last: date, count: int) -> list[str]:
    return [(last - timedelta(days=n)).isoformat() for n in range(count)]


def _spend(usage: Usage, settings: Settings, lang: str) -> str:
    """Tokens in and out, with money when the config gives prices."""
    tokens = t(lang, "admin.tokens", prompt=f"{usage.prompt:,}", cached=f"{usage.cached:,}",
               completion=f"{usage.completion:,}", reasoning=f"{usage.reasoning:,}")  # fmt: skip
    if not (settings.llm_price_in or settings.llm_price_out):
        return tokens
    cost = usage.cost(settings.llm_price_in, settings.llm_price_out)
    amount = f"{cost:,.2f}" if cost >= 1 or cost == 0 else f"{cost:.4f}"
    return t(lang, "admin.cost", tokens=tokens, cost=amount, currency=esc(settings.llm_currency))


def _llm_state(state: LLMState | None, lang: str) -> str:
    """A line on why the LLM is left alone now (the provider's words escaped and cut), or ''."""
    if state is None:
        return ""
    reason = echo(state.line(), REASON_UNITS)
    since = datetime.fromtimestamp(state.since, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if state.refused:
        return "\n" + t(lang, "admin.llm_refused", since=since, reason=reason)
    until = datetime.fromtimestamp(state.until, UTC).strftime("%H:%M UTC")
    return "\n" + t(lang, "admin.llm_down", since=since, until=until, reason=reason)


def _chat_counts(chats: list[Chat]) -> dict[str, int]:
    """Chats by state: active (receiving), paused, inactive (blocked or removed the bot)."""
    return {
        "chats": len(chats),
        "active": sum(c.active and not c.paused for c in chats),
        "paused": sum(c.active and c.paused for c in chats),
        "inactive": sum(not c.active for c in chats),
        "groups": sum(c.is_group for c in chats),
    }


def _topic_counts(chats: list[Chat]) -> dict[str, int]:
    """Distinct topics of the active chats, and subscriptions (topic x chat) in all."""
    active = [c for c in chats if c.active]
    return {
        "topics": len({topic.casefold() for c in active for topic in c.topics}),
        "subscriptions": sum(len(c.topics) for c in active),
    }


def _last_fetch(state: dict[str, Any], lang: str) -> str:
    """When the last fetch run ended (UTC), and the feeds it could not get."""
    if not state.get("at"):
        return t(lang, "admin.never")
    at = datetime.fromtimestamp(float(state["at"]), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    failed = state.get("failed") or []
    if failed:
        return t(lang, "admin.last_fetch_failed", at=at, failed=topic_list(lang, failed))
    return at
