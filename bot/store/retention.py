"""Retention: what is older than `keep_days` goes, except what a chat still references."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.store.asking import FullTexts, Questions, ReadyAnswers, Threads
from bot.store.db import Database
from bot.store.digests import Deliveries, Digests
from bot.store.papers import Papers, Summaries
from bot.store.reserved import Saved

DAY = 86400
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pruned:
    """What one pruning pass removed."""

    papers: int
    digests: int

    def line(self) -> str:
        return f"pruned {self.papers} papers (with their summaries) and {self.digests} digests"


@dataclass(frozen=True)
class Concerns:
    """The concerns retention reads and prunes, all on one database."""

    db: Database
    papers: Papers
    summaries: Summaries
    digests: Digests
    deliveries: Deliveries
    saved: Saved
    fulltexts: FullTexts
    threads: Threads
    questions: Questions
    ready: ReadyAnswers


def prune(parts: Concerns, keep_days: int, now: float | None = None) -> Pruned:
    """Drop days, papers, summaries, digests, message rows and sent rows older than keep_days.

    A paper's full text, ready answers and the threads that ask about it go with the paper;
    threads and question counts older than keep_days go too. Kept whatever their age: each
    chat's latest digest and its papers, undelivered digests and their papers, saved papers.
    A sent row goes with its digest's day: a paper older than keep_days is no longer listed by
    any day, so it cannot be selected again. One commit, then the freed
    pages are handed back to the file system (auto_vacuum=INCREMENTAL).
    """
    now = time.time() if now is None else now
    before_day = (datetime.fromtimestamp(now, UTC).date() - timedelta(days=keep_days)).isoformat()
    with parts.db.step():
        referenced = parts.digests.referenced()
        keep = parts.saved.paper_ids().union(*(d.paper_ids for d in referenced))
        gone = parts.papers.prune(before_day, keep)
        parts.summaries.prune(gone)
        parts.fulltexts.prune(gone)  # the full text, its ready answers and threads go with it
        parts.ready.prune(gone)
        parts.threads.prune(now - keep_days * DAY, gone)
        parts.questions.prune(before_day)
        digests = parts.digests.prune(now - keep_days * DAY, referenced)
        parts.deliveries.prune(before_day)
    parts.db.vacuum()
    pruned = Pruned(len(gone), digests)
    log.info("retention: %s", pruned.line())
    return pruned
