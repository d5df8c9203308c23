"""What a chat sees of a digest and of an expanded paper, as Telegram HTML messages."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from bot.digest.markdown import render_markdown, render_text
from bot.digest.render import (
    DigestHeader,
    Entry,
    page_slices,
    render_digest_page,
    render_empty,
    render_paper,
    telegram_length,
)
from bot.digest.textcut import cut, shorten
from bot.models import Paper, Summary

LIMIT = 4096
TELEGRAM_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "blockquote", "tg-spoiler", "span",
}  # fmt: skip
WORDS = [
    "graph",
    "neural",
    "operator",
    "learns",
    "𝔽-linear",
    "maps",
    "with",
    "sparse",
    "attention",
    "and",
    "🚀",
    "speed",
]


def units(text: str) -> int:
    """UTF-16 code units, computed independently of the code under test."""
    return len(text.encode("utf-16-le")) // 2


def visible(message: str) -> str:
    """The text Telegram shows: tags gone, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", message))


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TELEGRAM_TAGS, f"Telegram rejects <{tag}>"
        allowed = {"a": {"href"}, "blockquote": {"expandable"}}.get(tag, set())
        assert {name for name, _ in attrs} <= allowed, f"unexpected attributes on <{tag}>"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes nothing open"
        self.stack.pop()


def assert_valid_html(message: str) -> None:
    """A message Telegram's HTML parse mode accepts: known tags, balanced, text escaped."""
    checker = _TagChecker()
    checker.feed(message)
    checker.close()
    assert checker.stack == [], f"unclosed {checker.stack}"
    text = re.sub(r"<[^>]+>", "", message)
    assert "<" not in text and ">" not in text
    assert not re.search(r"&(?!(amp|lt|gt|quot|#\d+);)", text), "a bare & in the text"


def paper(n: int, title: str = "", abstract: str = "") -> Paper:
    return Paper(
        id=f"2411.{18000 + n:05d}",
        version=1,
        title=title or f"Paper {n}: a study of 𝔽-modules 🚀 and 图神经网络",
        abstract=abstract or f"Abstract of paper {n}. We show that $1<p<2$ & more.",
        authors=("Ada Lovelace", "Alan Turing"),
        categories=("cs.AI",),
        announced="2024-11-28",
    )


def summary(p: Paper, lang: str = "zh", source: str = "llm", **fields: str) -> Summary:
    values = {"title": f"翻译标题 {p.id}", "tldr": f"一句话总结 {p.id}", "abstract": "中文摘要。"}
    values.update(fields)
    return Summary(paper_key=p.key, lang=lang, source=source, **values)


def entry(n: int, **fields: str) -> Entry:
    p = paper(n, fields.pop("title", ""), fields.pop("abstract", ""))
    return Entry(n, p, summary(p, **fields))


HEADER = DigestHeader("2024-11-28", ("cs.AI", '"weather forecast"'), 21)


def test_telegram_length_counts_utf16_units_of_the_visible_text() -> None:
    assert telegram_length('<b>𝔽</b> &lt;🚀&gt; <a href="https://x/?a=1&amp;b=2">中</a>') == 9
    assert telegram_length("&#128640;&amp;") == 3


def test_a_long_digest_splits_between_entries_within_telegram_limits() -> None:
    tldr = "这是一个关于 𝔽 上的图神经网络 🚀 的总结，" * 12 + " ".join(WORDS * 3)
    entries = [entry(n, tldr=f"{n}: {tldr}") for n in range(1, 41)]
    messages = render_digest_page(DigestHeader("2024-11-28", ("cs.AI",), 40), entries, "zh")

    assert len(messages) > 2
    assert messages[0].startswith("<b>📰 arXiv 每日摘要 · 2024-11-28</b>\ncs.AI · 40 篇论文")
    seen: list[int] = []
    for message in messages:
        assert units(visible(message)) <= LIMIT
        assert_valid_html(message)
        blocks = message.split("\n\n")
        numbers = [int(m.group(1)) for b in blocks if (m := re.match(r"<b>\[(\d+)\]</b> ", b))]
        for number in numbers:
            e = entries[number - 1]
            assert f"{html.escape(e.paper.title)}</a>\n{html.escape(e.summary.tldr)}" in message
        seen += numbers
    assert seen == list(range(1, 41))


def test_titles_and_tldrs_with_markup_characters_are_escaped_and_read_back_whole() -> None:
    title = "Bounds for $1<p<2$ & <script> in L^p <b>spaces</b>"
    e = entry(1, title=title, tldr="当 $1<p<2$ 时 a&b <i>成立</i>")
    [message] = render_digest_page(HEADER, [e], "zh")
    assert_valid_html(message)
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert title in visible(message)
    assert "当 $1<p<2$ 时 a&b <i>成立</i>" in visible(message)


def test_links_point_to_arxiv_abs_even_for_papers_read_from_the_rss_host() -> None:
    e = entry(1)  # the parser keeps the id of rss.arxiv.org/abs/2411.18001, never the host
    text = "".join(render_digest_page(HEADER, [e], "zh") + render_paper(e, "zh"))
    assert f'href="https://arxiv.org/abs/{e.paper.id}"' in text
    assert f'href="https://arxiv.org/pdf/{e.paper.id}"' in text
    assert "rss.arxiv.org" not in text


def test_a_single_absurd_entry_is_shortened_at_a_word_boundary() -> None:
    tldr = " ".join(f"word{i}" for i in range(3000))
    [header_msg, entry_msg] = render_digest_page(HEADER, [entry(7, tldr=tldr)], "zh")
    assert units(visible(entry_msg)) <= LIMIT
    assert_valid_html(entry_msg)
    shown = visible(entry_msg).split("\n", 1)[1]
    assert shown.endswith("…")
    kept = shown.removesuffix("…")
    assert tldr.startswith(kept) and tldr[len(kept)] == " "
    assert "2024-11-28" in header_msg


def test_pages_number_on_and_say_there_is_more() -> None:
    entries = [entry(n) for n in range(1, 66)]
    slices = page_slices(len(entries), 30)
    assert slices == [range(30), range(30, 60), range(60, 65)]
    second = DigestHeader("2024-11-28", ("cs.AI",), 65, page=2, pages=3)
    messages = render_digest_page(second, [entries[i] for i in slices[1]], "en")
    text = visible("\n".join(messages))
    assert "65 papers · page 2/3" in text
    assert re.search(r"^\[(\d+)\]", text, re.MULTILINE).group(1) == "31"  # type: ignore[union-attr]
    assert "Showing [31]–[60] of 65" in text
    last = DigestHeader("2024-11-28", ("cs.AI",), 65, page=3, pages=3)
    assert "Showing" not in "".join(render_digest_page(last, entries[60:], "en"))
    assert page_slices(0, 30) == []


def test_a_digest_page_without_papers_says_so() -> None:
    [message] = render_digest_page(DigestHeader("2024-11-28", (), 0), [], "en")
    assert visible(message) == "📰 arXiv digest · 2024-11-28\n0 papers\n\nNo papers in this digest."


def test_nothing_new_says_when_arxiv_last_announced() -> None:
    assert "2024-11-28" in render_empty("en", "2024-11-28")
    assert "2024-11-28" in render_empty("zh-CN", "2024-11-28")
    assert render_empty("en", "").startswith("Nothing new yet")


def test_an_expanded_paper_shows_both_titles_links_tldr_and_both_abstracts() -> None:
    e = entry(3, title="Graphs & <Groups>", abstract="We prove $1<p<2$ bounds.")
    [message] = render_paper(e, "zh")
    assert_valid_html(message)
    assert message.startswith(
        f"<b>[3] 翻译标题 {e.paper.id}</b>\n<i>Graphs &amp; &lt;Groups&gt;</i>"
    )
    assert "<b>一句话总结</b> 一句话总结" in message
    assert "<b>中文摘要</b>\n<blockquote expandable>中文摘要。</blockquote>" in message
    assert "<b>原文摘要</b>\n<blockquote expandable>We prove $1&lt;p&lt;2$ bounds." in message


def test_an_english_chat_sees_the_title_and_abstract_once() -> None:
    p = paper(4)
    e = Entry(4, p, summary(p, "en", title=p.title, abstract=p.abstract, tldr="Short."))
    [message] = render_paper(e, "en-US")
    assert visible(message).count(p.title) == 1
    assert visible(message).count(p.abstract) == 1
    assert "<b>Abstract</b>" in message and "Translated" not in message


def test_an_offline_summary_is_not_presented_as_a_translation() -> None:
    p = paper(15, abstract="Isometric motion manifold primitives preserve geometry.")
    fallback = summary(p, "zh", source="offline", title=p.title, abstract=p.abstract, tldr="IMMP.")
    [message] = render_paper(Entry(15, p, fallback), "zh")
    shown = visible(message)
    assert shown.count(p.abstract) == 1
    assert "中文摘要" not in shown and "<b>原文摘要</b>" in message
    assert shown.count(p.title) == 1
    assert "翻译需要大语言模型" in shown


def test_a_long_abstract_is_split_into_valid_parts_and_delivered_whole() -> None:
    english = " ".join(f"{w}{i % 7}" for i, w in enumerate(WORDS * 100))[:6000].rsplit(" ", 1)[0]
    chinese = "我们研究了在有限域 𝔽 上的图神经网络，并证明了收敛性。" * 60
    p = paper(5, abstract=english)
    e = Entry(5, p, summary(p, abstract=chinese))
    parts = render_paper(e, "zh")

    assert len(english) > 5900 and len(parts) >= 2
    for part in parts:
        assert units(visible(part)) <= LIMIT
        assert_valid_html(part)
    shown = "\n".join(visible(part) for part in parts)
    words = shown.split()
    start = words.index(english.split()[0])
    assert words[start : start + len(english.split())] == english.split()
    assert "".join(chinese.split()) in "".join(shown.split())
    assert parts[1].startswith("<blockquote expandable>")


@pytest.mark.parametrize("limit", [60, 200, 4096])
def test_cut_never_splits_a_word_and_prefers_sentence_ends(limit: int) -> None:
    text = "First sentence here. " + " ".join(WORDS * 40)
    head, rest = cut(text, limit)
    assert units(head) <= limit
    assert head.split() + rest.split() == text.split()


def test_text_without_spaces_is_cut_between_characters_never_mid_character() -> None:
    head, rest = cut("图神经网络🚀" * 100, 101)
    assert units(head) <= 101 and head + rest == "图神经网络🚀" * 100
    assert shorten("一个很长的句子" * 100, 50).endswith("…")
    assert units(shorten("一个很长的句子" * 100, 50)) <= 50


STYLED = Paper(
    id="2310.17072", version=1, title="The {\\bf Bold} Primitives",
    abstract="We then propose {\\it Isometric Primitives} and an \\emph{exact} metric with "
    "\\textbf{strong} results for $\\textbf{x}_1<p<2$ and $\\alpha$ in \\textit{all} cases.",
)  # fmt: skip


@pytest.mark.parametrize("source", ["offline", "llm"])
def test_text_style_markup_is_shown_as_words_and_math_as_written(source: str) -> None:
    summary = Summary(STYLED.key, "zh", "粗体 {\\bf 基元}", "我们提出 \\emph{等距} 基元。",
                      "我们提出 {\\it 等距基元}，条件 $\\textbf{x}_1<p<2$。", source=source)  # fmt: skip
    entry = Entry(1, STYLED, summary)
    shown = [visible(m) for m in render_paper(entry, "zh")]
    shown += [visible(m) for m in render_digest_page(DigestHeader("", (), 1), [entry], "zh")]
    shown += [render_markdown([entry], "zh"), render_text([entry], "zh")]
    for text in shown:
        for markup in ("{\\it", "{\\bf", "\\emph", "\\textit", "\\textbf{strong"):
            assert markup not in text, (markup, text)
    paper_text = shown[0]
    assert "The Bold Primitives" in paper_text and "Isometric Primitives and an exact metric" in (
        paper_text)  # fmt: skip
    assert "$\\textbf{x}_1<p<2$ and $\\alpha$" in paper_text  # math as written
    if source == "llm":
        assert "粗体 基元" in paper_text and "我们提出 等距 基元" in paper_text
        assert "我们提出 等距基元，条件 $\\textbf{x}_1<p<2$。" in paper_text


def test_the_links_line_escapes_and_builds_its_own_urls():
    from bot.digest import links_line
    from bot.models import PaperLinks

    paper = Paper("2503.20783", 1, "T", "A")
    line = links_line(paper, PaperLinks("a/b<i>", 12345, 1, 0, 2), "en")
    assert line == (
        '💻 <a href="https://github.com/a/b&lt;i&gt;">a/b&lt;i&gt;</a> ★ 12,345 · '
        '🤗 <a href="https://huggingface.co/papers/2503.20783">1 model, 2 demos</a>'
    )
    assert links_line(paper, PaperLinks(), "en") == ""
    assert "个模型" in links_line(paper, PaperLinks(models=3), "zh")
