"""Today's LLM requests against the daily budget, and what each paper's summary spent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.errors import SummarizeError
from bot.llm.usage import Usage
from bot.store import Store


class BudgetExhausted(SummarizeError):
    """Today's LLM call budget is spent; the paper gets its offline summary for now."""


class Budget:
    """Today's LLM requests, counted in memory the moment each is taken (so in the order papers
    were asked for), written to the store's counters afterwards. None: no cap; 0: none at all.
    """

    def __init__(self, store: Store, limit: int | None, clock: Callable[[], float]) -> None:
        self._store = store
        self.limit = limit
        self._clock = clock
        self.day = self.today()
        self.used = store.counter(f"llm_calls:{self.day}")  # at start-up: calls made earlier today

    def today(self) -> str:
        return datetime.fromtimestamp(self._clock(), tz=UTC).date().isoformat()

    def take(self) -> bool:
        """One request more today, if the budget allows it."""
        if self.today() != self.day:
            self.day, self.used = self.today(), 0
        if self.limit is not None and self.used >= self.limit:
            return False
        self.used += 1
        return True

    def give_back(self) -> None:
        """A request taken and not made (the paper was summarized meanwhile)."""
        self.used = max(0, self.used - 1)

    def record(self, day: str, requests: int, usage: Usage) -> None:
        """Add requests and tokens of `day` to the store's counters, in one commit (blocking:
        run it in a thread)."""
        counts = usage.counters(day)
        if requests:
            counts |= {f"llm_calls:{day}": requests, "llm_calls": requests}
        if counts:
            self._store.bump_many(counts)


@dataclass
class Spending:
    """The requests one paper's summary may make: the first reserved when the paper was asked
    for (in rank order), any further one (a retry) taken when it is made; and their tokens."""

    budget: Budget
    reserved: bool
    made: int = 0
    usage: Usage = Usage()

    def request(self) -> None:
        """Count the next request; BudgetExhausted when today's budget is spent."""
        if self.reserved:
            self.reserved = False
        elif not self.budget.take():
            raise BudgetExhausted(f"daily LLM budget of {self.budget.limit} calls is spent")
        self.made += 1

    def spent(self, usage: Usage) -> None:
        """The tokens of an answer to one of its requests."""
        self.usage += usage

    def unused(self) -> None:
        """The paper needs no request after all: its reservation goes back."""
        if self.reserved:
            self.reserved = False
            self.budget.give_back()
