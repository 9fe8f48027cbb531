"""Citing articles (APA, MLA, Chicago, BibTeX) and opening them in a browser,
from the command line and the shell."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import webbrowser
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from conftest import SEED_000, Ran, seed_id
from test_shell import session

from archive import sources
from archive.index.store import Store
from archive.model import Article
from archive.present.cite import citation

Run = Callable[..., Ran]
PUTIN = seed_id(SEED_000)
COCOA = {
    "title": "Cocoa prices climb 5% on {ICCO} cut",
    "body": "Cocoa futures rose sharply in London trading.",
    "date": "2025-11-27",
    "source": "Reuters",
    "authors": ["Jean-Paul Durand", "Smith, John A."],
    "url": "https://example.org/cocoa?id={7}",
}


def article(**fields: object) -> Article:
    values: dict[str, object] = {"id": "0" * 12, "body": "", "origin": "test", **fields}
    return Article(**values)  # type: ignore[arg-type]


FULL = article(
    title="Oil slips as talks stall",
    date=datetime(2025, 11, 27),
    source="The Guardian",
    authors=("Maria López", "Perlis, A. J.", "Ann Lee"),
    url="https://example.org/oil",
)
BARE = article(title="Oil slips")


@pytest.mark.parametrize(
    ("style", "full", "bare"),
    [
        (
            "apa",
            "López, M., Perlis, A. J., & Lee, A. (2025, November 27). Oil slips as talks stall. "
            "The Guardian. https://example.org/oil",
            "Oil slips. (n.d.).",
        ),
        (
            "mla",
            'López, Maria, et al. "Oil slips as talks stall." The Guardian, 27 Nov. 2025, '
            "example.org/oil.",
            '"Oil slips."',
        ),
        (
            "chicago",
            'López, Maria, A. J. Perlis, and Ann Lee. "Oil slips as talks stall." The Guardian, '
            "November 27, 2025. https://example.org/oil.",
            '"Oil slips." n.d.',
        ),
    ],
)
def test_each_style_cites_what_is_known_and_says_what_is_missing_its_way(
    style: str, full: str, bare: str
) -> None:
    assert citation(FULL, style) == full
    assert citation(BARE, style) == bare


def test_without_an_author_apa_leads_with_the_title_and_chicago_with_the_source() -> None:
    unsigned = article(title="Budget passes?", source="AP", date=datetime(2024, 3, 1))
    assert citation(unsigned, "apa") == "Budget passes? (2024, March 1). AP."
    assert citation(unsigned, "chicago") == 'AP. "Budget passes?" March 1, 2024.'
    derived = article(title="The minister said on Friday that…", title_derived=True)
    assert citation(derived, "apa") == "[The minister said on Friday that…]. (n.d.)."


def test_bibtex_is_escaped_and_keyed_stably() -> None:
    tricky = article(
        title="The 100% {rise} of #oil & gas_prices ~ $5\\barrel",
        date=datetime(2025, 1, 2),
        source="Müller & Söhne",
        authors=("Łukasz Müller", "Smith, J."),
        url="https://example.org/a b?q={x}",
    )
    assert citation(tricky, "bibtex") == "\n".join(
        [
            "@article{muller2025100,",
            "  author = {Łukasz Müller and Smith, J.},",
            r"  title = {{The 100\% \{rise\} of \#oil \& gas\_prices \textasciitilde{} "
            r"\$5\textbackslash{}barrel}},",
            r"  journal = {Müller \& Söhne},",
            "  year = {2025},",
            "  month = jan,",
            "  date = {2025-01-02},",
            "  url = {https://example.org/a%20b?q=%7Bx%7D},",
            "}",
        ]
    )
    assert citation(BARE, "bibtex") == "@misc{anonndoil,\n  title = {{Oil slips}},\n}"
    entry = citation(tricky, "bibtex")
    depth = 0
    for at, char in enumerate(entry):  # every brace balanced, none escaped unpaired
        if char in "{}" and entry[at - 1] != "\\":
            depth += 1 if char == "{" else -1
            assert depth >= 0
    assert depth == 0


def test_cite_on_the_command_line(run: Run, seeded: Store, tmp_path: Path) -> None:
    wire = tmp_path / "wire.jsonl"
    wire.write_text(json.dumps(COCOA) + "\n")
    assert run("index", str(wire)).code == 0
    cocoa = json.loads(run("search", "--json", "cocoa").out)["hits"][0]["id"]
    done = run("cite", cocoa[:5], PUTIN)
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        "Durand, J.-P., & Smith, J. A. (2025, November 27). Cocoa prices climb 5% on {ICCO} "
        "cut. Reuters. https://example.org/cocoa?id={7}",
        "Russia Seeks Starting Point for Peace Talks Amid Ongoing Ukraine Conflict. (n.d.).",
    ]
    bib = run("cite", "--style", "BibTeX", cocoa, PUTIN).out
    assert bib.startswith("@article{durand2025cocoa,\n  author = {Jean-Paul Durand and Smith")
    assert "\n}\n\n@misc{anonndrussia,\n" in bib
    assert run("cite", "--style", "mla", cocoa).out.startswith("Durand, Jean-Paul, and John A.")


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (("cite", "--style", "harvard", PUTIN), 2, "'harvard' is not a citation style; styles: "),
        (("cite", "0123456789ab"), 1, "no article has the ID '0123456789ab'"),
        (("cite",), 2, "Missing argument 'ID...'"),
    ],
)
def test_bad_citations_are_one_line_errors(
    run: Run, seeded: Store, args: tuple[str, ...], code: int, said: str
) -> None:
    done = run(*args)
    assert (done.code, done.out) == (code, "")
    assert said in done.err and done.err.count("\n") == 1


# -- in the shell -------------------------------------------------------------------


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses the shell asks the web browser to open."""
    seen: list[str] = []

    def fake_open(url: str, *args: object, **kwargs: object) -> bool:
        seen.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", fake_open)
    return seen


def test_the_shell_cites_and_browses_a_hit(
    run: Run, seeded: Store, tmp_path: Path, opened: list[str]
) -> None:
    wire = tmp_path / "wire.jsonl"
    wire.write_text(json.dumps(COCOA) + "\n")
    assert run("index", str(wire)).code == 0
    keys = "cocoa\n:cite 1\n:cite 1 chicago\n:browse 1\nputin\n:browse 1\n:cite 2 nope\n:q\n"
    code, out = session(keys, seeded.path)
    assert code == 0
    assert "Durand, J.-P., & Smith, J. A. (2025, November 27). Cocoa prices" in out
    assert 'Durand, Jean-Paul, and John A. Smith. "Cocoa prices climb' in out
    assert opened == ["https://example.org/cocoa?id={7}"]
    assert "opened https://example.org/cocoa?id={7}" in out
    assert "result 1 has no address to open: it was read from a file" in out
    assert "'nope' is not a citation style; styles: apa, mla, chicago, bibtex" in out
    assert "Traceback" not in out


def test_the_shell_says_when_no_browser_starts(seeded: Store, tmp_path: Path) -> None:
    wire = tmp_path / "wire.jsonl"
    wire.write_text(json.dumps(COCOA) + "\n")
    seeded.sync(sources.read_paths([wire]))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(webbrowser, "open", lambda url, *a, **k: False)
        _, out = session("cocoa\n:browse 1\n:browse\n:cite\n:q\n", seeded.path)
    assert (
        "no web browser could be started for https://example.org/cocoa?id={7}: set $BROWSER" in out
    )
    assert "name a result: :browse 1" in out and "name a result: :cite 1" in out


def test_browse_runs_the_browser_named_by_BROWSER(seeded: Store, tmp_path: Path) -> None:
    wire = tmp_path / "wire.jsonl"
    wire.write_text(json.dumps(COCOA) + "\n")
    seeded.sync(sources.read_paths([wire]))
    said = tmp_path / "browser-was-given.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys\nopen({str(said)!r}, 'w').write(sys.argv[1])\n")
    environ = {**os.environ, "BROWSER": f"{sys.executable} {browser} %s"}
    done = subprocess.run(
        [sys.executable, "-m", "archive", "--index-dir", str(seeded.path), "shell"],
        input="cocoa\n:browse 1\n",
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert said.read_text() == "https://example.org/cocoa?id={7}"
