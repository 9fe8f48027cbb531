"""The shell's parts on their own: completer, lexer, preview, toolbar, sorting."""

from __future__ import annotations

import io
import threading
from datetime import datetime
from pathlib import Path

import pytest
from conftest import search, words_of
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from rich.console import Console

from archive.config import Settings
from archive.index.store import Store
from archive.locations import IndexLocation
from archive.model import Article
from archive.query.tokens import SHOWN_FIELDS as QUERY_FIELDS
from archive.search.reader import Reader
from archive.shell.commands import ShellState
from archive.shell.completer import ShellCompleter
from archive.shell.lexer import COMMAND, FIELD, OPERATOR, PATTERN, PHRASE, WARNING, tokens
from archive.shell.preview import Previewer
from archive.shell.toolbar import toolbar

FIXTURES = Path(__file__).parent / "fixtures"
TAB = CompleteEvent(completion_requested=True)
TYPING = CompleteEvent(text_inserted=True)


def complete(store: Store, text: str, event: CompleteEvent = TAB) -> list[str]:
    reader = Reader(store)
    completer = ShellCompleter(
        lambda prefix: [word for word, _ in reader.completions(prefix)], QUERY_FIELDS
    )
    return [c.text for c in completer.get_completions(Document(text), event)]


# -- completion -----------------------------------------------------------------


def test_tab_completes_words_from_the_index_most_frequent_first(bbc: Store) -> None:
    words = complete(bbc, "oil pri")
    assert words[:2] == ["prices", "price"]
    vocabulary = words_of(bbc)
    assert set(words) <= vocabulary  # never a word the index does not hold
    assert all(word.startswith("pri") for word in words)


def test_completion_offers_unstemmed_words(seeded: Store) -> None:
    assert complete(seeded, "negoti") == ["negotiations"]  # not the stem "negoti"
    assert complete(seeded, "zapor") == ["zaporizhia", "zaporizhzhia"]


def test_nothing_is_offered_for_words_the_index_lacks(seeded: Store) -> None:
    assert complete(seeded, "xylophon") == []


def test_field_names_complete_on_tab(seeded: Store) -> None:
    assert complete(seeded, "ti")[:1] == ["title:"]
    assert "source:" in complete(seeded, "putin so")
    assert complete(seeded, "title:kyr") == ["kyrgyzstan"]


def test_commands_complete_while_typing_but_words_wait_for_tab(seeded: Store) -> None:
    assert complete(seeded, ":so", TYPING) == ["sort", "source"]
    assert complete(seeded, ":facet ", TYPING)[:2] == ["source", "author"]
    assert complete(seeded, ":sort n", TYPING) == ["newest"]
    assert complete(seeded, ":cite 2 ", TYPING) == ["apa", "mla", "chicago", "bibtex"]
    assert complete(seeded, ":cite 12 b", TYPING) == ["bibtex"]  # after the result number
    assert complete(seeded, "putin withdr", TYPING) == []
    assert complete(seeded, "putin withdr", TAB) == ["withdraw", "withdrawals"]


def test_operators_are_not_completed(seeded: Store) -> None:
    assert complete(seeded, "putin OR") == []


# -- query highlighting ---------------------------------------------------------


def styled(line: str) -> list[tuple[str, str]]:
    return [(style, text) for style, text, *_ in tokens(line) if text.strip()]


def test_lexer_colours_operators_fields_phrases_and_patterns() -> None:
    assert styled('title:putin AND "peace talks"~3 OR withdr* NOT kiev~2 nato^2') == [
        (FIELD, "title:"),
        ("", "putin"),
        (OPERATOR, "AND"),
        (PHRASE, '"peace talks"~3'),
        (OPERATOR, "OR"),
        (PATTERN, "withdr*"),
        (OPERATOR, "NOT"),
        (PATTERN, "kiev~2"),
        (PATTERN, "nato^2"),
    ]


def test_lexer_warns_about_what_does_not_balance() -> None:
    assert styled('putin "peace talks') == [("", "putin"), (WARNING, '"peace talks')]
    assert styled("(kyiv OR moscow") == [
        (WARNING, "("),
        ("", "kyiv"),
        (OPERATOR, "OR"),
        ("", "moscow"),
    ]
    assert styled("kyiv) (a (b)") == [
        ("", "kyiv"),
        (WARNING, ")"),
        (WARNING, "("),
        ("", "a"),
        (OPERATOR, "("),
        ("", "b"),
        (OPERATOR, ")"),
    ]


def test_lexer_keeps_every_character_and_lowercase_words_are_not_operators() -> None:
    for line in ['a "b c" (d) e:f* [g TO h]', "and or not", '""', "((", ":open 3"]:
        assert "".join(text for _, text, *_ in tokens(line)) == line
    assert styled("war and peace") == [("", "war"), ("", "and"), ("", "peace")]
    assert styled(":open 3")[0] == (COMMAND, ":open")


# -- the live preview -----------------------------------------------------------


def test_preview_shows_count_and_top_titles(bbc: Store) -> None:
    previewer = Previewer(Reader(bbc))
    previewer.submit("yukos")
    assert previewer.wait()
    assert previewer.latest is not None and previewer.latest.preview is not None
    assert previewer.latest.preview.total == 3
    full = search(bbc, "yukos")
    assert previewer.latest.preview.titles == tuple(hit.title for hit in full.hits)
    assert previewer.latest.latency > 0


def test_preview_reports_bad_queries_instead_of_failing(seeded: Store) -> None:
    previewer = Previewer(Reader(seeded))
    previewer.submit("the")
    previewer.wait()
    assert previewer.latest is not None
    assert previewer.latest.error is not None and "no words to search for" in previewer.latest.error


def test_fast_typing_is_coalesced_to_the_newest_text(bbc: Store) -> None:
    gate = threading.Event()
    seen: list[str] = []
    previewer = Previewer(Reader(bbc))
    original = previewer._compute

    def slow(text, word, started):  # type: ignore[no-untyped-def]
        seen.append(text)
        gate.wait(5)
        return original(text, word, started)

    previewer._compute = slow  # type: ignore[method-assign]
    for text in ["y", "yu", "yuk", "yuko", "yukos"]:
        previewer.submit(text)  # never blocks, whatever the worker is doing
    gate.set()
    assert previewer.wait()
    assert seen == ["y", "yukos"]  # the texts typed in between were never searched
    assert previewer.latest is not None and previewer.latest.text == "yukos"


def test_preview_skips_commands_and_blank_lines(seeded: Store) -> None:
    previewer = Previewer(Reader(seeded))
    previewer.submit(":open 1")
    previewer.submit("   ")
    assert previewer.wait() and previewer.latest is None


def test_toolbar_shows_preview_and_status(seeded: Store, index_dir: Path) -> None:
    state = ShellState(
        reader=Reader(seeded),
        location=IndexLocation(index_dir, "test"),
        console=Console(file=io.StringIO()),
        settings=Settings(),
    )
    previewer = Previewer(Reader(seeded))
    previewer.submit("bishkek")
    previewer.wait()
    text = "".join(piece[1] for piece in toolbar(state, previewer, "bishkek", 200))
    first, second = text.split("\n")
    assert first.startswith(" 1 hit  1. Russian President Vladimir Putin")
    assert second == (f" {index_dir} · 2 articles · no results yet · sort: relevance · 10 per page")
    narrow = "".join(piece[1] for piece in toolbar(state, previewer, "bishkek", 40))
    assert all(len(line) <= 40 for line in narrow.split("\n"))


# -- sorting --------------------------------------------------------------------


def dated(title: str, when: datetime | None) -> Article:
    return Article(
        id=title.lower(),
        title=title,
        body=f"{title}: the harbour reopened.",
        origin=title,
        date=when,
    )


def test_sorting_by_date_puts_undated_articles_last(index_dir: Path) -> None:
    store = Store.create(index_dir)
    store.sync(
        [
            dated("Middle", datetime(2020, 6, 1)),
            dated("Undated", None),
            dated("Latest", datetime(2024, 1, 2)),
            dated("Earliest", datetime(1999, 12, 31)),
        ]
    )

    def order(sort: str) -> list[str]:
        return [hit.title for hit in search(store, "harbour", sort=sort).hits]

    assert order("newest") == ["Latest", "Middle", "Earliest", "Undated"]
    assert order("oldest") == ["Earliest", "Middle", "Latest", "Undated"]
    assert sorted(order("relevance")) == ["Earliest", "Latest", "Middle", "Undated"]


def toolbar_text(state: ShellState, previewer: Previewer, text: str, word: str) -> list[str]:
    previewer.submit(text, word)
    previewer.wait()
    return "".join(piece[1] for piece in toolbar(state, previewer, text, 200, word)).split("\n")


@pytest.fixture
def shell_state(bbc: Store, index_dir: Path) -> ShellState:
    return ShellState(
        reader=Reader(bbc),
        location=IndexLocation(index_dir, "test"),
        console=Console(file=io.StringIO()),
        settings=Settings(),
    )


def test_mid_word_the_toolbar_shows_what_the_word_can_become(shell_state: ShellState) -> None:
    previewer = Previewer(shell_state.reader)
    lines = toolbar_text(shell_state, previewer, "yuk", "yuk")
    assert lines[0] == " 0 hits"
    words = lines[1]
    assert words.startswith(" yuk… yukos ")
    count = int(words.split("yukos ")[1].split()[0])
    assert count == search(shell_state.reader.store, "yukos", all_copies=True).articles
    # A lone letter: no error, but what it may become.
    lone = toolbar_text(shell_state, previewer, "y", "y")
    assert lone[0] == " keep typing: Tab completes the word"
    assert lone[1].startswith(" y… ")
    # After a space there is no word being typed: just the preview.
    done = toolbar_text(shell_state, previewer, "yukos ", "")
    assert len(done) == 2
    assert done[0].startswith(f" {search(shell_state.reader.store, 'yukos').total} hits  1. ")
    none = toolbar_text(shell_state, previewer, "qqx", "qqx")
    assert none[1] == " no word in the index starts with 'qqx'"
    # Chinese is kept as pairs of characters: no word to tell of, and no claim there is none.
    chinese = toolbar_text(shell_state, previewer, "习近平", "习近平")
    assert not any("no word in the index" in line for line in chinese)


def test_a_preview_ready_as_the_prompt_ends_never_fails_in_its_thread() -> None:
    import asyncio
    import threading

    from archive.shell.app import redraw_from_worker

    class Prompt:  # what the preview thread sees of prompt_toolkit's Application
        def __init__(self) -> None:
            self.loop: asyncio.AbstractEventLoop | None = None
            self.drawn_in: list[threading.Thread] = []

        def invalidate(self) -> None:
            self.drawn_in.append(threading.current_thread())

    prompt = Prompt()
    failures: list[BaseException] = []

    def from_worker() -> None:
        try:
            redraw_from_worker(prompt)()  # type: ignore[arg-type]
        except BaseException as err:
            failures.append(err)

    def in_worker() -> None:
        worker = threading.Thread(target=from_worker)
        worker.start()
        worker.join()

    in_worker()  # between prompts: no loop
    closed = asyncio.new_event_loop()
    closed.close()
    prompt.loop = closed
    in_worker()  # the prompt ended as the result came
    assert failures == [] and prompt.drawn_in == []

    async def running() -> None:
        prompt.loop = asyncio.get_running_loop()
        await asyncio.to_thread(in_worker)
        await asyncio.sleep(0)

    asyncio.run(running())
    assert prompt.drawn_in == [threading.main_thread()]  # drawn by the prompt's own thread
