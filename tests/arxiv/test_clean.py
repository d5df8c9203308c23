"""Text cleaning: what a reader sees of arXiv's titles, abstracts, author lists and ids."""

import pytest

from bot.arxiv.clean import (
    clean_abstract,
    clean_title,
    detex,
    detex_name,
    normalize_arxiv_id,
    plain_markup,
    split_authors,
)
from bot.models import Paper

# --- abstracts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "arXiv:2402.10753v1 Announce Type: cross \nAbstract: Tool learning is widely used",
        "arXiv:2504.16424v2 Announce Type: replace-cross \nAbstract: Tool learning is widely used",
        "arXiv:2411.17697v2 Announce Type: replace \nAbstract:   Tool learning is widely used",
        # as the seed digest showed it, newline already collapsed (seed defect 1)
        "arXiv:2403.16260v1 Announce Type: cross  Abstract: Tool learning is widely used",
        "  arXiv:astro-ph/0601001v1\tAnnounce  Type:new\r\nAbstract:Tool learning is widely used",
    ],
)
def test_abstract_loses_the_feed_prefix(raw: str) -> None:
    """The abstract a reader sees starts with the authors' first word, not "arXiv:... Abstract:"."""
    assert clean_abstract(raw) == "Tool learning is widely used"


def test_abstract_keeps_latex_math_exactly() -> None:
    """`$1<p<2$` is math, not an HTML tag: it reaches the reader character for character."""
    raw = (
        "arXiv:2411.18458v1 Announce Type: new \nAbstract: for $1<p<2+\\varepsilon.$ and \\(T_w\\)."
    )
    assert clean_abstract(raw) == "for $1<p<2+\\varepsilon.$ and \\(T_w\\)."


def test_abstract_is_one_line_with_single_spaces() -> None:
    """Hard-wrapped API abstracts (2016) read as one paragraph."""
    raw = "  As helium-4 is cooled below 2.17 K it undergoes a phase transition to a\nfundamentally"
    assert clean_abstract(raw) == (
        "As helium-4 is cooled below 2.17 K it undergoes a phase transition to a fundamentally"
    )


def test_abstract_entities_are_decoded_once() -> None:
    """`&amp;` shows as `&`; an `&amp;lt;` the author typed shows as `&lt;`, not as `<`."""
    assert clean_abstract("Gould &amp; Morgan, $2&lt;q&lt;p$") == "Gould & Morgan, $2<q<p$"
    assert clean_abstract("the string &amp;lt;") == "the string &lt;"


def test_abstract_ampersands_that_are_no_entities_stay() -> None:
    """ "R&D" and "&notation" are text; only complete references with ";" are decoded."""
    assert clean_abstract("R&D and A&notation") == "R&D and A&notation"


def test_abstract_without_prefix_is_unchanged() -> None:
    """An API abstract has no prefix; a sentence that mentions arXiv is not cut."""
    text = "arXiv: a preprint server. We study it."
    assert clean_abstract(text) == text


# --- titles ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("legacy", "title"),
    [  # reference/seed-digest.md, entries [^10]-[^21] (seed defect 3)
        (
            "Spectral Clustering for Discrete Distributions. (arXiv:2401.13913v1 [cs.LG])",
            "Spectral Clustering for Discrete Distributions",
        ),
        (
            "MIMIR: Masked Image Modeling for Mutual Information-based Adversarial Robustness."
            " (arXiv:2312.04960v2 [cs.CV] UPDATED)",
            "MIMIR: Masked Image Modeling for Mutual Information-based Adversarial Robustness",
        ),
        (
            "Self-Taught Optimizer (STOP): Recursively Self-Improving Code Generation."
            " (arXiv:2310.02304v1 [cs.CL])",
            "Self-Taught Optimizer (STOP): Recursively Self-Improving Code Generation",
        ),
        (  # the legacy RDF feed's cross-list marker
            "Search for a new boson. (arXiv:1805.08875v1 [hep-ex] CROSS LISTED)",
            "Search for a new boson",
        ),
    ],
)
def test_title_loses_legacy_suffix_and_its_period(legacy: str, title: str) -> None:
    """A title ends where its authors ended it: no "(arXiv:...)", no stray "." before it."""
    assert clean_title(legacy) == title


@pytest.mark.parametrize("title", ["Large scale surveys, et al.", "Groups, rings, fields, etc."])
def test_title_without_suffix_keeps_its_final_period(title: str) -> None:
    """Only the suffix's period goes: "et al." stays whole."""
    assert clean_title(title) == title


def test_title_entities_and_tex_escapes_read_as_characters() -> None:
    """`\\&amp;` (a TeX-escaped ampersand, XML-escaped) and `&gt;` show as `&` and `>`."""
    assert clean_title("Mapping Personal Attributes \\&amp; Preferences") == (
        "Mapping Personal Attributes & Preferences"
    )
    assert clean_title("Design &amp; Optimization") == "Design & Optimization"
    assert clean_title("X650-&gt;ZZ/WW") == "X650->ZZ/WW"


def test_title_is_one_line() -> None:
    """API titles wrapped over lines (2016) read as one line."""
    raw = "From stripe to checkerboard order on the square lattice in the presence\n  of quenched"
    assert clean_title(raw) == (
        "From stripe to checkerboard order on the square lattice in the presence of quenched"
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [  # real titles of rss2-all-archives-2024-11-28.xml
        ('nonlinear Schr\\"odinger equation', "nonlinear Schrödinger equation"),
        ("On an Erd\\H{o}s-Szekeres Game", "On an Erdős-Szekeres Game"),
        ("A note on P\\'{o}lya-Szeg\\\"{o} inequality", "A note on Pólya-Szegö inequality"),
        ("Informa\\c{c}\\~ao de Fisher", "Informação de Fisher"),
        ("Planetary Nebul{\\ae}", "Planetary Nebulæ"),
    ],
)
def test_title_tex_accents_read_as_letters(raw: str, shown: str) -> None:
    """A title shows "Schrödinger", not `Schr\\"odinger`."""
    assert clean_title(raw) == shown


@pytest.mark.parametrize(
    "title",
    [
        "Milky Way satellite planes are consistent with {\\Lambda}CDM",
        'Fusion rules of SU($N_c$) and $\\ddot{x}$, \\(\\"o\\)',
        "Metastable \\beta-CuGaO2",
    ],
)
def test_title_math_and_other_commands_stay_as_written(title: str) -> None:
    """Only accents and escapes are text; math and commands that are no accent stay as written."""
    assert clean_title(title) == title


def test_detex_leaves_escaped_dollar_out_of_math() -> None:
    """`\\$` is a dollar sign, and does not open math: the accent after it is converted."""
    assert detex('costs \\$5 in M\\"unchen') == "costs $5 in München"


# --- author names ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [  # all from dc:creator in the recorded feeds
        ("Benjamin R\\'emy", "Benjamin Rémy"),
        ("Pawe{\\l} Niedbalski", "Paweł Niedbalski"),
        ("Jaros{\\l}aw \\.Zygierewicz", "Jarosław Żygierewicz"),
        ('J\\"urgen M\\"uller', "Jürgen Müller"),
        ("Fran\\c{c}ois Richard", "François Richard"),
        ("Luk\\'a\\v{s} Hajdu\\v{s}ek", "Lukáš Hajdušek"),
        ("Jos\\'e Fernando N\\'u\\~nez", "José Fernando Núñez"),
        ("Niccol\\`o", "Niccolò"),
        ("S{\\o}ren", "Søren"),
        ("Hendrik Kra{\\ss}", "Hendrik Kraß"),
        ("Mar{\\aa}k", "Maråk"),
        ("Serdar Kad{\\i}o\\u{g}lu", "Serdar Kadıoğlu"),
        ("Maciej Zi\\k{e}ba", "Maciej Zięba"),
        ("Jan Jakub\\r{u}v", "Jan Jakubův"),
        ("Gu{\\dh}mundur", "Guðmundur"),
        ("Sofie Castro Holb{\\ae}k", "Sofie Castro Holbæk"),
        ("{\\L}ukasz {\\L}uksza", "Łukasz Łuksza"),
        ("T\\^etu", "Têtu"),
        ("\\v{S}aponja-Milutinovi\\'c", "Šaponja-Milutinović"),
        ('{\\"O}zlem', "Özlem"),
        ("Mart\\'{\\i}nez", "Martínez"),
        ("Mart\\'\\i nez", "Martínez"),
        ('\\AA{}sa Str\\"om', "Åsa Ström"),
        ("Smith \\& Sons", "Smith & Sons"),
        ("  Jun   Cui ", "Jun Cui"),
    ],
)
def test_tex_author_names_read_as_written(raw: str, name: str) -> None:
    """A reader sees "Paweł", not `Pawe{\\l}`."""
    assert detex_name(raw) == name


def test_authors_split_outside_parenthesised_affiliations() -> None:
    """Names only: an affiliation's own commas do not make more authors (2411.17817)."""
    creator = (
        "Tianliang Yan (University of Birmingham, School of Physics and Astronomy, Birmingham,"
        " United Kingdom), Yubao Liu (Center for Gravitational Experiment, Hubei Key Laboratory of"
        " Gravitation and Quantum Physics, Wuhan, China), Denis Martynov (University of Birmingham)"
    )
    assert split_authors(creator) == ("Tianliang Yan", "Yubao Liu", "Denis Martynov")


@pytest.mark.parametrize(
    ("creator", "names"),
    [
        ("Jun Cui", ("Jun Cui",)),
        ("Ada Lovelace and Charles Babbage", ("Ada Lovelace", "Charles Babbage")),
        ("A. Alpha, B. Beta, and C. Gamma", ("A. Alpha", "B. Beta", "C. Gamma")),
        ("Knut Zoch (for the ATLAS Collaboration)", ("Knut Zoch",)),
        ("A. Alpha (Dept. X (Lab, Y), Z), B. Beta", ("A. Alpha", "B. Beta")),
        ("Benjamin R\\'emy (LEMTA), Pawe{\\l} Ogniewski", ("Benjamin Rémy", "Paweł Ogniewski")),
        ("Alexander Anderson, Sandra Andersen", ("Alexander Anderson", "Sandra Andersen")),
        ("", ()),
    ],
)
def test_author_lists_split_into_names(creator: str, names: tuple[str, ...]) -> None:
    """Commas and "and" separate authors; names containing "and" stay whole."""
    assert split_authors(creator) == names


# --- ids ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("oai:arXiv.org:2402.10753v1", ("2402.10753", 1)),
        ("http://arxiv.org/abs/2402.10753v2", ("2402.10753", 2)),
        ("https://rss.arxiv.org/abs/2402.01295", ("2402.01295", 1)),
        ("https://export.arxiv.org/abs/2402.01295v3", ("2402.01295", 3)),
        ("https://arxiv.org/pdf/2402.10753v3.pdf", ("2402.10753", 3)),
        ("astro-ph/0601001v1", ("astro-ph/0601001", 1)),
        ("http://arxiv.org/abs/gr-qc/0103067v1", ("gr-qc/0103067", 1)),
        ("arXiv:2402.10753", ("2402.10753", 1)),
        (" 0704.0001 ", ("0704.0001", 1)),
        ("２４０２.０１２９５", ("2402.01295", 1)),  # full-width digits
        ("２４０２．０１２９５ｖ２", ("2402.01295", 2)),  # and a full-width stop and v
        ("٢٤٠٢.٠١٢٩٥", ("2402.01295", 1)),  # Arabic-Indic digits
        ("٢٤٠٢٫٠١٢٩٥", ("2402.01295", 1)),  # with the Arabic decimal separator
        ("۲۴۰۲.۰۱۲۹۵", ("2402.01295", 1)),  # Persian digits
        ("२४०२.०१२९५", ("2402.01295", 1)),  # Devanagari digits
        ("2402。01295", ("2402.01295", 1)),  # a Chinese keyboard's full stop
        ("ａｓｔｒｏ－ｐｈ／０６０１００１", ("astro-ph/0601001", 1)),
        ("arXiv：٢٤٠٢.٠١٢٩٥", ("2402.01295", 1)),
    ],
)
def test_ids_normalize_from_every_spelling(raw: str, expected: tuple[str, int]) -> None:
    """Whatever host or prefix a feed used, the paper is known by its bare id and version."""
    assert normalize_arxiv_id(raw) == expected


def test_rss_host_link_becomes_an_arxiv_org_link() -> None:
    """Seed defect 6: a paper linked via rss.arxiv.org is shown at https://arxiv.org/abs/<id>."""
    arxiv_id, version = normalize_arxiv_id("https://rss.arxiv.org/abs/2402.01295")
    paper = Paper(id=arxiv_id, version=version, title="ExtremeCast", abstract="...")
    assert paper.abs_url == "https://arxiv.org/abs/2402.01295"


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "abc",
        "2402.10753v0",
        "http://example.com/abs/2402.10753",
        "https://arxiv.org/api/errors#incorrect_id_format_for_abc",
        "2402.10753 and more",
        "2402.1075٣x",
        "2402_10753",
        "a" * 5000 + "/0601001",  # no archive is called that
        "abcdefghijk/0601001",
    ],
)
def test_junk_is_no_id(junk: str) -> None:
    """Anything that is not an arXiv id is refused, not guessed at."""
    with pytest.raises(ValueError, match="not an arXiv id"):
        normalize_arxiv_id(junk)


@pytest.mark.parametrize("typed", ["２４０２.０１２９５", "٢٤٠٢.٠١٢٩٥", "𝟸𝟺𝟶𝟸.𝟶𝟷𝟸𝟿𝟻", "᠒᠔᠐᠒.᠐᠑᠒᠙᠕"])
def test_an_id_in_other_digits_is_stored_as_its_ascii_id(typed: str) -> None:
    """Never the raw text: what comes back is ASCII, so a vote or a save has one key per paper."""
    arxiv_id, _ = normalize_arxiv_id(typed)
    assert arxiv_id == "2402.01295" and arxiv_id.isascii()


# --- text-style markup -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("We propose {\\it Isometric Primitives (IMMP)} here", "We propose Isometric Primitives (IMMP) here"),
        ("an \\emph{exact} bound", "an exact bound"),
        ("the \\textbf{first} method", "the first method"),
        ("\\textit{...} and {\\bf bold}", "... and bold"),
        ("\\textbf{bold \\emph{nested}} words", "bold nested words"),
        ("{\\em a {\\bf b}} c", "a b c"),
        ("\\emph {spaced}", "spaced"),
    ],
)  # fmt: skip
def test_text_style_markup_is_shown_as_its_words(written: str, shown: str) -> None:
    assert plain_markup(written) == shown


@pytest.mark.parametrize(
    "kept",
    [
        "math $\\textbf{x}_1$ and $\\emph{y}$ stays",
        "$1<p<2$ and \\(\\textit{v}\\)",
        "{\\Lambda}CDM and {\\item x}",
        "an \\emph{unclosed brace",
    ],
)
def test_math_and_other_commands_stay_as_written(kept: str) -> None:
    assert plain_markup(kept) == kept
