"""Button data: every kind built and read back in one module; bad data reads as None."""

from __future__ import annotations

import random

import pytest

from bot.models import Chat
from bot.telegram.buttons import (
    MAX_DATA_BYTES,
    SETTING_NAMES,
    PageButton,
    PaperButton,
    RemoveButton,
    SaveButton,
    SettingButton,
    VoteButton,
    page_data,
    paper_data,
    parse_button,
    remove_data,
    save_data,
    setting_data,
    topic_token,
    vote_data,
)
from handlers.settings import TOGGLES, toggled

LONGEST_TOPIC = '-"' + "𝔽" * 500 + '"'


@pytest.mark.parametrize(
    ("data", "button"),
    [
        (paper_data(12, 3), PaperButton(12, 3)),
        (paper_data(999_999_999, 9999), PaperButton(999_999_999, 9999)),
        (page_data(4, 2), PageButton(4, 2)),
        (remove_data("cs.AI"), RemoveButton(topic_token("cs.AI"))),
        (remove_data(LONGEST_TOPIC), RemoveButton(topic_token(LONGEST_TOPIC))),
        (setting_data("repl"), SettingButton("repl")),
        (setting_data("pause"), SettingButton("pause")),
        (vote_data("2402.01295", True), VoteButton("2402.01295", True)),
        (vote_data("2402.01295", False), VoteButton("2402.01295", False)),
        (vote_data("astro-ph/0601001", True), VoteButton("astro-ph/0601001", True)),
        (vote_data("math.AG/0601001", False), VoteButton("math.AG/0601001", False)),
        (save_data("2402.01295"), SaveButton("2402.01295")),
        (save_data("hep-th/9901001"), SaveButton("hep-th/9901001")),
    ],
)
def test_every_button_reads_back_as_built_within_64_bytes(data: str, button: object) -> None:
    assert parse_button(data) == button
    assert len(data.encode("utf-8")) <= MAX_DATA_BYTES


@pytest.mark.parametrize(
    "data",
    [
        "p:abc",
        "p:1:2:3",
        "p:",
        "p:1",
        "p:1:",
        "p:0:1",
        "p:-1:2",
        "p:01:2",
        "p:١:٢",  # Arabic-Indic digits
        "p:1:1\x00",
        "pg:x:y",
        "pg:1:0",
        "pg:1:2.0",
        "pg:" + "9" * 70,
        "rm:",
        "rm:xyz",
        "rm:" + "A" * 12,
        "rm:" + "a" * 13,
        "set:",
        "set:evil",
        "set:repl:1",
        "v:",
        "v:+",
        "v:+:",
        "v:*:2402.01295",
        "v:+:2402.01295v2",
        "v:+:../../etc/passwd",
        "v:-:2402.01295:1",
        "sv:",
        "sv:2402",
        "sv:<b>2402.01295</b>",
        "sv:2402.01295\u200b",
        "zz:1",
        "",
        None,
        random.Random(7).randbytes(64).decode("latin-1"),  # 64 random bytes
    ],
)
def test_data_no_button_of_ours_has_reads_as_none(data: object) -> None:
    assert parse_button(data) is None


def test_each_settings_button_toggles_a_field() -> None:
    assert set(SETTING_NAMES) == set(TOGGLES) | {"freq"}
    chat = Chat(1)
    for name in SETTING_NAMES:
        changed = chat.with_changes(**toggled(chat, name))
        assert changed != chat and chat.with_changes(**toggled(changed, name)) == chat, name
    with pytest.raises(ValueError):
        setting_data("evil")
