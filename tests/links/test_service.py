"""The look-up against the loopback API: one request per endpoint whoever asks, kept a day (a
404 too), nothing kept on a failure, the table pruned after a day."""

import asyncio

import httpx
import pytest

from bot.links import HuggingFaceClient, LinkService
from bot.models import Paper, PaperLinks
from bot.store import LINKS_DAY, Store
from tests.fakes.hf_api import fixture

PAPER = Paper("2503.20783", 1, "Understanding R1-Zero-Like Training", "We study RL.")
NOW = 1_750_000_000.0


@pytest.fixture
async def service(tmp_path, fake_hf):
    store = Store(tmp_path)
    async with httpx.AsyncClient() as http:
        clock = [NOW]
        links = LinkService(store, HuggingFaceClient(http, fake_hf.url, 2.0), lambda: clock[0])
        links.clock_now = clock  # type: ignore[attr-defined]  # tests move it
        yield links
    store.close()


async def test_two_readers_at_once_cause_one_look_up_kept_for_the_day(service, fake_hf):
    fake_hf.add(PAPER.id, fixture("2503.20783.paper.json"), fixture("2503.20783.repos.json"))
    assert await service.known(PAPER) is None
    first, second = await asyncio.gather(service.look_up(PAPER), service.look_up(PAPER))
    expected = PaperLinks("sail-sg/understand-r1-zero", 1234, 3, 1, 2)
    assert first == second == expected
    assert len(fake_hf.paths) == 2
    assert await service.known(PAPER) == expected  # from the store, no request
    service.clock_now[0] = NOW + LINKS_DAY  # a day later it is asked again
    assert await service.known(PAPER) is None
    assert len(fake_hf.paths) == 2


async def test_a_404_is_kept_and_a_failure_is_not(service, fake_hf):
    assert await service.look_up(PAPER) == PaperLinks()
    assert await service.known(PAPER) == PaperLinks()
    other = Paper("2501.11120", 1, "T", "Our code: https://github.com/a-lab/code.")
    fake_hf.default = ("status", 502)
    assert await service.look_up(other) is None
    assert service.store.get_links(other.id, NOW) is None
    assert await service.known(other) == PaperLinks(repo="a-lab/code")  # resting: not asked


async def test_old_style_ids_are_not_asked(service, fake_hf):
    old = Paper("hep-th/9901001", 1, "T", "An old paper.")
    assert await service.known(old) == PaperLinks()
    assert fake_hf.paths == []


def test_retention_drops_answers_older_than_a_day(tmp_path):
    with Store(tmp_path) as store:
        store.put_links("2503.20783", PaperLinks("a/b", 1), NOW - LINKS_DAY - 1)
        store.put_links("2501.11120", PaperLinks(), NOW)
        store.prune(keep_days=60, now=NOW)
        assert store.table_sizes()["links"] == 1
        assert store.get_links("2501.11120", NOW) == PaperLinks()
