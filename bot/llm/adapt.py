"""A request parameter a model refuses, changed once and remembered: left out, renamed or set."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot import lanes
from bot.llm.wire import Refusal

ADAPTATIONS_NOTE = "llm_adaptations"  # the store's note (table meta) that keeps them
KEPT = frozenset({"model", "messages"})  # never changed: without them there is no request
_REFUSES = re.compile(
    r"unsupported|not supported|does not support|isn't supported|not allowed|not permitted|"
    r"unknown|unrecognized|unexpected|invalid|must not|cannot be used",
    re.IGNORECASE,
)
_MUST_BE = re.compile(r"([A-Za-z_][\w.]*)\s+must be set to\s+(true|false)", re.IGNORECASE)


@dataclass(frozen=True)
class Change:
    """One change to every request for a model: `drop` a parameter, `rename` max_tokens to
    max_completion_tokens, or `set` a switch (enable_thinking = false)."""

    param: str
    kind: str
    value: Any = None

    def apply(self, body: Mapping[str, Any]) -> dict[str, Any]:
        changed = dict(body)
        if self.kind == "set":
            changed[self.param] = self.value
        elif self.param in changed:
            value = changed.pop(self.param)
            if self.kind == "rename":
                changed.setdefault("max_completion_tokens", value)
        return changed

    def describe(self) -> str:
        if self.kind == "rename":
            return "with max_completion_tokens instead of max_tokens"
        if self.kind == "set":
            return f"with {self.param} = {json.dumps(self.value)}"
        return f"without {self.param}"

    def to_json(self) -> list[Any]:
        return [self.param, self.kind, self.value]


def change_for(refusal: Refusal, body: Mapping[str, Any]) -> Change | None:
    """The change that answers a refused parameter, or None when the refusal names none that
    can change (a missing model, a bad key, a parameter already changed)."""
    if refusal.status not in (400, 422):
        return None
    switch = _MUST_BE.search(refusal.message)
    if switch:  # DashScope: "parameter.enable_thinking must be set to false for non-streaming"
        name, value = switch.group(1).rsplit(".", 1)[-1], switch.group(2).lower() == "true"
        return Change(name, "set", value) if body.get(name) != value else None
    named = _named(refusal, body)
    if named is None or named in KEPT:
        return None
    if named == "max_tokens" and "max_completion_tokens" in refusal.message:
        return Change("max_tokens", "rename")
    return Change(named, "drop")


def _named(refusal: Refusal, body: Mapping[str, Any]) -> str | None:
    """The parameter the refusal is about: its `param`, else the one sent its message names."""
    if refusal.param:
        head = re.split(r"[.\[]", refusal.param, maxsplit=1)[0]
        return head if head in body else None
    if not _REFUSES.search(refusal.message):
        return None
    named = [key for key in body if re.search(rf"\b{re.escape(key)}\b", refusal.message)]
    return named[0] if len(named) == 1 else None


class Adaptations:
    """The changes learned for each model, applied to its every request; `save` (run in a
    worker thread) keeps them, so a restart does not pay the refused request again."""

    def __init__(
        self,
        known: Mapping[str, Any] | None = None,
        save: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._changes: dict[str, list[Change]] = {}
        for model, changes in (known or {}).items():
            if isinstance(changes, list):
                self._changes[str(model)] = [Change(*c) for c in changes if _is_change(c)]
        self._save = save

    def of(self, model: str) -> tuple[Change, ...]:
        return tuple(self._changes.get(model, ()))

    def apply(self, model: str, body: Mapping[str, Any]) -> dict[str, Any]:
        changed = dict(body)
        for change in self._changes.get(model, ()):
            changed = change.apply(changed)
        return changed

    async def learn(self, model: str, change: Change) -> bool:
        """Remember a change for the model; False when it was known (someone else learned it)."""
        changes = self._changes.setdefault(model, [])
        if change in changes:
            return False
        changes.append(change)
        if self._save is not None:
            await lanes.in_thread(self._save, self.to_json())
        return True

    def to_json(self) -> dict[str, Any]:
        return {model: [c.to_json() for c in changes] for model, changes in self._changes.items()}


def _is_change(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and value[1] in ("drop", "rename", "set")
    )


def config_hint(
    changes: Collection[Change], extra_body: Mapping[str, Any], omit: Collection[str], cap: int
) -> str:
    """The config lines that make these changes permanent, as a TOML `[llm]` line and as the
    environment variable: `omit = ["temperature"]` (LLM_OMIT=temperature), or `extra_body`."""
    extra, left_out = dict(extra_body), list(omit)
    for change in changes:
        if change.kind == "set":
            extra[change.param] = change.value
        elif change.kind == "rename":
            extra["max_completion_tokens"] = extra.get("max_completion_tokens", cap)
        elif change.param not in left_out:
            left_out.append(change.param)
    lines = []
    if extra != dict(extra_body):
        env = json.dumps(extra, ensure_ascii=False)
        lines.append(f"extra_body = {toml_value(extra)} in [llm] (or LLM_EXTRA_BODY='{env}')")
    if left_out != list(omit):
        lines.append(f"omit = {toml_value(left_out)} in [llm] (or LLM_OMIT={','.join(left_out)})")
    return "; ".join(lines)


def toml_value(value: Any) -> str:
    """A JSON value written as TOML: tables inline (`{ type = "disabled" }`)."""
    if isinstance(value, Mapping):
        items = ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return f"{{ {items} }}" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: Any) -> str:
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z0-9_-]+", text) else json.dumps(text, ensure_ascii=False)
