"""The arXiv category list: canonical names, aliases, archives, human names and suggestions."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class _Taxonomy:
    """The JSON taxonomy, indexed for case-insensitive look-ups."""

    categories: dict[str, dict[str, Any]]  # id -> {archive, name, active}
    archives: dict[str, dict[str, Any]]  # id -> {name, active}
    category_index: dict[str, str]  # lower-cased id, alias or subsumed name -> canonical id
    archive_index: dict[str, str]  # lower-cased active archive id -> id
    equivalents: dict[str, tuple[str, ...]]  # canonical id -> every name for it, canonical first
    spelling: dict[str, str]  # lower-cased category id -> the table's spelling


def _canonical(name: str, renames: dict[str, str]) -> str:
    """Follow aliases and subsumptions until a name stays put."""
    for _ in range(len(renames) + 1):
        if name not in renames:
            break
        name = renames[name]
    return name


@cache
def _taxonomy() -> _Taxonomy:
    """Read `bot/arxiv/data/arxiv-categories.json` once, on first use."""
    text = resources.files("bot.arxiv.data").joinpath("arxiv-categories.json").read_text("utf-8")
    data = json.loads(text)
    categories: dict[str, dict[str, Any]] = data["categories"]
    renames = {**data["subsumed"], **data["aliases"]}
    category_index: dict[str, str] = {}
    equivalents: dict[str, list[str]] = {}
    for name in categories:
        canonical = _canonical(name, renames)
        category_index[name.lower()] = canonical
        equivalents.setdefault(canonical, [canonical])
        if name != canonical:
            equivalents[canonical].append(name)
    archives = data["archives"]
    archive_index = {a.lower(): a for a, info in archives.items() if info["active"]}
    return _Taxonomy(
        categories=categories,
        archives=archives,
        category_index=category_index,
        archive_index=archive_index,
        equivalents={k: tuple(v) for k, v in equivalents.items()},
        spelling={c.lower(): c for c in categories},
    )


def canonical_category(name: str) -> str | None:
    """The canonical id of a category in any case, alias or old name ("CS.ai" -> "cs.AI",
    "math.IT" -> "cs.IT", "alg-geom" -> "math.AG"); None when arXiv has no such category."""
    return _taxonomy().category_index.get(name.strip().lower())


def canonical_archive(name: str) -> str | None:
    """The id of an active archive in any case ("CS" -> "cs", "Astro-Ph" -> "astro-ph") or None."""
    return _taxonomy().archive_index.get(name.strip().lower())


def is_active_category(name: str) -> bool:
    """Whether `name` is a category id that arXiv still announces papers in."""
    info = _taxonomy().categories.get(name)
    return bool(info and info["active"])


def archive_of(category: str) -> str:
    """The archive a category belongs to as written ("math.IT" -> "math", "hep-th" -> "hep-th");
    for a category arXiv does not list, the part before the dot."""
    info = _taxonomy().categories.get(canonical_spelling(category))
    return str(info["archive"]) if info else category.split(".", 1)[0]


def canonical_spelling(name: str) -> str:
    """The table's own spelling of a category id, without following aliases ("CS.ai" -> "cs.AI")."""
    return _taxonomy().spelling.get(name.strip().lower(), name.strip())


def equivalents(category: str) -> tuple[str, ...]:
    """Every id arXiv lists the same category under, canonical first ("math.IT" -> cs.IT, math.IT);
    a category arXiv does not list is only itself."""
    canonical = canonical_category(category)
    if canonical is None:
        return (category,)
    return _taxonomy().equivalents.get(canonical, (canonical,))


def category_name(cat: str) -> str:
    """The human name of a category or archive ("cs.AI" -> "Artificial Intelligence");
    the input itself when arXiv has no such name."""
    tax = _taxonomy()
    info = tax.categories.get(canonical_spelling(cat)) or tax.archives.get(cat.strip().lower())
    return str(info["name"]) if info else cat


def active_archives() -> tuple[str, ...]:
    """The ids of every archive arXiv still announces papers in, sorted."""
    return tuple(sorted(_taxonomy().archive_index.values()))


@cache
def _suggestion_pool() -> tuple[str, ...]:
    """Canonical active categories and active archives: what a suggestion may name."""
    tax = _taxonomy()
    names = {c for c in set(tax.category_index.values()) if is_active_category(c)}
    return tuple(sorted(names | set(tax.archive_index.values())))


def suggest(name: str, n: int = 3) -> tuple[str, ...]:
    """Up to `n` valid categories or archives closest to a mistyped one, best first: the same
    subject code in another archive ("cs.ML" -> stat.ML), then the most similar ids of the same
    shape ("cs.XY" -> cs.CY, ...; "hep-ht" -> hep-th, ...), compared case-insensitively."""
    lowered = name.strip().lower()
    pool = _suggestion_pool()
    by_lower = {p.lower(): p for p in pool}
    code = lowered.rpartition(".")[2] if "." in lowered else ""
    same_code = [p for p in pool if code and p.lower().rpartition(".")[2] == code and "." in p]
    close = difflib.get_close_matches(lowered, list(by_lower), n=n + 2, cutoff=0.6)
    close.sort(key=lambda c: ("." in c) != bool(code))  # same shape first: cond-matter -> cond-mat
    same_code.sort(key=lambda p: -difflib.SequenceMatcher(None, lowered, p.lower()).ratio())
    ranked = [p for p in same_code if p.lower() != lowered] + [by_lower[c] for c in close]
    return tuple(dict.fromkeys(ranked))[:n]


@cache
def known_names() -> tuple[str, ...]:
    """Every id a topic may name, as arXiv spells it: categories (old ones and aliases included)
    and active archives, sorted."""
    tax = _taxonomy()
    return tuple(sorted(set(tax.categories) | set(tax.archive_index.values())))
