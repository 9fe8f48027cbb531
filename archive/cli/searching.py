"""Commands that read the archive: search, similar, show, timeline, sources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from archive.cli.env import Env, format_option, pass_env, request_options
from archive.errors import ExitCode

if TYPE_CHECKING:
    from archive.model import Results


@click.command()
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
    type=click.Choice(["source", "author", "tags", "tag", "language", "date:month", "date:week"]),
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
    explain: bool,
    facet_names: tuple[str, ...],
    **filters: Any,
) -> int:
    """Search the archive: ranked hits with highlighted snippets.

    All words must match (--any: any of them). Query syntax: OR, NOT,
    "phrases", "near words"~5, -word (as NOT word), fields (title: body:
    source: author: tags: language: date: id:), your tags, marks and notes (tag:story-x is:unread
    is:flagged note:embassy),
    wildcards (withdr*), fuzzy (kharkiv~), boosts (nato^2), dates exact to
    the day (date:2025-11, date:[2025-11-01 to 2025-11-30],
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

    request = SearchRequest(
        " ".join(words),
        page=page,
        limit=limit,
        sort=sort,
        all_copies=all_copies,
        **filters,
    )
    with env.reader() as reader:
        prepared = reader.prepare(request)
        results = reader.search(prepared)
        found_facets = reader.facets(prepared, list(facet_names)) if facet_names else None
    if explain:
        _explain(results)
    _print_results(env, results, "json" if as_json else output, found_facets)
    return ExitCode.OK if results.hits else ExitCode.NONE


def _explain(results: Results) -> None:
    """What was run, on stderr (so --explain never changes what a script reads)."""
    for word, others in results.variants.items():
        click.echo(f"archive: variants: {word} -> {', '.join(others)}", err=True)
    if not results.variants:
        click.echo("archive: variants: none added", err=True)
    click.echo(f"archive: query: {results.parsed}", err=True)


def _escaped() -> bool:
    """Whether JSON is best written in ASCII: standard output holds no more."""
    import sys

    from archive.escape import holds_all

    return not holds_all(sys.stdout)


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
        click.echo(formats.dumps(data, escaped=_escaped()))
    else:
        writer = {
            "jsonl": lambda found: formats.results_jsonl(found, escaped=_escaped()),
            "csv": formats.results_csv,
            "md": formats.results_markdown,
        }[output]
        text = writer(results)
        if text:
            click.echo(text)


@click.command()
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
    with env.reader() as reader:
        results = reader.similar(article_id, limit=limit)
    _print_results(env, results, output)
    return ExitCode.OK if results.total else ExitCode.NONE


@click.command()
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
    with env.reader() as reader:
        prepared = reader.prepare(query) if query else None
        shown = reader.show(article_id, prepared)
    from archive.index.desk import read_shown

    shown = read_shown(env.location.path, shown)
    if as_json:
        from archive.present.formats import dumps, shown_json

        click.echo(dumps(shown_json(shown), escaped=_escaped()))
    else:
        from archive.present.render import article_view

        env.emit(article_view(shown))
    return ExitCode.OK


@click.command()
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
    as_json: bool,
    as_csv: bool,
    **filters: Any,
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

    with env.reader() as reader:
        prepared = reader.prepare(SearchRequest(" ".join(words), **filters))
        found = reader.timeline(prepared, by=by, normalized=normalize)
    if as_json or as_csv:
        from archive.present import formats

        click.echo(
            formats.dumps(formats.timeline_json(found), escaped=_escaped())
            if as_json
            else formats.timeline_csv(found)
        )
    else:
        from archive.present.render import timeline_view

        env.emit(timeline_view(found))
    return ExitCode.OK if found.matched else ExitCode.NONE


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The sources as one JSON object.")
@pass_env
def sources(env: Env, as_json: bool) -> int:
    """List the sources the archive holds articles from, with how many each
    and the dates they span, most first; what to give --source and :source.

    Articles that name no source are counted last; give them one with
    'archive index --source NAME'.

    \b
    Examples:
      archive sources
      archive sources --json | jq '.sources[0]'
    """
    with env.reader() as reader:
        found, unnamed = reader.sources()
    if as_json:
        from archive.present.formats import dumps, sources_json

        click.echo(dumps(sources_json(found, unnamed), escaped=_escaped()))
    else:
        from archive.present.render import sources_view

        env.emit(sources_view(found, unnamed))
    return ExitCode.OK if found else ExitCode.NONE
