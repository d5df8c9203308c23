"""`arxiv-digest preview`: one digest from a feed (file, URL or live arXiv), printed, no bot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot import lanes
from bot.arxiv import Feed, parse_feed
from bot.digest import (
    DigestHeader,
    Entry,
    feed_queries,
    parse_topics,
    render_digest_page,
    render_markdown,
    render_text,
    select_papers,
)
from bot.engine import Engine
from bot.errors import DigestError, FeedError
from bot.models import ANNOUNCE_TYPES, Chat, Paper

FORMATS = ("text", "markdown", "html")


@dataclass(frozen=True)
class PreviewRequest:
    """What the command line asked for."""

    topics: tuple[str, ...] = ()
    feed: str = ""  # a file path or an http(s) URL; empty: live arXiv for the topics
    lang: str = "en"
    format: str = "text"
    limit: int = 0  # 0: no limit
    replacements: bool = False  # replaced papers too, as a chat that opted in gets them


async def preview(engine: Engine, request: PreviewRequest) -> str:
    """Fetch or read the feed, take the papers the topics match, summarize them, render."""
    typed = " ".join(request.topics).strip()
    topics = tuple(str(topic) for topic in parse_topics(typed)) if typed else ()
    chat = Chat(
        chat_id=0, topics=topics, lang=request.lang, include_replacements=request.replacements
    )
    papers = await _papers(engine, request, chat)
    if topics:
        papers = select_papers(papers, chat, set())
    else:
        papers = _every_paper(papers, request.replacements)
    if request.limit:
        papers = papers[: request.limit]
    if request.format == "markdown":  # the only format that shows whole abstracts
        summaries, _ = await engine.summaries.with_abstracts(
            papers, request.lang, retry_fallbacks=True
        )
    else:
        summaries = await engine.summaries.summaries(papers, request.lang, retry_fallbacks=True)
    entries = [Entry(n, paper, summaries[paper.key]) for n, paper in enumerate(papers, 1)]
    announced = max((paper.announced for paper in papers), default="")
    header = DigestHeader(announced=announced, topics=topics, total=len(entries))
    return _render(request.format, header, entries, request.lang)


async def _papers(engine: Engine, request: PreviewRequest, chat: Chat) -> list[Paper]:
    if request.feed.startswith(("http://", "https://")):
        return list(
            (await _parsed(await engine.arxiv.fetch_url(request.feed), request.feed)).papers
        )
    if request.feed:
        return list((await _parsed(_read_file(request.feed, engine), request.feed)).papers)
    if not chat.topics:
        raise DigestError("name a topic (e.g. cs.AI) or a feed (--feed PATH_OR_URL)")
    papers: list[Paper] = []
    for query in feed_queries([chat], engine.settings.keyword_scope):
        response = await engine.arxiv.fetch_feed(query)
        papers.extend((await _parsed(response.content, engine.arxiv.feed_url(query))).papers)
    return papers


def _read_file(path: str, engine: Engine) -> bytes:
    """A feed file's bytes; one larger than arXiv answers may be is refused unread."""
    limit = engine.settings.arxiv_max_response_bytes
    try:
        with Path(path).open("rb") as file:
            content = file.read(limit + 1)
    except OSError as error:
        raise FeedError(f"cannot read feed file {path}: {error.strerror}") from None
    if len(content) > limit:
        raise FeedError(f"feed file {path} is too large (over {limit:,} bytes); not read")
    return content


async def _parsed(content: bytes, source: str) -> Feed:
    """The feed parsed in a thread (seconds for a big one); a FeedError names its source."""
    try:
        return await lanes.in_thread(parse_feed, content)
    except FeedError as error:
        raise FeedError(f"{source}: {error}") from None


def _every_paper(papers: list[Paper], replacements: bool) -> list[Paper]:
    """A feed's papers without topics, by the digest rules: new, then cross-lists (replacements)."""
    kept = ANNOUNCE_TYPES if replacements else ANNOUNCE_TYPES[:2]
    taken = [paper for paper in papers if paper.announce_type in kept]
    return sorted(taken, key=lambda paper: _type_rank(paper.announce_type))


def _type_rank(announce_type: str) -> int:
    return ANNOUNCE_TYPES.index(announce_type) if announce_type in ANNOUNCE_TYPES else 0


def _render(fmt: str, header: DigestHeader, entries: list[Entry], lang: str) -> str:
    if fmt == "markdown":
        return render_markdown(entries, lang, header)
    if fmt == "html":
        return "\n\n".join(render_digest_page(header, entries, lang))
    return render_text(entries, lang, header)
