"""Keeping and sharing, through the real Application: the reading list, BibTeX, weekly digests,
forum topics, channels and the command menu in each language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bibtexparser
import pytest

from bot.i18n import t
from bot.models import Paper
from tests.conftest import ARXIV
from tests.digest.test_bibtex import check_entry, fields_of, parse_one
from tests.handlers import buttons, press, shown, stored
from tests.harness import Harness

QUANT = ARXIV / "rss2-quant-ph-2025-04-28.xml"  # 40 new + 10 cross-lists, Monday 2025-04-28
DAY = datetime(2025, 4, 28, 12, 0, tzinfo=UTC)
NEXT_MORNING = datetime(2025, 4, 29, 8, 1, tzinfo=UTC)  # after the default 08:00 (UTC)
API_ANSWER = Path(__file__).parents[1] / "fixtures" / "constructed" / "api-id_list-2402.01295.xml"
CHAT = 616
GROUP = -100777  # a supergroup
GROUP_ADMIN, MEMBER = 42, 43
CHANNEL = -1005555
STAR, STARRED = "⭐", "⭐ ✓"
# Titles and authors that BibTeX, LaTeX and Telegram HTML each read differently.
TRICKY = (
    Paper(
        "2504.20001",
        1,
        "Café {BERT} & 100% of $x^{2} + \\{y\\}$ <b>bold</b>",
        "An abstract.",
        ("José Müller", "Zoë Ñúñez-O'Brien"),
        ("quant-ph", "cs.LG"),
        announced="2025-04-28",
        doi="10.1000/a&b",
    ),
    Paper(
        "2504.20002",
        1,
        "Unpaired } brace, { another, # _ ~ ^ and 5% more",
        "An abstract.",
        ("ATLAS Collaboration", "Åsa Ødegård"),
        ("hep-ex",),
        announced="2025-04-28",
    ),
)


def labels(message: dict) -> list[str]:
    return [label for label, _ in buttons(message)]


def data_of(message: dict, label: str) -> str:
    return dict(buttons(message))[label]


async def subscribed(harness: Harness, chat_id: int = CHAT) -> Harness:
    harness.feeds.default_feed = QUANT.read_bytes()
    harness.clock.set(DAY)
    await harness.start()
    await harness.say(chat_id, "/subscribe quant-ph")
    await harness.settled()
    return harness


@pytest.fixture
async def h(harness: Harness) -> Harness:
    """A private chat that follows quant-ph and had its digest of 2025-04-28."""
    await subscribed(harness)
    await harness.say(CHAT, "/digest", expect=None)
    return harness


def digest_ids(h: Harness, chat_id: int = CHAT) -> tuple[str, ...]:
    digest = h.engine.store.latest_digest(chat_id)
    assert digest is not None
    return digest.paper_ids


def title_of(h: Harness, paper_id: str) -> str:
    paper = h.engine.store.get_paper(paper_id)
    assert paper is not None
    return " ".join(paper.title.split())


# the reading list


async def test_save_by_number_id_and_star_then_list_remove_and_restart(h: Harness) -> None:
    ids = digest_ids(h)
    [by_number] = await h.say(CHAT, "/save 2")
    assert by_number["plain_text"].startswith("⭐ Saved to the reading list: ")
    assert f'href="https://arxiv.org/abs/{ids[1]}"' in by_number["text"]
    h.feeds.api["2402.01295"] = (200, API_ANSWER.read_bytes())
    [by_id] = await h.say(CHAT, "/save 2402.01295")
    assert by_id["plain_text"].startswith("⭐ Saved to the reading list: ")
    assert h.engine.store.get_paper("2402.01295") is not None  # a look-up, stored for /saved
    expanded = await h.say(CHAT, "/paper 5", expect=None)
    star = expanded[-1]
    assert STAR in labels(star)
    answer = await press(h, CHAT, star["message_id"], data_of(star, STAR))
    assert answer["text"] == "⭐ Saved to the reading list"
    assert STARRED in labels(shown(h, CHAT, star["message_id"]))
    answer = await press(h, CHAT, star["message_id"], data_of(star, STAR))
    assert answer["text"] == "Taken off the reading list"
    assert STAR in labels(shown(h, CHAT, star["message_id"]))
    await press(h, CHAT, star["message_id"], data_of(star, STAR))  # and on again
    again = (await h.say(CHAT, "/paper 5", expect=None))[-1]
    assert STARRED in labels(again)  # an expanded paper shows that it is saved

    [listed] = await h.say(CHAT, "/saved", expect=None)
    text = listed["plain_text"]
    assert text.startswith("⭐ Reading list: 3 papers")
    order = [ids[4], "2402.01295", ids[1]]  # newest first
    positions = [text.index(f"[{n}] {title_of(h, i)[:40]}") for n, i in enumerate(order, 1)]
    assert positions == sorted(positions)
    for paper_id in order:
        assert f'href="https://arxiv.org/abs/{paper_id}"' in listed["text"]
    assert labels(listed) == ["✖ 1", "✖ 2", "✖ 3"]

    [first, *_] = await h.say(CHAT, "1", expect=None)  # numbers now mean the list
    assert first["plain_text"].startswith(f"[1] {title_of(h, ids[4])[:30]}")
    [third, *_] = await h.say(CHAT, "/paper 3", expect=None)
    assert third["plain_text"].startswith(f"[3] {title_of(h, ids[1])[:30]}")

    answer = await press(h, CHAT, listed["message_id"], data_of(listed, "✖ 2"))
    assert answer["text"] == "Taken off the reading list"
    assert labels(shown(h, CHAT, listed["message_id"])) == ["✖ 1", "✖ 3"]
    [unsaved] = await h.say(CHAT, "/unsave 1")
    assert unsaved["plain_text"] == f"Taken off the reading list: {ids[4]}."
    assert h.engine.store.saved_paper_ids(CHAT) == [ids[1]]

    await h.restart()
    [after] = await h.say(CHAT, "/saved", expect=None)
    assert after["plain_text"].startswith("⭐ Reading list: 1 paper\n")
    assert f"[1] {title_of(h, ids[1])[:40]}" in after["plain_text"]


async def test_a_new_digest_page_makes_numbers_mean_the_digest_again(h: Harness) -> None:
    ids = digest_ids(h)
    await h.say(CHAT, "/save 7")
    await h.say(CHAT, "/saved")
    [listed, *_] = await h.say(CHAT, "3", expect=None)
    assert listed["plain_text"].startswith(
        "There is no [3]: the reading list shows papers [1] to [1]."
    )
    pages = [m for m in h.api.messages_to(CHAT) if "More ▸" in labels(m)]
    await h.press(CHAT, pages[0]["message_id"], data_of(pages[0], "More ▸"), expect=None)
    [first, *_] = await h.say(CHAT, "3", expect=None)
    assert first["plain_text"].startswith(f"[3] {title_of(h, ids[2])[:30]}")


async def test_saved_pages_like_a_digest(h: Harness) -> None:
    await h.say(CHAT, "/limit 2")
    for number in (1, 2, 3):
        await h.say(CHAT, f"/save {number}")
    [page1] = await h.say(CHAT, "/saved", expect=None)
    assert "page 1/2" in page1["plain_text"] and "[3]" not in page1["plain_text"]
    page2 = await h.press(CHAT, page1["message_id"], data_of(page1, "More ▸"), expect=None)
    assert "[3] " in page2[0]["plain_text"] and "page 2/2" in page2[0]["plain_text"]
    assert labels(page2[0]) == ["✖ 3"]


async def test_in_a_group_any_member_saves_to_the_groups_list(harness: Harness) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await subscribed(harness, GROUP)
    await harness.say(GROUP, "/subscribe quant-ph", user_id=GROUP_ADMIN)
    await harness.settled()
    await harness.say(GROUP, "/digest", expect=None, user_id=MEMBER)
    [saved] = await harness.say(GROUP, "/save 1", user_id=MEMBER)
    assert saved["plain_text"].startswith("⭐ Saved to the reading list")
    [listed] = await harness.say(GROUP, "/saved", user_id=GROUP_ADMIN, expect=None)
    assert listed["plain_text"].startswith("⭐ Reading list: 1 paper")


async def test_in_a_group_only_admins_change_the_frequency(harness: Harness) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    [refused] = await harness.say(GROUP, "/frequency weekly", user_id=MEMBER)
    assert "admin" in refused["plain_text"].lower()
    assert (
        harness.engine.store.get_chat(GROUP) is None or stored(harness, GROUP).frequency == "daily"
    )
    [done] = await harness.say(GROUP, "/frequency weekly", user_id=GROUP_ADMIN)
    assert done["plain_text"].startswith("Done: one digest a week, on Monday at 08:00.")
    assert stored(harness, GROUP).frequency == "weekly"


# BibTeX


async def test_bib_and_export_bib_parse_back_with_every_field(h: Harness) -> None:
    h.engine.store.put_papers(TRICKY)
    for paper in TRICKY:
        await h.say(CHAT, f"/save {paper.id}")
    for paper in TRICKY:
        [entry] = await h.say(CHAT, f"/bib {paper.id}")
        assert entry["text"].startswith("<pre>")
        assert ("&amp;" in entry["text"]) == ("&" in paper.title)  # escaped for HTML
        check_entry(parse_one(entry["plain_text"]), paper)
    [by_number] = await h.say(CHAT, "/bib 3")
    digest_paper = h.engine.store.get_paper(digest_ids(h)[2])
    assert digest_paper is not None
    check_entry(parse_one(by_number["plain_text"]), digest_paper)

    [document] = await h.say(CHAT, "/export bib")
    assert document["kind"] == "document" and document["filename"].endswith(".bib")
    assert document["caption"] == "2 papers from the reading list, as BibTeX"
    library = bibtexparser.parse_string(document["content"].decode("utf-8"))
    assert library.failed_blocks == []
    entries = {fields_of(e)["eprint"]: fields_of(e) for e in library.entries}
    assert list(entries) == [TRICKY[1].id, TRICKY[0].id]  # newest first, as /saved lists them
    for paper in TRICKY:
        check_entry(entries[paper.id], paper)
    [markdown] = await h.say(CHAT, "/export")
    assert markdown["filename"].endswith(".md")  # /export alone is still the digest


async def test_bib_of_a_paper_with_thousands_of_authors_fits_one_message(h: Harness) -> None:
    crowd = replace(
        TRICKY[0], id="2504.20003", authors=tuple(f"Author Number{i}" for i in range(3000))
    )
    h.engine.store.put_papers([crowd])
    [entry] = await h.say(CHAT, f"/bib {crowd.id}")
    assert entry["plain_text"].startswith("@misc{number02025caf")
    assert len(entry["plain_text"]) <= 4096
    assert h.api.rejections == []


async def test_export_bib_of_an_empty_list_says_how_to_fill_it(h: Harness) -> None:
    [reply] = await h.say(CHAT, "/export bib")
    assert reply["kind"] == "message"
    assert reply["plain_text"].startswith("The reading list is empty.")


# weekly digests


def week_of_papers(h: Harness) -> list[Paper]:
    """Copies of four papers of Monday's feed, announced on each day from Tuesday to Friday."""
    base = [p for p in h.engine.store.announced_since("2025-04-27") if p.announce_type == "new"]
    days = ["2025-04-29", "2025-04-30", "2025-05-01", "2025-05-02"]
    return [
        replace(paper, id=f"2505.{90000 + 10 * d + i}", announced=day)
        for d, day in enumerate(days)
        for i, paper in enumerate(base[:4])
    ]


async def test_a_weekly_chat_gets_one_digest_on_its_day_holding_the_week(
    harness: Harness,
) -> None:
    await subscribed(harness)
    [done] = await harness.say(CHAT, "/frequency weekly mon")
    assert done["plain_text"].startswith("Done: one digest a week, on Monday at 08:00.")
    assert "Next digest: 2025-05-05 08:00 (UTC)" in done["plain_text"]
    harness.engine.store.put_papers(week_of_papers(harness))
    tuesday = datetime(2025, 4, 29, 8, 1, tzinfo=UTC)
    for days in range(6):  # Tuesday to Sunday, after 08:00 and late at night
        for hours in (0, 15):
            harness.clock.set(tuesday + timedelta(days=days, hours=hours))
            assert await harness.replies(CHAT, len(harness.api.messages_to(CHAT)), 0) == []
    assert harness.engine.store.latest_digest(CHAT) is None
    before = len(harness.api.messages_to(CHAT))
    harness.clock.set(datetime(2025, 5, 5, 8, 1, tzinfo=UTC))  # Monday, after 08:00
    await harness.wait_until(lambda: (d := harness.engine.store.latest_digest(CHAT)) and d.done)
    digest = harness.engine.store.latest_digest(CHAT)
    assert digest is not None and digest.number == 1
    days = {harness.engine.store.get_paper(i).announced for i in digest.paper_ids}  # type: ignore[union-attr]
    assert days == {"2025-04-28", "2025-04-29", "2025-04-30", "2025-05-01", "2025-05-02"}
    sent = harness.api.messages_to(CHAT)[before:]
    text = "\n".join(m["plain_text"] for m in sent)
    assert f"{len(digest.paper_ids)} papers" in sent[0]["plain_text"]
    assert "[30] " in text and "[31] " not in text  # first page /limit, the rest a tap away
    assert any("More ▸" in labels(m) for m in sent)
    harness.clock.set(datetime(2025, 5, 6, 8, 1, tzinfo=UTC))  # Tuesday: nothing
    assert await harness.replies(CHAT, len(harness.api.messages_to(CHAT)), 0) == []


async def test_digest_works_any_day_for_a_weekly_chat(harness: Harness) -> None:
    await subscribed(harness)
    await harness.say(CHAT, "/frequency weekly fri")
    messages = await harness.say(CHAT, "/digest", expect=None)  # on a Monday
    assert messages[0]["plain_text"].startswith("📰 arXiv digest · 2025-04-28")
    [screen] = await harness.say(CHAT, "/settings")
    assert "Delivery: weekly on Friday at 08:00 (UTC, UTC+00:00)" in screen["plain_text"]
    assert "Next digest: 2025-05-02 08:00 (UTC)" in screen["plain_text"]


# forum topics


async def forum_subscribed(harness: Harness) -> int:
    harness.api.make_forum(GROUP)
    topic = harness.api.create_topic(GROUP, "arXiv")
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    harness.feeds.default_feed = QUANT.read_bytes()
    harness.clock.set(DAY)
    await harness.start()
    [ok] = await harness.say(
        GROUP, "/subscribe quant-ph", user_id=GROUP_ADMIN, message_thread_id=topic
    )
    assert ok["message_thread_id"] == topic  # the reply goes where the command came from
    await harness.settled()
    assert stored(harness, GROUP).thread_id == topic
    return topic


async def scheduled(harness: Harness, chat_id: int) -> list[dict]:
    before = len(harness.api.messages_to(chat_id))
    harness.clock.set(NEXT_MORNING)
    await harness.wait_until(lambda: (d := harness.engine.store.latest_digest(chat_id)) and d.done)
    await harness.idle()
    return harness.api.messages_to(chat_id)[before:]


async def test_a_forum_topic_receives_the_digest_and_numbers_sent_there(harness: Harness) -> None:
    topic = await forum_subscribed(harness)
    sent = await scheduled(harness, GROUP)
    assert sent and all(m["message_thread_id"] == topic for m in sent)
    ids = digest_ids(harness, GROUP)
    # Sent in the topic, "2" replies to the topic's creation message: it is no digest message.
    expanded = await harness.say(GROUP, "2", user_id=MEMBER, message_thread_id=topic, expect=None)
    assert expanded[0]["plain_text"].startswith(f"[2] {title_of(harness, ids[1])[:30]}")
    assert all(m["message_thread_id"] == topic for m in expanded)
    [general] = await harness.say(GROUP, "/saved", user_id=MEMBER)  # from General: to General
    assert general["message_thread_id"] is None


async def test_here_moves_digests_to_a_topic_admins_only(harness: Harness) -> None:
    topic = await forum_subscribed(harness)
    other = harness.api.create_topic(GROUP, "papers")
    [refused] = await harness.say(GROUP, "/here", user_id=MEMBER, message_thread_id=other)
    assert refused["message_thread_id"] == other and "admin" in refused["plain_text"].lower()
    assert stored(harness, GROUP).thread_id == topic
    [moved] = await harness.say(GROUP, "/here", user_id=GROUP_ADMIN, message_thread_id=other)
    assert moved["plain_text"] == "✅ Digests now come to this topic."
    sent = await scheduled(harness, GROUP)
    assert sent and all(m["message_thread_id"] == other for m in sent)


@pytest.mark.parametrize("gone", ["close_topic", "delete_topic"])
async def test_a_closed_or_deleted_topic_falls_back_to_general(harness: Harness, gone: str) -> None:
    topic = await forum_subscribed(harness)
    getattr(harness.api, gone)(GROUP, topic)
    sent = await scheduled(harness, GROUP)
    notice, *parts = sent
    assert notice["plain_text"].startswith("The topic for digests was closed or deleted")
    assert all(m["message_thread_id"] is None for m in sent)
    assert sum("closed or deleted" in (m["plain_text"] or "") for m in sent) == 1
    digest = harness.engine.store.latest_digest(GROUP)
    assert digest is not None and digest.done
    assert list(digest.message_ids) == [m["message_id"] for m in parts]  # nothing lost
    assert stored(harness, GROUP).thread_id == 0


# channels


async def post(harness: Harness, text: str, expect: int | None = 1) -> list[dict]:
    before = len(harness.api.messages_to(CHANNEL))
    harness.api.push_channel_post(CHANNEL, text)
    return await harness.replies(CHANNEL, before, expect)


async def test_a_channel_subscribes_and_receives_digests_and_papers(harness: Harness) -> None:
    harness.feeds.default_feed = QUANT.read_bytes()
    harness.clock.set(DAY)
    await harness.start()
    [ok] = await post(harness, "/subscribe quant-ph")
    assert ok["plain_text"].startswith("✅ Added: quant-ph")
    await harness.settled()
    [limit] = await post(harness, "/limit 10")
    assert "10" in limit["plain_text"]
    sent = await scheduled(harness, CHANNEL)
    assert sent[0]["plain_text"].startswith("📰 arXiv digest · 2025-04-28")
    ids = digest_ids(harness, CHANNEL)
    expanded = await post(harness, "/paper 2", expect=None)
    assert expanded[0]["plain_text"].startswith(f"[2] {title_of(harness, ids[1])[:30]}")
    [saved] = await post(harness, "/save 2")
    assert saved["plain_text"].startswith("⭐ Saved to the reading list")


async def test_an_edited_channel_post_does_not_run_again(harness: Harness) -> None:
    await harness.start()
    posted = harness.api.push_channel_post(CHANNEL, "/start")
    [hello] = await harness.replies(CHANNEL, 0, 1)
    harness.api.push_channel_edit(CHANNEL, posted["message_id"], "/subscribe quant-ph")
    await harness.idle()
    assert await harness.replies(CHANNEL, 1, 0) == []
    assert stored(harness, CHANNEL).topics == ()


async def test_a_channel_subscriber_cannot_press_its_settings(harness: Harness) -> None:
    await harness.start()
    [screen] = await post(harness, "/settings")
    answer = await press(
        harness, CHANNEL, screen["message_id"], data_of(screen, labels(screen)[1]), user_id=MEMBER
    )
    assert answer["show_alert"] and "admin" in answer["text"].lower()
    assert harness.engine.store.get_chat(CHANNEL) is None or not stored(harness, CHANNEL).paused


# the command menu


async def test_the_menu_is_set_in_english_and_chinese(harness: Harness) -> None:
    await harness.start()
    for code, lang in (("", "en"), ("zh", "zh")):
        private = harness.api.commands(scope={"type": "all_private_chats"}, language_code=code)
        described = {c["command"]: c["description"] for c in private}
        for name in ("save", "saved", "bib", "frequency", "digest"):
            assert described[name] == t(lang, f"menu.{name}")
        admins = harness.api.commands(scope={"type": "all_chat_administrators"}, language_code=code)
        assert "here" in {c["command"] for c in admins}
        members = harness.api.commands(scope={"type": "all_group_chats"}, language_code=code)
        assert "subscribe" not in {c["command"] for c in members}
    english = harness.api.commands(scope={"type": "all_private_chats"})
    chinese = harness.api.commands(scope={"type": "all_private_chats"}, language_code="zh")
    assert english[0]["description"] != chinese[0]["description"]
