"""When the LLM is left alone: some minutes after an outage, after a refusal until the next run."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from bot.llm.wire import LLMRefused, LLMUnavailable


@dataclass(frozen=True)
class LLMState:
    """Why the LLM is not asked now: `reason` as the API answered (secrets redacted), `hint`
    what to change, since and until when (unix time; a refusal lasts until the next run)."""

    refused: bool
    reason: str
    hint: str
    since: float
    until: float

    def line(self) -> str:
        return f"{self.reason} ({self.hint})" if self.hint else self.reason


class Pause:
    """The LLM left alone: `outage_seconds` after it was down, or, after it refused the key, the
    model or the request, until `next_run` (a refusal is asked again once per fetch run)."""

    def __init__(self, outage_seconds: float, clock: Callable[[], float]) -> None:
        self.outage_seconds = outage_seconds
        self._clock = clock
        self.state: LLMState | None = None

    @property
    def active(self) -> bool:
        return self.state is not None and self._clock() < self.state.until

    def start(self, error: LLMUnavailable) -> bool:
        """Pause for this error; False when a pause is on already (the error is not news)."""
        if self.active:
            return False
        now = self._clock()
        if isinstance(error, LLMRefused):
            self.state = LLMState(True, error.reason, error.hint, now, math.inf)
        else:
            self.state = LLMState(False, str(error), "", now, now + self.outage_seconds)
        return True

    def next_run(self) -> None:
        """A fetch run begins: a refused LLM is asked once more (an outage keeps its minutes)."""
        if self.state is not None and self.state.refused:
            self.state = None

    def current(self) -> LLMState | None:
        """The pause on now, if any."""
        return self.state if self.active else None
