"""BibTeX for papers: a stable key, TeX-escaped fields, written and checked by bibtexparser.

Choices where arXiv data meets BibTeX:

- The entry type is `@misc` with `eprint`, `archivePrefix` and `primaryClass`, as arXiv's own
  export does; BibTeX, BibLaTeX (biber), Zotero and JabRef all read it.
- The key is `<first author's last name><year><first title word>-<arXiv id>`, ASCII-folded and
  lowercased (`vaswani2017attention-1706.03762`): readable, and unique because of the id. An old
  id's `/` becomes `_` (`smith2006dark-astro-ph_0601001`).
- `year` and `month` are those of the first version, read from the id (`2402.*` is 2024, Feb;
  `astro-ph/0601001` is 2006, Jan); `month` is the standard macro (`feb`), unbraced.
- Accented letters stay UTF-8: BibLaTeX, Zotero and JabRef read it, and it keeps names intact.
- Text outside math gets `& % # _ ^ ~` escaped; `$math$` is kept as the authors wrote it (only
  `& % #` escaped inside); braces that do not pair become `\\textbraceleft{}` /
  `\\textbraceright{}` (`\\lbrace` / `\\rbrace` in math), so every field stays balanced.
- Title words whose capitals a style must not lower (`BERT`, `ImageNet`, `5G`, `Cu2SO4`) are
  wrapped in braces; other words are left to the style.
- Authors are " and "-joined as arXiv gives them ("First von Last", which BibTeX splits itself);
  a collaboration (`ATLAS Collaboration`) or a name holding the word "and" is braced, so it
  stays one name.
- `doi`, `url` and `eprint` are verbatim fields in BibLaTeX, so they are not escaped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.middlewares import default_unparse_stack
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat

from bot.models import Paper

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\\$|.", re.DOTALL)
_TEXT_ESCAPES = {
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\textasciitilde{}",
}
_SPECIALS = re.compile(r"[\\{}$&%#_^~]")
_MATH_ESCAPES = {"&": r"\&", "%": r"\%", "#": r"\#"}
_BRACES = {
    False: {"{": r"\textbraceleft{}", "}": r"\textbraceright{}"},
    True: {"{": r"\lbrace ", "}": r"\rbrace "},
}
_ONE_NAME = re.compile(r"\b(collaboration|consortium|team|group|project|and)\b", re.IGNORECASE)
_NEW_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}")
_OLD_ID = re.compile(r"[a-z-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}")


def bibtex_document(papers: Iterable[Paper]) -> str:
    """A `.bib` file of the papers in the given order, each entry once."""
    library = Library()
    seen: set[str] = set()
    for paper in papers:
        if paper.id not in seen:
            seen.add(paper.id)
            library.add(_entry(paper))
    return _write(library)


def bibtex_entry(paper: Paper) -> str:
    """The paper's BibTeX entry, as `/bib` shows it."""
    library = Library()
    library.add(_entry(paper))
    return _write(library)


def bibtex_key(paper: Paper) -> str:
    """`<last name><year><first title word>-<id>`, ASCII lowercase: stable and unique."""
    last_name = _ascii_word(paper.authors[0].split()[-1]) if paper.authors else ""
    first_word = next((w for w in map(_ascii_word, _text_words(paper.title)) if w), "")
    year, _ = first_version_date(paper)
    return f"{last_name}{year}{first_word}-{paper.id.replace('/', '_')}"


def first_version_date(paper: Paper) -> tuple[str, int]:
    """The year ("2024") and month (1-12) of the first version, from the id or the announcement."""
    match = _NEW_ID.fullmatch(paper.id) or _OLD_ID.fullmatch(paper.id)
    if match:
        yy, mm = int(match.group(1)), int(match.group(2))
        return str(2000 + yy if yy < 91 else 1900 + yy), mm
    year, _, rest = paper.announced.partition("-")
    return year, int(rest[:2]) if rest[:2].isdigit() else 0


def tex_escape(text: str, *, protect_capitals: bool = False) -> str:
    """Text as a balanced BibTeX value: specials escaped, math kept, odd braces spelled out."""
    if not protect_capitals and not _SPECIALS.search(text):
        return text
    tokens = _TOKEN.findall(text)
    math = _math_flags(tokens)
    unpaired = _unpaired_braces(tokens, math)
    pieces = [_escape_token(t, math[i], i in unpaired) for i, t in enumerate(tokens)]
    if protect_capitals:
        pieces = _protect_words(tokens, pieces, math)
    return "".join(pieces)


def _entry(paper: Paper) -> Entry:
    year, month = first_version_date(paper)
    values = {
        "title": tex_escape(paper.title, protect_capitals=True),
        "author": " and ".join(_author(name) for name in paper.authors),
        "year": year,
        "month": MONTHS[month - 1] if 1 <= month <= 12 else "",
        "eprint": paper.id,
        "archivePrefix": "arXiv",
        "primaryClass": paper.primary_category,
        "doi": paper.doi,
        "url": paper.abs_url,
    }
    fields = [Field(key, value) for key, value in values.items() if value]
    for field in fields:
        if field.key == "month":
            field.enclosing = "no-enclosing"
    return Entry("misc", bibtex_key(paper), fields)


def _write(library: Library) -> str:
    layout = BibtexFormat()  # type: ignore[no-untyped-call]
    layout.indent = "  "
    # The library is built for this one write, so the writer may change it in place.
    in_place = default_unparse_stack(allow_inplace_modification=True)
    return write_string(library, unparse_stack=in_place, bibtex_format=layout)


def _author(name: str) -> str:
    escaped = tex_escape(name)
    return f"{{{escaped}}}" if _ONE_NAME.search(name) else escaped


def _ascii_word(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _text_words(title: str) -> list[str]:
    """The title's words outside math and TeX commands, for the key."""
    plain = re.sub(r"\$[^$]*\$|\\[A-Za-z]+", " ", title)
    return re.split(r"[\s\-:/]+", plain)


def _math_flags(tokens: list[str]) -> list[bool]:
    """Per token: inside `$...$` (the dollars themselves count as math); an odd last `$` not."""
    dollars = [i for i, t in enumerate(tokens) if t == "$"]
    paired = set(dollars[: len(dollars) - len(dollars) % 2])
    flags, inside = [], False
    for i in range(len(tokens)):
        if i in paired:
            inside = not inside
            flags.append(True)
        else:
            flags.append(inside)
    return flags


def _unpaired_braces(tokens: list[str], math: list[bool]) -> set[int]:
    """Indices of `{`/`}` without a partner in the same text or math stretch."""
    unpaired: set[int] = set()
    open_at: list[int] = []
    for i, token in enumerate(tokens):
        if token == "$" or (i and math[i] != math[i - 1]):
            unpaired.update(open_at)
            open_at = []
        if token == "{":
            open_at.append(i)
        elif token == "}":
            if open_at:
                open_at.pop()
            else:
                unpaired.add(i)
    return unpaired | set(open_at)


def _escape_token(token: str, in_math: bool, unpaired: bool) -> str:
    if token in ("{", "}"):
        return _BRACES[in_math][token] if unpaired else token
    if token in (r"\{", r"\}"):
        return _BRACES[in_math][token[1]]
    if token == "$":
        return "$" if in_math else r"\$"
    if token.startswith("\\") and (len(token) == 1 or token[1].isspace()):
        return r"\textbackslash{}" + token[1:]
    escapes = _MATH_ESCAPES if in_math else _TEXT_ESCAPES
    return escapes.get(token, token)


def _protect_words(tokens: list[str], pieces: list[str], math: list[bool]) -> list[str]:
    """Brace the words at depth 0 outside math that a style must not lowercase."""
    depth, start = 0, None
    for i, token in enumerate([*tokens, " "]):
        in_word = i < len(tokens) and depth == 0 and not math[i] and token.isalnum()
        if in_word and start is None:
            start = i
        elif not in_word and start is not None:
            if _needs_protection("".join(tokens[start:i]), first=start == 0):
                pieces[start] = "{" + pieces[start]
                pieces[i - 1] += "}"
            start = None
        if i < len(tokens) and pieces[i] == token and not math[i]:
            depth += {"{": 1, "}": -1}.get(token, 0)
    return pieces


def _needs_protection(word: str, *, first: bool) -> bool:
    """Capitals after the first letter, capitals with digits, or a lone capital mid-title."""
    if any(c.isupper() for c in word[1:]):
        return True
    if any(c.isupper() for c in word) and any(c.isdigit() for c in word):
        return True
    return len(word) == 1 and word.isupper() and not first
