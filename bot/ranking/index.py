"""A day's papers as TF-IDF vectors, fitted once and shared by every chat's ranking (bot/rank.py).

Fit on title + abstract: words and bigrams, sublinear tf, English stop words, accents stripped,
words in half the papers or more dropped. Other texts (interests, papers of other days) are
projected on the day's vocabulary; only their Latin-script words can match, since arXiv
abstracts are English.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.digest import Topic, topic_matches
from bot.models import Paper

_BREAKS = re.compile(r"[^\w\s-]+|[^\x00-\u024f]+")  # punctuation, or a run of another script
_NOT_LATIN = re.compile(r"[^\x00-\u024f]+")  # everything past Latin Extended-B: CJK, Cyrillic...


Probe = tuple[np.ndarray, np.ndarray]  # a sparse unit vector: (columns, values)


class PaperIndex:
    """The TF-IDF vectors of a day's papers, fitted once and shared by every chat."""

    def __init__(self, papers: Sequence[Paper]) -> None:
        self.papers = tuple(papers)
        self.rows = {paper.id: row for row, paper in enumerate(self.papers)}
        self.vectorizer = TfidfVectorizer(
            ngram_range=(1, 2),
            sublinear_tf=True,
            stop_words="english",
            strip_accents="unicode",
            max_df=0.5 if len(self.papers) >= 20 else 1.0,  # common words, on a real day
            dtype=np.float32,
        )
        texts = [paper_text(p) for p in self.papers] or ["."]
        try:
            self.matrix = self.vectorizer.fit_transform(texts).tocsr()
        except ValueError:  # not one word in the day (or no paper): every vector is empty
            self.vectorizer = TfidfVectorizer(analyzer=lambda _: ["_"]).fit(texts)
            self.matrix = sparse.csr_matrix((len(texts), 1), dtype=np.float32)
        self.terms = self.vectorizer.get_feature_names_out()
        self._vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        self._idf = self.vectorizer.idf_.astype(np.float32)
        self._analyze = self.vectorizer.build_analyzer()
        self._preprocess = self.vectorizer.build_preprocessor()
        self._tokenize = self.vectorizer.build_tokenizer()
        self._stop_words = self.vectorizer.get_stop_words() or frozenset()
        self._postings = self.matrix.T.tocsr()  # term -> the papers holding it
        self._queries: dict[str, Probe] = {}
        self._others: dict[str, Probe] = {}
        self._matches: dict[Topic, frozenset[str]] = {}

    def query(self, interests: str) -> Probe:
        """The interest text's Latin-script words as a unit vector (cached per text)."""
        if interests not in self._queries:
            self._queries[interests] = self.transform(_NOT_LATIN.sub(" ", interests))
        return self._queries[interests]

    def transform(self, text: str) -> Probe:
        """A text as the fitted vectorizer makes it, without scikit-learn's per-call overhead."""
        counts = Counter(self._analyze(text))
        columns = np.array([self._vocabulary[w] for w in counts if w in self._vocabulary], np.int32)
        tf = np.array([counts[self.terms[c]] for c in columns], dtype=np.float32)
        values = (1 + np.log(tf)) * self._idf[columns]
        return columns, values / (float(np.linalg.norm(values)) or 1.0)

    def probe(self, paper: Paper) -> Probe:
        """A paper's vector: its row in the index, or its own text through the day's words."""
        row = self.rows.get(paper.id)
        if row is not None:
            start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
            return self.matrix.indices[start:end], self.matrix.data[start:end]
        if paper.key not in self._others:
            self._others[paper.key] = self.transform(paper_text(paper))
        return self._others[paper.key]

    def known(self, items: Iterable[Paper | str]) -> list[Paper]:
        """The Papers of `items`; an id is looked up in the index, skipped when not there."""
        found = (self.papers[self.rows[i]] if i in self.rows else None for i in items)
        return [p for p in found if p is not None]

    def cosines(self, probes: Sequence[Probe]) -> np.ndarray:
        """Probes x the index's papers: one gather over the term postings, one bincount."""
        count = len(self.papers)
        if not probes:
            return np.zeros((0, count), dtype=np.float32)
        columns = np.concatenate([c for c, _ in probes]).astype(np.int64)
        values = np.concatenate([v for _, v in probes])
        owner = np.repeat(np.arange(len(probes)), [len(c) for c, _ in probes])
        positions, term = _postings_of(self._postings.indptr, columns)
        papers = self._postings.indices[positions] + owner[term] * count
        weights = self._postings.data[positions] * values[term]
        flat = np.bincount(papers, weights=weights, minlength=len(probes) * count)
        return flat.reshape(len(probes), count)

    def similarities(self, papers: Sequence[Paper], probes: Sequence[Probe]) -> np.ndarray:
        """Cosines, papers x probes, for the index's papers or any others."""
        rows = [self.rows.get(p.id, -1) for p in papers]
        if -1 not in rows:
            return np.asarray(self.cosines(probes)[:, rows].T)
        others = as_matrix([self.probe(p) for p in papers], self)
        return np.asarray(others @ as_matrix(probes, self).T.toarray())

    def shared_terms(self, columns: np.ndarray, papers: Sequence[Paper]) -> list[set[str]]:
        """For each paper, the terms among `columns` that it holds."""
        shared: list[set[str]] = [set() for _ in papers]
        where = {self.rows.get(p.id, -1): n for n, p in enumerate(papers)}
        positions, term = _postings_of(self._postings.indptr, columns.astype(np.int64))
        holders = self._postings.indices[positions]
        hits = np.isin(holders, np.fromiter(where, dtype=np.int64, count=len(where)))
        for row, column in zip(holders[hits].tolist(), columns[term[hits]].tolist(), strict=True):
            shared[where[row]].add(str(self.terms[column]))
        for n, paper in enumerate(papers):
            if paper.id not in self.rows:
                held = set(self.probe(paper)[0].tolist()).intersection(columns.tolist())
                shared[n] = {str(self.terms[c]) for c in held}
        return shared

    def words(self, text: str) -> list[str]:
        """The words of a text as the index sees them, in order, with "" where a run of words
        breaks: a stop word, punctuation, another script."""
        words: list[str] = []
        for segment in _BREAKS.split(text):
            tokens = self._tokenize(self._preprocess(segment))
            words += ["" if token in self._stop_words else token for token in tokens] + [""]
        return words

    def matching(self, topic: Topic) -> frozenset[str]:
        """The ids of the index's papers matching a boost topic (computed once per topic)."""
        if topic not in self._matches:
            self._matches[topic] = frozenset(p.id for p in self.papers if topic_matches(topic, p))
        return self._matches[topic]


def _postings_of(indptr: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in a CSR's arrays of the rows `columns`, and which entry of `columns` each is."""
    starts, lengths = indptr[columns], indptr[columns + 1] - indptr[columns]
    term = np.repeat(np.arange(len(columns)), lengths)
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return starts[term] + offsets, term


def as_matrix(probes: Sequence[Probe], index: PaperIndex) -> sparse.csr_matrix:
    indptr = np.cumsum([0] + [len(c) for c, _ in probes])
    columns = np.concatenate([c for c, _ in probes]) if probes else np.zeros(0, np.int32)
    values = np.concatenate([v for _, v in probes]) if probes else np.zeros(0, np.float32)
    return sparse.csr_matrix((values, columns, indptr), shape=(len(probes), len(index.terms)))


def paper_text(paper: Paper) -> str:
    """The text a paper is known by: its title and abstract."""
    return f"{paper.title}. {paper.abstract}"
