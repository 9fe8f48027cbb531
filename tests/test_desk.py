"""What the user keeps with articles: tags and read/flagged marks, on the
command line, in queries and facets, through re-indexing and rebuilds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEED_000, SEED_001, Ran, seed_id
from test_shell import session

from archive.index.store import Store

Run = Callable[..., Ran]
PUTIN, PLAN = seed_id(SEED_000), seed_id(SEED_001)


def ids(run: Run, *query: str, at: Path | None = None) -> set[str]:
    where = ("--index-dir", str(at)) if at is not None else ()
    found = run(*where, "search", "--json", "--all", "--limit", "100", *query)
    assert found.code in (0, 1), found.err
    return {hit["id"] for hit in json.loads(found.out)["hits"]}


def test_tag_adds_and_removes_tags_on_what_a_query_matches(run: Run, seeded: Store) -> None:
    done = run("tag", "+story-x", "+Draft", "title:conflict")
    assert done.code == 0, done.err
    assert done.out.strip() == "+story-x +draft: 1 article matched, 1 changed"
    assert ids(run, "tag:story-x") == {PUTIN}
    assert ids(run, "tag:draft", "putin") == {PUTIN}
    assert ids(run, "putin", "NOT", "tag:story-x") == {PLAN}
    done = run("tag", "-draft", "+story-x", "tag:draft")
    assert done.out.strip() == "+story-x -draft: 1 article matched, 1 changed"
    assert ids(run, "tag:draft") == set()
    assert ids(run, "tag:story-x") == {PUTIN}


def test_tag_takes_article_ids_and_says_when_one_is_unknown(run: Run, seeded: Store) -> None:
    assert run("tag", "+cited", PUTIN, PLAN).code == 0
    assert ids(run, "tag:cited") == {PUTIN, PLAN}
    missing = run("tag", "+cited", "0123456789ab")
    assert missing.code == 1
    assert "0123456789ab" in missing.err and missing.err.count("\n") == 1


def test_a_query_matching_nothing_tags_nothing_and_exits_1(run: Run, seeded: Store) -> None:
    done = run("tag", "+x", "zanzibar")
    assert (done.code, done.out.strip()) == (1, "+x: 0 articles matched, 0 changed")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("tag", "+bad!", "putin"), "'bad!' is not a tag name"),
        (("tag", "putin"), "no tag to add or remove"),
        (("tag", "+x"), "no articles named"),
        (("tag", "+x", "-x", "putin"), "the tag 'x' is both added and removed"),
        (("search", "tag:no/such"), "tag:no/such names no tag"),
        (("search", "is:new"), "is:new is not a state"),
    ],
)
def test_bad_tags_and_states_are_one_line_errors(
    run: Run, seeded: Store, args: tuple[str, ...], said: str
) -> None:
    done = run(*args)
    assert done.code == 2
    assert said in done.err and done.err.count("\n") == 1


def test_the_users_tags_are_a_facet_beside_the_articles_own(run: Run, seeded: Store) -> None:
    run("tag", "+story-x", "putin")
    run("tag", "+checked", PLAN)
    found = json.loads(run("search", "--json", "--facet", "tag", "putin").out)
    assert found["facets"]["tag"] == {"counts": {"story-x": 2, "checked": 1}, "missing": 0}
    narrowed = json.loads(run("search", "--json", "--facet", "tag", "title:conflict").out)
    assert narrowed["facets"]["tag"] == {"counts": {"story-x": 1}, "missing": 0}
    listed = run("tags")
    assert listed.out.splitlines() == ["2  story-x", "1  checked"]


def test_tags_survive_changed_files_pruning_others_and_rebuild(run: Run, tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    kept = news / "kept.txt"
    kept.write_text("Cocoa prices climb\n\nCocoa futures rose sharply in London trading.\n")
    gone = news / "gone.txt"
    gone.write_text("Coffee harvest slips\n\nBrazil's coffee harvest came in lower.\n")
    assert run("index", str(news)).code == 0
    assert run("tag", "+commodities", "cocoa", "OR", "coffee").code == 0
    before = ids(run, "tag:commodities")
    assert len(before) == 2
    kept.write_text("Cocoa prices climb again\n\nCocoa futures rose sharply in New York.\n")
    gone.unlink()
    assert run("index", "--prune", str(news)).code == 0
    after = ids(run, "tag:commodities")
    assert after == ids(run, "cocoa") and len(after) == 1
    assert run("rebuild").code == 0
    assert ids(run, "tag:commodities") == after
    gone.write_text("Coffee harvest slips\n\nBrazil's coffee harvest came in lower.\n")
    assert run("index", str(news)).code == 0  # the article comes back, and so does its tag
    assert ids(run, "tag:commodities") == before


def test_tags_move_between_archives_as_json_lines(
    run: Run, seeded: Store, tmp_path: Path, index_dir: Path
) -> None:
    run("tag", "+story-x", "+lead", PUTIN)
    run("mark", "flagged", PUTIN)
    exported = tmp_path / "tags.jsonl"
    assert run("tags", "--export", str(exported)).code == 0
    rows = [json.loads(line) for line in exported.read_text().splitlines()]
    assert rows == [
        {
            "id": PUTIN,
            "title": "Russia Seeks Starting Point for Peace Talks Amid Ongoing Ukraine Conflict",
            "tags": ["lead", "story-x"],
            "flagged": True,
        }
    ]
    assert run("tags", "--export", str(exported)).code == 2  # never replaced
    other = tmp_path / "other"
    assert run("--index-dir", str(other), "index").code == 0
    done = run("--index-dir", str(other), "tags", "--import", str(exported))
    assert done.code == 0, done.err
    assert ids(run, "tag:lead", "is:flagged", at=other) == {PUTIN}


def test_an_import_with_a_bad_line_names_it_and_imports_nothing(
    run: Run, seeded: Store, tmp_path: Path
) -> None:
    bad = tmp_path / "tags.jsonl"
    good = json.dumps({"id": PUTIN, "tags": ["fine"]})
    bad.write_text(good + "\n" + json.dumps({"id": PLAN, "tags": ["not fine"]}) + "\n")
    done = run("tags", "--import", str(bad))
    assert done.code == 2
    assert "line 2" in done.err and "'not fine' is not a tag name" in done.err
    assert "nothing was imported" in done.err
    assert ids(run, "tag:fine") == set()


# -- in the shell -------------------------------------------------------------------


def test_the_shell_tags_the_results_a_hit_or_the_marked_hit(run: Run, seeded: Store) -> None:
    keys = "putin\n:tag +story-x\n:tag +lead 1\n\x1b[1;3B\x1b[1;3B:tag +second\n:q\n"
    _, out = session(keys, seeded.path)
    assert "+story-x on every result: 2 articles, 2 changed" in out
    assert "+lead on result 1: 1 article, 1 changed" in out
    assert "+second on result 2: 1 article, 1 changed" in out
    assert ids(run, "tag:story-x") == {PUTIN, PLAN}
    assert len(ids(run, "tag:lead")) == len(ids(run, "tag:second")) == 1
    assert ids(run, "tag:lead") != ids(run, "tag:second")
    _, out = session("tag:lead\n:q\n", seeded.path)
    assert "1 hit for tag:lead" in out and "#lead" in out and "#story-x" in out


def test_opening_a_hit_marks_it_read_and_is_unread_leaves_it_out(run: Run, seeded: Store) -> None:
    assert ids(run, "is:unread") == {PUTIN, PLAN}
    _, out = session("title:conflict\n:open 1\n:mark flagged 1\n:q\n", seeded.path)
    assert "flagged on result 1: 1 article, 1 changed" in out
    assert re.search(r"^yours: read$", out, re.M)  # the article opened, as it is once opened
    assert ids(run, "is:unread") == {PLAN}
    assert ids(run, "is:read") == ids(run, "is:flagged") == {PUTIN}
    first, again = run("show", "--json", PLAN), run("show", "--json", PLAN)
    assert json.loads(first.out)["read"] is json.loads(again.out)["read"] is True  # once shown
    assert ids(run, "is:unread") == set()
    assert run("mark", "unread", PLAN).out.strip() == "unread: 1 article matched, 1 changed"
    assert ids(run, "is:unread") == {PLAN}
    shown = run("search", "title:conflict")
    assert re.search(rf"^    {PUTIN} · score [\d.]+ · flagged · read$", shown.out, re.M)


def test_bad_shell_tag_and_mark_lines_are_one_line_hints(seeded: Store) -> None:
    keys = ":tag +x\nputin\n:tag story\n:tag +x 9\n:mark sideways\n:tag +a!b\n:q\n"
    _, out = session(keys, seeded.path)
    assert "no results yet: search for something first" in out
    assert "no tag to add or remove" in out
    assert "there is no result 9; results run 1-2" in out
    assert "marks are: read, unread, flagged, unflagged" in out
    assert "'a!b' is not a tag name" in out
    assert "Traceback" not in out


def test_a_watch_of_unread_matches_leaves_out_what_was_read(run: Run, seeded: Store) -> None:
    assert run("watch", "add", "unread-putin", "putin", "is:unread").code == 0
    listed = json.loads(run("watch", "show", "--all", "--format", "json", "unread-putin").out)
    assert {hit["id"] for hit in listed["hits"]} == {PUTIN, PLAN}
    run("show", PUTIN)
    listed = json.loads(run("watch", "show", "--all", "--format", "json", "unread-putin").out)
    assert {hit["id"] for hit in listed["hits"]} == {PLAN}


def test_pasted_prose_with_is_colon_is_still_prose(run: Run, seeded: Store) -> None:
    done = run("search", "--any", "what", "Putin's", "position", "is:", "withdrawal")
    assert done.code == 0 and "2 hits" in done.out
