"""Nothing stored that nobody asked for: papers named by id, through the real Application.

An id arXiv does not know, a button the bot never put under a message of this chat, an id in
other digits: each stores no vote, no save and no paper. An id typed in full-width or
Arabic-Indic digits is read as its ASCII id, never kept as the raw text.

What "shown" means for a button: handlers/refs.py was_shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.digest.textcut import telegram_length
from bot.telegram.buttons import save_data, unsave_data, vote_data
from tests.conftest import ARXIV
from tests.handlers import buttons, press
from tests.harness import Harness

EMPTY_FEED = ARXIV / "rss2-empty-test-archive-2024-11-28.xml"
CONSTRUCTED = Path(__file__).parents[1] / "fixtures" / "constructed"
API_ANSWER = CONSTRUCTED / "api-id_list-2402.01295.xml"
OLD_ID_ANSWER = ARXIV / "api-query-id_list-astro-ph_0601001-2026-05-11.xml"
TITLE = "ExtremeCast: Boosting Extreme Value Prediction for Global Weather Forecast"
USER, OTHER = 605, 606
EXPIRED = "This button has expired."
NO_SUCH = "arXiv has no paper 2411.99999."
VOTE_USAGE = "Send /like 3 or /dislike 3 for paper [3] of the latest digest"
SAVE_USAGE = "Send /save 3 to keep paper [3] of the latest digest"
PAPER_USAGE = "Send /paper 3 to expand paper [3] of the latest digest"
BIB_USAGE = "Send /bib 3 for the BibTeX of paper [3]"


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]


def kept(h: Harness) -> dict[str, object]:
    """Everything a vote or a save could have stored, in every chat."""
    store = h.engine.store
    sizes = store.table_sizes()
    return {
        "rows": {name: sizes.get(name, 0) for name in ("votes", "saved", "papers")},
        "votes": store.chat_votes(USER),
        "saved": store.saved_paper_ids(USER),
    }


def looked_up(h: Harness) -> list[str]:
    """The ids the fake arXiv API was asked for, in order."""
    return [s.query.get("id_list", [""])[0] for s in h.feeds.requests if s.path == "/api/query"]


@pytest.fixture
async def h(harness: Harness) -> Harness:
    harness.feeds.default_feed = EMPTY_FEED.read_bytes()
    harness.feeds.api["2402.01295"] = (200, API_ANSWER.read_bytes())
    harness.feeds.api["astro-ph/0601001"] = (200, OLD_ID_ANSWER.read_bytes())
    await harness.start()
    await harness.say(USER, "/start")
    return harness


@dataclass(frozen=True)
class Case:
    name: str
    typed: str
    shows: str  # the reply starts with this
    asks: str = ""  # the id arXiv is asked about ("" when it is asked nothing)


UNKNOWN = [
    Case("like-unknown", "/like 2411.99999", NO_SUCH, "2411.99999"),
    Case("dislike-unknown", "/dislike 2411.99999", NO_SUCH, "2411.99999"),
    Case("save-unknown", "/save 2411.99999", NO_SUCH, "2411.99999"),
    Case("bib-unknown", "/bib 2411.99999", NO_SUCH, "2411.99999"),
    Case("paper-unknown", "/paper 2411.99999", NO_SUCH, "2411.99999"),
    Case("like-unknown-versioned", "/like arXiv:2411.99999v3", NO_SUCH, "2411.99999"),
    Case("like-full-width-unknown", "/like ２４１１.９９９９９", NO_SUCH, "2411.99999"),
    Case("like-full-width-stop", "/like ２４１１．９９９９９", NO_SUCH, "2411.99999"),
    Case("dislike-arabic-indic-unknown", "/dislike ٢٤١١.٩٩٩٩٩", NO_SUCH, "2411.99999"),
    Case("save-arabic-indic-unknown", "/save ٢٤١١.٩٩٩٩٩", NO_SUCH, "2411.99999"),
    Case("save-persian-unknown", "/save ۲۴۱۱.۹۹۹۹۹", NO_SUCH, "2411.99999"),
    Case("save-devanagari-unknown", "/save २४११.९९९९९", NO_SUCH, "2411.99999"),
    Case("paper-full-width-unknown", "/paper ２４１１.９９９９９", NO_SUCH, "2411.99999"),
    Case("bib-arabic-indic-unknown", "/bib ٢٤١١.٩٩٩٩٩", NO_SUCH, "2411.99999"),
    Case(
        "unsave-full-width", "/unsave ２４１１.９９９９９", "2411.99999 is not on the reading list."
    ),
    Case("like-mixed-junk", "/like ２４１１.９９９９x", VOTE_USAGE),
    Case("like-empty", "/like", VOTE_USAGE),
    Case("like-huge", "/like " + "9" * 5000, VOTE_USAGE),
    Case("like-huge-id-shaped", "/like " + "a" * 5000 + "/0601001", VOTE_USAGE),
    Case("like-binary", "/like \x7fELF\x02\x01\x01\x00", VOTE_USAGE),
    Case("like-html", "/like <b>2411.99999</b>", VOTE_USAGE),
    Case("like-rtl", "/like \u202e2411.99999\u202c", NO_SUCH, "2411.99999"),
    Case("dislike-zero-width", "/dislike 2411\u200b.99999\u200d", NO_SUCH, "2411.99999"),
    Case("save-superscripts", "/save ²⁴¹¹.⁹⁹⁹⁹⁹", NO_SUCH, "2411.99999"),
    Case("save-html", "/save <i>2411.99999</i>", SAVE_USAGE),
    Case("paper-binary", "/paper \x7fELF\x02\x01\x01\x00", PAPER_USAGE),
    Case("paper-rtl-junk", "/paper \u202eabc\u202c", PAPER_USAGE),
    Case("bib-huge", "/bib " + "２" * 5000, BIB_USAGE),
]


@pytest.mark.parametrize("case", UNKNOWN, ids=[case.name for case in UNKNOWN])
async def test_an_id_arxiv_does_not_know_or_no_id_at_all_stores_nothing(
    h: Harness, caplog: pytest.LogCaptureFixture, case: Case
) -> None:
    before = kept(h)
    caplog.clear()
    [answer] = await h.say(USER, case.typed)
    assert answer["plain_text"].startswith(case.shows), answer["plain_text"]
    assert telegram_length(answer["text"]) <= 600
    await h.idle()
    assert kept(h) == before
    assert looked_up(h) == ([case.asks] if case.asks else [])  # the ASCII id, never raw
    assert h.api.rejections == [] and tracebacks(caplog) == []


async def test_an_unknown_id_is_refused_in_the_chats_language(h: Harness) -> None:
    await h.say(USER, "/lang zh")
    before = kept(h)
    [liked] = await h.say(USER, "/like ٢٤١١.٩٩٩٩٩")
    [saved] = await h.say(USER, "/save ２４１１.９９９９９")
    assert liked["plain_text"] == saved["plain_text"] == "arXiv 上没有论文 2411.99999。"
    assert kept(h) == before


async def test_arxiv_down_stores_no_vote_and_says_so(h: Harness) -> None:
    before = kept(h)
    h.feeds.fail_next(503, 503, 503)
    [answer] = await h.say(USER, "/like 2411.99999")
    assert answer["plain_text"].startswith("arXiv does not answer right now")
    assert kept(h) == before


async def test_an_id_in_other_digits_of_a_known_paper_works_as_the_ascii_one(h: Harness) -> None:
    [saved] = await h.say(USER, "/save ٢٤٠٢.٠١٢٩٥")  # arXiv confirms it: saved, paper stored
    assert saved["plain_text"].startswith(f"⭐ Saved to the reading list: {TITLE}")
    assert h.engine.store.saved_paper_ids(USER) == ["2402.01295"]
    [again] = await h.say(USER, "/save 2402.01295")
    assert again["plain_text"].startswith(f"Already on the reading list: {TITLE}")
    [liked] = await h.say(USER, "/like ２４０２.０１２９５")  # now from the store
    assert liked["plain_text"].startswith(f"👍 {TITLE}: noted")
    assert h.engine.store.chat_votes(USER).liked == ("2402.01295",)
    [withdrawn] = await h.say(USER, "/like 2402.01295")  # the same vote: one key
    assert withdrawn["plain_text"] == f"Vote on {TITLE} withdrawn."
    assert h.engine.store.chat_votes(USER).count == 0
    expanded = await h.say(USER, "/paper ２４０２．０１２９５", expect=None)
    assert expanded[0]["plain_text"].startswith(TITLE)
    assert "https://arxiv.org/abs/2402.01295" in expanded[0]["text"]
    [bib] = await h.say(USER, "/bib ٢٤٠٢.٠١٢٩٥")
    assert "2402.01295" in bib["plain_text"] and "ExtremeCast" in bib["plain_text"]
    [unsaved] = await h.say(USER, "/unsave ２４０２.０１２９５")
    assert unsaved["plain_text"] == "Taken off the reading list: 2402.01295."
    assert h.engine.store.saved_paper_ids(USER) == []
    [old] = await h.say(USER, "/dislike ａｓｔｒｏ－ｐｈ／０６０１００１")
    assert old["plain_text"].startswith("👎 Frequency of Hot Jupiters")
    assert h.engine.store.chat_votes(USER).disliked == ("astro-ph/0601001",)
    ids = looked_up(h)
    assert set(ids) == {"2402.01295", "astro-ph/0601001"} and all(i.isascii() for i in ids)


@dataclass(frozen=True)
class Forged:
    name: str
    data: str


FORGED = [
    Forged("vote-up-unknown", vote_data("9999.99999", True)),
    Forged("vote-down-unknown", vote_data("2411.99999", False)),
    Forged("vote-stored-elsewhere", vote_data("2402.01295", True)),  # another chat's paper
    Forged("vote-old-id-unknown", vote_data("hep-th/9901001", False)),
    Forged("star-unknown", save_data("9999.99999")),
    Forged("star-stored-elsewhere", save_data("2402.01295")),
    Forged("remove-unknown", unsave_data("9999.99999")),
    Forged("remove-stored-elsewhere", unsave_data("2402.01295")),
    Forged("expand-no-digest", "p:7:1"),
    Forged("expand-huge-digest", "p:999999999:9999"),
]


@pytest.mark.parametrize("forged", FORGED, ids=[forged.name for forged in FORGED])
async def test_a_button_for_a_paper_the_chat_was_never_shown_is_expired_and_stores_nothing(
    h: Harness, caplog: pytest.LogCaptureFixture, forged: Forged
) -> None:
    """Pressed under this chat's own expanded paper (astro-ph/0601001 by id, not saved), with
    data the bot never put there; 2402.01295 is known to the bot through another chat."""
    await h.say(OTHER, "/save 2402.01295")
    expanded = (await h.say(USER, "/paper astro-ph/0601001", expect=None))[-1]
    assert forged.data not in [data for _, data in buttons(expanded)]
    before = kept(h)
    sent = len(h.api.messages_to(USER, include_edits=True))
    caplog.clear()
    answer = await press(h, USER, expanded["message_id"], forged.data)
    await h.idle()
    assert answer["text"] == EXPIRED
    assert kept(h) == before
    assert len(h.api.messages_to(USER, include_edits=True)) == sent  # no message, no edit
    assert h.api.rejections == [] and tracebacks(caplog) == []


async def test_the_buttons_under_a_paper_expanded_by_id_work_after_a_restart(h: Harness) -> None:
    """A paper the chat expanded by id is one it was shown: its 👍 and ⭐ act (⭐ stores the
    paper, which the look-up alone did not), also once the bot has restarted."""
    expanded = (await h.say(USER, "/paper 2402.01295", expect=None))[-1]
    assert h.engine.store.get_paper("2402.01295") is None  # shown, not stored
    data = dict((label, data) for label, data in buttons(expanded))
    await h.restart()
    up = await press(h, USER, expanded["message_id"], data["👍"])
    assert up["text"] == "👍 Noted: more papers like this one."
    assert h.engine.store.chat_votes(USER).liked == ("2402.01295",)
    star = await press(h, USER, expanded["message_id"], data["⭐"])
    assert star["text"] == "⭐ Saved to the reading list"
    assert h.engine.store.saved_paper_ids(USER) == ["2402.01295"]
    assert h.engine.store.get_paper("2402.01295") is not None
    off = await press(h, USER, expanded["message_id"], data["⭐"])
    assert off["text"] == "Taken off the reading list"
    assert h.engine.store.saved_paper_ids(USER) == []


async def test_a_remove_button_of_a_paper_already_taken_off_says_so(h: Harness) -> None:
    await h.say(USER, "/save 2402.01295")
    [listed] = await h.say(USER, "/saved", expect=None)
    await h.say(USER, "/unsave 2402.01295")
    before = kept(h)
    answer = await press(h, USER, listed["message_id"], unsave_data("2402.01295"))
    assert answer["text"] == "That paper is no longer on the reading list"
    assert kept(h) == before


async def test_a_number_in_other_digits_means_the_same_entry(harness: Harness) -> None:
    """`３`, `٣` and `[３]` are [3] of the latest digest, as a message and after a command."""
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    await harness.say(USER, "/digest", expect=None)
    digest = harness.engine.store.latest_digest(USER)
    assert digest is not None and len(digest.paper_ids) >= 3
    third = harness.engine.store.get_paper(digest.paper_ids[2])
    assert third is not None
    heading = f"[3] {' '.join(third.title.split())[:30]}"
    for typed in ("3", "３", "٣", "/paper ３", "/paper [٣]", "/paper ［３］"):
        [expanded, *_] = await harness.say(USER, typed, expect=None)
        assert expanded["plain_text"].startswith(heading), (typed, expanded["plain_text"])
    [liked] = await harness.say(USER, "/like ３")
    assert liked["plain_text"].startswith("👍 ")
    [withdrawn] = await harness.say(USER, "/like ٣")
    assert withdrawn["plain_text"].startswith("Vote on ")
    [saved] = await harness.say(USER, "/save [३]")
    assert saved["plain_text"].startswith("⭐ Saved to the reading list")
    assert harness.engine.store.saved_paper_ids(USER) == [third.id]
    assert harness.engine.store.chat_votes(USER).count == 0
    [refused] = await harness.say(USER, "/like ９９９９")
    assert refused["plain_text"].startswith("There is no [9999]: the digest holds papers [1] to")
