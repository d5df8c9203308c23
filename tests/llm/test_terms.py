"""Which interests need English search terms, and what of an LLM's answer is kept as terms."""

from __future__ import annotations

import json

import pytest

from bot.llm import english_words, needs_terms, read_terms, terms_status
from bot.models import Chat


@pytest.mark.parametrize(
    "text",
    [
        "医疗人工智能、用于临床的大语言模型和医学问答",
        "图神经网络 graph neural networks",  # mixed: the English words stay, terms are added
        "機械学習",
        "신경망",
        "нейронные сети",
        "تعلم الآلة",
        "apprentissage pour la vision avec des transformeurs",
        "Lernen für Roboter mit wenigen Daten und Simulation",
    ],
)
def test_text_in_another_language_needs_terms(text: str) -> None:
    assert needs_terms(text)


@pytest.mark.parametrize(
    "text",
    [
        "medical AI, large language models for clinical use",
        "α-helix folding and φ^4 theory",  # lone Greek letters are math
        "DES and MIT bag model",  # acronyms are not French or German
        "<b>diffusion</b> & <script>",
    ],
)
def test_english_text_needs_no_terms(text: str) -> None:
    assert not needs_terms(text)


def test_english_words_of_a_mixed_text_are_the_latin_script_words() -> None:
    assert english_words("图神经网络 graph neural networks for 天气") == (
        "graph", "neural", "networks"
    )  # fmt: skip


def test_a_good_answer_keeps_its_terms_in_order_once_each() -> None:
    answer = json.dumps({"terms": ["medical", "Large language models", "medical ", "LLM"]})
    assert read_terms(answer) == ("medical", "Large language models", "LLM")


@pytest.mark.parametrize(
    "answer",
    [
        "not json",
        json.dumps({"terms": ["<script>alert(1)</script>", "医疗", "x" * 300, 42, None]}),
        json.dumps({"terms": "医疗, 临床"}),
        json.dumps({"words": ["medical"]}),
        json.dumps(["medical"]),
        json.dumps({"terms": ["a b c d e f g"]}),  # not a short phrase
        "{" + " " * 50_000 + "}",
    ],
)
def test_an_answer_without_usable_terms_gives_none(answer: str) -> None:
    assert read_terms(answer) == ()


def test_only_english_letters_digits_and_short_punctuation_are_kept() -> None:
    answer = json.dumps({"terms": ["GPT-4", "<b>x</b>", "question answering", "医疗 AI", "3D"]})
    assert read_terms(answer) == ("GPT-4", "question answering", "3D")


def test_at_most_eight_terms_are_kept() -> None:
    answer = json.dumps({"terms": [f"term{i}" for i in range(20)]})
    assert len(read_terms(answer)) == 8


@pytest.mark.parametrize(
    ("chat", "llm", "embed", "status"),
    [
        (Chat(1), True, False, "none"),
        (Chat(1, interests="graph neural networks"), False, False, "english"),
        (Chat(1, interests="医疗", interest_terms=("medical",)), False, False, "terms"),
        (Chat(1, interests="医疗"), True, False, "later"),
        (Chat(1, interests="医疗", terms_failures=3), True, False, "gave_up"),
        (Chat(1, interests="医疗"), False, True, "embedded"),
        (Chat(1, interests="医疗"), False, False, "no_llm"),
    ],
)
def test_what_the_interests_are_matched_by(chat: Chat, llm: bool, embed: bool, status: str) -> None:
    assert terms_status(chat, llm, embed) == status
