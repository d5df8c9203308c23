"""Inline keyboards: the number buttons under a digest message, 👍 / 👎 / ⭐ under a paper."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.digest import PaperMarks
from bot.i18n import t
from bot.models import Digest
from bot.telegram.buttons import page_data, paper_data, ready_data, save_data, vote_data

READY = ("new", "eval", "limits")  # the ready questions, in the order of their buttons

BUTTONS_PER_ROW = 8


def digest_keyboard(
    digest: Digest, numbers: list[int], next_page: int | None
) -> InlineKeyboardMarkup | None:
    """A button per entry of one message, and a "More" button under the last part of a page."""
    buttons = [
        InlineKeyboardButton(str(n), callback_data=paper_data(digest.number, n)) for n in numbers
    ]
    rows = [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    if next_page is not None:
        more = t(digest.lang, "digest.more_button")
        button = InlineKeyboardButton(more, callback_data=page_data(digest.number, next_page))
        rows.append([button])
    return InlineKeyboardMarkup(rows) if rows else None


def paper_keyboard(
    paper_id: str, marks: PaperMarks | None = None, ask_lang: str | None = None
) -> InlineKeyboardMarkup:
    """👍 / 👎 / ⭐ under an expanded paper (the last message of it); with `ask_lang`, a
    second row of the three ready questions in that language."""
    marks = marks or PaperMarks()
    rows = [_marks_row(paper_id, marks)]
    if ask_lang is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t(ask_lang, f"ask.ready_{name}"), callback_data=ready_data(name, paper_id)
                )
                for name in READY
            ]
        )
    return InlineKeyboardMarkup(rows)


def _marks_row(paper_id: str, marks: PaperMarks) -> list[InlineKeyboardButton]:
    """👍 / 👎 / ⭐, with the counts in a group."""

    def label(symbol: str, count: int) -> str:
        return f"{symbol} {count}" if marks.show_counts and count else symbol

    return [
        InlineKeyboardButton(label("👍", marks.up), callback_data=vote_data(paper_id, True)),
        InlineKeyboardButton(label("👎", marks.down), callback_data=vote_data(paper_id, False)),
        InlineKeyboardButton(save_label(marks.saved), callback_data=save_data(paper_id)),
    ]


def save_label(saved: bool) -> str:
    """The ⭐ button's label: with a check mark while the paper is on the reading list."""
    return "⭐ ✓" if saved else "⭐"
