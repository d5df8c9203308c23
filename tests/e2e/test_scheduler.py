"""When a chat's digest falls due: its HH:MM in its own time zone, once per slot, across DST."""

from datetime import UTC, datetime

from bot.models import Chat
from bot.scheduler import latest_slot, slot_due

SHANGHAI = Chat(chat_id=1, topics=("cs.AI",), time="08:30", timezone="Asia/Shanghai")


def test_the_latest_slot_is_today_after_the_time_and_yesterday_before_it():
    after = datetime(2024, 11, 29, 0, 31, tzinfo=UTC)  # 08:31 in Shanghai
    before = datetime(2024, 11, 29, 0, 29, tzinfo=UTC)  # 08:29 in Shanghai
    assert latest_slot(SHANGHAI, after) == datetime(2024, 11, 29, 0, 30, tzinfo=UTC)
    assert latest_slot(SHANGHAI, before) == datetime(2024, 11, 28, 0, 30, tzinfo=UTC)


def test_a_slot_is_due_once_then_not_again():
    now = datetime(2024, 11, 29, 0, 31, tzinfo=UTC)
    chat = SHANGHAI.with_changes(last_slot="2024-11-28T00:30:00+00:00")
    slot = slot_due(chat, now)
    assert slot == "2024-11-29T00:30:00+00:00"
    assert slot_due(chat.with_changes(last_slot=slot), now) is None


def test_a_new_chat_waits_for_its_next_hhmm_rather_than_getting_one_now():
    created = datetime(2024, 11, 28, 12, 0, tzinfo=UTC)
    chat = SHANGHAI.with_changes(last_slot=created.isoformat())
    assert slot_due(chat, created) is None
    assert slot_due(chat, datetime(2024, 11, 29, 0, 30, tzinfo=UTC)) is not None


def test_local_time_holds_across_a_daylight_saving_change():
    berlin = Chat(chat_id=2, topics=("cs.AI",), time="07:00", timezone="Europe/Berlin")
    summer = latest_slot(berlin, datetime(2024, 10, 26, 12, 0, tzinfo=UTC))
    winter = latest_slot(berlin, datetime(2024, 10, 28, 12, 0, tzinfo=UTC))
    assert (summer.hour, winter.hour) == (5, 6)  # 07:00 CEST, then 07:00 CET


def test_paused_inactive_and_topicless_chats_are_never_due():
    now = datetime(2024, 11, 29, 0, 31, tzinfo=UTC)
    for chat in (
        SHANGHAI.with_changes(paused=True),
        SHANGHAI.with_changes(active=False),
        SHANGHAI.with_changes(topics=()),
    ):
        assert slot_due(chat, now) is None


def test_asap_chats_are_due_whenever_checked():
    now = datetime(2024, 11, 29, 0, 31, tzinfo=UTC)
    assert slot_due(SHANGHAI.with_changes(time="asap"), now) == now.isoformat()
