"""A paper's full text from arXiv's HTML rendering (LaTeXML): sections of plain text.

Kept: the title, the abstract, each section's heading (with its number) and paragraphs; math
as its LaTeX (the `alttext` of <math>, between $); figures and tables as their captions.
Dropped: the bibliography (or a "References" section), navigation, headers and footers, author
blocks, footnotes, scripts and arXiv's "Report issue" buttons. Pure: bytes in, `FullText` out.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from bot.errors import FeedError
from bot.models import FullText, Section

MAX_TEXT_CHARS = 400_000  # text kept per paper; later sections (appendices) go first
MAX_SECTION_CHARS = 60_000  # text kept per section
_DROPPED = (
    "script, style, nav, header, footer, button, .ltx_bibliography, .ltx_page_navbar, "
    ".ltx_page_header, .ltx_page_footer, .ltx_authors, .ltx_note, .ltx_dates, .ltx_classification, "
    ".ltx_keywords, .ltx_acknowledgements_title, .ltx_TOC, .ltx_pagination"
)
_SECTIONS = ("ltx_section", "ltx_subsection", "ltx_subsubsection", "ltx_appendix", "ltx_paragraph")
_REFERENCES = re.compile(r"(references|bibliography|literature cited)", re.IGNORECASE)
_APPENDIX = re.compile(r"^appendix\s+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def parse_html(content: bytes, paper_id: str) -> FullText:
    """The paper's sections; FeedError when the page is no LaTeXML rendering (an error page)."""
    tree = LexborHTMLParser(content.decode("utf-8", errors="replace"))
    root = tree.css_first("article.ltx_document, .ltx_page_content, .ltx_document")
    if root is None or root.css_first(".ltx_para, .ltx_p") is None:
        raise FeedError(f"arXiv's HTML for {paper_id} is not a LaTeXML paper")
    for node in root.css(_DROPPED):
        node.decompose()
    _math_as_latex(root)
    _captions_only(root)
    title_node = root.css_first(".ltx_title_document")
    title = _text(title_node) if title_node is not None else ""
    sections: list[Section] = []
    abstract = root.css_first(".ltx_abstract")
    if abstract is not None:
        _drop_titles(abstract)
        sections.append(Section("", "Abstract", _text(abstract)))
        abstract.decompose()
    _walk(root, sections)
    return FullText(paper_id, title, _within_limits(sections))


def _math_as_latex(root: LexborNode) -> None:
    """Every <math> element becomes its LaTeX source between $ (its visible form otherwise)."""
    for math in root.css("math"):
        latex = " ".join((math.attributes.get("alttext") or "").split())
        math.replace_with(f" ${latex}$ " if latex else _text(math))


def _captions_only(root: LexborNode) -> None:
    """Figures and tables keep only their captions (the cells and images go)."""
    for figure in root.css("figure"):
        for child in list(figure.iter()):
            if child.tag != "figcaption" and "ltx_caption" not in _classes(child):
                child.decompose()


def _drop_titles(node: LexborNode) -> None:
    for title in node.css(".ltx_title"):
        title.decompose()


def _walk(node: LexborNode, sections: list[Section]) -> None:
    """Collect the text outside any section into sections, in document order."""
    for child in node.iter():
        classes = _classes(child)
        if child.tag == "section" or classes & set(_SECTIONS):
            _section(child, sections)
        elif "ltx_para" in classes or child.tag == "figure":
            _orphan(child, sections)
        else:
            _walk(child, sections)


def _section(node: LexborNode, sections: list[Section]) -> None:
    """One section: its heading, its own paragraphs, then its subsections after it."""
    number, heading = _heading(node)
    if _REFERENCES.fullmatch(heading):
        return
    index = len(sections)
    sections.append(Section(number, heading, ""))
    texts: list[str] = []
    for child in node.iter():
        if "ltx_title" in _classes(child) and child.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            continue
        _walk_one(child, texts, sections)
    sections[index] = Section(number, heading, "\n".join(t for t in texts if t))


def _walk_one(child: LexborNode, texts: list[str], sections: list[Section]) -> None:
    classes = _classes(child)
    if child.tag == "section" or classes & set(_SECTIONS):
        _section(child, sections)
    elif classes & {"ltx_para", "ltx_p"} or child.tag in ("figure", "p"):
        texts.append(_text(child))
    else:
        for grandchild in child.iter():
            _walk_one(grandchild, texts, sections)


def _orphan(node: LexborNode, sections: list[Section]) -> None:
    """A paragraph outside any section (a page without sections) joins an untitled one."""
    if not sections or sections[-1].heading != "":
        sections.append(Section("", "", ""))
    last = sections[-1]
    sections[-1] = Section("", "", (last.text + "\n" + _text(node)).strip())


def _heading(node: LexborNode) -> tuple[str, str]:
    """The section's number (its LaTeXML tag: "3.2", "A") and its heading's words."""
    title = next((c for c in node.iter() if "ltx_title" in _classes(c)), None)
    if title is None:
        return "", ""
    tag = title.css_first(".ltx_tag")
    number = _text(tag) if tag is not None else ""
    if tag is not None:
        tag.decompose()
    number = _APPENDIX.sub("", number).strip().rstrip(".")
    return number, _text(title)


def _within_limits(sections: list[Section]) -> tuple[Section, ...]:
    """Empty sections without a heading gone; each section and the whole text cut to size."""
    kept: list[Section] = []
    total = 0
    for section in sections:
        if not section.text and not section.heading:
            continue
        text = section.text[:MAX_SECTION_CHARS]
        if total + len(text) > MAX_TEXT_CHARS:
            break
        total += len(text)
        kept.append(Section(section.number, section.heading, text))
    return tuple(kept)


def _classes(node: LexborNode) -> set[str]:
    return set((node.attributes.get("class") or "").split())


def _text(node: LexborNode) -> str:
    return _SPACES.sub(" ", node.text(deep=True, separator="")).strip()
