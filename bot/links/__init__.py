"""Code and models of a paper: its GitHub repository and what cites it on Hugging Face."""

from __future__ import annotations

from bot.links.client import MAX_BYTES, HuggingFaceClient
from bot.links.parse import (
    MAX_NUMBER,
    REPO,
    github_repo,
    paper_answer,
    repo_in_text,
    repos_answer,
)
from bot.links.service import REST_SECONDS, LinkService, from_abstract, with_abstract

__all__ = [
    "MAX_BYTES",
    "MAX_NUMBER",
    "REPO",
    "REST_SECONDS",
    "HuggingFaceClient",
    "LinkService",
    "from_abstract",
    "github_repo",
    "paper_answer",
    "repo_in_text",
    "repos_answer",
    "with_abstract",
]
