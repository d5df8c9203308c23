"""The test suite: offline, against loopback arXiv, LLM and Telegram servers."""
