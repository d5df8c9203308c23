"""The exported Markdown has the seed digest's shape, without its defects; plain text reads."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from bot.digest.markdown import render_markdown, render_text
from bot.digest.render import DigestHeader, Entry
from bot.models import Paper, Summary

SEED = Path(__file__).parents[1] / "fixtures" / "seed-digest.md"
ROW = re.compile(r"^\| \[\^(\d+)\] \| \[(.+)\]\((\S+)\) \| (.*) \|$")
HEADER = DigestHeader("2024-11-28", ("cs.AI", '"weather forecast"'), 21)


def long_abstract(n: int) -> str:
    """About 2500 characters, well past the seed's 1000-character cut, ending in a known word."""
    sentence = f"Paper {n} studies solutions of elliptic problems for $1<p<2$ in Sobolev spaces. "
    return (sentence * 32).strip() + f" Final{n}conclusion."


def make_entry(n: int, source: str = "llm") -> Entry:
    paper = Paper(
        id=f"2402.{n:05d}",
        version=1,
        title=f"Title {n}: Solutions & Spaces",
        abstract=long_abstract(n),
        categories=("math.AP",),
    )
    if source == "llm":
        texts = {"title": f"标题 {n}：解与空间", "tldr": f"论文 {n} 的一句话总结。"}
        texts["abstract"] = f"论文 {n} 研究了椭圆问题的解。" * 60 + "结论。"
    else:
        texts = {
            "title": paper.title,
            "tldr": f"Paper {n} studies solutions.",
            "abstract": paper.abstract,
        }
    return Entry(n, paper, Summary(paper_key=paper.key, lang="zh", source=source, **texts))


def structure(doc: str) -> tuple[list[str], list[str], list[re.Match[str]], dict[int, list[str]]]:
    """Headings, the table's head, its rows and each footnote's paragraphs (title first).

    Asserts on the way that every line of a footnote's body is indented by four spaces.
    """
    lines = doc[doc.index("# ") :].splitlines()
    headings = [line for line in lines if line.startswith("# ")]
    first = lines.index(headings[0])
    rows = [m for line in lines if (m := ROW.match(line))]
    notes: dict[int, list[str]] = {}
    current: list[str] = []
    for line in lines[lines.index(headings[1]) + 1 :]:
        if m := re.match(r"\[\^(\d+)\]: (\S.*)$", line):
            current = notes.setdefault(int(m.group(1)), [m.group(2)])
            current.append("")
        elif line.strip():
            assert line.startswith("    ") and not line.startswith("     "), line[:40]
            current[-1] += line[4:]
        elif current and current[-1]:
            current.append("")
    return (
        headings,
        lines[first + 2 : first + 4],
        rows,
        {n: [p for p in paragraphs if p] for n, paragraphs in notes.items()},
    )


def test_a_chinese_digest_has_the_seed_documents_structure() -> None:
    entries = [make_entry(n) for n in range(1, 22)]
    doc = render_markdown(entries, "zh", HEADER)
    seed = structure(SEED.read_text(encoding="utf-8"))
    ours = structure(doc)

    assert ours[0] == seed[0] == ["# 摘要", "# 详细"]
    assert ours[1] == seed[1] == ["| Ref | Title | Summary |", "| --- | --- | --- |"]
    assert (
        [int(m.group(1)) for m in ours[2]]
        == [int(m.group(1)) for m in seed[2]]
        == list(range(1, 22))
    )
    assert sorted(ours[3]) == sorted(seed[3]) == list(range(1, 22))
    for n, e in enumerate(entries, start=1):
        url = f"https://arxiv.org/abs/{e.paper.id}"
        assert ours[2][n - 1].group(2, 3, 4) == (e.paper.title, url, e.summary.tldr)
        assert ours[3][n] == [
            e.summary.title,
            e.paper.title,
            f"[{url}]({url})",
            e.summary.tldr,
            e.summary.abstract,
            e.paper.abstract,
        ]
        assert len(seed[3][n]) == len(ours[3][n])  # the seed's own entries: same paragraphs
    assert doc.startswith('📰 arXiv 每日摘要 · 2024-11-28 · cs.AI, "weather forecast" · 21 篇论文')


def test_the_whole_abstract_is_exported_and_links_are_arxiv_abs() -> None:
    doc = render_markdown([make_entry(n) for n in range(1, 22)], "zh", HEADER)
    for n in range(1, 22):
        assert long_abstract(n) in doc
        assert f"Final{n}conclusion." in doc
    assert "rss.arxiv.org" not in doc and "http://" not in doc


def test_an_offline_summary_is_not_exported_as_a_translation() -> None:
    entries = [make_entry(n) for n in range(1, 15)] + [make_entry(15, source="offline")]
    doc = render_markdown(entries, "zh", HEADER)
    _, _, _, notes = structure(doc)
    paper = entries[14].paper
    url = f"https://arxiv.org/abs/{paper.id}"
    assert notes[15][0] == paper.title  # the English title, once, not as a translated one
    assert notes[15][1:] == [
        f"[{url}]({url})",
        "*未翻译：翻译需要大语言模型（LLM），本文暂以英文原文显示。*",
        "Paper 15 studies solutions.",
        paper.abstract,
    ]
    assert doc.count(paper.abstract) == 1


def test_table_cells_keep_their_columns_whatever_the_title() -> None:
    p = Paper(id="2403.16260", version=1, title="Min|Max [games] on $\\mathbb{F}$", abstract="A.")
    s = Summary(p.key, "en", p.title, "uses | pipes\nand two lines", "A.", source="llm")
    doc = render_markdown([Entry(1, p, s)], "en", HEADER)
    [row] = [line for line in doc.splitlines() if line.startswith("| [^1]")]
    assert len(re.findall(r"(?<!\\)\|", row)) == 4
    assert r"[Min\|Max \[games\] on $\mathbb{F}$](https://arxiv.org/abs/2403.16260)" in row
    assert row.endswith(r"| uses \| pipes and two lines |")
    assert "# Summary" in doc and "# Details" in doc
    assert "[^1]: Min|Max [games] on $\\mathbb{F}$\n\n    [https://arxiv.org" in doc


def test_without_papers_both_formats_say_so() -> None:
    doc = render_markdown([], "zh", DigestHeader("2024-11-28", ("cs.AI",), 0))
    assert "本期摘要没有论文。" in doc and "| Ref |" not in doc and "# 详细" not in doc
    assert render_text([], "en").strip() == "No papers in this digest."


def width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def test_plain_text_wraps_titles_and_tldrs_without_cutting_words() -> None:
    p = Paper(
        id="2401.07964",
        version=1,
        title="AI-as-exploration: " + "navigating space " * 6,
        abstract="",
    )
    tldr = "这篇论文阐述了一个被忽视但重要的科学角色，即AI作为探索。" * 3 + " Words stay whole " * 5
    text = render_text([Entry(9, p, Summary(p.key, "zh", "", tldr, ""))], "zh", HEADER, width=50)
    lines = text.splitlines()
    assert lines[:2] == ["📰 arXiv 每日摘要 · 2024-11-28", 'cs.AI, "weather forecast" · 21 篇论文']
    assert lines[3].startswith("[9] AI-as-exploration:")
    assert "    https://arxiv.org/abs/2401.07964" in lines
    assert all(width(line) <= 50 for line in lines)
    body = " ".join(lines[3:])
    assert body.split()[:2] == ["[9]", "AI-as-exploration:"]
    assert "".join(tldr.split()) in "".join(body.split())
    assert "Words stay whole" in " ".join(line.strip() for line in lines)
