"""The one-shot command line: a thin click layer over the library.

Imports stay lazy so that a one-shot search starts fast: rich is loaded only
to print for people, prompt_toolkit only for the shell.

Exit codes are archive.errors.ExitCode: 0 success (search: hits found), 1 no
hits / no such article, 2 error, 3 some inputs could not be read (the rest
were), 4 another process is writing (with --no-wait), 130 interrupted.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.errors import ArchiveError, ExitCode
from archive.escape import safe_line
from archive.present.wording import counted

if TYPE_CHECKING:
    from rich.console import Console

    from archive.index.store import Store
    from archive.locations import IndexLocation
    from archive.model import Results, SyncReport


@dataclass
class Env:
    """What every command needs: where the index is, and how to print."""

    index_dir: Path | None
    config_file: Path | None = None
    traceback: bool = False

    @cached_property
    def location(self) -> IndexLocation:
        from archive.locations import resolve_index

        return resolve_index(self.index_dir)

    def open_store(self) -> Store:
        from archive.errors import IndexMissing
        from archive.index.store import Store

        try:
            return Store.open(self.location.path)
        except IndexMissing as err:
            hint = f"build one with '{self.command('index')}'"
            raise IndexMissing(err.message, hint=hint) from None

    def command(self, *args: str) -> str:
        """An archive command line that uses the same index as this one."""
        import shlex

        chosen = ["--index-dir", str(self.index_dir)] if self.index_dir is not None else []
        return shlex.join(["archive", *chosen, *args])

    @staticmethod
    def console(stderr: bool = False) -> Console:
        from rich.console import Console

        from archive.present.render import theme

        return Console(stderr=stderr, highlight=False, emoji=False, theme=theme())

    def emit(self, renderable: Any) -> None:
        """Print for people; when piped, plain text: no line is wrapped (a path or a
        URL is never cut in two), and no line carries trailing padding."""
        console = self.console()
        if not console.is_terminal:
            from archive.present.render import plain_console

            console = plain_console(sys.stdout)
        console.print(renderable)
        console.file.flush()


pass_env = click.make_pass_decorator(Env)
format_option = click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "jsonl", "csv", "md"]),
    default="text",
    show_default=True,
    help="text for people; json (one object), jsonl (a hit per line), csv, or md "
    "(citation-ready Markdown).",
)


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Run 'archive COMMAND --help' for a command's options and examples.",
)
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Index folder to use (default: $ARCHIVE_INDEX_DIR, the checkout's index/, "
    "or the per-user data directory).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Shell settings file (default: $ARCHIVE_CONFIG or config.toml in the per-user "
    "config directory).",
)
@click.option("--traceback", is_flag=True, help="Show the full traceback on errors.")
@click.version_option(package_name="news-archive", prog_name="archive")
@click.pass_context
def cli(
    ctx: click.Context, index_dir: Path | None, config_file: Path | None, traceback: bool
) -> int | None:
    """A searchable archive of news articles for the terminal.

    Without a command, on a terminal, opens the interactive search shell.

    \b
    Examples:
      archive                          # search shell over the indexed articles
      archive index ~/news             # add a folder of .txt articles
      archive search putin withdrawal  # ranked hits with highlighted snippets
    """
    ctx.obj = Env(index_dir=index_dir, config_file=config_file, traceback=traceback)
    if ctx.invoked_subcommand is not None:
        return None
    if sys.stdin.isatty() and sys.stdout.isatty():
        return ctx.invoke(shell)
    click.echo(ctx.get_help())
    return ExitCode.OK


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--prune",
    is_flag=True,
    help="Remove articles whose file is gone (files under the paths given).",
)
@click.option(
    "--field",
    "field_map",
    multiple=True,
    metavar="NAME=COLUMN",
    help="Read an article field from a column of JSON/CSV records "
    "(fields: id, title, body, date, url, source, authors, tags, language).",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="If another process is writing the index, exit at once (status 4) instead of waiting.",
)
@pass_env
def index(
    env: Env, paths: tuple[Path, ...], prune: bool, field_map: tuple[str, ...], no_wait: bool
) -> int:
    """Index articles: the bundled seed articles, or the files and folders given.

    Reads .txt, .md (with YAML or TOML front matter), saved .html pages, RSS and
    Atom feeds, JSON, JSON Lines and CSV exports (also gzipped); '-' reads
    standard input. Formats are told by file name, else by content. Re-running
    is cheap: unchanged files are skipped and changed ones updated in place.
    Unreadable inputs are reported (exit status 3) and the rest is indexed.

    \b
    Examples:
      archive index                          # (re)index the bundled seed articles
      archive index ~/news                   # every article file under ~/news
      archive index feed.xml export.jsonl.gz
      archive index --field body=story data.csv
      curl -s https://example.org/rss | archive index -
      archive index --prune ~/news           # also drop articles whose file is gone
    """
    from archive import sources
    from archive.index.indexer import Stop, index_paths, index_seeds
    from archive.index.store import Store

    started = time.perf_counter()
    fields = sources.FieldMap(_field_map(field_map))
    store = Store.open_or_create(env.location.path)
    progress = _progress()
    stop = Stop()
    with progress, _ctrl_c_stops(stop):
        if paths:
            report = index_paths(
                store,
                paths,
                fields=fields,
                prune=prune,
                progress=progress,
                wait=not no_wait,
                stop=stop,
            )
        else:
            report = index_seeds(store, progress=progress, wait=not no_wait, stop=stop)
    click.echo(_summary(report, env.location.path, time.perf_counter() - started))
    if report.interrupted:
        click.echo(
            "archive: stopped early; what was read is committed: "
            "run the same command again to index the rest",
            err=True,
        )
        return ExitCode.INTERRUPTED
    return ExitCode.PARTIAL if report.skipped else ExitCode.OK


@contextmanager
def _ctrl_c_stops(stop: Any) -> Iterator[None]:
    """The first Ctrl-C of a run stops it cleanly; a second one abandons it."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        if stop.requested or not stop.active:
            raise KeyboardInterrupt
        stop.requested = True
        doing = (
            "finishing the commit of what was read"
            if stop.committing
            else "stopping after the current article and committing what was read"
        )
        click.echo(f"archive: {doing} (Ctrl-C again to abandon this run)", err=True)

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _field_map(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        name, equals, column = pair.partition("=")
        if not equals or not name or not column:
            raise click.BadParameter(f"expected NAME=COLUMN, got {pair!r}", param_hint="--field")
        mapping[name.strip()] = column.strip()
    try:
        from archive.sources import FieldMap

        FieldMap(mapping)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--field") from None
    return mapping


def _summary(report: SyncReport, where: Path, elapsed: float) -> str:
    line = (
        f"Indexed into {where}: {report.added:,} added, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged, {report.removed:,} removed, "
        f"{counted(report.duplicates, 'duplicate')}, "
        f"{report.skipped:,} skipped with errors ({elapsed:.2f} s)"
    )
    extras = []
    if report.files_unchanged:
        extras.append(f"{counted(report.files_unchanged, 'unchanged file')} not read")
    if report.warnings:
        extras.append(counted(report.warnings, "warning"))
    if report.ignored_files:
        extras.append(f"{counted(report.ignored_files, 'file')} of other types ignored")
    return line + ("; " + "; ".join(extras) if extras else "")


def _progress() -> Any:
    from archive.present.progress import for_stderr

    return for_stderr()


def request_options(func: Any) -> Any:
    """The filters every search-like command takes: --any, --exact, --since, --until."""
    for option in reversed(
        [
            click.option(
                "--any",
                "any_words",
                is_flag=True,
                help="Match any of the words, not all (articles with more of them rank higher).",
            ),
            click.option(
                "--exact",
                is_flag=True,
                help="Only the spellings typed: no Kiev/Kyiv, colour/color variants.",
            ),
            click.option(
                "--since",
                metavar="DATE",
                help="Only articles from this day on (2025-11-01, -7 days).",
            ),
            click.option(
                "--until", metavar="DATE", help="Only articles up to the end of this day."
            ),
        ]
    ):
        func = option(func)
    return func


@cli.command()
@click.argument("words", nargs=-1, required=True)
@format_option
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option(
    "-n",
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Hits per page.",
)
@click.option(
    "--page", default=1, show_default=True, type=click.IntRange(1), help="Page of hits to show."
)
@click.option(
    "--all",
    "all_copies",
    is_flag=True,
    help="Show every near-duplicate copy of a story, not one hit per story.",
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "newest", "oldest"]),
    default="relevance",
    show_default=True,
    help="Order of the hits (undated articles come last).",
)
@request_options
@click.option(
    "--explain", is_flag=True, help="Show the query as run, with the spelling variants it added."
)
@click.option(
    "--facet",
    "facet_names",
    multiple=True,
    type=click.Choice(["source", "author", "tags", "date:month", "date:week"]),
    help="Count the matching articles by this (repeatable); shown beside the hits.",
)
@pass_env
def search(
    env: Env,
    words: tuple[str, ...],
    output: str,
    as_json: bool,
    limit: int,
    page: int,
    all_copies: bool,
    sort: str,
    any_words: bool,
    exact: bool,
    since: str | None,
    until: str | None,
    explain: bool,
    facet_names: tuple[str, ...],
) -> int:
    """Search the archive: ranked hits with highlighted snippets.

    All words must match (--any: any of them). Query syntax: OR, NOT,
    "phrases", "near words"~5, fields (title: body: source: author: tags:
    date: id:), wildcards (withdr*), fuzzy (kharkiv~), boosts (nato^2), dates
    exact to the day (date:2025-11, date:[2025-11-01 to 2025-11-30],
    date:>2025-11-20, date:[-7 days to now]). Near-duplicate copies of a story
    show once with "+N similar"; --all shows each. Exit status: 0 hits, 1 none
    (or a page past the last).

    \b
    Examples:
      archive search putin withdrawal
      archive search '"peace talks"' NOT nato
      archive search --json title:russia | jq '.hits[].id'
      archive search --sort newest --since -7days "peace talks"
      archive search --any what did putin say about the peace plan
    """
    from archive.model import SearchRequest
    from archive.search.run import search as run_search

    request = SearchRequest(
        " ".join(words),
        page=page,
        limit=limit,
        sort=sort,
        all_copies=all_copies,
        any_words=any_words,
        exact=exact,
        since=since,
        until=until,
    )
    store = env.open_store()
    results = run_search(store, request)
    if explain:
        _explain(results)
    found_facets = _facets(store, request, facet_names) if facet_names else None
    _print_results(env, results, "json" if as_json else output, found_facets)
    return ExitCode.OK if results.hits else ExitCode.NONE


def _explain(results: Results) -> None:
    """What was run, on stderr (so --explain never changes what a script reads)."""
    for word, others in results.variants.items():
        click.echo(f"archive: variants: {word} -> {', '.join(others)}", err=True)
    if not results.variants:
        click.echo("archive: variants: none added", err=True)
    click.echo(f"archive: query: {results.parsed}", err=True)


def _facets(store: Store, request: Any, names: tuple[str, ...]) -> Any:
    from archive.search.coverage import facets

    with store.searcher() as searcher:
        return facets(store, request, list(names), searcher)


def _print_results(env: Env, results: Results, output: str, found_facets: Any = None) -> None:
    if output == "text":
        from archive.present.render import facets_view, results_view

        env.emit(results_view(results))
        if found_facets:
            env.emit(facets_view(found_facets))
        return
    from archive.present import formats

    if output == "json":
        data = formats.results_json(results)
        if found_facets is not None:
            data["facets"] = formats.facets_json(found_facets)
        click.echo(formats.dumps(data))
    else:
        writer = {
            "jsonl": formats.results_jsonl,
            "csv": formats.results_csv,
            "md": formats.results_markdown,
        }[output]
        text = writer(results)
        if text:
            click.echo(text)


@cli.command()
@click.argument("article_id")
@click.option(
    "-n",
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 100),
    help="How many similar articles.",
)
@format_option
@pass_env
def similar(env: Env, article_id: str, limit: int, output: str) -> int:
    """Articles like this one (more like this), with the key terms they share.

    \b
    Examples:
      archive similar f951e8f88038
      archive similar f951 --format json | jq '.key_terms'
    """
    from archive.search.run import similar as more_like

    results = more_like(env.open_store(), article_id, pagelen=limit)
    _print_results(env, results, output)
    return ExitCode.OK if results.total else ExitCode.NONE


@cli.command()
@click.argument("article_id")
@click.option("-q", "--query", help="Highlight the words this query matches.")
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
@pass_env
def show(env: Env, article_id: str, query: str | None, as_json: bool) -> int:
    """Show one article in full (an ID, or its first few characters).

    \b
    Examples:
      archive show 3f2a9c81d0b4
      archive show 3f2a --query withdrawal
    """
    from archive.search.run import highlight_article

    shown = highlight_article(env.open_store(), article_id, query)
    if as_json:
        from archive.present.formats import article_json, dumps

        click.echo(dumps(article_json(shown.article)))
    else:
        from archive.present.render import article_view

        env.emit(article_view(shown))
    return ExitCode.OK


@cli.command()
@click.argument("words", nargs=-1, required=True)
@click.option(
    "--by",
    type=click.Choice(["day", "week", "month"]),
    default="month",
    show_default=True,
    help="Length of each period.",
)
@click.option(
    "--normalize", is_flag=True, help="Each period's share of all articles then, not a count."
)
@request_options
@click.option("--json", "as_json", is_flag=True, help="The numbers as one JSON object.")
@click.option("--csv", "as_csv", is_flag=True, help="The numbers as CSV: period,count,total,share.")
@pass_env
def timeline(
    env: Env,
    words: tuple[str, ...],
    by: str,
    normalize: bool,
    any_words: bool,
    exact: bool,
    since: str | None,
    until: str | None,
    as_json: bool,
    as_csv: bool,
) -> int:
    """How coverage of a query moved over time: a bar chart of articles per period.

    The busiest period is named with its top story. --normalize divides by all
    articles of each period, so a busy month for the archive does not look
    like a busy month for the story.

    \b
    Examples:
      archive timeline "peace talks" --by week
      archive timeline coffee --normalize --since 1987-03 --until 1987-06
      archive timeline oil --csv > oil.csv
    """
    from archive.model import SearchRequest
    from archive.search.coverage import timeline as build_timeline

    request = SearchRequest(
        " ".join(words), any_words=any_words, exact=exact, since=since, until=until
    )
    store = env.open_store()
    with store.searcher() as searcher:
        found = build_timeline(store, request, searcher, by=by, normalized=normalize)
    if as_json or as_csv:
        from archive.present import formats

        click.echo(
            formats.dumps(formats.timeline_json(found)) if as_json else formats.timeline_csv(found)
        )
    else:
        from archive.present.render import timeline_view

        env.emit(timeline_view(found))
    return ExitCode.OK if found.matched else ExitCode.NONE


@cli.command("eval")
@click.argument("topics", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("qrels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--id-field",
    default="key",
    show_default=True,
    help="What the qrels call a document: key (the record's own ID, e.g. a "
    "docno), id (the archive's ID), or another stored field such as url.",
)
@click.option(
    "--run-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the run in TREC format (topic Q0 doc rank score name).",
)
@click.option("--per-query", is_flag=True, help="Also show each topic's scores.")
@click.option("--json", "as_json", is_flag=True, help="The scores as one JSON object.")
@pass_env
def evaluate(
    env: Env,
    topics: Path,
    qrels: Path,
    id_field: str,
    run_out: Path | None,
    per_query: bool,
    as_json: bool,
) -> int:
    """Measure ranking quality on a test collection: MAP, P@10, nDCG@10, R@100.

    Each topic runs as a natural-language query with the archive's own
    any-word ranking. TOPICS is 'id<TAB>text' per line or a TREC topic file;
    QRELS is TREC format ('topic iteration document relevance').

    \b
    Example:
      archive --index-dir /tmp/cacm index cacm_docs.jsonl
      archive --index-dir /tmp/cacm eval cacm_queries.tsv cacm_qrels.trec --run-out run.txt
    """
    from archive.search import evaluation

    found = evaluation.evaluate(
        evaluation.run_topics(env.open_store(), evaluation.read_topics(topics), id_field),
        evaluation.read_qrels(qrels),
    )
    if run_out is not None:
        run_out.write_text(evaluation.trec_run(found.runs), encoding="utf-8")
    if as_json:
        from archive.present import formats

        click.echo(formats.dumps(formats.evaluation_json(found)))
    else:
        from archive.present.render import evaluation_view

        env.emit(evaluation_view(found, per_query))
    return ExitCode.OK


@cli.command()
@pass_env
def check(env: Env) -> int:
    """Check the index: read every segment, article and posting list.

    Exit status 0 when the index is sound, 2 when it is damaged ('archive
    rebuild' then re-creates it from its sources).

    \b
    Example:
      archive check
    """
    store = env.open_store()
    damage = store.check()
    if damage:
        for line in damage:
            click.echo(safe_line(f"archive: damaged: {line}"), err=True)
        click.echo(
            f"The index at {env.location.path} is damaged ({counted(len(damage), 'problem')}); "
            "'archive rebuild' re-creates it from its sources."
        )
        return ExitCode.ERROR
    articles = counted(store.ix.doc_count(), "article")
    click.echo(f"The index at {env.location.path} is sound: {articles}.")
    return ExitCode.OK


@cli.command()
@click.option(
    "--no-wait",
    is_flag=True,
    help="If another process is writing the index, exit at once (status 4) instead of waiting.",
)
@pass_env
def rebuild(env: Env, no_wait: bool) -> int:
    """Re-create the index from the sources it recorded (after damage, say).

    Reads again every file the index records having read (with the same
    --field choices) and the bundled seeds if it holds them. Articles whose
    source cannot be read again (standard input, a file now gone) are carried
    over from the old index where it can still be read. The new index
    replaces the old one only once it is complete; a copy of the old one is
    kept beside it. Exit status 3 if some sources could not be read.

    \b
    Example:
      archive rebuild
    """
    from archive.index.indexer import waiting
    from archive.index.rebuild import problems, rebuild

    started = time.perf_counter()
    progress = _progress()
    with progress:  # all or nothing: Ctrl-C leaves the old index as it was
        report = rebuild(env.location.path, progress=progress, wait=not no_wait, on_wait=waiting)
    for problem in problems(report):
        progress.problem(problem)
    click.echo(
        f"Rebuilt {env.location.path}: {counted(report.articles, 'article')} "
        f"from {counted(report.files, 'file')}"
        + (" and the seed articles" if report.seeds else "")
        + f", {report.carried:,} carried over from the old index"
        + f" ({time.perf_counter() - started:.2f} s)"
    )
    if report.missing:
        gone = counted(len(report.missing), "recorded file")
        click.echo(f"{gone} {'is' if len(report.missing) == 1 else 'are'} gone (listed above).")
    click.echo(f"The old index is kept in {report.kept_at}; delete it when satisfied.")
    return ExitCode.PARTIAL if report.skipped or report.missing else ExitCode.OK


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@pass_env
def stats(env: Env, as_json: bool) -> int:
    """What is indexed, and where the index lives.

    \b
    Example:
      archive stats --json
    """
    figures = env.open_store().stats()
    if as_json:
        from archive.present.formats import dumps, stats_json

        click.echo(dumps(stats_json(figures, env.location)))
    else:
        from archive.present.render import stats_view

        env.emit(stats_view(figures, env.location))
    return ExitCode.OK


@cli.command()
@pass_env
def shell(env: Env) -> int:
    """The interactive search shell (the default on a terminal).

    Each line is a query; ':help' lists the shell's commands. If the index is
    missing or empty, it is first built from the bundled seed articles. With
    standard input not a terminal, each line read is run and only the results
    are printed (exit status 2 if any line failed).

    \b
    Examples:
      archive --index-dir /tmp/idx shell
      printf 'putin\\n:sort newest\\n' | archive shell
    """
    if not sys.stdin.isatty():
        from archive.shell import run_lines

        return run_lines(env.location, sys.stdin, env.config_file, traceback=env.traceback)
    from archive.shell import main as shell_main

    return shell_main(env.location, env.config_file, traceback=env.traceback)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status instead of exiting."""
    args = sys.argv[1:] if argv is None else argv
    try:
        result: Any = cli.main(args=args, prog_name="archive", standalone_mode=False)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as err:
        err.show()
        return ExitCode.ERROR
    except click.Abort as stopped:
        if isinstance(stopped.__cause__, EOFError):  # click turns EOFError into Abort
            click.echo(
                "archive: error: a file of the index ended early: it is damaged; "
                "run 'archive check', then 'archive rebuild'",
                err=True,
            )
            return ExitCode.ERROR
        click.echo("archive: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        click.echo("archive: interrupted", err=True)
        return ExitCode.INTERRUPTED
    except ArchiveError as err:
        if "--traceback" in args:
            raise
        click.echo(safe_line(f"archive: error: {err}"), err=True)
        return err.exit_code
    except BrokenPipeError:
        raise
    except Exception as err:
        if "--traceback" in args:
            raise
        click.echo(
            safe_line(
                f"archive: error: {type(err).__name__}: {err} (run with --traceback for details)"
            ),
            err=True,
        )
        return ExitCode.ERROR
    return result if isinstance(result, int) else ExitCode.OK


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `archive search x | head`); that is not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = ExitCode.OK
    sys.exit(code)
