"""The exceptions the engine raises, one family so callers can turn any of them into one line."""


class DigestError(Exception):
    """Base of every error the engine raises on purpose; its text is fit for a user."""


class ConfigError(DigestError):
    """A setting is missing or has a bad value."""


class FetchError(DigestError):
    """arXiv could not be reached, or kept failing after the retries."""


class FeedError(DigestError):
    """A feed or API answer could not be read as papers (malformed, or an error feed)."""


class UnknownTopicError(DigestError):
    """A topic names no arXiv category or archive; carries the closest valid ones."""

    def __init__(self, topic: str, suggestions: tuple[str, ...] = ()) -> None:
        self.topic = topic
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown arXiv category: {topic}.{hint}")


class SummarizeError(DigestError):
    """The LLM gave no usable answer for a paper (after its retry)."""
