"""Incremental indexing: unchanged corpus → no writes; exact updates; recovery from damage."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from app.core.engine.index import MANIFEST, CorpusIndex
from app.core.workspace.corpus import Corpus


def _segment_files(index_dir: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in index_dir.iterdir() if p.name != MANIFEST}


def test_first_run_adds_everything_then_nothing(seeds_copy: Path, tmp_path: Path) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    first = idx.update()
    assert len(first.added) == 5 and not first.updated and not first.removed
    before = _segment_files(idx.index_dir)
    manifest_before = (idx.index_dir / MANIFEST).stat().st_mtime_ns
    t0 = time.perf_counter()
    second = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert time.perf_counter() - t0 < 1.0
    assert not second.changed and second.unchanged == 5
    assert _segment_files(idx.index_dir) == before  # no segment rewritten
    assert (idx.index_dir / MANIFEST).stat().st_mtime_ns == manifest_before


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
    manifest = json.loads((idx.index_dir / MANIFEST).read_text("utf-8"))
    manifest["schema_version"] = 999
    (idx.index_dir / MANIFEST).write_text(json.dumps(manifest), "utf-8")
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
        seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    idx.update()
    reads: list[Path] = []
    original = Path.read_text

    def counting(self: Path, *args, **kwargs) -> str:
        if self.name == MANIFEST:
            reads.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    assert idx._read_manifest() is not None and not reads  # the one just written is known
    data = json.loads(original(idx.manifest_path, "utf-8"))
    data["files"].popitem()
    idx.manifest_path.write_text(json.dumps(data), "utf-8")
    os.utime(idx.manifest_path, ns=(1, 1))
    assert len(idx._read_manifest()["files"]) == len(data["files"]) and len(reads) == 1


def test_large_manifest_json_reads_the_same_a_member_at_a_time() -> None:
    from app.core.engine.index import _loads_yielding

    data = {"files": {f"src/{i}.txt": [i, i * 7, f"{i:040x}"] for i in range(40_000)},
            "extra": [1.5, None, True, "é\n\"q\""], "empty": {}, "nested": {"a": {"b": [{}]}, "k\u00e9": -0.5}}
    text = json.dumps(data, ensure_ascii=False, indent=1)
    compact = json.dumps(data, separators=(",", ":"))
    pad = " " * (1 << 20)
    bad = [text[:-2], text + "x", text.replace('": [', '" [', 1), text.replace("],", "]", 1),
           '{"a": 1,' + pad + "}", '{"a": [1' + pad, "{" + pad + '"a": }']
    got: list[object] = []
    errors: list[str] = []

    def read() -> None:  # on a worker thread: the GUI's case
        got.extend([_loads_yielding(text), _loads_yielding(compact), _loads_yielding('{"a": 1, "a": 2}' + pad),
                     _loads_yielding(" [1, 2]" + pad)])
        for b in bad:
            try:
                _loads_yielding(b)
            except ValueError:
                errors.append(b[:20])

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    assert len(text) > 1 << 20 and got == [data, data, {"a": 2}, [1, 2]] and _loads_yielding(text) == data
    assert len(errors) == len(bad)


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
