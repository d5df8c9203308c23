"""Summaries per paper and language: the offline TL;DR, and the cached, budgeted LLM service."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace

from bot import lanes
from bot.arxiv import plain_markup
from bot.errors import SummarizeError
from bot.llm.answers import MATH
from bot.llm.budget import Budget, BudgetExhausted, Spending
from bot.llm.client import LLMSummarizer
from bot.llm.outage import LLMState, Pause
from bot.llm.usage import Usage
from bot.llm.wire import LLMUnavailable
from bot.models import Paper, Summary
from bot.store import Store

log = logging.getLogger(__name__)

TLDR_LIMIT = 280
URGENT_CONCURRENCY = 2  # abstracts a reader waits for, asked beside the fetch run's requests
MEMO_SIZE = 20_000  # summaries kept in memory (a day is ~1,500 papers per language)
_ABBREVIATIONS = frozenset([
    "e.g.", "i.e.", "al.", "fig.", "figs.", "eq.", "eqs.", "vs.", "cf.", "sec.", "secs.",
    "ref.", "refs.", "tab.", "no.", "nos.", "approx.", "resp.", "dr.", "prof.", "mr.", "ms.",
    "st.", "ch.", "vol.", "pp.", "thm.", "def.", "prop.", "lem.", "cor.", "ca.", "incl.",
    "esp.", "phys.", "rev.", "lett.", "math.", "ann.", "commun.", "proc.", "soc.", "univ.",
    "j.", "astron.", "astrophys.", "nucl."
])  # fmt: skip
_BOUNDARY = re.compile(r"[.!?][\"')\]]*\s+(?=[A-Z0-9(\[\"'$\\])")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
_CUES = re.compile(
    r"\b(propose[sd]?|introduce[sd]?|present(s|ed)?|show(s|ed|n)?|find|found|demonstrate[sd]?|"
    r"develop(s|ed)?|achieve[sd]?|outperform(s|ed)?|reveal(s|ed)?|establish(es|ed)?|prove[sd]?)\b",
    re.IGNORECASE,
)
_AUTHORS = re.compile(r"\b(we|our|this (paper|work|study|article))\b", re.IGNORECASE)
_BOILERPLATE = re.compile(r"https?://|github\.com|code (is|and data are) available", re.IGNORECASE)
_STOPWORDS = frozenset([
    "a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "with", "by", "from", "as",
    "at", "is", "are", "was", "were", "be", "been", "being", "this", "that", "these", "those",
    "it", "its", "we", "our", "they", "their", "can", "may", "which", "such", "than", "into",
    "also", "not"
])  # fmt: skip


def split_sentences(text: str) -> list[str]:
    """Sentences of an abstract, not split at e.g., i.e., et al., Fig. 2, 3.5, vs. or in math."""
    masked = MATH.sub(lambda m: "x" * len(m.group()), text)
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(masked):
        head = masked[start : match.start() + 1]
        words = head.split()
        last = words[-1].lower().lstrip("([{\"'") if words else ""
        if last in _ABBREVIATIONS or re.fullmatch(r"([a-z]\.)+", last) or _inside_brackets(head):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def _inside_brackets(text: str) -> bool:
    """Whether text leaves a bracket open: a period there ends no sentence ("[Phys. Rev. 5]")."""
    return text.count("(") > text.count(")") or text.count("[") > text.count("]")


def _score(sentence: str) -> float:
    """How much a sentence says what the paper contributes."""
    words = _WORD.findall(MATH.sub(" x ", sentence))
    if len(words) < 8 or _BOILERPLATE.search(sentence):
        return -1.0
    content = sum(w.lower() not in _STOPWORDS for w in words) / len(words)
    cue = 2.0 if _CUES.search(sentence) else 0.0
    author = 1.0 if _AUTHORS.search(sentence) else 0.0
    too_long = 0.5 if len(sentence) > 2 * TLDR_LIMIT else 0.0
    return cue + author * (cue > 0) + content - too_long


def shorten(text: str, limit: int = TLDR_LIMIT) -> str:
    """Cut text to at most `limit` characters at a word boundary outside math, ending in '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    masked = MATH.sub(lambda m: "x" * len(m.group()), text)
    cut = masked.rfind(" ", 0, limit)  # the space before the word that would not fit
    while cut > 0 and text[cut - 1] in ",;:-–—(":
        cut = masked.rfind(" ", 0, cut - 1)
    if cut <= 0:
        return text[: limit - 1].rstrip() + "…"
    return text[:cut].rstrip(" ,;:") + "…"


def offline_tldr(paper: Paper, limit: int = TLDR_LIMIT) -> str:
    """The abstract's most informative sentence (the first of equals), at most `limit` chars,
    text-style TeX (`\\emph{word}`) shown as its words."""
    sentences = split_sentences(plain_markup(paper.abstract))
    if not sentences:
        return shorten(plain_markup(paper.title), limit)
    best = max(sentences, key=lambda s: (_score(s), -sentences.index(s)))
    return shorten(best, limit)


def offline_summary(paper: Paper, lang: str) -> Summary:
    """The summary without an LLM: English title and abstract, an extractive TL;DR."""
    return Summary(
        paper_key=paper.key,
        lang=lang,
        title=paper.title,
        tldr=offline_tldr(paper),
        abstract=paper.abstract,
        source="offline",
    )


class SummaryService:
    """Summaries per paper key and language: cached forever, LLM-made when it can, else offline.

    `daily_budget` caps LLM requests per UTC day (None: no cap; 0: none at all). When the LLM
    is down after retries, it is not asked again for `outage_pause` seconds; when it refuses
    the key, the model or the request, not until the next fetch run (`next_run`): the papers
    meanwhile get offline summaries at once instead of failing one by one. `spent` sums the
    tokens of every answer since start-up; `state()` says why the LLM is paused, if it is.

    `abstracts` says which abstracts are translated up front (`llm.abstracts`): "all",
    "first_page" (those the caller names `whole`: the papers on some chat's first page) or
    "on_expand"; the others get title and TL;DR only, and their abstract when `abstract()`
    is first asked for it, once per paper and language whoever asks.
    """

    def __init__(
        self,
        store: Store,
        summarizer: LLMSummarizer | None,
        *,
        concurrency: int = 4,
        daily_budget: int | None = None,
        outage_pause: float = 600.0,
        clock: Callable[[], float] = time.time,
        abstracts: str = "first_page",
    ) -> None:
        self._store = store
        self.abstracts = abstracts
        self._urgent = asyncio.Semaphore(URGENT_CONCURRENCY)
        self._translating: dict[tuple[str, str], asyncio.Future[Summary]] = {}
        self._llm = summarizer
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._budget = Budget(store, daily_budget, clock)
        self._clock = clock
        self._inflight: dict[tuple[str, str], asyncio.Future[Summary]] = {}
        self._budget_logged = ""
        self._pause = Pause(outage_pause, clock)
        self.spent = Usage()
        self._memo: dict[tuple[str, str], Summary] = {}  # (paper key, lang), only this writes

    @property
    def enabled(self) -> bool:
        """Whether an LLM is configured."""
        return self._llm is not None

    def state(self) -> LLMState | None:
        """Why the LLM is not asked now (down, or refusing), or None when it is."""
        return self._pause.current()

    def next_run(self) -> None:
        """A fetch run begins: an LLM that refused is asked again (once, if it still does)."""
        self._pause.next_run()

    async def summaries(
        self,
        papers: Iterable[Paper],
        lang: str,
        *,
        retry_fallbacks: bool = False,
        whole: Collection[str] = (),
    ) -> dict[str, Summary]:
        """Summaries by paper key; cached ones cost nothing, offline ones are retried on request.

        `whole`: keys of papers whose abstracts are wanted now in "first_page" mode (a brief
        summary made earlier is completed); a failed translation leaves the brief one.
        """
        unique: dict[str, Paper] = {}
        for paper in papers:
            unique.setdefault(paper.key, paper)
        result = await self._made(unique, lang, retry_fallbacks, whole)
        await self._complete([p for k, p in unique.items() if self._whole(k, whole)], lang, result)
        return result

    async def _made(
        self, unique: dict[str, Paper], lang: str, retry_fallbacks: bool, whole: Collection[str]
    ) -> dict[str, Summary]:
        """Each paper's summary as stored, or made now (brief unless `whole` wants it)."""
        result: dict[str, Summary] = {}
        pending: dict[str, asyncio.Future[Summary]] = {}
        stored = {key: s for key in unique if (s := self._memo.get((key, lang))) is not None}
        if missing := [key for key in unique if key not in stored]:
            found = await lanes.in_thread(self._store.get_summaries, missing, lang)
            self._remember(found.values())
            stored.update(found)
        retrying = retry_fallbacks and self._llm is not None
        for key, paper in unique.items():
            cached = stored.get(key)
            if cached is not None and not (retrying and cached.is_fallback):
                result[key] = cached
            else:
                pending[key] = self._shared(paper, lang, brief=not self._whole(key, whole))
        if pending:
            done = await asyncio.gather(*(asyncio.shield(f) for f in pending.values()))
            result.update(zip(pending, done, strict=True))
        return {key: result[key] for key in unique}

    def _whole(self, key: str, whole: Collection[str]) -> bool:
        """Whether this paper's abstract is translated up front."""
        return self.abstracts == "all" or (self.abstracts == "first_page" and key in whole)

    async def _complete(
        self, papers: list[Paper], lang: str, result: dict[str, Summary], urgent: bool = False
    ) -> list[str]:
        """Translate the abstracts of brief summaries in `result`, in place; the keys whose
        translation could not be made (they keep the brief summary)."""
        brief = [paper for paper in papers if result[paper.key].needs_abstract]
        outcomes = await asyncio.gather(
            *(self.abstract(paper, lang, urgent=urgent) for paper in brief), return_exceptions=True
        )
        failed = []
        for paper, outcome in zip(brief, outcomes, strict=True):
            if isinstance(outcome, Summary):
                result[paper.key] = outcome
            elif isinstance(outcome, SummarizeError):
                failed.append(paper.key)
            else:
                raise outcome
        return failed

    async def with_abstracts(
        self, papers: Iterable[Paper], lang: str, *, retry_fallbacks: bool = False
    ) -> tuple[dict[str, Summary], list[str]]:
        """Summaries with every abstract translated, whatever `abstracts` says (an export, a
        preview), and the keys of those that could not be made now (budget, LLM down)."""
        papers = list(papers)
        whole = {paper.key for paper in papers}
        result = await self.summaries(papers, lang, retry_fallbacks=retry_fallbacks, whole=whole)
        return result, await self._complete(papers, lang, result)

    def abstract_blocked(self) -> str:
        """Why no abstract can be translated now: "offline" (no LLM, or it is paused),
        "budget" (today's is spent), or "" when one can."""
        if self._llm is None or self._pause.active:
            return "offline"
        return "" if self._budget.left() else "budget"

    async def abstract(self, paper: Paper, lang: str, *, urgent: bool = True) -> Summary:
        """The paper's summary with its abstract translated: one LLM call per paper and
        language, whoever asks and however many at once. SummarizeError when it cannot be made
        now (BudgetExhausted: not today). `urgent`: a reader waits, ahead of the fetch run."""
        key = (paper.key, lang)
        future = self._translating.get(key)
        if future is None:
            future = asyncio.ensure_future(self._translate(paper, lang, urgent))
            self._translating[key] = future
            future.add_done_callback(lambda _: self._translating.pop(key, None))
        return await asyncio.shield(future)

    async def _translate(self, paper: Paper, lang: str, urgent: bool) -> Summary:
        current = (await self._made({paper.key: paper}, lang, False, ()))[paper.key]
        if not current.needs_abstract:
            return current
        if self._llm is None:
            raise SummarizeError("no LLM is configured")
        spending, day = Spending(self._budget, reserved=False), self._budget.day

        spend = self._request_hook(spending)

        try:
            async with self._urgent if urgent else self._semaphore:
                text = await self._llm.translate_abstract(
                    paper, lang, on_request=spend, on_usage=spending.spent
                )
        except BudgetExhausted:
            self._log_budget()
            raise
        except LLMUnavailable as exc:
            self._paused(exc)
            raise
        except SummarizeError as exc:
            log.warning("%s [%s]: abstract not translated: %s", paper.key, lang, exc)
            raise
        finally:
            await self._settle(spending, day)
        summary = replace(current, abstract=text, brief=False)
        await lanes.in_thread(self._store.put_summaries, [summary])
        self._remember([summary])
        return summary

    def _shared(self, paper: Paper, lang: str, brief: bool = False) -> asyncio.Future[Summary]:
        """One computation per (paper key, language) at a time, whoever asks."""
        key = (paper.key, lang)
        future = self._inflight.get(key)
        if future is None:
            spending = self._reserve()  # now, in the order the papers were asked for
            future = asyncio.ensure_future(self._compute(paper, lang, spending, brief))
            self._inflight[key] = future
            future.add_done_callback(lambda _: self._inflight.pop(key, None))
        return future

    def _reserve(self) -> Spending | None:
        """The first request of a paper's summary, taken from today's budget (None: no LLM)."""
        if self._llm is None:
            return None
        paused = self._pause.active
        return Spending(self._budget, reserved=not paused and self._budget.take())

    async def _compute(
        self, paper: Paper, lang: str, spending: Spending | None, brief: bool
    ) -> Summary:
        day = self._budget.day
        try:
            async with self._semaphore:
                summary = await self._llm_or_offline(paper, lang, spending, brief)
        finally:
            if spending is not None:
                await self._settle(spending, day)
        await lanes.in_thread(self._store.put_summaries, [summary])
        self._remember([summary])
        return summary

    def _remember(self, summaries: Iterable[Summary]) -> None:
        """Keep the latest summaries in memory: a pass reads each from the store once."""
        for summary in summaries:
            self._memo[(summary.paper_key, summary.lang)] = summary
        while len(self._memo) > MEMO_SIZE:
            del self._memo[next(iter(self._memo))]  # the oldest first

    async def _llm_or_offline(
        self, paper: Paper, lang: str, spending: Spending | None, brief: bool
    ) -> Summary:
        if self._llm is None or spending is None:
            return offline_summary(paper, lang)
        cached = await lanes.in_thread(self._store.get_summary, paper.key, lang)
        if cached is not None and not cached.is_fallback:  # made while this one waited
            return cached

        spend = self._request_hook(spending)

        try:
            return await self._llm.summarize(
                paper, lang, on_request=spend, on_usage=spending.spent, brief=brief
            )
        except BudgetExhausted:
            self._log_budget()
            return offline_summary(paper, lang)  # a spent budget is no failure of the LLM
        except LLMUnavailable as exc:
            self._paused(exc)
        except SummarizeError as exc:
            log.warning(
                "%s [%s]: LLM failed (%s); showing the offline English TL;DR without "
                "translation, retried on the next run",
                paper.key, lang, exc,
            )  # fmt: skip
        if cached is None:  # once per paper and language: a retried fallback was counted
            await lanes.in_thread(self._store.bump, "llm_failures")
        return offline_summary(paper, lang)

    def _paused(self, exc: LLMUnavailable) -> None:
        """Stop asking the LLM for a while; say so once, with what the readers lose."""
        if not self._pause.start(exc):
            return
        state = self._pause.current()
        if state is not None and state.refused:
            log.warning(
                "%s; papers get the offline English TL;DR without translation until the next "
                "fetch run asks the LLM again",
                exc,
            )  # fmt: skip
            return
        log.warning(
            "%s; for the next %d minutes papers get the offline English TL;DR without "
            "translation, retried on a later run",
            exc, self._pause.outage_seconds // 60,
        )  # fmt: skip

    async def ask(
        self, messages: list[dict[str, str]], on_text: Callable[[str], None] | None = None
    ) -> str:
        """One LLM answer outside summaries (interest terms; with `on_text`, a question's
        plain-text answer streamed, `on_text(text so far)` as it comes): counted in today's
        budget and tokens, not asked while the LLM is paused; SummarizeError (LLMUnavailable,
        BudgetExhausted) when it cannot be made or fails."""
        if self._llm is None:
            raise LLMUnavailable("no LLM is configured")
        spending, day = Spending(self._budget, reserved=False), self._budget.day

        spend = self._request_hook(spending)

        try:
            if on_text is not None:
                return await self._llm.stream(
                    messages, on_text, on_request=spend, on_usage=spending.spent
                )
            return await self._llm.complete(messages, on_request=spend, on_usage=spending.spent)
        except LLMUnavailable as exc:
            self._paused(exc)
            raise
        finally:
            await self._settle(spending, day)

    def _request_hook(self, spending: Spending) -> Callable[[], None]:
        """What runs before each request: none while the LLM is paused; counted in `spending`
        (BudgetExhausted when today's budget is spent)."""

        def spend() -> None:
            if self._pause.active:
                raise LLMUnavailable("the LLM was unavailable moments ago")
            spending.request()

        return spend

    async def _settle(self, spending: Spending, day: str) -> None:
        """A request's spending done: an unused reservation goes back, its calls and tokens
        are added to the run's and the day's counts."""
        spending.unused()
        self.spent += spending.usage
        await lanes.in_thread(self._budget.record, day, spending.made, spending.usage)

    def _log_budget(self) -> None:
        today = self._budget.today()
        if self._budget_logged != today:
            self._budget_logged = today
            log.warning(
                "daily LLM budget of %s calls is spent for %s: further papers get the offline "
                "English TL;DR without translation until the next UTC day, then are retried",
                self._budget.limit, today,
            )  # fmt: skip
