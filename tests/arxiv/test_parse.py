"""Parsing recorded arXiv answers: the papers, dates and errors a reader ends up with."""

import logging
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from bot.arxiv.clean import clean_abstract, clean_title
from bot.arxiv.parse import Feed, parse_api, parse_feed
from bot.errors import FeedError
from bot.models import Paper

ARXIV = Path(__file__).parents[1] / "fixtures" / "arxiv"

ALL_ARCHIVES = "rss2-all-archives-2024-11-28.xml"
QUANT_PH = "rss2-quant-ph-2025-04-28.xml"
ATOM = "atom-cs.AI-2025-08-20-TRUNCATED-AT-SOURCE.xml"
RSS_EMPTY = "rss2-empty-test-archive-2024-11-28.xml"
RSS_ERROR = "rss2-error-bad-archive-astroph-2024-11-28.xml"
API_MAX100 = "api-query-all_testing-start0-max100-2026-04-12.xml"
API_MAX10 = "api-query-all_testing-start0-max10-2026-04-12.xml"
API_LEGACY = "api-query-legacy2016-au_del_maestro-max10-2016-10-09.xml"
API_EMPTY = "api-query-empty-id_list-0000.0000-2026-04-12.xml"
API_ERROR = "api-query-error400-id_list-abc-2026-04-12.xml"
API_OLD_ID = "api-query-id_list-astro-ph_0601001-2026-05-11.xml"
API_ID_LIST = "api-query-id_list-0808.05394_1707.08567-2026-04-12.xml"

# Papers per announce type and the announcement date, as counted in SOURCES.md.
FEEDS = {
    ALL_ARCHIVES: ({"new": 926, "replace": 569, "cross": 9}, "2024-11-28"),
    QUANT_PH: ({"new": 40, "replace": 22, "cross": 10, "replace-cross": 9}, "2025-04-28"),
    ATOM: ({"new": 41, "cross": 45}, "2025-08-20"),
    RSS_EMPTY: ({}, "2024-11-28"),
}
API_ANSWERS = {
    API_MAX100: 100,
    API_MAX10: 10,
    API_LEGACY: 10,
    API_EMPTY: 0,
    API_OLD_ID: 1,
    API_ID_LIST: 1,
}
ERROR_ANSWERS = {
    RSS_ERROR: (parse_feed, "arXiv feed error for http://rss.arxiv.org/rss/astroph: Bad archive"),
    API_ERROR: (parse_api, "arXiv API error: incorrect id format for abc"),
}


@cache
def feed(name: str) -> Feed:
    return parse_feed((ARXIV / name).read_bytes())


@cache
def api(name: str) -> tuple[Paper, ...]:
    return tuple(parse_api((ARXIV / name).read_bytes()))


def paper(papers: tuple[Paper, ...], arxiv_id: str) -> Paper:
    (found,) = [p for p in papers if p.id == arxiv_id]
    return found


def every_paper() -> list[Paper]:
    return [p for name in FEEDS for p in feed(name).papers] + [
        p for name in API_ANSWERS for p in api(name)
    ]


# --- every recorded answer ---------------------------------------------------------------------


def test_every_recorded_answer_is_checked() -> None:
    """A recorded answer left out of the tables below would be a format nobody checks."""
    checked = set(FEEDS) | set(API_ANSWERS) | set(ERROR_ANSWERS)
    recorded = {path.name for path in ARXIV.iterdir()} - {"SOURCES.md"}
    assert checked == recorded


@pytest.mark.parametrize("name", FEEDS)
def test_feed_gives_every_announced_paper(name: str) -> None:
    """A digest sees every paper of the day, each with its announce type and the day's date."""
    counts, announced = FEEDS[name]
    result = feed(name)
    assert Counter(p.announce_type for p in result.papers) == counts
    assert result.announced == announced
    assert {p.announced for p in result.papers} <= {announced}


@pytest.mark.parametrize("name", API_ANSWERS)
def test_api_answer_gives_every_paper(name: str) -> None:
    """A look-up or search returns each paper arXiv sent, as a new announcement."""
    papers = api(name)
    assert len(papers) == API_ANSWERS[name]
    assert all(p.announce_type == "new" for p in papers)


@pytest.mark.parametrize("name", ERROR_ANSWERS)
def test_error_answer_is_a_one_line_feed_error(name: str, arxiv_fixture) -> None:
    """A refused query ends in one line naming it and arXiv's reason, never in zero papers."""
    parse, message = ERROR_ANSWERS[name]
    with pytest.raises(FeedError) as raised:
        parse(arxiv_fixture(name))
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"<html><head><title>503 Service Unavailable</title></head><body><p>Busy</p></body></html>",
        b'{"error": "rate limited"}',
        b"\x00\xff\xfe garbage",
        b"<?xml version='1.0'?><note>not a feed</note>",
        b"/etc/hostname",  # feedparser would read a file of that name; we read the bytes
    ],
)
@pytest.mark.parametrize("parse", [parse_feed, parse_api])
def test_bytes_that_are_no_feed_raise_feed_error(parse, junk: bytes) -> None:
    """An HTML error page or garbage is reported as a malformed feed, not as an empty day."""
    with pytest.raises(FeedError, match="Not an RSS or Atom feed"):
        parse(junk)


@pytest.mark.parametrize("parse", [parse_feed, parse_api])
def test_an_html_error_page_is_named_by_its_title(parse) -> None:
    """An operator reads which page arXiv (or a proxy) sent instead of a feed."""
    page = b"<!DOCTYPE html>\n<html><head><title>502  Bad\n Gateway</title></head><body/></html>"
    with pytest.raises(FeedError) as raised:
        parse(page)
    assert str(raised.value) == "Not an RSS or Atom feed: an HTML page ('502 Bad Gateway')"


def test_empty_feed_is_a_day_without_papers() -> None:
    """A day with nothing announced is an empty digest, not an error."""
    result = feed(RSS_EMPTY)
    assert result.papers == ()
    assert result.title == "test updates on arXiv.org"


# --- seed defects, over every parsed paper -----------------------------------------------------


def test_no_abstract_keeps_the_feed_prefix() -> None:
    """Seed defects 1 and 2: no abstract starts with "arXiv:... Announce Type: ... Abstract:"."""
    papers = every_paper()
    assert len(papers) == 1504 + 81 + 86 + 122
    assert not [p.id for p in papers if p.abstract.startswith("arXiv:")]
    assert not [p.id for p in papers if "Announce Type" in p.abstract]


def test_no_title_keeps_a_legacy_suffix() -> None:
    """Seed defect 3: no title carries "(arXiv:...)"."""
    assert not [p.id for p in every_paper() if "(arXiv:" in p.title]


def test_text_is_clean_and_cleaning_again_changes_nothing() -> None:
    """Titles, abstracts and names are single-spaced, and entities were decoded exactly once."""
    for p in every_paper():
        assert p.title and p.abstract and p.authors and p.categories, p.id
        for text in (p.title, p.abstract, *p.authors):
            assert text == " ".join(text.split()), p.id
        assert clean_title(p.title) == p.title, p.id
        assert clean_abstract(p.abstract) == p.abstract, p.id
        assert p.abs_url == f"https://arxiv.org/abs/{p.id}"


def test_author_names_hold_no_tex_or_affiliations() -> None:
    """Every author shows as a plain name: no backslashes, braces or parentheses."""
    odd = [(p.id, a) for p in every_paper() for a in p.authors if set(a) & set("\\{}()")]
    assert odd == []


# --- chosen items, checked against the recorded files ------------------------------------------


def test_rss_item_with_affiliations() -> None:
    """2411.17817 lists eight authors, whatever the commas in their affiliations."""
    p = paper(feed(ALL_ARCHIVES).papers, "2411.17817")
    assert p.title == "First result for testing semiclassical gravity effect with a torsion balance"
    assert p.abstract.startswith('The Schr\\"odinger-Newton equation, a theoretical framework')
    assert p.authors == (
        "Tianliang Yan",
        "Yubao Liu",
        "Leonid Prokhorov",
        "Jiri Smetana",
        "Haixing Miao",
        "Yiqiu Ma",
        "Vincent Boyer",
        "Denis Martynov",
    )
    assert (p.version, p.categories, p.announce_type) == (1, ("quant-ph",), "new")
    assert p.announced == "2024-11-28"


def test_rss_tex_author_names_are_readable() -> None:
    """Polish and French names in TeX show as letters."""
    eeg = paper(feed(ALL_ARCHIVES).papers, "2411.17709")
    assert eeg.authors[2:4] == ("Przemysław Olbratowski", "Paweł Niedbalski")
    assert eeg.authors[-1] == "Jarosław Żygierewicz"
    arx = paper(feed(ALL_ARCHIVES).papers, "2411.17748")
    assert arx.authors[4] == "Benjamin Rémy"  # "(LEMTA)" dropped
    assert paper(feed(ALL_ARCHIVES).papers, "2408.12178").authors == (
        "Alain Le Yaouanc",
        "François Richard",
    )


def test_rss_math_survives_intact() -> None:
    """`1<p<2` in an abstract is math: parsing neither drops it nor turns it into tags."""
    lipschitz = paper(feed(ALL_ARCHIVES).papers, "2411.18458")
    assert "uniquely solvable for $$1<p<2+\\varepsilon.$$ Moreover" in lipschitz.abstract
    assert "Neumann problem is uniquely solvable for $1<p<2+\\varepsilon.$" in lipschitz.abstract
    assert lipschitz.title == (
        "On the Schrödinger equations with $B_\\infty$ potentials"
        " in the region above a Lipschitz graph"
    )
    nls = paper(feed(ALL_ARCHIVES).papers, "2411.17951")
    assert "when $2+\\frac{4}{N}<q<p\\leq2^*:=\\frac{2N}{N-2}$ and" in nls.abstract


def test_rss_titles_with_ampersands_and_arrows() -> None:
    """`\\&amp;`, `&amp;` and `-&gt;` in a title show as `&` and `->`."""
    papers = feed(ALL_ARCHIVES).papers
    assert paper(papers, "2411.18380").title == (
        "SoK: Privacy Personalised -- Mapping Personal Attributes & Preferences"
        " of Privacy Mechanisms for Shoulder Surfing"
    )
    assert paper(papers, "2307.10544").title == (
        "Design & Optimization of the HV divider for JUNO 20-inch PMT"
    )
    assert paper(papers, "2408.12178").title.startswith("X650->ZZ/WW/H125H95/A450Z")


def test_rss_replacement_keeps_its_version_and_link_has_none() -> None:
    """A replaced paper is v2 (from the guid), and still links to its versionless abs page."""
    p = paper(feed(ALL_ARCHIVES).papers, "2411.17697")
    assert (p.version, p.key, p.announce_type) == (2, "2411.17697v2", "replace")
    assert p.abs_url == "https://arxiv.org/abs/2411.17697"
    assert p.categories == ("cs.CV", "cs.AI")


def test_rss_doi_and_journal_reference() -> None:
    """arxiv:DOI and arxiv:journal_reference reach the paper."""
    p = paper(feed(ALL_ARCHIVES).papers, "2411.18435")
    assert (p.title, p.doi) == ("6G Takes Shape", "10.1109/MBITS.2024.3504521")
    assert p.journal_ref == "IEEE BITS the Information Theory Magazine, Dec. 2024"
    assert sum(1 for p in feed(ALL_ARCHIVES).papers if p.doi) == 111
    assert sum(1 for p in feed(ALL_ARCHIVES).papers if p.journal_ref) == 97


def test_rss_cross_list_keeps_its_own_primary_first() -> None:
    """A cross-list into quant-ph shows its primary category (cs.IT), not the feed's."""
    p = paper(feed(QUANT_PH).papers, "2504.16299")
    assert (p.announce_type, p.categories) == ("cross", ("cs.IT", "math.IT", "quant-ph"))
    assert p.title == "Towards Quantum Universal Hypothesis Testing"
    assert p.authors[0] == "Arick Grootveld"
    assert p.abstract.startswith("Hoeffding's formulation and solution to the universal")


def test_rss_abstract_with_parenthesised_math() -> None:
    """`\\(...\\)` math stays exactly as the authors wrote it."""
    p = feed(QUANT_PH).papers[0]
    assert p.id == "2504.17830"
    assert p.abstract.startswith(
        "We introduce a self-adjoint time operator "
        "\\(T_w = i\\hbar\\bigl(\\partial_E + \\tfrac12\\,\\partial_E\\ln w(E)\\bigr)\\)"
    )


def test_atom_drops_the_entry_cut_off_at_source(caplog: pytest.LogCaptureFixture) -> None:
    """The 86 complete entries arrive; the 87th, cut mid-entry, is dropped with a log line."""
    with caplog.at_level(logging.WARNING, logger="bot.arxiv.parse"):
        result = parse_feed((ARXIV / ATOM).read_bytes())
    assert len(result.papers) == 86
    assert result.papers[-1].id == "2508.13434"
    assert "2508.13435" not in {p.id for p in result.papers}
    assert "oai:arXiv.org:2508.13435v1" in caplog.text


def test_atom_entry_fields() -> None:
    """An Atom entry reads like an RSS item: dc:creator authors, prefix-free abstract."""
    p = feed(ATOM).papers[0]
    assert p.key == "2508.13167v1"
    assert p.title == (
        "Chain-of-Agents: End-to-End Agent Foundation Models via Multi-Agent Distillation"
        " and Agentic RL"
    )
    assert p.abstract.startswith("Recent advances in large language models (LLMs)")
    assert p.authors[:3] == ("Weizhen Li", "Jianbo Lin", "Zhuosong Jiang")
    assert (p.categories, p.announce_type, p.announced) == (("cs.AI", "cs.CL"), "new", "2025-08-20")
    assert paper(feed(ATOM).papers, "2508.00875").doi == "10.7249/PEA3971-1"


def test_api_2016_wrapped_text_reads_as_one_line() -> None:
    """The 2016 API's wrapped titles and indented abstracts read as single lines."""
    p = paper(api(API_LEGACY), "cond-mat/0603029")
    assert p.title == (
        "From stripe to checkerboard order on the square lattice"
        " in the presence of quenched disorder"
    )
    assert p.abstract.startswith("We discuss the effects of quenched disorder on a model of charge")
    assert p.authors == ("Adrian Del Maestro", "Bernd Rosenow", "Subir Sachdev")
    assert p.categories == ("cond-mat.str-el", "cond-mat.supr-con")
    assert (p.announced, p.doi) == ("2006-03-02", "10.1103/PhysRevB.74.024520")
    assert p.journal_ref == "Phys. Rev. B 74, 024520 (2006)"


def test_api_current_shape_keeps_utf8_names() -> None:
    """The current API's real UTF-8 names show as sent; primary category first."""
    papers = api(API_MAX100)
    assert paper(papers, "2405.13786").authors == (
        "Aurora Ramírez",
        "Mario Berrios",
        "José Raúl Romero",
        "Robert Feldt",
    )
    gravity = paper(papers, "gr-qc/0103067")
    assert gravity.authors == ("Mark P. Haugan", "C. Lämmerzahl")
    assert (gravity.doi, gravity.journal_ref) == (
        "10.1007/3-540-40988-2_10",
        "Lect.Notes Phys.562:195-212,2001",
    )
    first = papers[0]
    assert (first.key, first.categories, first.announced) == (
        "2202.12139v1",
        ("cs.SE", "cs.LG"),
        "2022-02-24",
    )


def test_api_old_style_id() -> None:
    """A pre-2007 id keeps its archive: astro-ph/0601001, linked at arxiv.org/abs/astro-ph/..."""
    (p,) = api(API_OLD_ID)
    assert (p.id, p.version) == ("astro-ph/0601001", 1)
    assert p.abs_url == "https://arxiv.org/abs/astro-ph/0601001"
    assert p.authors == ("Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski")
    assert (p.categories, p.journal_ref) == (("astro-ph",), "ActaAstron.56:1-50,2006")


def test_api_id_list_with_an_unknown_id() -> None:
    """Looking up two ids of which one does not exist gives the one that does."""
    (p,) = api(API_ID_LIST)
    assert p.id == "1707.08567"
    assert "Dirk Wübben" in p.authors


# --- robustness on edited copies of the real feed ----------------------------------------------


def first_item_feed(arxiv_fixture, old: bytes, new: bytes) -> bytes:
    """The quant-ph feed cut to its first item, with one piece replaced."""
    content = arxiv_fixture(QUANT_PH)
    head, _, rest = content.partition(b"<item>")
    item, _, _ = rest.partition(b"</item>")
    assert old in item
    return head + b"<item>" + item.replace(old, new) + b"</item></channel></rss>"


def test_item_without_guid_takes_its_id_from_the_link(arxiv_fixture) -> None:
    """Seed defect 6: a link on rss.arxiv.org still gives https://arxiv.org/abs/<id>."""
    guid = b'<guid isPermaLink="false">oai:arXiv.org:2504.17830v1</guid>'
    content = first_item_feed(arxiv_fixture, guid, b"")
    content = content.replace(
        b"https://arxiv.org/abs/2504.17830", b"https://rss.arxiv.org/abs/2504.17830"
    )
    (p,) = parse_feed(content).papers
    assert (p.id, p.abs_url) == ("2504.17830", "https://arxiv.org/abs/2504.17830")


def test_item_with_junk_id_is_dropped_not_fatal(arxiv_fixture) -> None:
    """One unreadable item costs that item, not the day's digest."""
    content = first_item_feed(arxiv_fixture, b"oai:arXiv.org:2504.17830v1", b"oai:arXiv.org:junk")
    assert parse_feed(content).papers == ()


def test_item_date_is_read_in_its_own_time_zone(arxiv_fixture) -> None:
    """An item's date is its day in New York (23:30 -0400 is not the next day's 03:30 UTC)."""
    content = first_item_feed(
        arxiv_fixture,
        b"<pubDate>Mon, 28 Apr 2025 00:00:00 -0400</pubDate>",
        b"<pubDate>Tue, 29 Apr 2025 23:30:00 -0400</pubDate>",
    )
    result = parse_feed(content)
    assert result.announced == "2025-04-28"  # the channel's own pubDate
    assert result.papers[0].announced == "2025-04-29"


def test_item_without_date_takes_the_channel_date(arxiv_fixture) -> None:
    """An item without pubDate is dated by its feed."""
    content = first_item_feed(
        arxiv_fixture, b"<pubDate>Mon, 28 Apr 2025 00:00:00 -0400</pubDate>", b""
    )
    assert parse_feed(content).papers[0].announced == "2025-04-28"
