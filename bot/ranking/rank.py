"""Ranking a chat's papers by its interests, votes and boosts, offline: TF-IDF over a day's papers.

The shared work is done once per day (or digest window): `PaperIndex(papers)` (bot/paperindex.py)
fits one TF-IDF vectorizer. Per chat, `rank(index, papers, Signal.for_chat(...))` costs one
gather over the day's postings. A paper's score is

    0.5 * cos(interest text) + cos(liked centroid) - 0.5 * cos(disliked centroid)
        [+ a ridge classifier of liked against disliked, from 3 likes and 3 dislikes]
        + 1.0 for a followed author, 0.3 for a followed phrase

Interests are matched by their Latin-script words and, for interests written in another
language, the English search terms an LLM made of them (bot.llm.terms; arXiv abstracts are
English); an interest with no known word ranks by votes alone, or keeps today's order.
Building the index (about a second for 1,500 papers) and ranking are CPU work: from the event
loop, run them in a thread.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from bot.digest import Topic, chat_topics, shorten, topic_matches
from bot.i18n import t
from bot.models import Paper
from bot.ranking.index import PaperIndex, Probe

INTEREST_WEIGHT = 0.5  # cosine to the interest text (a short text: its cosines run high)
LIKED_WEIGHT = 1.0  # the votes' part: liked centroid - disliked centroid (+ linear model)
DISLIKED_WEIGHT = 0.5  # penalty: cosine to the disliked papers' centroid
BOOSTS = {"author": 1.0, "phrase": 0.3}  # added to the score of a paper matching the topic
RIDGE = 1.0  # the linear model's regularization (the voted vectors have unit length)
PROBE_TERMS = 60  # terms of a voted paper matched against the day
LINEAR_TERMS = 200  # terms of the linear model matched against the day
LINEAR_WEIGHT = 1.0  # the linear model's score, added to the centroids' once it kicks in
MIN_VOTES_FOR_MODEL = 3  # likes and dislikes each, before the linear model joins the centroids
REASON_WORDS = 3  # interest words named in a reason
TITLE_UNITS = 60  # length of a liked paper's title in a reason


@dataclass(frozen=True)
class Signal:
    """What a chat told the ranker: interests, votes (Papers, or ids in the index), boosts."""

    interests: str = ""
    liked: tuple[Paper | str, ...] = ()
    disliked: tuple[Paper | str, ...] = ()
    boosts: tuple[Topic, ...] = ()  # the chat's phrase and author topics
    terms: tuple[str, ...] = ()  # English search terms made of interests in another language

    @property
    def is_empty(self) -> bool:
        """No interests and no votes: the digest keeps today's order (boosts alone do not rank)."""
        return not (self.interests.strip() or self.liked or self.disliked)

    @property
    def words(self) -> str:
        """What the word ranker reads of the interests: the text as written (its Latin-script
        words count), then each English search term, punctuation between them."""
        return ". ".join((self.interests, *self.terms)) if self.terms else self.interests

    @classmethod
    def for_chat(
        cls,
        topics: Iterable[str],
        interests: str = "",
        liked: Iterable[Paper | str] = (),
        disliked: Iterable[Paper | str] = (),
        terms: Iterable[str] = (),
    ) -> Signal:
        """The signal of a chat from its stored topic strings, interests (with their English
        search terms) and votes."""
        boosts = tuple(t for t in chat_topics(tuple(topics)) if t.kind in BOOSTS)
        return cls(interests, tuple(liked), tuple(disliked), boosts, tuple(terms))


@dataclass(frozen=True)
class Reason:
    """Why a paper ranks where it does, as data; `reason_text` words it."""

    kind: str = "none"  # "interest" | "liked" | "author" | "phrase" | "none"
    words: tuple[str, ...] = ()  # interest: the interest words the paper matches
    title: str = ""  # liked: the short title of the liked paper it resembles
    paper_id: str = ""  # liked: that paper's id
    name: str = ""  # author: the followed author; phrase: the phrase


NO_REASON = Reason()


class Ranked(NamedTuple):
    """A paper in rank order, with its score and why (a tuple: cheap to make by the million)."""

    paper: Paper
    score: float
    reason: Reason = NO_REASON


@dataclass(frozen=True)
class Parts:
    """Per-paper parts of a chat's score, before boosts; `liked_each` is papers x liked papers."""

    interest: np.ndarray
    votes: np.ndarray
    liked_each: np.ndarray
    liked: tuple[Paper, ...]
    model: str  # "cosine", "linear" (TF-IDF) or "embedding" (bot.ranking.embed)


def vote_model(signal: Signal) -> str:
    """Which model scores a chat's votes: "linear" once it has enough likes and dislikes."""
    enough = min(len(signal.liked), len(signal.disliked)) >= MIN_VOTES_FOR_MODEL
    return "linear" if enough else "cosine"


def tfidf_parts(index: PaperIndex, papers: Sequence[Paper], signal: Signal) -> Parts:
    """The interest and vote parts of each paper's score, from one product of the day's
    postings with the chat's probes (interest text, liked and disliked papers, linear model)."""
    liked, disliked = voted_papers(index, signal.liked), voted_papers(index, signal.disliked)
    liked_probes = [index.probe(p) for p in liked]
    disliked_probes = [index.probe(p) for p in disliked]
    k, j = len(liked), len(disliked)
    probes = [index.query(signal.words), *(strongest(p) for p in liked_probes)]
    probes += [strongest(p) for p in disliked_probes]
    model = vote_model(signal)
    if model == "linear":
        probes.append(strongest(_linear_probe(liked_probes, disliked_probes), LINEAR_TERMS))
    sims = index.similarities(papers, probes)
    liked_each = sims[:, 1 : 1 + k]
    votes = _centroid_cosine(liked_each, probes[1 : 1 + k])
    votes -= DISLIKED_WEIGHT * _centroid_cosine(
        sims[:, 1 + k : 1 + k + j], probes[1 + k : 1 + k + j]
    )
    if model == "linear":
        votes += LINEAR_WEIGHT * sims[:, -1]
    return Parts(sims[:, 0], votes, liked_each, tuple(liked), model)


def strongest(probe: Probe, terms: int = PROBE_TERMS) -> Probe:
    """A probe cut to its heaviest terms: the light ones are common words with long postings,
    which cost the most and move a cosine the least."""
    columns, values = probe
    if len(columns) <= terms:
        return probe
    keep = np.argpartition(-np.abs(values), terms)[:terms]
    return columns[keep], values[keep]


def voted_papers(index: PaperIndex, items: Iterable[Paper | str]) -> list[Paper]:
    """Voted Papers as given, and voted ids that the index knows."""
    items = list(items)
    return [i for i in items if isinstance(i, Paper)] + index.known(
        i for i in items if isinstance(i, str)
    )


def _centroid_cosine(similarities: np.ndarray, members: Sequence[Probe]) -> np.ndarray:
    """Cosine of each paper to the members' centroid, from its cosine to each member."""
    if not members:
        return np.zeros(similarities.shape[0], dtype=np.float32)
    _, column = np.unique(np.concatenate([c for c, _ in members]), return_inverse=True)
    total = np.bincount(column, weights=np.concatenate([v for _, v in members]))
    norm = float(np.linalg.norm(total))
    return np.asarray(similarities.sum(axis=1) / norm if norm else similarities.sum(axis=1) * 0)


def _linear_probe(liked: Sequence[Probe], disliked: Sequence[Probe]) -> Probe:
    """A linear classifier of liked against disliked papers, as a unit weight vector: regularized
    least squares (a ridge classifier), solved in its dual form over the k voted papers, so a
    chat costs one k x k solve instead of an iterative fit."""
    voted = [*liked, *disliked]
    columns, entry_column = np.unique(np.concatenate([c for c, _ in voted]), return_inverse=True)
    dense = np.zeros((len(voted), len(columns)), dtype=np.float32)  # the voted papers' own terms
    entry_row = np.repeat(np.arange(len(voted)), [len(c) for c, _ in voted])
    dense[entry_row, entry_column] = np.concatenate([v for _, v in voted])
    targets = np.r_[np.full(len(liked), 1 / len(liked)), np.full(len(disliked), -1 / len(disliked))]
    alpha = np.linalg.solve(dense @ dense.T + RIDGE * np.eye(len(voted)), targets)
    values = (alpha @ dense).astype(np.float32)
    return columns.astype(np.int32), values / (float(np.linalg.norm(values)) or 1.0)


def rank(
    index: PaperIndex,
    papers: Sequence[Paper],
    signal: Signal,
    *,
    reasons_for: int | None = None,
    parts: Parts | None = None,
) -> list[Ranked]:
    """The papers ordered by relevance to the signal, best first, ties in today's order.

    A signal without interests or votes returns the papers unchanged, with no reason. Reasons
    are given to the first `reasons_for` papers (all when None). `parts` replaces the TF-IDF
    similarities (bot.ranking.embed passes embedding ones).
    """
    if signal.is_empty or not papers:
        return [Ranked(paper, 0.0) for paper in papers]
    if parts is None:
        parts = tfidf_parts(index, papers, signal)
    no_boost: tuple[float, Topic | None] = (0.0, None)
    boosts = [_boost_of(index, p, signal.boosts) if signal.boosts else no_boost for p in papers]
    scores = INTEREST_WEIGHT * parts.interest + LIKED_WEIGHT * parts.votes
    scores = scores + np.array([weight for weight, _ in boosts], dtype=np.float32)
    order = np.argsort(-scores, kind="stable").tolist()  # ties keep today's order
    explained = order[: len(order) if reasons_for is None else reasons_for]
    reasons = _reasons(index, papers, explained, parts, [b for _, b in boosts], signal.words)
    return [Ranked(papers[i], float(scores[i]), reasons.get(i, NO_REASON)) for i in order]


def _reasons(
    index: PaperIndex,
    papers: Sequence[Paper],
    explained: Sequence[int],
    parts: Parts,
    boosts: Sequence[Topic | None],
    interests: str,
) -> dict[int, Reason]:
    """The Reasons of the papers at positions `explained`."""
    words = interest_words(index, [papers[i] for i in explained], interests)
    reasons = {}
    for i, found in zip(explained, words, strict=True):
        liked = None
        if parts.liked:
            best = int(parts.liked_each[i].argmax())
            liked = (float(parts.liked_each[i, best]), parts.liked[best])
        reasons[i] = _reason(float(parts.interest[i]), liked, boosts[i], found)
    return reasons


def _boost_of(
    index: PaperIndex, paper: Paper, topics: Sequence[Topic]
) -> tuple[float, Topic | None]:
    """The largest boost a paper earns from the chat's phrase and author topics, and its topic."""
    best: tuple[float, Topic | None] = (0.0, None)
    for topic in topics:
        known = paper.id in index.rows
        hit = paper.id in index.matching(topic) if known else topic_matches(topic, paper)
        if hit and BOOSTS[topic.kind] > best[0]:
            best = (BOOSTS[topic.kind], topic)
    return best


def _reason(
    interest: float,
    liked: tuple[float, Paper] | None,
    boost: Topic | None,
    words: tuple[str, ...],
) -> Reason:
    """The largest contribution to a paper's score, as a Reason: the interest, the liked paper
    it is closest to (`liked`: that cosine and paper), or the boost."""
    interest *= INTEREST_WEIGHT
    resemblance = LIKED_WEIGHT * liked[0] if liked else 0.0
    boost_weight = BOOSTS[boost.kind] if boost else 0.0
    best = max(interest, resemblance, boost_weight)
    if best <= 0:
        return NO_REASON
    if boost and best == boost_weight:
        return Reason(boost.kind, name=boost.value)
    if liked and best == resemblance:
        return Reason("liked", title=_short_title(liked[1].title), paper_id=liked[1].id)
    return Reason("interest", words=words)


@lru_cache(maxsize=4096)
def _short_title(title: str) -> str:
    return shorten(title, TITLE_UNITS)


def interest_words(
    index: PaperIndex, papers: Sequence[Paper], interests: str
) -> list[tuple[str, ...]]:
    """For each paper, the runs of interest words it shares with the interest text (as the user
    wrote them, in their order, at most REASON_WORDS runs)."""
    if not interests.strip():
        return [() for _ in papers]
    wanted = index.words(interests)
    shared = index.shared_terms(index.query(interests)[0], papers)
    return [
        _runs(wanted, {w for term in terms for w in term.split()})[:REASON_WORDS]
        for terms in shared
    ]


def _runs(words: Sequence[str], matched: set[str]) -> tuple[str, ...]:
    """Consecutive matched words joined ("graph neural networks"), each run once, in order."""
    runs: list[str] = []
    current: list[str] = []
    for word in [*words, ""]:
        if word in matched:
            current.append(word)
            continue
        if current and " ".join(current) not in runs:
            runs.append(" ".join(current))
        current = []
    return tuple(runs)


def reason_text(reason: Reason, lang: str) -> str:
    """The reason's `💡` line in the chat's language, as Telegram HTML; "" for no reason."""
    if reason.kind == "interest" and reason.words:
        words = html.escape(", ".join(reason.words))
        return t(lang, "rank.why_interest_html", words=words)
    if reason.kind == "interest":
        return t(lang, "rank.why_interest_near_html")
    if reason.kind == "liked":
        return t(lang, "rank.why_liked_html", title=html.escape(reason.title))
    if reason.kind in ("author", "phrase"):
        return t(lang, f"rank.why_{reason.kind}_html", name=html.escape(reason.name))
    return ""
