"""The offline ranker: interests, votes and boosts order a chat's papers and say why."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

import bot.ranking.rank
from bot.arxiv.parse import parse_feed
from bot.models import Paper
from bot.ranking.rank import (
    NO_REASON,
    PaperIndex,
    Reason,
    Signal,
    rank,
    reason_text,
    vote_model,
)

FEED = Path(__file__).parents[1] / "fixtures" / "arxiv" / "rss2-all-archives-2024-11-28.xml"

TOPICS = {
    "qec": ("Decoding surface codes", "We study quantum error correction with surface codes and a new decoder for logical qubits."),
    "gnn": ("Message passing for molecules", "Graph neural networks predict molecular properties from atoms and bonds of each molecule."),
    "galaxy": ("Galaxy clusters at high redshift", "We observe galaxy clusters and measure the mass of dark matter halos with weak lensing."),
    "protein": ("Protein folding with diffusion", "A diffusion model for protein folding predicts the structure of amino acid chains."),
    "agents": ("Safe LLM agents", "Large language model agents use tools; we evaluate the safety of such agents against attacks."),
    "fluids": ("Turbulence in pipes", "Direct numerical simulation of turbulent pipe flow at high Reynolds number."),
    "social": ("Graph neural networks for social networks", "Graph neural networks detect communities of users in social networks and friendships."),
    "poker": ("Equilibria in poker", "We compute Nash equilibria of poker games with counterfactual regret minimization."),
}  # fmt: skip


def make_paper(name: str, number: int, authors: tuple[str, ...] = ("A. Author",)) -> Paper:
    title, abstract = TOPICS[name]
    return Paper(f"2411.{number:05d}", 1, title, abstract, authors, ("cs.LG",))


@pytest.fixture(scope="module")
def day() -> list[Paper]:
    """A day of eight papers on unrelated subjects, in feed order."""
    return [make_paper(name, n) for n, name in enumerate(TOPICS)]


@pytest.fixture(scope="module")
def index(day: list[Paper]) -> PaperIndex:
    return PaperIndex(day)


@pytest.fixture(scope="module")
def feed_papers() -> list[Paper]:
    return list(parse_feed(FEED.read_bytes()).papers)


@pytest.fixture(scope="module")
def feed_index(feed_papers: list[Paper]) -> PaperIndex:
    return PaperIndex(feed_papers)


def titles(ranked) -> list[str]:
    return [r.paper.title for r in ranked]


def test_a_chat_without_interests_or_votes_keeps_todays_order(index, day) -> None:
    boosts_only = Signal.for_chat(['au:"A. Author"', '"protein folding"', "cs.LG"])
    for signal in (Signal(), Signal(interests="   "), boosts_only):
        ranked = rank(index, day, signal)
        assert [r.paper for r in ranked] == day
        assert all(r.reason == NO_REASON for r in ranked)
        assert reason_text(ranked[0].reason, "en") == ""


def test_interests_bring_the_matching_papers_to_the_top(feed_index, feed_papers) -> None:
    ranked = rank(feed_index, feed_papers, Signal(interests="gravitational waves"), reasons_for=10)

    def on_subject(papers: list[Paper]) -> int:
        return sum("gravitational wave" in (p.title + p.abstract).lower() for p in papers)

    top = [r.paper for r in ranked[:10]]
    assert on_subject(top[:5]) == 5 and on_subject(top) >= 8  # 16 of the day's 1,504 papers
    assert on_subject(feed_papers[:10]) == 0  # the feed's own order does not put them first
    assert ranked[0].reason.kind == "interest"
    assert ranked[0].reason.words == ("gravitational waves",)
    assert sorted(r.paper.id for r in ranked) == sorted(p.id for p in feed_papers)


def test_a_liked_paper_brings_similar_papers_up(index, day) -> None:
    yesterday = Paper(
        "2411.09999",
        1,
        "Graph networks for drug molecules",
        "Graph neural networks on molecular graphs of atoms predict drug molecule properties.",
    )
    ranked = rank(index, day, Signal(liked=(yesterday,)))
    assert ranked[0].paper.title == "Message passing for molecules"
    assert ranked[0].reason == Reason("liked", title=yesterday.title, paper_id=yesterday.id)
    assert "Graph networks for drug molecules" in reason_text(ranked[0].reason, "en")
    late = Paper(
        "2411.08888", 1, "Molecule graphs, late", "Graph neural networks for drug molecules."
    )
    with_late = rank(index, [*day, late], Signal(liked=(yesterday,)))  # a paper the index lacks
    assert [r.paper.title for r in with_late[:2]] == [late.title, "Message passing for molecules"]


def test_a_disliked_paper_pushes_similar_papers_down(index, day) -> None:
    interests = "graph neural networks"
    plain = titles(rank(index, day, Signal(interests=interests)))
    social = make_paper("social", 6)
    disliking = titles(rank(index, day, Signal(interests=interests, disliked=(social.id,))))
    assert plain.index(social.title) < plain.index("Message passing for molecules")
    assert disliking.index(social.title) > disliking.index("Message passing for molecules")


def test_followed_authors_and_phrases_keep_their_boost(day) -> None:
    papers = [*day[:5], make_paper("fluids", 5, authors=("Ada Lovelace",)), *day[6:]]
    index = PaperIndex(papers)
    signal = Signal.for_chat(
        ['au:"Ada Lovelace"', '"protein folding"', "cs.LG"], interests="galaxy clusters dark matter"
    )
    ranked = rank(index, papers, signal)
    assert titles(ranked)[:3] == [
        "Turbulence in pipes",  # followed author: the largest boost
        "Galaxy clusters at high redshift",  # the interest
        "Protein folding with diffusion",  # the phrase
    ]
    assert ranked[0].reason == Reason("author", name="Ada Lovelace")
    assert ranked[1].reason.kind == "interest"
    assert ranked[2].reason == Reason("phrase", name="protein folding")
    assert all(r.reason == NO_REASON for r in ranked[3:])  # nothing links the rest to the chat


def test_reasons_name_the_interest_words_in_the_users_order(index, day) -> None:
    ranked = rank(index, day, Signal(interests="Safety of LLM agents, and poker"), reasons_for=2)
    assert [r.paper.title for r in ranked[:2]] == ["Safe LLM agents", "Equilibria in poker"]
    assert ranked[0].reason.words == ("safety", "llm agents")
    assert ranked[1].reason.words == ("poker",)
    assert ranked[2].reason == NO_REASON  # only the first `reasons_for` are explained


def test_reason_lines_are_in_the_chats_language_and_escaped() -> None:
    liked = Reason("liked", title="Bounds for 1<p<2 & beyond", paper_id="2411.00001")
    english = reason_text(liked, "en")
    assert english.startswith("💡") and "1&lt;p&lt;2 &amp; beyond" in english
    chinese = reason_text(Reason("interest", words=("graph", "<b>")), "zh")
    assert chinese.startswith("💡") and "兴趣" in chinese and "&lt;b&gt;" in chinese
    assert "Yann LeCun" in reason_text(Reason("author", name="Yann LeCun"), "zh")
    assert reason_text(Reason("phrase", name="weather forecast"), "en").startswith("💡")


def test_interests_in_another_language_rank_by_their_latin_words(index, day) -> None:
    only_chinese = rank(index, day, Signal(interests="我想看关于量子纠错和星系团的论文"))
    assert [r.paper for r in only_chinese] == day  # no word to match: today's order, no crash
    assert all(r.reason == NO_REASON for r in only_chinese)
    mixed = rank(index, day, Signal(interests="我研究quantum error correction和decoder"))
    assert mixed[0].paper.title == "Decoding surface codes"
    assert mixed[0].reason.words == ("quantum error correction", "decoder")
    accented = rank(index, day, Signal(interests="Modèles de diffusion pour les protéines"))
    assert accented[0].paper.title == "Protein folding with diffusion"


def test_enough_votes_switch_to_a_linear_model_that_follows_them(day, monkeypatch) -> None:
    liked = [
        Paper(
            f"2410.0000{n}",
            1,
            f"Molecule graphs {n}",
            f"Graph neural networks for molecules and atoms, study {n}.",
        )
        for n in range(3)
    ]
    disliked = [
        Paper(
            f"2410.0001{n}",
            1,
            f"Social graphs {n}",
            f"Graph neural networks for social networks of users, study {n}.",
        )
        for n in range(3)
    ]
    index = PaperIndex(day)
    two_each = Signal(
        interests="graph neural networks", liked=tuple(liked[:2]), disliked=tuple(disliked[:2])
    )
    three_each = Signal(
        interests="graph neural networks", liked=tuple(liked), disliked=tuple(disliked)
    )
    assert vote_model(two_each) == "cosine"
    assert vote_model(three_each) == "linear"
    interest_only = rank(index, day, Signal(interests="graph neural networks"))
    voted = rank(index, day, three_each)
    assert titles(interest_only)[0] == "Graph neural networks for social networks"
    assert titles(voted)[0] == "Message passing for molecules"
    social = next(r for r in voted if r.paper.title == "Graph neural networks for social networks")
    assert voted.index(social) > 1  # below papers the votes say nothing about
    assert social.score < next(r.score for r in interest_only if r.paper == social.paper)
    monkeypatch.setattr(
        bot.ranking.rank, "MIN_VOTES_FOR_MODEL", 4
    )  # the same votes, centroids only
    assert vote_model(three_each) == "cosine"
    centroids_only = rank(index, day, three_each)
    assert social.score < next(r.score for r in centroids_only if r.paper == social.paper)


def test_ten_thousand_chats_share_one_fitted_index(monkeypatch, day) -> None:
    fits = []
    real_fit = TfidfVectorizer.fit_transform

    def counting_fit(self, *args, **kwargs):
        fits.append(self)
        return real_fit(self, *args, **kwargs)

    monkeypatch.setattr(TfidfVectorizer, "fit_transform", counting_fit)
    monkeypatch.setattr(
        TfidfVectorizer, "transform", lambda *a, **k: pytest.fail("refit/transform per chat")
    )
    index = PaperIndex(day)
    subjects = list(TOPICS)
    firsts = set()
    for chat in range(10_000):
        name = subjects[chat % len(subjects)]
        signal = Signal(interests=f"{TOPICS[name][0]} {chat}", liked=(day[chat % len(day)].id,))
        firsts.add(rank(index, day, signal, reasons_for=3)[0].paper.id)
    assert len(fits) == 1
    assert len(firsts) == len(day)  # each chat got its own order from the shared vectors


def test_an_empty_day_ranks_nothing() -> None:
    index = PaperIndex([])
    assert rank(index, [], Signal(interests="anything")) == []
    lone = Paper("2411.00001", 1, "The", "A")  # stop words only
    assert [r.paper for r in rank(PaperIndex([lone]), [lone], Signal(interests="the"))] == [lone]


def test_a_paper_from_another_day_gets_the_vectorizers_own_vector(index) -> None:
    text = "Quantum error correction decoders, and decoders again: surface codes!"
    columns, values = index.transform(text)
    expected = index.vectorizer.transform([text]).tocsr()
    assert sorted(zip(columns.tolist(), values.round(5).tolist(), strict=True)) == sorted(
        zip(expected.indices.tolist(), expected.data.round(5).tolist(), strict=True)
    )
