"""Parallax deletes only what it created and can prove it created; it never writes in the corpus.

Each case of issue 20 §1 is a test here; each failed on the code before the write guard.
"""

from __future__ import annotations

import ast
import contextlib
import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.cli import main
from app.core.engine.index import CorpusIndex
from app.core.engine.indexstore import STORE
from app.core.storage import fsguard
from app.core.storage.atomic import atomic_write_bytes, atomic_write_text
from app.core.workspace.corpus import Corpus
from tests.fixtures import statestore

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"


def _corpus(root: Path, n: int = 8) -> Path:
    root.mkdir(parents=True)
    for i in range(n):
        (root / f"a{i:03d}.txt").write_text(
            f"Report {i}\n\nThe lighthouse keeper number {i} logged ships and storms today.\n", "utf-8")
    return root


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("parallax: ") and "\n" not in err and "Traceback" not in err, err
    assert "internal error" not in err, err
    return err


# ---------------------------------------------------------------------- index folders


def test_index_into_a_folder_that_is_not_an_index_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _corpus(tmp_path / "corpus")
    folder = tmp_path / "mine"
    (folder / "notes").mkdir(parents=True)
    (folder / "notes" / "todo.txt").write_text("buy milk\n", "utf-8")
    (folder / "thesis.docx").write_bytes(b"PK\x03\x04 my thesis")
    before = _tree(folder)
    assert main(["index", str(corpus), "--index", str(folder)]) == 1
    assert "not a Parallax index" in _one_line_error(capsys)
    assert _tree(folder) == before


@pytest.mark.parametrize("where", ["corpus", "parent", "inside"])
def test_index_at_inside_or_above_the_corpus_is_refused(tmp_path: Path, where: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _corpus(tmp_path / "work" / "corpus")
    (tmp_path / "work" / "other.txt").write_text("keep me\n", "utf-8")
    before = _tree(tmp_path / "work")
    ix = {"corpus": corpus, "parent": corpus.parent, "inside": corpus / "ix"}[where]
    assert main(["index", str(corpus), "--index", str(ix)]) == 1
    assert "corpus" in _one_line_error(capsys)
    assert _tree(tmp_path / "work") == before
    assert not (corpus / "ix").exists()


def test_a_new_or_empty_folder_is_marked_and_reused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    empty = tmp_path / "empty"
    empty.mkdir()
    for ix in (empty, tmp_path / "new" / "ix"):
        assert not CorpusIndex(corpus, ix).update().skipped
        marker = fsguard.read_marker(ix)
        assert marker and marker["format"] == "parallax-index" and marker["version"] == 1
        assert CorpusIndex(corpus, ix).update().unchanged == 8
        assert fsguard.read_marker(ix)["id"] == marker["id"]


def test_an_index_from_before_markers_is_adopted(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    (ix / fsguard.INDEX_MARKER).unlink()
    assert CorpusIndex(corpus, ix).update().unchanged == 8
    assert fsguard.read_marker(ix) is not None
    # ...but not once a foreign file sits in it.
    (ix / fsguard.INDEX_MARKER).unlink()
    (ix / "letter.odt").write_bytes(b"mine")
    with pytest.raises(Exception, match="not a Parallax index"):
        CorpusIndex(corpus, ix).update()
    assert (ix / "letter.odt").read_bytes() == b"mine"


def test_rebuild_deletes_only_index_files(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    (ix / "README.txt").write_text("the user's own note in the index folder\n", "utf-8")
    statestore.set_schema_version(ix, -1)
    again = CorpusIndex(corpus, ix)
    report = again.update()
    assert report.rebuilt_reason and len(report.added) == 8
    assert (ix / "README.txt").read_text("utf-8").startswith("the user's own note")


# ---------------------------------------------------------------------- exports


@pytest.fixture
def session_file(tmp_path: Path, seeds_copy: Path) -> Path:
    from app.core.align.paragraphs import align
    from app.core.sessions.session import Session, TabState, save_session

    corpus = Corpus(seeds_copy)
    left, right = corpus.resolve("001"), corpus.resolve("004")
    session = Session(corpus=str(seeds_copy), tabs=[TabState.for_alignment(align(left, right), seeds_copy)])
    return save_session(session, tmp_path / "work.parallax")


@pytest.mark.parametrize("fmt", ["--html", "--pdf"])
def test_session_export_over_its_own_session_is_refused(session_file: Path, fmt: str,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    before = session_file.read_bytes()
    assert main(["session", "export", str(session_file), fmt, str(session_file)]) == 1
    assert "input" in _one_line_error(capsys)
    assert session_file.read_bytes() == before


@pytest.mark.parametrize("fmt", ["--html", "--pdf"])
def test_compare_report_over_a_corpus_article_is_refused(seeds_copy: Path, fmt: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    victim = next(p for p in sorted(seeds_copy.iterdir()) if p.name.startswith("002"))
    before = victim.read_bytes()
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), fmt, str(victim)]) == 1
    assert "corpus" in _one_line_error(capsys)
    assert victim.read_bytes() == before
    # A new file inside the corpus is refused too: Parallax never writes there.
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), fmt, str(seeds_copy / "r.html")]) == 1
    _one_line_error(capsys)
    assert not (seeds_copy / "r.html").exists()


def test_compare_report_over_a_foreign_file_is_refused_over_its_own_allowed(
        seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = tmp_path / "page.html"
    foreign.write_text("<html><body>my own page</body></html>\n", "utf-8")
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), "--html", str(foreign)]) == 1
    assert "not written by Parallax" in _one_line_error(capsys)
    assert foreign.read_text("utf-8") == "<html><body>my own page</body></html>\n"
    report = tmp_path / "report.html"
    for _ in range(2):  # the second run replaces the report it wrote
        assert main(["compare", "001", "004", "--corpus", str(seeds_copy), "--html", str(report)]) == 0
        assert fsguard.has_report_signature(report)
    # A session (a Parallax file, but not a report) is not replaced by a report either.
    capsys.readouterr()
    session = tmp_path / "s.parallax"
    atomic_write_text(session, '{"format": "parallax-session", "format_version": 1}\n')
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), "--html", str(session)]) == 1
    _one_line_error(capsys)


def test_pdf_reports_carry_the_signature(qapp: QApplication, tmp_path: Path, seeds_copy: Path) -> None:
    # qapp: the PDF writer then uses pytest-qt's QApplication instead of making a QGuiApplication.
    out = tmp_path / "r.pdf"
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), "--pdf", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF") and fsguard.has_report_signature(out)
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), "--pdf", str(out)]) == 0


# ---------------------------------------------------------------------- failed writes


def _fill_disk_after(monkeypatch: pytest.MonkeyPatch, budget: int) -> None:
    """Every file write fails with ENOSPC once ``budget`` bytes have been written."""
    from whoosh.filedb import structfile

    written = [0]
    real = structfile.StructFile.write

    def write(self: structfile.StructFile, data: bytes) -> int:
        written[0] += len(data)
        if written[0] > budget:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(structfile.StructFile, "write", write)


def test_disk_full_leaves_no_partial_files_and_the_index_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path / "corpus", 30)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    before = sorted(p.name for p in ix.iterdir())
    for i in range(40):
        (corpus / f"new{i:03d}.txt").write_text(f"A new article {i} about kestrels and owls.\n" * 30, "utf-8")
    _fill_disk_after(monkeypatch, 20_000)
    with pytest.raises(OSError, match="No space left"):
        CorpusIndex(corpus, ix).update()
    monkeypatch.undo()
    assert sorted(p.name for p in ix.iterdir()) == before  # no partial segment, run or temp file
    assert Corpus(corpus, ix).search("lighthouse", limit=None, snippets=False).total == 30
    report = CorpusIndex(corpus, ix).update()
    assert len(report.added) == 40
    assert Corpus(corpus, ix).search("kestrels", limit=None, snippets=False).total == 40


def test_disk_full_in_a_bulk_load_leaves_no_partial_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path / "corpus", 10)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    before = sorted(p.name for p in ix.iterdir())
    for i in range(60):
        (corpus / f"new{i:03d}.txt").write_text(f"Bulk article {i} about herons.\n" * 20, "utf-8")
    idx = CorpusIndex(corpus, ix)
    idx.bulk_threshold, idx.bulk_min_bytes = 10, 0
    # The parent's commit fails after the workers wrote their segments.
    from app.core.engine import bulkindex

    def full(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bulkindex, "commit", full)
    with pytest.raises(OSError, match="No space left"):
        idx.update()
    monkeypatch.undo()
    assert sorted(p.name for p in ix.iterdir()) == before
    assert len(CorpusIndex(corpus, ix).update().added) == 60


def test_failed_atomic_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.html"

    def full(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        atomic_write_text(target, '<meta name="generator" content="Parallax 1">')
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------- no-op re-index


def test_noop_reindex_with_skipped_files_writes_nothing(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 8)
    ix = tmp_path / "ix"
    first = CorpusIndex(corpus, ix).update()
    assert {s.path for s in first.skipped} == {"empty.txt", "binary.txt"}
    files = {p.name: p.stat().st_mtime_ns for p in ix.iterdir()}
    manifest = (ix / STORE).read_bytes()
    for _ in range(3):
        again = CorpusIndex(corpus, ix).update()
        assert not again.changed and again.unchanged == 8
        assert {s.path for s in again.skipped} == {"empty.txt", "binary.txt"}  # still reported
    assert {p.name: p.stat().st_mtime_ns for p in ix.iterdir()} == files  # no orphan, nothing rewritten
    assert (ix / STORE).read_bytes() == manifest
    # A skipped file that is fixed is indexed; one that goes away is forgotten.
    (corpus / "empty.txt").write_text("Now it has a lighthouse.\n", "utf-8")
    (corpus / "binary.txt").unlink()
    report = CorpusIndex(corpus, ix).update()
    assert report.added == ["empty.txt"] and not report.skipped
    assert "binary.txt" not in statestore.rows(ix, "skipped")


# ---------------------------------------------------------------------- races

# Waits for the start file, then runs one command in this process; prints OK or the error line.
RACER = """
import os, sys, time
from app.cli import main
import app.cli.corpus_cmds, app.core.workspace.corpus, app.core.search.fulltext  # imported before the start
start = sys.argv[1]
while not os.path.exists(start):
    time.sleep(0.0005)
sys.exit(main(sys.argv[2:]))
"""


def _race(tmp_path: Path, commands: list[list[str]], rounds: int) -> list[str]:
    script = tmp_path / "racer.py"
    script.write_text(RACER, "utf-8")
    problems = []
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for r in range(rounds):
        base = tmp_path / f"round{r}"
        corpus = _corpus(base / "corpus", 12)
        start = base / "go"
        args = [[a.format(corpus=corpus, ix=base / "ix") for a in c] for c in commands]
        procs = [subprocess.Popen([sys.executable, str(script), str(start), *a], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for a in args]
        time.sleep(1.5)  # both are imported and spinning on the start file
        start.write_text("go", "utf-8")
        for p, a in zip(procs, args, strict=True):
            out, err = p.communicate(timeout=120)
            if p.returncode != 0 or "Traceback" in err or "internal error" in err:
                problems.append(f"round {r} {a[0]}: rc {p.returncode}: {err.strip()[-300:]}")
        c = Corpus(corpus, base / "ix")
        if c.search("lighthouse", limit=None, snippets=False).total != 12:
            problems.append(f"round {r}: index incomplete")
    return problems


def test_two_indexers_on_a_fresh_index_do_not_crash(tmp_path: Path) -> None:
    cmd = ["index", "{corpus}", "--index", "{ix}"]
    assert _race(tmp_path, [cmd, cmd], rounds=4) == []


def test_index_and_search_on_a_fresh_index_do_not_crash(tmp_path: Path) -> None:
    assert _race(tmp_path, [["index", "{corpus}", "--index", "{ix}"],
                            ["search", "lighthouse", "--corpus", "{corpus}", "--index", "{ix}"]], rounds=4) == []


def test_a_second_writer_says_another_one_is_running(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    ix = tmp_path / "ix"
    first = CorpusIndex(corpus, ix)
    first.update()
    (corpus / "late.txt").write_text("A late lighthouse.\n", "utf-8")
    second = CorpusIndex(corpus, ix)
    with first.locked():
        t0 = time.monotonic()
        with pytest.raises(Exception, match="another Parallax process is updating this index"), \
                second.locked(timeout=0.3):
            pass
        assert time.monotonic() - t0 < 5
    assert second.update().added == ["late.txt"]


# ---------------------------------------------------------------------- damaged segments


def _segments(ix: Path) -> list[Path]:
    return sorted(p for p in ix.iterdir() if p.suffix == ".seg")


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_bytes_damaged_inside_a_segment_are_noticed_and_rebuilt(tmp_path: Path, keep_mtime: bool,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    corpus = _corpus(tmp_path / "corpus", 5)
    ix = tmp_path / "ix"
    assert main(["index", str(corpus), "--index", str(ix)]) == 0
    seg = _segments(ix)[0]
    st = seg.stat()
    data = bytearray(seg.read_bytes())
    for off in range(len(data) // 4, len(data) * 3 // 4, 97):  # postings, stored fields, term table
        data[off] ^= 0x5A
    seg.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(seg, ns=(st.st_atime_ns, st.st_mtime_ns))
    capsys.readouterr()
    assert main(["index", str(corpus), "--index", str(ix)]) == 0
    out = capsys.readouterr().out
    assert "Rebuilding the index: index file" in out and "damaged" in out and "5 added" in out
    assert main(["search", "lighthouse", "--corpus", str(corpus), "--index", str(ix), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 5


def test_a_read_failure_verifies_the_checksums_and_rebuilds(tmp_path: Path) -> None:
    import zlib

    corpus = _corpus(tmp_path / "corpus", 5)
    ix = tmp_path / "ix"
    idx = CorpusIndex(corpus, ix)
    idx.update()
    idx.open()
    assert not idx.recover(zlib.error("Error -3 while decompressing data"))  # sound: nothing done
    seg = _segments(ix)[0]
    st = seg.stat()
    data = bytearray(seg.read_bytes())
    data[len(data) // 2] ^= 0xFF
    seg.write_bytes(bytes(data))
    os.utime(seg, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert idx.damaged_files(full=True) == [seg.name]
    assert idx.recover(zlib.error("Error -3 while decompressing data"))
    assert len(idx.messages) == 1 and "damaged" in idx.messages[0]
    assert len(idx.update().added) == 5


def test_checksums_are_recorded_for_every_segment_file(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 5)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    sums = statestore.rows(ix, "checksums")
    on_disk = {p.name for p in ix.iterdir() if p.suffix in (".seg", ".toc")}
    assert set(sums) == on_disk and all(len(v) == 3 for v in sums.values())


# ---------------------------------------------------------------------- autosave


def test_autosave_deletes_only_its_own_files(tmp_path: Path) -> None:
    from app.core.sessions.autosave import SessionAutosaver
    from app.core.sessions.session import Session

    auto = tmp_path / "auto"
    auto.mkdir()
    # Named like a dead run's files, but not written by Parallax.
    (auto / "run-999999999-20000101-000000.parallax").write_text("my own notes\n", "utf-8")
    (auto / "run-999999999-20000101-000000.json").write_text("[1, 2]\n", "utf-8")
    (auto / "run-x.parallax").write_text('{"format": "parallax-session"}\n', "utf-8")
    saver = SessionAutosaver(lambda: Session(corpus=str(tmp_path)), auto)
    saver.discard()
    names = sorted(p.name for p in auto.iterdir())
    assert names == ["run-999999999-20000101-000000.json", "run-999999999-20000101-000000.parallax", "run-x.parallax"]
    saver.save_now()
    saver.clean_exit()
    assert sorted(p.name for p in auto.iterdir()) == ["last.parallax", *names]


# ---------------------------------------------------------------------- the guard itself


def test_the_guard_refuses_the_corpus_foreign_files_and_foreign_deletes(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 1)
    fsguard.register_corpus_root(corpus)
    with pytest.raises(fsguard.WriteRefused, match="inside the corpus"):
        atomic_write_bytes(corpus / "new.json", b"{}")
    with pytest.raises(fsguard.WriteRefused):
        fsguard.remove(corpus / "a000.txt")
    link = tmp_path / "link.html"
    link.symlink_to(corpus / "a000.txt")
    with pytest.raises(fsguard.WriteRefused):
        atomic_write_text(link, "x")
    foreign = tmp_path / "data.json"
    foreign.write_text('{"mine": 1}', "utf-8")
    with pytest.raises(fsguard.WriteRefused, match="not written by Parallax"):
        atomic_write_text(foreign, "{}")
    with pytest.raises(fsguard.WriteRefused):
        fsguard.remove(foreign)
    assert foreign.read_text("utf-8") == '{"mine": 1}' and (corpus / "a000.txt").exists()
    own = tmp_path / "own.json"
    atomic_write_text(own, '{"format": "parallax-test"}')
    atomic_write_text(own, '{"format": "parallax-test", "n": 2}')
    assert fsguard.remove(own) and not own.exists()
    with pytest.raises(fsguard.WriteRefused):
        fsguard.remove_temp(foreign)


def test_the_state_store_and_its_companions_are_index_files_and_opened_only_safely(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 3)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    for name in (STORE, STORE + "-wal", STORE + "-shm", STORE + "-journal"):
        assert fsguard.is_index_file_name(name)
    assert not fsguard.is_index_file_name(STORE + "-other") and not fsguard.is_index_file_name("mine.sqlite")
    assert fsguard.is_parallax_sqlite(ix / STORE)  # its application id, in the file itself
    foreign = tmp_path / "foreign.sqlite"
    with contextlib.closing(sqlite3.connect(foreign)) as conn:
        conn.execute("CREATE TABLE t(a)")
        conn.commit()
    assert not fsguard.is_parallax_sqlite(foreign) and not fsguard.made_by_parallax(foreign)
    # SQLite would write through a link planted under a companion's name: refused, nothing written.
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's file\n", "utf-8")
    (ix / (STORE + "-wal")).symlink_to(victim)
    (corpus / "late.txt").write_text("A late lighthouse.\n", "utf-8")
    with pytest.raises(fsguard.WriteRefused, match="not a regular file"):
        fsguard.open_index_database(ix, STORE)
    with pytest.raises(Exception, match="is not a regular file"):
        CorpusIndex(corpus, ix).update()
    assert victim.read_text("utf-8") == "the user's file\n"
    (ix / (STORE + "-wal")).unlink()
    with pytest.raises(fsguard.WriteRefused, match="not a Parallax index file"):
        fsguard.open_index_database(ix, "mine.sqlite")
    with pytest.raises(fsguard.WriteRefused, match="not a Parallax index folder"):
        fsguard.open_index_database(tmp_path, STORE)
    assert CorpusIndex(corpus, ix).update().added == ["late.txt"]


def test_whoosh_storage_touches_only_index_files(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 1)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    (ix / "notes.txt").write_text("mine", "utf-8")
    storage = fsguard.GuardedStorage(str(ix))
    for bad in (lambda: storage.delete_file("notes.txt"), lambda: storage.create_file("notes.txt"),
                lambda: storage.rename_file("notes.txt", "parallax_x.seg"), storage.clean, storage.destroy):
        with pytest.raises(fsguard.WriteRefused):
            bad()
    unmarked = tmp_path / "plain"
    unmarked.mkdir()
    with pytest.raises(fsguard.WriteRefused):
        fsguard.GuardedStorage(str(unmarked)).create_file("parallax_abc.seg")
    assert (ix / "notes.txt").read_text("utf-8") == "mine"
    assert all(fsguard.is_index_file_name(p.name) for p in ix.iterdir() if p.name != "notes.txt")


# ---------------------------------------------------------------------- every write goes through the guard

# Calls that create, replace or delete files. These names mean a file operation whatever the receiver:
_FILE_ONLY = {"unlink", "rmtree", "rmdir", "removedirs", "write_text", "write_bytes", "mkstemp", "mkdtemp",
              "NamedTemporaryFile", "TemporaryFile", "copyfile", "copytree", "copy2", "touch", "symlink_to",
              "hardlink_to", "symlink", "makedirs", "mkdir", "truncate", "renames", "fdopen"}
# These are also list/dict/str/Qt methods: they count on os, shutil, a path, a file or Qt image receiver.
_AMBIGUOUS = {"remove", "replace", "rename", "link", "copy", "move", "save"}
_FILE_RECEIVER = ("os", "shutil", "path", "target", "file", "folder", "dir", "tmp", "grab()", "image", "pixmap")
# Where such a call is allowed, and why: (module, call) -> reason.
ALLOWED = {
    ("app/core/storage/fsguard.py", "*"): "the guard itself: every check, create, replace and delete",
    ("app/core/storage/atomic.py", "fdopen"): "writes the temp file fsguard.make_temp created (os.replace is fsguard's)",
    ("app/core/engine/segwriter.py", "TemporaryFile"): "anonymous sorted-run files next to the index: no name, gone when closed",
}


def _receiver(func: ast.Attribute) -> str:
    return ast.unparse(func.value).lower()


def _file_ops(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, call)`` of every call in ``tree`` that may create, replace or delete a file."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name == "open" and isinstance(func, ast.Attribute) and _receiver(func) == "os":
            flags = " ".join(ast.unparse(a) for a in node.args[1:])
            if any(flag in flags for flag in ("O_CREAT", "O_WRONLY", "O_RDWR", "O_TRUNC", "O_APPEND")):
                found.append((node.lineno, "os.open"))
        elif name == "open" and "buffer" in (_receiver(func) if isinstance(func, ast.Attribute) else ""):
            continue  # a QBuffer: memory
        elif name == "open":
            text = ast.unparse(node)
            mode = node.args[1] if isinstance(func, ast.Name) and len(node.args) > 1 else (
                node.args[0] if isinstance(func, ast.Attribute) and node.args else None)
            mode = next((k.value for k in node.keywords if k.arg == "mode"), mode)
            writes = isinstance(mode, ast.Constant) and isinstance(mode.value, str) and bool(set(mode.value) & set("wax+"))
            unknown = mode is not None and not isinstance(mode, ast.Constant)  # a mode computed at run time
            if writes or unknown or any(flag in text for flag in ("O_CREAT", "O_WRONLY", "O_RDWR", "O_TRUNC")):
                found.append((node.lineno, "open"))
        elif name == "connect" and isinstance(func, ast.Attribute) and _receiver(func) == "sqlite3":
            found.append((node.lineno, "sqlite3.connect"))  # creates the file: fsguard.open_sqlite checks it
        elif name in _FILE_ONLY:
            found.append((node.lineno, name))
        elif name in _AMBIGUOUS and isinstance(func, ast.Attribute):
            receiver = _receiver(func)
            if node.args and "buffer" in ast.unparse(node.args[0]).lower():
                continue  # an image encoded into a QBuffer: memory
            if receiver in ("os", "shutil") or any(r in receiver for r in _FILE_RECEIVER[2:]):
                found.append((node.lineno, name))
        elif name in _AMBIGUOUS and isinstance(func, ast.Name) and name in ("copy", "move", "rename", "remove"):
            found.append((node.lineno, name))  # from shutil/os import ...
    return found


def test_every_file_write_and_delete_in_app_goes_through_the_guard() -> None:
    offenders = []
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if (rel, "*") in ALLOWED:
            continue
        for line, name in _file_ops(ast.parse(path.read_text("utf-8"))):
            if (rel, name) not in ALLOWED:
                offenders.append(f"{rel}:{line} {name}")
    assert not offenders, "route these through app.core.storage.fsguard (or justify them in ALLOWED): " + ", ".join(offenders)


def test_the_scan_catches_each_kind_of_write() -> None:
    src = ("import os, shutil\nfrom pathlib import Path\nos.remove('a')\nPath('b').unlink()\n"
           "shutil.rmtree('c')\nos.replace('d', 'e')\nopen('f', 'w')\nPath('g').write_text('x')\n"
           "os.rename('h', 'i')\ntarget.replace(other)\nos.open('j', os.O_CREAT | os.O_WRONLY)\n"
           "window.grab().save('k.png')\nself.path.rename(kept)\n"
           "sqlite3.connect('n.sqlite')\n"
           "open('r')\n'k'.replace('l', 'm')\nnotes.remove(n)\nitems.copy()\npainter.save()\nbutton.clicked.connect(f)\n")
    assert [line for line, _ in _file_ops(ast.parse(src))] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]


def test_index_update_leaves_only_index_file_names(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 40)
    ix = tmp_path / "ix"
    idx = CorpusIndex(corpus, ix)
    idx.bulk_threshold, idx.bulk_min_bytes = 20, 0
    idx.update()
    for i in range(3):
        (corpus / f"a{i:03d}.txt").write_text(f"Changed {i}: a lighthouse.\n", "utf-8")
        CorpusIndex(corpus, ix).update()
    names = [p.name for p in ix.iterdir()]
    assert names and all(fsguard.is_index_file_name(n) for n in names), names


# ---------------------------------------------------------------------- the window's export dialog


def test_window_export_refuses_foreign_and_corpus_files_and_asks_for_its_own(
        qtbot: QtBot, tmp_path: Path, seeds_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.mainwindow import MainWindow
    from app.ui.reportcontroller import HTML_FILTER

    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    sessions, reports = win.sessions, win.reports
    errors: list[str] = []
    asked: list[Path] = []
    answer = [False]
    monkeypatch.setattr(reports, "_error", lambda title, message: errors.append(message))
    monkeypatch.setattr(reports, "_ask_overwrite", lambda path: asked.append(path) or answer[0])
    fsguard.register_corpus_root(seeds_copy)

    def choose(name: str) -> Path | None:
        monkeypatch.setattr(reports, "_ask_export_path", lambda caption, suggested: (name, HTML_FILTER))
        return reports._export_target("Export Report", "r.html")

    foreign = tmp_path / "page.html"
    foreign.write_text("<p>mine</p>", "utf-8")
    article = next(seeds_copy.iterdir())
    assert choose(str(foreign)) is None and "not written by Parallax" in errors[-1]
    assert choose(str(article)) is None and "corpus" in errors[-1]
    assert choose(str(seeds_copy / "new.html")) is None and "corpus" in errors[-1]
    sessions.path = tmp_path / "s.parallax"
    atomic_write_text(sessions.path, '{"format": "parallax-session", "format_version": 1}\n')
    # The session's own file is never the target: its name gets the report's suffix...
    assert choose(str(sessions.path)) == tmp_path / "s.parallax.html"
    # ...and an input named like a report is refused outright.
    sessions.path = tmp_path / "saved-as.html"
    atomic_write_text(sessions.path, '{"format": "parallax-session", "format_version": 1}\n')
    assert choose(str(sessions.path)) is None and "input" in errors[-1]
    assert foreign.read_text("utf-8") == "<p>mine</p>" and not (seeds_copy / "new.html").exists()
    # A report Parallax wrote: the file dialog confirmed that name itself, so no second question...
    own = tmp_path / "own.html"
    atomic_write_text(own, '<!DOCTYPE html>\n<html><head><meta name="generator" content="Parallax 1">')
    assert choose(str(own)) == own and not asked
    # ...but when the suffix is added after the dialog, the window asks (and honours a no).
    assert choose(str(tmp_path / "own")) is None and asked == [own]
    answer[0] = True
    assert choose(str(tmp_path / "own")) == own
    assert not any("Traceback" in e for e in errors)


def _damage(ix: Path, name: str, original: bytes, start: int, keep_mtime: bool = True) -> None:
    seg = ix / name
    st = seg.stat()
    data = bytearray(original)
    for off in range(start, min(start + 200, len(data))):
        data[off] ^= 0x5A
    seg.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(seg, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_a_damaged_segment_that_passes_the_quick_check_is_rebuilt_when_a_read_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.engine import index as index_module
    from app.core.search.fulltext import QueryError

    corpus = _corpus(tmp_path / "corpus", 5)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    monkeypatch.setattr(index_module, "FULL_CHECK_BYTES", 0)  # as on a large index: sizes and times only
    seg = _segments(ix)[0]
    original = seg.read_bytes()
    pristine = tmp_path / "pristine"
    shutil.copytree(ix, pristine, copy_function=shutil.copy2)

    def restore() -> None:
        shutil.rmtree(ix)
        shutil.copytree(pristine, ix, copy_function=shutil.copy2)

    def read(c: Corpus) -> None:
        c.listing()
        c.search("lighthouse", limit=None)

    # Find bytes whose damage makes a read fail (as zlib, pickle or struct errors did), without recovery.
    failing = None
    with monkeypatch.context() as m:
        m.setattr(CorpusIndex, "recover", lambda self, exc: False)
        for start in range(0, len(original), max(1, len(original) // 40)):
            restore()
            _damage(ix, seg.name, original, start)
            c = Corpus(corpus, ix)
            try:
                read(c)
            except QueryError:
                pass
            except index_module.READ_ERRORS:
                failing = start
            finally:
                c.index.close()
            if failing is not None:
                break
    assert failing is not None, "no damage made a read fail"
    restore()
    _damage(ix, seg.name, original, failing)
    corpus_obj = Corpus(corpus, ix)
    listing = corpus_obj.listing()  # the read fails, the checksums differ: rebuilt, updated, read again
    assert [a.id for a in listing] == [f"a{i:03d}.txt" for i in range(5)]
    assert any("damaged" in m for m in corpus_obj.index.messages)
    assert corpus_obj.search("lighthouse", limit=None, snippets=False).total == 5
