"""Tests for bot.arxiv.taxonomy: arXiv's category list as users spell it."""

import subprocess
import sys

from bot.arxiv.taxonomy import (
    active_archives,
    archive_of,
    canonical_archive,
    canonical_category,
    category_name,
    equivalents,
    suggest,
)


def test_category_in_any_case_gets_arxiv_spelling():
    """/subscribe CS.ai is cs.AI; stat.ml is stat.ML; physics.OPTICS is physics.optics."""
    assert canonical_category("CS.ai") == "cs.AI"
    assert canonical_category("stat.ml") == "stat.ML"
    assert canonical_category("physics.OPTICS") == "physics.optics"
    assert canonical_category(" cond-mat.STR-EL ") == "cond-mat.str-el"


def test_single_category_archives_are_categories():
    """hep-th, quant-ph and gr-qc are categories as well as archives."""
    for name in ("hep-th", "quant-ph", "gr-qc", "math-ph"):
        assert canonical_category(name.upper()) == name
        assert canonical_archive(name) == name


def test_aliases_resolve_to_the_canonical_id():
    """math.IT and cs.IT are one category, cs.IT being arXiv's canonical id."""
    assert canonical_category("math.IT") == "cs.IT"
    assert canonical_category("cs.NA") == "math.NA"
    assert canonical_category("stat.TH") == "math.ST"
    assert canonical_category("math.MP") == "math-ph"
    assert canonical_category("CS.it") == "cs.IT"
    assert equivalents("math.IT") == ("cs.IT", "math.IT")


def test_subsumed_old_categories_map_to_their_successor():
    """An old id such as alg-geom follows its successor, math.AG."""
    assert canonical_category("alg-geom") == "math.AG"
    assert canonical_category("cmp-lg") == "cs.CL"
    assert canonical_category("cs.AI") != canonical_category("cs.LG")


def test_unknown_names_are_none():
    """cs.XY, an archive name and arXiv's test categories are no categories."""
    assert canonical_category("cs.XY") is None
    assert canonical_category("cs") is None
    assert canonical_category("test.dis-nn") is None
    assert canonical_archive("cs.AI") is None
    assert canonical_archive("test") is None
    assert canonical_archive("alg-geom") is None  # inactive: its papers are in math.AG now


def test_archives_in_any_case():
    """cs, CS, Astro-Ph and physics are archives."""
    assert canonical_archive("CS") == "cs"
    assert canonical_archive("Astro-Ph") == "astro-ph"
    assert canonical_archive("physics") == "physics"


def test_archive_of_a_category():
    """cs.AI is in cs, astro-ph.CO in astro-ph, hep-th in hep-th; unknown ids split at the dot."""
    assert archive_of("cs.AI") == "cs"
    assert archive_of("astro-ph.CO") == "astro-ph"
    assert archive_of("hep-th") == "hep-th"
    assert archive_of("math.IT") == "math"
    assert archive_of("newarch.XX") == "newarch"


def test_human_names():
    """The /list screen can say what cs.AI and cs are."""
    assert category_name("cs.AI") == "Artificial Intelligence"
    assert category_name("cs") == "Computer Science"
    assert category_name("hep-th") == "High Energy Physics - Theory"
    assert category_name("nope.XX") == "nope.XX"


def test_active_archives_are_the_subject_areas_arxiv_announces():
    """Every archive a keyword topic may scan: cs, math, astro-ph..., no old or test archives."""
    archives = active_archives()
    assert {"cs", "math", "astro-ph", "hep-th", "physics", "stat", "q-bio"} <= set(archives)
    assert "alg-geom" not in archives and "test" not in archives
    assert list(archives) == sorted(archives)


def test_suggestions_for_a_mistyped_category():
    """cs.XY suggests cs categories; cs.ML suggests stat.ML first; astroph suggests astro-ph."""
    xy = suggest("cs.XY")
    assert xy and len(xy) <= 3 and all(s.startswith("cs.") for s in xy)
    assert suggest("cs.ML")[0] == "stat.ML"
    assert suggest("astroph")[0] == "astro-ph"
    assert suggest("HEP-HT")[0] == "hep-th"
    assert suggest("cond-matter")[0] == "cond-mat"
    assert suggest("cs.ai2", n=1) == ("cs.AI",)


def test_suggestions_name_only_valid_current_ids():
    """A suggestion is always something /subscribe accepts as it stands."""
    for typo in ("cs.XY", "math.IX", "physics.foo", "alg-geo", "test.soft", "qbio"):
        for suggestion in suggest(typo, n=5):
            assert canonical_category(suggestion) == suggestion or canonical_archive(suggestion)
    assert suggest("zzzzzzzz") == ()


def test_nothing_is_read_at_import_time():
    """Importing the module reads no file: the JSON is loaded on first use."""
    code = "import bot.arxiv.taxonomy as t; print(t._taxonomy.cache_info().currsize)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
