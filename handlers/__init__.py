"""Telegram update handlers: the chat face of the bot, one module per group of commands."""
