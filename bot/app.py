"""The one module that builds the Telegram Application: handlers, jobs, services, error handler."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, TypeAlias

from telegram import Bot, BotCommand, BotCommandScope, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
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
from bot.telegram import FloodLimiter, PerChatUpdateProcessor, command_menus, send_html
from handlers import (
    admin,
    asking,
    learning,
    membership,
    reading,
    schedule,
    sharing,
    subscriptions,
)
from handlers import settings as chat_settings
from handlers.rights import expired_button

log = logging.getLogger(__name__)

App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
# How long a worker thread busy with CPU work (parsing a feed, ranking, rendering) may keep the
# GIL from the event loop and the send journal (Python's default is 5 ms). Each time the loop
# comes back from waiting on a socket it needs the GIL again, and an answer from Telegram takes
# a few such turns to be read: at 5 ms that put tens of milliseconds between Telegram's answer
# and the record of a sent message, the window in which a kill makes a message go twice.
GIL_SWITCH_SECONDS = 0.001


def build_application(settings: Settings, clock: Clock = utc_now) -> App:
    """The Application: HTML, no link previews, sliding-window flood limits, chats in parallel."""
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
        .rate_limiter(
            FloodLimiter(
                settings.flood_limit,
                settings.chat_interval,
                max_retries=5,
                chat_burst=settings.chat_burst,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor(settings.concurrent_updates))
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
        "ask": asking.ask,
        "export": reading.export,
        "lang": chat_settings.lang,
        "time": chat_settings.time,
        "timezone": chat_settings.timezone,
        "limit": chat_settings.limit,
        "questions": chat_settings.questions,
        "pause": chat_settings.pause,
        "resume": chat_settings.resume,
        "settings": chat_settings.show_settings,
        "stats": admin.stats,
        "save": sharing.save,
        "unsave": sharing.unsave,
        "saved": sharing.saved,
        "bib": sharing.bib,
        "frequency": schedule.frequency,
        "here": schedule.here,
        "interests": learning.interests,
        "like": learning.like,
        "dislike": learning.dislike,
    }
    # New messages and channel posts; an edited old command (or post) must not run again.
    new_message = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
    # Before the other /export: "/export bib" is the reading list, any other /export the digest.
    export_bib = filters.Regex(r"(?i)^\s*/export(?:@\w+)?\s+bib(?:tex)?\s*$")
    app.add_handler(CommandHandler("export", sharing.export_bib, filters=new_message & export_bib))
    for names, callback in commands.items():
        app.add_handler(CommandHandler(names, callback, filters=new_message))
    app.add_handler(CallbackQueryHandler(reading.expand_button, pattern=r"^p:"))
    app.add_handler(CallbackQueryHandler(reading.page_button, pattern=r"^pg:"))
    app.add_handler(CallbackQueryHandler(subscriptions.remove_button, pattern=r"^rm:"))
    app.add_handler(CallbackQueryHandler(chat_settings.settings_button, pattern=r"^set:"))
    app.add_handler(CallbackQueryHandler(sharing.save_button, pattern=r"^sv:"))
    app.add_handler(CallbackQueryHandler(sharing.unsave_button, pattern=r"^us:"))
    app.add_handler(CallbackQueryHandler(sharing.saved_page_button, pattern=r"^sp:"))
    app.add_handler(CallbackQueryHandler(learning.vote_button, pattern=r"^v:"))
    app.add_handler(CallbackQueryHandler(asking.ready_button, pattern=r"^q:"))
    # Last of the buttons: any other data (an old bot's, a forged one) is answered as expired.
    app.add_handler(CallbackQueryHandler(expired_button))
    app.add_handler(ChatMemberHandler(membership.member_changed, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, membership.chat_migrated))
    # A message that is just a number ("3"), sent alone or as a reply to a digest message.
    number = filters.TEXT & ~filters.COMMAND & filters.Regex(r"^\s*\[?\d{1,4}\]?\s*$")
    app.add_handler(MessageHandler(new_message & number, reading.paper_by_number))
    # After the numbers: any other text replying to a message is a question if it replies to an
    # expanded paper or an answer (handlers/asking.py).
    question = filters.TEXT & ~filters.COMMAND & filters.REPLY
    app.add_handler(MessageHandler(new_message & question, asking.reply_question))


async def on_startup(app: App) -> None:
    """Open the engine, publish the command menu, start the jobs (rebuilt from the store)."""
    settings: Settings = app.bot_data["settings"]
    engine = open_engine_now(settings)
    app.bot_data["engine"] = engine
    scheduler = Scheduler(app, engine, app.bot_data["clock"])
    app.bot_data["scheduler"] = scheduler
    await set_command_menus(app)
    scheduler.start()
    log.info("arxiv-digest is up as @%s", app.bot.username)


def registered_commands(app: App) -> set[str]:
    """The command names the Application answers (add_handlers is the one list of them)."""
    handlers = [handler for group in app.handlers.values() for handler in group]
    return {name for h in handlers if isinstance(h, CommandHandler) for name in h.commands}


async def set_command_menus(app: App) -> None:
    """Publish the command menu for each audience in each catalog's language (bot/menu.py)."""
    for menu in command_menus(registered_commands(app)):
        commands = [BotCommand(name, text) for name, text in menu.commands]
        await app.bot.set_my_commands(
            commands,
            scope=BotCommandScope(menu.scope),
            language_code=menu.language_code or None,
        )


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
    stored = await engine.db.get_chat(chat.id)
    try:
        apology = t(stored.lang if stored else "en", "bot.internal_error")
        await send_html(context.bot, engine, chat.id, apology)  # the common send path
    except TelegramError as error:
        log.warning("could not apologise to chat %s: %s", chat.id, error)


async def check_token(settings: Settings) -> None:
    """Ask Telegram who the token belongs to; InvalidToken or NetworkError when it cannot say."""
    async with Bot(settings.telegram_token, base_url=settings.telegram_api_base_url):
        pass


def run_bot(settings: Settings) -> int:
    """Long-poll until interrupted; the return value is the process's exit status."""
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
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
