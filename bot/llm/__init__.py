"""The LLM: the chat-completions client, checks of its answers, the summary service, the tokens
spent, what each model refuses, and English search terms for interests in another language."""

from __future__ import annotations

from bot.llm.adapt import ADAPTATIONS_NOTE, Adaptations, config_hint
from bot.llm.answers import check_answer, language_name, parse_answer
from bot.llm.budget import BudgetExhausted
from bot.llm.client import LLMSummarizer
from bot.llm.outage import LLMState
from bot.llm.stream import StreamCut
from bot.llm.summaries import SummaryService
from bot.llm.terms import InterestTerms, english_words, needs_terms, read_terms, terms_status
from bot.llm.usage import Usage
from bot.llm.wire import LLMRefused, LLMUnavailable

__all__ = [
    "StreamCut",
    "ADAPTATIONS_NOTE",
    "Adaptations",
    "BudgetExhausted",
    "InterestTerms",
    "LLMRefused",
    "LLMState",
    "LLMSummarizer",
    "LLMUnavailable",
    "SummaryService",
    "Usage",
    "check_answer",
    "config_hint",
    "english_words",
    "language_name",
    "needs_terms",
    "parse_answer",
    "read_terms",
    "terms_status",
]
