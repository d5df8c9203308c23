"""The bot's own words, from one TOML catalog per language in `bot/locales/<lang>.toml`."""

from __future__ import annotations

import logging
import tomllib
from functools import cache
from importlib import resources
from typing import Any

FALLBACK = "en"
PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})
# Region codes that name a script, for catalogs such as zh-hant.toml; without one, `zh` serves.
_SCRIPT_OF_REGION = {
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-my": "zh-hans",
    "zh-tw": "zh-hant",
    "zh-hk": "zh-hant",
    "zh-mo": "zh-hant",
}

Message = str | dict[str, str]  # a text, or its plural forms {"one": ..., "other": ...}

logger = logging.getLogger(__name__)


@cache
def available_languages() -> tuple[str, ...]:
    """The language codes that have a catalog, sorted: ("en", "zh", ...)."""
    files = resources.files("bot.locales").iterdir()
    return tuple(sorted(f.name.removesuffix(".toml") for f in files if f.name.endswith(".toml")))


def resolve_language(lang: str | None) -> str:
    """The catalog that serves `lang`: "zh-CN", "zh_Hans", "zh-TW" give "zh"; unknown: "en"."""
    code = (lang or "").strip().lower().replace("_", "-")
    parts = code.split("-")
    script = "-".join(parts[:2]) if len(parts) > 1 and parts[1] in ("hans", "hant") else ""
    candidates = (code, _SCRIPT_OF_REGION.get(code, ""), script, parts[0])
    known = available_languages()
    return next((c for c in candidates if c and c in known), FALLBACK)


def is_english(lang: str | None) -> bool:
    """Whether `lang` is some English (en, en-US, en_GB): no translation is wanted."""
    return (lang or FALLBACK).strip().lower().replace("_", "-").split("-")[0] == "en"


def _is_plural(table: dict[str, Any]) -> bool:
    return "other" in table and set(table) <= PLURAL_FORMS


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Message]:
    """`{"digest": {"title": ...}}` as `{"digest.title": ...}`; plural tables stay whole."""
    flat: dict[str, Message] = {}
    for name, value in table.items():
        key = prefix + name
        if isinstance(value, dict) and not _is_plural(value):
            flat.update(_flatten(value, key + "."))
        elif isinstance(value, str | dict):
            flat[key] = value
        else:
            raise TypeError(f"i18n key {key!r} holds {type(value).__name__}, not text")
    return flat


@cache
def catalog(lang: str) -> dict[str, Message]:
    """The messages of one catalog by dotted key, read once from the package."""
    source = resources.files("bot.locales").joinpath(f"{lang}.toml").read_text(encoding="utf-8")
    return _flatten(tomllib.loads(source))


def _format(message: Message, values: dict[str, Any]) -> str:
    if isinstance(message, dict):
        form = "one" if values.get("count") == 1 and "one" in message else "other"
        message = message[form]
    return message.format(**values)


def t(lang: str | None, key: str, **values: Any) -> str:
    """The text of `key` in `lang`, placeholders filled from `values`; English when lang lacks it.

    A key missing from the English catalog is a bug and raises KeyError. A message that is a
    plural table picks "one" when `count` is 1, else "other".
    """
    code = resolve_language(lang)
    message = catalog(code).get(key)
    if message is not None and code != FALLBACK:
        try:
            return _format(message, values)
        except (KeyError, IndexError, ValueError) as error:
            logger.warning("i18n %s.toml %s is malformed (%r); using English", code, key, error)
    english = catalog(FALLBACK).get(key)
    if english is None:
        raise KeyError(f"i18n key {key!r} is missing from {FALLBACK}.toml")
    return _format(english, values)
