"""The store's calls as awaitables, each run in a worker thread, so none blocks the event loop."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from bot import lanes
from bot.models import Chat, Digest, Paper, Summary

if TYPE_CHECKING:
    from bot.store import Store
    from bot.store.votes import ChatVotes, Tally


class AsyncStore:
    """`await engine.db.put_chat(chat)`: the same step as `store.put_chat(chat)`, off the loop.

    Each method mirrors the Store method of the same name (one commit per write); a caller
    that needs several calls in one thread passes a function to `store.run`.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    async def get_chat(self, chat_id: int) -> Chat | None:
        return await lanes.in_thread(self.store.get_chat, chat_id)

    async def put_chat(self, chat: Chat) -> None:
        await lanes.in_thread(self.store.put_chat, chat)

    async def all_chats(self) -> list[Chat]:
        return await lanes.in_thread(self.store.all_chats)

    async def move_chat(self, old_id: int, new_id: int) -> bool:
        return await lanes.in_thread(self.store.move_chat, old_id, new_id)

    async def get_paper(self, paper_id: str) -> Paper | None:
        return await lanes.in_thread(self.store.get_paper, paper_id)

    async def get_papers(self, paper_ids: Sequence[str]) -> dict[str, Paper]:
        return await lanes.in_thread(self.store.get_papers, paper_ids)

    async def latest_day(self) -> str:
        return await lanes.in_thread(self.store.latest_day)

    async def get_summaries(self, paper_keys: Sequence[str], lang: str) -> dict[str, Summary]:
        return await lanes.in_thread(self.store.get_summaries, paper_keys, lang)

    async def put_summaries(self, summaries: Iterable[Summary]) -> None:
        await lanes.in_thread(self.store.put_summaries, list(summaries))

    async def get_feed_state(self, query: str) -> dict[str, Any]:
        return await lanes.in_thread(self.store.get_feed_state, query)

    async def put_feed_state(self, query: str, state: dict[str, Any]) -> None:
        await lanes.in_thread(self.store.put_feed_state, query, state)

    async def next_digest_number(self, chat_id: int) -> int:
        return await lanes.in_thread(self.store.next_digest_number, chat_id)

    async def add_digest(self, digest: Digest, chat: Chat) -> None:
        await lanes.in_thread(self.store.add_digest, digest, chat)

    async def put_digest(self, digest: Digest) -> None:
        await lanes.in_thread(self.store.put_digest, digest)

    async def record_sent(self, digest: Digest) -> None:
        """A digest's delivery progress, committed the moment the sent message is answered."""
        await self.store.journal.record(digest)

    async def get_digest(self, chat_id: int, number: int) -> Digest | None:
        return await lanes.in_thread(self.store.get_digest, chat_id, number)

    async def latest_digest(self, chat_id: int) -> Digest | None:
        return await lanes.in_thread(self.store.latest_digest, chat_id)

    async def undelivered_digests(self) -> list[Digest]:
        return await lanes.in_thread(self.store.undelivered_digests)

    async def digest_for_message(self, chat_id: int, message_id: int) -> Digest | None:
        return await lanes.in_thread(self.store.digest_for_message, chat_id, message_id)
        return await lanes.in_thread(self.store.digest_for_message, chat_id, message_id)

    async def sent_paper_ids(self, chat_id: int) -> set[str]:
        return await lanes.in_thread(self.store.sent_paper_ids, chat_id)

    async def counters(self) -> dict[str, int]:
        return await lanes.in_thread(self.store.counters)

    async def table_sizes(self) -> dict[str, int]:
        return await lanes.in_thread(self.store.table_sizes)

    async def save_paper(self, chat_id: int, paper: Paper, at: float) -> bool:
        return await lanes.in_thread(self.store.save_paper, chat_id, paper, at)

    async def unsave_paper(self, chat_id: int, paper_id: str) -> bool:
        return await lanes.in_thread(self.store.unsave_paper, chat_id, paper_id)

    async def toggle_saved(self, chat_id: int, paper_id: str, at: float) -> bool:
        return await lanes.in_thread(self.store.toggle_saved, chat_id, paper_id, at)

    async def is_saved(self, chat_id: int, paper_id: str) -> bool:
        return await lanes.in_thread(self.store.is_saved, chat_id, paper_id)

    async def saved_paper_ids(self, chat_id: int) -> list[str]:
        return await lanes.in_thread(self.store.saved_paper_ids, chat_id)

    async def put_saved_view(self, chat_id: int, paper_ids: list[str]) -> None:
        await lanes.in_thread(self.store.put_saved_view, chat_id, paper_ids)

    async def saved_view(self, chat_id: int) -> list[str] | None:
        return await lanes.in_thread(self.store.saved_view, chat_id)

    async def press_vote(self, chat_id: int, paper_id: str, user_id: int, value: int) -> Tally:
        return await lanes.in_thread(self.store.press_vote, chat_id, paper_id, user_id, value)

    async def vote_tally(self, chat_id: int, paper_id: str, user_id: int = 0) -> Tally:
        return await lanes.in_thread(self.store.vote_tally, chat_id, paper_id, user_id)

    async def chat_votes(self, chat_id: int) -> ChatVotes:
        return await lanes.in_thread(self.store.chat_votes, chat_id)

    async def set_interests(self, chat_id: int, interests: str) -> Chat | None:
        return await lanes.in_thread(self.store.set_interests, chat_id, interests)

    async def set_interest_terms(
        self, chat_id: int, interests: str, terms: tuple[str, ...], failed: bool = False
    ) -> Chat | None:
        return await lanes.in_thread(
            self.store.set_interest_terms, chat_id, interests, terms, failed
        )
