"""What a reply or a digest message shows, asked of the engine in one trip: the next digest (or
why there is none), a page of a stored digest, an expanded paper, the reading list. Rendering is
then a pure function of the view (bot/digest/views.py) and the Telegram layer sends it and
records what it sent; nothing on the way back asks the engine again."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from bot import lanes
from bot.arxiv import parse_api
from bot.digest import Entry, NothingNew, PageView, PaperMarks, PaperView, SavedView, page_numbers
from bot.engine import Engine
from bot.errors import FeedError, FetchError, ResponseTooLargeError, SummarizeError
from bot.i18n import is_english, t
from bot.links import from_abstract
from bot.llm import BudgetExhausted
from bot.models import Chat, Digest, Paper
from bot.pipeline import Candidates, MadeDigest, digest_entries, prepare_digest
from bot.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Refusal:
    """Why no paper: a catalog key and its values, said in the chat's language."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return t(lang, self.key, **self.values)


# A digest: the next one, or a page of a stored one


async def next_digest(
    engine: Engine, chat: Chat, candidates: Candidates | None = None
) -> MadeDigest | NothingNew:
    """Make and store the chat's next digest; when nothing is new, what /digest says instead."""
    made = await prepare_digest(engine, chat, candidates)
    if made is not None:
        return made
    latest = await engine.db.latest_digest(chat.chat_id)
    latest_day = await engine.db.latest_day()
    return NothingNew(chat.lang, latest_day, latest.number if latest else 0)


@asynccontextmanager
async def page_to_send(
    engine: Engine, digest: Digest, page: int, made: MadeDigest | None = None
) -> AsyncIterator[PageView | None]:
    """The view of a page about to be sent, for the length of the `with` block.

    Page 1 of a digest not delivered yet has one sender at a time (a /digest and the
    scheduler's resume may meet) and starts from what the store says was sent, not from a
    stale copy: None when another task sends it or it is done. `made` is the digest as just
    made: its entries are not looked up again.
    """
    if page != 1 or digest.done:
        yield await _page_view(engine, digest, page, made)
        return
    key = (digest.chat_id, digest.number)
    current = await engine.db.get_digest(*key) or digest
    if key in engine.delivering or current.done:
        yield None
        return
    engine.delivering.add(key)
    try:
        yield await _page_view(engine, current, 1, made)
    finally:
        engine.delivering.discard(key)


async def _page_view(
    engine: Engine, digest: Digest, page: int, made: MadeDigest | None
) -> PageView:
    numbers = page_numbers(digest, page)
    if made is not None and made.holds(digest):
        entries = made.entries(numbers)
    else:
        entries = await digest_entries(engine, digest, numbers)
    chat = await engine.db.get_chat(digest.chat_id)
    thread = chat.thread_id if chat and chat.thread_id else None  # its forum topic
    sent_before = digest.parts_sent if page == 1 and not digest.done else 0
    return PageView(digest, page, tuple(entries), thread, sent_before)


async def export_entries(engine: Engine, digest: Digest) -> tuple[list[Entry], list[int]]:
    """Every entry of a digest with its abstract translated (the Markdown export shows them
    all), and the numbers of those whose translation could not be made now."""
    entries = await digest_entries(engine, digest, range(1, len(digest.paper_ids) + 1))
    summaries, failed = await engine.summaries.with_abstracts(
        [entry.paper for entry in entries], digest.lang
    )
    whole = [replace(entry, summary=summaries[entry.paper.key]) for entry in entries]
    missing = set(failed)
    return whole, [entry.number for entry in whole if entry.paper.key in missing]


# An expanded paper


async def paper_view(
    engine: Engine, chat: Chat, reference: int | str, replied_to: int | None = None
) -> PaperView | Refusal:
    """Paper `reference` as the chat would see it expanded: a number in what the chat was shown
    (the digest replied to, the reading list while /saved is its latest view, the latest
    digest) or an arXiv id (any paper: from the store, else arXiv's API)."""
    number = reference if isinstance(reference, int) else 0
    paper_id = reference if isinstance(reference, str) else None
    if paper_id is None:
        found = await listed_id(engine, chat, number, replied_to)
        if isinstance(found, Refusal):
            return found
        paper_id = found
    paper = await engine.db.get_paper(paper_id) or await look_up(engine, paper_id)
    if isinstance(paper, str):
        return Refusal(paper, {"id": paper_id})
    return await _paper_view(
        engine, chat, Entry(number, paper, await _summary(engine, chat, paper))
    )


async def entry_view(
    engine: Engine, chat: Chat, digest_number: int, number: int
) -> PaperView | None:
    """Entry `number` of the chat's digest `digest_number`, expanded; None when the chat has
    no such digest or entry (a button the bot did not make for it)."""
    digest = await engine.db.get_digest(chat.chat_id, digest_number)
    if digest is None or not 1 <= number <= len(digest.paper_ids):
        return None
    [entry] = await digest_entries(engine, digest.with_changes(lang=chat.lang), [number])
    return await _paper_view(engine, chat, entry)


async def _summary(engine: Engine, chat: Chat, paper: Paper) -> Any:
    return (await engine.summaries.summaries([paper], chat.lang))[paper.key]


_BLOCKED_NOTES = {
    "": "paper.abstract_coming",
    "budget": "paper.abstract_tomorrow",
    "offline": "paper.abstract_offline",
}


async def _paper_view(engine: Engine, chat: Chat, entry: Entry) -> PaperView:
    note = ""
    if entry.summary.needs_abstract and not is_english(chat.lang):
        note = _BLOCKED_NOTES[engine.summaries.abstract_blocked()]
    marks = await paper_marks(engine, chat, entry.paper.id)
    known = await engine.links.known(entry.paper)  # None: the Hugging Face API is to be asked
    links = known if known is not None else from_abstract(entry.paper)
    return PaperView(entry, chat.lang, marks, note, links, links_due=known is None)


async def later_views(engine: Engine, chat: Chat, view: PaperView) -> AsyncIterator[PaperView]:
    """The expanded paper again each time something it waits for comes, each view holding
    all that came before: its links when the API adds some (within `links.timeout`), then its
    abstract's translation or why there is none. Nothing when it waits for nothing."""
    abstract = None
    if view.awaits_abstract:
        abstract = asyncio.ensure_future(completed_view(engine, chat, view))
    try:
        if view.links_due:
            linked = await linked_view(engine, chat, view)
            if linked is not None and abstract is not None and abstract.done():
                yield replace(abstract.result(), links=linked.links, links_due=False)
                return
            if linked is not None:
                view = linked
                yield view
        if abstract is not None:
            done = await abstract
            yield replace(done, links=view.links, links_due=False)
    finally:
        if abstract is not None and not abstract.done():
            abstract.add_done_callback(_retrieved)


def _retrieved(future: asyncio.Future[PaperView]) -> None:
    """Mark the outcome of a translation nobody waits for any more as seen."""
    if not future.cancelled():
        future.exception()


async def linked_view(engine: Engine, chat: Chat, view: PaperView) -> PaperView | None:
    """`view` with the links the Hugging Face API gives (the buttons as they are now); None
    when that shows nothing new: the API failed, or knows no more than the abstract."""
    links = await engine.links.look_up(view.entry.paper)
    if links is None or links == view.links:
        return None
    marks = await paper_marks(engine, chat, view.entry.paper.id)
    return replace(view, links=links, links_due=False, marks=marks)


async def completed_view(engine: Engine, chat: Chat, view: PaperView) -> PaperView:
    """`view` once its abstract's translation is made (one LLM call per paper and language,
    whoever asks), or with a line saying why it is not; the buttons as they are now."""
    entry = view.entry
    try:
        summary = await engine.summaries.abstract(entry.paper, view.lang)
    except BudgetExhausted:
        return replace(view, note="paper.abstract_tomorrow")
    except SummarizeError:
        return replace(view, note="paper.abstract_failed")
    marks = await paper_marks(engine, chat, entry.paper.id)
    return replace(view, entry=replace(entry, summary=summary), marks=marks, note="")


async def paper_marks(engine: Engine, chat: Chat, paper_id: str) -> PaperMarks:
    """What the buttons under an expanded paper show for this chat: its ⭐ state and, in a
    group, how many members pressed 👍 and 👎."""
    saved = await engine.db.is_saved(chat.chat_id, paper_id)
    if not chat.is_group:
        return PaperMarks(saved=saved)
    tally = await engine.db.vote_tally(chat.chat_id, paper_id)
    return PaperMarks(tally.up, tally.down, saved, show_counts=True)


async def listed_id(
    engine: Engine, chat: Chat, number: int, replied_to: int | None = None
) -> str | Refusal:
    """The id of paper `number` in what the chat was shown: the digest the message replies
    to, else the reading list while `/saved` is the latest view, else the latest digest."""
    db = engine.db
    digest = await db.digest_for_message(chat.chat_id, replied_to) if replied_to else None
    listed = None if digest else await db.saved_view(chat.chat_id)
    if listed is not None:
        if not 1 <= number <= len(listed):
            return Refusal("saved.bad_number", {"number": number, "count": len(listed)})
        return listed[number - 1]
    digest = digest or await db.latest_digest(chat.chat_id)
    if digest is None:
        return Refusal("reading.no_digest")
    if not 1 <= number <= len(digest.paper_ids):
        return Refusal("reading.bad_number", {"number": number, "count": len(digest.paper_ids)})
    return digest.paper_ids[number - 1]


async def look_up(engine: Engine, paper_id: str) -> Paper | str:
    """The paper from the arXiv API, or the catalog key of what went wrong.

    "No such paper" only when arXiv answered a result without entries; an answer that is not
    one (an HTML error page, junk, an error entry, too large) says arXiv answered an error.
    """
    try:
        answer = await engine.arxiv.fetch_ids([paper_id])
        papers = await lanes.in_thread(parse_api, answer)
    except (FeedError, ResponseTooLargeError) as error:
        log.warning("look-up of %s: %s", paper_id, error)
        return "reading.arxiv_error"
    except FetchError as error:
        log.warning("look-up of %s: %s", paper_id, error)
        return "reading.arxiv_down"
    return papers[0] if papers else "reading.unknown_id"


def known_to_chat(store: Store, chat_id: int, paper_id: str) -> bool:
    """Whether the paper is in one of the chat's digests, on its reading list, or voted on in
    it (blocking: run it in a thread)."""
    if store.is_saved(chat_id, paper_id):
        return True
    tally = store.vote_tally(chat_id, paper_id)
    return bool(tally.up or tally.down) or paper_id in store.sent_paper_ids(chat_id)


# The reading list


async def saved_view(
    engine: Engine, chat: Chat, page: int = 1, *, from_last_view: bool = False
) -> SavedView | None:
    """A page of the chat's reading list, remembered as the chat's latest view (bare numbers
    mean it from now on); `from_last_view`: the list as /saved last numbered it (a "More"
    button). None when the list is empty or has no such page."""
    db = engine.db
    paper_ids = (await db.saved_view(chat.chat_id) if from_last_view else None) or (
        await db.saved_paper_ids(chat.chat_id)
    )
    if not paper_ids:
        return None
    # A saved paper is never pruned; its id alone stands in should one be missing anyway.
    stored = await db.get_papers(paper_ids)
    papers = tuple(stored.get(i) or Paper(i, 1, i, "") for i in paper_ids)
    view = SavedView(papers, page, chat.limit, chat.lang)
    if not 1 <= page <= view.pages:
        return None
    await db.put_saved_view(chat.chat_id, paper_ids)
    return view
