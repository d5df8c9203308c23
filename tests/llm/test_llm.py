"""The LLM client asks one paper per request and never passes off a bad answer as a translation."""

from __future__ import annotations

import email.utils
import json
import re
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from bot.errors import SummarizeError
from bot.llm.answers import check_answer, is_wordy_math, language_name
from bot.llm.client import LLMSummarizer, build_messages
from bot.models import Paper

if TYPE_CHECKING:
    from tests.fakes.llm_server import FakeLLM


SEED = (Path(__file__).parents[1] / "fixtures" / "seed-digest.md").read_text(encoding="utf-8")
PREFIX = re.compile(r"^arXiv:\S+\s+(Announce Type|公告类型)：?:?\s*\S+\s+(Abstract|抽象)[:：]\s*")
KEY = "sk-test-0123456789abcdef"
NOW = 1732780800.0  # the clock the client reads for Retry-After dates


def seed_entry(number: int) -> dict[str, str]:
    """One expanded entry of the seed digest: its texts, prefixes and title suffixes left in."""
    block = SEED.split(f"\n[^{number}]: ", 1)[1].split("\n[^", 1)[0]
    first, *rest = block.split("\n")
    lines = [line.strip() for line in rest if line.strip()]
    keys = ("title", "link", "tldr", "abstract", "original")
    return {"zh_title": first.strip(), **dict(zip(keys, lines, strict=False))}


def seed_paper(number: int) -> Paper:
    """The paper of a seed entry, cleaned the way bot.arxiv.clean delivers it."""
    entry = seed_entry(number)
    title = re.sub(r"\.? \(arXiv:[^)]*\)$", "", entry["title"])
    pid = entry["link"].rsplit("/", 1)[-1].strip(")")
    return Paper(id=pid, version=1, title=title, abstract=PREFIX.sub("", entry["original"]))


TOOLSWORD, IMMP, AUDIO = seed_paper(6), seed_paper(15), seed_paper(5)


def zh_answer(number: int, **changes: str) -> dict[str, str]:
    entry = seed_entry(number)
    answer = {"title": entry["zh_title"], "tldr": entry["tldr"], "abstract": entry["abstract"]}
    return {**answer, **changes}


def test_a_good_chinese_answer_from_the_seed_passes() -> None:
    assert check_answer(zh_answer(5), AUDIO, "zh") is None


def test_a_translated_announce_prefix_is_refused() -> None:  # seed defect 2
    problem = check_answer(zh_answer(6), TOOLSWORD, "zh")
    assert problem and "announce prefix" in problem


def test_chinese_words_wrapped_in_math_are_refused() -> None:  # seed defect 7
    abstract = PREFIX.sub("", seed_entry(6)["abstract"])
    assert "$恶意$" in abstract
    problem = check_answer(zh_answer(6, abstract=abstract), TOOLSWORD, "zh")
    assert problem and "$恶意$" in problem


def test_math_the_authors_wrote_is_kept_and_accepted() -> None:
    abstract = re.sub(r"\$([\u4e00-\u9fff]+)\$", r"\1", PREFIX.sub("", seed_entry(6)["abstract"]))
    assert "$ToolSword$" in abstract and "$恶意$" not in abstract
    assert check_answer(zh_answer(6, abstract=abstract), TOOLSWORD, "zh") is None


def test_an_english_answer_where_chinese_was_asked_is_refused() -> None:  # seed defect 5
    entry = seed_entry(15)
    answer = zh_answer(15, tldr=entry["tldr"])  # the seed's English TL;DR
    assert "is not in Simplified Chinese" in check_answer(answer, IMMP, "zh")
    english = {"title": IMMP.title, "tldr": entry["tldr"], "abstract": IMMP.abstract}
    assert check_answer(english, IMMP, "zh")


def test_an_english_answer_where_german_was_asked_is_refused() -> None:
    tldr = "Die Autoren stellen IMMP vor, das die Geometrie der Mannigfaltigkeit erhält."
    same = {"title": "Isometrische Primitive", "tldr": tldr, "abstract": IMMP.abstract}
    assert "not translated" in check_answer(same, IMMP, "de")
    english = dict(same, abstract=IMMP.abstract.replace("The Motion", "A Motion"))
    assert "reads as English" in check_answer(english, IMMP, "de")
    german = dict(same, abstract="Das Motion Manifold Primitive (MMP) erzeugt für eine gegebene "
                  "Aufgabe eine stetige Mannigfaltigkeit von Trajektorien, die jeweils die "
                  "Aufgabe lösen. Wir schlagen IMMP vor, dessen latenter Raum die Geometrie "
                  "erhält; Experimente zeigen, dass IMMP bestehende MMP-Methoden übertrifft.")  # fmt: skip
    assert check_answer(german, IMMP, "de") is None
    wrapped = dict(german, abstract=german["abstract"].replace("Geometrie", "$Geometrie$"))
    assert "wraps words in math" in check_answer(wrapped, IMMP, "de")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json at all", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"title": "标题", "tldr": "一句话。"}), "'abstract' is missing"),
        (json.dumps({"title": "标题", "tldr": "", "abstract": "摘要"}), "'tldr' is missing"),
        (json.dumps({"title": "标题", "tldr": 3, "abstract": "摘要"}), "'tldr' is missing"),
    ],
)
def test_malformed_answers_are_refused(content: str, problem: str) -> None:
    assert problem in check_answer(content, AUDIO, "zh")


def test_fenced_json_and_reasoning_blocks_are_read() -> None:
    content = (
        "<think>hmm</think>\n```json\n" + json.dumps(zh_answer(5), ensure_ascii=False) + "\n```"
    )
    assert check_answer(content, AUDIO, "zh") is None


def test_implausible_lengths_are_refused() -> None:
    assert "TL;DR is" in check_answer(zh_answer(5, tldr="很长的一句话" * 80), AUDIO, "zh")
    assert "far shorter" in check_answer(
        zh_answer(5, abstract="这项工作探讨了语言模型。"), AUDIO, "zh"
    )


def test_for_english_only_an_english_tldr_is_needed() -> None:
    assert check_answer({"tldr": "Language models encode sounds."}, AUDIO, "en") is None
    assert "not in English" in check_answer({"tldr": "语言模型编码了声音的知识。"}, AUDIO, "en")


def test_the_prompt_spells_the_language_and_holds_only_title_and_abstract() -> None:
    assert language_name("zh") == "Simplified Chinese"
    assert language_name("zh-TW") == "Traditional Chinese"
    assert language_name("pt-BR") == "Brazilian Portuguese"
    assert language_name("de-AT") == "German"
    system, user = build_messages(TOOLSWORD, "zh")
    assert system["role"] == "system" and user["role"] == "user"
    assert "Simplified Chinese" in user["content"] and TOOLSWORD.abstract in user["content"]
    assert "Announce Type" not in user["content"] and "arXiv:" not in user["content"]
    assert '"title"' in system["content"] and "Never wrap ordinary words" in user["content"]


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as opened:
        yield opened


class Sleeps:
    """An injectable sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def llm(client: httpx.AsyncClient, url: str, sleeps: Sleeps | None = None, *, api_key: str = KEY,
        timeout: float = 2.0, retries: int = 2) -> LLMSummarizer:  # fmt: skip
    """A summarizer on the fake server; its base URL given with a trailing slash."""
    return LLMSummarizer(client, url + "/", "deepseek-chat", api_key, timeout=timeout,
                         retries=retries, backoff=0.5, sleep=sleeps or Sleeps())  # fmt: skip


async def test_one_request_per_paper_in_the_openai_shape(fake_llm: FakeLLM, client) -> None:
    summary = await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    assert summary.source == "llm" and summary.title != AUDIO.title
    (body,) = fake_llm.requests
    assert body["model"] == "deepseek-chat" and body["temperature"] == 0.2
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert fake_llm.headers[0]["authorization"] == f"Bearer {KEY}"


async def test_no_authorization_header_without_a_key(fake_llm: FakeLLM, client) -> None:
    await llm(client, fake_llm.url, api_key="").summarize(AUDIO, "ja")
    assert "authorization" not in fake_llm.headers[0]


async def test_english_keeps_the_original_title_and_abstract(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("json", {"title": "Other", "tldr": "Language models know sounds.",
                              "abstract": "Shortened."}))  # fmt: skip
    summary = await llm(client, fake_llm.url).summarize(AUDIO, "en")
    assert (summary.title, summary.abstract) == (AUDIO.title, AUDIO.abstract)
    assert summary.tldr == "Language models know sounds."


async def test_a_wrong_language_answer_is_asked_again(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("english",))
    summary = await llm(client, fake_llm.url).summarize(IMMP, "zh")
    assert summary.source == "llm" and len(fake_llm.requests) == 2
    retry = fake_llm.requests[1]["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user"]
    assert "cannot be used: the abstract was not translated" in retry[3]["content"]


async def test_two_wrong_language_answers_raise(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("english",), ("english",))
    with pytest.raises(SummarizeError, match="not translated"):
        await llm(client, fake_llm.url).summarize(IMMP, "zh")
    assert len(fake_llm.requests) == 2


async def test_invalid_json_then_a_good_answer(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("raw", "Sure! Here is the translation: 标题"))
    assert (await llm(client, fake_llm.url).summarize(AUDIO, "zh")).source == "llm"
    assert len(fake_llm.requests) == 2


async def test_server_errors_are_retried_with_backoff(fake_llm: FakeLLM, client) -> None:
    sleeps = Sleeps()
    fake_llm.script(("status", 500), ("status", 503))
    summary = await llm(client, fake_llm.url, sleeps).summarize(AUDIO, "zh")
    assert summary.source == "llm" and len(fake_llm.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_rate_limits_honour_a_short_retry_after(fake_llm: FakeLLM, client) -> None:
    sleeps = Sleeps()
    fake_llm.script(("status", 429, {"Retry-After": "7"}))
    await llm(client, fake_llm.url, sleeps).summarize(AUDIO, "zh")
    assert sleeps.delays == [7.0]


async def test_a_long_retry_after_gives_up_at_once(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("status", 429, {"Retry-After": "3600"}))
    with pytest.raises(SummarizeError, match="3600"):
        await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    assert len(fake_llm.requests) == 1


async def test_persistent_errors_end_in_one_summarize_error(fake_llm: FakeLLM, client) -> None:
    fake_llm.default = ("status", 502)
    with pytest.raises(SummarizeError, match="after 3 tries: HTTP 502"):
        await llm(client, fake_llm.url).summarize(AUDIO, "zh")


async def test_a_client_error_is_not_retried_and_hides_the_key(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("call", lambda body: (400, f"bad model for key {KEY}")))
    with pytest.raises(SummarizeError, match="HTTP 400") as raised:
        await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    assert KEY not in str(raised.value) and len(fake_llm.requests) == 1
    fake_llm.script(("status", 401))
    with pytest.raises(SummarizeError, match="LLM_API_KEY") as raised:
        await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    assert KEY not in str(raised.value)


async def test_a_slow_server_times_out(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("sleep", 5), ("sleep", 5))
    started = time.monotonic()
    with pytest.raises(SummarizeError, match="no answer within 0.2s"):
        await llm(client, fake_llm.url, timeout=0.2, retries=1).summarize(AUDIO, "zh")
    assert time.monotonic() - started < 2 and len(fake_llm.requests) == 2


async def test_an_unreachable_server_never_shows_the_key(client, caplog) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(SummarizeError, match="connection failed") as raised:
        await llm(client, f"http://127.0.0.1:{port}/v1").summarize(AUDIO, "zh")
    assert KEY not in str(raised.value) and KEY not in caplog.text


async def test_the_request_hook_can_stop_spending(fake_llm: FakeLLM, client) -> None:
    def refuse() -> None:
        raise SummarizeError("budget spent")

    with pytest.raises(SummarizeError, match="budget spent"):
        await llm(client, fake_llm.url).summarize(AUDIO, "zh", on_request=refuse)
    assert fake_llm.requests == []


def pieces_of(secret: str) -> list[str]:
    """Every 8-character window of a secret: none may be shown anywhere."""
    return [secret[i : i + 8] for i in range(len(secret) - 7)]


async def test_an_answer_echoing_the_key_is_asked_again_without_the_key(
    fake_llm: FakeLLM, client
) -> None:
    fake_llm.script(("echo_key", "answer"))
    summary = await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    assert summary.source == "llm" and len(fake_llm.requests) == 2
    shown = summary.title + summary.tldr + summary.abstract
    assert not any(piece in shown for piece in pieces_of(KEY))
    retry = fake_llm.requests[1]["messages"]
    assert "repeats a secret" in retry[3]["content"]
    assert not any(piece in json.dumps(retry) for piece in pieces_of(KEY))


@pytest.mark.parametrize("where", ["answer", "partial"])
async def test_two_answers_echoing_the_key_raise(fake_llm: FakeLLM, client, where, caplog) -> None:
    fake_llm.script(("echo_key", where), ("echo_key", where))
    with pytest.raises(SummarizeError, match="repeats a secret") as raised:
        await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    assert not any(piece in str(raised.value) + caplog.text for piece in pieces_of(KEY))


async def test_the_bot_token_in_an_answer_makes_it_unusable(fake_llm: FakeLLM, client) -> None:
    token = "987654:AAH-bot-token-0123456789-abcdef"
    leak = dict(zh_answer(5), tldr=zh_answer(5)["tldr"] + token[10:22])
    fake_llm.script(("json", leak), ("json", leak))
    summarizer = LLMSummarizer(client, fake_llm.url, "m", KEY, retries=0, sleep=Sleeps(),
                               other_secrets=(token,))  # fmt: skip
    with pytest.raises(SummarizeError, match="repeats a secret"):
        await summarizer.summarize(AUDIO, "zh")


async def test_an_error_body_echoing_the_key_is_redacted_before_it_is_cut(
    fake_llm: FakeLLM, client, caplog
) -> None:
    fake_llm.script(("echo_key", "error"))
    with pytest.raises(SummarizeError, match="HTTP 400") as raised:
        await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    message = str(raised.value)
    assert "Incorrect request." in message  # the body is shown, cut, with the key out of it
    assert not any(piece in message + caplog.text for piece in pieces_of(KEY))


def http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


@pytest.mark.parametrize(
    ("retry_after", "delays"),
    [
        (http_date(NOW + 7), [7.0]),  # an HTTP date 7 s ahead of the client's clock
        (http_date(NOW - 30), [0.0]),  # a date already past: retry at once
        ("7", [7.0]),
        ("soon", [0.5]),  # unreadable: the usual backoff
    ],
)
async def test_retry_after_in_seconds_or_as_an_http_date(
    fake_llm: FakeLLM, client, retry_after: str, delays: list[float]
) -> None:
    sleeps = Sleeps()
    fake_llm.script(("status", 429, {"Retry-After": retry_after}))
    summarizer = LLMSummarizer(client, fake_llm.url, "m", KEY, retries=2, backoff=0.5,
                               sleep=sleeps, clock=lambda: NOW)  # fmt: skip
    assert (await summarizer.summarize(AUDIO, "zh")).source == "llm"
    assert sleeps.delays == delays


async def test_a_far_http_date_retry_after_gives_up_at_once(fake_llm: FakeLLM, client) -> None:
    fake_llm.script(("status", 429, {"Retry-After": http_date(NOW + 3600)}))
    summarizer = LLMSummarizer(client, fake_llm.url, "m", KEY, sleep=Sleeps(), clock=lambda: NOW)
    with pytest.raises(SummarizeError, match="asked to wait 3600s"):
        await summarizer.summarize(AUDIO, "zh")
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize(
    ("span", "wordy"),
    [
        ("$恶意$", True), ("$ 查询 $", True), ("$Geometrie$", True), ("$malicious queries$", True),
        ("$1<p<2$", False), ("$\\alpha$", False), ("$x$", False), ("$pT$", False),
        ("$k'$", False), ("$α$", False), ("$x_{最大}$", False), ("$n=3$", False),
        ("$$display words$$", False), ("$O(n)$", False), ("$2$", False),
    ],
)  # fmt: skip
def test_words_and_math_between_dollars_are_told_apart(span: str, wordy: bool) -> None:
    assert is_wordy_math(span) is wordy


async def test_words_wrapped_in_dollars_are_unwrapped_not_thrown_away(
    fake_llm: FakeLLM, client
) -> None:  # seed defect 7, repaired
    abstract = PREFIX.sub("", seed_entry(6)["abstract"])
    assert "$恶意$ $查询$" in abstract and "$ToolSword$" in abstract
    fake_llm.script(("json", zh_answer(6, abstract=abstract + " 条件 $1<p<2$ 与 $\\alpha$。")))
    summary = await llm(client, fake_llm.url).summarize(TOOLSWORD, "zh")
    assert summary.source == "llm" and len(fake_llm.requests) == 1
    assert "恶意 查询" in summary.abstract and "$恶意$" not in summary.abstract
    assert "$ToolSword$" in summary.abstract  # the authors' own span stays
    assert summary.abstract.endswith("条件 $1<p<2$ 与 $\\alpha$。")  # real math stays


async def test_an_answer_far_too_long_is_refused_unread(fake_llm: FakeLLM, client) -> None:
    huge = zh_answer(5, abstract=zh_answer(5)["abstract"] * 400)
    fake_llm.script(("json", huge), ("json", zh_answer(5, abstract="很长" * 3000)))
    with pytest.raises(SummarizeError, match="far longer than the original"):
        await llm(client, fake_llm.url).summarize(AUDIO, "zh")
    assert "characters long" in fake_llm.requests[1]["messages"][3]["content"]


def test_a_brief_answer_is_checked_without_an_abstract_and_its_tldr_by_characters():
    """A brief answer (title and TL;DR) has no translated abstract: its Chinese TL;DR is
    measured against the English original in characters, not in widths, where 60 Chinese
    characters would outweigh a 160-character abstract."""
    short = Paper(
        id="2411.00001", version=1, title="Short notes on gauge fields",
        abstract="We compute the one-loop correction to the gauge coupling and find that it "
        "vanishes for every compact group, which settles an old question in field theory.",
    )  # fmt: skip
    brief = {"title": "规范场简记", "tldr": "本文计算了规范耦合的单圈修正，" * 4}
    assert check_answer(brief, short, "zh", ("title", "tldr")) is None
    assert "'abstract' is missing" in check_answer(brief, short, "zh")  # a whole one needs it
    assert len(short.abstract) < 15 * 12 < 3 * len(short.abstract)
    too_long = {"title": "规范场简记", "tldr": "本文计算了规范耦合的单圈修正，" * 12}
    assert check_answer(too_long, short, "zh", ("title", "tldr")) == (
        "the TL;DR is longer than the abstract"
    )
