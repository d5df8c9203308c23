"""A loopback Telegram Bot API that a real python-telegram-bot Application can poll and talk to."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import math
import os
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.fakes import PATIENCE

if TYPE_CHECKING:
    from telegram.ext import Application

JSONDict = dict[str, Any]
T = TypeVar("T")

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
DEFAULT_GROUP_USER_ID = 10_001
FLOOD_COUNTED = frozenset({"sendmessage", "senddocument"})  # methods a flood limit counts
LOOPBACK = "127.0.0.1,localhost"
THREAD_NOT_FOUND = "message thread not found"
TOPIC_CLOSED = "TOPIC_CLOSED"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
BUTTON_ACTIONS = frozenset(
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay".split()
)
ADMIN_RIGHTS: JSONDict = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


class ApiError(Exception):
    """A Bot API error answer; `rejection` marks a request Telegram would refuse as invalid."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        parameters: JSONDict | None = None,
        rejection: bool = True,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters
        self.rejection = rejection

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts limits and entity offsets in."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# --- HTML parse mode ------------------------------------------------------------------------

TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8}));")


def decode_entity(source: str, pos: int) -> tuple[str, int] | None:
    """The character an HTML entity at `pos` stands for and the position after it, if valid."""
    match = ENTITY_RE.match(source, pos)
    if not match:
        return None
    named, decimal, hexadecimal = match.groups()
    if named:
        return NAMED_ENTITIES[named], match.end()
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


@dataclass
class OpenTag:
    name: str
    offset: int
    attrs: dict[str, str]


class HtmlParser:
    """Telegram's HTML parse mode, strict: a violation raises "can't parse entities"."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.units = 0
        self.stack: list[OpenTag] = []
        self.entities: list[JSONDict] = []

    def parse(self) -> tuple[str, list[JSONDict]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "&":
                self._emit(self._entity(self.pos))
            elif char == "<" and self.source.startswith("</", self.pos):
                self._end_tag()
            elif char == "<":
                self._start_tag()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            name = self.stack[-1].name
            raise self._error(f'Can\'t find end tag corresponding to start tag "{name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _error(self, reason: str) -> ApiError:
        return bad_request(f"can't parse entities: {reason}")

    def _byte_offset(self, pos: int) -> int:
        return len(self.source[:pos].encode("utf-8", "surrogatepass"))

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.units += utf16_len(text)

    def _entity(self, begin: int) -> str:
        decoded = decode_entity(self.source, begin)
        if decoded is None:
            raise self._error(f'Unescaped "&" at byte offset {self._byte_offset(begin)}')
        char, self.pos = decoded
        return char

    def _scan(self, stop: Callable[[str], bool]) -> str:
        start = self.pos
        while self.pos < len(self.source) and not stop(self.source[self.pos]):
            self.pos += 1
        return self.source[start : self.pos]

    def _skip_space(self) -> None:
        self._scan(lambda c: not c.isspace())

    def _require_more(self, begin: int, reason: str) -> None:
        if self.pos >= len(self.source):
            raise self._error(f"{reason} at byte offset {self._byte_offset(begin)}")

    def _start_tag(self) -> None:
        begin = self.pos
        self.pos += 1
        name = self._scan(lambda c: c.isspace() or c == ">").lower()
        self._require_more(begin, "Unclosed start tag")
        if name not in TAG_ENTITY:
            raise self._error(
                f'Unsupported start tag "{name}" at byte offset {self._byte_offset(begin)}'
            )
        attrs = self._attributes(name, begin)
        self.pos += 1
        self._check_required_attributes(name, attrs, begin)
        self.stack.append(OpenTag(name, self.units, attrs))

    def _attributes(self, tag: str, begin: int) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while True:
            self._skip_space()
            self._require_more(begin, "Unclosed start tag")
            if self.source[self.pos] == ">":
                return attrs
            name = self._scan(lambda c: c.isspace() or c in "=>").lower()
            if not name:
                raise self._error(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self._byte_offset(begin)}"
                )
            self._skip_space()
            self._require_more(begin, "Unclosed start tag")
            if self.source[self.pos] != "=":
                attrs[name] = self._valueless_attribute(tag, name, begin)
                continue
            self.pos += 1
            self._skip_space()
            self._require_more(begin, "Unclosed start tag")
            attrs[name] = self._attribute_value(begin)

    def _valueless_attribute(self, tag: str, name: str, begin: int) -> str:
        if tag == "blockquote" and name == "expandable":
            return ""
        raise self._error(
            f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte '
            f"offset {self._byte_offset(begin)}"
        )

    def _attribute_value(self, begin: int) -> str:
        quote = self.source[self.pos]
        if quote not in "\"'":
            return self._scan(lambda c: c.isspace() or c == ">")
        self.pos += 1
        raw_start = self.pos
        raw = self._scan(lambda c: c == quote)
        self._require_more(begin, "Unclosed end of attribute value")
        self.pos += 1
        return self._decode_attribute(raw, raw_start)

    def _decode_attribute(self, raw: str, raw_start: int) -> str:
        parts: list[str] = []
        index = 0
        while index < len(raw):
            if raw[index] != "&":
                parts.append(raw[index])
                index += 1
                continue
            decoded = decode_entity(raw, index)
            if decoded is None:
                offset = self._byte_offset(raw_start + index)
                raise self._error(f'Unescaped "&" at byte offset {offset}')
            parts.append(decoded[0])
            index = decoded[1]
        return "".join(parts)

    def _check_required_attributes(self, name: str, attrs: dict[str, str], begin: int) -> None:
        where = f"at byte offset {self._byte_offset(begin)}"
        if name == "a" and not attrs.get("href"):
            raise self._error(f'Tag "a" must have attribute "href" {where}')
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise self._error(f'Tag "span" must have class "tg-spoiler" {where}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise self._error(f'Tag "tg-emoji" must have attribute "emoji-id" {where}')

    def _end_tag(self) -> None:
        begin = self.pos
        where = f"at byte offset {self._byte_offset(begin)}"
        if not self.stack:
            raise self._error(f"Unexpected end tag {where}")
        self.pos += 2
        name = self._scan(lambda c: c.isspace() or c == ">").lower()
        self._skip_space()
        if self.pos >= len(self.source) or self.source[self.pos] != ">":
            raise self._error(f"Unclosed end tag {where}")
        self.pos += 1
        tag = self.stack.pop()
        if name and name != tag.name:
            raise self._error(
                f'Unmatched end tag {where}, expected "</{tag.name}>", found "</{name}>"'
            )
        self._close(tag)

    def _close(self, tag: OpenTag) -> None:
        language = tag.attrs.get("class", "").removeprefix("language-")
        in_pre = bool(self.stack) and self.stack[-1].name == "pre"
        if tag.name == "code" and tag.attrs.get("class", "").startswith("language-") and in_pre:
            self.stack[-1].attrs["language"] = language
            return
        length = self.units - tag.offset
        if length > 0:
            self.entities.append(make_entity(tag, length))


def make_entity(tag: OpenTag, length: int) -> JSONDict:
    entity: JSONDict = {"type": TAG_ENTITY[tag.name], "offset": tag.offset, "length": length}
    if tag.name == "a":
        entity["url"] = tag.attrs["href"]
    elif tag.name == "pre" and tag.attrs.get("language"):
        entity["language"] = tag.attrs["language"]
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        entity["type"] = "expandable_blockquote"
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attrs["emoji-id"]
    return entity


def trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Strip surrounding whitespace as Telegram does, keeping entity offsets right."""
    stripped = text.strip()
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def render(text: str, parse_mode: str | None) -> tuple[str, list[JSONDict]]:
    """Text and entities as Telegram would store them (Markdown modes are not parsed)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return trim(*HtmlParser(text).parse())
    if mode in ("", "markdown", "markdownv2"):
        return trim(text, [])
    raise bad_request("unsupported parse_mode")


def render_limited(
    text: str, parse_mode: str | None, limit: int, too_long: str
) -> tuple[str, list[JSONDict]]:
    plain, entities = render(text, parse_mode)
    if utf16_len(plain) > limit:
        raise bad_request(too_long)
    return plain, entities


def command_entities(text: str) -> list[JSONDict]:
    """bot_command entities for every /command that starts the text or follows whitespace."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in re.finditer(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,32})?", text)
    ]


# --- reply markup -------------------------------------------------------------------------


def decode_json(name: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request(f"can't parse {name} JSON object") from None


def check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    if not button["text"]:
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not BUTTON_ACTIONS & button.keys():
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else 0
        if not 1 <= size <= CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        check_url(button["url"])


def check_url(url: Any) -> None:
    parts = urlsplit(url if isinstance(url, str) else "")
    valid = (parts.scheme in ("http", "https") and "." in parts.netloc) or parts.scheme == "tg"
    if not valid:
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def decode_reply_markup(raw: str | None) -> JSONDict | None:
    """The decoded reply_markup; inline keyboards are validated like Telegram does."""
    if raw is None:
        return None
    markup = decode_json("reply keyboard markup", raw)
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('can\'t parse inline keyboard: field "inline_keyboard" must be an Array')
    for row in rows:
        for button in row:
            check_button(button)
    return markup


def inline_markup(markup: JSONDict | None) -> JSONDict | None:
    """What a Message object carries: only a non-empty inline keyboard."""
    if markup and any(markup.get("inline_keyboard") or []):
        return markup
    return None


# --- request decoding ---------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str | None
    content: bytes
    mime_type: str | None


@dataclass(frozen=True)
class ApiRequest:
    """One decoded call: form values are strings exactly as PTB sent them (JSON for nested)."""

    method: str
    params: dict[str, str]
    files: dict[str, UploadedFile]

    def text(self, name: str) -> str | None:
        return self.params.get(name)

    def integer(self, name: str) -> int | None:
        raw = self.params.get(name)
        if raw is None:
            return None
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def required_int(self, name: str) -> int:
        value = self.integer(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def number(self, name: str, default: float) -> float:
        raw = self.params.get(name)
        return float(raw) if raw not in (None, "") else default

    def flag(self, name: str) -> bool:
        return self.params.get(name, "").lower() in ("true", "1")

    def json(self, name: str) -> Any:
        raw = self.params.get(name)
        return None if raw is None else decode_json(name, raw)


def header_params(value: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["content-type"] = value
    params = {k.lower(): v for k, v in message.get_params()[1:]} if message.get_params() else {}
    return message.get_content_type(), params


def unescape_form_param(value: str) -> str:
    value = re.sub(r"%(1[0-9A-F]|0[0-9A-F]|22)", lambda m: chr(int(m.group(1), 16)), value)
    return value.replace("\\\\", "\\")


def parse_part(part: bytes) -> tuple[dict[str, str], bytes]:
    head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head.decode("utf-8").split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    disposition = dict(re.findall(r'(\w+)="([^"]*)"', headers.get("content-disposition", "")))
    fields = {k: unescape_form_param(v) for k, v in disposition.items()}
    fields["content-type"] = headers.get("content-type", "")
    return fields, data.removesuffix(b"\r\n")


def parse_multipart(body: bytes, boundary: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    params: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        fields, data = parse_part(part)
        name = fields.get("name", "")
        if "filename" in fields:
            mime = fields["content-type"] or None
            files[name] = UploadedFile(name, fields["filename"] or None, data, mime)
        else:
            params[name] = data.decode("utf-8")
    return params, files


def decode_body(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    mime, params = header_params(content_type or "application/x-www-form-urlencoded")
    if mime == "multipart/form-data":
        return parse_multipart(body, params.get("boundary", ""))
    if mime == "application/json" and body:
        values = json.loads(body)
        return {k: v if isinstance(v, str) else json.dumps(v) for k, v in values.items()}, {}
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True)), {}


def split_path(path: str) -> tuple[str, str] | None:
    """("123:ABC", "getMe") from "/bot123:ABC/getMe"."""
    match = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", path)
    return (match.group(1), match.group(2)) if match else None


# --- recorded traffic ---------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    params: dict[str, str]
    files: tuple[str, ...]
    status: int
    description: str | None = None


@dataclass
class ChatRoles:
    creator_id: int | None = None
    admin_ids: set[int] = field(default_factory=set)


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None


@dataclass
class ForumTopic:
    """A topic of a forum supergroup; its id is the id of the service message that created it."""

    message_thread_id: int
    name: str
    created: JSONDict  # the forum_topic_created service message
    closed: bool = False
    deleted: bool = False


def _chat_number(request: ApiRequest) -> int:
    raw = request.text("chat_id") or ""
    return int(raw) if re.fullmatch(r"-?\d+", raw) else 0


def default_chat_type(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if str(chat_id).startswith("-100") else "group"


def fault_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after or 0}"
    return {
        400: "Bad Request: injected fault",
        403: "Forbidden: injected fault",
        500: "Internal Server Error",
        502: "Bad Gateway",
    }.get(status, "Injected fault")


# --- the fake -----------------------------------------------------------------------------


class FakeBotApi:
    """The Bot API state machine plus a loopback HTTP server that serves it to PTB."""

    def __init__(
        self,
        *,
        bot_username: str = "fake_bot",
        bot_first_name: str = "Fake Bot",
        max_poll_wait: float = 1.0,
        flood_limit: int | None = None,
        chat_flood_interval: float | None = None,
        chat_burst: int = 1,
        answers_path: str | os.PathLike[str] | None = None,
    ) -> None:
        # A strict server: more than `flood_limit` messages in any one second overall, or to one
        # chat more than a burst of `chat_burst` and then one per `chat_flood_interval` on
        # average (a token bucket), is answered 429 (None: no such limit). With chat_burst=1
        # (the default) two messages to one chat less than `chat_flood_interval` apart are too
        # many.
        if chat_burst < 1:
            raise ValueError("chat_burst must be at least 1")
        self.flood_limit = flood_limit
        self.chat_flood_interval = chat_flood_interval
        self.chat_burst = chat_burst
        self._chat_due: dict[int, float] = {}  # chat id -> its bucket's theoretical arrival time
        self.flood_clock = time.monotonic  # what flood limits count in (a test may step it)
        self.flood_429s = 0
        self._send_times: list[tuple[float, int]] = []  # (time.monotonic(), chat id) accepted
        # When each accepted send was answered (see `answers`), and optionally a JSON-lines copy
        # on disk, appended as they happen, for a bench that reads it after killing things.
        self._answers: list[JSONDict] = []
        self.answers_path = Path(answers_path) if answers_path is not None else None
        self._answers_file: Any = None
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.max_poll_wait = max_poll_wait
        self.token: str | None = None
        self._cond = threading.Condition(threading.RLock())
        self._stopping = False
        self._long_polls = 0
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self._update_id = 0
        self._updates: list[JSONDict] = []
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], JSONDict] = {}
        self._chats: dict[int, JSONDict] = {}
        self._users: dict[int, JSONDict] = {}
        self._roles: dict[int, ChatRoles] = {}
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}  # group id -> its supergroup id
        self._faults: dict[str, list[Fault]] = {}
        self._open_queries: set[str] = set()
        self._query_id = 0
        self._file_id = 0
        self._files: dict[str, UploadedFile] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._sent: list[JSONDict] = []
        self._requests: list[RecordedRequest] = []
        self._errors: list[RecordedRequest] = []
        self._rejections: list[RecordedRequest] = []
        self._callback_answers: list[JSONDict] = []
        self._chat_actions: list[tuple[int, str]] = []
        self._drafts: list[JSONDict] = []
        self._topics: dict[int, dict[int, ForumTopic]] = {}
        self._topic_managers: set[int] = set()  # forums where the bot may post in closed topics
        self._channel_posts_by_bot: set[tuple[int, int]] = set()
        self._methods: dict[str, Callable[[ApiRequest], Any]] = {
            name.lower(): handler for name, handler in self._method_table().items()
        }

    def _method_table(self) -> dict[str, Callable[[ApiRequest], Any]]:
        return {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "sendChatAction": self._send_chat_action,
            "sendMessageDraft": self._send_message_draft,
        }

    # -- lifecycle --

    def start(self) -> FakeBotApi:
        if self.answers_path is not None:
            self._answers_file = self.answers_path.open("a", encoding="utf-8")  # noqa: SIM115
        self._httpd = _HttpServer(("127.0.0.1", 0), _Handler)
        self._httpd.api = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="fake-bot-api", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake long polls, stop serving and join every handler thread."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._cond:
            if self._answers_file is not None:
                self._answers_file.close()
                self._answers_file = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "FakeBotApi is not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/bot"

    # -- test-side: incoming traffic --

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
        language_code: str | None = "en",
        first_name: str | None = None,
        username: str | None = None,
        title: str | None = None,
        message_thread_id: int | None = None,
    ) -> JSONDict:
        """Queue an Update with a user's text Message; returns the Message.

        With `message_thread_id` the message is sent inside that topic of a forum (see
        `create_topic`): it carries `is_topic_message`, and, when it replies to nothing else,
        `reply_to_message` is the topic's creation message, as Telegram sends it.
        """
        with self._cond:
            sender = self._sender(chat_id, user_id)
            user = self._remember_user(sender, first_name, username, language_code)
            chat = self._remember_chat(chat_id, chat_type, user, title)
            message: JSONDict = {
                "message_id": self._next_message_id(chat_id),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
            if entities := command_entities(text):
                message["entities"] = entities
            if reply_to_message_id is not None:
                message["reply_to_message"] = self._stored(chat_id, reply_to_message_id)
            if message_thread_id is not None:
                self._put_in_topic(message, self._open_topic(chat_id, message_thread_id))
            self._messages[(chat_id, message["message_id"])] = message
            self._enqueue({"message": message})
            return copy.deepcopy(message)

    def push_callback(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> str:
        """Queue a button press on a stored message; returns the callback query id."""
        with self._cond:
            message = self._stored(chat_id, message_id)
            self._query_id += 1
            query_id = str(self._query_id)
            self._open_queries.add(query_id)
            query = {
                "id": query_id,
                "from": self._user(self._sender(chat_id, user_id)),
                "message": message,
                "chat_instance": f"ci{chat_id}",
                "data": data,
            }
            self._enqueue({"callback_query": query})
            return query_id

    def push_edit(self, chat_id: int, message_id: int, text: str) -> JSONDict:
        """Queue an Update saying a user edited one of their messages to `text`."""
        with self._cond:
            message = self._stored(chat_id, message_id)
            message["text"] = text
            message["edit_date"] = int(time.time())
            message.pop("entities", None)
            if entities := command_entities(text):
                message["entities"] = entities
            self._enqueue({"edited_message": message})
            return copy.deepcopy(message)

    def press_button(
        self, chat_id: int, message_id: int, label: str, *, user_id: int | None = None
    ) -> str:
        """Press the inline button labelled `label` on a message the bot sent."""
        with self._cond:
            markup = self._stored(chat_id, message_id).get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if button.get("text") == label and "callback_data" in button:
                        return self.push_callback(
                            chat_id, message_id, button["callback_data"], user_id=user_id
                        )
        raise LookupError(f"no callback button {label!r} on message {chat_id}/{message_id}")

    def push_my_chat_member(
        self,
        chat_id: int,
        new_status: str = "kicked",
        *,
        chat_type: str | None = None,
        user_id: int | None = None,
        old_status: str | None = None,
    ) -> JSONDict:
        """Queue the bot's own membership change; "kicked"/"left" also blocks the chat."""
        gone = new_status in ("kicked", "left")
        private = (chat_type or default_chat_type(chat_id)) == "private"
        old_status = old_status or ("member" if gone else "kicked" if private else "left")
        with self._cond:
            user = self._remember_user(self._sender(chat_id, user_id), None, None, None)
            update = {
                "chat": self._remember_chat(chat_id, chat_type, user, None),
                "from": user,
                "date": int(time.time()),
                "old_chat_member": self._bot_member(old_status),
                "new_chat_member": self._bot_member(new_status),
            }
            (self._blocked.add if gone else self._blocked.discard)(chat_id)
            self._enqueue({"my_chat_member": update})
            return copy.deepcopy(update)

    def push_channel_post(
        self,
        chat_id: int,
        text: str,
        *,
        title: str | None = None,
        author_signature: str | None = None,
    ) -> JSONDict:
        """Queue a `channel_post` Update: a post in a channel, with no `from`, the channel as
        `sender_chat` (and the poster's `author_signature` when the channel signs posts)."""
        with self._cond:
            known = self._chats.get(chat_id, {}).get("type") == "channel"
            chat = self._remember_chat(
                chat_id, "channel", {}, title or (None if known else f"Channel {abs(chat_id)}")
            )
            message: JSONDict = {
                "message_id": self._next_message_id(chat_id),
                "sender_chat": chat,
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
            if entities := command_entities(text):
                message["entities"] = entities
            if author_signature is not None:
                message["author_signature"] = author_signature
            self._messages[(chat_id, message["message_id"])] = message
            self._enqueue({"channel_post": message})
            return copy.deepcopy(message)

    def push_channel_edit(self, chat_id: int, message_id: int, text: str) -> JSONDict:
        """Queue an `edited_channel_post` Update: a channel post edited to `text`."""
        with self._cond:
            message = self._stored(chat_id, message_id)
            message["text"] = text
            message["edit_date"] = int(time.time())
            message.pop("entities", None)
            if entities := command_entities(text):
                message["entities"] = entities
            self._enqueue({"edited_channel_post": message})
            return copy.deepcopy(message)

    # -- test-side: configuration --

    def set_admins(
        self, chat_id: int, admin_ids: Iterable[int], *, creator_id: int | None = None
    ) -> None:
        """Who getChatMember/getChatAdministrators report as administrators and creator."""
        with self._cond:
            self._roles[chat_id] = ChatRoles(creator_id, set(admin_ids))

    def block_chat(self, chat_id: int) -> None:
        with self._cond:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._cond:
            self._blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` answer this error instead of being served."""
        retry_after = retry_after if retry_after is not None or status != 429 else 1
        fault = Fault(status, description or fault_description(status, retry_after), retry_after)
        with self._cond:
            self._faults.setdefault(method.lower(), []).extend([fault] * times)

    def make_forum(
        self, chat_id: int, *, title: str | None = None, bot_can_manage_topics: bool = False
    ) -> JSONDict:
        """Make `chat_id` a supergroup with topics (`is_forum`); returns the Chat.

        `bot_can_manage_topics` is the admin right that lets the bot post in closed topics.
        """
        with self._cond:
            chat = self._remember_chat(chat_id, "supergroup", {}, title)
            self._chats[chat_id]["is_forum"] = True
            # Message 1 is the General topic's, so no topic gets message_thread_id 1.
            self._message_ids[chat_id] = max(self._message_ids.get(chat_id, 0), 1)
            (self._topic_managers.add if bot_can_manage_topics else self._topic_managers.discard)(
                chat_id
            )
            self._topics.setdefault(chat_id, {})
            return {**chat, "is_forum": True}

    def create_topic(self, chat_id: int, name: str, *, user_id: int | None = None) -> int:
        """Open a topic in a forum (made one if needed); returns its message_thread_id."""
        with self._cond:
            if self._chats.get(chat_id, {}).get("is_forum") is not True:
                self.make_forum(chat_id)
            thread_id = self._next_message_id(chat_id)
            created: JSONDict = {
                "message_id": thread_id,
                "from": self._user(self._sender(chat_id, user_id)),
                "chat": self._chat(chat_id),
                "date": int(time.time()),
                "message_thread_id": thread_id,
                "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": 7322096},
            }
            self._messages[(chat_id, thread_id)] = created
            self._topics[chat_id][thread_id] = ForumTopic(thread_id, name, created)
            return thread_id

    def close_topic(self, chat_id: int, message_thread_id: int) -> None:
        """Close a topic: only admins with can_manage_topics may post there (else TOPIC_CLOSED)."""
        with self._cond:
            self._known_topic(chat_id, message_thread_id).closed = True

    def reopen_topic(self, chat_id: int, message_thread_id: int) -> None:
        with self._cond:
            self._known_topic(chat_id, message_thread_id).closed = False

    def delete_topic(self, chat_id: int, message_thread_id: int) -> None:
        """Delete a topic: sending there answers "message thread not found"."""
        with self._cond:
            self._known_topic(chat_id, message_thread_id).deleted = True

    def migrate_chat(
        self, old_id: int, new_id: int, *, push_service_messages: bool = False
    ) -> None:
        """Group `old_id` became supergroup `new_id`: requests to `old_id` answer 400 with
        parameters.migrate_to_chat_id; optionally queue the two service messages Telegram sends."""
        with self._cond:
            self._migrated[old_id] = new_id
            if push_service_messages:
                self._push_migration(old_id, new_id)

    def _push_migration(self, old_id: int, new_id: int) -> None:
        user = self._remember_user(self._sender(old_id, None), None, None, None)
        old_chat = self._remember_chat(old_id, None, user, None)
        new_chat = self._remember_chat(new_id, "supergroup", user, old_chat.get("title"))
        for chat, field_name, other in ((old_chat, "migrate_to_chat_id", new_id),
                                        (new_chat, "migrate_from_chat_id", old_id)):  # fmt: skip
            message = {
                "message_id": self._next_message_id(chat["id"]),
                "from": user,
                "chat": chat,
                "date": int(time.time()),
                field_name: other,
            }
            self._enqueue({"message": message})

    def _refuse_migrated(self, chat_id: int) -> None:
        if chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self._migrated[chat_id]},
                rejection=False,
            )

    # -- test-side: observations --

    @property
    def sent(self) -> list[JSONDict]:
        """Every accepted outgoing message, document and edit, oldest first."""
        with self._cond:
            return copy.deepcopy(self._sent)

    def messages_to(self, chat_id: int, *, include_edits: bool = False) -> list[JSONDict]:
        kinds = ("message", "document", "edit") if include_edits else ("message", "document")
        return [s for s in self.sent if s["chat_id"] == chat_id and s["kind"] in kinds]

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The current state of a stored message (edits applied), as the Bot API shows it."""
        with self._cond:
            return copy.deepcopy(self._messages.get((chat_id, message_id)))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._requests)

    def calls(self, method: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method.lower() == method.lower()]

    @property
    def rejections(self) -> list[RecordedRequest]:
        """Requests refused as invalid (bad HTML, too long, bad buttons, unknown method...)."""
        with self._cond:
            return list(self._rejections)

    @property
    def errors(self) -> list[RecordedRequest]:
        """Every error answer: rejections plus injected faults and blocked chats."""
        with self._cond:
            return list(self._errors)

    @property
    def callback_answers(self) -> list[JSONDict]:
        with self._cond:
            return copy.deepcopy(self._callback_answers)

    def drafts_to(self, chat_id: int) -> list[JSONDict]:
        """The accepted drafts to a private chat, oldest first: draft_id, text (HTML as sent),
        plain_text, at (time.monotonic() when accepted)."""
        with self._cond:
            return [copy.deepcopy(d) for d in self._drafts if d["chat_id"] == chat_id]

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        with self._cond:
            return list(self._chat_actions)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates the bot has not confirmed yet (with a later getUpdates offset)."""
        with self._cond:
            return copy.deepcopy(self._updates)

    @property
    def long_polls(self) -> int:
        """How many getUpdates calls are waiting right now (the bot is idle and listening)."""
        with self._cond:
            return self._long_polls

    def commands(self, *, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        with self._cond:
            return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    async def wait_for(self, predicate: Callable[[], T], timeout: float = PATIENCE) -> T:
        """Poll `predicate` without blocking the event loop; return its first truthy result."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(f"condition not met within {timeout}s; {self._summary()}")
            await asyncio.sleep(0.01)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        timeout: float = PATIENCE,
        *,
        include_edits: bool = False,
    ) -> list[JSONDict]:
        """Wait until at least `count` messages went to `chat_id`; return all of them."""

        def enough() -> list[JSONDict]:
            messages = self.messages_to(chat_id, include_edits=include_edits)
            return messages if len(messages) >= count else []

        return await self.wait_for(enough, timeout)

    def _summary(self) -> str:
        sent = [(s["kind"], s["chat_id"], s.get("plain_text")) for s in self.sent[-5:]]
        errors = [(e.method, e.status, e.description) for e in self.errors[-5:]]
        return f"last sent: {sent}; last errors: {errors}"

    # -- HTTP entry point --

    def handle(
        self, path: str, params: dict[str, str], files: dict[str, UploadedFile]
    ) -> tuple[int, JSONDict]:
        """Serve one HTTP call; returns the status and the JSON body."""
        parts = split_path(path)
        request = ApiRequest(parts[1] if parts else path, params, files)
        try:
            if parts is None:
                raise ApiError(404, "Not Found")
            result = self._dispatch(parts[0], request)
        except Exception as exc:  # noqa: BLE001 (a fake's bug must reach the test, not a log)
            error = exc if isinstance(exc, ApiError) else ApiError(500, f"Fake API bug: {exc!r}")
            self._record(request, error.status, error)
            return error.status, error.payload()
        self._record(request, 200, None)
        return 200, {"ok": True, "result": result}

    def _dispatch(self, token: str, request: ApiRequest) -> Any:
        with self._cond:
            self.token = token
            handler = self._methods.get(request.method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            self._raise_fault(request.method)
            sending = request.method.lower() in FLOOD_COUNTED
            if sending:
                self._check_flood(request)
            result = handler(request)
            if sending:
                self._count_send(_chat_number(request))
            return result

    def _count_send(self, chat_id: int) -> None:
        """An accepted message: it counts overall and in its chat's bucket."""
        now = self.flood_clock()
        self._send_times.append((now, chat_id))
        if self.chat_flood_interval is not None:
            due = self._chat_due.get(chat_id, -math.inf)
            self._chat_due[chat_id] = max(due, now) + self.chat_flood_interval

    @property
    def send_times(self) -> list[tuple[float, int]]:
        """(time.monotonic(), chat id) of every message accepted, oldest first."""
        with self._cond:
            return list(self._send_times)

    def answers(self, start: int = 0) -> list[JSONDict]:
        """When each accepted send (sendMessage, sendDocument) was answered, from index `start`.

        Each is a dict: `at` (time.time() just before the answer's bytes were written to the
        socket), `chat_id`, `message_id`, `method`, `sha` (the first 16 hex digits of the
        SHA-256 of the text or caption as sent), `head` (its first 60 characters, as shown),
        `written` (False when the client had gone: the message was sent all the same).
        Oldest first; also appended as JSON lines to `answers_path` when one was given.
        """
        with self._cond:
            return copy.deepcopy(self._answers[start:])

    def note_answer(
        self, at: float, method: str, params: dict[str, str], result: Any
    ) -> JSONDict | None:
        """Record that an accepted send is answered at `at` (the HTTP layer calls this just
        before writing the answer); returns the record (None: not a send)."""
        if method.lower() not in FLOOD_COUNTED or not isinstance(result, dict):
            return None
        text = params.get("text") or params.get("caption") or ""
        shown = result.get("text", result.get("caption")) or ""
        record = {
            "at": at,
            "chat_id": result["chat"]["id"],
            "message_id": result["message_id"],
            "method": method,
            "sha": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
            "head": shown[:60],
            "written": True,
        }
        with self._cond:
            self._answers.append(record)
        return record

    def answer_written(self, record: JSONDict, written: bool) -> None:
        """The answer was written (or the client had gone): the record's line goes to disk."""
        with self._cond:
            record["written"] = written
            if self._answers_file is not None:
                self._answers_file.write(json.dumps(record, ensure_ascii=False) + "\n")
                self._answers_file.flush()

    def _check_flood(self, request: ApiRequest) -> None:
        """Answer 429 as a strict server counts flood limits.

        Overall, a sliding window: `flood_limit` messages in the last second are too many. To
        one chat, a token bucket (GCRA): a burst of `chat_burst` messages, then one per
        `chat_flood_interval` on average; with chat_burst=1, two messages less than
        chat_flood_interval apart are too many.
        """
        now = self.flood_clock()
        chat_id = _chat_number(request)
        overall = 0
        for at, _ in reversed(self._send_times):
            if now - at >= 1.0:
                break
            overall += 1
        too_many = self.flood_limit is not None and overall >= self.flood_limit
        interval = self.chat_flood_interval
        due = self._chat_due.get(chat_id, -math.inf)  # the bucket's theoretical arrival time
        too_soon = interval is not None and now < due - (self.chat_burst - 1) * interval
        if too_many or too_soon:
            self.flood_429s += 1
            raise ApiError(
                429, fault_description(429, 1), parameters={"retry_after": 1}, rejection=False
            )

    def _raise_fault(self, method: str) -> None:
        queue = self._faults.get(method.lower())
        if not queue:
            return
        fault = queue.pop(0)
        parameters = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
        raise ApiError(fault.status, fault.description, parameters=parameters, rejection=False)

    def _record(self, request: ApiRequest, status: int, error: ApiError | None) -> None:
        recorded = RecordedRequest(
            request.method,
            dict(request.params),
            tuple(request.files),
            status,
            error.description if error else None,
        )
        with self._cond:
            self._requests.append(recorded)
            if error is not None:
                self._errors.append(recorded)
            if error is not None and error.rejection:
                self._rejections.append(recorded)

    # -- identities and storage (call with the lock held) --

    def _bot_user(self) -> JSONDict:
        prefix = (self.token or "").partition(":")[0]
        bot_id = int(prefix) if prefix.isdigit() else 123456
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _bot_member(self, status: str) -> JSONDict:
        member: JSONDict = {"status": status, "user": self._bot_user()}
        if status == "kicked":
            member["until_date"] = 0
        if status == "administrator":
            member.update(ADMIN_RIGHTS)
        return member

    def _sender(self, chat_id: int, user_id: int | None) -> int:
        if user_id is not None:
            return user_id
        return chat_id if chat_id > 0 else DEFAULT_GROUP_USER_ID

    def _user(self, user_id: int) -> JSONDict:
        if user_id == self._bot_user()["id"]:
            return self._bot_user()
        return copy.deepcopy(
            self._users.get(user_id)
            or {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )

    def _remember_user(
        self,
        user_id: int,
        first_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> JSONDict:
        user = self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )
        optional = {"first_name": first_name, "username": username, "language_code": language_code}
        user.update({k: v for k, v in optional.items() if v is not None})
        return copy.deepcopy(user)

    def _remember_chat(
        self, chat_id: int, chat_type: str | None, user: JSONDict, title: str | None
    ) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None and chat_type in (None, known["type"]) and title is None:
            return copy.deepcopy(known)
        kind = chat_type or default_chat_type(chat_id)
        chat: JSONDict = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = user["first_name"]
            chat.update({"username": user["username"]} if "username" in user else {})
        else:
            chat["title"] = title or f"Group {abs(chat_id)}"
        self._chats[chat_id] = chat
        return copy.deepcopy(chat)

    def _chat(self, chat_id: int) -> JSONDict:
        if chat_id not in self._chats:
            self._remember_chat(chat_id, None, self._user(chat_id), None)
        return copy.deepcopy(self._chats[chat_id])

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _stored(self, chat_id: int, message_id: int) -> JSONDict:
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        shallow = copy.deepcopy(message)
        shallow.pop("reply_to_message", None)
        return shallow

    def _enqueue(self, body: JSONDict) -> None:
        self._update_id += 1
        self._updates.append({"update_id": self._update_id, **copy.deepcopy(body)})
        self._cond.notify_all()

    @staticmethod
    def _commands_key(scope: JSONDict | None, language_code: str) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code

    # -- request helpers --

    def _target_chat(self, request: ApiRequest) -> int:
        raw = request.text("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if not re.fullmatch(r"-?\d+", raw):
            raise bad_request("chat not found")
        chat_id = int(raw)
        if chat_id in self._blocked:
            raise ApiError(403, f"Forbidden: {self._block_reason(chat_id)}", rejection=False)
        self._refuse_migrated(chat_id)
        return chat_id

    def _block_reason(self, chat_id: int) -> str:
        kind = self._chats.get(chat_id, {}).get("type") or default_chat_type(chat_id)
        if kind == "private":
            return "bot was blocked by the user"
        return f"bot was kicked from the {kind} chat"

    def _reply_target(self, chat_id: int, request: ApiRequest) -> JSONDict | None:
        reply = request.json("reply_parameters") or {}
        message_id = reply.get("message_id", request.integer("reply_to_message_id"))
        if message_id is None:
            return None
        try:
            return self._stored(int(reply.get("chat_id", chat_id)), int(message_id))
        except LookupError:
            allowed = reply.get("allow_sending_without_reply") or request.flag(
                "allow_sending_without_reply"
            )
            if allowed:
                return None
            raise bad_request("message to be replied not found") from None

    def _new_bot_message(
        self, chat_id: int, content: JSONDict, reply_to: JSONDict | None
    ) -> JSONDict:
        message: JSONDict = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v},
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if message["chat"]["type"] == "channel":
            # A channel post has no sender user; the channel itself is the sender.
            del message["from"]
            message["sender_chat"] = message["chat"]
            self._channel_posts_by_bot.add((chat_id, message["message_id"]))
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _log_sent(self, kind: str, message: JSONDict, request: ApiRequest, **extra: Any) -> None:
        reply_to = message.get("reply_to_message") or {}
        self._sent.append(
            {
                "kind": kind,
                "method": request.method,
                "chat_id": message["chat"]["id"],
                "message_id": message["message_id"],
                "text": request.text("text"),
                "plain_text": message.get("text", message.get("caption")),
                "parse_mode": request.text("parse_mode"),
                "reply_markup": decode_reply_markup(request.text("reply_markup")),
                "reply_to_message_id": reply_to.get("message_id"),
                "filename": None,
                "content": None,
                "caption": request.text("caption"),
                "message_thread_id": message.get("message_thread_id"),
                **extra,
            }
        )

    def _editable(self, chat_id: int, request: ApiRequest) -> JSONDict:
        if request.text("inline_message_id"):
            raise bad_request("inline messages are not supported by the fake")
        message = self._messages.get((chat_id, request.required_int("message_id")))
        if message is None:
            raise bad_request("message to edit not found")
        by_bot = (chat_id, message["message_id"]) in self._channel_posts_by_bot
        if not by_bot and not message.get("from", {}).get("is_bot"):
            raise bad_request("message can't be edited")
        return message

    def _known_topic(self, chat_id: int, message_thread_id: int) -> ForumTopic:
        topic = self._topics.get(chat_id, {}).get(message_thread_id)
        if topic is None:
            raise LookupError(f"no topic {message_thread_id} in chat {chat_id}")
        return topic

    def _open_topic(self, chat_id: int, message_thread_id: int) -> ForumTopic:
        """A topic that exists (a test pushing into a deleted one is a test's bug)."""
        topic = self._known_topic(chat_id, message_thread_id)
        if topic.deleted:
            raise LookupError(f"topic {message_thread_id} of chat {chat_id} was deleted")
        return topic

    def _sending_topic(
        self, chat_id: int, request: ApiRequest, reply_to: JSONDict | None
    ) -> ForumTopic | None:
        """The topic a bot message goes to: `message_thread_id`, else the replied-to message's.

        Like Telegram: the General topic (1), an unknown or deleted topic, or a thread id in a
        chat without topics is "message thread not found"; a closed topic is TOPIC_CLOSED
        unless the bot may manage topics there.
        """
        thread_id = request.integer("message_thread_id")
        if thread_id is None and reply_to is not None and reply_to.get("is_topic_message"):
            thread_id = reply_to.get("message_thread_id")
        if thread_id is None:
            return None
        topic = self._topics.get(chat_id, {}).get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request(THREAD_NOT_FOUND)
        if topic.closed and chat_id not in self._topic_managers:
            raise bad_request(TOPIC_CLOSED)
        return topic

    @staticmethod
    def _put_in_topic(message: JSONDict, topic: ForumTopic | None, *, bot: bool = False) -> None:
        """Mark a message as sent in a topic; a user's that replies to nothing replies to the
        topic's creation message (Telegram's shape; the bot's own keep no such reply)."""
        if topic is None:
            return
        message["message_thread_id"] = topic.message_thread_id
        message["is_topic_message"] = True
        if not bot and "reply_to_message" not in message:
            message["reply_to_message"] = copy.deepcopy(topic.created)

    # -- Bot API methods (run with the lock held) --

    def _get_me(self, request: ApiRequest) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _delete_webhook(self, request: ApiRequest) -> bool:
        if request.flag("drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_my_commands(self, request: ApiRequest) -> bool:
        commands = request.json("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(request.json("scope"), request.text("language_code") or "")
        self._commands[key] = commands
        return True

    def _get_my_commands(self, request: ApiRequest) -> list[JSONDict]:
        key = self._commands_key(request.json("scope"), request.text("language_code") or "")
        return self._commands.get(key, [])

    def _get_updates(self, request: ApiRequest) -> list[JSONDict]:
        offset = request.integer("offset") or 0
        limit = min(max(request.integer("limit") or 100, 1), 100)
        wait = min(request.number("timeout", 0.0), self.max_poll_wait)
        if offset < 0:
            return self._updates[offset:][:limit]
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + wait
        self._long_polls += 1
        try:
            while not self._updates and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
        finally:
            self._long_polls -= 1
        return self._updates[:limit]

    def _send_message(self, request: ApiRequest) -> JSONDict:
        chat_id = self._target_chat(request)
        text = request.text("text") or ""
        plain, entities = render_limited(
            text, request.text("parse_mode"), MESSAGE_LIMIT, "message is too long"
        )
        if not plain:
            raise bad_request("message text is empty")
        markup = decode_reply_markup(request.text("reply_markup"))
        reply_to = self._reply_target(chat_id, request)
        topic = self._sending_topic(chat_id, request, reply_to)
        content = {"text": plain, "entities": entities, "reply_markup": inline_markup(markup)}
        message = self._new_bot_message(chat_id, content, reply_to)
        self._put_in_topic(message, topic, bot=True)
        self._log_sent("message", message, request)
        return message

    def _edit_message_text(self, request: ApiRequest) -> JSONDict:
        chat_id = self._target_chat(request)
        message = self._editable(chat_id, request)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        plain, entities = render_limited(
            request.text("text") or "",
            request.text("parse_mode"),
            MESSAGE_LIMIT,
            "message is too long",
        )
        if not plain:
            raise bad_request("message text is empty")
        markup = inline_markup(decode_reply_markup(request.text("reply_markup")))
        self._apply_edit(message, {"text": plain, "entities": entities, "reply_markup": markup})
        self._log_sent("edit", message, request)
        return message

    def _edit_message_reply_markup(self, request: ApiRequest) -> JSONDict:
        chat_id = self._target_chat(request)
        message = self._editable(chat_id, request)
        markup = inline_markup(decode_reply_markup(request.text("reply_markup")))
        self._apply_edit(message, {"reply_markup": markup})
        self._log_sent("edit", message, request)
        return message

    @staticmethod
    def _apply_edit(message: JSONDict, changes: JSONDict) -> None:
        if all(message.get(key) == (value or None) for key, value in changes.items()):
            raise bad_request(NOT_MODIFIED.removeprefix("Bad Request: "))
        for key, value in changes.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())

    def _answer_callback_query(self, request: ApiRequest) -> bool:
        query_id = request.text("callback_query_id") or ""
        if query_id not in self._open_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(request.text("text") or "") > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_queries.discard(query_id)
        self._callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": request.text("text"),
                "show_alert": request.flag("show_alert"),
                "url": request.text("url"),
            }
        )
        return True

    def _send_document(self, request: ApiRequest) -> JSONDict:
        chat_id = self._target_chat(request)
        upload, document = self._document(request)
        caption, entities = render_limited(
            request.text("caption") or "",
            request.text("parse_mode"),
            CAPTION_LIMIT,
            "message caption is too long",
        )
        markup = decode_reply_markup(request.text("reply_markup"))
        reply_to = self._reply_target(chat_id, request)
        topic = self._sending_topic(chat_id, request, reply_to)
        content = {
            "document": document,
            "caption": caption,
            "caption_entities": entities,
            "reply_markup": inline_markup(markup),
        }
        message = self._new_bot_message(chat_id, content, reply_to)
        self._put_in_topic(message, topic, bot=True)
        self._log_sent(
            "document",
            message,
            request,
            filename=upload.filename if upload else document.get("file_name"),
            content=upload.content if upload else None,
            mime_type=upload.mime_type if upload else None,
        )
        return message

    def _document(self, request: ApiRequest) -> tuple[UploadedFile | None, JSONDict]:
        reference = request.text("document")
        attached = reference.removeprefix("attach://") if reference else "document"
        upload = request.files.get(attached)
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            return upload, self._store_file(upload)
        if reference and reference in self._files:
            known = self._files[reference]
            return known, self._file_meta(reference, known)
        if reference and reference.startswith(("http://", "https://")):
            name = urlsplit(reference).path.rsplit("/", 1)[-1] or "file"
            return None, {
                "file_id": f"url-{name}",
                "file_unique_id": f"url-{name}",
                "file_name": name,
            }
        if reference:
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request("there is no document in the request")

    def _store_file(self, upload: UploadedFile) -> JSONDict:
        self._file_id += 1
        file_id = f"fake-document-{self._file_id}"
        self._files[file_id] = upload
        return self._file_meta(file_id, upload)

    @staticmethod
    def _file_meta(file_id: str, upload: UploadedFile) -> JSONDict:
        meta: JSONDict = {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(upload.content),
        }
        if upload.filename:
            meta["file_name"] = upload.filename
        if upload.mime_type:
            meta["mime_type"] = upload.mime_type
        return meta

    def _get_chat_member(self, request: ApiRequest) -> JSONDict:
        chat_id = request.required_int("chat_id")
        return self._member(chat_id, request.required_int("user_id"))

    def _get_chat_administrators(self, request: ApiRequest) -> list[JSONDict]:
        chat_id = request.required_int("chat_id")
        if chat_id > 0:
            raise bad_request("there are no administrators in the private chat")
        roles = self._roles.get(chat_id, ChatRoles())
        creator = [roles.creator_id] if roles.creator_id is not None else []
        return [self._member(chat_id, uid) for uid in creator + sorted(roles.admin_ids)]

    def _member(self, chat_id: int, user_id: int) -> JSONDict:
        roles = self._roles.get(chat_id, ChatRoles())
        user = self._user(user_id)
        if user_id == roles.creator_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in roles.admin_ids:
            return {"status": "administrator", "user": user, **ADMIN_RIGHTS}
        return {"status": "member", "user": user}

    def _send_message_draft(self, request: ApiRequest) -> bool:
        """sendMessageDraft as the Bot API documents it (https://core.telegram.org/bots/api
        #sendmessagedraft, Bot API 9.3, all bots since 9.5; read through python-telegram-bot
        22.8's Bot.send_message_draft and aiogram's copy of the page): `chat_id` of a private
        chat, `draft_id` non-zero, `text` 0-4096 characters after entities parsing (empty: a
        "Thinking..." placeholder), `parse_mode` validated like sendMessage's. The answer to
        a group or channel (400) is this fake's wording: the docs give none. Returns True."""
        chat_id = self._target_chat(request)
        kind = self._chats.get(chat_id, {}).get("type") or default_chat_type(chat_id)
        if kind != "private":
            raise bad_request("the method can be used only in private chats")
        raw_id = request.text("draft_id") or ""
        if not re.fullmatch(r"-?\d+", raw_id) or int(raw_id) == 0:
            raise bad_request("draft_id must be non-zero")
        text = request.text("text") or ""
        plain, _ = render_limited(
            text, request.text("parse_mode"), MESSAGE_LIMIT, "message is too long"
        )
        self._drafts.append(
            {"chat_id": chat_id, "draft_id": int(raw_id), "text": text, "plain_text": plain,
             "message_thread_id": request.text("message_thread_id"), "at": time.monotonic()}
        )  # fmt: skip
        return True

    def _send_chat_action(self, request: ApiRequest) -> bool:
        chat_id = self._target_chat(request)
        action = request.text("action") or ""
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._chat_actions.append((chat_id, action))
        return True


# --- HTTP glue ----------------------------------------------------------------------------


class _HttpServer(ThreadingHTTPServer):
    """Non-daemon handler threads, joined by server_close(), so a test leaves none behind."""

    daemon_threads = False
    block_on_close = True
    request_queue_size = 256  # a bot sending to many chats at once opens many connections
    api: FakeBotApi


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    # TCP_NODELAY on each accepted socket (set by StreamRequestHandler.setup): an answer is not
    # held back by Nagle's algorithm waiting for the client's delayed ACK (about 40 ms).
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        path, _, query = self.path.partition("?")
        try:
            params, files = decode_body(self.headers.get("Content-Type", ""), self._read_body())
        except ValueError as exc:
            self._reply(400, ApiError(400, f"Bad Request: undecodable body: {exc}").payload())
            return
        params = {**dict(parse_qsl(query)), **params}
        api = self.server.api
        status, payload = api.handle(path, params, files)
        data = self._answer_bytes(status, payload)
        parts = split_path(path)
        record = None
        at = time.time()
        if status == 200 and parts is not None:  # recorded before the client can read it
            record = api.note_answer(at, parts[1], params, payload.get("result"))
        written = self._write(data)
        if record is not None:
            api.answer_written(record, written)

    do_GET = do_POST  # noqa: N815

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def _reply(self, status: int, payload: JSONDict) -> None:
        self._write(self._answer_bytes(status, payload))

    def _answer_bytes(self, status: int, payload: JSONDict) -> bytes:
        """The whole answer, headers and body, to be written with one write."""
        body = json.dumps(payload).encode("utf-8")
        phrase = self.responses.get(status, ("",))[0]
        head = (
            f"{self.protocol_version} {status} {phrase}\r\n"
            f"Server: {self.version_string()}\r\n"
            f"Date: {self.date_time_string()}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        )
        self.close_connection = True
        self.log_request(status)
        return head.encode("latin-1") + body

    def _write(self, data: bytes) -> bool:
        """One write of a whole answer; False when the client was gone (killed, timed out)."""
        try:
            self.wfile.write(data)
        except OSError:
            return False
        return True

    def log_message(self, *args: object) -> None:
        pass


# --- pytest and PTB helpers ---------------------------------------------------------------


@pytest.fixture
def fake_bot_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeBotApi]:
    """A started FakeBotApi for one test; loopback is exempted from any HTTP(S)_PROXY."""
    for name in ("NO_PROXY", "no_proxy"):
        existing = os.environ.get(name)
        monkeypatch.setenv(name, f"{LOOPBACK},{existing}" if existing else LOOPBACK)
    with FakeBotApi() as server:
        yield server


@contextlib.asynccontextmanager
async def polling(
    app: Application[Any, Any, Any, Any, Any, Any], timeout: int = 1
) -> AsyncIterator[None]:
    """Run `app` with long polls of `timeout` seconds for the body of the block, then shut it
    down cleanly."""
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=timeout)
        try:
            yield
        finally:
            await app.updater.stop()
            await app.stop()
