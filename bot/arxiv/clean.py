"""Text cleaning for arXiv metadata: prefixes, title suffixes, entities, TeX accents, names, ids."""

from __future__ import annotations

import html
import re
import unicodedata

# "arXiv:2402.10753v1 Announce Type: replace-cross \nAbstract: " in front of every feed abstract.
_ANNOUNCE_PREFIX = re.compile(r"^arXiv:\S+ Announce Type: ?[\w-]+ ?(?:Abstract: ?)?", re.IGNORECASE)
# The legacy RSS title suffix and the period before it: "T. (arXiv:2312.04960v2 [cs.CV] UPDATED)"
_LEGACY_SUFFIX = re.compile(r"\.? ?\(arXiv:[^()\[\]]+ \[[^\]]*\](?: [A-Z][A-Z ]*)?\)$")
# One entity reference, always with its ";" ("&amp;", "&#38;", "&#x26;"): "R&D" or "&notation" stay.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# TeX math, kept exactly as written: $...$, $$...$$, \(...\), \[...\]; an escaped \$ opens nothing.
_MATH = re.compile(r"(\$\$.+?\$\$|(?<!\\)\$.+?(?<!\\)\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)
_COMBINING = {
    "`": "\u0300", "'": "\u0301", "^": "\u0302", "~": "\u0303", "=": "\u0304", "u": "\u0306",
    ".": "\u0307", '"': "\u0308", "r": "\u030a", "H": "\u030b", "v": "\u030c", "d": "\u0323",
    "c": "\u0327", "k": "\u0328",
}  # fmt: skip
# An accent command and the letter it sits on: \'e  \'{e}  \v{s}  \c c  \u{\i}  \'\i nez
_ACCENT = re.compile(
    r"""\\(?:(?P<symbol>[`'^~=."])|(?P<word>[uvHrdck])(?![A-Za-z]))\s*"""
    r"""(?:\{\s*(?P<braced>\\[ij]|[A-Za-z])\s*\}"""
    r"""|(?P<bare>\\[ij](?![A-Za-z])(?:\{\}| (?=[a-z]))?|[A-Za-z]))"""
)
_LETTERS = {
    "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "dh": "ð",
    "DH": "Ð", "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ", "l": "ł", "L": "Ł", "o": "ø", "O": "Ø",
    "i": "ı", "j": "ȷ",
}  # fmt: skip
# A letter command; "{}" after it, or a space before the rest of its word, ends it: S\o ren, \ss{}
_LETTER_NAMES = "|".join(sorted(_LETTERS, key=len, reverse=True))
_LETTER = re.compile(rf"\\({_LETTER_NAMES})(?![A-Za-z])(?:\{{\}}| (?=[a-z]))?")
_ESCAPED = re.compile(r"\\([&%#_$])")  # \& \% \# \_ \$ are the characters themselves
_LONE_LETTER_GROUP = re.compile(r"\{([^\x00-\x7f])\}")  # {ö} left from {\"o}
# Text-style markup around words, kept as the words: \emph{word}, \textbf{word}, {\it word}
_STYLE_COMMAND = re.compile(
    r"\\(?:emph|text(?:bf|it|sl|sc|tt|rm|sf|up|md|normal)|underline)\s*\{([^{}]*)\}"
)
_STYLE_GROUP = re.compile(
    r"\{\\(?:it|bf|em|sl|sc|tt|rm|sf|itshape|bfseries|scshape|slshape|ttfamily|upshape)"
    r"(?![A-Za-z])\s*([^{}]*)\}"
)

# Paired parentheses with no parentheses inside; removed repeatedly to handle nesting.
_PARENTHESISED = re.compile(r"\([^()]*\)")
_AUTHOR_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")

_NEW_ID = r"[0-9]{4}\.[0-9]{4,5}"  # 2402.10753, 0704.0001
# astro-ph/0601001, math.AG/0601001; no archive name is longer than 10 letters (chao-dyn, ...)
_OLD_ID = r"[a-z][a-z-]{0,9}(?:\.[A-Z]{2})?/[0-9]{7}"
_ARXIV_ID = re.compile(rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<version>[1-9][0-9]*))?", re.ASCII)
# Full stops other scripts type where an id has its ".": ideographic, Arabic decimal, Urdu.
_FULL_STOPS = str.maketrans({"\u3002": ".", "\u066b": ".", "\u06d4": "."})
_ID_PREFIX = re.compile(
    r"^(?:oai:arxiv\.org:|arxiv:|https?://(?:[\w-]+\.)*arxiv\.org/(?:abs|pdf)/)", re.IGNORECASE
)


def collapse_whitespace(text: str) -> str:
    """Make every run of whitespace, newlines included, one space, and trim the ends."""
    return " ".join(text.split())


def decode_entities(text: str) -> str:
    """Decode HTML entity references once: "&amp;lt;" becomes "&lt;", not "<"."""
    return _ENTITY.sub(lambda match: html.unescape(match.group(0)), text)


def clean_text(text: str) -> str:
    """Entities decoded, one space between words: the base of every other cleaner."""
    return collapse_whitespace(decode_entities(text))


def clean_abstract(text: str) -> str:
    """An abstract as its authors wrote it: no "arXiv:... Announce Type: ... Abstract:" prefix.

    LaTeX stays exactly as written ("$1<p<2$" is math, not markup); nothing is stripped as HTML.
    """
    return _ANNOUNCE_PREFIX.sub("", clean_text(text), count=1)


def clean_title(text: str) -> str:
    """A title fit to show: one line, entities decoded, TeX accents and escapes as characters.

    The legacy feed's "(arXiv:2401.13913v1 [cs.LG])" suffix goes, with the period it left before
    it; a title without that suffix keeps its final period ("... et al."). Math stays as written.
    """
    return detex(_LEGACY_SUFFIX.sub("", clean_text(text)).rstrip())


def detex(text: str) -> str:
    """Turn TeX accents, special letters and escaped characters outside math into Unicode.

    `Schr\\"odinger` becomes "Schrödinger" and `\\&` becomes "&"; `$\\ddot{x}$` and commands that
    are no accent (`{\\Lambda}CDM`) are left alone.
    """
    pieces = _MATH.split(text)
    # re.split with one capturing group: even pieces are text, odd pieces the math between them.
    return "".join(piece if i % 2 else _detex_plain(piece) for i, piece in enumerate(pieces))


def plain_markup(text: str) -> str:
    """Text-style TeX outside math shown as its words: `\\emph{word}`, `\\textbf{word}`,
    `{\\it word}`, `{\\bf word}` become "word" (nested ones too); math stays as written."""
    pieces = _MATH.split(text)
    return "".join(piece if i % 2 else _unstyled(piece) for i, piece in enumerate(pieces))


def _unstyled(text: str) -> str:
    while True:
        plain = _STYLE_GROUP.sub(r"\1", _STYLE_COMMAND.sub(r"\1", text))
        if plain == text:
            return plain
        text = plain


def detex_name(text: str) -> str:
    """An author name as a reader writes it: `Pawe{\\l}` is "Paweł", `R\\'emy` is "Rémy"."""
    return collapse_whitespace(_detex_plain(text).replace("{", "").replace("}", ""))


def split_authors(text: str) -> tuple[str, ...]:
    """Split a `dc:creator` list ("A (Univ, City), B and C") into readable names.

    Parenthesised affiliations are dropped, commas and all: a digest shows who wrote a paper, and
    an author topic (`au:"Tianliang Yan"`) must match the bare name.
    """
    text = clean_text(text)
    while (stripped := _PARENTHESISED.sub("", text)) != text:
        text = stripped
    names = (detex_name(part) for part in _AUTHOR_SEPARATOR.split(text))
    return tuple(name for name in names if name)


def ascii_digits(text: str) -> str:
    """Text as a keyboard of another script typed it, read as ASCII where it can be: full-width
    forms folded (NFKC: "２４０２．０１２９５"), every decimal digit of any script as its ASCII
    digit ("٢٤٠٢" -> "2402", "२४०२" -> "2402"), an ideographic or Arabic full stop as ".".
    Anything else is kept as it is (and refused by whoever wanted digits)."""
    folded = unicodedata.normalize("NFKC", text).translate(_FULL_STOPS)
    return "".join(_ascii_digit(char) for char in folded)


def _ascii_digit(char: str) -> str:
    value = unicodedata.decimal(char, None)
    return char if value is None else str(value)


def normalize_arxiv_id(text: str) -> tuple[str, int]:
    """The bare id (ASCII) and version in any of arXiv's spellings; version 1 when none is given.

    "oai:arXiv.org:2402.10753v1", "https://rss.arxiv.org/abs/2402.01295", "arXiv:2402.10753",
    "astro-ph/0601001v1"; digits of other scripts and full-width forms are read as ASCII
    ("２４０２.０１２９５", "٢٤٠٢.٠١٢٩٥"). Raises ValueError on anything else.
    """
    candidate = _ID_PREFIX.sub("", ascii_digits(text).strip()).removesuffix(".pdf")
    match = _ARXIV_ID.fullmatch(candidate)
    if match is None:
        raise ValueError(f"not an arXiv id: {text!r}")
    return match["id"], int(match["version"] or 1)


def _detex_plain(text: str) -> str:
    """Replace accents, special letters and escaped characters in text known to hold no math."""
    text = _ACCENT.sub(_accented, text)
    text = _LETTER.sub(lambda match: _LETTERS[match.group(1)], text)
    text = _ESCAPED.sub(r"\1", text)
    return _LONE_LETTER_GROUP.sub(r"\1", text)


def _accented(match: re.Match[str]) -> str:
    base = (match["braced"] or match["bare"]).lstrip("\\")[0]  # \i and \j: the accent on i, j
    mark = _COMBINING[match["symbol"] or match["word"]]
    return unicodedata.normalize("NFC", base + mark)
