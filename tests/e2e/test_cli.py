"""`arxiv-digest preview` and `fetch` as an operator runs them: stdout, stderr, exit status."""

import re
from pathlib import Path

import pytest

from bot.arxiv.parse import parse_feed
from bot.cli import main
from tests.conftest import ARXIV, FIXTURES

QUANT = str(ARXIV / "rss2-quant-ph-2025-04-28.xml")
ALL = str(ARXIV / "rss2-all-archives-2024-11-28.xml")


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment: data in a temporary folder, no LLM, no token."""
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "LLM_BASE_URL",
        "LLM_API_KEY",
        "LLM_MODEL",
        "ARXIV_DIGEST_CONFIG",
        "ARXIV_RSS_URL",
        "ARXIV_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARXIV_DIGEST_DATA_DIR", str(tmp_path / "data"))
    config = tmp_path / "fast.toml"
    config.write_text(
        "[arxiv]\nmin_interval = 0.0\nbackoff = 0.0\nretries = 1\n"
        "[llm]\ntimeout = 1.0\nretries = 1\nbackoff = 0.0\n"
    )
    monkeypatch.setenv("ARXIV_DIGEST_CONFIG", str(config))
    return monkeypatch


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def with_llm(env, llm):
    env.setenv("LLM_BASE_URL", llm.url)
    env.setenv("LLM_API_KEY", "sk-TOPSECRET")
    env.setenv("LLM_MODEL", "fake-model")


def seed_structure(document: str) -> list[str]:
    """The shape of a seed-style document: headings, the table header, footnote labels."""
    lines = document.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# "))
    shape = []
    for line in lines[start:]:
        if line.startswith("# ") or line.startswith("| Ref") or line.startswith("| ---"):
            shape.append(line)
        elif re.match(r"^\| \[\^\d+\] \|", line):
            shape.append("row")
        elif re.match(r"^\[\^\d+\]: ", line):
            shape.append("entry")
    return shape


def test_offline_markdown_preview_has_the_seed_shape_without_its_defects(env, capsys):
    status, out, err = run(
        capsys, "preview", "--feed", QUANT, "--format", "markdown", "--limit", "21"
    )
    assert status == 0, err
    seed = (FIXTURES / "seed-digest.md").read_text()
    expected = ["# Summary", "| Ref | Title | Summary |", "| --- | --- | --- |"] + ["row"] * 21
    assert seed_structure(out) == expected + ["# Details"] + ["entry"] * 21
    assert seed_structure(seed)[1:] == expected[1:] + ["# 详细"] + ["entry"] * 21
    assert "Announce Type" not in out and "rss.arxiv.org" not in out and "(arXiv:" not in out
    assert "https://arxiv.org/abs/2504.17830" in out
    # Defect 4: the whole abstract, never cut at 1,000 characters.
    assert "which in turn leaves the Hamiltonian spectrum unbounded." in out


def test_preview_with_an_llm_carries_the_translations(env, capsys, fake_llm):
    with_llm(env, fake_llm)
    status, out, err = run(
        capsys, "preview", "--feed", QUANT, "--lang", "zh", "--format", "markdown", "--limit", "3"
    )
    assert status == 0, err
    assert out.splitlines()[2] == "# 摘要"
    assert "# 详细" in out and out.count("中文翻译") >= 6
    assert len(fake_llm.requests_for("zh")) == 3
    assert all("Announce Type" not in str(body) for body in fake_llm.requests)


def test_one_llm_call_per_paper_and_language_across_two_runs(env, capsys, fake_llm):
    with_llm(env, fake_llm)
    for _ in range(2):
        assert run(capsys, "preview", "--feed", QUANT, "--lang", "zh", "--limit", "5")[0] == 0
    assert len(fake_llm.requests) == 5
    assert run(capsys, "preview", "--feed", QUANT, "--lang", "ja", "--limit", "5")[0] == 0
    assert len(fake_llm.requests) == 10


def test_bad_llm_answers_fall_back_and_are_retried_on_the_next_run(env, capsys, fake_llm):
    with_llm(env, fake_llm)
    # paper 1: English where Chinese was asked, twice; paper 2: not JSON, twice;
    # paper 3: a 500 then a good answer; paper 4: slower than the 1 s timeout, twice.
    fake_llm.script(
        ("english",),
        ("english",),
        ("raw", "sure! here it is"),
        ("raw", "{"),
        ("status", 500),
        ("translate",),
        ("sleep", 3),
        ("sleep", 3),
    )
    env.setenv("ARXIV_DIGEST_CONFIG", _serial_config(env))
    status, out, err = run(
        capsys, "preview", "--feed", QUANT, "--lang", "zh", "--format", "markdown", "--limit", "4"
    )
    assert status == 0, err
    details = out.split("# 详细")[1]
    entries = re.split(r"^\[\^\d+\]: ", details, flags=re.MULTILINE)[1:]
    translated = ["中文翻译" in entry for entry in entries]
    assert translated == [False, False, True, False]
    # A fallback shows the English title, never English text posing as the translation.
    assert entries[0].startswith("Self-Adjoint Time Operator in a Weighted Energy Space")
    fake_llm.script()
    status, out, _ = run(
        capsys, "preview", "--feed", QUANT, "--lang", "zh", "--limit", "4", "--format", "markdown"
    )
    assert status == 0 and out.split("# 详细")[1].count("中文翻译") >= 4


def _serial_config(env) -> str:
    """One LLM request at a time, so the scripted answers meet the papers in order."""
    path = Path(env._setitem[-1][0]["ARXIV_DIGEST_DATA_DIR"]).parent / "serial.toml"  # type: ignore[attr-defined]
    path.write_text(
        "[arxiv]\nmin_interval = 0.0\n[llm]\ntimeout = 1.0\nretries = 1\n"
        "backoff = 0.0\nconcurrency = 1\n"
    )
    return str(path)


def test_offline_text_preview_of_a_topic(env, capsys):
    status, out, err = run(capsys, "preview", "quant-ph", "--feed", ALL, "--limit", "3")
    assert status == 0, err
    assert re.search(r"^\[1\] ", out, re.MULTILINE) and "[4] " not in out
    assert "https://arxiv.org/abs/" in out


def announced_as(kinds: tuple[str, ...]) -> set[str]:
    """The abstract links of the quant-ph fixture's papers announced as one of `kinds`."""
    papers = parse_feed(Path(QUANT).read_bytes()).papers
    return {paper.abs_url for paper in papers if paper.announce_type in kinds}


def test_preview_without_topic_leaves_replacements_out_as_the_digest_does(env, capsys):
    status, out, err = run(capsys, "preview", "--feed", QUANT, "--format", "html")
    assert status == 0, err
    assert all(url in out for url in announced_as(("new", "cross")))
    replaced = announced_as(("replace", "replace-cross"))
    assert replaced and not any(url in out for url in replaced)


def test_preview_with_replacements_shows_them_too(env, capsys):
    status, out, err = run(capsys, "preview", "--feed", QUANT, "--format", "html", "--replacements")
    assert status == 0, err
    assert all(url in out for url in announced_as(("new", "cross", "replace", "replace-cross")))


def test_html_preview_is_what_telegram_gets(env, capsys):
    status, out, _ = run(capsys, "preview", "--feed", QUANT, "--format", "html", "--limit", "2")
    assert status == 0
    assert '<b>[1]</b> <a href="https://arxiv.org/abs/2504.17830">' in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["preview", "cs.XY", "--feed", QUANT], "Unknown arXiv category: cs.XY"),
        (["preview", "--feed", "/nonexistent/feed.xml"], "cannot read feed file"),
        (["preview", "--feed", str(FIXTURES / "seed-digest.md")], "Not an RSS or Atom feed"),
        (
            ["preview", "--feed", str(ARXIV / "rss2-error-bad-archive-astroph-2024-11-28.xml")],
            "arXiv feed error",
        ),
        (["preview", "--feed", "http://127.0.0.1:9/rss/cs.AI"], "arXiv unreachable"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_a_non_zero_exit(env, capsys, argv, message):
    status, out, err = run(capsys, *argv)
    assert status != 0 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_run_without_a_token_says_how_to_get_one(env, capsys):
    status, _, err = run(capsys, "run")
    assert status == 2
    assert "TELEGRAM_BOT_TOKEN" in err and "@BotFather" in err
    assert len(err.strip().splitlines()) == 1


def test_fetch_with_no_chats_asks_for_nothing(env, capsys, feed_server):
    env.setenv("ARXIV_RSS_URL", feed_server.rss_url)
    status, out, _ = run(capsys, "fetch")
    assert status == 0 and out.startswith("0 feed(s) asked")
    assert feed_server.requests == []


def test_secrets_never_reach_the_output(env, capsys, fake_llm):
    with_llm(env, fake_llm)
    fake_llm.default = ("status", 401)
    status, out, err = run(capsys, "-v", "preview", "--feed", QUANT, "--lang", "zh", "--limit", "1")
    assert status == 0
    assert "sk-TOPSECRET" not in out + err
