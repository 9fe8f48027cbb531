"""Commands that keep things with articles: tag, tags, mark, note."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.env import Env, pass_env, request_options
from archive.errors import ArchiveError, ExitCode


@click.command(context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True)
@request_options
@pass_env
def tag(env: Env, words: tuple[str, ...], **filters: Any) -> int:
    """Add (+name) and remove (-name) tags on every article a query matches,
    or on the articles named by their IDs.

    Tags are yours: they are kept beside the index, by each article's ID,
    and survive 'index', 'rebuild' and '--prune'. Find them with tag:name in
    a query, count them with '--facet tag'. A tag name is a letter or digit,
    then letters, digits, '-', '_' or '.'; case is ignored. Exit status: 0
    articles matched, 1 none.

    \b
    Examples:
      archive tag +story-x '"peace talks"' kyiv
      archive tag +story-x -draft f951e8f88038
      archive tag -draft tag:draft
      archive tag +cocoa --source reuters cocoa
    """
    from archive.index.desk import Desk
    from archive.model import SearchRequest
    from archive.search.kept import tag_changes, targets

    add, remove, rest = tag_changes(words)
    with env.reader() as reader:
        ids = targets(reader, rest, SearchRequest("", **filters))
    with Desk(env.location.path) as desk:
        _said_aside(desk.set_aside)
        changed = desk.retag(ids, add, remove)
    what = " ".join([*(f"+{t}" for t in add), *(f"-{t}" for t in remove)])
    click.echo(f"{what}: {_articles(len(ids))} matched, {changed} changed")
    return ExitCode.OK if ids else ExitCode.NONE


@click.command()
@click.argument("state", type=click.Choice(["read", "unread", "flagged", "unflagged"]))
@click.argument("words", nargs=-1, required=True)
@request_options
@pass_env
def mark(env: Env, state: str, words: tuple[str, ...], **filters: Any) -> int:
    """Mark articles read, unread, flagged or not flagged: every article a
    query matches, or the articles named by their IDs.

    Articles shown with 'show' or opened in the shell count as read; find
    them with is:unread, is:read and is:flagged in a query. Exit status: 0
    articles matched, 1 none.

    \b
    Examples:
      archive mark flagged f951e8f88038
      archive mark read tag:story-x
      archive mark unread --since -7days '*'
    """
    from archive.index.desk import Desk
    from archive.model import SearchRequest
    from archive.search.kept import targets

    with env.reader() as reader:
        ids = targets(reader, words, SearchRequest("", **filters))
    which, on = {
        "read": ("read", True),
        "unread": ("read", False),
        "flagged": ("flagged", True),
        "unflagged": ("flagged", False),
    }[state]
    with Desk(env.location.path) as desk:
        _said_aside(desk.set_aside)
        changed = desk.mark(ids, which, on)
    click.echo(f"{state}: {_articles(len(ids))} matched, {changed} changed")
    return ExitCode.OK if ids else ExitCode.NONE


@click.command()
@click.argument("article_id", metavar="ID")
@click.argument("words", nargs=-1)
@click.option("--clear", is_flag=True, help="Remove the article's note.")
@pass_env
def note(env: Env, article_id: str, words: tuple[str, ...], clear: bool) -> int:
    """Write a short note on an article (an ID or its first few characters),
    replacing the one it has; with no text, print its note.

    Notes are yours, kept beside the index with tags and marks: they survive
    'index', 'rebuild' and '--prune', show under the article in 'show' and
    under its hit, and note:word finds them in a query (case ignored;
    note:call* finds any word it starts). Exit status: 0, or 1 when the
    article has no note to print or remove.

    \b
    Examples:
      archive note f951e8f88038 call the embassy about the 28-point plan
      archive note f951
      archive search note:embassy
      archive note f951 --clear
    """
    from archive.index.desk import Desk, note_text

    if clear and words:
        raise click.UsageError("give a note's text or --clear, not both")
    text = note_text(" ".join(words)) if words else None  # a bad note names itself first
    with env.reader() as reader:
        shown = reader.show(article_id)
    article = shown.article.id
    if not (words or clear):
        if shown.note is None:
            said = f"{article} has no note; add one with 'archive note {article} TEXT'"
            click.echo(said, err=True)
            return ExitCode.NONE
        click.echo(_one_line(shown.note))
        return ExitCode.OK
    with Desk(env.location.path) as desk:
        _said_aside(desk.set_aside)
        changed = desk.note(article, text)
    if clear:
        click.echo(f"{article}: note removed" if changed else f"{article} had no note")
        return ExitCode.OK if changed else ExitCode.NONE
    click.echo(f"{article}: note {'saved' if changed else 'unchanged'}: {_one_line(str(text))}")
    return ExitCode.OK


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The tags and counts as one JSON object.")
@click.option(
    "--export",
    "export_to",
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write every article's tags, marks and note as JSON Lines ('-': standard output).",
)
@click.option(
    "--import",
    "import_from",
    metavar="FILE",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Add the tags, marks and notes of an export (what is here already stays).",
)
@pass_env
def tags(env: Env, as_json: bool, export_to: Path | None, import_from: Path | None) -> int:
    """List your tags with how many articles hold each; export and import
    them (with read and flagged marks and notes) as JSON Lines, to keep them
    or move them to another archive.

    An export has a line per article: {"id": ..., "title": ..., "tags": [...],
    "read": true, "flagged": true, "note": "..."}. An import is checked whole before
    anything is added: a bad line is named and nothing is imported. Articles
    this archive lacks keep their tags, which count once they are indexed.

    \b
    Examples:
      archive tags
      archive tags --export tags.jsonl
      archive --index-dir /other/index tags --import tags.jsonl
    """
    if export_to is not None and import_from is not None:
        raise click.UsageError("give --export or --import, not both")
    if import_from is not None:
        return _import(env, import_from)
    if export_to is not None:
        return _export(env, export_to)
    from archive.index import desk

    env.open_store().close()  # no index: say so
    counts = sorted(
        ((name, len(ids)) for name, ids in desk.tags(env.location.path).items()),
        key=lambda item: (-item[1], item[0]),
    )
    if as_json:
        import json

        click.echo(json.dumps({"tags": dict(counts)}))
    elif not counts:
        click.echo("no tags yet; add some with 'archive tag +name QUERY'", err=True)
    else:
        width = max(len(str(count)) for _, count in counts)
        for name, count in counts:
            click.echo(f"{count:>{width}}  {name}")
    return ExitCode.OK if counts else ExitCode.NONE


def _export(env: Env, to: Path) -> int:
    import json

    from archive.index import desk

    with env.reader() as reader:
        rows = desk.exported(env.location.path)
        for row in rows:
            title = _title(reader, row["id"])
            if title is not None:
                row["title"] = title
    from archive.escape import holds_all

    ascii_only = str(to) == "-" and not holds_all(sys.stdout)  # JSON escapes what it cannot hold
    lines = "".join(json.dumps(_ordered(row), ensure_ascii=ascii_only) + "\n" for row in rows)
    if str(to) == "-":
        sys.stdout.write(lines)
    else:
        if to.exists():
            raise ArchiveError(f"{to} exists", hint="name a new file, or '-' for standard output")
        to.write_text(lines, encoding="utf-8")
        click.echo(f"exported {_articles(len(rows))} to {to}", err=True)
    return ExitCode.OK


def _import(env: Env, source: Path) -> int:
    from archive.index.desk import Desk
    from archive.search.kept import rows_from_lines

    if str(source) == "-":
        rows = rows_from_lines(sys.stdin, "standard input")
    else:
        try:
            text = source.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ArchiveError(f"cannot read {source}: {err}") from None
        rows = rows_from_lines(text.splitlines(), str(source))
    with env.reader() as reader:
        absent = sum(1 for row in rows if _title(reader, row["id"]) is None)
    with Desk(env.location.path) as desk:
        _said_aside(desk.set_aside)
        desk.load(rows)
    note = f" ({absent} not in this archive yet, kept for when they are)" if absent else ""
    click.echo(f"imported the tags, marks and notes of {_articles(len(rows))}{note}")
    return ExitCode.OK


def _title(reader: Any, article: str) -> str | None:
    from archive.errors import ArticleNotFound

    try:
        return str(reader.get(article).title)
    except ArticleNotFound:
        return None


def _ordered(row: dict[str, Any]) -> dict[str, Any]:
    order = ("id", "title", "tags", "read", "flagged", "note")
    return {key: row[key] for key in order if key in row}


def _one_line(text: str) -> str:
    from archive.escape import safe_line

    return safe_line(text)


def _articles(count: int) -> str:
    return f"{count:,} article{'' if count == 1 else 's'}"


def _said_aside(aside: str | None) -> None:
    if aside is not None:
        click.echo(
            "archive: warning: the table of tags, marks and notes was damaged; "
            f"set aside as {aside}, and a new one started",
            err=True,
        )
