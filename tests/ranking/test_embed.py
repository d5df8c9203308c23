"""The optional embeddings ranker: each paper embedded once, kept across restarts, TF-IDF fallback."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from bot.models import Paper
from bot.ranking.embed import (
    EmbeddingClient,
    EmbedError,
    MappingVectorCache,
    decode_vector,
    embedding_space,
    encode_vector,
    rank_with_fallback,
)
from bot.ranking.rank import PaperIndex, Signal, rank
from tests.fakes.embed_server import FakeEmbeddings

DAY = [
    Paper("2411.00001", 1, "Turbulence in pipes", "Direct numerical simulation of turbulent pipe flow."),
    Paper("2411.00002", 1, "Decoding surface codes", "Quantum error correction with surface codes and decoders."),
    Paper("2411.00003", 1, "Galaxy clusters", "Weak lensing masses of galaxy clusters and dark matter halos."),
    Paper("2411.00004", 1, "Poker equilibria", "Nash equilibria of poker by counterfactual regret minimization."),
]  # fmt: skip
INTERESTS = ["quantum error correction decoders", "galaxy clusters lensing", "poker regret"]


@pytest.fixture
def fake_embeddings() -> Iterator[FakeEmbeddings]:
    with FakeEmbeddings() as server:
        yield server


@pytest.fixture
def index() -> PaperIndex:
    return PaperIndex(DAY)


def client_for(server: FakeEmbeddings, http: httpx.AsyncClient, **options) -> EmbeddingClient:
    return EmbeddingClient(http, server.url, "fake-embed", "sk-embed-secret", **options)


async def test_each_paper_is_embedded_once_for_many_chats(fake_embeddings, index) -> None:
    stored: dict[str, str] = {}
    signals = [Signal(interests=INTERESTS[n % 3]) for n in range(60)]
    async with httpx.AsyncClient() as http:
        client = client_for(fake_embeddings, http)
        space = await embedding_space(client, MappingVectorCache(stored), index, signals)
        again = await embedding_space(client, MappingVectorCache(stored), index, signals)
    assert space is not None and again is not None
    texts = fake_embeddings.inputs
    assert len(texts) == len(set(texts)) == len(DAY) + len(INTERESTS)  # 4 papers, 3 interests
    assert len(fake_embeddings.requests) == 1  # one batch, and nothing the second time
    assert fake_embeddings.headers[0]["authorization"] == "Bearer sk-embed-secret"
    firsts = [rank_with_fallback(index, DAY, s, space)[0].paper.title for s in signals[:3]]
    assert firsts == ["Decoding surface codes", "Galaxy clusters", "Poker equilibria"]


async def test_a_restart_reads_the_stored_vectors_and_asks_for_nothing(
    fake_embeddings, index
) -> None:
    stored: dict[str, str] = {}
    liked = Paper(
        "2410.00009", 1, "Surface code decoders", "Decoders for quantum error correction."
    )
    signal = Signal(liked=(liked,))
    async with httpx.AsyncClient() as http:
        await embedding_space(
            client_for(fake_embeddings, http), MappingVectorCache(stored), index, [signal]
        )
        before = len(fake_embeddings.requests)
        on_disk = json.loads(json.dumps(stored))  # the store keeps JSON text, never pickle
        restarted = MappingVectorCache(on_disk)
        space = await embedding_space(
            client_for(fake_embeddings, http), restarted, PaperIndex(DAY), [signal]
        )
    assert before == 1 and len(fake_embeddings.requests) == 1
    assert all(isinstance(v, str) and len(v) < 400 for v in on_disk.values())  # 64 floats, compact
    ranked = rank_with_fallback(index, DAY, signal, space)
    assert ranked[0].paper.title == "Decoding surface codes"
    assert ranked[0].reason.kind == "liked" and ranked[0].reason.title == liked.title


@pytest.mark.parametrize(
    "behaviour",
    [("status", 500), ("status", 401), ("json", {"data": []}), ("json", {"data": [{"index": 0}]}),
     ("json", ["not", "an", "object"]), ("sleep", 3)],
)  # fmt: skip
async def test_a_failing_endpoint_falls_back_to_the_offline_ranker(
    fake_embeddings, index, behaviour, caplog
) -> None:
    fake_embeddings.script(behaviour)
    signal = Signal(interests="galaxy clusters")
    async with httpx.AsyncClient() as http:
        client = client_for(fake_embeddings, http, timeout=0.3)
        with caplog.at_level(logging.WARNING, logger="bot.ranking.embed"):
            space = await embedding_space(client, MappingVectorCache({}), index, [signal])
    assert space is None
    assert "TF-IDF" in caplog.text and "sk-embed-secret" not in caplog.text
    ranked = rank_with_fallback(index, DAY, signal, space)
    assert ranked == rank(index, DAY, signal)
    assert ranked[0].paper.title == "Galaxy clusters"


async def test_the_client_batches_and_raises_a_typed_error(fake_embeddings) -> None:
    async with httpx.AsyncClient() as http:
        client = client_for(fake_embeddings, http, batch_size=64)
        vectors = await client.embed([f"text {n} words" for n in range(150)])
        assert len(vectors) == 150 and len(fake_embeddings.requests) == 3
        assert np.allclose(vectors[7], (await client.embed(["text 7 words"]))[0])
        fake_embeddings.script(("status", 503))
        with pytest.raises(EmbedError, match="HTTP 503"):
            await client.embed(["one"])
    unreachable = EmbeddingClient(httpx.AsyncClient(), "http://127.0.0.1:9/v1", "m")
    with pytest.raises(EmbedError, match="unreachable"):
        await unreachable.embed(["one"])
    await unreachable.http.aclose()


def test_vectors_round_trip_through_their_text_form() -> None:
    vector = np.random.default_rng(7).standard_normal(1536).astype(np.float32)
    text = encode_vector(vector)
    assert np.array_equal(decode_vector(text), vector)
    assert len(text) < len(json.dumps(vector.tolist())) / 3
    assert decode_vector(encode_vector([0.5, -1.0])).tolist() == [0.5, -1.0]
    for broken in ("not base64!", "AAA="):  # junk; 2 bytes, not a float32
        with pytest.raises(ValueError):
            decode_vector(broken)
