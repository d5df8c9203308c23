"""The LLM: the chat-completions client, checks of its answers, the summary service, the tokens
spent, and what each model refuses."""

from __future__ import annotations

from bot.llm.adapt import ADAPTATIONS_NOTE, Adaptations, config_hint
from bot.llm.answers import check_answer, language_name
from bot.llm.client import LLMSummarizer
from bot.llm.outage import LLMState
from bot.llm.summaries import SummaryService
from bot.llm.usage import Usage
from bot.llm.wire import LLMRefused, LLMUnavailable

__all__ = [
    "ADAPTATIONS_NOTE",
    "Adaptations",
    "LLMRefused",
    "LLMState",
    "LLMSummarizer",
    "LLMUnavailable",
    "SummaryService",
    "Usage",
    "check_answer",
    "config_hint",
    "language_name",
]
