"""Commands that write or look after the index: index, rebuild, check, stats."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from archive.cli.env import Env, pass_env
from archive.errors import ExitCode
from archive.escape import safe_line
from archive.present.wording import counted

if TYPE_CHECKING:
    from archive.model import SyncReport


@click.command()
# A path that does not exist is a usage error, found before anything is read;
# one that cannot be read is reported with the rest of the run (exit status 3).
@click.argument(
    "paths", nargs=-1, type=click.Path(exists=True, readable=False, allow_dash=True, path_type=Path)
)
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
    "--source",
    metavar="NAME",
    help="The source of the articles read that name none (Reuters), in place of an export's "
    "file name; remembered for rebuild.",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    help="Pass over files and folders inside the folders given whose name (README*) or "
    "path from the folder (drafts/*.txt) matches, besides the skipped_names setting.",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="If another process is writing the index, exit at once (status 4) instead of waiting.",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    envvar="ARCHIVE_CLUSTER",
    help="Have the workers of the Dask scheduler at ADDRESS (tcp://host:8786) write the "
    "index, which must be on storage they share [env: ARCHIVE_CLUSTER].",
)
@pass_env
def index(
    env: Env,
    paths: tuple[Path, ...],
    prune: bool,
    field_map: tuple[str, ...],
    source: str | None,
    exclude: tuple[str, ...],
    no_wait: bool,
    cluster: str | None,
) -> int:
    """Index articles: the bundled seed articles, or the files and folders given.

    Reads .txt, .md (with YAML or TOML front matter), saved .html pages, RSS and
    Atom feeds, JSON, JSON Lines and CSV exports (also gzipped), and the pages
    in web archives (.warc, .arc, .wacz); '-' reads standard input. Formats
    are told by file name, else by content. Re-running is cheap: unchanged
    files are skipped and changed ones updated in place.
    Unreadable inputs are reported (exit status 3) and the rest is indexed; a
    file unchanged since its problems were reported is not reported again.

    \b
    Examples:
      archive index                          # (re)index the bundled seed articles
      archive index ~/news                   # every article file under ~/news
      archive index feed.xml export.jsonl.gz
      archive index crawl.warc.gz            # the pages a crawler captured
      archive index --field body=story data.csv
      archive index --source Reuters reuters21578.jsonl.gz
      curl -s https://example.org/rss | archive index -
      archive index --prune ~/news           # also drop articles whose file is gone
      archive index --exclude 'drafts/' ~/news
    """
    from archive import sources
    from archive.index.store import Store

    started = time.perf_counter()
    fields = sources.FieldMap(_field_map(field_map) | _given_source(source))
    skipped = _skipped_names(env)
    client = _connected(cluster)  # before the index is made: a wrong address changes nothing
    try:
        store = Store.open_or_create(env.location.path)
        if client is not None:
            from archive.index.cluster import check_shared

            check_shared(client, store.path)
            store.cluster = client
        return _index(env, store, paths, fields, prune, no_wait, [*skipped, *exclude], started)
    finally:
        if client is not None:
            client.close()


def _connected(address: str | None) -> Any:
    """A client of the Dask scheduler at ``address``, if one is given."""
    if not address or not address.strip():
        return None
    from archive.index.cluster import connect

    return connect(address)


def _index(
    env: Env,
    store: Any,
    paths: tuple[Path, ...],
    fields: Any,
    prune: bool,
    no_wait: bool,
    exclude: list[str],
    started: float,
) -> int:
    from archive.index.indexer import Stop, index_paths, index_seeds

    progress = _progress()
    store.partitions_told = progress.partitions
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
                stdin=sys.stdin.buffer,
                exclude=exclude,
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


def _skipped_names(env: Env) -> tuple[str, ...]:
    """The skipped_names setting (a bad value is reported, and its default used)."""
    from archive import config

    settings, warnings = config.read(config.config_path(env.config_file))
    for warning in warnings:
        click.echo(safe_line(f"archive: {warning}"), err=True)
    return settings.skipped_names


def _given_source(name: str | None) -> dict[str, str]:
    from archive.escape import safe_line
    from archive.sources.records import SOURCE_GIVEN

    if name is None:
        return {}
    if not name.strip() or safe_line(name) != name:
        raise click.BadParameter(f"not a source name: {name!r}", param_hint="--source")
    return {SOURCE_GIVEN: name.strip()}


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
    if report.excluded:
        extras.append(f"{counted(report.excluded, 'file or folder', 'files or folders')} excluded")
    if report.skipped_earlier:
        extras.append(f"{report.skipped_earlier:,} skipped earlier")
    return line + ("; " + "; ".join(extras) if extras else "")


def _progress() -> Any:
    from archive.present.progress import for_stderr

    return for_stderr()


@click.command()
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


@click.command()
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
    from archive.index.rebuild import problems, rebuild

    started = time.perf_counter()
    progress = _progress()
    with progress:  # all or nothing: Ctrl-C leaves the old index as it was
        report = rebuild(
            env.location.path, progress=progress, wait=not no_wait, on_wait=progress.waiting
        )
    for problem in problems(report):
        progress.problem(problem)
    click.echo(
        f"Rebuilt {env.location.path}: {counted(report.articles, 'article')} "
        f"from {counted(report.files, 'file')}"
        + (" and the seed articles" if report.seeds else "")
        + f", {report.carried:,} carried over from the old index"
        + (f", {report.earlier:,} skipped earlier" if report.earlier else "")
        + f" ({time.perf_counter() - started:.2f} s)"
    )
    if report.missing:
        gone = counted(len(report.missing), "recorded file")
        click.echo(f"{gone} {'is' if len(report.missing) == 1 else 'are'} gone (listed above).")
    click.echo(f"The old index is kept in {report.kept_at}; delete it when satisfied.")
    return ExitCode.PARTIAL if report.skipped or report.missing else ExitCode.OK


@click.command()
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
