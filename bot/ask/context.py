"""The sections of a paper a question needs, when the whole text is longer than the model's
share: ranked by TF-IDF likeness to the question, kept in the paper's order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.models import Section

MIN_PIECE = 400  # a section cut shorter than this is left out instead


def choose_sections(
    sections: Sequence[Section], question: str, max_chars: int
) -> tuple[Section, ...]:
    """The sections to send, within `max_chars` of text (blocking: run it in a thread).

    All of them when they fit. Otherwise the abstract (the first section, when it is one)
    and then the sections most like the question, the last one taken cut to what is left.
    """
    if sum(len(s.text) for s in sections) <= max_chars:
        return tuple(sections)
    order = _ranked(sections, question)
    chosen: dict[int, Section] = {}
    left = max_chars
    if sections and sections[0].heading == "Abstract":
        order = [0] + [i for i in order if i != 0]
    for index in order:
        section = sections[index]
        if len(section.text) <= left:
            chosen[index], left = section, left - len(section.text)
        elif left >= MIN_PIECE:
            cut = section.text[:left].rsplit(" ", 1)[0] + " …"
            chosen[index], left = Section(section.number, section.heading, cut), 0
        if left < MIN_PIECE:
            break
    return tuple(chosen[i] for i in sorted(chosen))


def _ranked(sections: Sequence[Section], question: str) -> list[int]:
    """Section indexes, the most like the question first (ties: the paper's order)."""
    texts = [f"{s.heading} {s.heading} {s.text}" for s in sections]
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", strip_accents="unicode")
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # no word at all
        return list(range(len(sections)))
    probe = vectorizer.transform([question])
    scores = np.asarray((matrix @ probe.T).todense()).ravel()
    return sorted(range(len(sections)), key=lambda i: (-scores[i], i))
