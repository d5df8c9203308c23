"""The exceptions the engine raises, one family so callers can turn any of them into one line."""


class DigestError(Exception):
    """Base of every error the engine raises on purpose; its text is fit for a user."""


class ConfigError(DigestError):
    """A setting is missing or has a bad value."""


class FetchError(DigestError):
    """arXiv could not be reached, or kept failing after the retries."""


class ResponseTooLargeError(FetchError):
    """An answer from arXiv grew past `arxiv.max_response_bytes` once decoded; its read stopped."""

    def __init__(self, url: str, limit: int, received: int) -> None:
        self.url = url
        self.limit = limit
        self.received = received  # decoded bytes read before the read stopped
        super().__init__(f"arXiv's answer for {url} is too large (over {limit:,} bytes); not read")


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


class LinksError(DigestError):
    """The Hugging Face paper API failed, was too slow, or answered something else than JSON."""
