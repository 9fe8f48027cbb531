"""Hostile input: huge or strange queries, attacks in feeds, escape codes in names,
and fuzzing of the readers and the query path.

The fuzz tests run a few hundred examples in CI; set ARCHIVE_FUZZ_EXAMPLES for
longer runs (e.g. ARCHIVE_FUZZ_EXAMPLES=20000 python -m pytest tests/test_hostile.py).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Ran, search
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import sources
from archive.errors import QueryError
from archive.index.store import Store
from archive.model import Article, Problem

Run = Callable[..., Ran]
EXAMPLES = int(os.environ.get("ARCHIVE_FUZZ_EXAMPLES", "200"))
# The same examples at every run unless a longer run is asked for: a test suite
# that fails one time in fifty is a suite no one trusts. A longer run explores.
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize="ARCHIVE_FUZZ_EXAMPLES" not in os.environ,
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    created = Store.create(tmp_path_factory.mktemp("hostile") / "index")
    created.sync(sources.read_seeds())
    return created


@pytest.mark.parametrize(
    "query",
    [
        " OR ".join(f"word{i}" for i in range(10_000)),
        "putin " * 20_000,
        "x" * 100_000,
    ],
)
@pytest.mark.timeout(60)  # refused at once: a hang would be a parse of all of it
def test_huge_queries_are_refused_at_once(store: Store, query: str) -> None:
    with pytest.raises(QueryError, match="the query is too long") as refused:
        search(store, query)
    assert len(str(refused.value)) < 200


def test_messages_quote_long_queries_short_and_escaped(run: Run, store: Store) -> None:
    junk = "\x1b[" + "#" * 3000  # no words at all: an error that quotes the query
    ran = run("--index-dir", str(store.path), "search", junk)
    assert ran.code == 2
    assert ran.err.count("\n") == 1 and len(ran.err) < 300
    assert "\x1b" not in ran.err


@pytest.mark.timeout(max(600, EXAMPLES))  # a query that never ends would hang it
@FUZZ
@given(st.text(max_size=400))
def test_any_query_gives_results_or_a_one_line_error(store: Store, text: str) -> None:
    try:
        found = search(store, text)
        assert found.total >= 0
    except QueryError as err:
        assert "\n" not in str(err)


SPECIAL = st.sampled_from([*list('"()[]{}:~^*?-+ ORANDNOTdate:title:'), "date:[", " TO "])


@FUZZ
@given(st.lists(st.one_of(SPECIAL, st.text(max_size=8)), max_size=40).map("".join))
def test_query_syntax_soup_never_breaks_the_search(store: Store, text: str) -> None:
    try:
        search(store, text)
    except QueryError as err:
        assert "\n" not in str(err)


NAMES = st.sampled_from(
    ["a.txt", "a.md", "a.html", "a.xml", "a.json", "a.jsonl", "a.csv", "a.jsonl.gz", "noext"]
)


@FUZZ
@given(st.binary(max_size=2000), NAMES)
def test_any_bytes_give_articles_or_problems(data: bytes, name: str) -> None:
    items = list(sources.read_stream(io.BytesIO(data), name=name, origin="fuzz"))
    assert all(isinstance(item, Article | Problem) for item in items)
    assert all(item.body for item in items if isinstance(item, Article))


STRUCTURED = st.one_of(
    st.lists(
        st.dictionaries(
            st.sampled_from(["title", "body", "date", "author", "tags"]),
            st.one_of(
                st.text(max_size=30),
                st.integers(),
                st.none(),
                st.lists(st.text(max_size=5), max_size=3),
            ),
        ),
        max_size=5,
    ).map(lambda rows: "\n".join(map(__import__("json").dumps, rows))),
    st.text(alphabet='<>/"=&;!abc\n ', max_size=300),
    st.text(alphabet=',"\n\tabc ', max_size=300),
)


@FUZZ
@given(STRUCTURED, NAMES)
def test_almost_valid_inputs_give_articles_or_problems(text: str, name: str) -> None:
    items = list(sources.read_stream(io.BytesIO(text.encode()), name=name, origin="fuzz"))
    assert all(isinstance(item, Article | Problem) for item in items)


VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=20),
        st.dates(),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(["title", "date", "source", "author", "authors", "tags", "url", "lang"]),
        VALUES,
        max_size=5,
    )
)
def test_any_front_matter_gives_an_article_or_a_problem(meta: dict[str, object]) -> None:
    import yaml

    text = "---\n" + yaml.safe_dump(meta, default_flow_style=False) + "---\nThe text of it.\n"
    items = list(sources.read_stream(io.BytesIO(text.encode()), name="a.md", origin="fuzz"))
    assert items and all(isinstance(item, Article | Problem) for item in items)


@FUZZ
@given(st.integers(1, 20_000), st.sampled_from(["[", '{"a":', '[{"b":[']), NAMES)
def test_any_nesting_depth_gives_articles_or_problems(depth: int, opener: str, name: str) -> None:
    data = (opener * depth).encode()
    items = list(sources.read_stream(io.BytesIO(data), name=name, origin="fuzz"))
    assert all(isinstance(item, Article | Problem) for item in items)


CSV_CELLS = st.one_of(
    st.text(alphabet='ab ,;\t"\n\r', max_size=12), st.sampled_from(["", '"', '""', "title"])
)


@FUZZ
@given(st.lists(st.lists(CSV_CELLS, max_size=5), max_size=8), st.sampled_from([",", ";", "\t"]))
def test_any_csv_shape_gives_articles_or_problems(rows: list[list[str]], delimiter: str) -> None:
    text = "\n".join(delimiter.join(row) for row in rows)
    items = list(sources.read_stream(io.BytesIO(text.encode()), name="a.csv", origin="fuzz"))
    assert all(isinstance(item, Article | Problem) for item in items)


@settings(FUZZ, max_examples=min(EXAMPLES, 40))
@given(st.binary(min_size=1, max_size=30).filter(lambda b: b"/" not in b and b"\0" not in b))
def test_any_file_name_is_indexed_or_reported_by_name(
    tmp_path_factory: pytest.TempPathFactory, name: bytes
) -> None:
    import os

    from archive import cli

    folder = tmp_path_factory.mktemp("names")
    if name in (b".", b".."):
        return
    with open(os.path.join(os.fsencode(folder), name + b".txt"), "w") as story:
        story.write("Harbour reopens\n\nThe harbour reopened today.\n")
    code = cli.main(["--index-dir", str(folder / ".index"), "index", str(folder)])
    assert code in (0, 3)


ENTITY_FEED = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title>
<item><title>Leak &xxe;</title><description>Text &xxe; here</description></item>
</channel></rss>"""


@pytest.mark.timeout(60)  # entities expanded would take for ever
def test_feeds_cannot_read_files_or_expand_entities(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol">'
        + b"".join(
            b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10)
            for i in range(1, 10)
        )
        + b']><rss version="2.0"><channel><item><title>&a9;</title></item></channel></rss>'
    )
    for name, data in (("xxe.xml", ENTITY_FEED), ("laughs.xml", laughs)):
        items = list(sources.read_stream(io.BytesIO(data), name=name, origin=name))
        assert [type(i) for i in items] == [Problem]
        assert "declares XML entities" in items[0].reason
        assert "root:" not in items[0].reason


def test_escape_codes_in_file_names_never_reach_the_terminal(run: Run, tmp_path: Path) -> None:
    evil = tmp_path / "news\x1b]8;;evil.example\x07link\x1b]8;;\x07.txt"
    evil.write_bytes(b"")
    ran = run("index", str(tmp_path))
    assert ran.code == 3
    assert "\x1b" not in ran.err and "\x07" not in ran.err
    assert "\\x1b]8;;evil.example\\x07" in ran.err


def test_a_huge_line_is_skipped_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracemalloc

    from archive.sources import records

    monkeypatch.setattr(records, "MAX_LINE_BYTES", 1024 * 1024)
    data = tmp_path / "big.jsonl"
    with data.open("wb") as out:
        out.write(b'{"title": "Before", "body": "A normal record."}\n')
        out.write(b'{"title": "Huge", "body": "' + b"x" * (40 * 1024 * 1024) + b'"}\n')
        out.write(b'{"title": "After", "body": "Another normal record."}\n')
    tracemalloc.start()
    items = list(sources.read_file(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [i.title for i in items if isinstance(i, Article)] == ["Before", "After"]
    (problem,) = [i for i in items if isinstance(i, Problem)]
    assert problem.path == f"{data}:2" and "line longer than 1,048,576 bytes" in problem.reason
    assert peak < 8 * 1024 * 1024  # the 40 MB line was never held


def test_a_huge_json_document_is_refused_with_advice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sources.MAX_BYTES, sources.detect.JSON, 1024)
    data = tmp_path / "big.json"
    data.write_text("[" + ",".join('{"title": "t", "body": "b"}' for _ in range(200)) + "]")
    (problem,) = list(sources.read_file(data))
    assert isinstance(problem, Problem)
    assert "too large to read as one json file" in problem.reason
    assert "JSON Lines" in problem.reason


def test_a_csv_whose_first_row_cannot_be_read_is_reported() -> None:
    # Found by the fuzzer: this used to escape as an exception.
    items = list(sources.read_stream(io.BytesIO(b"\r\x00"), name="a.csv", origin="x"))
    assert all(isinstance(item, Problem) for item in items)


@pytest.mark.parametrize("stamp", [-9223372036854775809, -67768040609740801, 1e300])
def test_absurd_numeric_dates_are_warnings(stamp: float) -> None:
    # Found by the fuzzer: these escaped from the reader as OverflowError/OSError.
    line = f'{{"title": "Port reopens", "date": {stamp}}}'
    items = list(sources.read_stream(io.BytesIO(line.encode()), name="a.json", origin="x"))
    assert [type(i).__name__ for i in items] == ["Article", "Problem"], line  # said after
    assert "out of range" in items[1].reason and not items[1].skipped


@pytest.mark.timeout(600)  # a parser that never ends would hang it
@pytest.mark.parametrize(
    "page",
    [
        "<html><body>" + "<div>" * 100_000 + "Deep text." + "</div>" * 100_000 + "</body></html>",
        "<html><body><p>Unclosed <b><i><table><tr><td>cells <p>" * 5_000 + "</body>",
        "<html><head><title>T</title></head><body><article>"
        + "<p>A real paragraph about the harbour and its ferries.</p>" * 50
        + "</article><<<>>><!-- unterminated comment",
    ],
    ids=["100000-deep", "never-closed", "broken-tail"],
)
def test_deeply_nested_or_malformed_html_is_read_or_reported(tmp_path: Path, page: str) -> None:
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    items = list(sources.read_file(path))
    assert items and all(isinstance(item, Article | Problem) for item in items)


@pytest.fixture(scope="module")
def business(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The seeds and 30 BBC business articles: a vocabulary of a few thousand words."""
    created = Store.create(tmp_path_factory.mktemp("business") / "index")
    created.sync(sources.read_seeds())
    created.sync(sources.read_paths([Path(__file__).parent / "fixtures" / "bbc_business"]))
    return created


@pytest.mark.parametrize(
    ("query", "refusal"),
    [
        ("*a*", "the wildcard '\\*a\\*' begins with \\*"),
        ("???", "the wildcard '\\?\\?\\?' begins with \\?"),
        ("body:*e*", "begins with \\*"),
        ("[a TO z]", "stands for more than 1,024 words"),
        ("(" * 1000 + "oil" + ")" * 1000, "nests brackets 1,000 deep"),
        (" ".join(f"market{i}x~2" for i in range(999)), "999 fuzzy, wildcard or range terms"),
    ],
    ids=["*a*", "???", "body:*e*", "[a TO z]", "1000 brackets", "999 fuzzy"],
)
def test_costly_queries_are_refused_with_the_reason(
    business: Store, query: str, refusal: str
) -> None:
    for any_words in (False, True):
        if any_words and query == "???":
            refusal = "has no words"  # in prose, question marks end questions
        with pytest.raises(QueryError, match=refusal):
            search(business, query, any_words=any_words)


def test_a_lone_star_is_every_article_and_fuzziness_is_capped(business: Store) -> None:
    every = search(business, "*", all_copies=True)
    assert every.articles == business.ix.doc_count()
    assert "title:" not in every.parsed  # not a walk of every word of every field
    capped = search(business, "profits~9")
    assert "~2" in capped.parsed and "~9" not in capped.parsed
    assert capped.articles < every.articles  # not every word within nine edits


def test_a_pattern_is_counted_only_up_to_the_limit(
    business: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive.query import parse as query_language

    monkeypatch.setattr(query_language, "MAX_EXPANSION", 3)
    assert search(business, "yuk*").articles > 0  # a few words: answered
    with pytest.raises(QueryError, match="'pro\\*' stands for more than 3 words"):
        search(business, "pro*")


# -- one bad input never stops a run --------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        "title: 2024",
        "title: 2024-03-05",
        "title: [a, b]",
        "title: {a: b}",
        "title: true",
        "authors: {name: x}",
        "tags: [1, 2]",
    ],
)
def test_front_matter_that_is_not_text_skips_only_that_file(
    run: Run, tmp_path: Path, front: str
) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "bad.md").write_text(f"---\n{front}\n---\nSome text of the story.\n")
    (news / "good.md").write_text("---\ntitle: Harbour reopens\n---\nThe harbour reopened.\n")
    ran = run("index", str(news))
    assert ran.code == 3
    assert f"skipped {news / 'bad.md'}: front matter" in ran.err and "not text" in ran.err
    assert "1 added" in ran.out


def test_toml_front_matter_that_is_not_text_skips_the_file(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("+++\ntitle = 5\n+++\nSome text.\n")
    ran = run("index", str(bad))
    assert ran.code == 3 and "front matter 'title' is a number, not text" in ran.err


@pytest.mark.timeout(120)  # a bomb expanded would take for ever
def test_a_yaml_alias_bomb_is_refused_at_once(run: Run, tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        lines.append(
            f"{chr(97 + level)}: &{chr(97 + level)} [" + ",".join([f"*{chr(96 + level)}"] * 9) + "]"
        )
    bomb = tmp_path / "bomb.md"
    bomb.write_text("---\n" + "\n".join(lines) + "\ntitle: Boom\n---\nText.\n")
    assert len(bomb.read_bytes()) < 2048
    ran = run("index", str(bomb))
    assert ran.code == 3 and "front matter refused: YAML aliases" in ran.err


def test_json_nested_too_deeply_is_reported_and_good_lines_kept(run: Run, tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    lines = tmp_path / "deep.jsonl"
    lines.write_text(
        '{"title": "Before", "body": "A normal record."}\n'
        + deep
        + '\n{"title": "After", "body": "Another normal record."}\n'
    )
    whole = tmp_path / "deep.json"
    whole.write_text(deep)
    ran = run("index", str(lines), str(whole))
    assert ran.code == 3
    assert f"skipped {lines}:2: JSON nested too deeply" in ran.err
    assert f"skipped {whole}: JSON nested too deeply" in ran.err
    assert "2 added" in ran.out


def test_a_file_name_that_is_not_utf8_is_skipped_and_the_rest_indexed(
    run: Run, tmp_path: Path
) -> None:
    import os

    news = tmp_path / "news"
    news.mkdir()
    with open(os.path.join(os.fsencode(news), b"caf\xe9.txt"), "w") as bad:
        bad.write("Cafe opens\n\nA new cafe opened on the square.\n")
    (news / "good.txt").write_text("Harbour reopens\n\nThe harbour reopened today.\n")
    ran = run("index", str(news))
    assert ran.code == 3
    assert "caf\\xe9.txt: the file name is not valid UTF-8" in ran.err
    assert "1 added" in ran.out


@pytest.mark.timeout(300)  # a pipe or /dev/zero read would never end
def test_only_regular_files_are_read(run: Run, tmp_path: Path) -> None:
    import os

    news = tmp_path / "news"
    news.mkdir()
    os.mkfifo(news / "pipe.txt")
    (news / "good.txt").write_text("Harbour reopens\n\nThe harbour reopened today.\n")
    ran = run("index", str(news), "/dev/zero")
    assert ran.code == 3
    assert f"skipped {news / 'pipe.txt'}: not a regular file (a pipe)" in ran.err
    assert "skipped /dev/zero: not a regular file (a device)" in ran.err
    assert "1 added" in ran.out


def test_a_gzip_bomb_is_refused_and_what_came_before_is_kept(tmp_path: Path) -> None:
    import gzip

    bomb = tmp_path / "bomb.jsonl.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        out.write(b'{"title": "Before", "body": "A normal record."}\n')
        for _ in range(100):
            out.write(b"\n" * (1 << 20))  # 100 MB of newlines
    assert bomb.stat().st_size < 1 << 20
    items = list(sources.read_file(bomb))
    assert [i.title for i in items if isinstance(i, Article)] == ["Before"]
    (problem,) = [i for i in items if isinstance(i, Problem)]
    assert "inflates to over 100 times its size" in problem.reason and "gzip bomb" in problem.reason


def test_csv_lines_and_fields_are_bounded_and_later_rows_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tracemalloc

    from archive.sources import records

    monkeypatch.setattr(records, "MAX_LINE_BYTES", 1024 * 1024)
    data = tmp_path / "wire.csv"
    with data.open("wb") as out:
        out.write(b"title,body\nBefore,A normal row.\n")
        out.write(b"Long line," + b"x" * (32 * 1024 * 1024) + b"\n")  # one line, no quotes
        out.write(b"Middle,Another normal row.\n")
        out.write(b'Long field,"' + b"y" * 4000 + b"\n" * 1)  # a quoted field over many lines
        for _ in range(16_000):
            out.write(b"z" * 1000 + b"\n")
        out.write(b'end of the field"\n')
        out.write(b"After,A last normal row.\n")
    tracemalloc.start()
    items = list(sources.read_file(data))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [i.title for i in items if isinstance(i, Article)] == ["Before", "Middle", "After"]
    reasons = [i.reason for i in items if isinstance(i, Problem)]
    assert reasons == [
        "line longer than 1,048,576 bytes; skipped",
        "record longer than 1,048,576 bytes; skipped",
    ]
    assert peak < 12 * 1024 * 1024  # the 32 MB line and the 16 MB field were never held


# -- article data never becomes markup or escapes ---------------------------------

HOSTILE_AUTHOR = "[link=http://evil.example/x]Trusted Reporter[/link]"


@pytest.fixture
def marked_up(tmp_path: Path) -> Path:
    """An index of one record whose every field tries rich markup."""
    record = {
        "id": "1",
        "title": "Harbour [bold]reopens[/bold]",
        "body": "The harbour reopened today after repairs to the quay.",
        "date": "2024-03-05",
        "source": "[reverse]Gazette[/reverse]",
        "author": HOSTILE_AUTHOR,
        "tags": "[blink]shipping[/blink]",
    }
    path = tmp_path / "marked.jsonl"
    path.write_text(json.dumps(record))
    index = tmp_path / "marked-index"
    store = Store.create(index)
    store.sync(sources.read_file(path))
    return index


def terminal_output(run: Run, *args: str) -> str:
    """What a command prints on a colour terminal, escape codes and all."""
    import io

    from rich.console import Console

    from archive import cli
    from archive.present.render import theme

    screen = io.StringIO()

    def console(stderr: bool = False, width: int | None = None) -> Console:
        return Console(
            file=screen, force_terminal=True, color_system="truecolor", width=200, theme=theme()
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli.Env, "console", staticmethod(console))
        ran = run(*args)
    assert ran.code in (0, 1), ran.err
    return screen.getvalue()


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--facet", "author", "--facet", "source", "--facet", "tags", "harbour"],
        ["timeline", "harbour"],
        ["stats"],
        ["show", "{id}"],
        ["similar", "{id}"],
        ["search", "harbour"],
    ],
    ids=lambda a: a[0] + (" --facet" if "--facet" in a else ""),
)
def test_article_fields_never_become_markup(run: Run, marked_up: Path, args: list[str]) -> None:
    article = sources.article_id(f"{marked_up.parent / 'marked.jsonl'}#1")
    shown = terminal_output(
        run, "--index-dir", str(marked_up), *(a.format(id=article) for a in args)
    )
    assert "\x1b]8;" not in shown  # no live hyperlink
    assert "\x1b[7m" not in shown and "\x1b[5m" not in shown  # no reverse, no blink
    if args[0] == "search" and "--facet" in args:
        assert "[link=http://evil.example/x]Trusted Reporter[/link]" in shown
        assert "[reverse]Gazette[/reverse]" in shown


def test_a_file_name_cannot_forge_output_lines(run: Run, tmp_path: Path) -> None:
    odd = tmp_path / "news\narchive: error: forged line.txt"
    odd.write_text("Harbour reopens\n\nThe harbour reopened today.\n")
    assert run("index", str(odd)).code == 0
    found = json.loads(run("search", "--json", "harbour").out)
    shown = run("show", found["hits"][0]["id"]).out
    assert "\narchive: error: forged line" not in shown
    assert "news\\narchive: error: forged line.txt" in shown


@pytest.mark.parametrize("codec", ["utf-8", "utf-16"])
def test_entity_declarations_are_refused_wherever_they_are(tmp_path: Path, codec: str) -> None:
    feed = (
        '<?xml version="1.0"?>\n<!-- ' + "padding " * 20_000 + "-->\n"
        '<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n'
        '<rss version="2.0"><channel><title>T</title><item><title>&lol2;</title>'
        "<description>Body of the item, long enough to be news.</description></item>"
        "</channel></rss>\n"
    )
    path = tmp_path / "feed.xml"
    path.write_bytes(feed.encode(codec))
    (problem,) = list(sources.read_file(path))
    assert isinstance(problem, Problem) and "declares XML entities" in problem.reason
