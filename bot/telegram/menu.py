"""The command menu per language and audience, from the `menu.*` keys of the message catalogs.

Telegram shows a user the most specific menu set for them: in a group, administrators see the
`all_chat_administrators` one and members the `all_group_chats` one; a menu without
`language_code` serves every language that has none of its own. So English, the fallback
catalog, goes without a code and each other catalog under its two-letter code: adding
`bot/locales/ja.toml` adds a Japanese menu, its missing descriptions read in English.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.i18n import FALLBACK, available_languages, t

DESCRIPTION_LIMIT = 256  # Telegram's limit for a command's description
# In the order the menu shows them; a command appears only once its handler is registered.
PRIVATE = (
    "subscribe", "unsubscribe", "list", "digest", "paper", "ask", "save", "unsave", "saved", "bib",
    "export", "like", "dislike", "interests", "lang", "time", "timezone", "frequency", "limit",
    "questions", "pause", "resume", "settings", "help",
)  # fmt: skip
GROUP_ADMINS = PRIVATE[:-2] + ("here", "settings", "help")
# Group members read, vote and save; topics and settings are the admins' (they may still look).
GROUP_MEMBERS = (
    "digest", "paper", "ask", "save", "unsave", "saved", "bib", "export", "like", "dislike",
    "list",
    "settings", "help",
)  # fmt: skip
AUDIENCES = {
    "default": PRIVATE,
    "all_private_chats": PRIVATE,
    "all_group_chats": GROUP_MEMBERS,
    "all_chat_administrators": GROUP_ADMINS,
}


@dataclass(frozen=True)
class CommandMenu:
    """One setMyCommands call: a scope type, a language code ("" for all others), the commands."""

    scope: str  # a BotCommandScope type: "default", "all_private_chats", ...
    language_code: str  # "" or ISO 639-1 ("zh")
    commands: tuple[tuple[str, str], ...]  # (command, description)


def command_menus(registered: Collection[str]) -> list[CommandMenu]:
    """Every menu to set at start-up: each audience in each catalog's language."""
    return [
        CommandMenu(scope, language_code, menu_commands(lang, scope, registered))
        for lang, language_code in menu_languages()
        for scope in AUDIENCES
    ]


def menu_commands(
    lang: str, scope: str, registered: Collection[str]
) -> tuple[tuple[str, str], ...]:
    """The (command, description) pairs of one audience's menu in `lang`, registered ones only."""
    return tuple(
        (name, t(lang, f"menu.{name}")[:DESCRIPTION_LIMIT])
        for name in AUDIENCES[scope]
        if name in registered
    )


def menu_languages() -> list[tuple[str, str]]:
    """(catalog, language_code) pairs: English for all languages, then one per 2-letter code."""
    pairs = [(FALLBACK, "")]
    for lang in available_languages():
        if lang != FALLBACK and len(lang) == 2 and lang.isalpha():
            pairs.append((lang, lang))
    return pairs
