"""What every Telegram-facing module uses: the one send path with its flood limits and
fallbacks, digest delivery, the update order, keyboards, button data, the command menu."""

from __future__ import annotations

from bot.telegram.buttons import (
    Button,
    PageButton,
    PaperButton,
    ReadyButton,
    RemoveButton,
    SaveButton,
    SavedPageButton,
    SettingButton,
    UnsaveButton,
    VoteButton,
    page_data,
    parse_button,
    ready_data,
    remove_data,
    save_data,
    saved_page_data,
    setting_data,
    topic_token,
    unsave_data,
)
from bot.telegram.deliver import send_page
from bot.telegram.drafts import LiveText
from bot.telegram.keyboards import BUTTONS_PER_ROW, paper_keyboard, save_label
from bot.telegram.menu import command_menus
from bot.telegram.ratelimit import FloodLimiter, bulk_sends
from bot.telegram.send import (
    edit_parts,
    fit_message,
    mark_inactive,
    move_chat,
    send_document,
    send_html,
)
from bot.telegram.updates import PerChatUpdateProcessor

__all__ = [
    "BUTTONS_PER_ROW",
    "Button",
    "FloodLimiter",
    "LiveText",
    "PageButton",
    "PaperButton",
    "PerChatUpdateProcessor",
    "ReadyButton",
    "RemoveButton",
    "SaveButton",
    "SavedPageButton",
    "SettingButton",
    "UnsaveButton",
    "VoteButton",
    "bulk_sends",
    "command_menus",
    "fit_message",
    "mark_inactive",
    "move_chat",
    "page_data",
    "paper_keyboard",
    "parse_button",
    "ready_data",
    "remove_data",
    "save_data",
    "save_label",
    "saved_page_data",
    "send_document",
    "send_html",
    "edit_parts",
    "send_page",
    "setting_data",
    "topic_token",
    "unsave_data",
]
