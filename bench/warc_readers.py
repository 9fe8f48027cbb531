"""warcio against FastWARC, reading a large web archive made from the samples.

Builds (once, in bench/out/) a WARC of a few hundred MB by repeating the
real crawls of ../shared/corpora/web_archives (Heritrix 3, wget, wget-warc:
pages among requests, scripts, styles, images and logs) and the news pages
of ../shared/corpora/ingest_samples/html wrapped as response records, gzipped
record by record (as crawlers write them) and plain. Each reader then, in a
process of its own (its peak memory is that process's):

- scan: every record's type, target URI and HTTP status and type;
- pages: the same, and the whole payload of each HTML response.

The ARC sample is left out: FastWARC reads WARC only. Last, the saved-page
extraction (trafilatura) of the news pages, for scale: what a page costs to
read against what it costs to extract.

    python bench/warc_readers.py            # about 300 MB gzipped (a few minutes)
    python bench/warc_readers.py --mb 40    # a quick look

FastWARC is not a dependency of the archive: install it to run this
(python -m pip install fastwarc).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
CORPORA = HERE.parents[1] / "shared" / "corpora"
CRAWLS = sorted((CORPORA / "web_archives").rglob("*.warc.gz"))
PAGES = sorted((CORPORA / "ingest_samples" / "html").glob("*/source.html"))
READERS = ("warcio", "fastwarc")
TASKS = ("scan", "pages")


def news_warc() -> bytes:
    """The news pages as response records, as a crawler would have fetched them."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    for page in PAGES:
        uri = f"https://news.example/{page.parent.name}/"
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
        )
        payload = io.BytesIO(page.read_bytes())
        writer.write_record(
            writer.create_warc_record(uri, "response", payload=payload, http_headers=headers)
        )
    return out.getvalue()


def build(megabytes: int) -> tuple[Path, Path]:
    """The large file, gzipped record by record and plain (made once per size)."""
    OUT.mkdir(exist_ok=True)
    gz, plain = OUT / f"large-{megabytes}mb.warc.gz", OUT / f"large-{megabytes}mb.warc"
    if gz.exists() and plain.exists():
        return gz, plain
    unit = b"".join(path.read_bytes() for path in CRAWLS) + news_warc()
    copies = max(1, megabytes * 2**20 // len(unit))
    with gz.open("wb") as out:
        for _ in range(copies):
            out.write(unit)
    inflated = gzip.decompress(unit)  # every member, one after another: a plain WARC
    with plain.open("wb") as out:
        for _ in range(copies):
            out.write(inflated)
    return gz, plain


def run_warcio(path: str, task: str) -> tuple[int, int, int]:
    from warcio.archiveiterator import ArchiveIterator

    records = pages = payload = 0
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            records += 1
            record.rec_headers.get_header("WARC-Target-URI")
            http = record.http_headers
            if record.rec_type != "response" or http is None:
                continue
            status, kind = http.get_statuscode(), http.get_header("Content-Type") or ""
            if status.startswith("2") and "html" in kind:
                pages += 1
                if task == "pages":
                    payload += len(record.content_stream().read())
    return records, pages, payload


def run_fastwarc(path: str, task: str) -> tuple[int, int, int]:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    records = pages = payload = 0
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, parse_http=True):
            records += 1
            record.headers.get("WARC-Target-URI")
            if record.record_type != WarcRecordType.response or not record.is_http:
                continue
            status = record.http_headers.status_code or 0
            if 200 <= status < 300 and "html" in (record.http_content_type or ""):
                pages += 1
                if task == "pages":
                    payload += len(record.reader.read())
    return records, pages, payload


def child(reader: str, path: str, task: str) -> None:
    """Run one measurement and print it as JSON (the parent reads the peak memory)."""
    started = time.perf_counter()
    records, pages, payload = (run_warcio if reader == "warcio" else run_fastwarc)(path, task)
    elapsed = time.perf_counter() - started
    print(json.dumps({"records": records, "pages": pages, "payload": payload, "s": elapsed}))


def measure(reader: str, path: Path, task: str) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", reader, str(path), task]
    process = subprocess.Popen(command, stdout=subprocess.PIPE)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    assert status == 0, f"{reader} failed on {path.name}"
    return {**json.loads(output), "rss_mb": usage.ru_maxrss / 1024}


def extraction_per_page() -> float:
    """Seconds the saved-page extraction takes per news page (mean of the samples)."""
    from archive.sources.html import read_html

    list(read_html(PAGES[0].read_bytes(), path="warm-up", origin="warm-up"))  # imports
    started = time.perf_counter()
    for page in PAGES:
        list(read_html(page.read_bytes(), path=str(page), origin=str(page)))
    return (time.perf_counter() - started) / len(PAGES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=300, help="size of the gzipped file")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    gz, plain = build(args.mb)
    print(
        f"{gz.name}: {gz.stat().st_size / 2**20:,.0f} MB; {plain.name}: "
        f"{plain.stat().st_size / 2**20:,.0f} MB"
    )
    results = {}
    for path in (gz, plain):
        for task in TASKS:
            for reader in READERS:
                got = results[path.name, task, reader] = measure(reader, path, task)
                print(
                    f"{path.name:22} {task:5} {reader:8} {got['s']:6.2f} s "
                    f"{got['records'] / got['s']:>9,.0f} records/s  peak {got['rss_mb']:4.0f} MB"
                    f"  ({got['records']:,} records, {got['pages']:,} pages)"
                )
            slow, fast = (results[path.name, task, r]["s"] for r in READERS)
            print(f"{'':22} {task:5} warcio / fastwarc: {slow / fast:.2f}x")
    per_page = extraction_per_page()
    pages = results[gz.name, "pages", "warcio"]
    reading = pages["s"] / pages["pages"]
    print(
        f"extraction (trafilatura) {per_page * 1000:.1f} ms a news page; warcio reads a page "
        f"with its share of the other records in {reading * 1000:.2f} ms "
        f"({reading / (reading + per_page):.1%} of reading and extracting it)"
    )


if __name__ == "__main__":
    main()
