"""Ranking: a day's TF-IDF index, interests and votes to an order with reasons, the optional
embeddings API, and `Ranking` (each chat's order, on the Engine)."""

from __future__ import annotations

from bot.ranking.order import INTERESTS_LIMIT, InterestsRefused, Ranking, clean_interests, reason_of
from bot.ranking.rank import reason_text

__all__ = [
    "INTERESTS_LIMIT",
    "InterestsRefused",
    "Ranking",
    "clean_interests",
    "reason_of",
    "reason_text",
]
