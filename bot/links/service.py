"""A paper's links line: the abstract's GitHub link at once, the Hugging Face API's answer
once a day per paper (asked only for papers readers expand, one request for every chat)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

from bot import lanes
from bot.errors import LinksError
from bot.links.client import HuggingFaceClient
from bot.links.parse import paper_answer, repo_in_text, repos_answer
from bot.models import Paper, PaperLinks
from bot.store import Store

log = logging.getLogger(__name__)

# Seconds the API is left alone after it failed (slow, down, junk): expanding papers meanwhile
# shows the abstract's link only and makes no request.
REST_SECONDS = 300.0
# Hugging Face has pages for arXiv's new-style ids only ("2402.01295", not "hep-th/9901001").
_NEW_STYLE_ID = re.compile(r"\d{4}\.\d{4,5}")


class LinkService:
    """`known(paper)`: the links to show now, or None when the API is to be asked;
    `look_up(paper)`: ask it (once for every chat expanding the paper meanwhile) and keep the
    answer a day, a 404 too. Without a client (links.huggingface = false) nothing is asked."""

    def __init__(
        self,
        store: Store,
        client: HuggingFaceClient | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.inflight: dict[str, asyncio.Future[PaperLinks | None]] = {}
        self.resting_until = 0.0  # time.monotonic() before which the API is not asked

    async def known(self, paper: Paper) -> PaperLinks | None:
        """The links kept for the paper (or the abstract's alone when the API is not asked);
        None when the API is to be asked now."""
        if self.client is None or not _NEW_STYLE_ID.fullmatch(paper.id):
            return from_abstract(paper)
        kept = await lanes.in_thread(self.store.get_links, paper.id, self.clock())
        if kept is not None:
            return with_abstract(kept, paper)
        if time.monotonic() < self.resting_until:
            return from_abstract(paper)
        return None

    async def look_up(self, paper: Paper) -> PaperLinks | None:
        """The API's links for the paper with the abstract's, kept a day; None when the API
        failed (nothing kept: it is asked again at a later expansion)."""
        future = self.inflight.get(paper.id)
        if future is None:
            future = asyncio.ensure_future(self._ask(paper))
            self.inflight[paper.id] = future
            future.add_done_callback(lambda _: self.inflight.pop(paper.id, None))
        answer = await asyncio.shield(future)
        return None if answer is None else with_abstract(answer, paper)

    async def _ask(self, paper: Paper) -> PaperLinks | None:
        client = self.client
        if client is None:
            return None
        try:
            async with asyncio.timeout(client.timeout):
                found, cited = await asyncio.gather(client.paper(paper.id), client.repos(paper.id))
            repo, stars = paper_answer(found) if found is not None else ("", None)
            models, datasets, spaces = repos_answer(cited) if cited is not None else (0, 0, 0)
        except (LinksError, TimeoutError) as error:
            self.resting_until = time.monotonic() + REST_SECONDS
            log.info("links of %s not looked up (shown without): %s", paper.id, error or "slow")
            return None
        links = PaperLinks(repo, stars, models, datasets, spaces)
        await lanes.in_thread(self.store.put_links, paper.id, links, self.clock())
        return links


def from_abstract(paper: Paper) -> PaperLinks:
    """The GitHub repository written in the paper's abstract, if any."""
    return PaperLinks(repo=repo_in_text(paper.abstract))


def with_abstract(links: PaperLinks, paper: Paper) -> PaperLinks:
    """The API's links, with the abstract's repository when the API gives none."""
    if links.repo:
        return links
    return PaperLinks(
        repo_in_text(paper.abstract), None, links.models, links.datasets, links.spaces
    )
