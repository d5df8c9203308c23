"""Handlers never call the synchronous Store on the event loop.

A Store call takes the store's lock and its one SQLite connection; made on the event loop it
stops every chat until the store's thread has worked through whatever other chats queued (a
broadcast's records), which is what made replies take seconds during a delivery. Handlers go
through `engine.db` (each call in a worker thread) or `await engine.store.run(fn, ...)`.
"""

from __future__ import annotations

import ast
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from bot.store import Store
from tests.handlers import ADMIN, buttons, press
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent
HANDLERS = ROOT / "handlers"
STORE = ROOT / "bot" / "store"
LEFT_TO_OTHERS: set[tuple[str, str]] = set()  # (module, function) allowed to, while it is fixed
USER = 640


class StoreCalls(ast.NodeVisitor):
    """Calls `<...>.store.<method>(...)` or `store.<method>(...)` other than `.run(...)`, by the
    function they are made in; a plain function passed to `.run(`, `to_thread(` or `in_thread(` in the same
    module runs in a worker thread and may call the store."""

    def __init__(self, threaded: set[str]) -> None:
        self.threaded = threaded
        self.stack: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.found: list[tuple[str, int, str]] = []

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.stack.append(node)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr != "run" and _is_store(func.value):
            where = self.stack[-1] if self.stack else None
            in_thread = isinstance(where, ast.FunctionDef) and where.name in self.threaded
            if not in_thread:
                self.found.append((where.name if where else "<module>", node.lineno, func.attr))
        self.generic_visit(node)


def _is_store(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "store") or (
        isinstance(node, ast.Attribute) and node.attr == "store"
    )


def _threaded(tree: ast.Module) -> set[str]:
    """Names of functions handed to `<...>.run(fn, ...)`, `asyncio.to_thread(fn, ...)` or
    `lanes.in_thread(fn, ...)`."""
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if callee in ("run", "to_thread", "in_thread") and isinstance(node.args[0], ast.Name):
            names.add(node.args[0].id)
    return names


def sync_store_calls(source: str) -> list[tuple[str, int, str]]:
    """(function, line, Store method) of every synchronous Store call in a module's source."""
    tree = ast.parse(source)
    visitor = StoreCalls(_threaded(tree))
    visitor.visit(tree)
    return visitor.found


def test_no_handler_calls_the_synchronous_store() -> None:
    offenders = [
        f"handlers/{path.name}:{line} {function}() calls store.{method}(...)"
        for path in sorted(HANDLERS.glob("*.py"))
        for function, line, method in sync_store_calls(path.read_text())
        if (path.name, function) not in LEFT_TO_OTHERS
    ]
    assert offenders == [], "use `await engine.db.<method>(...)` or `await engine.store.run(...)`"


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def f(engine):\n    return engine.store.get_chat(1)\n", [("f", 2, "get_chat")]),
        (
            "async def f(c):\n    s = c.store\n    await x(store.is_saved(1, 'a'))\n",
            [("f", 3, "is_saved")],
        ),
        ("async def f(e):\n    return await e.store.run(e.store.get_chat, 1)\n", []),
        ("async def f(e):\n    return await e.db.get_chat(1)\n", []),
        (
            "def g(store):\n    return store.all_chats()\nasync def f(e):\n    await e.store.run(g, e.store)\n",
            [],
        ),
        (
            "def g(store):\n    return store.all_chats()\nasync def f(e):\n    g(e.store)\n",
            [("g", 2, "all_chats")],
        ),
    ],
)
def test_the_check_reads_a_store_call_as_a_store_call(
    source: str, found: list[tuple[str, int, str]]
) -> None:
    assert sync_store_calls(source) == found


def _caller_in_handlers(frame: FrameType | None) -> str | None:
    """`handlers/<file>:<line> <function>` of the nearest frame outside bot/store, when that
    frame is a handler's."""
    while frame is not None and Path(frame.f_code.co_filename).is_relative_to(STORE):
        frame = frame.f_back
    if frame is None or not Path(frame.f_code.co_filename).is_relative_to(HANDLERS):
        return None
    name = Path(frame.f_code.co_filename).name
    if (name, frame.f_code.co_name) in LEFT_TO_OTHERS:
        return None
    return f"handlers/{name}:{frame.f_lineno} {frame.f_code.co_name}"


def _store_methods() -> Iterator[str]:
    for name, value in vars(Store).items():
        if callable(value) and not name.startswith("_") and name not in ("run", "close"):
            yield name


def watch_loop_calls(store: Store, loop_thread: int) -> list[str]:
    """Wrap every Store method of this instance; the list fills with the handler code that
    called one on the event loop's thread."""
    seen: list[str] = []

    def wrapped(method: Callable[..., Any], name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == loop_thread:
                caller = _caller_in_handlers(sys._getframe(1))
                if caller is not None:
                    seen.append(f"{caller} -> Store.{name}")
            return method(*args, **kwargs)

        return call

    for name in _store_methods():
        setattr(store, name, wrapped(getattr(store, name), name))
    return seen


async def test_a_morning_of_commands_and_buttons_leaves_the_store_to_worker_threads(
    harness: Harness,
) -> None:
    """Every command and button a reader uses, one after the other: none of them has a handler
    call the Store on the event loop's thread."""
    await harness.start()
    on_loop = watch_loop_calls(harness.engine.store, threading.get_ident())
    for typed in ("/start", "/subscribe cs.AI", "/help", "/list", "/settings"):
        await harness.say(USER, typed)
    await harness.say(USER, "/digest", expect=None)
    expanded = (await harness.say(USER, "/paper 1", expect=None))[-1]
    for _, data in buttons(expanded):  # 👍, 👎, ⭐
        await press(harness, USER, expanded["message_id"], data)
    for typed in ("/like 2", "/dislike 2", "/save 2", "/bib 2", "/unsave 2", "/save 3"):
        await harness.say(USER, typed)
    await harness.say(USER, "/saved", expect=None)
    await harness.say(USER, "1", expect=None)
    await harness.say(USER, "/export", expect=None)
    await harness.say(USER, "/export bib", expect=None)
    for typed in ("/interests protein folding", "/interests", "/lang", "/time 09:00"):
        await harness.say(USER, typed)
    for typed in ("/timezone Asia/Tokyo", "/limit 12", "/frequency weekly", "/frequency"):
        await harness.say(USER, typed)
    for typed in ("/pause", "/resume", "/here", "/unsubscribe cs.AI", "/stats"):
        await harness.say(USER, typed)
    [settings] = await harness.say(USER, "/settings")
    await press(harness, USER, settings["message_id"], buttons(settings)[0][1])
    await harness.say(ADMIN, "/stats")
    await harness.idle()
    assert on_loop == []
