"""Settings: defaults from config/default.toml, a config file over them, the environment on top."""

import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_FILE, ENVIRONMENT, load_settings
from bot.errors import ConfigError


def test_defaults_need_no_environment_and_run_offline():
    settings = load_settings(environ={})
    assert settings.arxiv_rss_url == "https://rss.arxiv.org/rss/"
    assert settings.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.arxiv_min_interval >= 3.0
    assert not settings.llm_enabled
    assert settings.data_dir == Path("data")
    assert "cs" in settings.keyword_scope and "hep-th" in settings.keyword_scope


def test_a_config_file_overrides_defaults_and_the_environment_overrides_both(tmp_path):
    mine = tmp_path / "mine.toml"
    mine.write_text(
        '[llm]\nbase_url = "http://localhost:11434/v1"\nmodel = "qwen2.5"\n'
        "[digest]\ndefault_limit = 10\n"
    )
    env = {
        "ARXIV_DIGEST_CONFIG": str(mine),
        "LLM_MODEL": "deepseek-chat",
        "ARXIV_DIGEST_DATA_DIR": str(tmp_path / "db"),
        "ARXIV_DIGEST_ADMINS": "12, 34",
    }
    settings = load_settings(environ=env)
    assert settings.llm_base_url == "http://localhost:11434/v1"
    assert settings.llm_model == "deepseek-chat"
    assert settings.default_limit == 10
    assert settings.data_dir == tmp_path / "db"
    assert settings.admins == (12, 34)


def test_secrets_come_from_the_environment_and_never_show_in_repr():
    settings = load_settings(environ={"TELEGRAM_BOT_TOKEN": "123:SECRET", "LLM_API_KEY": "sk-x"})
    assert settings.telegram_token == "123:SECRET" and settings.llm_api_key == "sk-x"
    assert "SECRET" not in repr(settings) and "sk-x" not in repr(settings)


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[arxiv]\nmin_interval = "soon"\n', "arxiv.min_interval"),
        ("[llm]\nconcurrency = 0\n", "llm.concurrency"),
        ('[digest]\ndefault_time = "25:00"\n', "digest.default_time"),
        ('[digest]\ndefault_timezone = "Mars/Olympus"\n', "digest.default_timezone"),
        ('[arxiv]\nrss_url = "ftp://x"\n', "arxiv.rss_url"),
    ],
)
def test_a_bad_value_fails_with_one_line_naming_its_key(tmp_path, toml, key):
    bad = tmp_path / "bad.toml"
    bad.write_text(toml)
    with pytest.raises(ConfigError) as error:
        load_settings(bad, environ={})
    assert key in str(error.value) and "\n" not in str(error.value)


def test_bad_environment_values_name_the_key():
    with pytest.raises(ConfigError, match="telegram.admins"):
        load_settings(environ={"ARXIV_DIGEST_ADMINS": "alice"})
    with pytest.raises(ConfigError, match="llm.model"):
        load_settings(environ={"LLM_BASE_URL": "http://localhost:8080/v1"})


def test_missing_or_broken_config_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[llm\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, environ={})


def test_every_key_in_the_default_file_is_commented():
    lines = DEFAULT_FILE.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line):
            assert lines[index - 1].startswith("#"), f"{line!r} has no comment above it"


def test_the_environment_variables_of_the_contract_are_all_read():
    names = set(ENVIRONMENT) | {"TELEGRAM_BOT_TOKEN", "LLM_API_KEY"}
    assert names - {"ARXIV_HTML_URL"} == {
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "ARXIV_RSS_URL",
        "ARXIV_API_URL",
        "LLM_BASE_URL",
        "LLM_API_KEY",
        "LLM_MODEL",
        "ARXIV_DIGEST_DATA_DIR",
        "ARXIV_DIGEST_ADMINS",
    }


def test_the_html_url_and_the_ask_settings_are_read():
    """Issue 19: arxiv.html_url (ARXIV_HTML_URL, like the other arXiv URLs) and [ask]."""
    assert load_settings(environ={}).arxiv_html_url == "https://arxiv.org/html/"
    settings = load_settings(environ={"ARXIV_HTML_URL": "http://127.0.0.1:9/html/"})
    assert settings.arxiv_html_url == "http://127.0.0.1:9/html/"
    assert settings.ask_daily_questions == 20 and settings.ask_max_context_chars == 60_000
