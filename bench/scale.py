"""Speed at 10,000, 30,000 and 120,000 articles, against bare Whoosh in the same run.

    python bench/scale.py             # 10k, 30k, 120k: writes bench/RESULTS.md
    python bench/scale.py --quick     # 2k and 5k, fewer repetitions (bench/out/)
    python bench/scale.py --large     # 500k and 1M recombined items: bench/RESULTS-large.md

The corpus is built from ../shared/corpora by bench/corpus.py. For each size
and for both systems (bare Whoosh as bench/bare_whoosh.py uses it, and this
archive through its command line and library) it measures: build time,
docs/s, peak memory of the build (all its processes), index size, query
latency (single terms, two-term AND, phrases, fuzzy; each with the top ten
highlighted snippets), the cold one-shot search (process start to exit),
then 20 incremental updates and fuzzy latency again; for the archive also
the shell's keystroke-to-preview time and a no-change re-index. Every
figure is the median of several runs; ratios are archive / bare.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # the archive, from this checkout

import bare_whoosh  # noqa: E402
import corpus  # noqa: E402
import references  # noqa: E402

QUERIES = {
    "term": ["oil", "bank", "election", "football", "profit", "court", "china", "music",
             "shares", "minister", "film", "wheat"],
    "and": ["oil prices", "interest rates", "prime minister", "trade deficit", "stock market",
            "world cup", "film festival", "central bank", "tax cuts", "mobile phone"],
    "phrase": ['"interest rates"', '"prime minister"', '"stock exchange"', '"world cup"',
               '"chief executive"', '"trade surplus"', '"oil prices"', '"general election"'],
    "fuzzy": ["goverment~", "elecion~", "finacial~", "parliment~", "compnay~", "markts~",
              "inflaton~", "minster~"],
}  # fmt: skip
ONE_SHOT_QUERY = "oil prices"
UPDATES, UPDATE_SIZE = 20, 50
REFERENCES = [system for system in references.SYSTEMS if references.available(system)]


# -- measuring ------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _tree_memory(pid: int) -> tuple[int, int]:
    """Memory of a process and all its descendants, in bytes (Linux /proc):
    its own (anonymous) memory, and that plus the files it maps (the index's
    segment files are read through mmap: page cache the system can reclaim).

    Proportional set sizes: pages shared by forked workers count once overall.
    """
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    anonymous = total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                    elif line.startswith("Pss_Anon:"):
                        anonymous += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
    return anonymous, total


def run_measured(args: list[str]) -> tuple[float, tuple[int, int]]:
    """Wall time of a command, and the peak memory of its process tree (sampled:
    own memory, and with mapped files)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0]

    def sample() -> None:
        while process.poll() is None:
            anonymous, total = _tree_memory(process.pid)
            peak[0], peak[1] = max(peak[0], anonymous), max(peak[1], total)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = process.communicate()
    elapsed = time.perf_counter() - started
    sampler.join()
    if process.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}): {err.decode()[-500:]}")
    return elapsed, (peak[0], peak[1])


def size_on_disk(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def archive_cmd(index: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "archive", "--index-dir", str(index), *args]


def bare_cmd(*args: str) -> list[str]:
    return [sys.executable, str(HERE / "bare_whoosh.py"), *args]


def reference_cmd(*args: str) -> list[str]:
    return [sys.executable, str(HERE / "references.py"), *args]


# -- the two systems ------------------------------------------------------


def build(system: str, folder: Path, index: Path) -> tuple[float, tuple[int, int]]:
    shutil.rmtree(index, ignore_errors=True)
    if system in references.SYSTEMS:
        return run_measured(reference_cmd("build", system, str(folder), str(index)))
    if system == "bare":
        return run_measured(bare_cmd("build", str(folder), str(index)))
    return run_measured(archive_cmd(index, "index", str(folder)))


def query_latencies(system: str, index: Path, rounds: int) -> dict[str, list[float]]:
    """Seconds per query, by kind: search plus the top ten highlighted snippets."""
    run: Callable[[str], Any]
    if system in references.SYSTEMS:
        run = references.SEARCHER[system](index)
    elif system == "bare":
        from whoosh import index as whoosh_index

        ix = whoosh_index.open_dir(str(index))
        searcher = ix.searcher()
        parse = bare_whoosh.parser(ix)

        def run(text: str) -> Any:
            return bare_whoosh.run_query(searcher, parse, text)

    else:
        from archive.model import SearchRequest
        from archive.search.reader import Reader

        reader = Reader.open(index)  # as the shell and archive serve keep one

        def run(text: str) -> Any:
            return reader.search(reader.prepare(SearchRequest(text, limit=10)))

    for texts in QUERIES.values():  # warm up: first use loads lexicons and columns
        for text in texts:
            run(text)
    times: dict[str, list[float]] = {kind: [] for kind in QUERIES}
    for _ in range(rounds):
        for kind, texts in QUERIES.items():
            for text in texts:
                started = time.perf_counter()
                run(text)
                times[kind].append(time.perf_counter() - started)
    return times


def one_shot(indexes: dict[str, Path], repeat: int) -> dict[str, float]:
    """Process start to exit of a one-shot search, each system in turn (the
    machine's speed drifts), with Python's bytecode cache as installs have it.
    The archive is timed on its own and, as "served", answered by a running
    ``archive serve``."""
    commands = {
        system: bare_cmd("search", str(index), ONE_SHOT_QUERY)
        if system == "bare"
        else archive_cmd(index, "search", "--json", ONE_SHOT_QUERY)
        if system == "ours"
        else reference_cmd("search", system, str(index), ONE_SHOT_QUERY)
        for system, index in indexes.items()
    }
    commands["served"] = commands["ours"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ARCHIVE_DATA_DIR"] = str(OUT / "serve-data")  # a server of the benchmark's own
    envs = {system: env for system in commands}
    envs["ours"] = {**env, "ARCHIVE_NO_SERVER": "1"}
    times: dict[str, list[float]] = {system: [] for system in commands}
    server = subprocess.Popen(
        [sys.executable, "-m", "archive", "serve"], stderr=subprocess.PIPE, text=True, env=env
    )
    started_line = server.stderr.readline() if server.stderr is not None else ""
    try:
        if "serving" not in started_line:
            raise SystemExit(f"archive serve did not start: {started_line}")
        for round_ in range(repeat + 1):
            for system, args in commands.items():
                started = time.perf_counter()
                subprocess.run(  # errors to a pipe of their own, as a script's would be
                    args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=envs[system]
                )
                if round_:  # the first round writes the bytecode cache
                    times[system].append(time.perf_counter() - started)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _, said = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            said = ""
    if f"stopped after {repeat + 1} commands" not in said:  # the served runs were served
        raise SystemExit(f"archive serve did not answer every served search: {said}")
    return {system: median(values) for system, values in times.items()}


def update(system: str, index: Path, files: list[Path]) -> float:
    """Apply each file as one incremental run; the median time of a run."""
    times = []
    for path in files:
        if system == "bare":
            times.append(run_measured(bare_cmd("add", str(path), str(index)))[0])
        else:
            times.append(run_measured(archive_cmd(index, "index", str(path)))[0])
    return median(times)


def preview_latency(index: Path) -> list[float]:
    import preview_latency

    from archive.index.store import Store

    latencies, _ = preview_latency.type_queries(Store.open(index), 0.120, 1)
    return latencies


def segments(system: str, index: Path) -> int:
    from whoosh import index as whoosh_index

    return len(whoosh_index.open_dir(str(index))._segments())


# -- one size ---------------------------------------------------------------


def measure(
    size: int, items: list[corpus.Item], repeat: int, quick: bool, large: bool = False
) -> dict[str, Any]:
    """Every figure at one size. At the large sizes queries run one round
    after the warm-up, and bare Whoosh's fuzzy search after the updates is
    not timed (seconds a query at 120,000 already)."""
    rounds = 1 if large else 3
    folder = corpus.write(items[:size], OUT / f"corpus-{size}")
    extra = OUT / f"updates-{size}"
    extra.mkdir(parents=True, exist_ok=True)
    update_files = []
    for k in range(UPDATES):
        path = extra / f"update-{k:02d}.jsonl"
        chunk = items[size + k * UPDATE_SIZE : size + (k + 1) * UPDATE_SIZE]
        path.write_text("".join(json.dumps(item) + "\n" for item in chunk), encoding="utf-8")
        update_files.append(path)
    figures: dict[str, Any] = {"size": size}
    for system in ("bare", "ours"):
        index = OUT / f"index-{system}-{size}"
        builds = [build(system, folder, index) for _ in range(repeat)]
        row: dict[str, Any] = {
            "build_s": median([b[0] for b in builds]),
            "peak_mb": max(b[1][0] for b in builds) / 2**20,
            "peak_mapped_mb": max(b[1][1] for b in builds) / 2**20,
            "size_mb": size_on_disk(index) / 2**20,
        }
        row["docs_per_s"] = size / row["build_s"]
        times = query_latencies(system, index, rounds=rounds)
        for kind, values in times.items():
            row[f"{kind}_median_ms"] = median(values) * 1000
            row[f"{kind}_p95_ms"] = p95(values) * 1000
        if system == "ours":
            row["no_change_s"] = median(
                [run_measured(archive_cmd(index, "index", str(folder)))[0] for _ in range(repeat)]
            )
            previews = preview_latency(index)
            row["preview_median_ms"] = median(previews) * 1000
            row["preview_p95_ms"] = p95(previews) * 1000
        row["update_s"] = update(system, index, update_files)
        row["segments_after_updates"] = segments(system, index)
        if not (large and system == "bare"):
            fuzzy = query_latencies(system, index, rounds=rounds)["fuzzy"]
            row["fuzzy_updated_median_ms"] = median(fuzzy) * 1000
            row["fuzzy_updated_p95_ms"] = p95(fuzzy) * 1000
        figures[system] = row
        print(f"  {system}: {json.dumps(row)}", flush=True)
    for system in REFERENCES:
        index = OUT / f"index-{system}-{size}"
        builds = [build(system, folder, index) for _ in range(repeat)]
        row = {
            "build_s": median([b[0] for b in builds]),
            "peak_mb": max(b[1][0] for b in builds) / 2**20,
            "size_mb": size_on_disk(index) / 2**20,
        }
        row["docs_per_s"] = size / row["build_s"]
        for kind, values in query_latencies(system, index, rounds=rounds).items():
            if system != "fts5" or kind != "fuzzy":  # FTS5 has no fuzzy terms
                row[f"{kind}_median_ms"] = median(values) * 1000
                row[f"{kind}_p95_ms"] = p95(values) * 1000
        figures[system] = row
        print(f"  {system}: {json.dumps(row)}", flush=True)
    systems = ["bare", "ours", *REFERENCES]
    shots = one_shot({s: OUT / f"index-{s}-{size}" for s in systems}, repeat=5 if quick else 9)
    for system, seconds in shots.items():
        if system == "served":
            figures["ours"]["one_shot_served_s"] = seconds
        else:
            figures[system]["one_shot_s"] = seconds
    return figures


# -- the report -------------------------------------------------------------

ROWS = [
    ("build_s", "build time (s)", "{:.1f}"),
    ("docs_per_s", "docs/s", "{:,.0f}"),
    ("peak_mb", "peak memory of the build, own (MB)", "{:,.0f}"),
    ("peak_mapped_mb", "... with the index files it maps (MB)", "{:,.0f}"),
    ("size_mb", "index size on disk (MB)", "{:,.1f}"),
    *[
        (f"{kind}_{stat}_ms", f"{kind} query {stat} (ms)", "{:.1f}")
        for kind in QUERIES
        for stat in ("median", "p95")
    ],
    ("one_shot_s", "cold one-shot search (s)", "{:.3f}"),
    ("one_shot_served_s", "one-shot search, `archive serve` running (s)", "{:.3f}"),
    ("update_s", f"incremental update of {UPDATE_SIZE} articles (s)", "{:.2f}"),
    ("segments_after_updates", f"segments after {UPDATES} updates", "{:.0f}"),
    ("fuzzy_updated_median_ms", f"fuzzy median after {UPDATES} updates (ms)", "{:.1f}"),
    ("fuzzy_updated_p95_ms", f"fuzzy p95 after {UPDATES} updates (ms)", "{:.1f}"),
    ("no_change_s", "no-change re-index (s)", "{:.2f}"),
    ("preview_median_ms", "shell keystroke-to-preview median (ms)", "{:.1f}"),
    ("preview_p95_ms", "shell keystroke-to-preview p95 (ms)", "{:.1f}"),
]


NAMES = {"tantivy": "tantivy", "fts5": "SQLite FTS5"}
SAME_AS = {"one_shot_served_s": "one_shot_s"}


def table(figures: dict[str, Any]) -> str:
    refs = [system for system in NAMES if system in figures]
    lines = [
        f"### {figures['size']:,} articles",
        "",
        "| figure | bare Whoosh | news-archive | ratio |"
        + "".join(f" {NAMES[r]} | archive / {NAMES[r]} |" for r in refs),
        "|---|---:|---:|---:|" + "---:|---:|" * len(refs),
    ]
    bare, ours = figures["bare"], figures["ours"]

    def cell(row: dict[str, Any], key: str, fmt: str) -> str:
        return fmt.format(row[key]) if key in row else "–"

    def ratio(row: dict[str, Any], key: str) -> str:
        theirs = key if key in row else SAME_AS.get(key, key)  # the others have no server
        if theirs not in row or key not in ours or not row[theirs]:
            return ""
        return f"{ours[key] / row[theirs]:.2f}x"

    for key, label, fmt in ROWS:
        cells = [cell(bare, key, fmt), cell(ours, key, fmt), ratio(bare, key)]
        for r in refs:
            cells += [cell(figures[r], key, fmt), ratio(figures[r], key)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if "no_change_s" in ours:
        share = ours["no_change_s"] / ours["build_s"]
        lines.append(f"| no-change re-index / own build | | {share:.1%} | |" + " | |" * len(refs))
    return "\n".join(lines)


def targets(figures: dict[str, Any]) -> str:
    bare, ours = figures["bare"], figures["ours"]

    def versus(key: str, limit: float) -> tuple[str, bool, str]:
        found = ours[key] / bare[SAME_AS.get(key, key)]
        name = next(label for k, label, _ in ROWS if k == key)
        return (f"{name} <= {limit}x bare", found <= limit, f"{found:.2f}x")

    checks = [
        *[versus(f"{kind}_median_ms", 0.35) for kind in ("term", "and")],
        versus("phrase_median_ms", 0.5),
        *[versus(f"{kind}_p95_ms", 0.5) for kind in ("term", "and", "phrase", "fuzzy")],
        ("fuzzy p95 < 50 ms", ours["fuzzy_p95_ms"] < 50, f"{ours['fuzzy_p95_ms']:.0f} ms"),
        ("fuzzy p95 < 50 ms after updates", ours["fuzzy_updated_p95_ms"] < 50,
         f"{ours['fuzzy_updated_p95_ms']:.0f} ms"),
        ("preview p95 < 25 ms", ours["preview_p95_ms"] < 25, f"{ours['preview_p95_ms']:.1f} ms"),
        versus("build_s", 0.6),
        ("peak build memory < 600 MB (own)", ours["peak_mb"] < 600, f"{ours['peak_mb']:.0f} MB"),
        versus("size_mb", 1.5),
        versus("one_shot_s", 0.75),
        *([versus("one_shot_served_s", 0.75)] if "one_shot_served_s" in ours else []),
        ("no-change re-index < 5% of build", ours["no_change_s"] < 0.05 * ours["build_s"],
         f"{ours['no_change_s'] / ours['build_s']:.1%}"),
    ]  # fmt: skip
    smaller = OUT / "figures-120000.json"
    if figures["size"] >= 500_000 and smaller.exists():  # how the large sizes scale
        base = json.loads(smaller.read_text())["ours"]["term_median_ms"]
        found = ours["term_median_ms"] / base
        checks.append(("term median <= 3x its figure at 120,000", found <= 3, f"{found:.2f}x"))
    if figures["size"] >= 500_000:
        checks.append(
            (
                "peak build memory < 1.5 GB (own)",
                ours["peak_mb"] < 1536,
                f"{ours['peak_mb']:.0f} MB",
            )
        )
    if "tantivy" in figures:
        found = ours["term_median_ms"] / figures["tantivy"]["term_median_ms"]
        checks.append(
            ("term median within 10x of tantivy (long run)", found <= 10, f"{found:.1f}x")
        )
    lines = [
        f"### Targets at {figures['size']:,} articles",
        "",
        "| target | measured | holds |",
        "|---|---:|---|",
    ]
    lines += [f"| {name} | {value} | {'yes' if ok else 'NO'} |" for name, ok, value in checks]
    return "\n".join(lines)


def header(sizes: list[int], repeat: int) -> str:
    import whoosh

    return "\n".join(
        [
            "# Benchmarks: news-archive against bare Whoosh, tantivy and SQLite FTS5",
            "",
            f"`python bench/scale.py` on {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, Whoosh {whoosh.versionstring()}; "
            f"sizes {', '.join(f'{s:,}' for s in sizes)}; builds and re-index runs "
            f"repeated {repeat}x, queries 3 rounds after a warm-up, one-shot searches 9x "
            "alternating the two systems, with bytecode caching on (medians). Ratios are "
            "news-archive / bare Whoosh: below 1 is faster. Peak "
            "memory is the proportional set size of all of a build's processes, sampled "
            "every 50 ms: 'own' is their anonymous memory; the other figure adds the "
            "index files they read through mmap (page cache the system can reclaim).",
            "",
            "Bare Whoosh: a StemmingAnalyzer schema (title, body stored), one writer, "
            "MultifieldParser with fuzzy terms, `hit.highlights`. news-archive: the "
            "`archive` command and library as shipped (cleaning, exact and near-duplicate "
            "detection, spelling vocabulary, facets). References, on the same items with "
            "the same queries, top ten with a highlighted snippet each (bench/references.py): "
            "tantivy (en_stem, SnippetGenerator; fuzzy terms within two edits, without "
            "snippets) and SQLite FTS5 (porter, bm25(), snippet(); no fuzzy terms).",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k and 5k, fewer repetitions")
    parser.add_argument("--sizes", help="comma-separated sizes (default 10000,30000,120000)")
    parser.add_argument("--repeat", type=int, help="build repetitions (default 3, quick 1)")
    parser.add_argument(
        "--large", action="store_true", help="500k and 1M items recombined from sentence groups"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    default = [500_000, 1_000_000] if args.large else [10_000, 30_000, 120_000]
    sizes = sizes or ([2_000, 5_000] if args.quick else default)
    repeat = args.repeat or (1 if args.quick or args.large else 3)
    items = corpus.all_items()
    if args.large:
        items = corpus.large_items(max(sizes) + UPDATES * UPDATE_SIZE)
    if max(sizes) + UPDATES * UPDATE_SIZE > len(items):
        raise SystemExit(f"the corpus has {len(items):,} items; sizes must leave room for updates")
    OUT.mkdir(exist_ok=True)
    sections = [header(sizes, repeat)]
    for size in sizes:
        print(f"{size:,} articles…", flush=True)
        figures = measure(size, items, repeat, args.quick, args.large)
        sections += [table(figures), targets(figures)]
        (OUT / f"figures-{size}.json").write_text(json.dumps(figures, indent=2))
    report = "\n\n".join(sections) + "\n"
    print(report)
    name = "RESULTS-large.md" if args.large else "RESULTS.md"
    target = OUT / "RESULTS-quick.md" if args.quick else HERE / name
    target.write_text(report, encoding="utf-8")
    print(f"written to {target}")


if __name__ == "__main__":
    main()
