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


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (𝔽, 🚀) count 2."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def telegram_length(html_text: str) -> int:
    """Length of an HTML message as Telegram counts it: tags dropped, entities one character."""
    return utf16_len(html.unescape(_TAG.sub("", html_text)))


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
        index = max(end, 1)  # one word longer than the whole room: nothing else is possible
    return text[:index].rstrip(), text[index:].lstrip()


def shorten(text: str, units: int) -> str:
    """`text` if it fits in `units` UTF-16 units, else its head cut at a word boundary plus "…"."""
    if utf16_len(text) <= units:
        return text
    head, _ = cut(text, max(units - utf16_len(ELLIPSIS), 0), coarse=False)
    return head.rstrip(" ,;:") + ELLIPSIS


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
