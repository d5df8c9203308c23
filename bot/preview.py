"""`arxiv-digest preview`: one digest from a feed (file, URL or live arXiv), printed, no bot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.engine import Engine
from bot.errors import DigestError, FeedError
from bot.markdown import render_markdown, render_text
from bot.models import ANNOUNCE_TYPES, Chat, Paper
from bot.parse import parse_feed
from bot.render import DigestHeader, Entry, render_digest_page
from bot.select import feed_queries, select_papers
from bot.topics import parse_topics

FORMATS = ("text", "markdown", "html")


@dataclass(frozen=True)
class PreviewRequest:
    """What the command line asked for."""

    topics: tuple[str, ...] = ()
    feed: str = ""  # a file path or an http(s) URL; empty: live arXiv for the topics
    lang: str = "en"
    format: str = "text"
    limit: int = 0  # 0: no limit


async def preview(engine: Engine, request: PreviewRequest) -> str:
    """Fetch or read the feed, take the papers the topics match, summarize them, render."""
    typed = " ".join(request.topics).strip()
    topics = tuple(str(topic) for topic in parse_topics(typed)) if typed else ()
    chat = Chat(chat_id=0, topics=topics, lang=request.lang, include_replacements=not topics)
    papers = await _papers(engine, request, chat)
    if topics:
        papers = select_papers(papers, chat, set())
    else:
        papers = sorted(papers, key=lambda paper: _type_rank(paper.announce_type))
    if request.limit:
        papers = papers[: request.limit]
    summaries = await engine.summaries.summaries(papers, request.lang, retry_fallbacks=True)
    entries = [Entry(n, paper, summaries[paper.key]) for n, paper in enumerate(papers, 1)]
    announced = max((paper.announced for paper in papers), default="")
    header = DigestHeader(announced=announced, topics=topics, total=len(entries))
    return _render(request.format, header, entries, request.lang)


async def _papers(engine: Engine, request: PreviewRequest, chat: Chat) -> list[Paper]:
    if request.feed.startswith(("http://", "https://")):
        return list(parse_feed(await engine.arxiv.fetch_url(request.feed)).papers)
    if request.feed:
        try:
            content = Path(request.feed).read_bytes()
        except OSError as error:
            raise FeedError(f"cannot read feed file {request.feed}: {error.strerror}") from None
        return list(parse_feed(content).papers)
    if not chat.topics:
        raise DigestError("name a topic (e.g. cs.AI) or a feed (--feed PATH_OR_URL)")
    papers: list[Paper] = []
    for query in feed_queries([chat], engine.settings.keyword_scope):
        papers.extend((parse_feed((await engine.arxiv.fetch_feed(query)).content)).papers)
    return papers


def _type_rank(announce_type: str) -> int:
    return ANNOUNCE_TYPES.index(announce_type) if announce_type in ANNOUNCE_TYPES else 0


def _render(fmt: str, header: DigestHeader, entries: list[Entry], lang: str) -> str:
    if fmt == "markdown":
        return render_markdown(entries, lang, header)
    if fmt == "html":
        return "\n\n".join(render_digest_page(header, entries, lang))
    return render_text(entries, lang, header)
