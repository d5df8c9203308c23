"""An answer to a question about a paper, read from the model's text and checked.

The model writes plain text, shown to the reader as it comes, and ends with one line naming
the sections it used (`SECTIONS: §2, §3.1`) or saying the paper does not say (`NOT FOUND`):
a JSON object would be unreadable half-written. A JSON answer ({answer, sections, found}) is
still read, for a model that insists on one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bot.errors import SummarizeError
from bot.llm import parse_answer
from bot.models import Section

MAX_READ = 40_000  # a longer reply is not read (the output cap keeps answers far shorter)
SECTIONS_MARK = "SECTIONS:"
NOT_FOUND_MARK = "NOT FOUND"
_MARKS = (SECTIONS_MARK, NOT_FOUND_MARK)
_LABEL = re.compile(r"§?\s*([A-Z]?[0-9]+(?:\.[0-9]+)*|[A-Z])\b")


@dataclass(frozen=True)
class Answer:
    """What the model answered: its text, the sections it used (labels as the paper has
    them), whether the paper says, and whether only the abstract was there to read."""

    text: str
    sections: tuple[str, ...] = ()
    found: bool = True
    abstract_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        return cls(
            str(data.get("text", "")),
            tuple(str(s) for s in data.get("sections", ())),
            bool(data.get("found", True)),
            bool(data.get("abstract_only", False)),
        )


def read_reply(content: str, sections: Sequence[Section], abstract_only: bool) -> Answer:
    """The answer in a model's reply; SummarizeError when it holds none. Cited sections the
    paper does not have are left out; a long answer is kept whole (it is sent in parts)."""
    if len(content) > MAX_READ:
        raise SummarizeError(f"the answer is {len(content):,} characters long")
    if content.lstrip().startswith("{"):
        return _read_json(content, sections, abstract_only)
    text, cited, found = _split_marks(content)
    if not text:
        raise SummarizeError("the answer holds no text")
    return Answer(text, _known_labels(cited, sections), found, abstract_only)


def shown_text(partial: str) -> str:
    """What a reader is shown of an answer being written: its text, without the closing line
    of sections (or what may become one)."""
    head, _, last = partial.rpartition("\n")
    word = last.strip().upper()
    if word and any(mark.startswith(word) or word.startswith(mark) for mark in _MARKS):
        partial = head
    return _split_marks(partial)[0]


def _split_marks(content: str) -> tuple[str, list[str], bool]:
    """The text, the cited labels and whether the paper says, from closing marker lines."""
    lines = content.strip().splitlines()
    cited: list[str] = []
    found = True
    while lines:
        last = lines[-1].strip()
        upper = last.upper()
        if upper.startswith(SECTIONS_MARK):
            cited = [c.strip() for c in last[len(SECTIONS_MARK) :].split(",") if c.strip()] + cited
        elif upper.rstrip(".") == NOT_FOUND_MARK:
            found = False
        elif last:
            break
        lines.pop()
    return "\n".join(lines).strip(), cited, found


def _read_json(content: str, sections: Sequence[Section], abstract_only: bool) -> Answer:
    data = parse_answer(content)
    if data is None or not isinstance(data.get("answer"), str) or not data["answer"].strip():
        raise SummarizeError('the answer is not a JSON object with a text in "answer"')
    cited = data.get("sections")
    cited = cited if isinstance(cited, list) else []
    labels = _known_labels([c for c in cited if isinstance(c, str)], sections)
    return Answer(data["answer"].strip(), labels, data.get("found") is not False, abstract_only)


def _known_labels(cited: Sequence[str], sections: Sequence[Section]) -> tuple[str, ...]:
    """The labels of the paper's sections the model named, by number or heading, each once."""
    by_number = {s.number: s.label for s in sections if s.number}
    by_heading = {s.heading.lower(): s.label for s in sections if s.heading}
    found: dict[str, None] = {}
    for name in cited[:12]:
        name = name.strip()
        match = _LABEL.match(name)
        label = by_number.get(match.group(1)) if match else None
        label = label or by_heading.get(name.lower().lstrip("§ ").strip())
        if label:
            found[label] = None
    return tuple(found)
