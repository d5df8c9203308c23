"""What a reply or a digest message shows, gathered by the engine in one trip (bot/views.py) and
rendered from here by pure functions: a page of a digest, an expanded paper, the reading list,
the empty case."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.digest.readinglist import render_saved_page, saved_pages
from bot.digest.render import (
    DigestHeader,
    DigestPart,
    Entry,
    page_slices,
    render_digest_parts,
    render_empty,
    render_paper,
)
from bot.models import Digest, Paper, PaperLinks


@dataclass(frozen=True)
class PageView:
    """One page of a stored digest: its entries, where its messages go, and, for page 1 of a
    digest not delivered yet, how many of its messages were sent before (a crash, a failure)."""

    digest: Digest
    page: int
    entries: tuple[Entry, ...]
    thread_id: int | None = None  # the chat's forum topic
    sent_before: int = 0

    @property
    def pages(self) -> int:
        return page_count(self.digest)

    @property
    def resuming(self) -> bool:
        """Whether this is the delivery of the digest (page 1 not done), recorded as it goes."""
        return self.page == 1 and not self.digest.done

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    def header(self) -> DigestHeader:
        digest = self.digest
        header = DigestHeader(
            digest.announced, digest.topics, len(digest.paper_ids), self.page, self.pages
        )
        return replace(header, interests_tip=digest.interests_tip and self.page == 1)


@dataclass(frozen=True)
class NothingNew:
    """/digest with no paper the chat has not had: when arXiv last announced, and the number
    of the latest digest to offer again (0: none)."""

    lang: str
    latest_day: str
    latest_number: int = 0


@dataclass(frozen=True)
class PaperMarks:
    """What the buttons under an expanded paper show: vote counts (groups) and the ⭐ state."""

    up: int = 0
    down: int = 0
    saved: bool = False
    show_counts: bool = False  # in groups each button shows how many members pressed it


@dataclass(frozen=True)
class PaperView:
    """An expanded paper as one chat sees it: the entry, in its language, and its buttons."""

    entry: Entry
    lang: str
    marks: PaperMarks = PaperMarks()
    note: str = ""  # where the abstract's translation is, when it is not there: a catalog key
    links: PaperLinks = PaperLinks()  # its code and models, as known when the view was made
    links_due: bool = False  # the Hugging Face API is to be asked (edit the view if it adds some)

    @property
    def awaits_abstract(self) -> bool:
        """Whether the abstract's translation is being made for this view (edit it when done)."""
        return self.note == "paper.abstract_coming" and self.entry.summary.needs_abstract


def page_count(digest: Digest) -> int:
    return max(len(page_slices(len(digest.paper_ids), digest.limit)), 1)


def page_numbers(digest: Digest, page: int) -> list[int]:
    """The entry numbers of one page of a digest (1-based)."""
    return [index + 1 for index in page_slices(len(digest.paper_ids), digest.limit)[page - 1]]


def render_page(view: PageView) -> list[DigestPart]:
    """The messages of a page, each with its entry numbers (for its buttons)."""
    return render_digest_parts(view.header(), view.entries, view.digest.lang)


def render_paper_view(view: PaperView) -> list[str]:
    return render_paper(view.entry, view.lang, note=view.note, links=view.links)


def render_nothing_new(view: NothingNew) -> str:
    return render_empty(view.lang, view.latest_day)


@dataclass(frozen=True)
class SavedView:
    """One page of a chat's reading list, newest first, numbered as /saved shows it."""

    papers: tuple[Paper, ...]
    page: int
    limit: int
    lang: str

    @property
    def pages(self) -> int:
        return len(saved_pages(len(self.papers), self.limit))

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def render_saved_view(view: SavedView) -> list[DigestPart]:
    return render_saved_page(list(view.papers), view.page, view.limit, view.lang)
