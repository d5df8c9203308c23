"""Optional embeddings ranking: an OpenAI-compatible `/embeddings` client, each text embedded once.

A day's use, with the TF-IDF index built anyway (it words the reasons and is the fallback):

    space = await embedding_space(client, cache, index, signals)  # None when the API fails
    ranked = rank_with_fallback(index, papers, signal, space, reasons_for=limit)

Vectors are stored as base64 of little-endian float32 (`encode_vector`), under keys naming the
model, so a restart or another chat asks for nothing already embedded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any, Protocol

import httpx
import numpy as np

from bot.errors import DigestError
from bot.models import Paper
from bot.ranking.index import PaperIndex, paper_text
from bot.ranking.rank import DISLIKED_WEIGHT, Parts, Ranked, Signal, rank, voted_papers

log = logging.getLogger(__name__)


class EmbedError(DigestError):
    """The embeddings API failed: unreachable, timed out, an HTTP error or a malformed answer."""


def encode_vector(vector: Sequence[float] | np.ndarray) -> str:
    """A vector as base64 of little-endian float32: 4 bytes a number, JSON-safe."""
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


def decode_vector(text: str) -> np.ndarray:
    """The vector `encode_vector` made; ValueError when the text is not one."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as error:
        raise ValueError(f"not an encoded vector: {error}") from None
    if len(raw) % 4:
        raise ValueError("not an encoded vector: its length is not a multiple of 4 bytes")
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


class VectorCache(Protocol):
    """Where encoded vectors are kept (the store implements it); keys name the model."""

    def get_many(self, keys: Iterable[str]) -> dict[str, str]: ...

    def put_many(self, vectors: Mapping[str, str]) -> None: ...


class MappingVectorCache:
    """A VectorCache over any mapping of str to str: a dict, a store table."""

    def __init__(self, mapping: MutableMapping[str, str]) -> None:
        self.mapping = mapping

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        return {key: self.mapping[key] for key in keys if key in self.mapping}

    def put_many(self, vectors: Mapping[str, str]) -> None:
        self.mapping.update(vectors)


class EmbeddingClient:
    """Embeds texts through `POST {base_url}/embeddings`, `batch_size` texts a request."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        model: str,
        api_key: str = "",
        *,
        batch_size: int = 64,
        timeout: float = 30.0,
    ) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.batch_size = batch_size
        self.timeout = timeout

    async def embed(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One vector per text, in order; EmbedError when any request fails."""
        vectors: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            vectors += await self._request(list(texts[start : start + self.batch_size]))
        return vectors

    async def _request(self, texts: list[str]) -> list[np.ndarray]:
        body = {"model": self.model, "input": texts}
        try:
            answer = await self.http.post(
                self.url, json=body, headers=self._headers, timeout=self.timeout
            )
        except httpx.HTTPError as error:
            raise EmbedError(f"embeddings API unreachable: {type(error).__name__}") from None
        if answer.status_code != 200:
            raise EmbedError(f"embeddings API answered HTTP {answer.status_code}")
        try:
            return _vectors_of(answer.json(), len(texts))
        except ValueError as error:
            raise EmbedError(f"embeddings API answer is malformed: {error}") from None


def _vectors_of(answer: Any, count: int) -> list[np.ndarray]:
    """The vectors of an OpenAI-shaped answer, by `index`; ValueError on any other shape."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list) or len(data) != count:
        raise ValueError(f"expected {count} embeddings")
    found: dict[int, np.ndarray] = {}
    for item in data:
        position, values = item.get("index"), item.get("embedding")
        if not isinstance(position, int) or not isinstance(values, list) or not values:
            raise ValueError("an item lacks its index or embedding")
        found[position] = np.asarray(values, dtype=np.float32)  # ValueError if not numbers
    if sorted(found) != list(range(count)) or len({v.shape for v in found.values()}) != 1:
        raise ValueError("indexes or dimensions do not match")
    return [found[i] for i in range(count)]


async def embed_cached(
    client: EmbeddingClient, cache: VectorCache, texts: Mapping[str, str]
) -> dict[str, np.ndarray]:
    """Vectors by key for `texts` (key -> text): the cached ones, and the rest embedded once."""
    stored = cache.get_many(texts)
    vectors: dict[str, np.ndarray] = {}
    for key, text in stored.items():
        try:
            vectors[key] = decode_vector(text)
        except ValueError:
            log.warning("embedding %s in the cache is damaged; embedding it again", key)
    missing = [key for key in texts if key not in vectors]
    if missing:
        fresh = await client.embed([texts[key] for key in missing])
        cache.put_many({key: encode_vector(v) for key, v in zip(missing, fresh, strict=True)})
        vectors.update(zip(missing, fresh, strict=True))
    return vectors


def paper_key(model: str, paper: Paper) -> str:
    return f"{model}:paper:{paper.key}"


def text_key(model: str, text: str) -> str:
    return f"{model}:text:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


class EmbeddingSpace:
    """The unit vectors of a day's papers and of its chats' interests and voted papers."""

    def __init__(self, index: PaperIndex, model: str, vectors: Mapping[str, np.ndarray]) -> None:
        self.index = index
        self.model = model
        self.vectors = {key: _unit(v) for key, v in vectors.items()}
        day = [self.vectors[paper_key(model, p)] for p in index.papers]
        self.mean = np.mean(day, axis=0) if day else None  # similarities are centred on the day

    @classmethod
    async def build(
        cls,
        client: EmbeddingClient,
        cache: VectorCache,
        index: PaperIndex,
        signals: Iterable[Signal],
    ) -> EmbeddingSpace:
        """Embed what is not cached yet: the day's papers, then every chat's interests and
        voted papers, in one batched pass; EmbedError when the API fails."""
        texts = {paper_key(client.model, p): paper_text(p) for p in index.papers}
        for signal in signals:
            for paper in voted_papers(index, (*signal.liked, *signal.disliked)):
                texts[paper_key(client.model, paper)] = paper_text(paper)
            if signal.interests.strip():
                texts[text_key(client.model, signal.interests)] = signal.interests
        return cls(index, client.model, await embed_cached(client, cache, texts))

    def parts(self, papers: Sequence[Paper], signal: Signal) -> Parts | None:
        """The interest and vote parts of each paper's score; None when a vector is missing."""
        if not papers or self.mean is None:
            return None
        try:
            candidates = np.array([self._paper(p) for p in papers]) - self.mean
            liked = voted_papers(self.index, signal.liked)
            liked_vectors = self._stack(liked)
            disliked_vectors = self._stack(voted_papers(self.index, signal.disliked))
            query = (
                self.vectors[text_key(self.model, signal.interests)] if signal.interests else None
            )
        except KeyError:
            return None
        interest = candidates @ query if query is not None else np.zeros(len(papers))
        liked_each = candidates @ liked_vectors.T
        disliked = DISLIKED_WEIGHT * _centroid(candidates, disliked_vectors)
        votes = _centroid(candidates, liked_vectors) - disliked
        return Parts(interest, votes, liked_each, tuple(liked), "embedding")

    def _stack(self, papers: Sequence[Paper]) -> np.ndarray:
        """The papers' vectors as rows (KeyError when one is missing)."""
        dimensions = len(self.mean) if self.mean is not None else 0
        return np.array([self._paper(p) for p in papers]).reshape(len(papers), dimensions)

    def _paper(self, paper: Paper) -> np.ndarray:
        return self.vectors[paper_key(self.model, paper)]


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / (float(np.linalg.norm(vector)) or 1.0)


def _centroid(candidates: np.ndarray, members: np.ndarray) -> np.ndarray:
    """Each candidate's similarity to the members' unit centroid (0 without members)."""
    if not len(members):
        return np.zeros(len(candidates))
    return np.asarray(candidates @ _unit(members.mean(axis=0)))


async def embedding_space(
    client: EmbeddingClient, cache: VectorCache, index: PaperIndex, signals: Iterable[Signal]
) -> EmbeddingSpace | None:
    """The day's EmbeddingSpace, or None (logged once) when the API fails: rank with TF-IDF."""
    try:
        return await EmbeddingSpace.build(client, cache, index, signals)
    except EmbedError as error:
        log.warning("%s; ranking with the offline TF-IDF ranker instead", error)
        return None


def rank_with_fallback(
    index: PaperIndex,
    papers: Sequence[Paper],
    signal: Signal,
    space: EmbeddingSpace | None,
    *,
    reasons_for: int | None = None,
) -> list[Ranked]:
    """Rank with embeddings when the space has this chat's vectors, else with TF-IDF."""
    parts = space.parts(papers, signal) if space is not None and not signal.is_empty else None
    return rank(index, papers, signal, reasons_for=reasons_for, parts=parts)
