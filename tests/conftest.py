"""Shared fixtures: every test runs against its own index and data folders."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

import archive
from archive import cli, sources
from archive.index.store import Store
from archive.model import Results, SearchRequest
from archive.search.reader import Reader

SEED_000 = "000_44eb2994a6798eda.txt"  # headline first; whole body pasted twice
SEED_001 = "001_dcd564552b84d477.txt"  # no headline; trailing "Also Read:" line
SEEDS = Path(archive.__file__).parent / "seeds"
SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the index, history and every per-user folder at tmp_path."""
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARCHIVE_CONFIG", str(tmp_path / "config" / "config.toml"))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    for var in (*TERMINAL_ENV, "ARCHIVE_PAGER", "PAGER", "LESS"):
        monkeypatch.delenv(var, raising=False)
        os.unsetenv(var)  # readline sets LINES and COLUMNS where os.environ never sees
    return tmp_path


# What the terminal pytest was started from would tell a test (and the shells
# and pagers it starts): its size (readline exports LINES and COLUMNS), and
# whether to colour or treat any output as a terminal.
TERMINAL_ENV = (
    "LINES", "COLUMNS", "JUPYTER_LINES", "JUPYTER_COLUMNS",
    "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "CLICOLOR_FORCE",
    "PROMPT_TOOLKIT_COLOR_DEPTH", "PROMPT_TOOLKIT_NO_CPR",
)  # fmt: skip


@pytest.fixture
def index_dir(isolated: Path) -> Path:
    return isolated / "index"


@pytest.fixture
def seeded(index_dir: Path) -> Store:
    """An index holding the two bundled seed articles."""
    store = Store.create(index_dir)
    store.sync(sources.read_seeds())
    return store


@dataclass
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """Run the command line in-process; returns exit code, stdout and stderr."""

    def invoke(*args: str) -> Ran:
        code = cli.main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke


def seed_id(name: str) -> str:
    return sources.article_id(f"seed:{name}")


@pytest.fixture
def bbc(seeded: Store) -> Store:
    """The seeds and 30 BBC business articles."""
    seeded.sync(sources.read_paths([FIXTURES / "bbc_business"]))
    return seeded


REUTERS = SHARED / "corpora" / "reuters21578" / "reuters21578.jsonl.gz"


@pytest.fixture(scope="session")
def reuters_corpus() -> Path:
    """Reuters-21578 from ../shared/corpora; a test that needs it skips without it."""
    if not REUTERS.exists():
        pytest.skip("needs ../shared/corpora")
    return REUTERS


@pytest.fixture(scope="session")
def wire(reuters_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1,400 real Reuters stories (every 15th) in one JSON Lines file."""
    import gzip

    path = tmp_path_factory.mktemp("wire") / "wire.jsonl"
    with gzip.open(reuters_corpus, "rb") as whole:
        path.write_bytes(b"".join(line for n, line in enumerate(whole) if n % 15 == 0))
    return path


@pytest.fixture(scope="session")
def wire_index(wire: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The index of that sample, made once (tests only read it)."""
    from archive.index.indexer import index_paths

    store = Store.create(tmp_path_factory.mktemp("wire-index") / "index")
    report = index_paths(store, [wire])
    assert report.added > 1_000, report
    store.close()
    return store.path


# -- an archive grown the way users grow one ---------------------------------

RECORDS = FIXTURES / "ingest" / "records"
BBC_BUSINESS = FIXTURES / "bbc_business"


def grow_archive(root: Path) -> Path:
    """Build, over six runs of ``archive index``, an archive like a user's.

    The seeds; a folder of undated articles (with an exact copy and a
    re-headlined copy of one story, and a dated Markdown note); dated JSON
    Lines exports; a changed file and new ones; a file removed with --prune;
    an undated CSV export. It ends with several segments and deletions.
    Returns the index folder.
    """
    index, news = root / "index", root / "news"
    (news / "copies").mkdir(parents=True)
    for source in sorted(BBC_BUSINESS.glob("0[01]*.txt")):
        (news / source.name).write_bytes(source.read_bytes())
    first = (BBC_BUSINESS / "001.txt").read_text("utf-8")
    (news / "copies" / "001-again.txt").write_text(first, "utf-8")  # an exact copy
    headline, rest = first.split("\n", 1)
    (news / "copies" / "001-reheadlined.txt").write_text(
        "Wire copy: " + headline + "\n" + rest, "utf-8"
    )  # the same story under another headline
    (news / "note.md").write_text(
        "---\ntitle: Markets note on Yukos and oil\ndate: 2024-03-05\nauthor: A. Reporter\n"
        "tags: [oil, russia]\n---\nYukos shares fell as oil prices rose on Tuesday, "
        "traders said, while the bank kept interest rates unchanged.\n",
        "utf-8",
    )

    def index_run(*args: str) -> None:
        code = cli.main(["--index-dir", str(index), "index", *args])
        assert code == 0, (args, code)

    index_run()
    index_run(str(news))
    index_run(str(RECORDS / "reuters_first40.jsonl.gz"), str(RECORDS / "huffpost_first40.jsonl"))
    with (news / "005.txt").open("a", encoding="utf-8") as changed:
        changed.write("\nA paragraph added in a later edition of the story.\n")
    for source in sorted(BBC_BUSINESS.glob("02*.txt")):
        (news / source.name).write_bytes(source.read_bytes())
    index_run(str(news))
    (news / "010.txt").unlink()
    index_run("--prune", str(news))
    index_run(str(RECORDS / "ag_news_test_first40.csv"))
    return index


@pytest.fixture(scope="session")
def grown_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("grown")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHIVE_DATA_DIR", str(root / "data"))
        return grow_archive(root)


@pytest.fixture
def grown(grown_master: Path, tmp_path: Path) -> Path:
    """A private copy of the grown archive's index folder (and its news folder)."""
    import shutil

    shutil.copytree(grown_master.parent / "news", tmp_path / "news")
    return Path(shutil.copytree(grown_master, tmp_path / "grown-index"))


# -- another user of a shared index ------------------------------------------

# Root reads and writes whatever the permissions say: without these
# capabilities, it is held to them like any other user.
WITHOUT_OVERRIDES = (
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
)


@pytest.fixture
def another_user(tmp_path: Path) -> tuple[str, ...]:
    """What a command starts with to run held to the files' permissions as
    another user is (nothing unless this is root); skips where that cannot be."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0:
        return ()
    probe = tmp_path / "unreadable-probe"
    probe.write_text("secret")
    probe.chmod(0)
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to run as root held to the files' permissions")
    tried = subprocess.run([*WITHOUT_OVERRIDES, "cat", str(probe)], capture_output=True)
    probe.unlink()
    if tried.returncode == 0 or b"Permission denied" not in tried.stderr:
        pytest.skip("this machine does not let root give up its permission overrides")
    return WITHOUT_OVERRIDES


# -- searching as the command line does ---------------------------------------


def search(store: Store, request: SearchRequest | str, **fields: Any) -> Results:
    """A page of results for a request (a query text, with any request fields
    changed), read as the command line reads it."""
    wanted = SearchRequest(request) if isinstance(request, str) else request
    with Reader(store) as reader:
        return reader.search(reader.prepare(replace(wanted, **fields)))


# -- plain Whoosh over the same articles: the oracle of the arrays ---------------


def reference_index(store: Store, folder: Path) -> Any:
    """A plain Whoosh index of the store's live articles, with positions and
    dates indexed as Whoosh indexes them: what the archive's arrays (its
    positions, dates and words) must find the same articles as."""
    from whoosh import fields
    from whoosh import index as whoosh_index

    from archive.index.analysis import analysed
    from archive.index.schema import name_analyzer, text_analyzer

    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=fields.TEXT(analyzer=text_analyzer()),
        body=fields.TEXT(analyzer=text_analyzer()),
        date=fields.DATETIME(),
        outlet=fields.TEXT(analyzer=name_analyzer()),
        authors=fields.TEXT(analyzer=name_analyzer()),
        tags=fields.TEXT(analyzer=name_analyzer()),
        language=fields.ID(),
        spell_title=fields.KEYWORD(),  # the words as written, for exact queries
        spell_body=fields.KEYWORD(),
    )
    folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(folder), schema)
    with store.searcher() as searcher, ix.writer() as writer:
        for stored in searcher.all_stored_fields():
            title = "" if stored.get("title_derived") else stored.get("title", "")
            doc = {"id": stored["id"], "title": title, "body": stored.get("body") or ""}
            for field in ("title", "body"):
                doc[f"spell_{field}"] = " ".join(analysed(doc[field])[0])
            extra = {"date": stored.get("date"), "outlet": stored.get("source")}
            for name in ("authors", "tags", "language"):
                extra[name] = stored.get(name)
            writer.add_document(**doc, **{k: v for k, v in extra.items() if v})
    return ix


def reference_ids(ix: Any, query: Any) -> set[str]:
    """The IDs of the articles plain Whoosh finds for a query (a condition on
    words as written asked of the reference's own fields of them)."""
    from whoosh.query import Or, Term

    from archive.query.exact import SPELLED, WrittenAs

    def plain(child: Any) -> Any:
        if isinstance(child, WrittenAs):
            return Or([Term(SPELLED[f], form) for f in child.fields for form in child.forms])
        return child.apply(plain)

    with ix.searcher() as searcher:
        found = searcher.docs_for_query(plain(query))
        return {searcher.stored_fields(n)["id"] for n in found}


def words_of(store: Store) -> set[str]:
    """Every word of the index as written (what completion and spelling offer)."""
    from archive.index.vocabulary import Vocabulary

    with store.searcher() as searcher:
        return set(Vocabulary.of(searcher.reader()).starting(""))


def band_keys_held(index: Path) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """The near-duplicate band keys the index's segments hold for their live
    articles, and those the articles' stored fingerprints give: (held, expected)."""
    from archive.index.derived import for_segment
    from archive.index.similarity import band_keys
    from archive.whoosh_ext.columns import leaf_readers

    held, expected = set(), set()
    with Store.open(index).ix.searcher() as searcher:
        for leaf, _ in leaf_readers(searcher.reader()):
            arrays = for_segment(leaf)
            assert arrays is not None
            keys, docs = arrays["bands.keys"].tolist(), arrays["bands.docs"].tolist()
            for key, docnum in zip(keys, docs, strict=True):
                if not leaf.is_deleted(docnum):
                    held.add((key, str(leaf.stored_fields(docnum)["id"])))
        for fields in searcher.all_stored_fields():
            expected |= {(key, str(fields["id"])) for key in band_keys(fields)}
    return held, expected
