"""Every inline button's callback data, built and read in one place; bad data reads as None."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

MAX_DATA_BYTES = 64  # Telegram's limit on a button's callback data
PAPER_PREFIX = "p:"  # p:<digest number>:<entry number>
PAGE_PREFIX = "pg:"  # pg:<digest number>:<page>
REMOVE_PREFIX = "rm:"  # rm:<topic token>
SETTING_PREFIX = "set:"  # set:<toggle name>
SETTING_NAMES = ("repl", "pause", "freq")  # freq: daily <-> weekly
VOTE_PREFIX = "v:"  # v:+:<arXiv id> (👍) or v:-:<arXiv id> (👎), under an expanded paper
SAVE_PREFIX = "sv:"  # sv:<arXiv id> (⭐): add to / remove from the chat's reading list
UNSAVE_PREFIX = "us:"  # us:<arXiv id>: the /saved button that takes a paper off the list
SAVED_PAGE_PREFIX = "sp:"  # sp:<page>: a further page of /saved
READY_PREFIX = "q:"  # q:<n|e|l>:<arXiv id>: a ready question about an expanded paper
READY_CODES = {"n": "new", "e": "eval", "l": "limits"}  # code in the data -> question name
# arXiv ids as stored: 2402.01295 or astro-ph/0601001 (no version)
_PAPER_ID = re.compile(r"\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7}")
_COUNT = re.compile(r"[1-9][0-9]{0,8}")  # ASCII digits, no sign, no leading zero
_TOKEN = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class PaperButton:
    """Expand entry `number` of digest `digest`."""

    digest: int
    number: int


@dataclass(frozen=True)
class PageButton:
    """Send page `page` of digest `digest`."""

    digest: int
    page: int


@dataclass(frozen=True)
class RemoveButton:
    """Stop following the topic whose token (see topic_token) this is."""

    token: str


@dataclass(frozen=True)
class SettingButton:
    """Toggle one setting of the /settings screen."""

    name: str


@dataclass(frozen=True)
class VoteButton:
    """A 👍 (`up`) or 👎 vote on the paper `paper_id`; pressing it again withdraws it."""

    paper_id: str
    up: bool


@dataclass(frozen=True)
class SaveButton:
    """⭐: put the paper `paper_id` on the chat's reading list, or take it off."""

    paper_id: str


@dataclass(frozen=True)
class UnsaveButton:
    """Take the paper `paper_id` off the chat's reading list (a button of /saved)."""

    paper_id: str


@dataclass(frozen=True)
class SavedPageButton:
    """Send page `page` of the reading list as /saved last numbered it."""

    page: int


@dataclass(frozen=True)
class ReadyButton:
    """Ask the ready question `question` ("new", "eval", "limits") about paper `paper_id`."""

    question: str
    paper_id: str


Button = (
    PaperButton
    | PageButton
    | RemoveButton
    | SettingButton
    | VoteButton
    | SaveButton
    | UnsaveButton
    | SavedPageButton
    | ReadyButton
)


def paper_data(digest: int, number: int) -> str:
    """Data of the button that expands entry `number` of digest `digest`."""
    return f"{PAPER_PREFIX}{digest}:{number}"


def page_data(digest: int, page: int) -> str:
    """Data of the button that sends page `page` of digest `digest`."""
    return f"{PAGE_PREFIX}{digest}:{page}"


def topic_token(topic: str) -> str:
    """A short stable id of a stored topic string (12 hex digits)."""
    return hashlib.sha256(topic.encode("utf-8")).hexdigest()[:12]


def remove_data(topic: str) -> str:
    """Data of the /list button that removes `topic`."""
    return REMOVE_PREFIX + topic_token(topic)


def setting_data(name: str) -> str:
    """Data of a /settings toggle button; `name` is one of SETTING_NAMES."""
    if name not in SETTING_NAMES:
        raise ValueError(f"no setting button {name!r}")
    return SETTING_PREFIX + name


def vote_data(paper_id: str, up: bool) -> str:
    """Data of the 👍 (`up`) or 👎 button under an expanded paper."""
    return f"{VOTE_PREFIX}{'+' if up else '-'}:{paper_id}"


def save_data(paper_id: str) -> str:
    """Data of the ⭐ button under an expanded paper."""
    return SAVE_PREFIX + paper_id


def unsave_data(paper_id: str) -> str:
    """Data of the /saved button that takes a paper off the reading list."""
    return UNSAVE_PREFIX + paper_id


def saved_page_data(page: int) -> str:
    """Data of the button that sends page `page` of the reading list."""
    return f"{SAVED_PAGE_PREFIX}{page}"


def ready_data(question: str, paper_id: str) -> str:
    """Data of a ready-question button under an expanded paper."""
    code = next(code for code, name in READY_CODES.items() if name == question)
    return f"{READY_PREFIX}{code}:{paper_id}"


def parse_button(data: object) -> Button | None:
    """The button some callback data stands for, or None for data no button of ours has."""
    if not isinstance(data, str) or len(data.encode("utf-8", "surrogatepass")) > MAX_DATA_BYTES:
        return None
    if data.startswith(PAGE_PREFIX):
        numbers = _two_counts(data.removeprefix(PAGE_PREFIX))
        return PageButton(*numbers) if numbers else None
    if data.startswith(PAPER_PREFIX):
        numbers = _two_counts(data.removeprefix(PAPER_PREFIX))
        return PaperButton(*numbers) if numbers else None
    if data.startswith(REMOVE_PREFIX):
        token = data.removeprefix(REMOVE_PREFIX)
        return RemoveButton(token) if _TOKEN.fullmatch(token) else None
    if data.startswith(VOTE_PREFIX):
        sign, sep, paper_id = data.removeprefix(VOTE_PREFIX).partition(":")
        ok = sep and sign in ("+", "-") and _PAPER_ID.fullmatch(paper_id)
        return VoteButton(paper_id, sign == "+") if ok else None
    if data.startswith(SAVE_PREFIX):
        paper_id = data.removeprefix(SAVE_PREFIX)
        return SaveButton(paper_id) if _PAPER_ID.fullmatch(paper_id) else None
    if data.startswith(UNSAVE_PREFIX):
        paper_id = data.removeprefix(UNSAVE_PREFIX)
        return UnsaveButton(paper_id) if _PAPER_ID.fullmatch(paper_id) else None
    if data.startswith(SAVED_PAGE_PREFIX):
        page = data.removeprefix(SAVED_PAGE_PREFIX)
        return SavedPageButton(int(page)) if _COUNT.fullmatch(page) else None
    if data.startswith(READY_PREFIX):
        code, sep, paper_id = data.removeprefix(READY_PREFIX).partition(":")
        ok = sep and code in READY_CODES and _PAPER_ID.fullmatch(paper_id)
        return ReadyButton(READY_CODES[code], paper_id) if ok else None
    if data.startswith(SETTING_PREFIX):
        name = data.removeprefix(SETTING_PREFIX)
        return SettingButton(name) if name in SETTING_NAMES else None
    return None


def _two_counts(text: str) -> tuple[int, int] | None:
    """The two positive whole numbers of "<a>:<b>", or None."""
    first, sep, second = text.partition(":")
    if not sep or not _COUNT.fullmatch(first) or not _COUNT.fullmatch(second):
        return None
    return int(first), int(second)
