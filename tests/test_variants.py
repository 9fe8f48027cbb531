"""Spelling variants: one name, many spellings, and never two words made one."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import pytest
from conftest import SEED_001, Ran, search, seed_id
from test_shell import session

from archive.index.store import Store
from archive.model import Article
from archive.query.variants import variant_key

Run = Callable[..., Ran]


@pytest.mark.parametrize(
    "spellings",
    [
        ("zaporizhia", "zaporizhzhia"),
        ("zelensky", "zelenskyy", "zelenskiy", "zelenskii"),
        ("kiev", "kyiv"),
        ("kharkov", "kharkiv"),
        ("gaddafi", "qaddafi", "kadhafi"),
        ("tchaikovsky", "chaikovsky"),
        ("emphasised", "emphasized"),
        ("organisation", "organization"),
        ("labour", "labor"),
        ("centre", "center"),
        ("catalogue", "catalog"),
        ("defence", "defense"),
        ("travelled", "traveled"),
        # A name nobody listed: the rules generalise.
        ("dostoyevskiy", "dostoyevsky"),
    ],
)
def test_spellings_of_one_word_share_a_key(spellings: tuple[str, ...]) -> None:
    assert len({variant_key(word) for word in spellings}) == 1


@pytest.mark.parametrize(
    "different",
    [
        ("diner", "dinner"),
        ("fiend", "find"),
        ("later", "latter"),
        ("hoping", "hopping"),
        ("filled", "filed"),
        ("gill", "kill"),
        ("enter", "entre"),
        ("noter", "notre"),
        ("chamber", "chambre"),
        ("nicky", "nicki"),
        ("prev", "prov"),
        ("chen", "tchen"),
        ("2024", "2025"),
        ("four", "for"),
        ("tour", "tor"),
        ("rise", "rize"),
    ],
)
def test_different_words_never_merge(different: tuple[str, str]) -> None:
    first, second = different
    assert variant_key(first) != variant_key(second)


def test_a_query_finds_the_other_spelling_ranked_and_highlighted(seeded: Store) -> None:
    found = search(seeded, "zaporizhia")
    assert found.total == 2
    assert found.variants == {"zaporizhia": ["zaporizhzhia"]}
    other = next(hit for hit in found.hits if hit.id == seed_id(SEED_001))
    words = [s.text[a:b] for s in other.snippets for a, b in s.matches]
    assert "Zaporizhzhia" in words
    # Ranked as a full match: within 20% of the article with the typed spelling.
    scores = sorted(hit.score for hit in found.hits)
    assert scores[0] > 0.8 * scores[1]


def test_exact_turns_variants_off(seeded: Store) -> None:
    found = search(seeded, "zaporizhia", exact=True)
    assert found.total == 1 and found.variants == {}


def test_only_spellings_the_index_holds_are_added(index_dir: object, seeded: Store) -> None:
    assert search(seeded, "putin").variants == {}  # no other spelling exists
    seeded.sync(
        [
            Article(
                id="k1",
                title="Talks in Kiev",
                body="Delegates met in Kiev on Monday.",
                origin="k1",
                date=datetime(2022, 1, 1),
            ),
            Article(
                id="k2",
                title="Talks in Kyiv",
                body="Delegates met in Kyiv on Monday.",
                origin="k2",
                date=datetime(2023, 1, 1),
            ),
        ]
    )
    found = {hit.id for hit in search(seeded, "kiev talks").hits}
    assert {"k1", "k2", seed_id("000_44eb2994a6798eda.txt")} == found  # seed 000 says Kyiv
    assert search(seeded, "kyiv talks").variants == {"kyiv": ["kiev"]}
    assert search(seeded, '"talks in kiev"').total == 1  # phrases stay as written


def test_explain_and_json_show_the_variants(run: Run, seeded: Store) -> None:
    ran = run("search", "--explain", "zaporizhzhia")
    assert "archive: variants: zaporizhzhia -> zaporizhia" in ran.err
    assert "archive: query: " in ran.err and "body:zaporizhia" in ran.err
    assert "Also matching other spellings: zaporizhia for zaporizhzhia" in ran.out
    data = json.loads(run("search", "--json", "zaporizhzhia").out)
    assert data["variants"] == {"zaporizhzhia": ["zaporizhia"]}
    exact = json.loads(run("search", "--json", "--exact", "zaporizhzhia").out)
    assert exact["total"] == 1 and exact["variants"] == {}


@pytest.fixture
def kieves(seeded: Store) -> Store:
    """The seeds and three articles: Kiev, the Kieves family (whose stem is
    kiev too), and both."""

    def article(key: str, title: str, body: str) -> Article:
        return Article(id=key, title=title, body=body, origin=key, date=datetime(2022, 1, 1))

    seeded.sync(
        [
            article("k1", "Notes from Kiev", "Delegates met in Kiev on Monday."),
            article("k2", "The Kieves bakery", "The Kieves family opened a bakery in Odesa."),
            article(
                "k3", "A bakery in KIEV", "Bread from the Kieves family, sold at the Café Kiev."
            ),
        ]
    )
    return seeded


def test_exact_matches_only_the_word_as_typed_never_another_form(run: Run, kieves: Store) -> None:
    def found(*args: str) -> dict[str, list[str]]:
        data = json.loads(run("search", "--json", "--all", *args).out)
        return {
            hit["id"]: [s["text"][a:b] for s in hit["snippets"] for a, b in s["matches"]]
            for hit in data["hits"]
        }

    assert set(found("kiev")) >= {"k1", "k2", "k3"}  # stems and spellings, by default
    exact = found("--exact", "kiev")
    assert set(exact) == {"k1", "k3"}  # not Kieves, not Kyiv
    assert set(exact["k3"]) == {"Kiev"}  # and only the word as typed is highlighted
    assert set(found("--exact", "Kieves")) == {"k2", "k3"}
    assert set(found("--exact", "cafe")) == {"k3"}  # case and accents still fold
    assert set(found("--exact", "bakery NOT kiev")) == {"k2"}
    assert set(found("--exact", "title:kiev")) == {"k1", "k3"}
    assert set(found("--exact", '"kieves family"')) == {"k2", "k3"}
    _, out = session(":exact on\nkieves\n:q\n", kieves.path)
    assert "2 hits for kieves" in out
