"""Digests: topics and what they match, selection, delivery slots, rendering (Telegram HTML,
Markdown, the reading list, BibTeX), text measuring and cutting."""

from __future__ import annotations

from bot.digest.bibtex import bibtex_document, bibtex_entry
from bot.digest.markdown import render_markdown, render_text
from bot.digest.readinglist import render_saved_page, saved_pages
from bot.digest.render import (
    DigestHeader,
    DigestPart,
    Entry,
    page_slices,
    render_digest_page,
    render_digest_parts,
    render_empty,
    render_paper,
)
from bot.digest.select import Pool, chat_feeds, chat_topics, feed_queries, join_feeds, select_papers
from bot.digest.slots import (
    DAILY,
    WEEKLY,
    Frequency,
    day_name,
    frequency_text,
    is_weekly,
    latest_slot,
    next_slot,
    parse_frequency,
    with_frequency,
)
from bot.digest.textcut import (
    fit_html,
    fold_full_width,
    plain_input,
    quote,
    shorten,
    strip_invisible,
)
from bot.digest.topics import (
    LookalikeTopicError,
    Topic,
    parse_topic_string,
    parse_topics,
    topic_matches,
)

__all__ = [
    "DAILY",
    "DigestHeader",
    "DigestPart",
    "Entry",
    "Frequency",
    "LookalikeTopicError",
    "Pool",
    "Topic",
    "WEEKLY",
    "bibtex_document",
    "bibtex_entry",
    "chat_feeds",
    "chat_topics",
    "day_name",
    "feed_queries",
    "fit_html",
    "fold_full_width",
    "frequency_text",
    "is_weekly",
    "latest_slot",
    "next_slot",
    "join_feeds",
    "page_slices",
    "parse_frequency",
    "parse_topic_string",
    "parse_topics",
    "plain_input",
    "quote",
    "render_digest_page",
    "render_digest_parts",
    "render_empty",
    "render_markdown",
    "render_paper",
    "render_saved_page",
    "render_text",
    "saved_pages",
    "select_papers",
    "shorten",
    "strip_invisible",
    "topic_matches",
    "with_frequency",
]
