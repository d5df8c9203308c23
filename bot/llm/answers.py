"""Checks of an LLM's answer: JSON with the three keys, in the asked language, plausible, clean."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from bot.models import Paper

LANGUAGES = {
    "zh": "Simplified Chinese", "zh-cn": "Simplified Chinese", "zh-hans": "Simplified Chinese",
    "zh-tw": "Traditional Chinese", "zh-hk": "Traditional Chinese",
    "zh-hant": "Traditional Chinese", "en": "English", "ja": "Japanese", "ko": "Korean",
    "de": "German", "fr": "French", "es": "Spanish", "ru": "Russian", "pt": "Portuguese",
    "pt-br": "Brazilian Portuguese", "it": "Italian", "uk": "Ukrainian", "nl": "Dutch",
    "pl": "Polish", "tr": "Turkish", "vi": "Vietnamese", "ar": "Arabic", "fa": "Persian",
    "he": "Hebrew", "hi": "Hindi", "el": "Greek", "th": "Thai", "id": "Indonesian",
}  # fmt: skip

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SCRIPTS = {  # base language code -> letters its text is mostly written in
    "zh": _CJK, "ja": _CJK + "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "ko": "\uac00-\ud7af\u1100-\u11ff\u3130-\u318f", "ru": "\u0400-\u04ff", "uk": "\u0400-\u04ff",
    "bg": "\u0400-\u04ff", "el": "\u0370-\u03ff", "ar": "\u0600-\u06ff", "fa": "\u0600-\u06ff",
    "he": "\u0590-\u05ff", "hi": "\u0900-\u097f", "th": "\u0e00-\u0e7f",
}  # fmt: skip
ENGLISH_STOPWORDS = frozenset([
    "the", "of", "and", "to", "is", "are", "was", "were", "we", "our", "that", "this", "these",
    "which", "with", "for", "from", "by", "be", "been", "has", "have", "it", "its", "their",
    "than", "can", "not", "such", "at", "or", "into", "also", "using", "based"
])  # fmt: skip
WHOLE = ("title", "tldr", "abstract")  # what an answer holds: everything a paper shows
BRIEF = ("title", "tldr")  # the digest's part only; the abstract is translated when asked for
ABSTRACT = ("abstract",)  # the abstract alone, for a paper summarized briefly before
MATH = re.compile(  # TeX math: $..$, $$..$$, \(..\), \[..\], \begin{env}..\end{env}
    r"\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\]|\\begin\{([a-z]+\*?)\}.+?\\end\{\1\}", re.DOTALL
)
_DOLLAR = re.compile(r"\$\$.+?\$\$|\$[^$]+\$", re.DOTALL)
_WORDS = re.compile(r"[^\W\d_]+(?:[\s'’-]+[^\W\d_]+)*")  # letter runs, spaces and hyphens
_IGNORED = re.compile(r"https?://\S+|\\[A-Za-z]+")
_ANNOUNCE = re.compile(
    r"announce\s*type|公告类型|公告類型|^\s*arxiv:\s*\d", re.IGNORECASE | re.MULTILINE
)
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
MAX_TLDR = 400
MAX_ANSWER = 50_000  # characters; a longer answer is refused unread (abstracts are ~2,000)
SCRIPT_SHARE = 0.3  # at least this share of the measured letters in the target script
ENGLISH_SHARE = 0.15  # this share of English stopwords means the text is English


def base_language(lang: str) -> str:
    return lang.strip().lower().replace("_", "-").split("-")[0]


def width(text: str) -> int:
    """Length with East Asian wide characters counted 3: a Chinese character holds a word."""
    return sum(3 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_acronym(word: str) -> bool:
    return any(c.isdigit() for c in word) or sum(c.isupper() for c in word) >= 2


def script_share(text: str, letters: str) -> float | None:
    """Share of letters in the given ranges, ignoring math, TeX, URLs, acronyms and names."""
    text = _IGNORED.sub(" ", MATH.sub(" ", text))
    inside = re.compile(f"[{letters}]")
    hits = total = 0
    for token in re.findall(r"[A-Za-z][A-Za-z0-9]*|[^\W\d_]", text):
        if token.isascii() and _is_acronym(token):
            continue
        for char in token:
            total += 1
            hits += bool(inside.match(char))
    return hits / total if total else None


def english_share(text: str) -> float:
    words = re.findall(r"[^\W\d_]+", MATH.sub(" ", text).lower())
    return sum(w in ENGLISH_STOPWORDS for w in words) / len(words) if words else 0.0


def parse_answer(content: str) -> dict[str, Any] | None:
    """The JSON object in a model's answer (fences and <think> blocks stripped), or None."""
    text = _FENCE.sub("", _THINK.sub("", content)).strip()
    for candidate in (text, text[text.find("{") : text.rfind("}") + 1]):
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        return data if isinstance(data, dict) else None
    return None


def wanted_keys(lang: str, keys: tuple[str, ...] = WHOLE) -> tuple[str, ...]:
    """The keys an answer must fill: in English only the TL;DR (title and abstract are kept)."""
    if base_language(lang) == "en":
        return tuple(key for key in keys if key == "tldr")
    return keys


def check_answer(
    data: str | Mapping[str, Any], paper: Paper, lang: str, keys: tuple[str, ...] = WHOLE
) -> str | None:
    """What is wrong with an answer for this paper and language, or None when it is usable."""
    answer = parse_answer(data) if isinstance(data, str) else dict(data)
    if answer is None:
        return "the answer is not a JSON object"
    wanted = wanted_keys(lang, keys)
    for key in wanted:
        if not isinstance(answer.get(key), str) or not answer[key].strip():
            return f"{key!r} is missing or empty"
    fields = {k: answer[k].strip() for k in wanted}
    for check in (_check_language, _check_length, _check_markup):
        problem = check(fields, paper, lang)
        if problem:
            return problem
    return None


def _check_language(fields: dict[str, str], paper: Paper, lang: str) -> str | None:
    base = base_language(lang)
    if base == "en":
        share = script_share(fields["tldr"], "A-Za-z\u00c0-\u024f")
        return "the TL;DR is not in English" if share is not None and share < 0.7 else None
    if fields.get("abstract") == paper.abstract.strip():
        return "the abstract was not translated"
    for key, text in fields.items():
        if base in _SCRIPTS:
            share = script_share(text, _SCRIPTS[base])
            if share is not None and share < SCRIPT_SHARE:
                return f"{key!r} is not in {language_name(lang)} ({share:.0%} of its letters)"
        elif len(text.split()) >= 8 and english_share(text) >= ENGLISH_SHARE:
            return f"{key!r} reads as English, not {language_name(lang)}"
    return None


def _check_length(fields: dict[str, str], paper: Paper, lang: str) -> str | None:
    tldr = fields.get("tldr", "")
    abstract = fields.get("abstract", paper.abstract)
    if len(tldr) > MAX_TLDR:
        return f"the TL;DR is {len(tldr)} characters long"
    # Against a translated abstract, widths (a CJK character holds a word); against the English
    # original (a brief answer has no abstract), characters: CJK text is shorter, never wider.
    measure = width if "abstract" in fields else len
    if width(abstract) > 150 and measure(tldr) > measure(abstract):
        return "the TL;DR is longer than the abstract"
    if "abstract" in fields and width(abstract) < 0.2 * width(paper.abstract):
        return "the translated abstract is far shorter than the original"
    if "abstract" in fields and width(abstract) > 4 * width(paper.abstract) + 200:
        return "the translated abstract is far longer than the original"
    if "title" in fields and width(fields["title"]) > 4 * width(paper.title) + 60:
        return "the translated title is far longer than the original"
    return None


def _check_markup(fields: dict[str, str], paper: Paper, lang: str) -> str | None:
    original = set(_DOLLAR.findall(paper.abstract + " " + paper.title))
    for key, text in fields.items():
        if _ANNOUNCE.search(text):
            return f"{key!r} holds an arXiv announce prefix"
        for span in _DOLLAR.findall(text):
            if is_wordy_math(span) and span not in original:
                return f"{key!r} wraps words in math: {span}"
    return None


def is_wordy_math(span: str) -> bool:
    """Whether a `$...$` span holds plain words, not math: `$恶意$`, `$Geometrie$`, `$malicious
    queries$` are words; `$1<p<2$`, `$\\alpha$`, `$x$`, `$pT$`, `$k'$`, `$α$` are math.

    Words are letters only (no digit, backslash, operator, brace or other symbol), in one or more
    space- or hyphen-separated runs, with a letter beyond Latin and Greek or a Latin run of three
    letters or more. `$$...$$` display math is never words.
    """
    if span.startswith("$$"):
        return False
    inner = span.strip("$").strip()
    if not _WORDS.fullmatch(inner):
        return False
    runs = re.findall(r"[^\W\d_]+", inner)
    return any(ord(c) > 0x3FF for c in inner) or any(r.isascii() and len(r) >= 3 for r in runs)


def unwrap_wordy_math(text: str, original: str) -> str:
    """`$恶意$ $查询$` becomes `恶意 查询`: dollars around plain words go, unless the original
    (title and abstract) wrote that span itself; real math stays exactly as written."""
    kept = set(_DOLLAR.findall(original))

    def unwrap(match: re.Match[str]) -> str:
        span = match.group()
        return span if span in kept or not is_wordy_math(span) else span.strip("$").strip()

    return _DOLLAR.sub(unwrap, text)


def repair_answer(answer: Mapping[str, Any], paper: Paper) -> dict[str, Any]:
    """The answer with plain words unwrapped from `$...$` in its text fields."""
    original = paper.abstract + " " + paper.title
    return {
        key: unwrap_wordy_math(value, original) if isinstance(value, str) else value
        for key, value in answer.items()
    }


def language_name(lang: str) -> str:
    """The language spelled out for the prompt: zh -> Simplified Chinese."""
    code = lang.strip().lower().replace("_", "-")
    return LANGUAGES.get(code) or LANGUAGES.get(code.split("-")[0]) or f"the language {lang!r}"
