"""Settings, loaded once: config/default.toml < a config file < the environment."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

DEFAULT_FILE = resources.files("bot.defaults").joinpath("default.toml")  # config/default.toml

# llm.abstracts: which abstracts are translated when papers are fetched (the others when a
# reader first expands them)
ABSTRACT_MODES = ("all", "first_page", "on_expand")

# environment variable -> (section, key)
ENVIRONMENT = {
    "TELEGRAM_API_BASE_URL": ("telegram", "api_base_url"),
    "ARXIV_DIGEST_ADMINS": ("telegram", "admins"),
    "ARXIV_RSS_URL": ("arxiv", "rss_url"),
    "ARXIV_API_URL": ("arxiv", "api_url"),
    "ARXIV_HTML_URL": ("arxiv", "html_url"),
    "LLM_BASE_URL": ("llm", "base_url"),
    "LLM_MODEL": ("llm", "model"),
    "ARXIV_DIGEST_DATA_DIR": ("storage", "data_dir"),
}
# what the LLM's requests carry beyond the contract's variables (LLM_EXTRA_BODY, a JSON object,
# is read on its own)
LLM_ENVIRONMENT = {"LLM_OMIT": ("llm", "omit"), "LLM_ABSTRACTS": ("llm", "abstracts")}
# request fields the bot itself sets: extra_body may change them, not these
FIXED_FIELDS = ("model", "messages", "stream")
# the optional embeddings API for ranking (bot/embed.py), read like the LLM's
EMBED_ENVIRONMENT = {
    "EMBED_BASE_URL": ("embed", "base_url"),
    "EMBED_MODEL": ("embed", "model"),
}
# the Hugging Face paper API an expanded paper's links line comes from (bot/links/)
LINKS_ENVIRONMENT = {"HF_API_URL": ("links", "huggingface_api_url")}


@dataclass(frozen=True)
class Settings:
    """Every setting the bot and the engine read, typed and checked."""

    telegram_token: str = field(default="", repr=False)
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    admins: tuple[int, ...] = ()
    arxiv_rss_url: str = "https://rss.arxiv.org/rss/"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_html_url: str = "https://arxiv.org/html/"
    arxiv_min_interval: float = 3.0
    arxiv_timeout: float = 30.0
    arxiv_retries: int = 3
    arxiv_backoff: float = 10.0
    arxiv_max_response_bytes: int = 16_000_000
    fetch_every_minutes: float = 60.0
    fresh_minutes: float = 5.0
    check_every_seconds: float = 30.0
    chat_interval: float = 1.0
    chat_burst: int = 3
    keyword_scope: tuple[str, ...] = ()
    llm_base_url: str = ""
    llm_api_key: str = field(default="", repr=False)
    llm_model: str = ""
    llm_concurrency: int = 4
    llm_timeout: float = 60.0
    llm_retries: int = 2
    llm_backoff: float = 2.0
    llm_daily_budget: int = 3000
    llm_extra_body: Mapping[str, Any] = field(default_factory=dict)
    llm_omit: tuple[str, ...] = ()
    llm_max_output_tokens: int = 2048
    llm_price_in: float = 0.0
    llm_price_out: float = 0.0
    llm_currency: str = "USD"
    llm_abstracts: str = "first_page"  # one of ABSTRACT_MODES
    ask_daily_questions: int = 20
    ask_max_context_chars: int = 60_000
    ask_max_question_chars: int = 1000
    ask_turns: int = 3
    data_dir: Path = Path("./data")
    default_time: str = "08:00"
    default_timezone: str = "UTC"
    default_limit: int = 30
    embed_base_url: str = ""
    embed_api_key: str = field(default="", repr=False)
    embed_model: str = ""
    embed_timeout: float = 30.0
    embed_batch_size: int = 64
    links_huggingface: bool = True
    links_huggingface_api_url: str = "https://huggingface.co/api"
    links_timeout: float = 5.0
    keep_days: int = 60
    max_topics: int = 40
    max_phrase_chars: int = 80
    flood_limit: int = 30
    concurrent_updates: int = 64
    delivery_concurrency: int = 128

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url)

    @property
    def embed_enabled(self) -> bool:
        return bool(self.embed_base_url)


def load_settings(
    config_path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read the layers into one Settings; a bad value raises ConfigError naming its key."""
    env = dict(os.environ if environ is None else environ)
    layers = _read_toml(DEFAULT_FILE)
    path = config_path or env.get("ARXIV_DIGEST_CONFIG")
    if path:
        _merge(layers, _read_toml(Path(path)))
    for variable, (section, key) in (
        ENVIRONMENT | LLM_ENVIRONMENT | EMBED_ENVIRONMENT | LINKS_ENVIRONMENT
    ).items():
        if env.get(variable, "").strip():
            layers.setdefault(section, {})[key] = env[variable].strip()
    if env.get("LLM_EXTRA_BODY", "").strip():
        layers.setdefault("llm", {})["extra_body"] = _json_object(env["LLM_EXTRA_BODY"])
    secrets = {
        "telegram_token": env.get("TELEGRAM_BOT_TOKEN", "").strip(),
        "llm_api_key": env.get("LLM_API_KEY", "").strip(),
        "embed_api_key": env.get("EMBED_API_KEY", "").strip(),
    }
    return _build(layers, secrets)


def _json_object(text: str) -> dict[str, Any]:
    """LLM_EXTRA_BODY's JSON object; ConfigError in one line when it is not one."""
    example = """ e.g. '{"thinking": {"type": "disabled"}}'"""
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ConfigError(
            f"LLM_EXTRA_BODY is not JSON ({error}); give an object,{example}"
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(f"LLM_EXTRA_BODY must be a JSON object,{example}")
    return value


def _read_toml(path: Traversable) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for section, values in extra.items():
        if not isinstance(values, dict):
            raise ConfigError(f"config: [{section}] must be a table of keys")
        base.setdefault(section, {}).update(values)


def _build(layers: dict[str, Any], secrets: dict[str, str]) -> Settings:
    read = _Reader(layers)
    settings = Settings(
        telegram_token=secrets["telegram_token"],
        telegram_api_base_url=read.url("telegram", "api_base_url"),
        admins=read.ids("telegram", "admins"),
        arxiv_rss_url=read.url("arxiv", "rss_url"),
        arxiv_api_url=read.url("arxiv", "api_url"),
        arxiv_html_url=read.url("arxiv", "html_url"),
        arxiv_min_interval=read.number("arxiv", "min_interval", minimum=0),
        arxiv_timeout=read.number("arxiv", "timeout", minimum=0.1),
        arxiv_retries=int(read.number("arxiv", "retries", minimum=0)),
        arxiv_backoff=read.number("arxiv", "backoff", minimum=0),
        arxiv_max_response_bytes=int(read.number("arxiv", "max_response_bytes", minimum=1024)),
        fetch_every_minutes=read.number("arxiv", "fetch_every_minutes", minimum=1),
        fresh_minutes=read.number("arxiv", "fresh_minutes", minimum=0),
        keyword_scope=read.strings("arxiv", "keyword_scope"),
        check_every_seconds=read.number("schedule", "check_every_seconds", minimum=0.05),
        chat_interval=read.number("schedule", "chat_interval", minimum=0),
        chat_burst=int(read.number("schedule", "chat_burst", minimum=1)),
        llm_base_url=read.url("llm", "base_url", optional=True),
        llm_api_key=secrets["llm_api_key"],
        llm_model=read.text("llm", "model"),
        llm_concurrency=int(read.number("llm", "concurrency", minimum=1)),
        llm_timeout=read.number("llm", "timeout", minimum=0.1),
        llm_retries=int(read.number("llm", "retries", minimum=0)),
        llm_backoff=read.number("llm", "backoff", minimum=0),
        llm_daily_budget=int(read.number("llm", "daily_budget", minimum=0)),
        llm_extra_body=read.extra_body("llm", "extra_body"),
        llm_omit=read.strings("llm", "omit"),
        llm_max_output_tokens=int(read.number("llm", "max_output_tokens", minimum=16)),
        llm_price_in=read.number("llm", "price_in", minimum=0),
        llm_price_out=read.number("llm", "price_out", minimum=0),
        llm_currency=read.text("llm", "currency"),
        llm_abstracts=read.choice("llm", "abstracts", ABSTRACT_MODES),
        ask_daily_questions=int(read.number("ask", "daily_questions", minimum=0)),
        ask_max_context_chars=int(read.number("ask", "max_context_chars", minimum=1000)),
        ask_max_question_chars=int(read.number("ask", "max_question_chars", minimum=10)),
        ask_turns=int(read.number("ask", "turns", minimum=0)),
        data_dir=Path(read.text("storage", "data_dir") or "./data"),
        default_time=read.delivery_time("digest", "default_time"),
        default_timezone=read.timezone("digest", "default_timezone"),
        default_limit=int(read.number("digest", "default_limit", minimum=1)),
        embed_base_url=read.url("embed", "base_url", optional=True),
        embed_api_key=secrets["embed_api_key"],
        embed_model=read.text("embed", "model"),
        embed_timeout=read.number("embed", "timeout", minimum=0.1),
        embed_batch_size=int(read.number("embed", "batch_size", minimum=1)),
        links_huggingface=read.flag("links", "huggingface"),
        links_huggingface_api_url=read.url("links", "huggingface_api_url").rstrip("/"),
        links_timeout=read.number("links", "timeout", minimum=0.1),
        keep_days=int(read.number("storage", "keep_days", minimum=1)),
        max_topics=int(read.number("chat", "max_topics", minimum=1)),
        max_phrase_chars=int(read.number("chat", "max_phrase_chars", minimum=1)),
        flood_limit=int(read.number("telegram", "flood_limit", minimum=1)),
        concurrent_updates=int(read.number("telegram", "concurrent_updates", minimum=1)),
        delivery_concurrency=int(read.number("schedule", "delivery_concurrency", minimum=1)),
    )
    if settings.llm_base_url and not settings.llm_model:
        raise ConfigError("llm.model (LLM_MODEL) must be set when llm.base_url (LLM_BASE_URL) is")
    if settings.embed_base_url and not settings.embed_model:
        raise ConfigError(
            "embed.model (EMBED_MODEL) must be set when embed.base_url (EMBED_BASE_URL) is"
        )
    return settings


class _Reader:
    """Typed access to the merged layers; every failure names `section.key`."""

    def __init__(self, layers: dict[str, Any]) -> None:
        self.layers = layers

    def raw(self, section: str, key: str) -> Any:
        try:
            return self.layers[section][key]
        except KeyError:
            raise ConfigError(f"config: {section}.{key} is missing") from None

    def text(self, section: str, key: str) -> str:
        value = self.raw(section, key)
        if not isinstance(value, str):
            raise ConfigError(f"config: {section}.{key} must be a string, not {value!r}")
        return value.strip()

    def url(self, section: str, key: str, optional: bool = False) -> str:
        value = self.text(section, key)
        if optional and not value:
            return ""
        if not value.startswith(("http://", "https://")):
            raise ConfigError(f"config: {section}.{key} must be an http(s) URL, not {value!r}")
        return value

    def number(self, section: str, key: str, minimum: float) -> float:
        value = self.raw(section, key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"config: {section}.{key} must be a number, not {value!r}") from None
        if isinstance(value, bool) or number < minimum:
            raise ConfigError(f"config: {section}.{key} must be at least {minimum}, not {value!r}")
        return number

    def flag(self, section: str, key: str) -> bool:
        value = self.raw(section, key)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if not isinstance(value, bool):
            raise ConfigError(f"config: {section}.{key} must be true or false, not {value!r}")
        return value

    def extra_body(self, section: str, key: str) -> dict[str, Any]:
        """A table merged into every request; it may not replace the fields the bot sets."""
        value = self.raw(section, key)
        if not isinstance(value, dict):
            raise ConfigError(f"config: {section}.{key} must be a table, e.g. {{ a = 1 }}")
        fixed = sorted(set(value) & set(FIXED_FIELDS))
        if fixed:
            raise ConfigError(f"config: {section}.{key} may not set {', '.join(fixed)}")
        return dict(value)

    def strings(self, section: str, key: str) -> tuple[str, ...]:
        value = self.raw(section, key)
        if isinstance(value, str):
            value = [part for part in value.replace("+", ",").split(",")]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"config: {section}.{key} must be a list of strings")
        return tuple(v.strip() for v in value if v.strip())

    def ids(self, section: str, key: str) -> tuple[int, ...]:
        value = self.raw(section, key)
        parts = value.split(",") if isinstance(value, str) else value
        try:
            return tuple(int(str(part).strip()) for part in parts if str(part).strip())
        except (TypeError, ValueError):
            raise ConfigError(f"config: {section}.{key} must be Telegram user ids") from None

    def choice(self, section: str, key: str, options: tuple[str, ...]) -> str:
        value = self.text(section, key).lower()
        if value not in options:
            listed = ", ".join(f'"{option}"' for option in options)
            raise ConfigError(f"config: {section}.{key} must be one of {listed}, not {value!r}")
        return value

    def delivery_time(self, section: str, key: str) -> str:
        value = self.text(section, key).lower()
        if value != "asap" and parse_hhmm(value) is None:
            raise ConfigError(f"config: {section}.{key} must be HH:MM or asap, not {value!r}")
        return value

    def timezone(self, section: str, key: str) -> str:
        value = self.text(section, key)
        if not valid_timezone(value):
            raise ConfigError(f"config: {section}.{key} is not a known time zone: {value!r}")
        return value


def parse_hhmm(value: str) -> tuple[int, int] | None:
    """Return (hour, minute) for "8:30" or "08:30", None for anything else."""
    hour, sep, minute = value.strip().partition(":")
    digits = hour + minute
    if not sep or not digits.isascii() or not digits.isdecimal() or len(minute) != 2 or not hour:
        return None
    h, m = int(hour), int(minute)
    return (h, m) if 0 <= h < 24 and 0 <= m < 60 else None


def valid_timezone(name: str) -> bool:
    """True when `name` is an IANA time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
