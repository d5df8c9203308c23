"""`arxiv-digest check`: every configured service tried once, one line each with ✓ or ✗."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from bot.arxiv import ArxivClient, parse_feed
from bot.config import Settings
from bot.engine import make_summarizer
from bot.errors import DigestError, SummarizeError
from bot.llm import Adaptations, LLMRefused, Usage, config_hint, language_name
from bot.logs import redact, secret_pieces
from bot.models import Paper

FEED = "cs.AI"  # the feed the arXiv check asks for
TIMEOUT = 30.0  # seconds for the Bot API and the embeddings API
# A real paper (econ.EM and others, announced 2024-11-28), summarized by the LLM check.
PAPER = Paper(
    id="2411.16552",
    version=1,
    title="When Is Heterogeneity Actionable for Personalization?",
    abstract=(
        "Targeting and personalization policies can be used to improve outcomes beyond the "
        "uniform policy that assigns the best performing treatment in an A/B test to everyone. "
        "Personalization relies on the presence of heterogeneity of treatment effects, yet, as "
        "we show in this paper, heterogeneity alone is not sufficient for personalization to be "
        'successful. We develop a statistical model to quantify "actionable heterogeneity," or '
        "the conditions when personalization is likely to outperform the best uniform policy. "
        "We show that actionable heterogeneity can be visualized as crossover interactions in "
        "outcomes across treatments and depends on three population-level parameters: "
        "within-treatment heterogeneity, cross-treatment correlation, and the variation in "
        "average responses. Our model can be used to predict the expected gain from "
        "personalization prior to running an experiment and also allows for sensitivity "
        "analysis, providing guidance on how changing treatments can affect the personalization "
        "gain. To validate our model, we apply five common personalization approaches to two "
        "large-scale field experiments with many interventions that encouraged flu vaccination. "
        "We find an 18% gain from personalization in one and a more modest 4% gain in the "
        "other, which is consistent with our model. Counterfactual analysis shows that this "
        "difference in the gains from personalization is driven by a drastic difference in "
        "within-treatment heterogeneity. However, reducing cross-treatment correlation holds a "
        "larger potential to further increase personalization gains. Our findings provide a "
        "framework for assessing the potential from personalization and offer practical "
        "recommendations for improving gains from targeting in multi-intervention settings."
    ),
    categories=("stat.AP", "cs.LG", "econ.EM", "stat.ME", "stat.ML"),
)


@dataclass(frozen=True)
class Result:
    """One check: `ok` True (✓), False (✗, with `fix`: what to change) or None (not set up)."""

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "✓", False: "✗", None: "-"}[self.ok]
        return f"{mark} {self.name}: {self.detail}" + (f"; {self.fix}" if self.fix else "")


async def run_checks(settings: Settings, lang: str = "zh") -> list[Result]:
    """Every check, run at once; the results in a fixed order."""
    async with httpx.AsyncClient(headers={"User-Agent": "arxiv-digest-bot check"}) as http:
        return list(
            await asyncio.gather(
                check_telegram(settings, http),
                check_llm(settings, http, lang),
                check_embeddings(settings, http),
                check_arxiv(settings, http),
                asyncio.to_thread(check_data, settings.data_dir),
            )
        )


def check(settings: Settings, lang: str, write: Callable[[str], None] = print) -> int:
    """Run the checks and write their lines, secrets redacted; 0 when none failed, else 1."""
    results = asyncio.run(run_checks(settings, lang))
    pieces = secret_pieces((settings.telegram_token, settings.llm_api_key, settings.embed_api_key))
    for result in results:
        write(redact(result.line(), pieces))
    return 1 if any(result.ok is False for result in results) else 0


async def check_telegram(settings: Settings, http: httpx.AsyncClient) -> Result:
    """The bot token, by asking the Bot API who the bot is (getMe)."""
    name, token = "Telegram bot token", settings.telegram_token
    get_one = "get one from @BotFather (/newbot) and set TELEGRAM_BOT_TOKEN"
    if not token:
        return Result(name, False, "TELEGRAM_BOT_TOKEN is not set", get_one)
    base = settings.telegram_api_base_url
    try:
        answer = await http.get(f"{base}{token}/getMe", timeout=TIMEOUT)
    except httpx.HTTPError as error:
        unreachable = f"the Bot API at {urlsplit(base).netloc} is unreachable"
        return Result(name, False, f"{unreachable} ({type(error).__name__})",
                      "check the network or TELEGRAM_API_BASE_URL")  # fmt: skip
    if answer.status_code in (401, 404):
        return Result(name, False, f"Telegram refused the token (HTTP {answer.status_code})",
                      "copy it again from @BotFather into TELEGRAM_BOT_TOKEN")  # fmt: skip
    try:
        bot = answer.json()["result"]
        username, first = str(bot["username"]), str(bot.get("first_name", ""))
    except (ValueError, KeyError, TypeError):
        return Result(name, False, f"the Bot API answered HTTP {answer.status_code}",
                      "check TELEGRAM_API_BASE_URL")  # fmt: skip
    return Result(name, True, f"the bot is @{username}" + (f" ({first})" if first else ""))


async def check_llm(settings: Settings, http: httpx.AsyncClient, lang: str) -> Result:
    """The LLM: one real paper summarized into `lang`, with time and tokens."""
    name = "LLM"
    if not settings.llm_enabled:
        return Result(name, None, "not set: offline English TL;DRs, no translation "
                      "(README: An LLM)")  # fmt: skip
    name = f"LLM {settings.llm_model} at {urlsplit(settings.llm_base_url).netloc}"
    learned = Adaptations()
    llm = make_summarizer(dataclasses.replace(settings, llm_retries=0), http, learned)
    spent: list[Usage] = []
    started = time.monotonic()
    try:
        await llm.summarize(PAPER, lang, on_usage=spent.append)
    except LLMRefused as error:
        return Result(name, False, error.reason, error.hint)
    except SummarizeError as error:  # unreachable, or an answer that cannot be used
        return Result(name, False, str(error), _llm_fix(str(error)))
    usage, seconds = sum(spent, Usage()), time.monotonic() - started
    detail = (
        f"{PAPER.id} summarized into {language_name(lang)} in {seconds:.1f}s, "
        f"{usage.calls} call(s), tokens in {usage.prompt:,} out {usage.completion:,} "
        f"(reasoning {usage.reasoning:,})"
    )
    advice = []
    if usage.reasoning or usage.thinking:
        advice.append("the model thinks before answering: turn it off (README: An LLM)")
    changes = learned.of(settings.llm_model)
    if changes:
        hint = config_hint(changes, settings.llm_extra_body, settings.llm_omit,
                           settings.llm_max_output_tokens)  # fmt: skip
        advice.append(f"it refused a parameter the bot changed on its own; to skip that: {hint}")
    return Result(name, True, detail, "; ".join(advice))


def _llm_fix(problem: str) -> str:
    if "connection failed" in problem or "no answer within" in problem:
        return "is the server running at LLM_BASE_URL? (check the URL and the network)"
    if "output cap" in problem:
        return ""  # the problem says what to change
    return "try another model (LLM_MODEL) or turn its thinking off (README: An LLM)"


async def check_embeddings(settings: Settings, http: httpx.AsyncClient) -> Result:
    """The embeddings API, if set: one text embedded."""
    name = "Embeddings"
    if not settings.embed_enabled:
        return Result(name, None, "not set: the offline TF-IDF ranker")
    name = f"Embeddings {settings.embed_model} at {urlsplit(settings.embed_base_url).netloc}"
    url = settings.embed_base_url.rstrip("/") + "/embeddings"
    key = settings.embed_api_key
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"model": settings.embed_model, "input": [PAPER.title]}
    try:
        answer = await http.post(url, json=body, headers=headers, timeout=settings.embed_timeout)
    except httpx.HTTPError as error:
        return Result(name, False, f"unreachable ({type(error).__name__})",
                      "is the server running at EMBED_BASE_URL?")  # fmt: skip
    if answer.status_code in (401, 403):
        return Result(name, False, f"HTTP {answer.status_code}", "check EMBED_API_KEY")
    try:
        vector = answer.json()["data"][0]["embedding"]
        dimensions = len([float(x) for x in vector])
    except (ValueError, KeyError, IndexError, TypeError):
        return Result(name, False, f"HTTP {answer.status_code}, no embedding in the answer",
                      "check EMBED_BASE_URL and EMBED_MODEL")  # fmt: skip
    return Result(name, True, f"a vector of {dimensions} dimensions")


async def check_arxiv(settings: Settings, http: httpx.AsyncClient) -> Result:
    """arXiv: one feed fetched and read."""
    client = ArxivClient(http, settings.arxiv_rss_url, settings.arxiv_api_url, min_interval=0,
                         retries=0, timeout=settings.arxiv_timeout)  # fmt: skip
    name = f"arXiv at {urlsplit(client.feed_url(FEED)).netloc}"
    try:
        answer = await client.fetch_feed(FEED)
        feed = await asyncio.to_thread(parse_feed, answer.content)
    except DigestError as error:
        return Result(name, False, str(error), "check the network or ARXIV_RSS_URL")
    return Result(name, True, f"the {FEED} feed holds {len(feed.papers)} paper(s)")


def check_data(folder: Path) -> Result:
    """The data folder: created if missing, a file written and removed (blocking)."""
    name = f"Data folder {folder}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".check-") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        free = shutil.disk_usage(folder).free
    except OSError as error:
        return Result(name, False, f"not writable ({error.strerror or error})",
                      "set ARXIV_DIGEST_DATA_DIR to a folder this user can write")  # fmt: skip
    return Result(name, True, f"writable, {free / 1e9:.1f} GB free")
