"""The parallel bulk load keeps the incremental contract: listeners, manifest, cancel, same results."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from app.core.engine import bulkindex
from app.core.engine import index as index_module
from app.core.engine.index import CorpusIndex
from app.core.reading import reader
from app.core.reading.model import Article
from app.core.storage.paths import data_dir
from app.core.workspace.corpus import Corpus


class Recorder:
    """An IndexListener that remembers what it was told."""

    def __init__(self) -> None:
        self.indexed: list[Article] = []
        self.removed: list[str] = []
        self.commits = 0

    def article_indexed(self, article: Article) -> None:
        self.indexed.append(article)

    def article_removed(self, aid: str) -> None:
        self.removed.append(aid)

    def committed(self) -> None:
        self.commits += 1


def _corpus(root: Path, n: int) -> Path:
    root.mkdir()
    for i in range(n):
        (root / f"b{i:03d}.txt").write_text(
            f"Bulletin {i}\n\nThe ferry number {i} crossed the strait with cormorants aboard.\n", "utf-8")
    return root


def _bulk(idx: CorpusIndex, shared: bool = False) -> CorpusIndex:
    """Force the worker processes on a small corpus (``shared``: this process takes files too)."""
    if shared:
        idx.share_threshold, idx.bulk_threshold, idx.bulk_min_bytes = 10, 1 << 62, 0
    else:
        idx.bulk_threshold, idx.bulk_min_bytes = 10, 0
    return idx


MODES = pytest.mark.parametrize("shared", [False, True], ids=["workers", "shared"])


@MODES
def test_bulk_load_matches_serial_and_tells_listeners(tmp_path: Path, shared: bool) -> None:
    root = _corpus(tmp_path / "corpus", 80)
    (root / "empty.txt").write_bytes(b"")
    rec = Recorder()
    idx = _bulk(CorpusIndex(root, tmp_path / "bulk"), shared)
    assert idx._bulk_plan(81, 1 << 20) == ((1, True) if shared else (2, False))
    idx.listeners.append(rec)
    report = idx.update()
    assert len(report.added) == 80 and [s.path for s in report.skipped] == ["empty.txt"]
    assert sorted(a.id for a in rec.indexed) == sorted(report.added) and rec.commits == 1
    assert all(a.paragraphs and a.content_hash for a in rec.indexed)
    serial = CorpusIndex(root, tmp_path / "serial")
    serial.update()
    for q in ("cormorants", '"ferry number 7 crossed"', "bulletin", "ferr*"):
        bulk_hits = [(h.id, round(h.score, 5)) for h in Corpus(root, tmp_path / "bulk").search(q, limit=None).hits]
        serial_hits = [(h.id, round(h.score, 5)) for h in Corpus(root, tmp_path / "serial").search(q, limit=None).hits]
        assert sorted(bulk_hits) == sorted(serial_hits) and bulk_hits  # ties may come in another order
    assert not CorpusIndex(root, tmp_path / "bulk").update().changed


@MODES
def test_bulk_update_replaces_without_duplicates(tmp_path: Path, shared: bool) -> None:
    root = _corpus(tmp_path / "corpus", 40)
    _bulk(CorpusIndex(root, tmp_path / "ix"), shared).update()
    for i in range(0, 40, 2):
        (root / f"b{i:03d}.txt").write_text(f"Bulletin {i}\n\nThe ferry {i} now carries puffins.\n", "utf-8")
    (root / "b001.txt").unlink()
    rec = Recorder()
    idx = _bulk(CorpusIndex(root, tmp_path / "ix"), shared)
    idx.listeners.append(rec)
    report = idx.update()
    assert len(report.updated) == 20 and report.removed == ["b001.txt"] and rec.removed == ["b001.txt"]
    c = Corpus(root, tmp_path / "ix")
    assert c.search("puffins", limit=None).total == 20
    assert c.search("cormorants", limit=None).total == 19
    assert c.index.doc_count() == 39


@MODES
@pytest.mark.parametrize("stop_after", [1, 30])
def test_bulk_cancel_commits_what_was_done(tmp_path: Path, stop_after: int, shared: bool) -> None:
    root = _corpus(tmp_path / "corpus", 120)
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > stop_after

    first = _bulk(CorpusIndex(root, tmp_path / "ix"), shared).update(should_cancel=cancel)
    assert first.cancelled and len(first.added) < 120
    c = Corpus(root, tmp_path / "ix")
    assert c.search("cormorants", limit=None).total == len(first.added)
    rest = _bulk(CorpusIndex(root, tmp_path / "ix"), shared).update()
    assert len(first.added) + len(rest.added) == 120 and not rest.cancelled
    assert Corpus(root, tmp_path / "ix").search("cormorants", limit=None).total == 120


def test_shared_load_indexes_here_and_in_the_worker(tmp_path: Path) -> None:
    root = _corpus(tmp_path / "corpus", 120)

    class Slow(Recorder):
        def article_indexed(self, article: Article) -> None:
            time.sleep(0.01)  # the parent is slow: the worker, started meanwhile, takes chunks too
            super().article_indexed(article)

    rec = Slow()
    idx = _bulk(CorpusIndex(root, tmp_path / "ix"), shared=True)
    idx.listeners.append(rec)
    report = idx.update()
    assert len(report.added) == 120 and sorted(a.id for a in rec.indexed) == sorted(report.added)
    ix, _ = CorpusIndex(root, tmp_path / "ix").open()
    assert len(ix._segments()) == 2  # one segment written here, one by the worker
    c = Corpus(root, tmp_path / "ix")
    assert c.search("cormorants", limit=None).total == 120 and c.index.doc_count() == 120
    assert not CorpusIndex(root, tmp_path / "ix").update().changed


@pytest.mark.parametrize("shared", [False, True], ids=["workers", "shared"])
def test_forked_workers_write_what_spawned_ones_do(tmp_path: Path, shared: bool,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = _corpus(tmp_path / "corpus", 120)
    results = {}
    for method in ("fork", "spawn"):
        monkeypatch.setattr(bulkindex, "start_method", lambda method=method: method)
        rec = Recorder()
        idx = _bulk(CorpusIndex(root, tmp_path / method), shared)
        idx.listeners.append(rec)
        report = idx.update()
        assert len(report.added) == 120 and sorted(a.id for a in rec.indexed) == sorted(report.added)
        c = Corpus(root, tmp_path / method)
        results[method] = sorted((h.id, round(h.score, 5)) for h in c.search("ferry cormorants", limit=None).hits)
        assert len(results[method]) == 120 and not CorpusIndex(root, tmp_path / method).update().changed
    assert results["fork"] == results["spawn"]


def test_workers_are_forked_only_where_no_other_thread_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulkindex.sys, "platform", "linux")
    monkeypatch.delenv(bulkindex.START_ENV, raising=False)
    monkeypatch.delitem(bulkindex.sys.modules, "PySide6", raising=False)
    assert bulkindex.start_method() == "fork"
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert bulkindex.start_method() == "spawn"  # a thread may hold a lock at the fork
    finally:
        release.set()
        thread.join()
    monkeypatch.setenv(bulkindex.START_ENV, "spawn")
    assert bulkindex.start_method() == "spawn"
    monkeypatch.delenv(bulkindex.START_ENV)
    monkeypatch.setattr(bulkindex.sys, "platform", "darwin")
    assert bulkindex.start_method() == "spawn"


def test_small_batches_are_indexed_here_and_larger_ones_shared(monkeypatch: pytest.MonkeyPatch) -> None:
    idx = CorpusIndex.__new__(CorpusIndex)  # the plan reads only the thresholds
    monkeypatch.setattr(index_module.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(bulkindex, "start_method", lambda: "fork")
    assert idx._bulk_plan(300, 450_000) == (0, False)  # 300 short articles: no worker
    assert idx._bulk_plan(1500, 2_200_000) == (0, False)  # 1,500 short ones: none either
    assert idx._bulk_plan(3000, 4_500_000) == (0, False)  # 3,000 short ones: none either
    assert idx._bulk_plan(4000, 6_000_000) == (1, True)
    assert idx._bulk_plan(1500, 19_000_000) == (1, True)  # 1,500 of 12 KB
    monkeypatch.setattr(bulkindex, "start_method", lambda: "spawn")
    assert idx._bulk_plan(4000, 6_000_000) == (0, False)  # a spawned worker costs its imports too
    assert idx._bulk_plan(1500, 19_000_000) == (1, True)
    assert idx._bulk_plan(20_000, 30_000_000) == (2, False)


def test_a_worker_that_meets_a_reader_bug_skips_the_file_with_a_plain_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _corpus(tmp_path / "corpus", 30)
    real = reader.read_article

    def buggy(path: Path | str, corpus_root: Path | str | None = None) -> Article:
        if Path(path).name == "b007.txt":
            raise RuntimeError("a bug in the reader")
        return real(path, corpus_root)

    # Forked workers inherit the patched reader.
    monkeypatch.setattr(reader, "read_article", buggy)
    monkeypatch.setattr(bulkindex, "start_method", lambda: "fork")
    report = _bulk(CorpusIndex(root, tmp_path / "ix")).update()
    assert len(report.added) == 29
    assert [(s.path, s.reason) for s in report.skipped] == [("b007.txt", "could not be read")]


def test_the_serial_path_skips_a_file_the_reader_fails_on_and_logs_why(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _corpus(tmp_path / "corpus", 5)
    real = index_module.read_article

    def buggy(path: Path | str, corpus_root: Path | str | None = None) -> Article:
        if Path(path).name == "b003.txt":
            raise RuntimeError("a bug in the reader")
        return real(path, corpus_root)

    monkeypatch.setattr(index_module, "read_article", buggy)
    report = CorpusIndex(root, tmp_path / "ix").update()  # 5 files: indexed in this process
    assert len(report.added) == 4
    assert [(s.path, s.reason) for s in report.skipped] == [("b003.txt", "could not be read")]
    assert "RuntimeError: a bug in the reader" in (data_dir() / "crash.log").read_text("utf-8")
