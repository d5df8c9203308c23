"""Issue 19: asking a paper. Time to the first streamed words and to the whole answer, the size
of the stored text per paper, and the LLM calls of 100 chats asking the three ready questions.

Runs the real Application in this process (as the e2e tests build it, tests/harness.py)
against the loopback Bot API, arXiv and an OpenAI-compatible LLM that streams its answer as
server-sent events at a realistic pace: a word a chunk, `--delay` seconds apart (0.026 s: about
38 words, some 50 tokens, a second), starting at once (no time-to-first-token of a real model
is added: add yours). The answer is a realistic one of `--words` words in two paragraphs.

- first words: from the question pushed into the fake's update queue to the first draft
  (sendMessageDraft) the fake Bot API accepted; whole answer: to the final sendMessage;
  cold (the paper's HTML fetched and parsed first) and warm (stored), private chats;
- stored text: each fixture page of tests/fixtures/arxiv-html parsed as the bot does and its
  stored JSON measured, with the page's size and the parse time;
- ready questions: 100 chats each show the same paper (/paper ID) and press its three ready
  buttons at once; the LLM requests that asked a question are counted (expected: 3).

Prints figures and the load average; asserts nothing.

    python bench/ask_bench.py
    python bench/ask_bench.py --delay 0.02 --words 300 --runs 10 --chats 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.arxiv import parse_html  # noqa: E402
from bot.errors import FeedError  # noqa: E402
from tests.fakes.llm_server import paper_question  # noqa: E402
from tests.harness import _harness  # noqa: E402

CHAT = 901
PAPER = "2402.01295"
HTML = ROOT / "tests" / "fixtures" / "arxiv-html"


def answer_text(words: int) -> str:
    """A plausible answer of about `words` words: two paragraphs, then its sources line."""
    sentence = (
        "The authors fine-tune the model on a small set of behaviours and then ask it to "
        "describe them (§2), "
    )
    per = len(sentence.split())
    half = max(1, words // (2 * per))
    first = (sentence * half).strip() + " which it does without examples."
    second = "They evaluate on held-out prompts and report accuracy against baselines (§3), " * half
    return f"{first}\n\n{second.strip()} with clear gains.\nSECTIONS: §2, §3"


async def timed_asks(h, runs: int) -> tuple[float, float, list[tuple[float, float]]]:
    """(first draft, final message) seconds of the cold ask and of the warm ones."""
    results = []
    for run in range(runs + 1):
        drafts_before = len(h.api.drafts_to(CHAT))
        sends_before = len(h.api.messages_to(CHAT))
        start = time.monotonic()
        h.api.push_message(CHAT, f"/ask 1 What do they evaluate, run {run}?")
        await h.api.wait_for_messages(CHAT, sends_before + 1)
        sent = [at for at, chat in h.api.send_times if chat == CHAT][-1]
        drafts = h.api.drafts_to(CHAT)[drafts_before:]
        first = drafts[0]["at"] - start if drafts else float("nan")
        results.append((first, sent - start))
        await h.idle()
    cold = results[0]
    return cold[0], cold[1], results[1:]


async def ready_calls(h, chats: int) -> tuple[int, float, int]:
    """LLM question requests, seconds, and answers sent, for `chats` chats pressing the three
    ready buttons of one paper at once."""
    h.feeds.serve_api(PAPER, "../constructed/api-id_list-2402.01295.xml")
    shown = {}
    for index in range(chats):
        chat = 5000 + index
        (message,) = await h.say(chat, f"/paper {PAPER}")
        shown[chat] = message["message_id"]
    asked_before = sum(1 for b in h.llm.requests if paper_question(b))
    start = time.monotonic()
    for chat, message_id in shown.items():
        for name in "nel":
            h.api.push_callback(chat, message_id, f"q:{name}:{PAPER}")
    for chat in shown:
        await h.api.wait_for_messages(chat, 4)
    took = time.monotonic() - start
    asked = sum(1 for b in h.llm.requests if paper_question(b)) - asked_before
    answers = sum(len(h.api.messages_to(chat)) - 1 for chat in shown)
    return asked, took, answers


def stored_sizes() -> list[tuple[str, int, int, float, int]]:
    """(page, HTML bytes, stored JSON bytes, parse seconds, sections) of each fixture page."""
    rows = []
    for page in sorted(HTML.glob("*.html")):
        content = page.read_bytes()
        start = time.perf_counter()
        try:
            text = parse_html(content, page.stem)
        except FeedError:
            rows.append((page.name, len(content), 0, time.perf_counter() - start, 0))
            continue
        took = time.perf_counter() - start
        stored = len(json.dumps(text.to_dict(), ensure_ascii=False).encode())
        rows.append((page.name, len(content), stored, took, len(text.sections)))
    return rows


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async for h in _harness(Path(tmp), with_llm=True):
            await h.start()
            await h.say(CHAT, "/start")
            await h.say(CHAT, "/time 23:00")
            await h.say(CHAT, "/subscribe hep-th")
            await h.settled()
            await h.say(CHAT, "/digest", expect=None)
            paper = h.engine.store.get_paper(h.engine.store.latest_digest(CHAT).paper_ids[0])
            h.feeds.serve_paper_html(paper.id, "2501.11120v1.html")  # 0.3 MB, the normal case
            h.llm.stream_delay = args.delay
            h.llm.question_text = answer_text(args.words)
            cold_first, cold_whole, warm = await timed_asks(h, args.runs)
            h.llm.question_text = None
            h.llm.stream_delay = args.delay / 10  # the ready answers' pace is not measured here
            asked, took, answers = await ready_calls(h, args.chats)
    words = len(answer_text(args.words).split())
    print(f"LLM pace: a word a chunk every {args.delay:g} s (~{1 / args.delay:.0f} words/s, "
          f"~{1.33 / args.delay:.0f} tokens/s); answer {words} words")  # fmt: skip
    print(f"cold ask (HTML fetched + parsed): first words {cold_first:.2f} s, "
          f"whole answer {cold_whole:.2f} s")  # fmt: skip
    firsts = [f for f, _ in warm]
    wholes = [w for _, w in warm]
    print(f"warm asks ({len(warm)}): first words median {statistics.median(firsts):.2f} s "
          f"(max {max(firsts):.2f}), whole answer median {statistics.median(wholes):.2f} s "
          f"(max {max(wholes):.2f})")  # fmt: skip
    for name, html_bytes, stored, parse_s, sections in stored_sizes():
        if stored:
            print(f"stored text {name}: {stored / 1024:.1f} KB from {html_bytes / 1024:.0f} KB "
                  f"of HTML ({sections} sections, parsed in {parse_s * 1000:.0f} ms)")  # fmt: skip
        else:
            print(f"stored text {name}: none (no paper: arXiv's error page, {html_bytes} B)")
    print(f"ready questions: {args.chats} chats x 3 buttons -> {asked} LLM calls, {answers} "
          f"answers sent in {took:.1f} s")  # fmt: skip
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, "
          f"cores: {os.cpu_count()}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.026, help="seconds between chunks")
    parser.add_argument("--words", type=int, default=200, help="words in the answer")
    parser.add_argument("--runs", type=int, default=5, help="warm asks after the cold one")
    parser.add_argument("--chats", type=int, default=100, help="chats asking ready questions")
    asyncio.run(main(parser.parse_args()))
