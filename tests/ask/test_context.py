"""Choosing the sections a question needs, and reading the model's answer."""

from __future__ import annotations

import pytest

from bot.ask import choose_sections, read_reply
from bot.ask.answer import shown_text
from bot.errors import SummarizeError
from bot.models import Section

SECTIONS = (
    Section("", "Abstract", "We train a model. " * 20),
    Section("1", "Introduction", "Language models are large. " * 40),
    Section("3.2", "Training data", "We train on ImageNet and COCO images. " * 40),
    Section("5", "Limitations", "Our method fails on long videos. " * 40),
)


def test_all_sections_when_they_fit() -> None:
    assert choose_sections(SECTIONS, "anything", 100_000) == SECTIONS


def test_the_abstract_and_the_sections_most_like_the_question_in_the_papers_order() -> None:
    chosen = choose_sections(SECTIONS, "Which images were used as training data?", 2500)
    assert chosen[0] == SECTIONS[0] and SECTIONS[2] in chosen  # whole, the rest cut to fit
    assert sum(len(s.text) for s in chosen) <= 2500 + 2
    assert [s.number for s in chosen] == sorted(
        (s.number for s in chosen), key=["", "1", "3.2", "5"].index
    )
    limits = choose_sections(SECTIONS, "What are the limitations on videos?", 2500)
    assert limits[0] == SECTIONS[0] and SECTIONS[3] in limits and SECTIONS[2] not in limits


def test_an_answer_keeps_only_sections_the_paper_has() -> None:
    reply = (
        '{"answer": "ImageNet (§3.2).", "sections": ["§3.2", "§9.9", "Limitations"], "found": true}'
    )
    answer = read_reply(reply, SECTIONS, abstract_only=False)
    assert answer.sections == ("§3.2 Training data", "§5 Limitations") and answer.found


def test_found_false_says_the_paper_does_not_say() -> None:
    answer = read_reply(
        '{"answer": "Not stated.", "sections": [], "found": false}', SECTIONS, False
    )
    assert not answer.found


@pytest.mark.parametrize(
    "reply", ["", "  \n ", '{"answer": ""}', '{"answer": 3}', "SECTIONS: §3.2", "NOT FOUND"]
)
def test_an_unusable_answer_is_an_error(reply: str) -> None:
    with pytest.raises(SummarizeError):
        read_reply(reply, SECTIONS, False)


def test_a_long_answer_is_kept_whole() -> None:
    answer = read_reply("word " * 2000 + "\nSECTIONS: §3.2", SECTIONS, False)
    assert answer.text == ("word " * 2000).strip() and answer.sections == ("§3.2 Training data",)


def test_a_plain_text_answer_ends_with_its_sections() -> None:
    reply = "They train on ImageNet (§3.2).\n\nIt fails on videos.\nSECTIONS: §3.2, Limitations, §9"
    answer = read_reply(reply, SECTIONS, False)
    assert answer.text == "They train on ImageNet (§3.2).\n\nIt fails on videos."
    assert answer.sections == ("§3.2 Training data", "§5 Limitations") and answer.found


def test_not_found_says_the_paper_does_not_say() -> None:
    answer = read_reply("The paper does not say.\nNOT FOUND", SECTIONS, False)
    assert answer.text == "The paper does not say." and not answer.found


@pytest.mark.parametrize(
    ("partial", "shown"),
    [
        ("They train", "They train"),
        ("They train on ImageNet.\nSECT", "They train on ImageNet."),
        ("They train on ImageNet.\nSECTIONS: §3", "They train on ImageNet."),
        ("Not said.\nNOT F", "Not said."),
        ("Not said.\nNo", "Not said."),  # may become NOT FOUND: held back one line
        ("Not said.\nNothing", "Not said.\nNothing"),
    ],
)
def test_a_half_written_answer_shows_no_closing_line(partial: str, shown: str) -> None:
    assert shown_text(partial) == shown
