"""Commands that follow sources and watch searches: follow, unfollow, update, watch."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.cli.env import Env, format_option, pass_env, request_options
from archive.errors import ArchiveError, ExitCode
from archive.escape import safe_line
from archive.present.wording import counted

if TYPE_CHECKING:
    from archive.follow.discover import Found
    from archive.follow.table import FollowTable
    from archive.index.store import Store
    from archive.model import Problem


def _store(env: Env) -> Store:
    from archive.index.store import Store

    return Store.open_or_create(env.location.path)


def _table(store: Store) -> FollowTable:
    from archive.follow.table import FollowTable

    return FollowTable(store.path)


@click.command()
@click.argument("urls", nargs=-1)
@click.option("--all-feeds", is_flag=True, help="Follow every feed a page names, not the first.")
@click.option(
    "--full-text",
    is_flag=True,
    help="For feeds that carry only summaries: fetch each new entry's page (remembered).",
)
@click.option("--list", "listing", is_flag=True, help="List the sources followed.")
@click.option("--json", "as_json", is_flag=True, help="With --list: as JSON.")
@click.option(
    "--import",
    "opml_file",
    type=click.Path(path_type=Path),
    help="Follow every feed of an OPML file (as feed readers export).",
)
@click.option("--export", is_flag=True, help="Print the sources as OPML.")
@click.option("--no-wait", is_flag=True, help="If the index is being written, exit at once (4).")
@pass_env
def follow(
    env: Env,
    urls: tuple[str, ...],
    all_feeds: bool,
    full_text: bool,
    listing: bool,
    as_json: bool,
    opml_file: Path | None,
    export: bool,
    no_wait: bool,
) -> int:
    """Follow news sources: a feed (RSS, Atom, JSON Feed) or a site's page,
    whose feeds are found from its <link rel="alternate"> tags. Each new
    source is fetched at once; 'archive update' fetches them all again.
    With --full-text, each new entry's page is fetched (where robots.txt
    allows) and its article read as a saved page would be.

    \b
    Examples:
      archive follow https://www.theguardian.com/world/rss
      archive follow --all-feeds https://www.example.org/
      archive follow --full-text https://www.example.org/summaries.rss
      archive follow --list
      archive follow --import feeds.opml
      archive follow --export > feeds.opml
    """
    from archive.follow import opml

    store = _store(env)
    table = _table(store)
    try:
        if listing:
            _list_sources(env, table, as_json)
            return ExitCode.OK
        if export:
            click.echo(opml.write(table.sources()), nl=False)
            return ExitCode.OK
        chosen, refused = _chosen(urls, opml_file, all_feeds)
        for problem in refused:
            click.echo(
                safe_line(f"archive: not following {problem.path}: {problem.reason}"), err=True
            )
        new = []
        for found in chosen:
            added = table.add(found.url, found.title, full_text)
            said = "following" if added else "already following"
            click.echo(safe_line(f"{said} {found.title or found.url} <{found.url}> ({found.how})"))
            new += [found.url] if added else []
    finally:
        table.close()
    done = _run_update(env, store, new, not no_wait, watch=False) if new else ExitCode.OK
    return ExitCode.PARTIAL if refused and done == ExitCode.OK else done


def _chosen(
    urls: tuple[str, ...], opml_file: Path | None, all_feeds: bool
) -> tuple[list[Found], list[Problem]]:
    """The feeds to follow, and those refused: an OPML file's web addresses,
    and the feeds found for each URL."""
    from archive.follow import opml
    from archive.follow.addresses import not_web
    from archive.follow.discover import Found, discover
    from archive.model import Problem

    listed = opml.read(opml_file) if opml_file is not None else []
    chosen, refused = [], []
    for url, title in listed:
        reason = not_web(url)
        if reason is None:
            chosen.append(Found(url, title, "listed in the OPML file"))
        else:
            refused.append(Problem(repr(url), f"{reason}; listed in the OPML file"))
    for url in urls:
        found, skipped = discover(url, all_feeds)
        chosen, refused = chosen + found, refused + skipped
    if not chosen and not refused:
        raise click.UsageError("give a feed or page URL, --import FILE, --list or --export")
    return chosen, refused


def _list_sources(env: Env, table: FollowTable, as_json: bool) -> None:
    sources = table.sources()
    if as_json:
        click.echo(json.dumps([vars(source) for source in sources], indent=2))
        return
    from rich.table import Table
    from rich.text import Text

    grid = Table(box=None, padding=(0, 1))
    for column in ("source", "articles", "last fetched", "last new", "last error"):
        grid.add_column(column, justify="right" if column == "articles" else "left")
    for source in sources:
        grid.add_row(
            Text(safe_line(f"{source.name} <{source.url}>")),
            f"{source.articles:,}",
            source.last_fetched or "never",
            source.last_new or "–",
            Text(safe_line(source.last_error or "")),
        )
    env.emit(grid if sources else Text("no sources followed yet: archive follow URL"))


@click.command()
@click.argument("source")
@pass_env
def unfollow(env: Env, source: str) -> int:
    """Stop following a source (by URL or name); its articles stay.

    \b
    Example:
      archive unfollow https://www.theguardian.com/world/rss
    """
    table = _table(_store(env))
    try:
        found = table.source(source)
        if found is None:
            raise ArchiveError(
                f"not following {source!r}", hint="'archive follow --list' lists them"
            )
        table.remove(found.url)
    finally:
        table.close()
    click.echo(safe_line(f"no longer following {found.name}; its {found.articles:,} articles stay"))
    return ExitCode.OK


@click.command()
@click.option("--no-wait", is_flag=True, help="If the index is being written, exit at once (4).")
@click.option("--watch", is_flag=True, help="End with the watched searches' new matches.")
@pass_env
def update(env: Env, no_wait: bool, watch: bool) -> int:
    """Fetch every followed source and index what is new, in one commit.

    Unchanged feeds cost a conditional request (ETag, Last-Modified); one line
    per source says what it gave. A source that fails keeps its articles and
    is tried again next time (exit status 3). Safe from cron and a terminal at
    once: the second run waits (or, with --no-wait, exits 4).

    \b
    Examples:
      archive update
      archive update --watch
    """
    return _run_update(env, _store(env), None, not no_wait, watch)


def _run_update(env: Env, store: Store, urls: list[str] | None, wait: bool, watch: bool) -> int:
    from archive.follow.update import update as run
    from archive.present.progress import waiting_line

    started = time.monotonic()
    reports, synced = run(
        store,
        urls,
        wait=wait,
        on_wait=lambda holder: click.echo(waiting_line(holder), err=True),
    )
    for report in reports:  # committed now: what they say arrived is there
        click.echo(safe_line(report.line()))
    for problem in synced.problems:
        click.echo(safe_line(f"archive: {problem.path}: {problem.reason}"), err=True)
    failed = [r for r in reports if r.error is not None]
    new, updated = sum(r.new for r in reports), sum(r.updated for r in reports)
    click.echo(
        f"Updated {counted(len(reports), 'source')}: {new:,} new "
        f"{'article' if new == 1 else 'articles'}"
        f"{f', {updated:,} updated' if updated else ''}, {len(failed)} failed "
        f"({time.monotonic() - started:.1f} s)"
    )
    for report in failed:
        if report.failing:
            click.echo(
                safe_line(f"archive: {report.name} has failed {report.failures} times in a row"),
                err=True,
            )
    if watch:
        _list_watches(env, store)
    return ExitCode.PARTIAL if failed else ExitCode.OK


# -- watched searches ------------------------------------------------------------


@click.group(invoke_without_command=True)
@click.pass_context
def watch(ctx: click.Context) -> None:
    """Watched searches: saved queries that say what is new for them.

    With no command, lists them with how many new matches each has.

    \b
    Examples:
      archive watch add ukraine-talks '"peace talks"' ukraine
      archive watch
      archive watch show ukraine-talks
      archive watch rm ukraine-talks
    """
    if ctx.invoked_subcommand is None:
        env = ctx.find_object(Env)
        assert env is not None
        _list_watches(env, _store(env))


def _list_watches(env: Env, store: Store) -> None:
    from rich.table import Table
    from rich.text import Text

    from archive.follow.watches import new_matches
    from archive.search.reader import Reader

    table = _table(store)
    try:
        watches = table.watches()
        grid = Table(box=None, padding=(0, 1))
        for column in ("watch", "new", "query"):
            grid.add_column(column, justify="right" if column == "new" else "left")
        reader = Reader(store)
        for found in watches:
            count = len(new_matches(reader, found))
            name, query = safe_line(found.name), safe_line(found.request.query)
            grid.add_row(Text(name), f"{count:,}", Text(query))
    finally:
        table.close()
    env.emit(grid if watches else Text("no watched searches yet: archive watch add NAME QUERY"))


@watch.command("add")
@click.argument("name")
@click.argument("words", nargs=-1, required=True)
@request_options
@pass_env
def watch_add(
    env: Env,
    name: str,
    words: tuple[str, ...],
    **filters: Any,
) -> int:
    """Save a search to watch (with the search options); its present matches count as seen.

    \b
    Example:
      archive watch add opec --any opec "oil output"
    """
    from archive.follow.table import bad_name
    from archive.model import SearchRequest
    from archive.search.reader import Reader

    problem = bad_name(name)
    if problem is not None:
        raise click.UsageError(problem)
    request = SearchRequest(" ".join(words), **filters)
    store = _store(env)
    reader = Reader(store)
    found = reader.search(reader.prepare(request))  # a query that cannot run is refused now
    table = _table(store)
    try:
        before = {watch.name: watch for watch in table.watches()}.get(name)
        table.add_watch(name, request)
    finally:
        table.close()
    if before is not None:
        click.echo(safe_line(f"replacing the watch {name} (was: {before.request.query})"))
    click.echo(
        safe_line(
            f"watching {name}: {request.query} ({counted(found.total, 'match', 'matches')} so far)"
        )
    )
    return ExitCode.OK


@watch.command("show")
@click.argument("name")
@click.option("--all", "every", is_flag=True, help="Every match, not only the new ones.")
@format_option
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@pass_env
def watch_show(env: Env, name: str, every: bool, output: str, as_json: bool) -> int:
    """The matches that arrived since the watch was last shown; then they count as seen.

    \b
    Example:
      archive watch show opec --format md > opec-new.md
    """
    from archive.cli.searching import _print_results
    from archive.follow.table import now
    from archive.follow.watches import shown
    from archive.search.reader import Reader

    store = _store(env)
    table = _table(store)
    try:
        found = table.watch(name)
        when = now(precise=True)
        results = shown(Reader(store), found, every, snippets=3)
        _print_results(env, results, "json" if as_json else output)
        table.mark_seen(name, when)
    finally:
        table.close()
    return ExitCode.OK if results.hits else ExitCode.NONE


@watch.command("rm")
@click.argument("name")
@pass_env
def watch_rm(env: Env, name: str) -> int:
    """Stop watching a search.

    \b
    Example:
      archive watch rm opec
    """
    table = _table(_store(env))
    try:
        table.remove_watch(name)
    finally:
        table.close()
    click.echo(safe_line(f"no longer watching {name}"))
    return ExitCode.OK
