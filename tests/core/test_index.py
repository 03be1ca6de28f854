"""Incremental indexing: unchanged corpus → no writes; exact updates; recovery from damage."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from app.core.engine.index import LEGACY_MANIFEST, CorpusIndex
from app.core.engine.indexstore import STORE
from app.core.storage import fsguard
from app.core.workspace.corpus import Corpus
from tests.fixtures import statestore


def _segment_files(index_dir: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir() if not p.name.startswith(STORE)}


def test_first_run_adds_everything_then_nothing(seeds_copy: Path, tmp_path: Path) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    first = idx.update()
    assert len(first.added) == 5 and not first.updated and not first.removed
    before = _segment_files(idx.index_dir)
    store_before = (idx.index_dir / STORE).read_bytes()
    t0 = time.perf_counter()
    second = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert time.perf_counter() - t0 < 1.0
    assert not second.changed and second.unchanged == 5
    assert _segment_files(idx.index_dir) == before  # no segment rewritten
    assert (idx.index_dir / STORE).read_bytes() == store_before
    assert sorted(p.name for p in idx.index_dir.iterdir() if p.name.startswith(STORE)) == [STORE]  # no -wal left


def test_touch_modify_add_delete(seeds_copy: Path, tmp_path: Path) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    idx.update()
    files = sorted(seeds_copy.iterdir())
    # touched but identical content: no document rewritten
    os.utime(files[0], ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    report = idx.update()
    assert not report.changed and report.unchanged == 5
    # modified, added, deleted
    files[1].write_text(files[1].read_text("utf-8") + "\n\nA brand new closing paragraph about zeppelins.\n", "utf-8")
    (seeds_copy / "new.md").write_text("# New piece\n\nA short new article about zeppelins and airships.\n", "utf-8")
    files[2].unlink()
    report = idx.update()
    assert report.updated == [files[1].name]
    assert report.added == ["new.md"]
    assert report.removed == [files[2].name]
    corpus = Corpus(seeds_copy, tmp_path / "ix")
    hits = {h.id for h in corpus.search("zeppelins").hits}
    assert hits == {files[1].name, "new.md"}
    assert files[2].name not in {a.id for a in corpus.listing()}


def test_skipped_files_reported(seeds_copy: Path, tmp_path: Path) -> None:
    (seeds_copy / "empty.txt").write_bytes(b"")
    (seeds_copy / "bin.txt").write_bytes(b"\x00" * 100)
    report = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert {s.path: s.reason for s in report.skipped} == {"empty.txt": "empty file", "bin.txt": "binary file (contains NUL or control bytes)"}
    assert len(report.added) == 5


def test_corrupt_index_is_rebuilt(seeds_copy: Path, tmp_path: Path) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    idx.update()
    for p in idx.index_dir.iterdir():
        if p.suffix in (".seg", ".toc") or p.name.endswith(".trm"):
            p.write_bytes(p.read_bytes()[: max(1, p.stat().st_size // 3)])
    again = CorpusIndex(seeds_copy, tmp_path / "ix")
    report = again.update()
    assert report.rebuilt_reason
    assert any("Rebuilding the index" in m for m in again.messages)
    assert len(report.added) == 5
    assert {h.id[:3] for h in Corpus(seeds_copy, tmp_path / "ix").search("Navalny").hits} == {"003"}


def test_other_schema_version_is_rebuilt(seeds_copy: Path, tmp_path: Path) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    idx.update()
    statestore.set_schema_version(idx.index_dir, 999)
    report = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert "another version" in report.rebuilt_reason
    assert len(report.added) == 5


def test_stale_lock_is_recovered(seeds_copy: Path, tmp_path: Path) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    idx.update()
    (idx.index_dir / "parallax_WRITELOCK").write_text("stale", "utf-8")  # left by a crashed run
    (seeds_copy / "extra.txt").write_text("An extra article that mentions walruses at length.\n", "utf-8")
    report = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert report.added == ["extra.txt"]


def test_cancel_keeps_index_consistent(seeds_copy: Path, tmp_path: Path) -> None:
    for i in range(60):
        (seeds_copy / f"gen{i:03}.txt").write_text(f"Generated article number {i} about lighthouses.\n", "utf-8")
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 30

    report = idx.update(should_cancel=cancel)
    assert report.cancelled and 0 < len(report.added) < 65
    rest = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert len(report.added) + len(rest.added) == 65 and not rest.cancelled
    assert Corpus(seeds_copy, tmp_path / "ix").search("lighthouses", limit=None).total == 60


@pytest.mark.parametrize("default", [True])
def test_default_index_dir_is_under_user_data(seeds_copy: Path, _isolated_data_dir: Path, default: bool) -> None:
    idx = CorpusIndex(seeds_copy)
    idx.update()
    assert _isolated_data_dir in idx.index_dir.parents


def test_manifest_is_not_reread_after_writing_but_is_after_an_outside_change(
        seeds_copy: Path, tmp_path: Path) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    idx.update()
    reads = idx.store.full_reads
    assert idx._read_manifest() is not None and idx.store.full_reads == reads  # the one just written is known
    other = CorpusIndex(seeds_copy, tmp_path / "ix")  # another process writes meanwhile
    manifest = other._read_manifest()
    assert manifest is not None
    files = dict(manifest.files)
    files.popitem()
    with other.locked():
        other._write_manifest(files)
    again = idx._read_manifest()
    assert again is not None and again.files == files and idx.store.full_reads == reads + 1


def _traced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement the state store runs from now on (one per row written)."""
    seen: list[str] = []
    original = fsguard.open_index_database

    def traced(*args: object, **kwargs: object) -> object:
        conn = original(*args, **kwargs)  # type: ignore[arg-type]
        if conn is not None:
            conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(fsguard, "open_index_database", traced)
    return seen


def _row_writes(statements: list[str]) -> list[str]:
    return [s for s in statements if s.split(" ", 1)[0] in ("INSERT", "DELETE")
            and (" files " in s or " skipped " in s)]


def test_an_update_writes_only_the_rows_that_changed(seeds_copy: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(40):
        (seeds_copy / f"gen{i:03}.txt").write_text(f"Generated article number {i} about lighthouses.\n", "utf-8")
    (seeds_copy / "empty.txt").write_bytes(b"")
    CorpusIndex(seeds_copy, tmp_path / "ix").update()
    seen = _traced(monkeypatch)
    assert not CorpusIndex(seeds_copy, tmp_path / "ix").update().changed
    assert not _row_writes(seen) and not any(s.startswith("BEGIN IMMEDIATE") for s in seen)  # a no-op writes nothing
    (seeds_copy / "gen003.txt").write_text("Rewritten: the keeper saw a whale.\n", "utf-8")
    (seeds_copy / "gen004.txt").unlink()
    (seeds_copy / "late.txt").write_text("A late article about kestrels.\n", "utf-8")
    seen.clear()
    report = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert (report.added, report.updated, report.removed) == (["late.txt"], ["gen003.txt"], ["gen004.txt"])
    writes = _row_writes(seen)
    assert len(writes) == 3, writes  # one transaction: gen004 deleted, gen003 and late.txt written
    assert sum(s.startswith("BEGIN IMMEDIATE") for s in seen) == 1  # in one write transaction
    stored = statestore.rows(tmp_path / "ix", "files")
    assert "late.txt" in stored and "gen004.txt" not in stored and len(stored) == 45
    assert set(statestore.rows(tmp_path / "ix", "skipped")) == {"empty.txt"}


def test_an_index_of_the_release_before_the_store_opens_without_loss(seeds_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    CorpusIndex(seeds_copy, ix).update()
    (seeds_copy / "empty.txt").write_bytes(b"")
    CorpusIndex(seeds_copy, ix).update()
    legacy = statestore.to_legacy_json(ix)  # the same index as the JSON-manifest release left it
    assert not (ix / STORE).exists() and len(legacy["files"]) == 5
    idx = CorpusIndex(seeds_copy, ix)
    report = idx.update()
    assert not report.rebuilt_reason and not idx.messages
    assert not report.changed and report.unchanged == 5 and [s.path for s in report.skipped] == ["empty.txt"]
    assert not (ix / LEGACY_MANIFEST).exists()  # moved into the store, then deleted
    assert statestore.rows(ix, "files") == legacy["files"] and statestore.rows(ix, "checksums") == legacy["checksums"]
    assert set(statestore.rows(ix, "skipped")) == {"empty.txt"}
    assert Corpus(seeds_copy, ix).search("Navalny").total >= 1


def test_a_legacy_manifest_without_the_signature_is_not_read_or_moved(seeds_copy: Path, tmp_path: Path) -> None:
    ix = tmp_path / "ix"
    CorpusIndex(seeds_copy, ix).update()
    data = statestore.to_legacy_json(ix)
    del data["format"]  # nothing in the file says Parallax wrote it
    (ix / LEGACY_MANIFEST).write_text(json.dumps(data), "utf-8")
    idx = CorpusIndex(seeds_copy, ix)
    report = idx.update()
    assert "another version" in report.rebuilt_reason and len(report.added) == 5
    assert statestore.rows(ix, "files").keys() == data["files"].keys()


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="POSIX read-ahead advice")
def test_prefetch_advises_each_readable_file_and_skips_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.reading import reader

    files = [tmp_path / f"a{i}.txt" for i in range(3)]
    for f in files:
        f.write_text("Some text.\n", "utf-8")
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    advised: list[int] = []
    real = os.posix_fadvise

    def advise(fd: int, offset: int, length: int, advice: int) -> None:
        assert advice == os.POSIX_FADV_WILLNEED
        advised.append(os.fstat(fd).st_ino)
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", advise)
    reader.prefetch([str(files[0]), str(tmp_path / "missing.txt"), str(pipe), str(files[1]), str(files[2])])
    assert advised[:1] + advised[-2:] == [f.stat().st_ino for f in files]
