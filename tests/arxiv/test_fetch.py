"""What the bot asks of arXiv: polite, conditional, retried, and failing with one clear error."""

import asyncio
import time
import tracemalloc

import httpx
import pytest

from bot.arxiv.client import CHUNK, ArxivClient
from bot.errors import FetchError, ResponseTooLargeError
from tests.fakes import PATIENCE

QUANT = "rss2-quant-ph-2025-04-28.xml"


def client(server, http, **options) -> ArxivClient:
    options = {"min_interval": 0.0, "backoff": 0.0, "retries": 2, **options}
    return ArxivClient(http, server.rss_url, server.api_url, **options)


async def test_an_unchanged_feed_costs_one_304_and_no_body(feed_server):
    feed_server.serve_feed("quant-ph", QUANT)
    async with httpx.AsyncClient() as http:
        arxiv = client(feed_server, http)
        first = await arxiv.fetch_feed("quant-ph")
        second = await arxiv.fetch_feed("quant-ph", first.etag, first.last_modified)
    assert first.status == 200 and first.content.startswith(b"<?xml")
    assert second.unchanged and second.content == b""
    assert feed_server.requests[1].headers["if-none-match"] == first.etag
    assert feed_server.requests[1].headers["if-modified-since"] == first.last_modified


async def test_every_request_names_the_bot_in_its_user_agent(feed_server):
    feed_server.serve_feed("cs.AI+hep-th", QUANT)
    async with httpx.AsyncClient() as http:
        await client(feed_server, http).fetch_feed("cs.AI+hep-th")
    seen = feed_server.requests[0]
    assert seen.path == "/rss/cs.AI+hep-th"
    assert seen.headers["user-agent"].startswith("arxiv-digest-bot/")


async def test_requests_to_arxiv_are_spaced_by_the_minimum_interval(feed_server):
    feed_server.serve_feed("quant-ph", QUANT)
    async with httpx.AsyncClient() as http:
        arxiv = client(feed_server, http, min_interval=0.3)
        started = time.monotonic()
        for _ in range(3):
            await arxiv.fetch_feed("quant-ph")
        elapsed = time.monotonic() - started
    assert elapsed >= 0.6  # three requests need two full intervals between them


async def test_503_and_429_are_retried_then_the_feed_arrives(feed_server):
    feed_server.serve_feed("quant-ph", QUANT)
    feed_server.fail_next(503, 429)
    async with httpx.AsyncClient() as http:
        response = await client(feed_server, http).fetch_feed("quant-ph")
    assert response.status == 200
    assert [seen.status for seen in feed_server.requests] == [503, 429, 200]


async def test_arxiv_down_gives_one_fetch_error_after_the_retries(feed_server):
    feed_server.fail_next(503, 503, 503, 503)
    async with httpx.AsyncClient() as http:
        with pytest.raises(FetchError, match="after 3 tries"):
            await client(feed_server, http).fetch_feed("quant-ph")
    assert len(feed_server.requests) == 3


async def test_an_unreachable_host_is_a_fetch_error_not_a_crash():
    async with httpx.AsyncClient() as http:
        arxiv = ArxivClient(
            http,
            "http://127.0.0.1:9/rss/",
            "http://127.0.0.1:9/api",
            min_interval=0,
            retries=1,
            backoff=0,
        )
        with pytest.raises(FetchError, match="unreachable"):
            await arxiv.fetch_feed("cs.AI")


async def test_api_lookup_by_id_returns_the_atom_answer_even_for_a_400(feed_server):
    feed_server.serve_api("abc", "api-query-error400-id_list-abc-2026-04-12.xml", status=400)
    async with httpx.AsyncClient() as http:
        body = await client(feed_server, http).fetch_ids(["abc"])
    assert b"incorrect_id_format_for_abc" in body
    assert feed_server.requests[0].query["id_list"] == ["abc"]


async def test_a_gzip_encoded_feed_arrives_unpacked(feed_server, arxiv_fixture):
    feed_server.serve_gzip("quant-ph", arxiv_fixture(QUANT))
    async with httpx.AsyncClient() as http:
        response = await client(feed_server, http).fetch_feed("quant-ph")
    assert response.content == arxiv_fixture(QUANT)


async def test_a_gzip_bomb_is_dropped_at_the_cap_without_unpacking_it_whole(feed_server):
    cap = 1_000_000
    feed_server.serve_bomb("cs.AI", unpacked_bytes=100_000_000)
    async with httpx.AsyncClient() as http:
        arxiv = client(feed_server, http, max_response_bytes=cap)
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError, match="too large") as raised:
                await arxiv.fetch_feed("cs.AI")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert cap < raised.value.received <= cap + CHUNK  # the read stopped one chunk past the cap
    assert peak < 4 * cap  # never the 100 MB the body unpacks to
    assert len(feed_server.requests) == 1  # too large is final: not asked again


async def test_a_plain_answer_past_the_cap_is_dropped_too(feed_server):
    feed_server.serve_feed("cs.AI", b"<rss>" + b" " * 300_000)
    async with httpx.AsyncClient() as http:
        with pytest.raises(ResponseTooLargeError) as raised:
            await client(feed_server, http, max_response_bytes=100_000).fetch_feed("cs.AI")
    assert raised.value.received <= 100_000 + CHUNK


async def test_an_answer_that_never_finishes_is_retried_then_a_fetch_error(feed_server):
    feed_server.serve_feed("quant-ph", QUANT)
    held = feed_server.hold("quant-ph")
    try:
        async with httpx.AsyncClient() as http:
            arxiv = client(feed_server, http, retries=1, timeout=0.3)
            with pytest.raises(FetchError, match=r"no whole answer within 0.3 s.* after 2 tries"):
                await arxiv.fetch_feed("quant-ph")
            # the retry reached arXiv; on a loaded machine its server thread may see it late
            async with asyncio.timeout(PATIENCE):
                while held.requests < 2:
                    await asyncio.sleep(0.01)
    finally:
        held.release.set()
    assert held.requests == 2
