"""English search terms for interests written in another language: the rule, the one LLM call.

arXiv papers are English, and the word ranker (bot.ranking) matches only English words. A text
*needs terms* when either
  1. it holds a word of another script: a run of two or more letters outside the Latin script
     (сети, δίκτυα), or any letter of a script written without spaces (医疗, 機械, 신경); a lone
     Greek letter (α-helix, φ^4) is math, not a word; or
  2. it reads as another Latin-script language: it holds more function words of French,
     German, Spanish, Portuguese, Italian or Dutch (pour, und, para, ...) than English ones
     (for, and, ...); acronyms (DES, MIT) are not counted.
Anything else is taken as English. A mixed text keeps its English words: the ranker reads
them and the terms. Other Latin-script languages without such words ("apprentissage
automatique") are taken as English: only the words they share with English match.

With an LLM, the terms are asked once when the interests are set (one request, an answer of
`{"terms": [...]}`) and stored with them on the chat; when that fails they are asked again at
each fetch run, until an answer is usable or `MAX_FAILURES` answers were not.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from bot import lanes
from bot.errors import SummarizeError
from bot.llm.answers import parse_answer
from bot.llm.budget import BudgetExhausted
from bot.llm.summaries import SummaryService
from bot.llm.wire import LLMUnavailable
from bot.models import Chat
from bot.store import Store

log = logging.getLogger(__name__)

MAX_TERMS = 8  # search terms kept of an answer
MAX_TERM_CHARS = 60
MAX_TERM_WORDS = 5
MAX_ANSWER_CHARS = 10_000  # a longer answer is not read
MAX_FAILURES = 3  # unusable answers (not outages) after which the terms are no longer asked
ASKING_AT_ONCE = 4  # chats whose terms a fetch run asks for at a time

_RUNS = re.compile(r"[^\W\d_]+")  # runs of letters (NFKC first: no combining marks left)
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"  # letters, no × ÷
_LATIN_WORDS = re.compile(f"[{_LATIN}]{{2,}}")  # Latin-script words of 2 letters or more
_FOREIGN = frozenset("""
    pour avec dans des sur une und für mit eine einer zur zum über oder para con por sobre
    uma della delle nella sulla degli voor een het
""".split())  # fmt: skip
_ENGLISH = frozenset("the of and for in on with to from by using based".split())
_TERM = re.compile(f"[0-9{_LATIN}][0-9{_LATIN} '’+/.-]*")

SYSTEM = (
    "You help researchers find arXiv papers, which are written in English. A reader wrote "
    "their research interests, maybe in another language. Answer with one JSON object with "
    'exactly the key "terms": a list of English search terms, and nothing else.'
)
ASK = (
    "Interests: {text}\n\n"
    "Give 3 to 8 English words or short phrases (1 to 4 words each) that papers on these "
    "interests use in their titles and abstracts, the most specific first. Keep English "
    "words, names, acronyms and model names as written. No explanations."
)


def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _foreign_run(run: str) -> bool:
    """A run of letters that is a word of another script (see the module's rule 1)."""
    other = [c for c in run if not _is_latin(c)]
    wide = any(unicodedata.east_asian_width(c) in "WF" for c in other)
    return wide or len(other) >= 2


def needs_terms(text: str) -> bool:
    """Whether interests are written (partly) in a language other than English."""
    runs = _RUNS.findall(unicodedata.normalize("NFKC", text))
    if any(_foreign_run(run) for run in runs):
        return True
    words = [run.lower() for run in runs if not (run.isupper() and len(run) > 1)]
    foreign = sum(word in _FOREIGN for word in words)
    return foreign > sum(word in _ENGLISH for word in words)


def english_words(text: str) -> tuple[str, ...]:
    """The words of interests the word ranker can match without terms: Latin-script words of
    two letters or more, English function words left out, each once."""
    words = _LATIN_WORDS.findall(unicodedata.normalize("NFKC", text))
    return tuple(dict.fromkeys(w for w in words if w.lower() not in _ENGLISH | _FOREIGN))


def terms_messages(text: str) -> list[dict[str, str]]:
    """The request for a text's English search terms."""
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": ASK.format(text=text)},
    ]


def read_terms(content: str) -> tuple[str, ...]:
    """The usable terms of an answer, at most MAX_TERMS: English words and short phrases
    (letters, digits, spaces, - ' + / .); anything else in it (markup, other scripts, long
    text, other types) is left out. () when nothing is usable."""
    if len(content) > MAX_ANSWER_CHARS:
        return ()
    answer = parse_answer(content)
    found = answer.get("terms") if answer is not None else None
    if isinstance(found, str):
        found = found.split(",")
    if not isinstance(found, list):
        return ()
    kept: dict[str, str] = {}  # lower-cased -> as written, the first of each
    for term in filter(None, map(_term, found[: 4 * MAX_TERMS])):
        kept.setdefault(term.lower(), term)
    return tuple(kept.values())[:MAX_TERMS]


def _term(item: Any) -> str:
    """One item of an answer's list as a search term, or "" when it is not one."""
    if not isinstance(item, str):
        return ""
    term = " ".join(unicodedata.normalize("NFKC", item).split()).strip(" .,;:")
    usable = (
        _TERM.fullmatch(term)
        and len(term) <= MAX_TERM_CHARS
        and len(term.split()) <= MAX_TERM_WORDS
        and any(c.isalpha() for c in term)
    )
    return term if usable else ""


def terms_status(chat: Chat, llm: bool, embed: bool = False) -> str:
    """What the chat's interests are matched by: "none" (no interests), "english", "terms"
    (made), "later" (an LLM is asked), "gave_up" (its answers were unusable), "embedded"
    (no LLM; an embeddings API reads them) or "no_llm"."""
    if not chat.interests:
        return "none"
    if chat.interest_terms:
        return "terms"
    if not needs_terms(chat.interests):
        return "english"
    if llm:
        return "later" if chat.terms_failures < MAX_FAILURES else "gave_up"
    return "embedded" if embed else "no_llm"


class InterestTerms:
    """Makes and stores the chats' search terms through the summary service's LLM (its
    budget, pause and client); `engine.terms`."""

    def __init__(
        self, store: Store, summaries: SummaryService, *, llm: bool, embed: bool, wait: float
    ) -> None:
        self._store = store
        self._summaries = summaries
        self.llm = llm
        self.embed = embed
        self.wait = wait  # seconds a /interests reply waits for the terms
        self._asking: dict[tuple[int, str], asyncio.Future[Chat]] = {}  # (chat, text) -> ask
        self._at_once = asyncio.Semaphore(ASKING_AT_ONCE)

    def status(self, chat: Chat) -> str:
        """`terms_status` with this bot's configuration."""
        return terms_status(chat, self.llm, self.embed)

    def owed(self, chat: Chat) -> bool:
        """Whether the chat's interests need terms that an LLM should be asked for now."""
        return self.status(chat) == "later" and (chat.chat_id, chat.interests) not in self._asking

    async def set_interests(self, chat_id: int, text: str) -> Chat | None:
        """Store interests; when they need terms, ask for them and wait up to `wait` seconds
        (the request goes on past that, its terms stored when they come). The chat as stored,
        None when it is unknown."""
        chat = await lanes.in_thread(self._store.set_interests, chat_id, text)
        if chat is None or not self.owed(chat):
            return chat
        asked = self._ask(chat)
        try:
            return await asyncio.wait_for(asyncio.shield(asked), self.wait)
        except TimeoutError:
            return chat

    async def catch_up(self, chats: Iterable[Chat]) -> list[Chat]:
        """The chats, each whose terms are owed asked for them again (a fetch run's step)."""
        chats = list(chats)
        owed = [chat for chat in chats if self.owed(chat)]
        if not owed:
            return chats
        made = {c.chat_id: c for c in await asyncio.gather(*(self._ask(c) for c in owed))}
        return [made.get(chat.chat_id, chat) for chat in chats]

    def _ask(self, chat: Chat) -> asyncio.Future[Chat]:
        """One request for the terms of a chat's interests at a time, whoever asks."""
        key = (chat.chat_id, chat.interests)
        asked = self._asking.get(key)
        if asked is None:
            asked = asyncio.ensure_future(self._make(chat))
            self._asking[key] = asked
            asked.add_done_callback(lambda _: self._asking.pop(key, None))
        return asked

    async def _make(self, chat: Chat) -> Chat:
        """Ask for the terms and store them, or count an unusable answer; the chat as stored."""
        terms: tuple[str, ...] = ()
        failed = False
        try:
            async with self._at_once:
                terms = await self._terms(chat.interests)
        except (LLMUnavailable, BudgetExhausted) as error:  # asked again at the next fetch run
            log.warning("chat %s: no interest terms for now: %s", chat.chat_id, error)
        except SummarizeError as error:
            failed = True
            log.warning("chat %s: unusable interest terms: %s", chat.chat_id, error)
        stored = await lanes.in_thread(
            self._store.set_interest_terms, chat.chat_id, chat.interests, terms, failed
        )
        return stored or chat

    async def _terms(self, text: str) -> tuple[str, ...]:
        """The English search terms of a text: one LLM request; SummarizeError when it fails
        or its answer holds none."""
        terms = read_terms(await self._summaries.ask(terms_messages(text)))
        if not terms:
            raise SummarizeError("the LLM's answer holds no usable English search terms")
        return terms
