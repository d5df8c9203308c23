"""Tests for bot.digest.select: which papers reach a chat, in what order, and which feeds are fetched."""

from bot.arxiv.taxonomy import active_archives
from bot.digest.select import chat_feeds, feed_queries, select_papers
from bot.digest.topics import parse_topics
from bot.models import Chat, Paper


def chat(topics: str = "", chat_id: int = 1, **settings) -> Chat:
    """A chat subscribed the way a user would type it after /subscribe."""
    stored = tuple(str(t) for t in parse_topics(topics)) if topics else ()
    return Chat(chat_id, topics=stored, **settings)


def paper(
    pid, categories=("cs.AI",), kind="new", title="A method", abstract="We do it.", authors=()
):
    return Paper(pid, 1, title, abstract, tuple(authors), tuple(categories), announce_type=kind)


def ids(papers) -> list[str]:
    return [p.id for p in papers]


# --- select_papers -----------------------------------------------------------------------------


def test_papers_of_followed_categories_only():
    """cs.AI gets cs.AI papers, primary or cross-listed, and not stat.ML ones."""
    papers = [paper("1", ("cs.AI",)), paper("2", ("stat.ML",)), paper("3", ("cs.LG", "cs.AI"))]
    assert ids(select_papers(papers, chat("cs.AI"), set())) == ["1", "3"]


def test_exclusion_beats_inclusion():
    """-"survey" drops a cs.AI survey even though cs.AI and "diffusion" both match it."""
    papers = [paper("1", title="A Survey of Diffusion Models"), paper("2", title="Diffusion")]
    assert ids(select_papers(papers, chat('cs.AI diffusion -"survey"'), set())) == ["2"]


def test_paper_matching_three_topics_appears_once():
    """A paper in cs.AI, in cs, and about diffusion is in the digest once."""
    papers = [paper("1", ("cs.AI", "cs.LG"), title="Diffusion models")]
    assert ids(select_papers(papers, chat("cs.AI cs diffusion"), set())) == ["1"]


def test_same_paper_twice_in_the_input_is_kept_once():
    """A paper present in two fetched feeds is sent once, the first occurrence kept."""
    first, again = paper("1", title="First copy"), paper("1", title="Second copy")
    assert select_papers([first, again], chat("cs.AI"), set()) == [first]


def test_keyword_and_author_matches_first_then_new_then_cross_then_replacements():
    """Digest order: keyword/author matches, new submissions, cross-lists, replacements."""
    papers = [
        paper("replace", kind="replace"),
        paper("cross", kind="cross"),
        paper("new", kind="new"),
        paper("author", ("stat.ML",), kind="cross", authors=("Yann LeCun",)),
        paper("keyword", kind="replace-cross", title="Weather forecast skill"),
        paper("new-2", kind="new"),
    ]
    followed = chat('cs.AI "weather forecast" au:LeCun', include_replacements=True)
    assert ids(select_papers(papers, followed, set())) == [
        "author",
        "keyword",
        "new",
        "new-2",
        "cross",
        "replace",
    ]


def test_replacements_only_when_opted_in():
    """replace and replace-cross papers are left out unless the chat asked for them."""
    papers = [paper("1"), paper("2", kind="replace"), paper("3", kind="replace-cross")]
    assert ids(select_papers(papers, chat("cs.AI"), set())) == ["1"]
    opted_in = chat("cs.AI", include_replacements=True)
    assert ids(select_papers(papers, opted_in, set())) == ["1", "2", "3"]


def test_already_sent_papers_are_skipped():
    """A paper this chat already had is not sent again."""
    papers = [paper("1"), paper("2"), paper("3")]
    assert ids(select_papers(papers, chat("cs.AI"), {"2"})) == ["1", "3"]


def test_alias_subscription_matches_the_other_spelling():
    """/subscribe math.IT gets a paper listed only as cs.IT."""
    assert ids(select_papers([paper("1", ("cs.IT",))], chat("math.IT"), set())) == ["1"]


def test_keyword_matches_whole_words_only():
    """The phrase "weather forecast" finds "weather forecast", not "weather forecasting"."""
    papers = [
        paper("1", ("physics.ao-ph",), abstract="Neural weather forecasting at scale."),
        paper("2", ("physics.ao-ph",), abstract="A weather forecast model."),
    ]
    assert ids(select_papers(papers, chat('"weather forecast"'), set())) == ["2"]


def test_a_chat_without_positive_topics_gets_nothing():
    """No topics, or only exclusions, means an empty digest."""
    papers = [paper("1"), paper("2", title="A survey")]
    assert select_papers(papers, chat(""), set()) == []
    assert select_papers(papers, chat('-"survey"'), set()) == []


def test_a_stored_topic_that_no_longer_parses_is_skipped():
    """A stale stored topic does not cost the chat its other topics."""
    stale = Chat(1, topics=("cs.XY", "cs.AI"))
    assert ids(select_papers([paper("1")], stale, set())) == ["1"]


# --- feed_queries ------------------------------------------------------------------------------


def test_overlapping_chats_list_each_feed_once():
    """Two chats sharing cs.AI make one query naming cs.AI once, names sorted."""
    chats = [chat("cs.AI stat.ML", 1), chat("hep-th CS.ai", 2)]
    assert feed_queries(chats, ["cs"]) == ["cs.AI+hep-th+stat.ML"]


def test_category_covered_by_a_followed_archive_is_not_repeated():
    """cs.AI is not asked for when the whole cs archive is."""
    chats = [chat("cs.AI cs.LG stat.ML", 1), chat("cs", 2)]
    assert feed_queries(chats, []) == ["cs+stat.ML"]


def test_keyword_topics_add_the_keyword_scope():
    """A chat with only keywords makes the bot fetch its keyword scope."""
    assert feed_queries([chat('"weather forecast"')], ["physics", "astro-ph"]) == [
        "astro-ph+physics"
    ]
    assert feed_queries([chat("au:LeCun cs.AI")], ["cs"]) == ["cs"]


def test_empty_keyword_scope_means_every_archive():
    """keyword_scope [] (the default "every archive") fetches all active archives."""
    assert feed_queries([chat("diffusion")], []) == ["+".join(active_archives())]


def test_exclusions_add_no_feed():
    """An exclusion alone needs nothing fetched."""
    assert feed_queries([chat('-"survey"')], ["cs"]) == []
    assert chat_feeds(parse_topics('cs.AI -"survey"'), ["cs"]) == {"cs.AI"}


def test_only_chats_that_can_be_reached_count():
    """A chat that blocked the bot adds no feed; a paused one still does (/digest works)."""
    chats = [chat("cs.AI", 1, active=False), chat("hep-th", 2, paused=True)]
    assert feed_queries(chats, []) == ["hep-th"]


def test_long_queries_are_split():
    """Many categories are spread over several queries, each within max_len characters."""
    topics = "cs.AI cs.LG cs.CL cs.CV stat.ML math.AG hep-th quant-ph gr-qc astro-ph.CO"
    queries = feed_queries([chat(topics)], [], max_len=30)
    assert len(queries) > 1 and all(len(q) <= 30 for q in queries)
    names = [name for q in queries for name in q.split("+")]
    assert names == sorted(t.value for t in parse_topics(topics))
