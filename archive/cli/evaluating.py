"""archive eval: ranking quality on a test collection, alone or against another run."""

from __future__ import annotations

from pathlib import Path

import click

from archive.cli.env import Env, pass_env
from archive.errors import ExitCode


@click.command("eval")
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
@click.option(
    "--compare",
    "other_run",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Compare with a run written earlier (by --run-out, or any TREC run) on the "
    "same judgements: per metric, both means, the change, its p-value (a paired "
    "randomisation test over topics) and how many topics did better and worse.",
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
    other_run: Path | None,
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
      archive --index-dir /tmp/cacm eval cacm_queries.tsv cacm_qrels.trec --run-out before.run
      archive --index-dir /tmp/cacm eval cacm_queries.tsv cacm_qrels.trec --compare before.run
    """
    from archive.search import evaluation

    wanted, judged = evaluation.read_topics(topics), evaluation.read_qrels(qrels)
    other = evaluation.read_run(other_run) if other_run is not None else None
    with env.reader() as reader:
        found = evaluation.evaluate(evaluation.run_topics(reader, wanted, id_field), judged)
    if run_out is not None:
        run_out.write_text(evaluation.trec_run(found.runs), encoding="utf-8")
    compared = None
    if other is not None and other_run is not None:
        theirs = evaluation.evaluate(other, judged)
        compared = (evaluation.compare(found, theirs), other_run.name)
    if as_json:
        from archive.present import comparing, formats

        data = formats.evaluation_json(found)
        if compared is not None:
            data["compared"] = comparing.comparison_json(*compared)
        click.echo(formats.dumps(data))
    elif compared is not None:
        from archive.present.comparing import comparison_view

        env.emit(comparison_view(*compared))
    else:
        from archive.present.render import evaluation_view

        env.emit(evaluation_view(found, per_query))
    return ExitCode.OK
