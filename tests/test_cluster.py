"""Building on a Dask cluster (a LocalCluster of two worker processes, as a
cluster of machines): the index its workers read and write is the index a
local build writes, a worker killed mid-build loses nothing and commits nothing
twice, and a scheduler that cannot be reached is one clear line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Ran, search

from archive.index import cluster, reading
from archive.index.indexer import index_paths
from archive.index.store import Store

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def inputs(wire: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wire sample in four files, and one of them again (exact copies)."""
    folder = tmp_path_factory.mktemp("cluster-inputs")
    lines = wire.read_bytes().splitlines(keepends=True)
    for part in range(4):
        (folder / f"part-{part}.jsonl").write_bytes(b"".join(lines[part::4]))
    (folder / "part-9-again.jsonl").write_bytes(b"".join(lines[1::4]))
    (folder / "part-5-broken.jsonl").write_bytes(b"{not json\n" + b"".join(lines[2:40:4]))
    return folder


def build(folder: Path, index: Path, on: Any = None) -> tuple[Any, dict[str, str], Any]:
    store = Store.create(index)
    store.cluster = on
    report = index_paths(store, [folder])
    store.close()
    import whoosh.index

    ix = whoosh.index.open_dir(str(index))
    with ix.searcher() as searcher:
        stories = {str(f["id"]): str(f.get("cluster") or f["id"]) for f in searcher.documents()}
        segments = len(ix._segments())
    ix.close()
    return report, stories, segments


def searched(index: Path, query: str) -> list[tuple[str, float]]:
    store = Store.open(index)
    try:
        results = search(store, query, limit=50)
    finally:
        store.close()
    return [(hit.id, hit.score or 0.0) for hit in results.hits]


def test_the_clusters_workers_write_the_index_a_local_build_writes(
    client: Any, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "PARTITION", 300)  # several partitions, a segment each
    local, local_stories, _ = build(inputs, tmp_path / "local")
    monkeypatch.setattr(reading, "START_BYTES", 0)  # every file read by the workers too
    read_whole, seen = reading.read_whole, tmp_path / "read"
    seen.mkdir()

    def read_there(path: str, fields: Any) -> Any:  # sent to the worker by value
        (seen / f"{os.getpid()}-{Path(path).name}").touch()
        return read_whole(path, fields)

    monkeypatch.setattr(reading, "read_whole", read_there)
    spread, spread_stories, segments = build(inputs, tmp_path / "spread", client)
    assert len(list(seen.iterdir())) == len(list(inputs.iterdir()))
    assert os.getpid() not in {int(p.name.split("-")[0]) for p in seen.iterdir()}
    assert segments >= 3  # written by the workers, a partition each
    assert (spread.added, spread.duplicates) == (local.added, local.duplicates)
    assert [str(p) for p in spread.problems] == [str(p) for p in local.problems]
    assert any("part-5-broken.jsonl" in str(p) for p in local.problems)
    assert local.added > 1_000 and local.duplicates > 300
    assert spread_stories == local_stories
    for query in ("oil prices", '"crude oil"', "bank OR rates", "opec -saudi"):
        found, expected = searched(tmp_path / "spread", query), searched(tmp_path / "local", query)
        assert [i for i, _ in found] == [i for i, _ in expected], query
        assert all(abs(a[1] - b[1]) < 1e-6 for a, b in zip(found, expected, strict=True))


def test_a_worker_killed_after_writing_its_partition_loses_nothing_and_adds_nothing_twice(
    client: Any, inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "killed-once"
    write = cluster.write_partition

    def dying(docs: list[dict[str, Any]], folder: str) -> Any:  # sent to the worker by value
        segment = write(docs, folder)  # its files are written...
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)  # ...and its worker dies before saying so
        return segment

    monkeypatch.setattr(cluster, "PARTITION", 300)
    monkeypatch.setattr(cluster, "write_partition", dying)
    local, local_stories, _ = build(inputs, tmp_path / "local")
    spread, spread_stories, _ = build(inputs, tmp_path / "spread", client)
    assert marker.exists()  # a worker did die
    assert spread.added == local.added and spread_stories == local_stories
    import whoosh.index

    ix = whoosh.index.open_dir(str(tmp_path / "spread"))
    held = {s.segment_id() for s in ix._segments()}
    assert ix.doc_count() == local.added
    ix.close()
    for kind in ("seg", "arrays"):  # what the dead worker wrote went at the commit
        left = (tmp_path / "spread").glob(f"MAIN_*.{kind}")
        assert {p.name.split(".")[0] for p in left} == held, kind


def test_an_unreachable_scheduler_is_told_in_one_line_and_nothing_changes(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    assert run("index").code == 0  # the seeds
    article = tmp_path / "a.txt"
    article.write_text("Harbour reopens\n\nThe harbour reopened after the storm.\n")
    ran: Ran = run("index", "--cluster", "tcp://127.0.0.1:9", str(article))
    assert ran.code == 2
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0]
    assert "2 articles" in run("stats").out


def test_a_scheduler_without_workers_is_told_not_waited_on_forever(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    article = tmp_path / "a.txt"
    article.write_text("Harbour reopens\n\nThe harbour reopened after the storm.\n")
    with distributed.LocalCluster(n_workers=0, dashboard_address=":0") as empty:
        ran: Ran = run("index", "--cluster", empty.scheduler_address, str(article))
    assert ran.code == 2
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1 and "has no workers" in lines[0], ran.err


def test_an_address_that_is_no_schedulers_is_refused_at_once_and_makes_no_index(
    run: Any, tmp_path: Path
) -> None:
    index = tmp_path / "never"
    for address in ("nonsense", "http://127.0.0.1:8787"):
        ran: Ran = run("--index-dir", str(index), "index", "--cluster", address)
        assert ran.code == 2
        assert "is not the address of a Dask scheduler" in ran.err, ran.err
    assert not index.exists()


def test_a_port_that_answers_but_is_no_scheduler_is_given_up_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket
    import time

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1)
    with socket.socket() as silent:  # accepts, then never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises(cluster.ClusterError, match="cannot reach the Dask scheduler"):
            cluster.connect(f"tcp://127.0.0.1:{silent.getsockname()[1]}")
        assert time.monotonic() - started < 10


def test_the_command_line_builds_on_a_running_cluster(
    client: Any, run: Any, tmp_path: Path
) -> None:
    article = tmp_path / "a.txt"
    article.write_text("Harbour reopens\n\nThe harbour reopened after the storm.\n")
    index = tmp_path / "index"
    address = client.scheduler.address
    ran: Ran = run("--index-dir", str(index), "index", "--cluster", address, str(article))
    assert ran.code == 0, ran.err
    assert not list(index.glob(".cluster-probe-*"))  # the check of the folder leaves nothing


class Blind:
    """A client whose second worker sees none of this machine's files."""

    def run(self, function: Any, *args: Any) -> dict[str, Any]:
        return {"tcp://10.0.0.1:1": function(*args), "tcp://10.0.0.2:1": False}


def test_workers_that_cannot_see_the_index_folder_stop_the_run_before_it_writes(
    tmp_path: Path,
) -> None:
    with pytest.raises(cluster.ClusterError, match="1 of the cluster's 2 workers cannot see"):
        cluster.check_shared(Blind(), tmp_path)
    assert not list(tmp_path.iterdir())


class Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self, timeout: float | None = None) -> Any:
        return self.value


class Alone:
    def scheduler_info(self) -> dict[str, Any]:
        return {"workers": {}}


class Waiting:
    def result(self, timeout: float | None = None) -> Any:
        raise TimeoutError


def test_a_file_a_worker_does_not_see_is_read_here(tmp_path: Path) -> None:
    from archive.sources import FieldMap

    path = tmp_path / "here.txt"
    path.write_text("Harbour reopens\n\nThe harbour reopened after the storm.\n")
    assert reading.read_whole(str(tmp_path / "elsewhere.txt"), FieldMap()) == (None, None)
    items = list(reading._taken(Alone(), Done((None, None)), path, FieldMap()))
    assert [type(item).__name__ for item in items] == ["Prepared"]


def test_a_cluster_left_without_workers_ends_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 0.2)
    monkeypatch.setattr(cluster, "CHECK_SECONDS", 0.05)
    with pytest.raises(cluster.ClusterError, match="no workers"):
        cluster.result(Alone(), Waiting())


def test_a_build_on_the_cluster_tells_as_its_partitions_are_written(
    client: Any, inputs: Path, run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster, "PARTITION", 300)
    index = tmp_path / "index"
    address = client.scheduler.address
    ran: Ran = run("--index-dir", str(index), "index", "--cluster", address, str(inputs))
    assert ran.code == 3, ran.err  # the broken line is reported
    told = [line for line in ran.err.splitlines() if "written on the cluster" in line]
    assert told, ran.err
    last = told[-1].split()
    assert last[1] == last[3] and int(last[1]) >= 3  # "archive: 4 of 4 partitions ..."
