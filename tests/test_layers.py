"""The layer contracts in pyproject.toml cover every module of bot/ (engine or shell, never neither)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHELL_AND_ENTRY = {"bot.shell", "bot.cli"}  # the Telegram shell (a package) and the CLI


def contracts() -> list[dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["contracts"]


def bot_modules() -> set[str]:
    names = set()
    for path in (ROOT / "bot").glob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            continue
        names.add(".".join(parts))
    for package in (ROOT / "bot").glob("*/__init__.py"):  # code subpackages (bot.store, ...)
        if any(p.name != "__init__.py" for p in package.parent.glob("*.py")):
            names.add(f"bot.{package.parent.name}")
    return names - {"bot"}


def test_every_module_of_bot_is_engine_or_shell():
    engine = set(contracts()[0]["source_modules"])
    forbidden = set(contracts()[0]["forbidden_modules"])
    unlisted = bot_modules() - engine - SHELL_AND_ENTRY
    assert not unlisted, f"add these to the engine contract or to the shell: {sorted(unlisted)}"
    assert {"telegram", "handlers", "bot.shell"} <= forbidden
    assert engine.isdisjoint(SHELL_AND_ENTRY)


def test_the_shell_holds_every_module_that_imports_telegram():
    for path in (ROOT / "bot").rglob("*.py"):
        text = path.read_text()
        in_shell = path.parent.name == "shell"
        imports_telegram = "\nfrom telegram" in text or "\nimport telegram" in text
        assert in_shell or not imports_telegram, f"{path} imports telegram outside bot/shell/"


def test_every_handler_module_is_in_the_independence_contract():
    listed = set(contracts()[1]["modules"])
    modules = {f"handlers.{p.stem}" for p in (ROOT / "handlers").glob("*.py")}
    shared = {"handlers.__init__", "handlers.common", "handlers.refs"}  # what handlers share
    assert modules - shared == listed
