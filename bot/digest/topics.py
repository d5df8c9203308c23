"""Topics a chat follows: parsing what a user types after /subscribe, and what each matches."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from bot.arxiv import (
    archive_of,
    canonical_archive,
    canonical_category,
    equivalents,
    is_active_category,
    known_names,
    suggest,
)
from bot.digest.textcut import plain_input
from bot.errors import UnknownTopicError
from bot.models import Paper

KEYWORD_KINDS = ("phrase", "author")

# Phones type “curly” quotes, and may turn a leading hyphen into a dash; German „…“ and French
# «…» quotes count too. Single quotes do not: they are apostrophes in names and words.
_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»″"})
_TOKEN = re.compile(
    r"(?P<mark>[-\u2013\u2014\u2212]?)(?P<au>au:\s*)?"  # -, en dash, em dash, minus sign
    r'(?:"(?P<quoted>[^"]*)"?|(?P<bare>[^\s,;"]+))',
    re.IGNORECASE,
)
_WORD = re.compile(r"\w")
_CATEGORY_SHAPE = re.compile(r"[a-z]+(?:-[a-z]+)?\.[a-z]+(?:-[a-z]+)?", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_.]")
_TYPO_SIMILARITY = 0.8
_LETTERS = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe"})
# Cyrillic and Greek letters that look like Latin ones: "сs.AI" with a Cyrillic с is no typo
# a user can see.
_CONFUSABLES = str.maketrans(
    "асеорхуіјѕԁһкԛԝАВСЕНІЈКМОРЅТХУαβεικνορτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧı",
    "aceopxyijsdhkqwABCEHIJKMOPSTXYabeikvoptuxABEZHIKMNOPTYXi",
)
_LONGEST_ID = 40  # no category or archive id is this long: a longer word is no typo of one


class LookalikeTopicError(UnknownTopicError):
    """A word that reads as a category but has Cyrillic or Greek letters in it ("сs.AI")."""


@dataclass(frozen=True)
class Topic:
    """One thing a chat follows: kind is "category", "archive", "phrase", "author" or "exclude";
    value is canonical ("cs.AI", "cs", "weather forecast", "Yann LeCun", "survey")."""

    kind: str
    value: str

    def __str__(self) -> str:
        """As a user types it: cs.AI, cs, "weather forecast", au:"Yann LeCun", -"survey"."""
        if self.kind == "phrase":
            return f'"{self.value}"'
        if self.kind == "author":
            return f'au:"{self.value}"'
        if self.kind == "exclude":
            return f'-"{self.value}"'
        return self.value

    @property
    def key(self) -> tuple[str, str]:
        """What makes two topics the same: phrases and names compare case-insensitively."""
        return (self.kind, self.value.casefold())

    @property
    def is_positive(self) -> bool:
        """Whether the topic brings papers in (everything but an exclusion)."""
        return self.kind != "exclude"


def parse_topics(text: str) -> list[Topic]:
    """Parse everything typed after /subscribe into topics, deduplicated, in the order typed.

    - `cs.AI`, `CS.ai`, `math.IT` (alias of cs.IT), `alg-geom` (now math.AG): a category, canonical.
      `hep-th`, `quant-ph`, `gr-qc` are categories too (each is its archive's only category).
    - `cs`, `astro-ph`, `physics`: a whole archive.
    - `"weather forecast"` (straight or curly quotes): a phrase, always, whatever it contains;
      quoting is how to follow a word that reads like a category (`"node.js"`, `"math"`).
    - `au:"Yann LeCun"` or `au:LeCun` (one word; `au:Yann_LeCun` reads as "Yann LeCun"): an author.
    - `-"survey"` or `-survey`: an exclusion phrase. Only phrases can be excluded: `-cs.LG` or
      `-au:X` raise ValueError.
    - Any other bare word is a phrase, kept as typed (compared case-insensitively), unless it is
      an obvious typo of a category or archive, which raises UnknownTopicError(word, suggestions):
      a word shaped like `archive.code` whose archive part is an archive or nearly one
      (`cs.XY`, `physics.foo`, `astroph.CO`) or whose code is two capitals (`foo.AI`); a word
      that differs from a valid id only by `-`, `_` or `.` (`astroph`, `hep_th`, `cs-AI`); a
      hyphenated word at least 80% similar to a hyphenated id (`hep-ht`, `cond-matter`).
      Ordinary and hyphenated English words (`diffusion`, `self-supervised`) stay phrases.

    Commas and semicolons separate topics like spaces. Raises before returning anything, so a
    bad topic adds nothing; ValueError when no topic is left (empty text).
    """
    topics: dict[tuple[str, str], Topic] = {}
    for match in _TOKEN.finditer(plain_input(text).translate(_QUOTES)):
        topic = _topic_of(match)
        if topic is not None:
            topics.setdefault(topic.key, topic)
    if not topics:
        raise ValueError("no topics given")
    return list(topics.values())


def lookalike_of(word: str) -> str | None:
    """The category or archive a word names once look-alike letters are folded to Latin ones
    ("сs.AI" with a Cyrillic с names cs.AI), or None (also for a word that needs no folding)."""
    folded = word.translate(_CONFUSABLES)
    if folded == word or len(word) > _LONGEST_ID:
        return None
    named = _named_id(folded)
    return named.value if named is not None else None


@lru_cache(maxsize=4096)
def parse_topic_string(s: str) -> Topic:
    """Parse one stored topic string back into its Topic: the inverse of str(Topic)."""
    topics = parse_topics(s)
    if len(topics) != 1:
        raise ValueError(f"not a single topic: {s!r}")
    return topics[0]


def _topic_of(match: re.Match[str]) -> Topic | None:
    """The topic one token stands for, or None for a token with no word in it."""
    quoted = match["quoted"]
    value = " ".join((quoted if quoted is not None else match["bare"]).split())
    exclude, author = bool(match["mark"]), bool(match["au"])
    if quoted is None and value.lower() == "au:":
        return None
    if not _WORD.search(value):
        return None
    if exclude and author:
        raise ValueError('only phrases can be excluded, e.g. -"survey"')
    if author:
        return Topic("author", value if quoted is not None else value.replace("_", " "))
    if exclude:
        if quoted is None and (_named_id(value) or _looks_like_typo(value)):
            raise ValueError(f'categories cannot be excluded; to exclude the word: -"{value}"')
        return Topic("exclude", value)
    return Topic("phrase", value) if quoted is not None else _bare_topic(value)


def _named_id(word: str) -> Topic | None:
    """The category or archive a word names, if any (hep-th is a category, astro-ph an archive)."""
    category = canonical_category(word)
    if category and is_active_category(category):
        return Topic("category", category)
    archive = canonical_archive(word)
    if archive:
        return Topic("archive", archive)
    return Topic("category", category) if category else None


def _bare_topic(word: str) -> Topic:
    """A bare word: a category, an archive, a refused typo of one, or else a phrase."""
    named = _named_id(word)
    if named is not None:
        return named
    lookalike = lookalike_of(word)
    if lookalike is not None:
        raise LookalikeTopicError(word, (lookalike,))
    if _looks_like_typo(word):
        raise UnknownTopicError(word, suggest(word))
    return Topic("phrase", word)


def _looks_like_typo(word: str) -> bool:
    """Whether a word that names nothing is an obvious typo of a category or archive."""
    if len(word) > _LONGEST_ID:
        return False
    lowered = word.lower()
    if _CATEGORY_SHAPE.fullmatch(word):
        prefix, _, code = word.partition(".")
        return _near_archive(prefix.lower()) or (len(code) == 2 and code.isupper())
    squashed = _SEPARATORS.sub("", lowered)
    if squashed in _squashed_ids(separated=_SEPARATORS.search(lowered) is not None):
        return True
    if "-" not in lowered:
        return False
    return bool(difflib.get_close_matches(lowered, _hyphenated_ids(), cutoff=_TYPO_SIMILARITY))


def _near_archive(prefix: str) -> bool:
    """Whether the part before a dot is an archive id, or nearly one."""
    archives = _dotless_ids()
    if prefix in archives or _SEPARATORS.sub("", prefix) in _squashed_ids(separated=False):
        return True
    return bool(difflib.get_close_matches(prefix, archives, n=1, cutoff=_TYPO_SIMILARITY))


@cache
def _squashed_ids(separated: bool) -> frozenset[str]:
    """Valid ids without `-`, `_` and `.`: all of them for a word that has a separator, only the
    dotless ones (astroph, hepth) for a word without (so "csma" or "cscl" stay keywords)."""
    names = [n for n in known_names() if separated or "." not in n]
    return frozenset(_SEPARATORS.sub("", n.lower()) for n in names)


@cache
def _dotless_ids() -> tuple[str, ...]:
    """Valid ids without a dot (archives, and categories like hep-th), lower-cased."""
    return tuple(n.lower() for n in known_names() if "." not in n)


@cache
def _hyphenated_ids() -> tuple[str, ...]:
    """Dotless ids with a hyphen (hep-th, astro-ph, cond-mat), lower-cased."""
    return tuple(n for n in _dotless_ids() if "-" in n)


def topic_matches(topic: Topic, paper: Paper) -> bool:
    """Whether a paper matches a topic (an exclusion "matches" when its phrase occurs)."""
    if topic.kind == "category":
        return _category_key(topic.value) in _categories(paper.categories)
    if topic.kind == "archive":
        return topic.value in _archives(paper.categories)
    if topic.kind in ("phrase", "exclude"):
        return _phrase_in(topic.value, paper.title, paper.abstract)
    if topic.kind == "author":
        return any(author_matches(topic.value, author) for author in paper.authors)
    raise ValueError(f"unknown topic kind: {topic.kind!r}")


@lru_cache(maxsize=4096)
def _archives(categories: tuple[str, ...]) -> frozenset[str]:
    """Every archive a paper is listed in, through aliases (cs.IT is listed in math too)."""
    return frozenset(archive_of(name) for c in categories for name in equivalents(c))


def _category_key(name: str) -> str:
    return canonical_category(name) or name.lower()


@lru_cache(maxsize=4096)
def _categories(categories: tuple[str, ...]) -> frozenset[str]:
    """A paper's categories as canonical ids (aliases and old names followed), for look-ups."""
    return frozenset(_category_key(c) for c in categories)


@lru_cache(maxsize=65536)
def _phrase_in(phrase: str, title: str, abstract: str) -> bool:
    """Whether the phrase occurs in title or abstract; cached, as chats share phrases."""
    pattern = _phrase_pattern(phrase)
    return bool(pattern.search(title) or pattern.search(abstract))


@lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A case-insensitive whole-word pattern for a phrase; its text is literal, never regex."""
    body = r"\s+".join(re.escape(word) for word in phrase.split())
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def author_matches(query: str, author: str) -> bool:
    """Whether a followed name matches one author, ignoring case, accents and punctuation.

    "Yann LeCun" matches "Yann LeCun" and "Yann A. LeCun"; a last name alone ("LeCun", or
    "van der Waals") matches the end of a name; initials match given names ("Y. LeCun" and
    "Yann LeCun" match each other, "J.-P. Serre" matches "Jean-Pierre Serre").
    """
    wanted, have = _name_words(query), _name_words(author)
    if not wanted or not have:
        return False
    if have[-len(wanted) :] == wanted:
        return True
    if len(wanted) == 1 or wanted[-1] != have[-1]:
        return False
    return all(_same_given_name(a, b) for a, b in zip(wanted[:-1], have[:-1], strict=False))


@lru_cache(maxsize=8192)
def _name_words(name: str) -> tuple[str, ...]:
    """A name as plain lower-case words: "Jean-Pierre Sérre" -> ("jean", "pierre", "serre")."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)
    return tuple(re.findall(r"\w+", plain))


def _same_given_name(a: str, b: str) -> bool:
    """Whether two given names agree, one of them possibly an initial."""
    return a == b or (len(a) == 1 and b.startswith(a)) or (len(b) == 1 and a.startswith(b))
