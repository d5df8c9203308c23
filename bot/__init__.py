"""arxiv-digest: daily arXiv digests, summarized and translated, delivered over Telegram."""

__version__ = "0.1.0"
