"""archive serve: one resident process for one-shot commands (archive.serving)."""

from __future__ import annotations

import click

from archive.cli.env import Env, pass_env


@click.command()
@click.option(
    "--idle",
    type=click.FloatRange(min=0, min_open=True),
    metavar="MINUTES",
    help="Stop after this many minutes without a command (default: run until Ctrl-C).",
)
@pass_env
def serve(env: Env, idle: float | None) -> int:
    """Keep one archive process ready for one-shot commands.

    search, show, similar, timeline and stats, when their output goes to a
    file or a pipe, are then answered by this process: the same output,
    without starting Python and loading the search code each time (a
    script's searches start several times faster). Each command still opens
    the index it names, as it is at that moment. Without a server, or with
    ARCHIVE_NO_SERVER set, every command runs in its own process as always.

    \b
    Examples:
      archive serve &                      # for this login session
      archive serve --idle 30              # stops after 30 quiet minutes
      archive search --json oil | jq .total
    """
    from archive.cli import main
    from archive.serving import serve as run_server

    return run_server(idle, lambda line: click.echo(line, err=True), main)
