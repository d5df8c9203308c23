"""The bot speaks the chat's language from one catalog per language, else English."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

import bot.locales
from bot.i18n import PLURAL_FORMS, available_languages, catalog, resolve_language, t

LOCALES = Path(bot.locales.__file__).parent


def placeholders(message: str | dict[str, str]) -> set[str]:
    forms = message.values() if isinstance(message, dict) else [message]
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


def test_every_catalog_file_is_a_language() -> None:
    assert set(available_languages()) == {p.stem for p in LOCALES.glob("*.toml")}
    assert {"en", "zh"} <= set(available_languages())


@pytest.mark.parametrize("lang", sorted(p.stem for p in LOCALES.glob("*.toml")))
def test_a_catalog_only_translates_english_keys_with_the_same_placeholders(lang: str) -> None:
    english = catalog("en")
    for key, message in catalog(lang).items():
        assert key in english, f"{lang}.toml has {key}, which en.toml lacks"
        assert placeholders(message) == placeholders(english[key]), f"{lang}: {key}"
        if isinstance(message, dict):
            assert set(message) <= PLURAL_FORMS and "other" in message


def test_chinese_chats_read_chinese_with_values_filled_in() -> None:
    assert t("zh", "digest.title", date="2024-11-28") == "📰 arXiv 每日摘要 · 2024-11-28"
    assert t("zh", "digest.papers", count=21) == "21 篇论文"
    assert t("zh", "markdown.summary_heading") == "摘要"  # the seed digest's headings
    assert t("zh", "markdown.details_heading") == "详细"
    assert t("en", "markdown.summary_heading") == "Summary"


@pytest.mark.parametrize("code", ["zh", "zh-hans", "zh-CN", "zh_CN", "zh-TW", "zh-Hant-HK", "ZH"])
def test_chinese_variants_use_the_chinese_catalog(code: str) -> None:
    assert resolve_language(code) == "zh"
    assert t(code, "paper.original_abstract") == "原文摘要"


@pytest.mark.parametrize("code", ["ja", "pt-BR", "", None, "en-GB", "not a language"])
def test_other_languages_fall_back_to_english(code: str | None) -> None:
    assert resolve_language(code) == "en"
    assert t(code, "paper.translated_abstract") == "Translated abstract"


def test_english_counts_one_paper_and_many_papers() -> None:
    assert t("en", "digest.papers", count=1) == "1 paper"
    assert t("en", "digest.papers", count=0) == "0 papers"
    assert t("en", "digest.papers", count=300) == "300 papers"


def test_a_key_missing_from_a_translation_reads_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(catalog("zh"), "digest.no_papers")
    assert t("zh", "digest.no_papers") == "No papers in this digest."


def test_a_broken_translation_reads_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalog("zh"), "digest.title", "摘要 {day}")
    assert t("zh", "digest.title", date="2024-11-28") == "📰 arXiv digest · 2024-11-28"


def test_a_key_missing_from_english_is_a_bug() -> None:
    with pytest.raises(KeyError, match="digest.nonexistent"):
        t("zh", "digest.nonexistent")
