"""Operator commands: /stats, for the user ids in the `admins` setting only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.i18n import t
from bot.models import Chat
from bot.store import Store
from handlers.chats import lang_of
from handlers.context import engine_of
from handlers.replies import reply
from handlers.texts import topic_list


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Show chats, topics, papers, summaries, LLM use and the last fetch; refuse anyone else."""
    engine, user = engine_of(context), update.effective_user
    lang = await lang_of(update, context)
    if user is None or user.id not in engine.settings.admins:
        await reply(update, context, t(lang, "admin.refused"))
        return
    values = await engine.store.run(stats_values, engine.store, lang)
    await reply(update, context, t(lang, "admin.stats", **values))


def stats_values(store: Store, lang: str) -> dict[str, Any]:
    """The numbers /stats shows, as its message's placeholders (store reads: run it in a
    worker thread, `await store.run(stats_values, store, lang)`)."""
    chats = store.all_chats()
    sizes, counters = store.table_sizes(), store.counters()
    today = datetime.now(UTC).date().isoformat()
    return {
        **_chat_counts(chats),
        **_topic_counts(chats),
        "papers": sizes.get("papers", 0),
        "latest": store.latest_day() or "-",
        "summaries": sizes.get("summaries", 0),
        "llm_calls": counters.get("llm_calls", 0),
        "llm_today": counters.get(f"llm_calls:{today}", 0),
        "llm_failures": counters.get("llm_failures", 0),
        "last_fetch": _last_fetch(store.get_feed_state("_last_run"), lang),
    }


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
