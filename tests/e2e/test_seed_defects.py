"""SPEC's seven seed defects, each read from the seed digest itself and shown not to happen here.

The seed (`tests/fixtures/seed-digest.md`) was made by an earlier system. Each test takes the
defective text from it and runs it through the part of the engine that must not repeat it.
"""

from __future__ import annotations

import re
from functools import cache

from bot.arxiv.clean import clean_abstract, clean_title, normalize_arxiv_id
from bot.digest.markdown import render_markdown
from bot.digest.render import Entry, render_paper
from bot.i18n import t
from bot.llm.answers import check_answer, repair_answer
from bot.llm.summaries import offline_summary
from bot.models import Paper, Summary
from tests.conftest import FIXTURES


@cache
def seed_entry(number: int) -> dict[str, str]:
    """Entry [^N] of the seed's expanded view: its title line and its indented paragraphs."""
    text = (FIXTURES / "seed-digest.md").read_text()
    body = text.split(f"\n[^{number}]: ", 1)[1].split("\n[^", 1)[0]
    heading, _, rest = body.partition("\n")
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", rest) if p.strip()]
    original_title, link, tldr, translated, original = paragraphs[:5]
    return {
        "title_zh": heading.strip(),
        "title": original_title,
        "link": link,
        "tldr": tldr,
        "abstract_zh": translated,
        "abstract": original,
    }


def seed_paper(number: int) -> Paper:
    entry = seed_entry(number)
    url = re.search(r"\((https?://[^)]+)\)", entry["link"]).group(1)
    paper_id, version = normalize_arxiv_id(url)
    return Paper(
        id=paper_id,
        version=version,
        title=clean_title(entry["title"]),
        abstract=clean_abstract(entry["abstract"]),
        categories=("cs.LG",),
    )


def test_defect_1_no_announce_prefix_in_english_abstracts():
    for number in (2, 3):
        raw = seed_entry(number)["abstract"]
        assert raw.startswith("arXiv:2403.")  # the seed's defect
        assert clean_abstract(raw).startswith(("Recent research", "Despite the vast"))
        assert "Announce Type" not in seed_paper(number).abstract


def test_defect_2_a_translated_announce_prefix_is_refused():
    paper = seed_paper(6)
    answer = {
        "title": seed_entry(6)["title_zh"],
        "tldr": seed_entry(6)["tldr"],
        "abstract": seed_entry(6)["abstract_zh"],
    }
    assert answer["abstract"].startswith("arXiv:2402.10753v1 公告类型")
    problem = check_answer(repair_answer(answer, paper), paper, "zh")  # its $恶意$ unwrapped
    assert problem is not None and "announce prefix" in problem
    # and the prefix never reaches the LLM: the paper's abstract is clean before it is asked
    assert seed_paper(6).abstract.startswith("Tool learning is widely acknowledged")


def test_defect_3_no_trailing_period_left_by_the_legacy_title_suffix():
    for number in range(10, 22):
        raw = seed_entry(number)["title"]
        assert re.search(r"\. \(arXiv:\d+\.\d+v\d+ \[[\w.-]+\]( UPDATED| CROSS LISTED)?\)$", raw)
        title = clean_title(raw)
        assert not title.endswith(".") and "(arXiv:" not in title


def test_defect_4_the_whole_abstract_and_no_word_cut():
    paper = seed_paper(1)
    long = paper.abstract + " " + " ".join(["Extensive experiments confirm the gain."] * 40)
    paper = Paper(id=paper.id, version=1, title=paper.title, abstract=long)
    summary = Summary(
        paper.key,
        "zh",
        seed_entry(1)["title_zh"],
        seed_entry(1)["tldr"],
        seed_entry(1)["abstract_zh"],
        source="llm",
    )
    entry = Entry(1, paper, summary)
    shown = " ".join(re.sub(r"<[^>]+>", "", part) for part in render_paper(entry, "zh"))
    assert " ".join(long.split()) in " ".join(shown.split())
    assert " ".join(long.split()) in " ".join(render_markdown([entry], "zh").split())


def test_defect_5_english_where_chinese_was_asked_is_not_a_translation():
    paper = seed_paper(15)
    english = {"title": paper.title, "tldr": seed_entry(15)["tldr"], "abstract": paper.abstract}
    assert check_answer(english, paper, "zh") is not None
    shown = "".join(render_paper(Entry(15, paper, offline_summary(paper, "zh")), "zh"))
    assert t("zh", "paper.translated_abstract") not in shown  # the label the seed misused
    assert t("zh", "paper.original_abstract") in shown and t("zh", "paper.untranslated") in shown


def test_defect_6_links_point_to_arxiv_org_abs():
    paper = seed_paper(1)
    assert "rss.arxiv.org" in seed_entry(1)["link"]
    assert paper.abs_url == "https://arxiv.org/abs/2402.01295"
    summary = Summary(paper.key, "en", paper.title, "x", paper.abstract, source="llm")
    document = render_markdown([Entry(1, paper, summary)], "en")
    assert "rss.arxiv.org" not in document and "https://arxiv.org/abs/2402.01295" in document


def test_defect_7_chinese_words_wrapped_in_math_dollars_are_unwrapped():
    paper = seed_paper(6)
    translated = seed_entry(6)["abstract_zh"].split("抽象：", 1)[1]
    assert "$恶意$ $查询$" in translated
    answer = {
        "title": seed_entry(6)["title_zh"],
        "tldr": seed_entry(6)["tldr"],
        "abstract": translated + " 当 $1<p<2$ 时成立。",
    }
    problem = check_answer(answer, paper, "zh")
    assert problem is not None and "$恶意$" in problem  # as the seed wrote it: refused
    repaired = repair_answer(answer, paper)
    assert check_answer(repaired, paper, "zh") is None  # repaired: kept, not thrown away
    assert "恶意 查询" in repaired["abstract"] and "$恶意$" not in repaired["abstract"]
    assert repaired["abstract"].endswith("当 $1<p<2$ 时成立。")  # real math stays
