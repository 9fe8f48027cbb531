"""Build time on a Dask cluster against the local build, in one run.

    python bench/cluster.py 30000 120000

For each size, the same JSON Lines items (bench/corpus.py) are indexed by
``archive index`` with its own worker processes, and with ``--cluster`` on
a LocalCluster of one and of two Dask worker processes (one thread each),
started before the timing (the local build runs before and after them, and
the faster counts). Each build is one whole ``archive index``
process: its wall time, and the CPU time of that process (the run that
reads and decides; on a cluster, the workers analyse and write). Ratios are
to the local build. On one machine the workers share its cores with the
run, so the figures measure the overhead of the cluster path, not its
reach.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str]) -> tuple[float, float]:
    before, started = children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started, children_cpu() - before


def build(index: Path, folder: Path, address: str | None) -> tuple[float, float]:
    shutil.rmtree(index, ignore_errors=True)
    command = [sys.executable, "-m", "archive", "--index-dir", str(index), "index", str(folder)]
    figures = timed(command + (["--cluster", address] if address else []))
    shutil.rmtree(index, ignore_errors=True)
    return figures


def main() -> None:
    from distributed import LocalCluster

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[30_000])
    parser.add_argument("--work", type=Path, default=HERE / "out" / "build")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"# Build on a Dask cluster ({os.cpu_count()} cores, {time.strftime('%Y-%m-%d')})\n")
    for size in args.sizes:
        folder = corpus.write(corpus.all_items()[:size], args.work / f"items-{size}")
        index = args.work / f"index-cluster-{size}"
        rows = {"local processes": build(index, folder, None)}
        for workers in (1, 2):
            with LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster:
                rows[f"Dask, {workers} worker{'s' * (workers > 1)}"] = build(
                    index, folder, cluster.scheduler_address
                )
        again = build(index, folder, None)  # after the clusters too: the faster of the two
        if again[0] < rows["local processes"][0]:
            rows["local processes"] = again
        local_wall = rows["local processes"][0]
        print(f"## {size:,} items\n")
        print("| build | wall s | run's CPU s | wall / local |")
        print("|---|---:|---:|---:|")
        for name, (wall, cpu) in rows.items():
            print(f"| {name} | {wall:.1f} | {cpu:.1f} | {wall / local_wall:.2f}x |")
        print(flush=True)


if __name__ == "__main__":
    main()
