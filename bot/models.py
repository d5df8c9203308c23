"""The data the engine passes around: papers, summaries, chats, digests (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from functools import cache, cached_property
from typing import Any, TypeVar

T = TypeVar("T")

ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")
ABS_URL = "https://arxiv.org/abs/"
PDF_URL = "https://arxiv.org/pdf/"
GITHUB_URL = "https://github.com/"
HF_PAPER_URL = "https://huggingface.co/papers/"


@cache
def _field_names(cls: type) -> frozenset[str]:
    return frozenset(f.name for f in fields(cls))


def _from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a dataclass from a stored dict, ignoring unknown keys and turning lists into tuples."""
    known = _field_names(cls)  # type: ignore[arg-type]  # a class is hashable
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in known}
    return cls(**values)


@dataclass(frozen=True)
class Paper:
    """One arXiv paper as announced: cleaned text, authors, categories with the primary first."""

    id: str  # "2402.01295" or "astro-ph/0601001", never with a version
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # primary first
    announce_type: str = "new"  # new | cross | replace | replace-cross (API look-ups: "new")
    announced: str = ""  # ISO date of the announcement, "2024-11-28"
    doi: str = ""
    journal_ref: str = ""

    @cached_property
    def key(self) -> str:
        """The id with its version: summaries are cached per key and language."""
        return f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return ABS_URL + self.id

    @property
    def pdf_url(self) -> str:
        return PDF_URL + self.id

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class Summary:
    """A paper in one language: title and abstract (translated unless `en`) and a one-line TL;DR."""

    paper_key: str
    lang: str
    title: str
    tldr: str
    abstract: str
    source: str = "offline"  # "llm" or "offline"; offline ones are retried on a later run
    brief: bool = False  # title and TL;DR only: the abstract is translated when first asked for

    @property
    def needs_abstract(self) -> bool:
        """Whether the abstract is still to be translated (made briefly by the LLM)."""
        return self.brief and self.source == "llm"

    @property
    def is_fallback(self) -> bool:
        return self.source != "llm"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class PaperLinks:
    """A paper's code and what cites it: its GitHub repository ("owner/repo", checked, with its
    stars when known) and how many models, datasets and Spaces on Hugging Face cite it."""

    repo: str = ""  # "owner/repo", validated (bot.links), or "" when none is known
    stars: int | None = None
    models: int = 0
    datasets: int = 0
    spaces: int = 0

    @property
    def cited(self) -> bool:
        """Whether anything on Hugging Face cites the paper."""
        return bool(self.models or self.datasets or self.spaces)

    @property
    def empty(self) -> bool:
        return not self.repo and not self.cited

    @property
    def repo_url(self) -> str:
        return GITHUB_URL + self.repo if self.repo else ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaperLinks:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class Chat:
    """One chat's subscriptions and settings."""

    chat_id: int
    topics: tuple[str, ...] = ()  # canonical topic strings, see bot.digest.topics
    lang: str = "en"
    time: str = "08:00"  # "HH:MM" local to `timezone`, or "asap"
    timezone: str = "UTC"
    limit: int = 30
    paused: bool = False
    active: bool = True
    include_replacements: bool = False
    last_announced: str = ""  # ISO date of the newest announcement day this chat was sent
    last_slot: str = ""  # ISO datetime (UTC) of the latest delivery time already handled
    is_group: bool = False
    frequency: str = "daily"  # "daily" | "weekly", see bot.digest.slots
    weekday: int = 0  # the weekly digest's day, 0 Monday ... 6 Sunday
    thread_id: int = 0  # the forum topic digests go to (message_thread_id); 0: General / none
    interests: str = ""  # the chat's interests in its own words (/interests), they rank digests
    # English search terms an LLM made of `interests` in another language (bot.llm.terms)
    interest_terms: tuple[str, ...] = ()
    terms_failures: int = 0  # unusable answers for these interests; terms are asked again below 3
    interests_tip_shown: bool = False  # a digest header told it once how to set interests
    daily_questions: int | None = (
        None  # /questions: its own cap on /ask (None: ask.daily_questions)
    )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chat:
        return _from_dict(cls, data)

    def with_changes(self, **changes: Any) -> Chat:
        return replace(self, **changes)


@dataclass(frozen=True)
class Digest:
    """One digest made for one chat: its papers in reference order, and how far delivery got."""

    chat_id: int
    number: int  # 1, 2, 3 ... per chat
    announced: str  # ISO date of the newest announcement day it covers
    topics: tuple[str, ...]
    paper_ids: tuple[str, ...]  # reference N is paper_ids[N - 1]
    lang: str = "en"
    limit: int = 30  # entries per page, fixed when the digest is made so pages stay stable
    created: float = 0.0  # unix time
    message_ids: tuple[int, ...] = field(default=())  # Telegram message ids of delivered parts
    parts_sent: int = 0  # messages of the current page already delivered (crash resume)
    done: bool = False
    # why each first-page entry ranks where it does, in reference order (bot.ranking.order words it)
    reasons: tuple[dict[str, Any], ...] = ()
    interests_tip: bool = False  # its header says how to set interests (cold start, once)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Digest:
        return _from_dict(cls, data)

    def with_changes(self, **changes: Any) -> Digest:
        return replace(self, **changes)


@dataclass(frozen=True)
class Section:
    """One part of a paper's full text: its number ("3.2", "A", ""), heading and plain text."""

    number: str
    heading: str
    text: str

    @property
    def label(self) -> str:
        """How an answer cites it: "§3.2 Training data" (no § when it has no number)."""
        name = " ".join(part for part in (self.number, self.heading) if part)
        return f"§{name}" if self.number else name


@dataclass(frozen=True)
class FullText:
    """A paper's text as arXiv's HTML rendering gives it, stored once per paper.

    `missing`: arXiv has no HTML for this version (answers come from the abstract);
    `fetched`: unix time of the fetch (a missing one is asked again a day later).
    """

    paper_id: str
    title: str = ""
    sections: tuple[Section, ...] = ()
    missing: bool = False
    fetched: float = 0.0

    @property
    def chars(self) -> int:
        return sum(len(s.text) for s in self.sections)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sections"] = [[s.number, s.heading, s.text] for s in self.sections]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FullText:
        sections = tuple(Section(*map(str, row)) for row in data.get("sections", ()))
        return replace(_from_dict(cls, {**data, "sections": []}), sections=sections)
