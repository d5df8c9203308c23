"""Telegram HTML for digest pages and expanded papers, in messages Telegram accepts (pure)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.arxiv import plain_markup
from bot.digest.textcut import cut, shorten, telegram_length, utf16_len
from bot.i18n import is_english, t
from bot.models import HF_PAPER_URL, Paper, PaperLinks, Summary

__all__ = [
    "MESSAGE_LIMIT",
    "DigestHeader",
    "DigestPart",
    "Entry",
    "Segment",
    "abstracts",
    "header_lines",
    "links_line",
    "pack",
    "pack_parts",
    "page_slices",
    "render_digest_page",
    "render_digest_parts",
    "render_empty",
    "render_paper",
    "telegram_length",
    "titles",
]

MESSAGE_LIMIT = 4096  # UTF-16 code units of visible text, as Telegram counts them
MIN_ROOM = 400  # a long text starts a new message rather than leave a stub shorter than this
MAX_AUTHORS = 5  # longer author lists show the first three and "et al."


@dataclass(frozen=True)
class Entry:
    """Reference `number` of a digest: the paper and its summary in the chat's language."""

    number: int
    paper: Paper
    summary: Summary
    why: str = ""  # HTML: the 💡 line of a ranked entry (bot.ranking.rank.reason_text), or ""


@dataclass(frozen=True)
class DigestHeader:
    """What the head of every digest page says: announcement day, topics, size, page."""

    announced: str  # ISO date of the announcement, "" when unknown
    topics: tuple[str, ...]  # as the user typed them: cs.AI, "weather forecast"
    total: int  # papers in the whole digest, all pages
    page: int = 1
    pages: int = 1
    interests_tip: bool = False  # a line under the header says how to set interests


@dataclass(frozen=True)
class Segment:
    """A piece of a message. `text` is raw and may be split across messages, wrapped each time
    in `open`/`close`; `lead` is HTML put before the first part only; `sep` joins it to what
    precedes it in the same message. A segment without text is atomic and must fit a message."""

    text: str = ""
    lead: str = ""
    open: str = ""
    close: str = ""
    sep: str = "\n"


def esc(text: str) -> str:
    """Text from arXiv or an LLM, safe between tags."""
    return html.escape(text, quote=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _join(current: str, sep: str, piece: str) -> str:
    return current + sep + piece if current else piece


def _spread(segment: Segment, current: str, messages: list[str], limit: int) -> str:
    """Spread a long segment over messages, appending the full ones; return the last, open one."""
    text, lead = segment.text, segment.lead
    while True:
        start = _join(current, segment.sep, lead + segment.open)
        room = limit - telegram_length(start + segment.close)
        if current and room < min(MIN_ROOM, limit // 4):
            messages.append(current)
            current = ""
            continue
        if room < 1:
            raise ValueError("the HTML around a segment alone exceeds the message limit")
        head, text = cut(text, room)
        piece = start + esc(head) + segment.close
        if not text:
            return piece
        messages.append(piece)
        current, lead = "", ""


def pack(segments: Iterable[Segment], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Messages of at most `limit` units (telegram_length) holding the segments in order.

    A segment goes whole into the current message when it fits, else into the next; a text
    too long for that is split at a paragraph, sentence or word boundary, each part closed
    and reopened in its tags, so every message is valid HTML on its own.
    """
    return [text for text, _ in _pack_numbered(((s, None) for s in segments), limit)]


def _pack_numbered(
    segments: Iterable[tuple[Segment, int | None]], limit: int
) -> list[tuple[str, list[int]]]:
    """`pack`, with the numbers given alongside the segments collected per message.

    Lengths add up piece by piece (each piece is whole HTML), so a message is measured once.
    """
    messages: list[str] = []
    numbers: list[list[int]] = []
    current, used = "", 0
    held: list[int] = []
    for segment, number in segments:
        whole = segment.lead + segment.open + esc(segment.text) + segment.close
        size = telegram_length(whole) + (telegram_length(segment.sep) if current else 0)
        if used + size <= limit:
            current, used = _join(current, segment.sep, whole), used + size
        elif not segment.text:
            if current:
                messages.append(current)
                numbers.append(held)
            current, used, held = whole, telegram_length(whole), []
        else:
            before = len(messages)
            current = _spread(segment, current, messages, limit)
            if len(messages) > before:  # the first full one holds what was open before
                numbers += [held] + [[] for _ in range(len(messages) - before - 1)]
                held = []
            used = telegram_length(current)
        if number is not None:
            held.append(number)
    if current:
        messages.append(current)
        numbers.append(held)
    return list(zip(messages, numbers, strict=True))


def page_slices(total: int, limit: int) -> list[range]:
    """Index ranges of the pages of a digest of `total` entries, `limit` a page (none when 0).

    Numbering runs on: entry i of the digest is reference i + 1, so with limit 30 the second
    page is range(30, 60) and starts at [31].
    """
    if limit < 1:
        raise ValueError(f"a page holds at least one entry, not {limit}")
    return [range(start, min(start + limit, total)) for start in range(0, total, limit)]


def header_lines(header: DigestHeader, lang: str) -> tuple[str, str]:
    """The two header lines, as text: title with the date; topics, paper count and page."""
    if header.announced:
        title = t(lang, "digest.title", date=header.announced)
    else:
        title = t(lang, "digest.title_undated")
    facts = [", ".join(header.topics)] if header.topics else []
    facts.append(t(lang, "digest.papers", count=header.total))
    if header.pages > 1:
        facts.append(t(lang, "digest.page", page=header.page, pages=header.pages))
    return title, " · ".join(facts)


def _header_html(header: DigestHeader, lang: str, limit: int) -> str:
    title, facts = header_lines(header, lang)
    tip = "\n" + t(lang, "learning.interests_tip_html") if header.interests_tip else ""
    return f"<b>{esc(title)}</b>\n{esc(shorten(facts, limit // 2))}{tip}"


def _fit_entry(label_units: int, title: str, tldr: str, limit: int) -> tuple[str, str]:
    """Title and TL;DR shortened at word boundaries until the entry fits one message."""
    if label_units + 1 + utf16_len(title) + 1 + utf16_len(tldr) <= limit:
        return title, tldr
    title = shorten(title, limit // 4)
    return title, shorten(tldr, limit - label_units - utf16_len(title) - 2)


@lru_cache(maxsize=16384)
def _entry_texts(title: str, tldr: str, label_units: int, limit: int) -> tuple[str, str]:
    """An entry's title (one line) and TL;DR, plain, fitted, escaped; cached, since many
    chats show the same paper."""
    title, tldr = _one_line(plain_markup(title)), plain_markup(tldr).strip()
    title, tldr = _fit_entry(label_units, title, tldr, limit)
    return esc(title), esc(tldr)


def _entry_html(entry: Entry, limit: int) -> str:
    """`[N] <linked English title>` and, below it, the TL;DR in the chat's language."""
    label = f"[{entry.number}]"
    why = entry.why if telegram_length(entry.why) <= limit // 4 else ""
    room = limit - (telegram_length(why) + 1 if why else 0)
    title, tldr = _entry_texts(entry.paper.title, entry.summary.tldr, len(label), room)
    url = html.escape(entry.paper.abs_url, quote=True)
    link = f'<b>{label}</b> <a href="{url}">{title}</a>'
    text = f"{link}\n{tldr}" if tldr else link
    return f"{text}\n{why}" if why else text


@dataclass(frozen=True)
class DigestPart:
    """One message of a digest page: its HTML and the reference numbers of the entries in it."""

    text: str
    numbers: tuple[int, ...]


def render_digest_page(
    header: DigestHeader, entries: Sequence[Entry], lang: str, limit: int = MESSAGE_LIMIT
) -> list[str]:
    """The messages of one digest page: the header, then the entries, split only between them."""
    return [part.text for part in render_digest_parts(header, entries, lang, limit)]


def render_digest_parts(
    header: DigestHeader, entries: Sequence[Entry], lang: str, limit: int = MESSAGE_LIMIT
) -> list[DigestPart]:
    """`render_digest_page`, each message with the numbers of the entries it holds."""
    segments: list[tuple[Segment, int | None]] = [
        (Segment(lead=_header_html(header, lang, limit)), None)
    ]
    segments += [
        (Segment(lead=_entry_html(entry, limit), sep="\n\n"), entry.number) for entry in entries
    ]
    if not entries:
        segments.append((Segment(text=t(lang, "digest.no_papers"), sep="\n\n"), None))
    elif header.page < header.pages:
        more = t(
            lang,
            "digest.more",
            first=entries[0].number,
            last=entries[-1].number,
            total=header.total,
        )
        segments.append((Segment(text=more, open="<i>", close="</i>", sep="\n\n"), None))
    return pack_parts(segments, limit)


def pack_parts(
    segments: Iterable[tuple[Segment, int | None]], limit: int = MESSAGE_LIMIT
) -> list[DigestPart]:
    """`pack` for numbered entries: each message with the numbers of the entries it holds."""
    return [DigestPart(text, tuple(numbers)) for text, numbers in _pack_numbered(segments, limit)]


def _authors(authors: Sequence[str], lang: str) -> str:
    if len(authors) <= MAX_AUTHORS:
        return ", ".join(authors)
    return t(lang, "paper.authors_more", authors=", ".join(authors[:3]))


def _links_html(paper: Paper, lang: str) -> str:
    abs_url, pdf_url = (html.escape(url, quote=True) for url in (paper.abs_url, paper.pdf_url))
    return (
        f'<a href="{abs_url}">{abs_url}</a> · <a href="{pdf_url}">{esc(t(lang, "paper.pdf"))}</a>'
    )


def links_line(paper: Paper, links: PaperLinks, lang: str) -> str:
    """HTML: the paper's code repository with its stars, and how many models, datasets and
    Spaces on Hugging Face cite it (linked to its paper page); "" when there is neither. Every
    link is built here from checked parts: a repository name of GitHub's shape, an arXiv id."""
    pieces = []
    if links.repo:
        url = html.escape(links.repo_url, quote=True)
        code = f'💻 <a href="{url}">{esc(links.repo)}</a>'
        if links.stars is not None:
            code += " " + esc(t(lang, "paper.stars", stars=f"{links.stars:,}"))
        pieces.append(code)
    counts = [
        t(lang, key, count=number)
        for key, number in (
            ("paper.models", links.models),
            ("paper.datasets", links.datasets),
            ("paper.spaces", links.spaces),
        )
        if number
    ]
    if counts:
        url = html.escape(HF_PAPER_URL + paper.id, quote=True)
        pieces.append(f'🤗 <a href="{url}">{esc(", ".join(counts))}</a>')
    return " · ".join(pieces)


def abstracts(paper: Paper, summary: Summary, lang: str) -> list[tuple[str, str]]:
    """(label, text) of the abstracts to show: a translation only when it really is one."""
    original = paper.abstract.strip()
    translated = summary.abstract.strip()
    complete = not summary.is_fallback and not summary.needs_abstract
    if not is_english(lang) and complete and translated and translated != original:
        pairs = [("paper.translated_abstract", translated), ("paper.original_abstract", original)]
    elif is_english(lang):
        pairs = [("paper.abstract", original)]
    else:
        pairs = [("paper.original_abstract", original)]
    return [(t(lang, key), plain_markup(text)) for key, text in pairs if text]


def titles(paper: Paper, summary: Summary, lang: str) -> tuple[str, str]:
    """(title to show first, original title or "" when that would repeat the first)."""
    original = _one_line(plain_markup(paper.title))
    if is_english(lang) or summary.is_fallback or not summary.title.strip():
        return original, ""
    translated = _one_line(plain_markup(summary.title))
    return translated, ("" if translated == original else original)


def _paper_segments(
    entry: Entry, lang: str, note: str = "", links: PaperLinks | None = None
) -> list[Segment]:
    """`note`: a catalog key for the line above the original abstract (its translation's state);
    `links`: the paper's code and models, one line under its arXiv links."""
    paper, summary = entry.paper, entry.summary
    title, original = titles(paper, summary, lang)
    label = f"[{entry.number}] " if entry.number > 0 else ""  # 0: looked up by id, no digest
    segments = [Segment(text=label + title, open="<b>", close="</b>")]
    if original:
        segments.append(Segment(text=original, open="<i>", close="</i>"))
    if paper.authors:
        segments.append(Segment(text=_authors(paper.authors, lang)))
    segments.append(Segment(lead=_links_html(paper, lang)))
    line = links_line(paper, links, lang) if links else ""
    if line:
        segments.append(Segment(lead=line))
    if summary.is_fallback and not is_english(lang):
        note = t(lang, "paper.untranslated")
        segments.append(Segment(text=note, open="<i>", close="</i>", sep="\n\n"))
    tldr = plain_markup(summary.tldr).strip()
    if tldr:
        label = f"<b>{esc(t(lang, 'paper.tldr'))}</b> "
        segments.append(Segment(text=tldr, lead=label, sep="\n\n"))
    if note and summary.needs_abstract and not is_english(lang):
        segments.append(Segment(text=t(lang, note), open="<i>", close="</i>", sep="\n\n"))
    for label, text in abstracts(paper, summary, lang):
        lead, quote = f"<b>{esc(label)}</b>\n", "<blockquote expandable>"
        segments.append(Segment(text, lead, quote, "</blockquote>", sep="\n\n"))
    return segments


def render_paper(
    entry: Entry,
    lang: str,
    limit: int = MESSAGE_LIMIT,
    note: str = "",
    links: PaperLinks | None = None,
) -> list[str]:
    """The expanded entry: titles, authors, links (the code and models line when `links` has
    some), TL;DR and the whole abstracts, in messages; `note` says where the abstract's
    translation is when it is not there yet."""
    return pack(_paper_segments(entry, lang, note, links), limit)


def render_empty(lang: str, announced_last: str) -> str:
    """The reply when there is nothing new: says when the latest announcement was."""
    if announced_last:
        return esc(t(lang, "digest.empty", date=announced_last))
    return esc(t(lang, "digest.empty_undated"))
