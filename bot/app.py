"""The one module that builds the Telegram Application: handlers, jobs, services, error handler."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, TypeAlias

from telegram import Bot, BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.engine import close_engine, open_engine_now
from bot.errors import DigestError
from bot.i18n import t
from bot.scheduler import Clock, Scheduler, utc_now
from handlers import admin, learning, membership, reading, subscriptions
from handlers import settings as chat_settings
from handlers.common import expired_button

log = logging.getLogger(__name__)

App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

COMMANDS = [
    ("subscribe", 'add topics: /subscribe cs.AI "weather forecast"'),
    ("unsubscribe", "remove topics, or all"),
    ("list", "your topics"),
    ("digest", "the digest now"),
    ("paper", "expand a paper: /paper 3 or /paper 2402.01295"),
    ("lang", "language of summaries: /lang zh"),
    ("time", "daily delivery time: /time 08:30"),
    ("timezone", "your time zone: /timezone Asia/Shanghai"),
    ("limit", "entries per digest page"),
    ("pause", "stop the daily digest"),
    ("resume", "restart the daily digest"),
    ("export", "the latest digest as a Markdown file"),
    ("interests", "what you care about, in your words: /interests protein folding"),
    ("like", "more papers like this one: /like 3"),
    ("dislike", "fewer papers like this one: /dislike 3"),
    ("settings", "everything about this chat"),
    ("help", "how to use the bot"),
]


def build_application(settings: Settings, clock: Clock = utc_now) -> App:
    """The Application: HTML by default, no link previews, flood limits with 429s waited out."""
    app = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(AIORateLimiter(max_retries=5))
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .build()
    )
    app.bot_data["settings"] = settings
    app.bot_data["clock"] = clock
    add_handlers(app)
    app.add_error_handler(on_error)
    return app


def add_handlers(app: App) -> None:
    """Register the chat face. Commands first; the plain-number handler last, as it matches text."""
    commands = {
        "start": subscriptions.start,
        "help": subscriptions.help_command,
        ("subscribe", "sub"): subscriptions.subscribe,
        ("unsubscribe", "unsub"): subscriptions.unsubscribe,
        "list": subscriptions.list_topics,
        "digest": reading.digest_now,
        "paper": reading.paper,
        "export": reading.export,
        "lang": chat_settings.lang,
        "time": chat_settings.time,
        "timezone": chat_settings.timezone,
        "limit": chat_settings.limit,
        "pause": chat_settings.pause,
        "resume": chat_settings.resume,
        "settings": chat_settings.show_settings,
        "stats": admin.stats,
        "interests": learning.interests,
        "like": learning.like,
        "dislike": learning.dislike,
    }
    new_message = filters.UpdateType.MESSAGE  # an edited old command must not run again
    for names, callback in commands.items():
        app.add_handler(CommandHandler(names, callback, filters=new_message))
    app.add_handler(CallbackQueryHandler(reading.expand_button, pattern=r"^p:"))
    app.add_handler(CallbackQueryHandler(reading.page_button, pattern=r"^pg:"))
    app.add_handler(CallbackQueryHandler(subscriptions.remove_button, pattern=r"^rm:"))
    app.add_handler(CallbackQueryHandler(chat_settings.settings_button, pattern=r"^set:"))
    app.add_handler(CallbackQueryHandler(learning.vote_button, pattern=r"^v:"))
    # Last of the buttons: any other data (an old bot's, a forged one) is answered as expired.
    app.add_handler(CallbackQueryHandler(expired_button))
    app.add_handler(ChatMemberHandler(membership.member_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, membership.chat_migrated))
    # A message that is just a number ("3"), sent alone or as a reply to a digest message.
    number = filters.TEXT & ~filters.COMMAND & filters.Regex(r"^\s*\[?\d{1,4}\]?\s*$")
    app.add_handler(MessageHandler(new_message & number, reading.paper_by_number))


async def on_startup(app: App) -> None:
    """Open the engine, publish the command menu, start the jobs (rebuilt from the store)."""
    settings: Settings = app.bot_data["settings"]
    engine = open_engine_now(settings)
    app.bot_data["engine"] = engine
    scheduler = Scheduler(app, engine, app.bot_data["clock"])
    app.bot_data["scheduler"] = scheduler
    await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    scheduler.start()
    log.info("arxiv-digest is up as @%s", app.bot.username)


async def on_shutdown(app: App) -> None:
    """Close the HTTP client and the store."""
    engine = app.bot_data.pop("engine", None)
    if engine is not None:
        await close_engine(engine)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log what went wrong and keep going; a chat that hit it gets a short apology."""
    log.error("update %s failed", getattr(update, "update_id", "-"), exc_info=context.error)
    chat = update.effective_chat if isinstance(update, Update) else None
    engine = context.bot_data.get("engine")
    if chat is None or engine is None:
        return
    stored = engine.store.get_chat(chat.id)
    try:
        apology = t(stored.lang if stored else "en", "bot.internal_error")
        await context.bot.send_message(chat.id, apology)
    except TelegramError as error:
        log.warning("could not apologise to chat %s: %s", chat.id, error)


async def check_token(settings: Settings) -> None:
    """Ask Telegram who the token belongs to; InvalidToken or NetworkError when it cannot say."""
    async with Bot(settings.telegram_token, base_url=settings.telegram_api_base_url):
        pass


def run_bot(settings: Settings) -> int:
    """Long-poll until interrupted; the return value is the process's exit status."""
    try:
        asyncio.run(check_token(settings))  # a clear line now, not a traceback from the loop
        build_application(settings).run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print(
            "arxiv-digest: Telegram refused TELEGRAM_BOT_TOKEN; copy it again from @BotFather",
            file=sys.stderr,
        )
        return 2
    except NetworkError as error:
        print(f"arxiv-digest: cannot reach the Telegram Bot API: {error}", file=sys.stderr)
        return 1
    except DigestError as error:
        print(f"arxiv-digest: {error}", file=sys.stderr)
        return 1
    return 0
