"""Build cost against bare Whoosh's two documented builds, in one run.

    python bench/build.py 10000 30000 120000

For each size, the same JSON Lines items (bench/corpus.py) are indexed by
bare Whoosh with one writer, by bare Whoosh with ``procs=2,
multisegment=True`` (its batch-indexing advice), and by this archive's
``archive index`` with every feature on. Each build is one whole process
(start to exit): wall time, CPU time of the process and its children, peak
memory of its process tree, and index size. Ratios are archive / the
faster bare build.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402
import scale  # noqa: E402

SYSTEMS = {
    "bare, one writer": lambda folder, index: scale.bare_cmd("build", str(folder), str(index)),
    "bare, procs=2 multisegment": lambda folder, index: scale.bare_cmd(
        "build-procs", str(folder), str(index), "2"
    ),
    "archive": lambda folder, index: scale.archive_cmd(index, "index", str(folder)),
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(size: int, work: Path) -> dict[str, dict[str, float]]:
    items = corpus.large_items(size) if size > 120_000 else corpus.all_items()[:size]
    folder = corpus.write(items, work / f"items-{size}")
    figures: dict[str, dict[str, float]] = {}
    for name, command in SYSTEMS.items():
        index = work / f"index-{size}"
        shutil.rmtree(index, ignore_errors=True)
        before = children_cpu()
        wall, (_, peak) = scale.run_measured(command(folder, index))
        figures[name] = {
            "wall": wall,
            "cpu": children_cpu() - before,
            "peak_mb": peak / 2**20,
            "size_mb": scale.size_on_disk(index) / 2**20,
        }
        shutil.rmtree(index, ignore_errors=True)
    return figures


def report(size: int, figures: dict[str, dict[str, float]]) -> str:
    bare = [figures[name] for name in SYSTEMS if name.startswith("bare")]
    fastest = min(bare, key=lambda f: f["wall"])
    cheapest = min(bare, key=lambda f: f["cpu"])
    smallest = min(bare, key=lambda f: f["size_mb"])
    lines = [
        f"## {size:,} items",
        "",
        "| | wall s | CPU s | peak MB | index MB |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, f in figures.items():
        lines.append(
            f"| {name} | {f['wall']:.1f} | {f['cpu']:.1f} | {f['peak_mb']:.0f} "
            f"| {f['size_mb']:.1f} |"
        )
    mine = figures["archive"]
    lines += [
        "",
        f"archive / faster bare: wall {mine['wall'] / fastest['wall']:.2f}x, "
        f"CPU {mine['cpu'] / fastest['cpu']:.2f}x, "
        f"index {mine['size_mb'] / fastest['size_mb']:.2f}x; "
        f"CPU / cheaper bare {mine['cpu'] / cheapest['cpu']:.2f}x, "
        f"index / smaller bare {mine['size_mb'] / smallest['size_mb']:.2f}x",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 30_000])
    parser.add_argument("--work", type=Path, default=HERE / "out" / "build")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"# Build cost ({os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})\n")
    for size in args.sizes:
        print(report(size, measure(size, args.work)), flush=True)


if __name__ == "__main__":
    main()
