"""An answer to a question about a paper, read from the model's JSON and checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bot.errors import SummarizeError
from bot.llm import parse_answer
from bot.models import Section

MAX_ANSWER_CHARS = 3000  # an answer is cut here (Telegram's message holds 4,096)
MAX_READ = 40_000  # a longer reply is not read
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
    paper does not have are left out; the text is cut at MAX_ANSWER_CHARS."""
    data = parse_answer(content) if len(content) <= MAX_READ else None
    if data is None or not isinstance(data.get("answer"), str) or not data["answer"].strip():
        raise SummarizeError('the answer is not a JSON object with a text in "answer"')
    text = data["answer"].strip()
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
    cited = data.get("sections")
    cited = cited if isinstance(cited, list) else []
    labels = _known_labels([c for c in cited if isinstance(c, str)], sections)
    found = data.get("found")
    return Answer(text, labels, found is not False, abstract_only)


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
