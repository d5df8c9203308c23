"""The LLM: the chat-completions client, checks of its answers, the summary service."""

from __future__ import annotations

from bot.llm.client import LLMSummarizer
from bot.llm.summaries import SummaryService

__all__ = ["LLMSummarizer", "SummaryService"]
