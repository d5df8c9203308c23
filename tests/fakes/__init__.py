"""Loopback stand-ins for arXiv, the LLM and the Telegram Bot API."""
