"""Questions about a paper, answered from its full text: fetching and keeping the text, choosing
the sections a question needs, the request and its answer, the daily quota, ready questions."""

from __future__ import annotations

from bot.ask.answer import Answer, read_reply
from bot.ask.context import choose_sections
from bot.ask.prompt import READY_QUESTIONS, ask_messages
from bot.ask.render import render_answer, render_refusal
from bot.ask.service import Asked, Asking, AskRefused

__all__ = [
    "READY_QUESTIONS",
    "Answer",
    "AskRefused",
    "Asked",
    "Asking",
    "ask_messages",
    "choose_sections",
    "read_reply",
    "render_answer",
    "render_refusal",
]
