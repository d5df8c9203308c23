"""An answer as the chat sees it (Telegram HTML): the question, the answer, its sources."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.ask.answer import Answer
from bot.ask.service import AskRefused
from bot.digest import quote
from bot.i18n import t
from bot.models import Paper

QUESTION_UNITS = 200  # the question, quoted above its answer, is cut to this (UTF-16 units)


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def render_answer(answer: Answer, paper: Paper, question: str, lang: str) -> str:
    """The answer message: the paper's title linked, the question, the answer, its sources;
    a line saying so when the paper does not say, or only its abstract was read."""
    lines = [
        f'📄 <a href="{paper.abs_url}">{_esc(quote(paper.title, 120))}</a>',
        f"❓ <i>{_esc(quote(question, QUESTION_UNITS))}</i>",
        "",
    ]
    if answer.abstract_only:
        lines += [t(lang, "ask.abstract_only"), ""]
    if not answer.found:
        lines.append(t(lang, "ask.not_found"))
    lines.append(_esc(answer.text))
    if answer.sections:
        lines += ["", t(lang, "ask.sources_html", sections=_esc(" · ".join(answer.sections)))]
    return "\n".join(lines)


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
