"""An answer as the chat sees it (Telegram HTML): the question, the answer, its sources."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.ask.answer import Answer
from bot.ask.service import AskRefused
from bot.digest import Segment, pack, quote
from bot.i18n import t
from bot.models import Paper

MESSAGE_LIMIT = 4096  # Telegram's, in UTF-16 units after entities parsing
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
QUESTION_UNITS = 200  # the question, quoted above its answer, is cut to this (UTF-16 units)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def render_answer(answer: Answer, paper: Paper, question: str, lang: str) -> list[str]:
    """The answer's messages (one, unless it is longer than Telegram's limit: then split at
    paragraphs): the paper's title linked, the question, the answer, its sources; a line
    saying so when the paper does not say, or only its abstract was read."""
    lines = [
        f'📄 <a href="{paper.abs_url}">{_esc(quote(paper.title, 120))}</a>',
        f"❓ <i>{_esc(quote(question, QUESTION_UNITS))}</i>",
        "",
    ]
    if answer.abstract_only:
        lines += [t(lang, "ask.abstract_only"), ""]
    if not answer.found:
        lines.append(t(lang, "ask.not_found"))
    segments = [Segment(lead="\n".join(lines))]
    for index, paragraph in enumerate(_PARAGRAPH.split(answer.text.strip())):
        segments.append(Segment(paragraph, sep="\n" if index == 0 else "\n\n"))
    if answer.sections:
        sources = t(lang, "ask.sources_html", sections=_esc(" · ".join(answer.sections)))
        segments.append(Segment(lead=sources, sep="\n\n"))
    return _at_paragraphs(segments)


def _at_paragraphs(segments: list[Segment]) -> list[str]:
    """Messages within Telegram's limit, each segment (a paragraph) whole in one when it fits
    one: a paragraph that does not fit what is left of a message starts the next; one longer
    than a message is split at sentences (`pack`)."""
    parts: list[str] = []
    current: list[Segment] = []
    for segment in segments:
        whole = len(pack([segment], MESSAGE_LIMIT)) == 1  # a longer one is split anyway
        if current and whole and len(pack([*current, segment], MESSAGE_LIMIT)) > 1:
            parts += pack(current, MESSAGE_LIMIT)
            current = [replace(segment, sep="")]
        else:
            current.append(segment)
    return parts + pack(current, MESSAGE_LIMIT)


def render_refusal(refused: AskRefused, lang: str, timezone: str, limit: int) -> str:
    """Why there is no answer, with when the quota resets in the chat's time zone."""
    if refused.key != "ask.quota":
        return t(lang, refused.key)
    try:
        zone = ZoneInfo(timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    when = datetime.fromtimestamp(refused.resets, UTC).astimezone(zone)
    return t(lang, "ask.quota", limit=limit, time=when.strftime("%H:%M"), timezone=timezone)
