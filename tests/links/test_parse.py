"""Reading the Hugging Face paper API's answers and GitHub links: only checked values pass."""

import pytest

from bot.errors import LinksError
from bot.links import MAX_NUMBER, github_repo, paper_answer, repo_in_text, repos_answer
from tests.fakes.hf_api import fixture


def test_the_documented_answers_give_repository_stars_and_counts():
    assert paper_answer(fixture("2503.20783.paper.json")) == ("sail-sg/understand-r1-zero", 1234)
    assert repos_answer(fixture("2503.20783.repos.json")) == (3, 1, 2)


def test_a_paper_without_code_and_an_empty_repos_answer_give_nothing():
    assert paper_answer(fixture("2501.11120.paper.json")) == ("", None)
    assert repos_answer(fixture("2501.11120.repos.json")) == (0, 0, 0)


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("https://github.com/sail-sg/understand-r1-zero", "sail-sg/understand-r1-zero"),
        ("http://www.github.com/a/b.git", "a/b"),
        ("https://github.com/a/b/tree/main/src", "a/b"),
        ("https://github.com/a/b#readme", "a/b"),
        ("https://github.com/<script>alert(1)</script>/x", ""),
        ('https://github.com/owner/repo"><i>', ""),
        ("https://gitlab.com/a/b", ""),
        ("https://github.com.evil.example/a/b", ""),
        ("https://github.com/features/copilot", ""),
        ("https://github.com/-bad/x", ""),
        ("https://github.com/a/..", ""),
        ("javascript:alert(1)//github.com/a/b", ""),
        (None, ""),
        (42, ""),
    ],
)
def test_only_github_repositories_of_githubs_shape_are_taken(url, repo):
    assert github_repo(url) == repo


def test_a_link_in_the_abstract_is_found_and_a_sentence_end_is_not_part_of_it():
    text = "Code is at https://github.com/some-lab/their-code. See also github.com/x/y."
    assert repo_in_text(text) == "some-lab/their-code"
    assert repo_in_text("No code: https://example.org/github.com") == ""


@pytest.mark.parametrize(
    ("stars", "shown"),
    [
        (10**12, None),
        (-5, None),
        ("1234", None),
        (True, None),
        (1.5, None),
        (MAX_NUMBER, MAX_NUMBER),
    ],
)
def test_stars_are_whole_numbers_in_range_or_dropped(stars, shown):
    assert paper_answer({"githubRepo": "https://github.com/a/b", "githubStars": stars}) == (
        "a/b",
        shown,
    )


def test_counts_are_of_lists_only():
    assert repos_answer({"models": "many", "datasets": -3, "spaces": [{"id": "<b>"}]}) == (0, 0, 1)


@pytest.mark.parametrize("junk", [[], "paper", 3, None])
def test_an_answer_that_is_no_object_is_an_error(junk):
    with pytest.raises(LinksError):
        paper_answer(junk)
    with pytest.raises(LinksError):
        repos_answer(junk)
