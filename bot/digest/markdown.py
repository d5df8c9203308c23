"""A digest as a Markdown document in the seed digest's shape, and as plain text (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.arxiv import plain_markup
from bot.digest.render import DigestHeader, Entry, abstracts, header_lines, titles
from bot.digest.textcut import wrap
from bot.i18n import is_english, t

TABLE_HEAD = "| Ref | Title | Summary |\n| --- | --- | --- |"  # the seed's, in every language
INDENT = "    "  # footnote continuation paragraphs
TEXT_WIDTH = 80  # columns of the plain-text digest


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    """Text for one table cell: one line, pipes escaped so the row keeps its columns."""
    return _one_line(text).replace("|", "\\|")


def _link_text(text: str) -> str:
    """A cell that is also the text of a link: brackets escaped so the link stays one."""
    return re.sub(r"([\[\]])", r"\\\1", _cell(text))


def _paragraphs(text: str) -> list[str]:
    """The paragraphs of `text` (split at blank lines), each on one line."""
    return [p for p in (_one_line(part) for part in re.split(r"\n\s*\n", text)) if p]


def _table(entries: Sequence[Entry]) -> str:
    rows = [
        f"| [^{e.number}] | [{_link_text(plain_markup(e.paper.title))}]({e.paper.abs_url}) "
        f"| {_cell(plain_markup(e.summary.tldr))} |"
        for e in entries
    ]
    return "\n".join([TABLE_HEAD, *rows])


def _footnote(entry: Entry, lang: str) -> str:
    """`[^N]: title`, then original title, link, TL;DR and the whole abstracts, indented."""
    paper, summary = entry.paper, entry.summary
    title, original = titles(paper, summary, lang)
    paragraphs = [original] if original else []
    paragraphs.append(f"[{paper.abs_url}]({paper.abs_url})")
    if summary.is_fallback and not is_english(lang):
        paragraphs.append(f"*{t(lang, 'paper.untranslated')}*")
    paragraphs += _paragraphs(plain_markup(summary.tldr))
    if summary.needs_abstract and not is_english(lang):
        paragraphs.append(f"*{t(lang, 'paper.abstract_failed')}*")
    for _label, text in abstracts(paper, summary, lang):
        paragraphs += _paragraphs(text)
    body = "\n\n".join(INDENT + paragraph for paragraph in paragraphs)
    return f"[^{entry.number}]: {title}\n\n{body}"


def render_markdown(entries: Sequence[Entry], lang: str, header: DigestHeader | None = None) -> str:
    """The document: a header line, `# 摘要` with the table, `# 详细` with the expanded entries."""
    blocks = [" · ".join(header_lines(header, lang))] if header else []
    blocks.append(f"# {t(lang, 'markdown.summary_heading')}")
    if not entries:
        blocks.append(t(lang, "digest.no_papers"))
    else:
        blocks.append(_table(entries))
        blocks.append(f"# {t(lang, 'markdown.details_heading')}")
        blocks += [_footnote(entry, lang) for entry in entries]
    return "\n\n".join(blocks) + "\n"


def _text_entry(entry: Entry, width: int) -> str:
    """`[N] title` with the link and the TL;DR hanging under the title, wrapped to `width`."""
    label = f"[{entry.number}] "
    hang = " " * len(label)
    lines = wrap(plain_markup(entry.paper.title), width, hang) or [hang]
    lines[0] = label + lines[0][len(hang) :]
    lines.append(hang + entry.paper.abs_url)
    lines += wrap(plain_markup(entry.summary.tldr), width, hang)
    return "\n".join(lines)


def render_text(
    entries: Sequence[Entry],
    lang: str,
    header: DigestHeader | None = None,
    width: int = TEXT_WIDTH,
) -> str:
    """The digest for a terminal: header, then each entry's number, title, link and TL;DR."""
    blocks = ["\n".join(header_lines(header, lang))] if header else []
    if not entries:
        blocks.append(t(lang, "digest.no_papers"))
    blocks += [_text_entry(entry, width) for entry in entries]
    return "\n\n".join(blocks) + "\n"
