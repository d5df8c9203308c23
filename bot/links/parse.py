"""The Hugging Face paper API's answers read into checked values, and GitHub links (pure)."""

from __future__ import annotations

import re
from typing import Any

from bot.errors import LinksError

# A GitHub owner (1-39 letters, digits, inner hyphens) and repository name (letters, digits,
# ".", "_", "-"): only names of this shape are shown or linked.
_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}"
_NAME = r"[A-Za-z0-9._-]{1,100}"
REPO = re.compile(rf"{_OWNER}/{_NAME}")
_GITHUB_URL = re.compile(rf"(?:https?://)?(?:www\.)?github\.com/({_OWNER})/({_NAME})", re.I)
# Stars and counts past this are junk (the most-starred repository has under a million).
MAX_NUMBER = 10_000_000
# GitHub paths that are no repository: github.com/features/..., github.com/orgs/...
_NOT_OWNERS = frozenset({"features", "orgs", "topics", "collections", "sponsors", "about"})


def checked_repo(owner: str, name: str) -> str:
    """ "owner/name" when both are a GitHub owner and repository name, else ""."""
    name = name.rstrip(".")  # a link at the end of a sentence
    name = name[:-4] if name.lower().endswith(".git") else name
    repo = f"{owner}/{name}"
    if owner.lower() in _NOT_OWNERS or name in ("", ".", "..") or not REPO.fullmatch(repo):
        return ""
    return repo


def github_repo(url: Any) -> str:
    """ "owner/repo" of a GitHub repository URL (a deeper path is cut off), else ""."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    found = _GITHUB_URL.match(url)
    if found is None or url[found.end() :][:1] not in ("", "/", "#", "?"):
        return ""
    return checked_repo(found.group(1), found.group(2))


def repo_in_text(text: str) -> str:
    """The first GitHub repository linked in a text (an abstract), as "owner/repo", or ""."""
    for found in _GITHUB_URL.finditer(text):
        repo = checked_repo(found.group(1), found.group(2))
        if repo:
            return repo
    return ""


def count(value: Any) -> int | None:
    """A number of stars or items: a whole number from 0 to MAX_NUMBER, else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_NUMBER else None


def paper_answer(data: Any) -> tuple[str, int | None]:
    """(repository, stars) of `GET /papers/<id>`: `githubRepo` (a URL) and `githubStars`;
    ("", None) for a paper without them; LinksError when the answer is no paper object."""
    if not isinstance(data, dict):
        raise LinksError("the paper answer is not a JSON object")
    repo = github_repo(data.get("githubRepo"))
    return repo, (count(data.get("githubStars")) if repo else None)


def repos_answer(data: Any) -> tuple[int, int, int]:
    """How many (models, datasets, Spaces) `GET /arxiv/<id>/repos` lists; a key that is not a
    list counts 0; LinksError when the answer is no object."""
    if not isinstance(data, dict):
        raise LinksError("the repos answer is not a JSON object")
    models, datasets, spaces = (_listed(data.get(key)) for key in ("models", "datasets", "spaces"))
    return models, datasets, spaces


def _listed(value: Any) -> int:
    return min(len(value), MAX_NUMBER) if isinstance(value, list) else 0
