"""The full text of arXiv's HTML papers (LaTeXML): sections, math as LaTeX, captions, no
bibliography; recorded pages from tests/fixtures/arxiv-html."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.arxiv import parse_html
from bot.errors import FeedError
from bot.models import FullText

HTML = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv-html"


def parsed(name: str) -> FullText:
    return parse_html((HTML / name).read_bytes(), "2501.11120")


def test_a_real_page_gives_its_title_abstract_and_numbered_sections() -> None:
    text = parsed("2501.11120v1.html")
    assert text.title.startswith("Tell me about yourself: LLMs are aware")
    assert [s.label for s in text.sections] == [
        "Abstract", "§1 Introduction", "§2 Out-of-context reasoning", "§8 Conclusion",
        "Acknowledgments",
    ]  # fmt: skip
    whole = "\n".join(s.text for s in text.sections)
    assert "Evans, O." not in whole and "Anthropic. 2024" not in whole  # bibliography dropped
    assert "Figure 1:" in text.sections[1].text  # a figure as its caption
    assert "<" not in whole and "  " not in whole


def test_math_is_kept_as_its_latex_and_a_top_level_figure_as_its_caption() -> None:
    text = parsed("2503.20783v2.html")
    intro = next(s for s in text.sections if s.number == "1").text
    assert "$27$ hours compute on $8\\times$ A100 GPUs" in intro
    assert any(s.text.startswith("Figure 1: Left: Dr. GRPO") for s in text.sections)


def test_an_odd_page_without_abstract_keeps_its_subsections_and_drops_its_references() -> None:
    text = parsed("cognitive-type-fragment.html")
    labels = [s.label for s in text.sections]
    assert "§1.1 Abstract" in labels and "§1.2 Introduction" in labels
    assert not any("References" in label for label in labels)
    assert "Report issue" not in "".join(s.text for s in text.sections)


@pytest.mark.parametrize(
    "page",
    [
        (HTML / "no-html-404.html").read_bytes(),
        b"<html><body><h1>503</h1><p>arXiv is busy</p></body></html>",
        b"\x00\x89PNG\r\n garbage",
        b"",
    ],
)
def test_a_page_that_is_no_latexml_paper_is_refused(page: bytes) -> None:
    with pytest.raises(FeedError):
        parse_html(page, "2412.00001")


def test_the_stored_text_is_a_small_part_of_the_page_and_round_trips() -> None:
    page = (HTML / "2501.11120v1.html").read_bytes()
    text = parsed("2501.11120v1.html")
    stored = json.dumps(text.to_dict())
    assert len(stored) < len(page) / 4  # 11.6 KB of a 70 KB page
    assert FullText.from_dict(json.loads(stored)) == text
