"""BibTeX entries parse back with bibtexparser, every field right, whatever the title holds."""

from __future__ import annotations

import re
from pathlib import Path

import bibtexparser
import pytest
from pylatexenc.latexwalker import LatexWalker

from bot.arxiv.parse import parse_api, parse_feed
from bot.digest.bibtex import bibtex_document, bibtex_entry, bibtex_key
from bot.models import Paper

FIXTURES = Path(__file__).parents[1] / "fixtures" / "arxiv"
API_FIXTURE = "api-query-id_list-0808.05394_1707.08567-2026-04-12.xml"
RSS_FIXTURE = "rss2-all-archives-2024-11-28.xml"
MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
MARKERS = {r"\textbraceleft{}": "\x01", r"\textbraceright{}": "\x02"}
MATH_MARKERS = {r"\lbrace ": "\x01", r"\rbrace ": "\x02"}
UNESCAPE = {r"\&": "&", r"\%": "%", r"\#": "#", r"\_": "_", r"\^{}": "^", r"\$": "$"}


def paper(
    title: str = "A title", authors: tuple[str, ...] = ("Ada Lovelace",), **kw: object
) -> Paper:
    values: dict[str, object] = {
        "id": "2402.01295",
        "version": 2,
        "title": title,
        "abstract": "Abstract.",
        "authors": authors,
        "categories": ("cs.LG", "stat.ML"),
        **kw,
    }
    return Paper(**values)  # type: ignore[arg-type]


def parse_one(text: str) -> dict[str, str]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    [entry] = library.entries
    return fields_of(entry)


def fields_of(entry: bibtexparser.model.Entry) -> dict[str, str]:
    return {"ENTRYTYPE": entry.entry_type, "ID": entry.key} | {f.key: f.value for f in entry.fields}


def split_math(text: str) -> list[tuple[bool, str]]:
    """Stretches of text and `$math$`, with a `$` that is escaped or unpaired counted as text."""
    parts = re.split(r"((?<!\\)\$[^$]*(?<!\\)\$)", text)
    return [(part.startswith("$") and len(part) > 1, part) for part in parts if part]


def read_back(value: str) -> str:
    """The text a reader sees, TeX escapes undone and grouping braces dropped."""
    pieces = []
    for in_math, part in split_math(value):
        for marker, sentinel in (MATH_MARKERS if in_math else MARKERS).items():
            part = part.replace(marker, sentinel)
        if not in_math:
            part = part.replace(r"\textasciitilde{}", "~").replace(r"\textbackslash{}", "\\")
        for escaped, plain in UNESCAPE.items():
            part = part.replace(escaped, "\x03" + plain)
        part = re.sub(r"(?<!\x03)[{}]", "", part).replace("\x03", "")
        pieces.append(part.replace("\x01", "{").replace("\x02", "}"))
    return "".join(pieces)


def as_written(title: str) -> str:
    """The original as a reader sees it, braces aside: the authors' escapes read."""
    return re.sub(r"\\([&%#_$])", r"\1", title.replace("\\{", "").replace("\\}", ""))


def same_words(entry_value: str, original: str) -> bool:
    """The entry reads as the original, leaving braces aside (their tests are exact)."""
    return re.sub("[{}]", "", read_back(entry_value)) == re.sub("[{}]", "", as_written(original))


def is_balanced(value: str) -> bool:
    """Braces pair as BibTeX counts them (a backslash does not escape a brace for BibTeX)."""
    depth = 0
    for char in value:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def unescaped_specials(value: str) -> list[str]:
    """Characters LaTeX would choke on outside math: `& % # _ ^` without a backslash."""
    text = "".join(part for in_math, part in split_math(value) if not in_math)
    return re.findall(r"(?<!\\)[&%#_^]", text)


def check_entry(fields: dict[str, str], source: Paper) -> None:
    """Every field says what the paper says, escaped so LaTeX and BibTeX read it."""
    yymm = re.match(r"(\d{2})(\d{2})\.", source.id)
    assert yymm is not None
    assert fields["ENTRYTYPE"] == "misc"
    assert fields["ID"] == bibtex_key(source)
    assert re.fullmatch(r"[a-z0-9]*\d{4}[a-z0-9]*-[a-z0-9._-]+", fields["ID"])
    assert same_words(fields["title"], source.title), fields["title"]
    names = fields["author"].split(" and ")
    assert len(names) == len(source.authors)
    assert all(same_words(n, a) for n, a in zip(names, source.authors, strict=True)), names
    assert fields["year"] == str(2000 + int(yymm.group(1)))
    assert fields["month"] == MONTHS[int(yymm.group(2)) - 1]
    assert fields["eprint"] == source.id
    assert fields["archivePrefix"] == "arXiv"
    assert fields["primaryClass"] == source.categories[0]
    assert fields["url"] == f"https://arxiv.org/abs/{source.id}"
    assert fields.get("doi", "") == source.doi
    for name in ("title", "author"):
        assert is_balanced(fields[name]), fields[name]
        assert unescaped_specials(fields[name]) == [], fields[name]
        LatexWalker(fields[name], tolerant_parsing=False).get_latex_nodes()


def test_entry_carries_every_field() -> None:
    source = paper(doi="10.1103/PhysRevLett.133.226302")
    fields = parse_one(bibtex_entry(source))
    assert fields == {
        "ENTRYTYPE": "misc",
        "ID": "lovelace2024a-2402.01295",
        "title": "A title",
        "author": "Ada Lovelace",
        "year": "2024",
        "month": "feb",
        "eprint": "2402.01295",
        "archivePrefix": "arXiv",
        "primaryClass": "cs.LG",
        "doi": "10.1103/PhysRevLett.133.226302",
        "url": "https://arxiv.org/abs/2402.01295",
    }
    check_entry(fields, source)


def test_month_is_the_bibtex_macro_and_no_doi_means_no_field() -> None:
    text = bibtex_entry(paper())
    assert "month = feb," in text
    assert "doi" not in parse_one(text)


@pytest.mark.parametrize(
    ("title", "written"),
    [
        ("Q&A at 50% for #1 in snake_case", r"Q\&{A} at 50\% for \#1 in snake\_case"),
        ("Learning $x_1^2 & 50\\%$ fast", r"Learning $x_1^2 \& 50\%$ fast"),
        ("Bounds on $\\zeta(5)$ and {\\Lambda}CDM", r"Bounds on $\zeta(5)$ and {\Lambda}{CDM}"),
        ("Open { brace", r"Open \textbraceleft{} brace"),
        ("Close } brace {here}", r"Close \textbraceright{} brace {here}"),
        (
            "Set $\\{x\\}$ and \\{y\\}",
            r"Set $\lbrace x\rbrace $ and \textbraceleft{}y\textbraceright{}",
        ),
        ("Costs $5 only", r"Costs \$5 only"),
        ("BERT meets ImageNet in 5G", r"{BERT} meets {ImageNet} in {5G}"),
        ("z~2 and x^2 with a \\", r"z\textasciitilde{}2 and x\^{}2 with a \textbackslash{}"),
    ],
)
def test_title_escapes(title: str, written: str) -> None:
    source = paper(title)
    fields = parse_one(bibtex_entry(source))
    assert fields["title"] == written
    check_entry(fields, source)


@pytest.mark.parametrize(
    "authors",
    [
        ("Dénes Berta", "Jörg F. Unger", "Juan F. Mañas-Mañas"),
        ("CMS Collaboration",),
        ("A & B Lab", "Ann 100% Sure", "Odd { Name"),
        ("Joost van der Putten", "Ludwig von Mises"),
    ],
)
def test_authors_are_joined_with_and(authors: tuple[str, ...]) -> None:
    source = paper(authors=authors)
    fields = parse_one(bibtex_entry(source))
    check_entry(fields, source)


def test_a_collaboration_stays_one_name() -> None:
    source = paper(authors=("CMS Collaboration", "Ada Andersen", "Tom and Jerry Lab"))
    author = parse_one(bibtex_entry(source))["author"]
    assert author == "{CMS Collaboration} and Ada Andersen and {Tom and Jerry Lab}"


def test_accents_stay_utf8_and_fold_in_the_key() -> None:
    source = paper("Über Schrödinger", authors=("Václav Vavryčuk",))
    text = bibtex_entry(source)
    assert "Václav Vavryčuk" in text and "Über Schrödinger" in text
    assert parse_one(text)["ID"] == "vavrycuk2024uber-2402.01295"


def test_old_style_ids_give_a_valid_key_and_date() -> None:
    source = paper(id="astro-ph/0601001", authors=("John Smith",), title="Dark energy")
    fields = parse_one(bibtex_entry(source))
    assert (fields["ID"], fields["year"], fields["month"]) == (
        "smith2006dark-astro-ph_0601001",
        "2006",
        "jan",
    )
    assert fields["eprint"] == "astro-ph/0601001"


def test_api_fixture_papers_parse_back() -> None:
    papers = parse_api((FIXTURES / API_FIXTURE).read_bytes())
    assert papers
    library = bibtexparser.parse_string(bibtex_document(papers))
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == [bibtex_key(p) for p in papers]
    for entry, source in zip(library.entries, papers, strict=True):
        check_entry(fields_of(entry), source)


def test_rss_fixture_papers_parse_back() -> None:
    papers = list(parse_feed((FIXTURES / RSS_FIXTURE).read_bytes()).papers)
    library = bibtexparser.parse_string(bibtex_document(papers + papers[:3]))
    assert library.failed_blocks == []
    assert len(library.entries) == len({p.id for p in papers})
    by_key = {entry.key: entry for entry in library.entries}
    for source in papers:
        check_entry(fields_of(by_key[bibtex_key(source)]), source)
    assert any("doi" in e.fields_dict for e in library.entries)
    assert any("\\&" in e["title"] for e in library.entries)
    assert any("\\%" in e["title"] for e in library.entries)
