"""Parse arXiv answers (rss.arxiv.org RSS and Atom, the export.arxiv.org API): bytes to papers."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

import feedparser

from bot.arxiv.clean import (
    clean_abstract,
    clean_text,
    clean_title,
    collapse_whitespace,
    detex_name,
    normalize_arxiv_id,
    split_authors,
)
from bot.errors import FeedError
from bot.models import Paper

log = logging.getLogger(__name__)

ERROR_FEED_TITLE = "Feed error for query"  # rss.arxiv.org's title for a feed it cannot serve
API_ERROR_ID = "arxiv.org/api/errors"  # the id of the one entry in an API error answer
_HTML_START = re.compile(r"\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S)
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_CLOSING_TAGS = (b"</item>", b"</entry>", b"</channel>", b"</rss>", b"</feed>")

Document = Any  # feedparser.FeedParserDict, untyped
Entry = Any  # one of its entries, a FeedParserDict too


@dataclass(frozen=True)
class Feed:
    """One announcement as a feed gives it: the feed's title, its date and its papers in order."""

    title: str
    announced: str  # ISO date of the announcement ("" when unknown)
    papers: tuple[Paper, ...]


def parse_feed(content: bytes) -> Feed:
    """Read an rss.arxiv.org feed (RSS 2.0 or Atom); FeedError for an error feed or non-feed bytes.

    A feed with no items (a day without announcements) is a Feed without papers, not an error.
    """
    document = _read(content)
    title = clean_text(document.feed.get("title", ""))
    if title.startswith(ERROR_FEED_TITLE):
        raise FeedError(_error_feed_message(title, document.feed.get("subtitle", "")))
    channel_date = _local_date(document.feed.get("published", ""))
    build = partial(_feed_paper, channel_date=channel_date)
    papers = tuple(
        paper
        for entry in _complete_entries(document, content)
        if (paper := _paper_or_none(build, entry))
    )
    announced = channel_date or max((paper.announced for paper in papers), default="")
    return Feed(title=title, announced=announced, papers=papers)


def parse_api(content: bytes) -> list[Paper]:
    """Read an export.arxiv.org/api/query answer, 2016 or current shape; [] when nothing matched.

    arXiv answers a bad query (HTTP 400) with a one-entry feed: a FeedError with arXiv's reason.
    """
    document = _read(content)
    for entry in document.entries:
        if API_ERROR_ID in entry.get("id", ""):
            reason = clean_text(entry.get("summary", "")) or entry["id"]
            raise FeedError(f"arXiv API error: {reason}")
    return [
        paper
        for entry in _complete_entries(document, content)
        if (paper := _paper_or_none(_api_paper, entry))
    ]


def _local_date(timestamp: str) -> str:
    """The calendar date of a feed timestamp in its own time zone, "" when there is none.

    "Thu, 28 Nov 2024 00:00:00 -0500" (arXiv's midnight, US Eastern) is "2024-11-28"; it is read
    from the raw text, as feedparser's *_parsed values are converted to UTC.
    """
    timestamp = timestamp.strip()
    if not timestamp:
        return ""
    try:
        return datetime.fromisoformat(timestamp).date().isoformat()  # Atom, API: ISO 8601
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(timestamp).date().isoformat()  # RSS: RFC 822
    except (TypeError, ValueError):
        log.debug("Unreadable feed date %r", timestamp)
        return ""


def _read(content: bytes) -> Document:
    """Parse bytes with feedparser, leniently, without its HTML sanitizer; FeedError if no feed."""
    if not isinstance(content, bytes):
        raise TypeError(f"parse takes the bytes of an answer, not {type(content).__name__}")
    # A stream, because feedparser treats bytes that name a file as that file's path. No
    # sanitizing: it reads the math in "$2<q<p$" as tags and rewrites it to "$2<q><p>$".
    stream = io.BytesIO(content)
    document = feedparser.parse(stream, sanitize_html=False, resolve_relative_uris=False)
    if not document.get("version"):
        raise FeedError(f"Not an RSS or Atom feed: {_describe(content)}")
    return document


def _describe(content: bytes) -> str:
    """A short, printable description of bytes that should have been a feed."""
    if not content.strip():
        return "the answer was empty"
    page = _html_title(content)
    if page is not None:
        return f"an HTML page ({page!r})" if page else "an HTML page"
    start = content.strip()[:60].decode("utf-8", "replace")
    printable = "".join(char if char.isprintable() else " " for char in start)
    return f"{len(content)} bytes starting {collapse_whitespace(printable)!r}"


def _html_title(content: bytes) -> str | None:
    """The title of an HTML page (an error page, say), "" if it has none; None if not HTML."""
    head = content[:4096].decode("utf-8", "replace")
    if not _HTML_START.match(head):
        return None
    title = _HTML_TITLE.search(head)
    return collapse_whitespace(title.group(1))[:80] if title else ""


def _error_feed_message(title: str, description: str) -> str:
    """One line: the query arXiv refused and its reason ("Bad archive 'astroph'. Valid ...")."""
    query = title.removeprefix(ERROR_FEED_TITLE).lstrip(": ").strip()
    reason = clean_text(description)
    return f"arXiv feed error for {query}: {reason}" if reason else f"arXiv feed error for {query}"


def _complete_entries(document: Document, content: bytes) -> list[Entry]:
    """The entries that arrived whole.

    A document cut off inside its last entry (the Atom fixture ends in the middle of one) loses
    that entry, as its abstract may be cut too; any entry without id (or link), title or abstract
    goes.
    """
    entries = list(document.entries)
    if entries and document.get("bozo") and not content.rstrip().endswith(_CLOSING_TAGS):
        dropped = entries.pop()
        log.warning("Feed ends inside an entry; dropped the incomplete %s", _label(dropped))
    complete = []
    for entry in entries:
        missing = [key for key in ("title", "summary") if not entry.get(key, "").strip()]
        if not _entry_id(entry):
            missing.insert(0, "id")
        if missing:
            log.warning("Dropped feed entry %s without %s", _label(entry), ", ".join(missing))
        else:
            complete.append(entry)
    return complete


def _paper_or_none(build: Callable[[Entry], Paper], entry: Entry) -> Paper | None:
    """Build a paper from an entry, or log and skip it if its id is no arXiv id."""
    try:
        return build(entry)
    except ValueError as error:
        log.warning("Dropped feed entry %s: %s", _label(entry), error)
        return None


def _feed_paper(entry: Entry, channel_date: str) -> Paper:
    """A paper from an rss.arxiv.org item or entry: guid/id oai:arXiv.org:<id>v<n>, dc:creator."""
    arxiv_id, version = normalize_arxiv_id(_entry_id(entry))
    return Paper(
        id=arxiv_id,
        version=version,
        title=clean_title(entry["title"]),
        abstract=clean_abstract(entry["summary"]),
        authors=split_authors(entry.get("author", "")),
        categories=_categories(entry),
        announce_type=entry.get("arxiv_announce_type", "new").strip().lower() or "new",
        announced=_local_date(entry.get("published", "")) or channel_date,
        doi=entry.get("arxiv_doi", "").strip(),
        journal_ref=clean_text(entry.get("arxiv_journal_reference", "")),
    )


def _api_paper(entry: Entry) -> Paper:
    """A paper from an API entry: id http://arxiv.org/abs/<id>v<n>, one <author> per name."""
    arxiv_id, version = normalize_arxiv_id(_entry_id(entry))
    primary = entry.get("arxiv_primary_category", {}).get("term", "")
    authors = (detex_name(author.get("name", "")) for author in entry.get("authors", []))
    return Paper(
        id=arxiv_id,
        version=version,
        title=clean_title(entry["title"]),
        abstract=clean_abstract(entry["summary"]),
        authors=tuple(name for name in authors if name),
        categories=_categories(entry, primary),
        announce_type="new",
        announced=_local_date(entry.get("published", "")),
        doi=entry.get("arxiv_doi", "").strip(),
        journal_ref=clean_text(entry.get("arxiv_journal_ref", "")),
    )


def _entry_id(entry: Entry) -> str:
    """The guid or Atom id (which carries the version), else the link (version 1)."""
    return str(entry.get("id") or entry.get("link") or "").strip()


def _categories(entry: Entry, primary: str = "") -> tuple[str, ...]:
    """Categories in feed order, the primary first, each once."""
    terms = [primary] + [tag.get("term", "") for tag in entry.get("tags", [])]
    return tuple(dict.fromkeys(term.strip() for term in terms if term.strip()))


def _label(entry: Entry) -> str:
    return str(entry.get("id") or entry.get("link") or entry.get("title") or "(no id)")
