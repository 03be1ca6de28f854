"""Everything Parallax writes goes through the atomic-write helper, which never leaves half a file."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

import app.core.storage.atomic as atomic
from app.core.engine import indexstore
from app.core.engine.index import CorpusIndex
from tests.fixtures import statestore

REAL_FDOPEN = os.fdopen
APP = Path(__file__).resolve().parents[2] / "app"
WRITE_METHODS = {"write_text", "write_bytes"}


class Boom(OSError):
    """The injected failure."""


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    target = tmp_path / "data.json"
    # Parallax's JSON files start with their format: the guard lets it replace them.
    atomic.atomic_write_json(target, {"format": "parallax-test", "version": 1})

    def fail(*_a: object, **_k: object) -> None:
        raise Boom("disk full")

    if where == "write":
        monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: _FailingFile(fd))
    else:
        monkeypatch.setattr(atomic.os, where, fail)
    with pytest.raises(Boom):
        atomic.atomic_write_json(target, {"format": "parallax-test", "version": 2, "big": "x" * 100_000})
    monkeypatch.undo()
    assert json.loads(target.read_text("utf-8")) == {"format": "parallax-test", "version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]  # no temp file left behind


class _FailingFile:
    """A file object that dies halfway through writing."""

    def __init__(self, fd: int) -> None:
        self._fh = REAL_FDOPEN(fd, "wb")

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def write(self, data: bytes) -> int:
        self._fh.write(data[: len(data) // 2])
        raise Boom("disk full")


def test_manifest_survives_a_failed_update(seeds_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    idx = CorpusIndex(seeds_copy, tmp_path / "ix")
    idx.update()
    before = statestore.rows(idx.index_dir, "files"), statestore.meta(idx.index_dir)
    (seeds_copy / "new.txt").write_text("A new article about kestrels.\n", "utf-8")
    original = indexstore._put_rows

    def fail_after_the_files(conn: object, table: str, *args: object) -> None:
        original(conn, table, *args)  # type: ignore[arg-type]
        if table == "skipped":
            raise Boom("disk full")  # the files rows are written, the transaction not committed

    monkeypatch.setattr(indexstore, "_put_rows", fail_after_the_files)
    with pytest.raises(Boom):
        CorpusIndex(seeds_copy, tmp_path / "ix").update()
    monkeypatch.undo()
    assert (statestore.rows(idx.index_dir, "files"), statestore.meta(idx.index_dir)) == before
    report = CorpusIndex(seeds_copy, tmp_path / "ix").update()
    assert report.added == ["new.txt"]  # the manifest never recorded it, so it is redone
    from app.core.workspace.corpus import Corpus

    assert Corpus(seeds_copy, tmp_path / "ix").search("kestrels", limit=None).total == 1  # no duplicate


def _direct_writes(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITE_METHODS:
            lines.append(node.lineno)
        if isinstance(func, ast.Name) and func.id == "open" or (
                isinstance(func, ast.Attribute) and func.attr == "open"):
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax+"):
                lines.append(node.lineno)
    return lines


def test_no_module_writes_files_directly() -> None:
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        if path.name in ("atomic.py", "fsguard.py"):  # the guard is the one place that writes
            continue
        for line in _direct_writes(ast.parse(path.read_text("utf-8"))):
            offenders.append(f"{path.relative_to(APP.parent)}:{line}")
    assert not offenders, "write through app.core.storage.atomic instead: " + ", ".join(offenders)


def test_the_scan_catches_a_direct_write() -> None:
    src = "from pathlib import Path\nPath('x').write_text('y')\nopen('z', 'w')\nopen('r')\n"
    assert _direct_writes(ast.parse(src)) == [2, 3]
