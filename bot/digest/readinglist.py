"""The reading list as Telegram HTML: `/saved` pages, numbered newest first (pure)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.arxiv import plain_markup
from bot.digest.render import MESSAGE_LIMIT, DigestPart, Segment, esc, pack_parts, page_slices
from bot.digest.textcut import shorten
from bot.i18n import t
from bot.models import Paper

TITLE_UNITS = 300  # a listed title is cut to this, so one entry never fills a message
AUTHORS_SHOWN = 3


def saved_pages(total: int, per_page: int) -> list[range]:
    """Index ranges of the pages of a list of `total` papers (one empty page for none)."""
    return page_slices(total, per_page) or [range(0)]


def render_saved_page(
    papers: Sequence[Paper], page: int, per_page: int, lang: str, limit: int = MESSAGE_LIMIT
) -> list[DigestPart]:
    """The messages of one page of the list, whose paper i is number i + 1; entries are
    `<b>[N]</b> <linked title>` and a line of authors and id, split only between entries."""
    pages = saved_pages(len(papers), per_page)
    shown = pages[page - 1]
    heading = t(lang, "saved.heading", count=len(papers))
    if len(pages) > 1:
        heading += " · " + t(lang, "digest.page", page=page, pages=len(pages))
    segments: list[tuple[Segment, int | None]] = [(Segment(lead=f"<b>{esc(heading)}</b>"), None)]
    segments += [
        (Segment(lead=_entry_html(i + 1, papers[i], lang), sep="\n\n"), i + 1) for i in shown
    ]
    if page < len(pages):
        more = t(lang, "saved.more", first=shown[0] + 1, last=shown[-1] + 1, total=len(papers))
        segments.append((Segment(text=more, open="<i>", close="</i>", sep="\n\n"), None))
    return pack_parts(segments, limit)


def _entry_html(number: int, paper: Paper, lang: str) -> str:
    title = shorten(" ".join(plain_markup(paper.title).split()), TITLE_UNITS)
    url = html.escape(paper.abs_url, quote=True)
    names = ", ".join(paper.authors[:AUTHORS_SHOWN])
    if len(paper.authors) > AUTHORS_SHOWN:
        names = t(lang, "paper.authors_more", authors=names)
    facts = " · ".join(part for part in (shorten(names, TITLE_UNITS), paper.id) if part)
    return f'<b>[{number}]</b> <a href="{url}">{esc(title)}</a>\n<i>{esc(facts)}</i>'
