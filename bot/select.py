"""The digest rules: which papers a chat gets and in what order, and which feeds to fetch."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.errors import UnknownTopicError
from bot.models import Chat, Paper
from bot.taxonomy import active_archives, archive_of, canonical_archive, canonical_category
from bot.topics import KEYWORD_KINDS, Topic, parse_topic_string, topic_matches

log = logging.getLogger(__name__)

DEFAULT_MAX_QUERY_LEN = 1500  # characters of "cat1+cat2+..." per feed URL
_COUNTED_TYPES = frozenset({"new", "cross"})
_REPLACEMENT_TYPES = frozenset({"replace", "replace-cross"})
_TYPE_RANK = {"new": 1, "cross": 2, "replace": 3, "replace-cross": 3}  # keyword matches are 0


@lru_cache(maxsize=1024)
def chat_topics(topics: tuple[str, ...]) -> tuple[Topic, ...]:
    """The Topics of a chat's stored topic strings; one that no longer parses is skipped, logged."""
    parsed: list[Topic] = []
    for text in topics:
        try:
            parsed.append(parse_topic_string(text))
        except (UnknownTopicError, ValueError) as error:
            log.warning("skipping stored topic %r: %s", text, error)
    return tuple(parsed)


def select_papers(papers: Iterable[Paper], chat: Chat, already_sent: set[str]) -> list[Paper]:
    """The papers a chat's digest holds, each once, in digest order.

    A paper is in when it matches any positive topic, no exclusion phrase occurs in it, its id is
    not in `already_sent`, and it is announced as new or cross (or replace / replace-cross when
    the chat opted in). Order: keyword and author matches, then new submissions, then
    cross-lists, then replacements; input order within each group. The first occurrence of an
    id wins. A chat with no positive topic gets nothing.
    """
    topics = chat_topics(chat.topics)
    positive = [t for t in topics if t.is_positive]
    exclusions = [t for t in topics if not t.is_positive]
    if not positive:
        return []
    allowed = _COUNTED_TYPES | (_REPLACEMENT_TYPES if chat.include_replacements else frozenset())
    chosen: list[tuple[int, Paper]] = []
    taken = set(already_sent)
    for paper in papers:
        if paper.id in taken or paper.announce_type not in allowed:
            continue
        rank = _rank(paper, positive)
        if rank is None or any(topic_matches(t, paper) for t in exclusions):
            continue
        taken.add(paper.id)
        chosen.append((rank, paper))
    chosen.sort(key=lambda ranked: ranked[0])  # stable: input order within a group
    return [paper for _, paper in chosen]


def _rank(paper: Paper, positive: Sequence[Topic]) -> int | None:
    """The paper's group in the digest order, or None when no topic matches it."""
    matched = [t for t in positive if topic_matches(t, paper)]
    if not matched:
        return None
    if any(t.kind in KEYWORD_KINDS for t in matched):
        return 0
    return _TYPE_RANK.get(paper.announce_type, len(_TYPE_RANK))


def chat_feeds(topics: Iterable[Topic], keyword_scope: Sequence[str]) -> frozenset[str]:
    """The feed names (categories and archives) a set of topics needs fetched: each category or
    archive itself, and the keyword scope when a phrase or author topic is among them."""
    feeds: set[str] = set()
    for topic in topics:
        if topic.kind in ("category", "archive"):
            feeds.add(topic.value)
        elif topic.kind in KEYWORD_KINDS:
            feeds.update(_scope(keyword_scope))
    return frozenset(feeds)


def _scope(keyword_scope: Sequence[str]) -> tuple[str, ...]:
    """The keyword scope as feed names; empty means every active archive."""
    if not keyword_scope:
        return active_archives()
    return tuple(canonical_archive(s) or canonical_category(s) or s for s in keyword_scope)


def feed_queries(
    chats: Iterable[Chat], keyword_scope: Sequence[str], max_len: int = DEFAULT_MAX_QUERY_LEN
) -> list[str]:
    """The feeds to fetch for every active chat, as "+"-joined queries ("cs.AI+hep-th+stat.ML").

    Paused chats count (their /digest still works, and a resumed chat has the latest day);
    chats that blocked the bot do not. Each name appears once, sorted; a category whose archive
    is fetched is left out; a query grows no longer than `max_len` characters, so several are
    returned when the names do not fit in one.
    """
    names: set[str] = set()
    for chat in chats:
        if chat.active:
            names |= chat_feeds(chat_topics(chat.topics), keyword_scope)
    return join_feeds(sorted(_without_covered(names)), max_len)


def _without_covered(names: set[str]) -> set[str]:
    """The names minus the categories whose archive is among them (cs.AI when cs is)."""
    archives = {n for n in names if canonical_archive(n) == n}
    return {n for n in names if n in archives or archive_of(n) not in archives}


def join_feeds(names: Sequence[str], max_len: int = DEFAULT_MAX_QUERY_LEN) -> list[str]:
    """Names joined with "+" into as few queries as fit in `max_len` characters each."""
    queries: list[str] = []
    current = ""
    for name in names:
        if current and len(current) + 1 + len(name) > max_len:
            queries.append(current)
            current = ""
        current = f"{current}+{name}" if current else name
    if current:
        queries.append(current)
    return queries
