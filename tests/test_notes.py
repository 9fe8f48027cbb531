"""Notes of the user's own on articles: written and cleared on the command line
and in the shell, found with note:word, shown with the article and its hit,
kept through rebuilds, exported and imported with the tags."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SEED_000, SEED_001, Ran, seed_id
from test_desk import ids
from test_shell import session

from archive.index.desk import DESK_FILE
from archive.index.store import Store

Run = Callable[..., Ran]
PUTIN, PLAN = seed_id(SEED_000), seed_id(SEED_001)


def test_a_note_is_written_shown_and_found_by_its_words(run: Run, seeded: Store) -> None:
    done = run("note", PUTIN[:6], "Call the  Embassy", "about the 28-point plan")
    assert (done.code, done.out) == (
        0,
        f"{PUTIN}: note saved: Call the Embassy about the 28-point plan\n",
    )
    assert ids(run, "note:embassy") == ids(run, "note:EMBASSY") == {PUTIN}
    assert ids(run, "note:emb*") == ids(run, "note:28-point") == {PUTIN}
    assert ids(run, "note:emb") == set()  # a word is a whole word unless it ends in *
    assert ids(run, "putin", "NOT", "note:embassy") == {PLAN}
    assert run("note", PUTIN).out == "Call the Embassy about the 28-point plan\n"
    shown = run("show", PUTIN)
    assert "\nnote: Call the Embassy about the 28-point plan\n" in shown.out
    data = json.loads(run("show", "--json", PUTIN).out)
    assert data["note"] == "Call the Embassy about the 28-point plan"
    hits = json.loads(run("search", "--json", "putin").out)["hits"]
    assert {hit["id"]: hit["note"] for hit in hits} == {
        PUTIN: "Call the Embassy about the 28-point plan",
        PLAN: None,
    }
    listed = run("search", "note:embassy").out
    assert "    note: Call the Embassy about the 28-point plan" in listed


def test_a_note_is_one_line_of_text_whatever_is_pasted(run: Run, seeded: Store) -> None:
    done = run("note", PUTIN, "\x1b[31mred\x1b[0m [bold]call[/bold]\n\tback\x07")
    assert done.out == f"{PUTIN}: note saved: [31mred[0m [bold]call[/bold] back\n"
    assert (
        json.loads(run("show", "--json", PUTIN).out)["note"] == "[31mred[0m [bold]call[/bold] back"
    )
    assert "\nnote: [31mred[0m [bold]call[/bold] back\n" in run("show", PUTIN).out


def test_a_note_is_replaced_and_cleared(run: Run, seeded: Store) -> None:
    run("note", PUTIN, "first thought")
    assert run("note", PUTIN, "second", "thought").code == 0
    assert ids(run, "note:first") == set() and ids(run, "note:second") == {PUTIN}
    assert run("note", PUTIN, "second thought").out == f"{PUTIN}: note unchanged: second thought\n"
    cleared = run("note", PUTIN, "--clear")
    assert (cleared.code, cleared.out) == (0, f"{PUTIN}: note removed\n")
    assert ids(run, "note:second") == set()
    again = run("note", PUTIN, "--clear")
    assert (again.code, again.out) == (1, f"{PUTIN} had no note\n")
    none = run("note", PUTIN)
    assert none.code == 1 and "has no note" in none.err


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (
            ("note", PUTIN, "  "),
            2,
            "a note cannot be empty; give its text, or --clear to remove it",
        ),
        (("note", PUTIN, "x" * 1001), 2, "a note of 1,001 characters is too long"),
        (("note", PUTIN, "text", "--clear"), 2, "give a note's text or --clear, not both"),
        (("note", "0123456789ab", "text"), 1, "no article has the ID '0123456789ab'"),
        (("search", "note:..."), 2, "note:... names no word"),
    ],
)
def test_bad_notes_are_one_line_errors(
    run: Run, seeded: Store, args: tuple[str, ...], code: int, said: str
) -> None:
    done = run(*args)
    assert done.code == code
    assert said in done.err and done.err.count("\n") == 1
    assert ids(run, "note:text") == set()


def test_notes_survive_rebuild_and_move_with_the_tags(
    run: Run, seeded: Store, tmp_path: Path
) -> None:
    run("note", PUTIN, "lead for Friday")
    run("tag", "+story-x", PLAN)
    assert run("rebuild").code == 0
    assert ids(run, "note:friday") == {PUTIN}
    exported = tmp_path / "desk.jsonl"
    assert run("tags", "--export", str(exported)).code == 0
    rows = {row["id"]: row for row in map(json.loads, exported.read_text().splitlines())}
    assert rows[PUTIN]["note"] == "lead for Friday" and "note" not in rows[PLAN]
    other = tmp_path / "other"
    assert run("--index-dir", str(other), "index").code == 0
    done = run("--index-dir", str(other), "tags", "--import", str(exported))
    assert done.out == "imported the tags, marks and notes of 2 articles\n"
    assert ids(run, "note:friday", at=other) == {PUTIN}
    assert ids(run, "tag:story-x", at=other) == {PLAN}


def test_an_export_made_before_notes_imports_and_a_bad_note_is_named(
    run: Run, seeded: Store, tmp_path: Path
) -> None:
    old = tmp_path / "old.jsonl"
    old.write_text(json.dumps({"id": PUTIN, "title": "x", "tags": ["lead"], "read": True}) + "\n")
    assert run("tags", "--import", str(old)).code == 0
    assert ids(run, "tag:lead", "is:read") == {PUTIN}
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": PLAN, "tags": [], "note": 5}) + "\n")
    done = run("tags", "--import", str(bad))
    assert done.code == 2 and "line 1: 'note' is not text" in done.err


def test_a_desk_table_from_before_notes_still_shows_its_tags(run: Run, seeded: Store) -> None:
    run("tag", "+lead", PUTIN)
    with sqlite3.connect(seeded.path / DESK_FILE) as db:
        db.execute("DROP TABLE notes")
    db.close()
    found = json.loads(run("search", "--json", "title:conflict").out)["hits"]
    assert found[0]["user_tags"] == ["lead"] and found[0]["note"] is None
    assert ids(run, "note:anything") == set()
    assert run("note", PUTIN, "now a note").code == 0  # the table gains notes
    assert ids(run, "note:now") == {PUTIN}


# -- in the shell -------------------------------------------------------------------


def test_the_shell_notes_a_hit_shows_and_clears_it(run: Run, seeded: Store) -> None:
    keys = "title:conflict\n:note 1 ask  the think tank\n:note 1\n:q\n"
    _, out = session(keys, seeded.path)
    assert "result 1: note: ask the think tank" in out
    assert out.count("result 1: ask the think tank") == 1
    assert ids(run, "note:tank") == {PUTIN}
    _, out = session("note:tank\n:note 1 --clear\n:note 1\n:q\n", seeded.path)
    assert "1 hit for note:tank" in out and "note: ask the think tank" in out
    assert "result 1: note removed" in out and "result 1 has no note" in out
    assert ids(run, "note:tank") == set()


def test_bad_shell_notes_are_one_line_hints(seeded: Store) -> None:
    keys = ":note 1 text\nputin\n:note\n:note 9 text\n:note 1  \t\n:note x text\n:q\n"
    code, out = session(keys, seeded.path)
    assert code == 0
    assert "no results yet: search for something first" in out
    assert "name a result: :note 2 TEXT" in out
    assert "there is no result 9; results run 1-2" in out
    assert "result 1 has no note" in out
    assert "expected a result number, got 'x'" in out
    assert "Traceback" not in out
