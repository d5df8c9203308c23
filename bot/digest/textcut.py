"""Measuring and cutting text: UTF-16 lengths as Telegram counts them, word-safe cuts and wraps."""

from __future__ import annotations

import html
import re
import unicodedata

ELLIPSIS = "…"

# Scripts written without spaces between words: a line may break between any two of their
# characters (CJK ideographs, kana, hangul, CJK and full-width punctuation).
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
# Punctuation that must not start a line or a cut-off piece.
_NO_BREAK_BEFORE = frozenset("、。，．！？：；）」』】》〉”’.,;:!?)]}…")
_TAG = re.compile(r"<[^>]*>")
_PARAGRAPH_END = re.compile(r"\n\s*")
_SENTENCE_END = re.compile(r"[.!?](?=\s)\s*|[。！？；]\s*")
_TOKENS = re.compile(f"\\s+|[{_CJK}]|[^\\s{_CJK}]+")
# An HTML message as Telegram reads it: tags, entities, runs of text, a stray "<" or "&".
_HTML_PIECES = re.compile(r"<[^>]*>|&#?\w+;|[^<&]+|[<&]")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][\w-]*)")
_ZWJ = "\u200d"
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_EMOJI_PARTS = ("So", "Sk", "Mn", "Me")  # what a joiner follows inside an emoji sequence


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (𝔽, 🚀) count 2."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def telegram_length(html_text: str) -> int:
    """Length of an HTML message as Telegram counts it: tags dropped, entities one character."""
    shown = _TAG.sub("", html_text) if "<" in html_text else html_text
    return utf16_len(html.unescape(shown) if "&" in shown else shown)


def _prefix_within(text: str, units: int) -> int:
    """The number of characters of `text` that fit in `units` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return index
    return len(text)


def _can_break(text: str, index: int) -> bool:
    """Whether a cut between text[index - 1] and text[index] splits no word."""
    before, after = text[index - 1], text[index]
    if before.isspace() or after.isspace():
        return True
    if after in _NO_BREAK_BEFORE:
        return False
    return bool(_CJK_CHAR.match(before) or _CJK_CHAR.match(after))


def _last_word_break(text: str, end: int) -> int:
    """The last position in text[:end + 1] where a cut splits no word, or 0."""
    for index in range(min(end, len(text) - 1), 0, -1):
        if _can_break(text, index):
            return index
    return 0


def _last_match_end(pattern: re.Pattern[str], text: str, end: int) -> int:
    """The end of the last match of `pattern` that ends within text[:end], or 0."""
    best = 0
    for match in pattern.finditer(text, 0, end):
        best = match.end()
    return best


def cut(text: str, units: int, *, coarse: bool = True) -> tuple[str, str]:
    """Split `text` into a head of at most `units` UTF-16 units and the rest, never mid-word.

    With `coarse`, a paragraph end, then a sentence end, is preferred when one falls in the
    second half of the room. A single word longer than the room is the only thing cut inside.
    """
    if utf16_len(text) <= units:
        return text, ""
    end = _prefix_within(text, units)
    index = 0
    if coarse:
        for pattern in (_PARAGRAPH_END, _SENTENCE_END):
            found = _last_match_end(pattern, text, end)
            if found > end // 2:
                index = found
                break
    if not index:
        index = _last_word_break(text, end)
    if not index or not text[:index].strip():
        index = _grapheme_start(text, max(end, 1))  # one word longer than the room: cut inside
    return text[:index].rstrip(), text[index:].lstrip()


def shorten(text: str, units: int) -> str:
    """`text` if it fits in `units` UTF-16 units, else its head cut at a word boundary plus "…"."""
    if utf16_len(text) <= units:
        return text
    head, _ = cut(text, max(units - utf16_len(ELLIPSIS), 0), coarse=False)
    return head.rstrip(" ,;:") + ELLIPSIS


def _continues_grapheme(char: str) -> bool:
    """Whether a character belongs to the one before it (accents, emoji modifiers, joiners)."""
    code = ord(char)
    return (
        unicodedata.combining(char) > 0
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters of flag sequences
    )


def _grapheme_start(text: str, index: int) -> int:
    """`index`, moved back until a cut there splits no character as a reader sees it."""
    while 1 < index < len(text) and (_continues_grapheme(text[index]) or text[index - 1] == _ZWJ):
        index -= 1
    return index


def plain_input(text: str) -> str:
    """Typed text as topics read it: compatibility forms folded (NFKC: "ｃｓ.ＡＩ" is "cs.AI"),
    invisible characters removed (see strip_invisible)."""
    return strip_invisible(unicodedata.normalize("NFKC", text))


def strip_invisible(text: str) -> str:
    """Text without invisible characters (zero-width spaces, direction marks, controls); a
    joiner is kept only inside an emoji ("👨‍👩‍👧")."""
    kept: list[str] = []
    for char in text:
        visible = char.isspace() or unicodedata.category(char) not in ("Cc", "Cf")
        joins_emoji = char == _ZWJ and bool(kept) and unicodedata.category(kept[-1]) in _EMOJI_PARTS
        if visible or joins_emoji:
            kept.append(char)
    return "".join(kept)


def fold_full_width(text: str) -> str:
    """Full-width ASCII forms, as CJK keyboards type them ("８：３０"), in ASCII."""
    return text.translate(_FULL_WIDTH)


def quote(text: str, units: int = 64) -> str:
    """User input to quote back: one line, invisible characters gone, cut to `units` with "…"."""
    return shorten(" ".join(strip_invisible(text).split()), units)


def fit_html(html_text: str, units: int) -> str:
    """An HTML message cut to `units` as Telegram counts them, ending in "…", tags closed.

    The cut never falls inside a tag, an entity or a word (unless one word fills the room).
    """
    if telegram_length(html_text) <= units:
        return html_text
    room = units - utf16_len(ELLIPSIS)
    kept: list[str] = []
    open_tags: list[str] = []
    for piece in _HTML_PIECES.findall(html_text):
        tag = _TAG_NAME.match(piece) if piece.startswith("<") and len(piece) > 1 else None
        if tag is not None:
            _follow_tag(open_tags, tag[1] == "/", tag[2].lower())
            kept.append(piece)
            continue
        shown = html.unescape(piece)
        if utf16_len(shown) <= room:
            kept.append(piece)
            room -= utf16_len(shown)
            continue
        if room > 0 and not piece.startswith("&"):  # an entity that does not fit is left out
            head, _ = cut(piece, room, coarse=False)
            kept.append(head)
        break
    closing = "".join(f"</{name}>" for name in reversed(open_tags))
    return "".join(kept).rstrip() + ELLIPSIS + closing


def _follow_tag(open_tags: list[str], closing: bool, name: str) -> None:
    """Keep the stack of tags still open up to date with one more tag."""
    if not closing:
        open_tags.append(name)
    elif name in open_tags:
        del open_tags[len(open_tags) - 1 - open_tags[::-1].index(name) :]


def display_width(text: str) -> int:
    """Columns a terminal gives `text`: wide (CJK) characters take two, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def wrap(text: str, width: int, indent: str = "") -> list[str]:
    """Lines of at most `width` columns (indent included), broken between words, never inside."""
    room = max(width - display_width(indent), 1)
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if display_width(line + token) <= room or (token not in _NO_BREAK_BEFORE and not line):
            line = line + token if line or not token.isspace() else line
            continue
        if token.isspace():
            continue
        if token in _NO_BREAK_BEFORE:  # keep closing punctuation with the word before it
            line += token
            continue
        lines.append(line.rstrip())
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return [indent + line for line in lines]
