"""The one-shot command line: a thin click layer over the library.

Imports stay lazy so that a one-shot search starts fast: rich is loaded only
to print for people, prompt_toolkit only for the shell.

Exit codes are archive.errors.ExitCode: 0 success (search: hits found), 1 no
hits / no such article / nothing new, 2 error, 3 some inputs or sources could
not be read (the rest were), 4 another process is writing (with --no-wait),
130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from archive.cli.citing import cite
from archive.cli.env import Env, pass_env
from archive.cli.evaluating import evaluate
from archive.cli.following import follow, unfollow, update, watch
from archive.cli.indexing import check, index, rebuild, stats
from archive.cli.keeping import mark, note, tag, tags
from archive.cli.searching import search, show, similar, sources, timeline
from archive.cli.serving import serve
from archive.errors import ArchiveError, ExitCode
from archive.escape import safe_line


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
      archive follow https://example.org/rss && archive update
    """
    readers = ctx.obj  # a resident server's open readers, if it runs this command
    ctx.obj = Env(index_dir, config_file, traceback, readers=readers)
    if ctx.invoked_subcommand is not None:
        return None
    if sys.stdin.isatty() and sys.stdout.isatty():
        return ctx.invoke(shell)
    click.echo(ctx.get_help())
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


for command in (
    index,
    search,
    similar,
    show,
    timeline,
    sources,
    tag,
    tags,
    mark,
    note,
    cite,
    evaluate,
    check,
    rebuild,
    stats,
    follow,
    unfollow,
    update,
    watch,
    serve,
):
    cli.add_command(command)


def main(argv: list[str] | None = None, readers: Any = None) -> int:
    """Run the command line; return the exit status instead of exiting.
    (A resident server passes the ``readers`` it keeps open.)"""
    args = sys.argv[1:] if argv is None else argv
    try:
        result: Any = cli.main(args=args, prog_name="archive", standalone_mode=False, obj=readers)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.UsageError as err:  # one line, as every error (click prints four)
        where = err.ctx.command_path if err.ctx is not None else "archive"
        hint = f"'{where} --help' shows how to use it"
        message = err.format_message().rstrip(".")
        click.echo(safe_line(f"archive: error: {message}; {hint}"), err=True)
        return ExitCode.ERROR
    except click.ClickException as err:
        click.echo(safe_line(f"archive: error: {err.format_message()}"), err=True)
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
        if _disk_full(err):
            click.echo(
                "archive: error: No space left on device; free some space: what was not "
                "committed is read again by the next run",
                err=True,
            )
            return ExitCode.ERROR
        click.echo(
            safe_line(
                f"archive: error: {type(err).__name__}: {err} (run with --traceback for details)"
            ),
            err=True,
        )
        return ExitCode.ERROR
    return result if isinstance(result, int) else ExitCode.OK


def _disk_full(err: Exception) -> bool:
    """Whether a failure is a full disk, however it was raised (a file's
    write, or SQLite's)."""
    import errno
    import sqlite3

    if isinstance(err, OSError) and err.errno == errno.ENOSPC:
        return True
    return isinstance(err, sqlite3.OperationalError) and "disk is full" in str(err)


def run() -> None:
    """Console-script entry point."""
    from archive.whoosh_ext.startup import prepare

    prepare()
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (e.g. `archive search x | head`); that is not an error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = ExitCode.OK
    sys.exit(code)
