"""Cutting what the bot sends: HTML messages to Telegram's limit, user input to a short quote."""

from __future__ import annotations

import re

import pytest

from bot.digest.textcut import fit_html, fold_full_width, plain_input, quote, telegram_length
from tests.fakes.bot_api import render

LIMIT = 4096


def parses(html_text: str) -> str:
    """What Telegram shows of an HTML message; raises as Telegram would for broken HTML."""
    text, _ = render(html_text, "HTML")
    return text


@pytest.mark.parametrize(
    "message",
    [
        "x" * 5000,
        "<b>" + "word " * 2000 + "</b>",
        "<code>" + "&lt;" * 5000 + "</code>",
        "a &amp; b " * 1000,
        '<a href="https://arxiv.org/abs/2402.01295">' + "🚀" * 3000 + "</a>",
        "<b><i>" + "y" * 4094 + "</i> tail</b>" + "<pre>" + "z" * 50 + "</pre>",
        "一个很长的句子" * 1000,
        "👨‍👩‍👧" * 2000,
    ],
    ids=["ascii", "bold-words", "entities", "amp", "astral-link", "nested", "cjk", "zwj-emoji"],
)
def test_a_long_message_is_cut_to_the_limit_with_its_tags_closed(message: str) -> None:
    fitted = fit_html(message, LIMIT)
    shown = parses(fitted)  # no broken tag or entity
    assert telegram_length(fitted) <= LIMIT
    assert shown.endswith("…")
    assert telegram_length(fitted) > LIMIT - 16  # cut near the limit, not emptied
    assert parses(message).startswith(shown[:-1].rstrip())


def test_a_message_within_the_limit_is_left_as_it_is() -> None:
    message = "<b>" + "&lt;" * 4096 + "</b>"  # 4,096 characters once the entities are read
    assert fit_html(message, LIMIT) == message


def test_a_cut_between_words_keeps_whole_words() -> None:
    fitted = fit_html("<i>" + "alpha beta " * 1000 + "</i>", 100)
    assert re.fullmatch(r"<i>(?:alpha beta ?)*(?:alpha)?…</i>", fitted.replace(" …", "…"))


def test_a_zwj_emoji_is_not_split_by_a_cut() -> None:
    family = "👨‍👩‍👧"
    shown = quote(family * 40, 20)
    assert shown.endswith("…")
    assert shown[:-1].replace(family, "") == ""


def test_an_accent_stays_on_its_letter() -> None:
    word = "e\u0301" * 100  # é written as e + combining acute
    head = quote(word, 11)[:-1]
    assert head and not head.endswith("e")  # the last e keeps its accent


@pytest.mark.parametrize(
    ("typed", "quoted"),
    [
        ("cs.AI", "cs.AI"),
        ("x" * 5000, "x" * 63 + "…"),
        ("one two three " * 20, "one two three " * 4 + "one two…"),
        ("a\u200bb\u202ec\u0000d", "abcd"),
        ("line one\nline two", "line one line two"),
    ],
    ids=["short", "huge-word", "words", "invisible", "newline"],
)
def test_quote_is_one_short_line(typed: str, quoted: str) -> None:
    assert quote(typed, 64) == quoted


def test_plain_input_folds_full_width_and_drops_invisible_marks() -> None:
    assert plain_input("ｃｓ.ＡＩ\u200b") == "cs.AI"
    assert plain_input("\u200fzh\u200e") == "zh"
    assert plain_input("tab\tand\nnewline") == "tab\tand\nnewline"
    assert plain_input("cs\u200d.AI") == "cs.AI"  # a joiner between letters is invisible
    assert plain_input("👨‍👩‍👧") == "👨‍👩‍👧"  # inside an emoji it is part of it


def test_full_width_digits_fold_but_superscripts_stay() -> None:
    assert fold_full_width("８：３０ ２０") == "8:30 20"
    assert fold_full_width("²:00") == "²:00"  # no time: /time refuses it
