"""The import-linter contracts in pyproject.toml cover the whole of bot/ and handlers/: every
package and module of bot/ has its layer, every package its public face, every handler module
its place in the independence contract, and only the Telegram layers import telegram."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_PACKAGES = {"bot.locales"}  # files only, no code
TELEGRAM_LAYERS = ("bot/telegram/", "bot/app.py", "bot/scheduler.py", "handlers/")


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["type"] + ":" + c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}


def of_type(kind: str) -> list[dict]:
    return [c for key, c in contracts().items() if key.startswith(kind + ":")]


def bot_children() -> set[str]:
    """bot's modules and packages, one level down (bot.engine, bot.digest, ...)."""
    names = {f"bot.{p.stem}" for p in (ROOT / "bot").glob("*.py") if p.stem != "__init__"}
    names |= {f"bot.{p.parent.name}" for p in (ROOT / "bot").glob("*/__init__.py")}
    return names - DATA_PACKAGES


def code_packages() -> set[str]:
    return {
        f"bot.{p.parent.name}"
        for p in (ROOT / "bot").glob("*/__init__.py")
        if any(m.name != "__init__.py" for m in p.parent.glob("*.py"))
    }


def test_every_part_of_bot_has_its_layer():
    [layers] = of_type("layers")
    listed = {name for layer in layers["layers"] for name in re.split(r"[|:]", layer)}
    listed = {name.strip() for name in listed}
    assert bot_children() | {"handlers"} == listed


def test_every_package_is_used_through_its_public_face():
    protected = {
        tuple(c["protected_modules"]): c["allowed_importers"] for c in of_type("protected")
    }
    for package in code_packages():
        assert protected.get((f"{package}.*",)) == [package], f"no face contract for {package}"


def test_no_cycle_is_checked_below_bot_and_handlers():
    [acyclic] = of_type("acyclic_siblings")
    assert set(acyclic["ancestors"]) == {"bot", "handlers"}


def test_the_engine_is_forbidden_telegram_and_only_the_telegram_layers_import_it():
    [forbidden] = of_type("forbidden")
    assert forbidden["forbidden_modules"] == ["telegram"]
    telegram_side = {"bot.telegram", "bot.app", "bot.scheduler", "bot.cli"}
    assert set(forbidden["source_modules"]) == bot_children() - telegram_side
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        text = path.read_text()
        imports_telegram = "\nfrom telegram" in text or "\nimport telegram" in text
        relative = path.relative_to(ROOT).as_posix()
        assert not imports_telegram or relative.startswith(TELEGRAM_LAYERS), relative


def test_every_handler_module_is_in_the_independence_contract():
    [independence] = of_type("independence")
    modules = {f"handlers.{p.stem}" for p in (ROOT / "handlers").glob("*.py")}
    shared = {  # what handlers share
        "handlers.__init__",
        "handlers.context",
        "handlers.chats",
        "handlers.texts",
        "handlers.replies",
        "handlers.rights",
        "handlers.refs",
    }
    assert modules - shared == set(independence["modules"])
