"""Votes (one row per chat, paper and user) and stored embeddings, through the Store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.models import Paper
from bot.ranking.embed import decode_vector, encode_vector
from bot.store import FILENAME, Store

UP, DOWN = 1, -1


def test_a_vote_again_withdraws_it_and_the_other_flips_it(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        assert store.press_vote(-5, "2411.00001", 7, UP).mine == UP
        assert store.press_vote(-5, "2411.00001", 8, UP).up == 2
        flipped = store.press_vote(-5, "2411.00001", 7, DOWN)
        assert (flipped.up, flipped.down, flipped.mine) == (1, 1, DOWN)
        withdrawn = store.press_vote(-5, "2411.00001", 7, DOWN)
        assert (withdrawn.up, withdrawn.down, withdrawn.mine) == (1, 0, 0)
        assert store.vote_tally(-5, "2411.00001", 8).mine == UP
        assert store.vote_tally(-6, "2411.00001").up == 0  # another chat's votes are its own


def test_a_chats_votes_add_up_over_its_members(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        store.press_vote(-5, "2411.00001", 7, UP)
        store.press_vote(-5, "2411.00001", 8, UP)
        store.press_vote(-5, "2411.00001", 9, DOWN)  # 2 up, 1 down: liked
        store.press_vote(-5, "2411.00002", 7, DOWN)
        store.press_vote(-5, "2411.00003", 7, UP)
        store.press_vote(-5, "2411.00003", 8, DOWN)  # even: neither
        store.press_vote(-50, "2411.00009", 7, UP)  # a chat whose id starts alike
        votes = store.chat_votes(-5)
        assert (votes.liked, votes.disliked, votes.count) == (("2411.00001",), ("2411.00002",), 6)


def test_votes_are_one_json_row_each_and_move_with_a_supergroup(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        from bot.models import Chat

        store.put_chat(Chat(-5, is_group=True))
        store.press_vote(-5, "2411.00001", 7, UP)
        assert store.move_chat(-5, -1005)
        assert store.chat_votes(-1005).liked == ("2411.00001",)
        assert store.chat_votes(-5).count == 0
    with sqlite3.connect(tmp_path / FILENAME) as conn:
        assert conn.execute("SELECT key, value FROM votes").fetchall() == [
            ("-1005:2411.00001:7", "1")
        ]
    conn.close()


def test_vectors_of_pruned_papers_go_with_them(tmp_path: Path) -> None:
    old = Paper("2301.00001", 1, "old", "a", announced="2023-01-02")
    new = Paper("2411.00001", 2, "new", "a", announced="2099-01-02")
    with Store(tmp_path) as store:
        store.put_papers([old, new])
        vector = encode_vector([0.5, -1.0])
        store.put_vectors(
            {f"m:v:paper:{p.key}": vector for p in (old, new)} | {"m:v:text:ab": vector}
        )
        store.prune(keep_days=30)
        kept = store.get_vectors([f"m:v:paper:{old.key}", f"m:v:paper:{new.key}", "m:v:text:ab"])
        assert sorted(kept) == ["m:v:paper:2411.00001v2", "m:v:text:ab"]
        assert decode_vector(kept["m:v:text:ab"]).tolist() == [0.5, -1.0]
