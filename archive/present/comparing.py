"""Two runs of one collection compared: a table, and its JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from archive.escape import safe_line
from archive.model import Comparison
from archive.present.render import META, METRICS
from archive.present.wording import counted

JSON_NAMES = {"ap": "map", "p10": "p10", "ndcg10": "ndcg10", "recall100": "recall100"}


def comparison_view(found: Comparison, theirs: str) -> RenderableType:
    """Per metric: this run's mean, the other's, the change, its p-value, and
    the topics that did better and worse."""
    table = Table(box=None, padding=(0, 2))
    table.add_column("metric")
    for label in ("this run", safe_line(theirs), "change", "p", "better", "worse"):
        table.add_column(Text(label), justify="right")
    for name, label in METRICS:
        one = found.metrics[name]
        cells = (f"{one.ours:.4f}", f"{one.theirs:.4f}", f"{one.change:+.4f}", _p(one.p_value))
        table.add_row(label, *map(Text, cells), Text(str(one.better)), Text(str(one.worse)))
    return Group(table, Text(_method(found), style=META))


def _p(value: float) -> str:
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _method(found: Comparison) -> str:
    how = "every relabelling counted" if not found.trials else f"{found.trials:,} relabellings"
    return (
        f"{counted(found.topics, 'judged topic')}; p: paired randomisation test over "
        f"topics, two-sided ({how})"
    )


def comparison_json(found: Comparison, theirs: str) -> dict[str, Any]:
    return {
        "run": theirs,
        "topics": found.topics,
        "test": "paired randomisation, two-sided",
        "trials": found.trials,
        "metrics": {
            JSON_NAMES[name]: {
                "this": round(one.ours, 6),
                "other": round(one.theirs, 6),
                "change": round(one.change, 6),
                "p": round(one.p_value, 6),
                "better": one.better,
                "worse": one.worse,
            }
            for name, one in found.metrics.items()
        },
    }
