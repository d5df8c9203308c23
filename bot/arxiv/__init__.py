"""arXiv: the client (feeds, the API, etiquette), parsing, text cleaning, the category taxonomy."""

from __future__ import annotations

from bot.arxiv.clean import ascii_digits, normalize_arxiv_id, plain_markup
from bot.arxiv.client import ArxivClient
from bot.arxiv.fulltext import parse_html
from bot.arxiv.parse import Feed, parse_api, parse_feed
from bot.arxiv.taxonomy import (
    active_archives,
    archive_of,
    canonical_archive,
    canonical_category,
    category_name,
    equivalents,
    is_active_category,
    known_names,
    suggest,
)

__all__ = [
    "ArxivClient",
    "Feed",
    "active_archives",
    "archive_of",
    "ascii_digits",
    "canonical_archive",
    "canonical_category",
    "category_name",
    "equivalents",
    "is_active_category",
    "known_names",
    "normalize_arxiv_id",
    "parse_api",
    "parse_feed",
    "parse_html",
    "plain_markup",
    "suggest",
]
