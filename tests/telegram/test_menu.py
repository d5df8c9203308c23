"""The command menu: every implemented command, in each catalog's language, per audience."""

from __future__ import annotations

import re
from typing import Any

import pytest
from telegram import Bot, BotCommand, BotCommandScope
from telegram.ext import Application, CommandHandler

from bot import i18n
from bot.app import add_handlers
from bot.telegram import menu
from bot.telegram.menu import AUDIENCES, command_menus, menu_commands, menu_languages
from tests.fakes.bot_api import FakeBotApi

# The commands of SPEC's table and issue 19's /ask, aliases and /start (Telegram's own button) aside.
SPEC_COMMANDS = {
    "help", "subscribe", "unsubscribe", "list", "digest", "paper", "lang", "time", "timezone",
    "limit", "pause", "resume", "export", "settings", "stats", "interests", "like", "dislike",
    "save", "unsave", "saved", "bib", "frequency", "here", "ask", "questions",
}  # fmt: skip
OPERATOR_ONLY = {"stats"}  # for the ARXIV_DIGEST_ADMINS ids, not for a menu
SETTINGS = {
    "subscribe", "unsubscribe", "interests", "lang", "time", "timezone", "frequency", "limit",
    "pause", "resume", "here", "questions",
}  # fmt: skip
LANGUAGES = [("en", ""), ("zh", "zh")]


def registered_commands() -> set[str]:
    """The command names the bot's Application answers, as bot/app.py registers them."""
    app = Application.builder().token("1:TEST").build()
    add_handlers(app)
    handlers = [h for group in app.handlers.values() for h in group]
    return {name for h in handlers if isinstance(h, CommandHandler) for name in h.commands}


def names(commands: tuple[tuple[str, str], ...]) -> set[str]:
    return {name for name, _ in commands}


@pytest.mark.parametrize(("lang", "code"), LANGUAGES)
def test_private_menu_has_every_implemented_command(lang: str, code: str) -> None:
    implemented = (registered_commands() & SPEC_COMMANDS) - OPERATOR_ONLY - {"here"}
    assert {"subscribe", "digest", "settings", "help"} <= implemented
    [private] = [
        m
        for m in command_menus(registered_commands())
        if m.language_code == code and m.scope == "all_private_chats"
    ]
    assert names(private.commands) == implemented


@pytest.mark.parametrize(("lang", "code"), LANGUAGES)
def test_every_spec_command_has_a_menu_line_once_registered(lang: str, code: str) -> None:
    admins = menu_commands(lang, "all_chat_administrators", SPEC_COMMANDS)
    private = menu_commands(lang, "all_private_chats", SPEC_COMMANDS)
    assert names(admins) == SPEC_COMMANDS - OPERATOR_ONLY
    assert names(private) == SPEC_COMMANDS - OPERATOR_ONLY - {"here"}
    assert "stats" not in names(admins) | names(private)


def test_group_members_see_no_settings_commands() -> None:
    members = names(menu_commands("en", "all_group_chats", SPEC_COMMANDS))
    admins = names(menu_commands("en", "all_chat_administrators", SPEC_COMMANDS))
    assert members < admins
    assert members & SETTINGS == set()
    assert {"digest", "paper", "save", "saved", "bib", "like", "help"} <= members
    assert admins >= SETTINGS


@pytest.mark.parametrize(("lang", "code"), LANGUAGES)
def test_descriptions_and_names_follow_telegrams_rules(lang: str, code: str) -> None:
    for scope in AUDIENCES:
        commands = menu_commands(lang, scope, SPEC_COMMANDS)
        assert len(commands) <= 100
        for name, description in commands:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name), name
            assert 1 <= len(description) <= 256, name
            assert "<" not in description, f"{name}: a menu line is plain text"


def test_catalog_lines_fit_without_being_cut() -> None:
    for lang, _ in LANGUAGES:
        for name in SPEC_COMMANDS - OPERATOR_ONLY:
            assert 1 <= len(i18n.t(lang, f"menu.{name}")) <= 256


def test_the_chinese_menu_is_in_chinese() -> None:
    english = dict(menu_commands("en", "all_chat_administrators", SPEC_COMMANDS))
    chinese = dict(menu_commands("zh", "all_chat_administrators", SPEC_COMMANDS))
    assert chinese.keys() == english.keys()
    for name, description in chinese.items():
        assert description != english[name], name
        assert re.search(r"[\u4e00-\u9fff]", description), name


def test_english_serves_every_language_and_each_catalog_its_own() -> None:
    menus = command_menus(SPEC_COMMANDS)
    assert menu_languages() == LANGUAGES
    assert {(m.scope, m.language_code) for m in menus} == {
        (scope, code) for scope in AUDIENCES for _, code in LANGUAGES
    }


def test_a_new_catalog_adds_its_menu(monkeypatch: pytest.MonkeyPatch) -> None:
    japanese = {"menu.digest": "今すぐダイジェスト"}
    real_catalog = i18n.catalog

    def catalog(lang: str) -> dict[str, Any]:
        return japanese if lang == "ja" else real_catalog(lang)

    monkeypatch.setattr(i18n, "available_languages", lambda: ("en", "ja", "zh"))
    monkeypatch.setattr(menu, "available_languages", lambda: ("en", "ja", "zh"))
    monkeypatch.setattr(i18n, "catalog", catalog)
    [ja] = [
        m
        for m in command_menus({"digest", "help"})
        if m.language_code == "ja" and m.scope == "default"
    ]
    assert ja.commands == (("digest", "今すぐダイジェスト"), ("help", "how to use the bot"))


async def test_telegram_accepts_every_menu(fake_bot_api: FakeBotApi) -> None:
    async with Bot("123:ABC", base_url=fake_bot_api.base_url) as bot:
        for item in command_menus(SPEC_COMMANDS):
            commands = [BotCommand(name, text) for name, text in item.commands]
            scope = BotCommandScope(item.scope)
            await bot.set_my_commands(
                commands, scope=scope, language_code=item.language_code or None
            )
    assert fake_bot_api.rejections == []
    zh_admins = fake_bot_api.commands(scope={"type": "all_chat_administrators"}, language_code="zh")
    assert {c["command"] for c in zh_admins} == SPEC_COMMANDS - OPERATOR_ONLY
    members = fake_bot_api.commands(scope={"type": "all_group_chats"})
    assert "subscribe" not in {c["command"] for c in members}
    assert fake_bot_api.commands()[0]["description"] == i18n.t("en", "menu.subscribe")
