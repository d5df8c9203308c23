"""What a user sees of /start, /help, /subscribe, /unsubscribe and /list, private and group."""

from __future__ import annotations

from tests.handlers import GROUP, GROUP_ADMIN, MEMBER, buttons, press, shown, stored
from tests.harness import FEED_DAY, Harness

USER = 501


def feed_paths(harness: Harness) -> list[str]:
    return [seen.path for seen in harness.feeds.feed_requests()]


# /start and /help


async def test_start_greets_explains_and_creates_the_chat_with_the_defaults(
    harness: Harness,
) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/start")
    assert "daily digest of new arXiv papers" in answer["plain_text"]
    assert '/subscribe "weather forecast"' in answer["plain_text"]  # examples
    assert "only admins" not in answer["plain_text"]
    chat = stored(harness, USER)
    assert (chat.lang, chat.time, chat.timezone, chat.limit) == ("en", "08:00", "UTC", 30)
    assert chat.active and not chat.is_group and chat.topics == ()
    assert chat.last_slot == FEED_DAY.isoformat()  # the first digest is the next 08:00, not now


async def test_start_speaks_the_language_of_the_users_telegram(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/start", language_code="zh-hans")
    assert "你好" in answer["plain_text"]
    assert stored(harness, USER).lang == "zh"


async def test_a_language_without_catalog_gets_english_words(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/start", language_code="ja")
    assert answer["plain_text"].startswith("👋 Hello!")
    assert stored(harness, USER).lang == "ja"  # summaries still come in Japanese


async def test_start_in_a_group_says_only_admins_change_things(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(GROUP, "/start", user_id=MEMBER)
    assert "only admins change topics and settings" in answer["plain_text"]
    assert stored(harness, GROUP).is_group


async def test_help_lists_every_command_with_examples(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/help")
    for command in (
        "/subscribe",
        "/unsubscribe",
        "/list",
        "/digest",
        "/paper",
        "/lang",
        "/time",
        "/timezone",
        "/limit",
        "/pause",
        "/resume",
        "/export",
        "/settings",
    ):
        assert command in answer["plain_text"]
    assert harness.engine.store.get_chat(USER) is None  # reading help stores nothing


# /subscribe


async def test_subscribe_adds_a_category_and_a_phrase(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, '/subscribe cs.AI "weather forecast"')
    assert answer["plain_text"].startswith('✅ Added: cs.AI, "weather forecast"')
    assert 'follows 2 topics: cs.AI, "weather forecast"' in answer["plain_text"]
    assert "Next digest: 2024-11-29 08:00 (UTC)" in answer["plain_text"]
    assert stored(harness, USER).topics == ("cs.AI", '"weather forecast"')


async def test_any_case_is_stored_canonical_once(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/sub CS.ai cs.AI")
    assert "Added: cs.AI\n" in answer["plain_text"]
    [again] = await harness.say(USER, "/subscribe cs.ai hep-th")
    assert "Added: hep-th" in again["plain_text"]
    assert "Already followed: cs.AI" in again["plain_text"]
    assert stored(harness, USER).topics == ("cs.AI", "hep-th")


async def test_authors_and_exclusions_are_kept_as_typed(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, '/subscribe au:"Yann LeCun" -"survey"')
    assert 'Added: au:"Yann LeCun", -"survey"' in answer["plain_text"]
    assert stored(harness, USER).topics == ('au:"Yann LeCun"', '-"survey"')


async def test_exclusions_alone_are_added_with_a_hint(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, '/subscribe -"survey"')
    assert "Exclusions only leave papers out" in answer["plain_text"]


async def test_an_unknown_category_is_refused_with_suggestions_and_nothing_added(
    harness: Harness,
) -> None:
    await harness.start()
    [answer] = await harness.say(USER, '/subscribe cs.AI "graph neural networks" cs.XY')
    lines = answer["plain_text"].split("\n")
    assert lines[0] == "❓ cs.XY is not an arXiv category."
    assert lines[1].startswith("Did you mean: cs.") and "cs.CY" in lines[1]  # the closest ones
    assert lines[2] == "Nothing was added."
    assert stored(harness, USER).topics == ()


async def test_excluding_a_category_is_explained_and_nothing_added(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/subscribe cs.AI -cs.LG")
    assert "Nothing was added" in answer["plain_text"]
    assert '-"survey"' in answer["plain_text"]
    assert stored(harness, USER).topics == ()


async def test_subscribe_without_topics_shows_how(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/subscribe")
    assert answer["plain_text"].startswith("Tell me what to follow")
    assert '/subscribe au:"Yann LeCun"' in answer["plain_text"]


async def test_markup_in_a_topic_is_shown_as_typed(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, '/subscribe "a<b & c"')
    assert '"a&lt;b &amp; c"' in answer["text"]
    assert 'Added: "a<b & c"' in answer["plain_text"]
    [listing] = await harness.say(USER, "/list")
    assert '"a<b & c"' in listing["plain_text"]


async def test_a_topic_too_long_for_a_message_is_refused(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, '/subscribe "' + "word " * 30 + '"')
    assert "too long" in answer["plain_text"]
    assert stored(harness, USER).topics == ()


async def test_a_chat_follows_at_most_forty_topics(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe " + " ".join(f"word{n}" for n in range(30)))
    [answer] = await harness.say(USER, "/subscribe " + " ".join(f"term{n}" for n in range(11)))
    assert "at most 40 topics; this would make 41. Nothing was added." in answer["plain_text"]
    assert len(stored(harness, USER).topics) == 30


async def test_a_new_feed_is_fetched_right_away_and_a_known_one_is_not(harness: Harness) -> None:
    await harness.start()
    assert feed_paths(harness) == []  # no chat yet: the start-up fetch asked for nothing
    await harness.say(USER, "/subscribe cs.AI")
    await harness.wait_until(lambda: "/rss/cs.AI" in feed_paths(harness))
    await harness.settled()
    asked = len(feed_paths(harness))
    await harness.say(USER + 1, "/subscribe cs.AI")
    await harness.settled()  # a fetch it asked for would be counted before its reply
    assert len(feed_paths(harness)) == asked


# /unsubscribe


async def test_unsubscribe_removes_some_and_names_those_not_followed(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, '/subscribe cs.AI cs.LG "weather forecast"')
    [answer] = await harness.say(USER, '/unsub CS.lg hep-th "Weather Forecast"')
    assert 'Removed: cs.LG, "weather forecast"' in answer["plain_text"]
    assert "Not followed, so not removed: hep-th" in answer["plain_text"]
    assert "follows 1 topic: cs.AI" in answer["plain_text"]
    assert stored(harness, USER).topics == ("cs.AI",)


async def test_unsubscribe_all_removes_everything(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI cs.LG")
    [answer] = await harness.say(USER, "/unsubscribe all")
    assert "Removed all 2 topics" in answer["plain_text"]
    assert stored(harness, USER).topics == ()


async def test_unsubscribe_of_an_unknown_category_suggests_the_right_one(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI")
    [answer] = await harness.say(USER, "/unsubscribe cs.XY")
    assert answer["plain_text"].startswith("❓ cs.XY is not an arXiv category.\nDid you mean")
    assert "added" not in answer["plain_text"]
    assert stored(harness, USER).topics == ("cs.AI",)


async def test_unsubscribe_without_topics_shows_how(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/unsubscribe")
    assert "/unsubscribe all" in answer["plain_text"]


# /list


async def test_list_has_a_button_per_topic_and_one_press_removes_it(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, '/subscribe cs.AI "weather forecast"')
    [listing] = await harness.say(USER, "/list")
    assert "follows 2 topics" in listing["plain_text"]
    assert "cs.AI — Artificial Intelligence" in listing["plain_text"]
    labels = [label for label, _ in buttons(listing)]
    assert labels == ["✖ cs.AI", '✖ "weather forecast"']
    answer = await press(harness, USER, listing["message_id"], buttons(listing)[0][1])
    assert answer["text"] == "Removed cs.AI"
    now = shown(harness, USER, listing["message_id"])
    assert "follows 1 topic" in now["text"] and "cs.AI" not in now["text"]
    assert [b["text"] for row in now["reply_markup"]["inline_keyboard"] for b in row] == [
        '✖ "weather forecast"'
    ]
    assert stored(harness, USER).topics == ('"weather forecast"',)


async def test_a_button_of_a_topic_removed_meanwhile_says_so(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI cs.LG")
    [listing] = await harness.say(USER, "/list")
    await harness.say(USER, "/unsubscribe cs.AI")
    answer = await press(harness, USER, listing["message_id"], buttons(listing)[0][1])
    assert answer["text"] == "That topic was already removed."
    assert "follows 1 topic" in shown(harness, USER, listing["message_id"])["text"]
    assert stored(harness, USER).topics == ("cs.LG",)


async def test_a_second_tap_on_a_remove_button_changes_nothing(harness: Harness) -> None:
    await harness.start()
    await harness.say(USER, "/subscribe cs.AI cs.LG")
    [listing] = await harness.say(USER, "/list")
    data = buttons(listing)[0][1]
    await press(harness, USER, listing["message_id"], data)
    answer = await press(harness, USER, listing["message_id"], data)  # a double tap
    assert answer["text"] == "That topic was already removed."
    assert stored(harness, USER).topics == ("cs.LG",)  # and no edit Telegram would refuse


async def test_long_topics_get_short_button_data(harness: Harness) -> None:
    await harness.start()
    phrase = "spatiotemporal graph neural networks for medium range weather"
    await harness.say(USER, f'/subscribe "{phrase}" au:"Jean-Pierre Serre"')
    [listing] = await harness.say(USER, "/list")
    assert all(len(data.encode()) <= 64 for _, data in buttons(listing))
    await press(harness, USER, listing["message_id"], buttons(listing)[0][1])
    assert stored(harness, USER).topics == ('au:"Jean-Pierre Serre"',)


async def test_list_of_a_chat_without_topics_says_how_to_add_one(harness: Harness) -> None:
    await harness.start()
    [answer] = await harness.say(USER, "/list")
    assert "follows no topics yet" in answer["plain_text"]
    assert answer["reply_markup"] is None


# groups: only admins change, everyone reads


async def test_in_a_group_only_admins_subscribe_and_unsubscribe(harness: Harness) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    [refused] = await harness.say(GROUP, "/subscribe cs.AI", user_id=MEMBER)
    assert refused["plain_text"] == "Only this group's admins can change this."
    assert harness.engine.store.get_chat(GROUP) is None
    [added] = await harness.say(GROUP, "/subscribe cs.AI cs.LG", user_id=GROUP_ADMIN)
    assert "Added: cs.AI, cs.LG" in added["plain_text"]
    [refused] = await harness.say(GROUP, "/unsubscribe all", user_id=MEMBER)
    assert "Only this group's admins" in refused["plain_text"]
    assert stored(harness, GROUP).topics == ("cs.AI", "cs.LG")


async def test_the_group_creator_counts_as_an_admin(harness: Harness) -> None:
    harness.api.set_admins(GROUP, [], creator_id=GROUP_ADMIN)
    await harness.start()
    [added] = await harness.say(GROUP, "/subscribe cs.AI", user_id=GROUP_ADMIN)
    assert "Added: cs.AI" in added["plain_text"]


async def test_in_a_group_anyone_lists_but_only_admins_press_remove(harness: Harness) -> None:
    harness.api.set_admins(GROUP, [GROUP_ADMIN])
    await harness.start()
    await harness.say(GROUP, "/subscribe cs.AI", user_id=GROUP_ADMIN)
    [listing] = await harness.say(GROUP, "/list", user_id=MEMBER)
    assert "cs.AI" in listing["plain_text"]
    data = buttons(listing)[0][1]
    answer = await press(harness, GROUP, listing["message_id"], data, user_id=MEMBER)
    assert answer["show_alert"] and answer["text"] == "Only this group's admins can change this."
    assert stored(harness, GROUP).topics == ("cs.AI",)
    await press(harness, GROUP, listing["message_id"], data, user_id=GROUP_ADMIN)
    assert stored(harness, GROUP).topics == ()


async def test_editing_an_old_subscribe_into_unsubscribe_all_changes_nothing(
    harness: Harness,
) -> None:
    await harness.start()
    before = len(harness.api.messages_to(USER))
    typed = harness.api.push_message(USER, "/subscribe cs.AI")
    await harness.replies(USER, before, 1)
    await harness.say(USER, "/subscribe cs.LG")
    sent = len(harness.api.messages_to(USER))
    harness.api.push_edit(USER, typed["message_id"], "/unsubscribe all")
    harness.api.push_edit(USER, typed["message_id"], "3")  # nor does an edit into a number
    await harness.idle()
    assert stored(harness, USER).topics == ("cs.AI", "cs.LG")
    assert len(harness.api.messages_to(USER)) == sent  # no reply to an edit
