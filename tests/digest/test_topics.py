"""Tests for bot.digest.topics: what /subscribe understands, and which papers a topic matches."""

import re

import pytest

from bot.arxiv.taxonomy import active_archives, known_names
from bot.digest.topics import (
    LookalikeTopicError,
    Topic,
    author_matches,
    parse_topic_string,
    parse_topics,
    topic_matches,
)
from bot.errors import UnknownTopicError
from bot.models import Paper


def shown(text: str) -> list[str]:
    """The topics /subscribe would confirm, as it shows them."""
    return [str(t) for t in parse_topics(text)]


def paper(title="A title", abstract="An abstract.", authors=(), categories=("cs.AI",)) -> Paper:
    return Paper("2504.00001", 1, title, abstract, tuple(authors), tuple(categories))


# --- parsing -----------------------------------------------------------------------------------


def test_every_kind_of_topic_in_one_message():
    """The contract's example line gives seven topics, each shown as a user types it."""
    text = 'cs.AI "weather forecast" au:"Yann LeCun" -"survey" hep-th cs diffusion'
    assert parse_topics(text) == [
        Topic("category", "cs.AI"),
        Topic("phrase", "weather forecast"),
        Topic("author", "Yann LeCun"),
        Topic("exclude", "survey"),
        Topic("category", "hep-th"),
        Topic("archive", "cs"),
        Topic("phrase", "diffusion"),
    ]
    assert shown(text) == [
        "cs.AI",
        '"weather forecast"',
        'au:"Yann LeCun"',
        '-"survey"',
        "hep-th",
        "cs",
        '"diffusion"',
    ]


def test_category_in_any_case():
    """/subscribe CS.ai subscribes cs.AI."""
    assert shown("CS.ai") == ["cs.AI"]


def test_curly_quotes_from_phones():
    """A phone's “smart” quotes work like straight ones, for phrases, authors and exclusions."""
    assert shown("“weather forecast” au:“Yann LeCun” -“survey” „Quantenfeld“") == [
        '"weather forecast"',
        'au:"Yann LeCun"',
        '-"survey"',
        '"Quantenfeld"',
    ]


def test_phone_dash_before_a_word_still_excludes():
    """A phone that turns -"survey" into —“survey” still gets the exclusion."""
    assert shown("—“survey” \u2013review") == ['-"survey"', '-"review"']


def test_unquoted_author_and_exclusion_are_one_word():
    """au:LeCun follows LeCun; -survey excludes survey; au:Yann_LeCun reads as Yann LeCun."""
    assert shown('au:LeCun -survey au:Yann_LeCun AU: "Geoffrey Hinton"') == [
        'au:"LeCun"',
        '-"survey"',
        'au:"Yann LeCun"',
        'au:"Geoffrey Hinton"',
    ]


def test_duplicates_are_dropped_keeping_order():
    """Typing the same topic twice, in another case or as an alias, adds it once."""
    assert shown("cs.AI CS.ai Diffusion math.IT diffusion cs.IT au:lecun au:LeCun") == [
        "cs.AI",
        '"Diffusion"',
        "cs.IT",
        'au:"lecun"',
    ]


def test_archives_and_old_category_names():
    """cs and astro-ph are archives; hep-th a category; alg-geom becomes math.AG."""
    assert parse_topics("cs astro-ph Physics hep-th alg-geom") == [
        Topic("archive", "cs"),
        Topic("archive", "astro-ph"),
        Topic("archive", "physics"),
        Topic("category", "hep-th"),
        Topic("category", "math.AG"),
    ]


def test_commas_separate_topics_and_whitespace_is_collapsed():
    """cs.AI,cs.LG; "weather   forecast" are two categories and one phrase."""
    assert shown('cs.AI,cs.LG; "weather   forecast"') == ["cs.AI", "cs.LG", '"weather forecast"']


def test_unclosed_quote_runs_to_the_end():
    """A forgotten closing quote still gives the phrase the user meant."""
    assert shown('cs.AI "weather forecast') == ["cs.AI", '"weather forecast"']


def test_quoting_makes_anything_a_phrase():
    """Quoted, "math" and "cs.XY" are phrases; bare math is the archive."""
    assert shown('"math" "cs.XY" math') == ['"math"', '"cs.XY"', "math"]


def test_unknown_category_is_refused_with_suggestions():
    """cs.XY is refused, and the refusal names cs categories to try instead."""
    with pytest.raises(UnknownTopicError) as refused:
        parse_topics("cs.XY")
    assert refused.value.topic == "cs.XY"
    assert refused.value.suggestions and all(s.startswith("cs.") for s in refused.value.suggestions)
    assert "Did you mean: cs." in str(refused.value)


def test_nothing_is_half_added():
    """One bad topic among good ones refuses the whole line (no list comes back)."""
    with pytest.raises(UnknownTopicError) as refused:
        parse_topics('cs.AI "weather forecast" physics.foo stat.ML')
    assert refused.value.topic == "physics.foo"


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("astroph", "astro-ph"),
        ("hep-ht", "hep-th"),
        ("HEP_TH", "hep-th"),
        ("cond-matter", "cond-mat"),
        ("cs-AI", "cs.AI"),
        ("astroph.CO", "astro-ph.CO"),
        ("quantph", "quant-ph"),
    ],
)
def test_obvious_typos_of_categories_are_refused(typo, meant):
    """A near-miss of a category or archive is refused with the right one first."""
    with pytest.raises(UnknownTopicError) as refused:
        parse_topics(typo)
    assert refused.value.suggestions[0] == meant


def test_ordinary_and_hyphenated_words_are_keywords():
    """self-supervised, x-ray, node.js, CSMA and e.g are keywords, not refused categories."""
    text = "self-supervised x-ray node.js CSMA many-body state-of-the-art e.g astro"
    assert all(t.kind == "phrase" for t in parse_topics(text))


def test_no_hyphenated_word_of_real_abstracts_is_refused(arxiv_fixture):
    """Every hyphenated word in a day of arXiv abstracts can be followed as a keyword."""
    feed = arxiv_fixture("rss2-all-archives-2024-11-28.xml").decode("utf-8")
    text = " ".join(re.findall(r"<description>(.*?)</description>", feed, re.DOTALL))
    words = set(re.findall(r"\b[A-Za-z]+(?:-[A-Za-z]+)+\b", text))
    assert len(words) > 200
    for word in words:
        assert parse_topics(word)  # raises UnknownTopicError on a false typo


def test_categories_cannot_be_excluded():
    """-cs.LG and -au:X are refused (only phrases can be excluded); -"cs.LG" is a phrase."""
    with pytest.raises(ValueError, match="cannot be excluded"):
        parse_topics("-cs.LG")
    with pytest.raises(ValueError, match="only phrases"):
        parse_topics("-au:LeCun")
    assert shown('-"cs.LG"') == ['-"cs.LG"']


@pytest.mark.parametrize("text", ["", "   ", '""', ", ; -", "au:"])
def test_no_topic_at_all_is_a_usage_error(text):
    """/subscribe with nothing usable raises ValueError (the handler shows usage)."""
    with pytest.raises(ValueError):
        parse_topics(text)


def test_stored_strings_parse_back_to_the_same_topic():
    """Every topic survives being stored as str(topic) and read back."""
    topics = parse_topics(
        'cs.AI "weather forecast" au:"José García" -"survey" hep-th cs "C++ (x) $\\alpha$"'
    )
    topics += [parse_topics(a)[0] for a in active_archives()]
    topics += [parse_topics(n)[0] for n in known_names()]
    for topic in topics:
        assert parse_topic_string(str(topic)) == topic


def test_stored_string_must_be_one_topic():
    with pytest.raises(ValueError):
        parse_topic_string("cs.AI cs.LG")


# --- matching ----------------------------------------------------------------------------------


def test_category_matches_primary_and_cross_listed():
    """cs.LG follows papers listed in cs.LG first or as a cross-list, and no others."""
    cs_lg = Topic("category", "cs.LG")
    assert topic_matches(cs_lg, paper(categories=("cs.LG", "stat.ML")))
    assert topic_matches(cs_lg, paper(categories=("stat.ML", "cs.LG")))
    assert not topic_matches(cs_lg, paper(categories=("cs.AI",)))


def test_alias_category_matches_both_spellings():
    """Following math.IT (stored as cs.IT) gets a paper listed only as cs.IT, and vice versa."""
    followed = parse_topics("math.IT")[0]
    assert topic_matches(followed, paper(categories=("cs.IT",)))
    assert topic_matches(followed, paper(categories=("math.IT",)))
    assert topic_matches(parse_topics("alg-geom")[0], paper(categories=("alg-geom",)))


def test_archive_matches_each_of_its_categories():
    """cs gets cs.LG and cs.AI papers; astro-ph gets astro-ph.CO; math gets cs.IT (alias)."""
    assert topic_matches(Topic("archive", "cs"), paper(categories=("stat.ML", "cs.LG")))
    assert topic_matches(Topic("archive", "astro-ph"), paper(categories=("astro-ph.CO",)))
    assert topic_matches(Topic("archive", "math"), paper(categories=("cs.IT",)))
    assert not topic_matches(Topic("archive", "cs"), paper(categories=("hep-th", "quant-ph")))


def test_phrase_matches_whole_words_only():
    """The phrase "weather forecast" is in "Weather Forecast models", not "weather forecasting"."""
    phrase = Topic("phrase", "weather forecast")
    assert topic_matches(phrase, paper(title="Better Weather Forecast models"))
    assert topic_matches(phrase, paper(abstract="We improve weather forecast, skill."))
    assert not topic_matches(phrase, paper(title="Neural weather forecasting"))
    assert not topic_matches(Topic("phrase", "forecast"), paper(abstract="forecasting at scale"))
    assert not topic_matches(Topic("phrase", "weather"), paper(title="bellwether effects"))


def test_phrase_with_regex_or_latex_characters_is_literal():
    """C++, (x, $\\alpha$ and a.b are looked for as written, never as a pattern."""
    text = "A C++ library for $\\alpha$-stable laws (x in a.b"
    for phrase in ("C++", "(x", "$\\alpha$-stable", "a.b"):
        assert topic_matches(Topic("phrase", phrase), paper(abstract=text))
    assert not topic_matches(Topic("phrase", "a.b"), paper(abstract="axb"))
    assert not topic_matches(Topic("phrase", "C++"), paper(abstract="C++11"))


def test_phrase_in_title_or_abstract_ignoring_case():
    """A keyword found in the title alone, or in the abstract alone, matches."""
    topic = Topic("phrase", "Diffusion")
    assert topic_matches(topic, paper(title="Score-based diffusion"))
    assert topic_matches(topic, paper(abstract="DIFFUSION models are..."))
    assert not topic_matches(topic, paper(title="Transformers", abstract="Attention."))


def test_author_full_name_ignores_case_and_accents():
    """au:"jose garcia" follows José García."""
    assert topic_matches(Topic("author", "jose garcia"), paper(authors=("Ana Li", "José García")))
    assert topic_matches(
        Topic("author", "Søren Kierkegaard"), paper(authors=("Soren Kierkegaard",))
    )
    assert not topic_matches(Topic("author", "Jose Garcia"), paper(authors=("Maria Garcia",)))


def test_author_last_name_and_initials():
    """LeCun alone matches Yann LeCun; Y. LeCun and Yann A. LeCun match; Yann alone does not."""
    assert author_matches("LeCun", "Yann LeCun")
    assert author_matches("Y. LeCun", "Yann LeCun")
    assert author_matches("Yann LeCun", "Y. LeCun")
    assert author_matches("Yann LeCun", "Yann A. LeCun")
    assert author_matches("J.-P. Serre", "Jean-Pierre Serre")
    assert author_matches("van der Waals", "Johannes van der Waals")
    assert not author_matches("Yann", "Yann LeCun")
    assert not author_matches("Y. LeCun", "Xavier LeCun")


def test_exclusion_matches_its_phrase():
    """-"survey" catches a paper calling itself a survey, not one about surveying."""
    exclude = Topic("exclude", "survey")
    assert topic_matches(exclude, paper(title="A Survey of Diffusion Models"))
    assert not topic_matches(exclude, paper(title="Surveying land with drones"))


@pytest.mark.parametrize(
    "typed",
    ["cs.AI\u200b", "\u200fcs.AI", "\u202ecs.AI\u202c", "c\u200bs.AI", "\ufeffcs.AI", "ｃｓ.ＡＩ"],
    ids=["zero-width-space", "rtl-mark", "rtl-override", "inside", "bom", "full-width"],
)
def test_invisible_and_full_width_characters_do_not_hide_a_category(typed):
    """cs.AI with a zero-width space or a direction mark is still the category cs.AI."""
    assert parse_topics(typed) == [Topic("category", "cs.AI")]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("сs.AI", "cs.AI"), ("cs.ΑΙ", "cs.AI"), ("аstro-ph", "astro-ph"), ("сs", "cs")],
    ids=["cyrillic-c", "greek-alpha-iota", "cyrillic-a", "cyrillic-archive"],
)
def test_a_look_alike_of_a_category_is_refused_with_the_category(typed, meant):
    """сs.AI (Cyrillic с) is no phrase to follow: the user meant cs.AI."""
    with pytest.raises(LookalikeTopicError) as error:
        parse_topics(typed)
    assert error.value.suggestions == (meant,)


def test_words_in_other_scripts_stay_phrases():
    """Cyrillic and Greek words that name no category are followed as typed."""
    assert shown("привет αβγ 量子") == ['"привет"', '"αβγ"', '"量子"']
    assert shown('"сs.AI"') == ['"сs.AI"']  # quoted: a phrase, as the user asked


def test_a_huge_category_shaped_word_is_a_phrase_not_a_typo():
    """4,000 characters shaped like cs.XXXX are no typo of a category (the length limit
    refuses them later); refusing them as a typo would quote them back whole."""
    word = "cs." + "X" * 4073
    assert parse_topics(word) == [Topic("phrase", word)]


def test_a_huge_excluded_category_shaped_word_is_an_exclusion_phrase():
    word = "cs." + "X" * 4074
    assert parse_topics("-" + word) == [Topic("exclude", word)]
