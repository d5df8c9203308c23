"""The fake Bot API is faithful enough for the real python-telegram-bot to run against it."""

from __future__ import annotations

import asyncio
import datetime as dtm
import hashlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllPrivateChats,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fakes.bot_api import FakeBotApi, polling

TOKEN = "123:ABC"
CHAT = 4242
GROUP = -1001234567890
FORUM = -1009876543210
CHANNEL = -1005555555555
ASTRAL = "\U0001d53d"  # 𝔽, two UTF-16 code units
App = Application[Any, Any, Any, Any, Any, Any]


def make_app(server: FakeBotApi, *handlers: BaseHandler[Any, Any, Any]) -> App:
    app = Application.builder().token(TOKEN).base_url(server.base_url).build()
    for handler in handlers:
        app.add_handler(handler)
    return app


def collect_errors(app: App) -> list[BaseException]:
    errors: list[BaseException] = []

    async def record(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        errors.append(context.error)

    app.add_error_handler(record)
    return errors


@pytest.fixture
async def bot(fake_bot_api: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake_bot_api.base_url) as tg_bot:
        yield tg_bot


def raw_url(server: FakeBotApi, method: str) -> str:
    return f"{server.base_url}{TOKEN}/{method}"


# --- end to end through the Application ---------------------------------------------------


async def test_start_command_gets_an_html_reply(fake_bot_api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_user is not None and update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Subscribe", callback_data="sub")]])
        name = update.effective_user.first_name
        await update.message.reply_html(f"<b>Welcome</b>, {name} &amp; co", reply_markup=keyboard)

    app = make_app(fake_bot_api, CommandHandler("start", start))
    async with polling(app):
        fake_bot_api.push_message(CHAT, "/start", first_name="Ada")
        [reply] = await fake_bot_api.wait_for_messages(CHAT, 1)

    assert reply["kind"] == "message"
    assert reply["text"] == "<b>Welcome</b>, Ada &amp; co"
    assert reply["plain_text"] == "Welcome, Ada & co"
    assert reply["parse_mode"] == "HTML"
    assert reply["reply_markup"] == {
        "inline_keyboard": [[{"text": "Subscribe", "callback_data": "sub"}]]
    }
    stored = fake_bot_api.message(CHAT, reply["message_id"])
    assert stored is not None and stored["entities"] == [{"type": "bold", "offset": 0, "length": 7}]
    assert fake_bot_api.token == TOKEN
    assert fake_bot_api.calls("getMe") and fake_bot_api.calls("deleteWebhook")
    assert fake_bot_api.rejections == []


async def test_command_in_group_with_bot_username(fake_bot_api: FakeBotApi) -> None:
    seen: list[tuple[str, list[str]]] = []

    async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        seen.append((update.effective_chat.type, list(context.args or [])))
        await context.bot.send_message(update.effective_chat.id, "ok")

    app = make_app(fake_bot_api, CommandHandler("digest", digest))
    async with polling(app):
        fake_bot_api.push_message(GROUP, "/digest@fake_bot cs.AI", user_id=7)
        await fake_bot_api.wait_for_messages(GROUP, 1)

    assert seen == [("supergroup", ["cs.AI"])]


async def test_bad_html_reply_is_rejected_and_recorded(fake_bot_api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_html("<b>x")

    app = make_app(fake_bot_api, CommandHandler("start", start))
    errors = collect_errors(app)
    async with polling(app):
        fake_bot_api.push_message(CHAT, "/start")
        await fake_bot_api.wait_for(lambda: errors)

    [rejection] = fake_bot_api.rejections
    assert rejection.method == "sendMessage" and rejection.status == 400
    assert rejection.description == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    assert isinstance(errors[0], BadRequest)
    assert fake_bot_api.sent == []


async def test_button_press_answers_and_edits(fake_bot_api: FakeBotApi) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Stop", callback_data="stop:1")]])
        await update.message.reply_text("Subscribed", reply_markup=keyboard)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Done")
        await query.edit_message_text(f"<i>{query.data}</i>", parse_mode=ParseMode.HTML)

    app = make_app(fake_bot_api, CommandHandler("start", start), CallbackQueryHandler(pressed))
    async with polling(app):
        fake_bot_api.push_message(CHAT, "/start")
        [sent] = await fake_bot_api.wait_for_messages(CHAT, 1)
        fake_bot_api.press_button(CHAT, sent["message_id"], "Stop")
        await fake_bot_api.wait_for_messages(CHAT, 2, include_edits=True)

    assert [a["text"] for a in fake_bot_api.callback_answers] == ["Done"]
    edited = fake_bot_api.message(CHAT, sent["message_id"])
    assert edited is not None
    assert edited["text"] == "stop:1" and "reply_markup" not in edited and "edit_date" in edited
    assert fake_bot_api.rejections == []


async def test_blocked_user_update_and_forbidden_send(fake_bot_api: FakeBotApi) -> None:
    statuses: list[str] = []

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        statuses.append(update.my_chat_member.new_chat_member.status)

    app = make_app(fake_bot_api, ChatMemberHandler(member))
    async with polling(app):
        fake_bot_api.push_my_chat_member(CHAT, "kicked")
        await fake_bot_api.wait_for(lambda: statuses)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await app.bot.send_message(CHAT, "still there?")

    assert statuses == ["kicked"]
    assert fake_bot_api.rejections == [] and len(fake_bot_api.errors) == 1


async def test_shutdown_mid_long_poll_is_quick_and_leaves_no_threads() -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("pong")

    before = set(threading.enumerate())
    with FakeBotApi(max_poll_wait=10) as server:  # a poll left to run out would take 10 s
        async with polling(make_app(server, CommandHandler("ping", echo)), timeout=10):
            server.push_message(CHAT, "/ping")
            await server.wait_for_messages(CHAT, 1)
            await server.wait_for(lambda: server.long_polls)  # the next poll is waiting
            stopping = time.monotonic()
    assert time.monotonic() - stopping < 5
    assert set(threading.enumerate()) <= before


# --- message validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("a" * 5000, False),
        ("a" * 4096, True),
        (ASTRAL * 2048, True),
        (ASTRAL * 2049, False),
    ],
    ids=["5000-ascii", "4096-ascii", "2048-astral", "2049-astral"],
)
async def test_message_length_counts_utf16_units(
    fake_bot_api: FakeBotApi, bot: Bot, text: str, accepted: bool
) -> None:
    if accepted:
        message = await bot.send_message(CHAT, text)
        assert message.text == text and fake_bot_api.rejections == []
        return
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(CHAT, text)
    assert fake_bot_api.rejections[0].description == "Bad Request: message is too long"


async def test_length_is_measured_after_html_parsing(bot: Bot) -> None:
    message = await bot.send_message(CHAT, "<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")
    assert message.text == "<" * 4096


@pytest.mark.parametrize("text", ["", "  \n ", "<b> </b>"])
async def test_empty_text_rejected(fake_bot_api: FakeBotApi, bot: Bot, text: str) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(CHAT, text, parse_mode="HTML")
    assert fake_bot_api.rejections[0].description == "Bad Request: message text is empty"


@pytest.mark.parametrize(
    "html",
    [
        "<b>bold <i>both</i></b> &lt;tag&gt; &amp; &quot;q&quot; &#128512; &#x1F600;",
        '<a href="https://arxiv.org/abs/2411.01234?x=1&amp;y=2">paper</a>',
        '<pre><code class="language-python">print(1 &lt; 2)</code></pre>',
        "<blockquote expandable>long abstract</blockquote><blockquote>q</blockquote>",
        '<tg-spoiler>s</tg-spoiler><span class="tg-spoiler">s</span>',
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "<strong>s</strong><em>e</em><ins>i</ins><u>u</u><s>s</s><strike>s</strike><del>d</del>",
        "a > b",
        "<B>upper</B> and <b>empty end tag</>",
    ],
)
async def test_valid_html_accepted(fake_bot_api: FakeBotApi, bot: Bot, html: str) -> None:
    await bot.send_message(CHAT, html, parse_mode=ParseMode.HTML)
    assert fake_bot_api.rejections == []


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("é <br/>", 'Unsupported start tag "br/" at byte offset 3'),
        ("Q&A", 'Unescaped "&" at byte offset 1'),
        ("a&nbsp;b", 'Unescaped "&" at byte offset 1'),
        ('<a href="https://x.org/?a=1&b=2">p</a>', 'Unescaped "&" at byte offset 27'),
        ("<a>no href</a>", 'Tag "a" must have attribute "href" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
    ],
)
async def test_invalid_html_rejected(
    fake_bot_api: FakeBotApi, bot: Bot, html: str, reason: str
) -> None:
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(CHAT, html, parse_mode=ParseMode.HTML)
    [rejection] = fake_bot_api.rejections
    assert rejection.description == f"Bad Request: can't parse entities: {reason}"


async def test_entities_come_back_in_utf16_units(bot: Bot) -> None:
    html = f'{ASTRAL} <b>bold</b> <a href="https://arxiv.org/">link</a>'
    message = await bot.send_message(CHAT, html, parse_mode=ParseMode.HTML)
    assert message.text == f"{ASTRAL} bold link"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 3, 4),
        ("text_link", 8, 4),
    ]
    assert message.text_html == html


# --- inline keyboards ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "accepted"),
    [("x" * 64, True), ("x" * 65, False), ("é" * 32, True), ("é" * 33, False)],
    ids=["64-bytes", "65-bytes", "32-two-byte-chars", "33-two-byte-chars"],
)
async def test_callback_data_limit_is_64_bytes(
    fake_bot_api: FakeBotApi, bot: Bot, data: str, accepted: bool
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("go", callback_data=data)]])
    if accepted:
        await bot.send_message(CHAT, "pick", reply_markup=markup)
        [[button]] = fake_bot_api.sent[0]["reply_markup"]["inline_keyboard"]
        assert button["callback_data"] == data
        return
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(CHAT, "pick", reply_markup=markup)
    assert fake_bot_api.rejections[0].description == "Bad Request: BUTTON_DATA_INVALID"


async def test_buttons_need_an_action_and_a_valid_url(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    bare = InlineKeyboardMarkup([[InlineKeyboardButton("bare")]])
    bad_url = InlineKeyboardMarkup([[InlineKeyboardButton("web", url="not a url")]])
    good_url = InlineKeyboardMarkup([[InlineKeyboardButton("web", url="https://arxiv.org")]])
    for markup in (bare, bad_url):
        with pytest.raises(BadRequest):
            await bot.send_message(CHAT, "x", reply_markup=markup)
    await bot.send_message(CHAT, "x", reply_markup=good_url)
    assert [r.description for r in fake_bot_api.rejections] == [
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard",
        "Bad Request: inline keyboard button URL 'not a url' is invalid: Wrong HTTP URL",
    ]


async def test_identical_edit_is_not_modified(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    message = await bot.send_message(CHAT, "same")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("same", CHAT, message.message_id)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="b")]])
    edited = await bot.edit_message_reply_markup(CHAT, message.message_id, reply_markup=markup)
    assert not isinstance(edited, bool) and edited.reply_markup == markup
    assert [s["kind"] for s in fake_bot_api.sent] == ["message", "edit"]


# --- faults -------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_carries_retry_after(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "flood")
    assert caught.value.retry_after in (7, dtm.timedelta(seconds=7))
    await bot.send_message(CHAT, "fine now")
    assert fake_bot_api.rejections == [] and [e.status for e in fake_bot_api.errors] == [429]


async def test_error_bodies_have_bot_api_shape(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.fail_next("sendMessage", retry_after=3)
    async with httpx.AsyncClient() as client:
        flood = await client.post(raw_url(fake_bot_api, "sendMessage"), data={"chat_id": "1"})
        missing = await client.post(raw_url(fake_bot_api, "sendPigeon"))
    assert (flood.status_code, flood.json()) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    assert (missing.status_code, missing.json()) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert [r.method for r in fake_bot_api.rejections] == ["sendPigeon"]


async def test_blocked_chat_answers_403(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.block_chat(CHAT)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(CHAT, "hello")
    fake_bot_api.unblock_chat(CHAT)
    await bot.send_message(CHAT, "hello again")
    assert fake_bot_api.errors[0].description == "Forbidden: bot was blocked by the user"


# --- documents, members, commands, actions, replies ---------------------------------------


async def test_send_document_keeps_filename_and_bytes(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    payload = b"%PDF-1.4\r\n\x00\xff binary\r\n--not-a-boundary\r\n"
    message = await bot.send_document(
        CHAT, payload, filename="digest-2024-11-28.pdf", caption="<b>Digest</b>", parse_mode="HTML"
    )
    [sent] = fake_bot_api.sent
    assert sent["kind"] == "document"
    assert sent["filename"] == "digest-2024-11-28.pdf" and sent["content"] == payload
    assert sent["caption"] == "<b>Digest</b>" and sent["plain_text"] == "Digest"
    assert message.document is not None and message.document.file_size == len(payload)
    assert message.document.file_name == "digest-2024-11-28.pdf"
    assert message.caption == "Digest"
    again = await bot.send_document(CHAT, message.document.file_id)
    assert again.document is not None and again.document.file_id == message.document.file_id


async def test_document_caption_limit(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_document(CHAT, b"x", filename="a.txt", caption="c" * 1025)
    await bot.send_document(CHAT, b"x", filename="a.txt", caption=ASTRAL * 512)
    assert len(fake_bot_api.rejections) == 1


async def test_chat_members_report_configured_admins(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.set_admins(GROUP, [42], creator_id=7)
    assert isinstance(await bot.get_chat_member(GROUP, 42), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(GROUP, 7), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(GROUP, 99), ChatMemberMember)
    admins = await bot.get_chat_administrators(GROUP)
    assert [(a.status, a.user.id) for a in admins] == [("creator", 7), ("administrator", 42)]


async def test_my_commands_round_trip(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("digest", "Today's papers")], language_code="de")
    assert await bot.get_my_commands() == ()
    [command] = await bot.get_my_commands(language_code="de")
    assert (command.command, command.description) == ("digest", "Today's papers")
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Digest-Now", "x")])
    assert fake_bot_api.commands(language_code="de")[0]["command"] == "digest"


async def test_chat_action_and_reply_to(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    incoming = fake_bot_api.push_message(CHAT, "hello")
    assert await bot.send_chat_action(CHAT, "typing")
    reply = await bot.send_message(CHAT, "hi", reply_to_message_id=incoming["message_id"])
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "hello"
    assert reply.message_id == incoming["message_id"] + 1
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(CHAT, "hi", reply_to_message_id=999)
    assert fake_bot_api.chat_actions == [(CHAT, "typing")]
    assert fake_bot_api.sent[0]["reply_to_message_id"] == incoming["message_id"]


# --- long polling -------------------------------------------------------------------------


async def test_get_updates_wakes_on_push_and_honours_offset(fake_bot_api: FakeBotApi) -> None:
    fake_bot_api.max_poll_wait = 30  # a poll that a push does not wake takes 30 s
    async with httpx.AsyncClient(timeout=60) as client:
        poll = asyncio.create_task(
            client.post(raw_url(fake_bot_api, "getUpdates"), data={"timeout": "30"})
        )
        await fake_bot_api.wait_for(lambda: fake_bot_api.long_polls)
        pushed = time.monotonic()
        fake_bot_api.push_message(CHAT, "/start")
        [update] = (await poll).json()["result"]
        woke_after = time.monotonic() - pushed
        offset = str(update["update_id"] + 1)
        fake_bot_api.max_poll_wait = 0.2
        empty = await client.post(
            raw_url(fake_bot_api, "getUpdates"), data={"offset": offset, "timeout": "30"}
        )
    assert woke_after < 5
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert empty.json() == {"ok": True, "result": []}
    assert fake_bot_api.pending_updates == []


# --- forum topics -------------------------------------------------------------------------


async def test_a_command_in_a_topic_is_answered_in_that_topic(fake_bot_api: FakeBotApi) -> None:
    seen: list[tuple[bool, int | None, str | None]] = []

    async def here(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        assert message is not None and message.reply_to_message is not None
        created = message.reply_to_message.forum_topic_created
        seen.append((message.is_topic_message, message.message_thread_id, created and created.name))
        await message.reply_text("digests come here")

    app = make_app(fake_bot_api, CommandHandler("here", here))
    papers = fake_bot_api.create_topic(FORUM, "Papers")
    async with polling(app):
        fake_bot_api.push_message(FORUM, "/here", user_id=7, message_thread_id=papers)
        [reply] = await fake_bot_api.wait_for_messages(FORUM, 1)

    assert seen == [(True, papers, "Papers")]
    assert reply["message_thread_id"] == papers and reply["plain_text"] == "digests come here"
    stored = fake_bot_api.message(FORUM, reply["message_id"])
    assert stored is not None and stored["is_topic_message"] is True
    assert stored["chat"]["is_forum"] is True


async def test_messages_and_documents_go_to_the_topic_asked(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    fake_bot_api.make_forum(FORUM, title="Lab")
    papers, talk = (
        fake_bot_api.create_topic(FORUM, "Papers"),
        fake_bot_api.create_topic(FORUM, "Talk"),
    )
    sent = await bot.send_message(FORUM, "digest", message_thread_id=papers)
    document = await bot.send_document(FORUM, b"@misc{x}", filename="a.bib", message_thread_id=talk)
    general = await bot.send_message(FORUM, "in General")
    assert (sent.message_thread_id, sent.is_topic_message) == (papers, True)
    assert document.message_thread_id == talk
    assert general.message_thread_id is None and not general.is_topic_message
    assert [m["message_thread_id"] for m in fake_bot_api.messages_to(FORUM)] == [papers, talk, None]
    assert papers > 1 and talk > papers


async def test_a_closed_topic_refuses_the_bot_unless_it_manages_topics(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    papers = fake_bot_api.create_topic(FORUM, "Papers")
    fake_bot_api.close_topic(FORUM, papers)
    with pytest.raises(BadRequest, match="Topic_closed"):
        await bot.send_message(FORUM, "digest", message_thread_id=papers)
    with pytest.raises(BadRequest, match="Topic_closed"):
        await bot.send_document(FORUM, b"x", filename="a.bib", message_thread_id=papers)
    fake_bot_api.make_forum(FORUM, bot_can_manage_topics=True)
    assert (
        await bot.send_message(FORUM, "digest", message_thread_id=papers)
    ).message_thread_id == papers
    fake_bot_api.make_forum(FORUM)
    fake_bot_api.reopen_topic(FORUM, papers)
    assert await bot.send_message(FORUM, "digest", message_thread_id=papers)
    assert len(fake_bot_api.messages_to(FORUM)) == 2


@pytest.mark.parametrize("chat", [FORUM, GROUP, CHAT])
async def test_unknown_deleted_and_general_threads_are_not_found(
    fake_bot_api: FakeBotApi, bot: Bot, chat: int
) -> None:
    papers = fake_bot_api.create_topic(FORUM, "Papers")
    fake_bot_api.delete_topic(FORUM, papers)
    for thread in (papers, 1, 999):
        with pytest.raises(BadRequest, match="Message thread not found"):
            await bot.send_message(chat, "digest", message_thread_id=thread)
    assert fake_bot_api.messages_to(chat) == []
    assert all(
        e.description == "Bad Request: message thread not found" for e in fake_bot_api.errors
    )


async def test_a_reply_to_a_topic_message_lands_in_its_topic(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    papers = fake_bot_api.create_topic(FORUM, "Papers")
    asked = fake_bot_api.push_message(FORUM, "3", user_id=7, message_thread_id=papers)
    reply = await bot.send_message(FORUM, "paper 3", reply_to_message_id=asked["message_id"])
    assert reply.message_thread_id == papers
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "3"
    fake_bot_api.close_topic(FORUM, papers)
    with pytest.raises(BadRequest, match="Topic_closed"):
        await bot.send_message(FORUM, "paper 3", reply_to_message_id=asked["message_id"])


# --- channels -----------------------------------------------------------------------------


async def test_a_channel_post_has_the_channel_as_sender_and_no_user(
    fake_bot_api: FakeBotApi,
) -> None:
    seen: list[tuple[str, bool, int | None, list[str]]] = []

    async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        post = update.effective_message
        assert post is not None and update.effective_chat is not None
        sender = update.effective_sender
        seen.append(
            (
                update.effective_chat.type,
                update.effective_user is None and post.from_user is None,
                sender.id if sender else None,
                list(context.args or []),
            )
        )
        await post.reply_text("subscribed")

    posts = filters.UpdateType.CHANNEL_POSTS
    app = make_app(fake_bot_api, CommandHandler("subscribe", subscribe, filters=posts))
    async with polling(app):
        fake_bot_api.push_channel_post(CHANNEL, "/subscribe cs.AI", title="Lab news")
        [reply] = await fake_bot_api.wait_for_messages(CHANNEL, 1)

    assert seen == [("channel", True, CHANNEL, ["cs.AI"])]
    stored = fake_bot_api.message(CHANNEL, reply["message_id"])
    assert stored is not None and "from" not in stored
    assert stored["sender_chat"] == {"id": CHANNEL, "type": "channel", "title": "Lab news"}


async def test_a_channel_post_is_not_a_message_update(fake_bot_api: FakeBotApi) -> None:
    seen: list[str] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append("message" if update.message else "channel_post")

    app = make_app(fake_bot_api, CommandHandler("subscribe", record))
    app.add_handler(MessageHandler(filters.UpdateType.CHANNEL_POST, record))
    async with polling(app):
        fake_bot_api.push_channel_post(CHANNEL, "/subscribe cs.AI", author_signature="Ada")
        await fake_bot_api.wait_for(lambda: not fake_bot_api.pending_updates and seen)
    assert seen == ["channel_post"]


async def test_the_bot_edits_its_own_channel_post(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    fake_bot_api.push_channel_post(CHANNEL, "hello")
    post = await bot.send_message(CHANNEL, "digest page 1")
    assert post.from_user is None and post.sender_chat is not None
    assert post.sender_chat.id == CHANNEL
    await bot.edit_message_text("digest page 1, updated", CHANNEL, post.message_id)
    stored = fake_bot_api.message(CHANNEL, post.message_id)
    assert stored is not None and stored["text"] == "digest page 1, updated"
    assert "from" not in stored


# --- command menus ------------------------------------------------------------------------


async def test_menus_are_kept_per_scope_and_language(fake_bot_api: FakeBotApi, bot: Bot) -> None:
    private = BotCommandScopeAllPrivateChats()
    admins = BotCommandScopeAllChatAdministrators()
    await bot.set_my_commands([BotCommand("digest", "the digest now")])
    await bot.set_my_commands(
        [BotCommand("digest", "立即获取摘要")], scope=private, language_code="zh"
    )
    await bot.set_my_commands(
        [BotCommand("digest", "the digest now"), BotCommand("here", "digests here")], scope=admins
    )
    [zh_private] = await bot.get_my_commands(scope=private, language_code="zh")
    assert zh_private.description == "立即获取摘要"
    assert await bot.get_my_commands(scope=private) == ()
    assert [c.command for c in await bot.get_my_commands(scope=admins)] == ["digest", "here"]
    assert await bot.get_my_commands(scope=admins, language_code="zh") == ()
    assert [c["description"] for c in fake_bot_api.commands()] == ["the digest now"]
    menu = fake_bot_api.commands(scope={"type": "all_private_chats"}, language_code="zh")
    assert menu == [{"command": "digest", "description": "立即获取摘要"}]


# --- answer records and flood rules for benches -------------------------------------------


async def test_each_accepted_send_is_recorded_with_its_answer_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    path = tmp_path / "answers.jsonl"
    with FakeBotApi(answers_path=path) as server:
        async with Bot(TOKEN, base_url=server.base_url) as tg_bot:
            before = time.time()
            first = await tg_bot.send_message(CHAT, "<b>part 1</b>", parse_mode=ParseMode.HTML)
            await tg_bot.edit_message_text("part 1, edited", CHAT, first.message_id)
            with pytest.raises(BadRequest):
                await tg_bot.send_message(CHAT, "<b>unclosed", parse_mode=ParseMode.HTML)
            second = await tg_bot.send_document(CHAT, b"x", filename="a.md", caption="file")
            after = time.time()
        answers = server.answers()
        assert server.answers(1) == answers[1:]
    assert [(a["method"], a["chat_id"], a["message_id"], a["head"]) for a in answers] == [
        ("sendMessage", CHAT, first.message_id, "part 1"),
        ("sendDocument", CHAT, second.message_id, "file"),
    ]
    assert before <= answers[0]["at"] <= answers[1]["at"] <= after
    assert answers[0]["sha"] == hashlib.sha256(b"<b>part 1</b>").hexdigest()[:16]
    assert all(a["written"] for a in answers)
    on_disk = [json.loads(line) for line in path.read_text().splitlines()]
    assert on_disk == answers


async def test_an_answer_is_written_in_one_piece(fake_bot_api: FakeBotApi) -> None:
    """Headers and body in one write (and TCP_NODELAY): one read on loopback gets it all, so
    no answer waits for Nagle's algorithm between its headers and its body."""
    host, port = fake_bot_api.base_url.removeprefix("http://").split("/")[0].split(":")
    body = f"chat_id={CHAT}&text=whole".encode()
    request = (
        f"POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((host, int(port))) as client:
        client.sendall(request)
        reply = client.recv(65536)
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") and b"Connection: close" in head
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    assert len(payload) == length and json.loads(payload)["result"]["text"] == "whole"
    [answer] = fake_bot_api.answers()
    assert (answer["chat_id"], answer["head"], answer["written"]) == (CHAT, "whole", True)


async def test_chat_burst_allows_k_messages_then_one_per_interval(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    """chat_burst=K: a burst of K messages to one chat, then one per chat_flood_interval."""
    now = [1000.0]  # the server's clock, stepped here: a loaded machine cannot stretch it
    fake_bot_api.flood_clock = lambda: now[0]
    fake_bot_api.chat_flood_interval = 1.0
    fake_bot_api.chat_burst = 2
    await bot.send_message(CHAT, "one")
    await bot.send_message(CHAT, "two")  # a burst of two is allowed
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "three")  # a third at once is not
    await bot.send_message(CHAT + 1, "another chat")
    now[0] += 1.05  # one interval later the bucket holds one message again
    await bot.send_message(CHAT, "three, later")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "four")  # but not two
    assert [s["plain_text"] for s in fake_bot_api.messages_to(CHAT)] == [
        "one",
        "two",
        "three, later",
    ]
    assert fake_bot_api.flood_429s == 2


async def test_chat_burst_of_one_is_one_message_per_interval(
    fake_bot_api: FakeBotApi, bot: Bot
) -> None:
    now = [1000.0]
    fake_bot_api.flood_clock = lambda: now[0]
    fake_bot_api.chat_flood_interval = 0.5
    assert fake_bot_api.chat_burst == 1  # the default: today's rule
    await bot.send_message(CHAT, "one")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "two")
    now[0] += 0.55
    await bot.send_message(CHAT, "two, later")
    assert fake_bot_api.flood_429s == 1


def test_chat_burst_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="chat_burst"):
        FakeBotApi(chat_flood_interval=1.0, chat_burst=0)
