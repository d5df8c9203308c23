"""Two lanes of worker threads: work for a person waiting never queues behind broadcast work.

Everything slow (store calls, parsing, selecting, ranking, rendering) runs in a worker thread
through `in_thread`. Which pool takes it follows the lane of the task that asks: the scheduler's
fetches and delivery passes run inside `bulk()`, everything else (commands, buttons) in the
interactive lane. Each pool is small and has its own threads, so a broadcast keeping its pool
busy leaves the interactive pool free, and the bulk pool bounds how many delivery tasks do
store or CPU work at once. A ContextVar carries the lane: tasks started inside `bulk()` and
the worker threads they use inherit it (the store reads it to give interactive writers the
file first).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

INTERACTIVE, BULK = "interactive", "bulk"
THREADS = {INTERACTIVE: 4, BULK: 3}
_LANE: contextvars.ContextVar[str] = contextvars.ContextVar("lane", default=INTERACTIVE)
_pools: dict[str, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Run this block (and the tasks and threads it starts) in the bulk lane."""
    token = _LANE.set(BULK)
    try:
        yield
    finally:
        _LANE.reset(token)


def lane() -> str:
    """The lane of the running task or worker thread."""
    return _LANE.get()


def is_bulk() -> bool:
    return _LANE.get() == BULK


def pool(name: str) -> ThreadPoolExecutor:
    """The worker threads of one lane, made on first use and kept for the process."""
    with _pools_lock:
        if name not in _pools:
            _pools[name] = ThreadPoolExecutor(THREADS[name], thread_name_prefix=f"{name}-lane")
        return _pools[name]


async def in_thread(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`fn(*args, **kwargs)` in a worker thread of the caller's lane, its context carried."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(pool(lane()), call)
