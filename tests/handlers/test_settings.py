"""What a user sees of /lang, /time, /timezone, /limit, /pause, /resume and the /settings screen."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.handlers import GROUP, GROUP_ADMIN, MEMBER, buttons, press, shown, stored
from tests.harness import FEED_DAY, Harness

USER = 601


# /lang


async def test_lang_switches_to_chinese_and_answers_in_it(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/lang ZH_cn")
    assert answer["plain_text"].startswith("✅ 语言：中文（简体） (zh)")
    assert "翻译需要 LLM" in answer["plain_text"]  # no LLM in this harness
    assert stored(harness, USER).lang == "zh"
    [listing] = await harness.say(USER, "/list")
    assert "本聊天还没有关注任何主题" in listing["plain_text"]


async def test_lang_keeps_a_regional_variant_that_matters(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/lang pt-BR")
    assert "Language: pt-br" in answer["plain_text"]
    assert "stay in English for this language" in answer["plain_text"]  # no pt-br catalog
    assert stored(harness, USER).lang == "pt-br"


async def test_lang_without_a_code_shows_the_current_one_and_examples(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/lang")
    assert "Language of TL;DRs and translations: English (en)" in answer["plain_text"]
    assert "/lang ja" in answer["plain_text"]


@pytest.mark.parametrize("junk", ["klingon!!", "xx", "<b>zh</b>"])
async def test_lang_refuses_what_is_no_language_code(harness: Harness, junk: str) -> None:
    await harness.start()
    await harness.say(USER, "/start")
    [answer] = await harness.say(USER, f"/lang {junk}")
    assert f"{junk} is not a language code I know" in answer["plain_text"]
    assert stored(harness, USER).lang == "en"


# /time, /timezone, /limit


async def test_time_sets_the_daily_delivery(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    [answer] = await harness.say(USER, "/time 7:30")
    assert "daily at 07:30 (UTC, UTC+00:00). Next: 2024-11-29 07:30 (UTC)" in answer["plain_text"]
    [asap] = await harness.say(USER, "/time ASAP")
    assert "as soon as new papers are announced" in asap["plain_text"]
    assert stored(harness, USER).time == "asap"
    [shown_now] = await harness.say(USER, "/time")
    assert shown_now["plain_text"].startswith(
        "The digest comes as soon as new papers are announced"
    )
    [hour] = await harness.say(USER, "/time 9")
    assert "daily at 09:00" in hour["plain_text"]


@pytest.mark.parametrize("bad", ["25:00", "8:5", "soon", "12:60", "²:00"])
async def test_time_refuses_what_is_no_time(harness: Harness, bad: str) -> None:
    await harness.start()
    await harness.say(USER, "/start")
    [answer] = await harness.say(USER, f"/time {bad}")
    assert f"{bad} is not a time. Use HH:MM" in answer["plain_text"]
    assert stored(harness, USER).time == "08:00"


@pytest.mark.parametrize(
    ("typed", "zone", "offset"),
    [
        ("asia/shanghai", "Asia/Shanghai", "+08:00"),
        ("UTC", "UTC", "+00:00"),
        ("New York", "America/New_York", "-05:00"),
        ("tokyo", "Asia/Tokyo", "+09:00"),
        ("UTC+8", "Etc/GMT-8", "+08:00"),
    ],
)
async def test_timezone_takes_common_spellings(
    harness: Harness, typed: str, zone: str, offset: str
) -> None:
    await harness.start()
    [answer] = await harness.say(USER, f"/timezone {typed}")
    assert f"Time zone: {zone} (UTC{offset})" in answer["plain_text"]
    assert stored(harness, USER).timezone == zone


async def test_timezone_refuses_an_unknown_zone(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/start")
    [answer] = await harness.say(USER, "/timezone Mars/Base")
    assert "Mars/Base is not a time zone I know" in answer["plain_text"]
    assert "Asia/Shanghai" in answer["plain_text"]
    assert stored(harness, USER).timezone == "UTC"


async def test_limit_sets_entries_per_page(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/limit 20")
    assert "at most 20 entries" in answer["plain_text"]
    assert stored(harness, USER).limit == 20


@pytest.mark.parametrize("bad", ["zero", "0", "101", "-5", "2.5", "²"])
async def test_limit_refuses_what_is_out_of_bounds(harness: Harness, bad: str) -> None:
    await harness.start()
    await harness.say(USER, "/start")
    [answer] = await harness.say(USER, f"/limit {bad}")
    assert f"{bad} is not a number from 1 to 100" in answer["plain_text"]
    assert stored(harness, USER).limit == 30


# /pause, /resume


async def test_pause_and_resume_keep_everything(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    [paused] = await harness.say(USER, "/pause")
    assert "Daily digest paused" in paused["plain_text"]
    [again] = await harness.say(USER, "/pause")
    assert "already paused" in again["plain_text"]
    assert stored(harness, USER).paused
    [resumed] = await harness.say(USER, "/resume")
    assert "Daily digest on again. Next: 2024-11-29 08:00 (UTC)" in resumed["plain_text"]
    chat = stored(harness, USER)
    assert not chat.paused and chat.topics == ("cs.AI",)


# /settings


async def test_settings_show_everything_on_one_screen(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, '/subscribe cs.AI "a<b"')
    await harness.say(USER, "/timezone Asia/Shanghai")
    await harness.say(USER, "/time 09:00")
    [screen] = await harness.say(USER, "/settings")
    text = screen["plain_text"]
    assert 'Topics: cs.AI, "a<b"' in text
    assert "Language: English (en)" in text
    assert "Delivery: daily at 09:00 (Asia/Shanghai, UTC+08:00)" in text
    assert "Next digest: 2024-11-29 09:00 (Asia/Shanghai)" in text  # 20:00 there now
    assert "Entries per page: 30" in text
    assert "Daily digest: ▶ on" in text
    assert "Replaced papers (new versions): left out" in text
    assert "Translation needs an LLM" in text
    assert [label for label, _ in buttons(screen)] == [
        "⬜ Include replaced papers",
        "⏸ Pause daily digest",
        "📅 Switch to one digest a week (Monday)",
    ]


async def test_settings_with_an_llm_do_not_mention_translation(llm_harness: Harness) -> None:
    await llm_harness.start()
    [screen] = await llm_harness.say(USER, "/settings")
    assert "Language: English (en)" in screen["plain_text"]
    assert "LLM" not in screen["plain_text"]


async def test_settings_of_a_chinese_chat_are_in_chinese(harness: Harness) -> None:
    await harness.start()
    [screen] = await harness.say(USER, "/settings", language_code="zh-CN")
    assert screen["plain_text"].startswith("⚙️ 本聊天的设置")
    assert "翻译需要 LLM" in screen["plain_text"]
    assert harness.engine.store.get_chat(USER) is None  # looking stores nothing


async def test_settings_buttons_toggle_in_place(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    [screen] = await harness.say(USER, "/settings")
    (_, replacements), (_, pause), (_, frequency) = buttons(screen)
    answer = await press(harness, USER, screen["message_id"], replacements)
    assert answer["text"] == "Saved"
    now = shown(harness, USER, screen["message_id"])
    assert "Replaced papers (new versions): included" in now["text"]
    assert stored(harness, USER).include_replacements
    await press(harness, USER, screen["message_id"], pause)
    now = shown(harness, USER, screen["message_id"])
    assert "Daily digest: ⏸ paused" in now["text"]
    assert "Next digest: none while paused" in now["text"]
    labels = [b["text"] for row in now["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[:2] == ["✅ Include replaced papers", "▶ Resume daily digest"]
    assert stored(harness, USER).paused
    await press(harness, USER, screen["message_id"], frequency)
    now = shown(harness, USER, screen["message_id"])
    assert "Delivery: weekly on Monday at 08:00 (UTC, UTC+00:00)" in now["text"]
    assert now["reply_markup"]["inline_keyboard"][2][0]["text"] == "📅 Switch to a digest every day"
    assert stored(harness, USER).frequency == "weekly"
    assert len(harness.api.messages_to(USER)) == 2  # edited in place, nothing new sent


# groups


async def test_in_a_group_members_read_settings_but_only_admins_change_them(
    harness: Harness,
) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    [view] = await harness.say(GROUP, "/time", user_id=MEMBER)
    assert "The digest comes daily at 08:00" in view["plain_text"]
    for command in ("/time 09:00", "/timezone Asia/Tokyo", "/limit 5", "/lang zh", "/pause"):
        [refused] = await harness.say(GROUP, command, user_id=MEMBER)
        assert refused["plain_text"] == "Only this group's admins can change this."
    [screen] = await harness.say(GROUP, "/settings", user_id=MEMBER)
    answer = await press(
        harness, GROUP, screen["message_id"], buttons(screen)[1][1], user_id=MEMBER
    )
    assert answer["show_alert"]
    assert harness.engine.store.get_chat(GROUP) is None
    [changed] = await harness.say(GROUP, "/time 09:00", user_id=GROUP_ADMIN)
    assert "daily at 09:00" in changed["plain_text"]
    await press(harness, GROUP, screen["message_id"], buttons(screen)[1][1], user_id=GROUP_ADMIN)
    chat = stored(harness, GROUP)
    assert chat.time == "09:00" and chat.paused


# the schedule follows what was set


@pytest.mark.full_feed
@pytest.mark.slow
async def test_the_first_digest_comes_at_the_time_set_not_at_once(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    await harness.say(USER, "/time 13:00")
    await harness.settled()  # the new feed is fetched; 08:00 today is past, so nothing is sent
    assert len(harness.api.messages_to(USER)) == 2
    harness.clock.set(FEED_DAY + timedelta(hours=1, seconds=5))
    [digest, *_] = await harness.replies(USER, 2, 1)
    assert "2024-11-28" in digest["plain_text"]
