"""The command that cites articles: cite."""

from __future__ import annotations

import click

from archive.cli.env import Env, pass_env
from archive.errors import ExitCode


@click.command()
@click.argument("article_ids", metavar="ID...", nargs=-1, required=True)
@click.option(
    "--style",
    default="apa",
    show_default=True,
    metavar="STYLE",
    help="apa, mla, chicago or bibtex.",
)
@pass_env
def cite(env: Env, article_ids: tuple[str, ...], style: str) -> int:
    """Cite articles (IDs, or their first few characters) from their title,
    authors, source, date and URL: one citation a line (BibTeX: an entry
    each, a blank line between).

    What an article lacks is written as each style says: APA puts "n.d." for
    no date and the title first for no author; MLA leaves it out; Chicago
    puts "n.d." and leads with the source. BibTeX keys are the first
    author's family name, the year and the title's first word
    (smith2025oil), the same each time.

    \b
    Examples:
      archive cite f951e8f88038
      archive cite --style mla f951 27b7
      archive cite --style bibtex f951 >> story.bib
    """
    from archive.present.cite import citation, style_name

    chosen = style_name(style)  # a bad style is named before any lookup
    with env.reader() as reader:
        articles = [reader.get(article) for article in article_ids]
    between = "\n\n" if chosen == "bibtex" else "\n"
    click.echo(between.join(citation(article, chosen) for article in articles))
    return ExitCode.OK
