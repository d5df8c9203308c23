"""The digest rules: which papers a chat gets and in what order, and which feeds to fetch."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.arxiv import active_archives, archive_of, canonical_archive, canonical_category
from bot.digest.topics import KEYWORD_KINDS, Topic, parse_topic_string, topic_matches
from bot.errors import UnknownTopicError
from bot.models import Chat, Paper

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


class Pool:
    """Papers that many chats select from: each topic's matches are found once, for all of them.

    A delivery pass shares one pool per window of days, so a chat's selection costs the union
    of its topics' matches, not a scan of every paper. Safe to share between threads.
    """

    def __init__(self, papers: Iterable[Paper]) -> None:
        self.papers = tuple(papers)
        self._matches: dict[Topic, frozenset[int]] = {}

    def matching(self, topic: Topic) -> frozenset[int]:
        """Positions of the papers that match `topic` (found on first asking)."""
        found = self._matches.get(topic)
        if found is None:
            found = frozenset(i for i, p in enumerate(self.papers) if topic_matches(topic, p))
            self._matches[topic] = found  # another thread may have found the same: no harm
        return found

    def union(self, topics: Iterable[Topic]) -> set[int]:
        return set().union(*(self.matching(topic) for topic in topics))


def select_papers(
    papers: Iterable[Paper] | Pool, chat: Chat, already_sent: set[str]
) -> list[Paper]:
    """The papers a chat's digest holds, each once, in digest order.

    A paper is in when it matches any positive topic, no exclusion phrase occurs in it, its id is
    not in `already_sent`, and it is announced as new or cross (or replace / replace-cross when
    the chat opted in). Order: keyword and author matches, then new submissions, then
    cross-lists, then replacements; input order within each group. The first occurrence of an
    id wins. A chat with no positive topic gets nothing.
    """
    pool = papers if isinstance(papers, Pool) else Pool(papers)
    topics = chat_topics(chat.topics)
    positive = [t for t in topics if t.is_positive]
    if not positive:
        return []
    by_keyword = pool.union(t for t in positive if t.kind in KEYWORD_KINDS)
    matched = by_keyword | pool.union(t for t in positive if t.kind not in KEYWORD_KINDS)
    matched -= pool.union(t for t in topics if not t.is_positive)
    allowed = _COUNTED_TYPES | (_REPLACEMENT_TYPES if chat.include_replacements else frozenset())
    chosen: list[tuple[int, int, Paper]] = []
    taken = set(already_sent)
    for index in sorted(matched):
        paper = pool.papers[index]
        if paper.id in taken or paper.announce_type not in allowed:
            continue
        taken.add(paper.id)
        rank = 0 if index in by_keyword else _TYPE_RANK.get(paper.announce_type, len(_TYPE_RANK))
        chosen.append((rank, index, paper))
    chosen.sort(key=lambda ranked: ranked[:2])  # input order within a group
    return [paper for _, _, paper in chosen]


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
