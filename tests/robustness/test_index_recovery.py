"""A damaged index (killed mid-commit, stale lock, truncated segment, other schema) recovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.engine.bulkindex import PAUSE_ENV
from app.core.engine.index import INDEX_NAME, LEGACY_MANIFEST, SCHEMA_VERSION, CorpusIndex
from app.core.engine.indexstore import STORE
from app.core.workspace.corpus import Corpus
from tests.fixtures import statestore

ROOT = Path(__file__).resolve().parents[2]
FILES = 2000

# Indexes the corpus in argv[1] into argv[2], printing each phase as it starts.
CHILD = """
import sys
from app.core.engine.index import CorpusIndex
if __name__ == "__main__":
    for step in CorpusIndex(sys.argv[1], sys.argv[2]).update_steps():
        if step.phase != "indexing":
            print(step.phase, flush=True)
"""


def _corpus(root: Path, n: int) -> Path:
    root.mkdir()
    for i in range(n):
        (root / f"a{i:05d}.txt").write_text(
            f"Report {i}\\n\\nThe lighthouse keeper number {i} logged ships and storms today.\n", "utf-8")
    return root


def _run_child(tmp_path: Path, corpus: Path, ix: Path, pause: float) -> subprocess.Popen:
    script = tmp_path / "child.py"
    script.write_text(CHILD, "utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), **{PAUSE_ENV: str(pause)})
    return subprocess.Popen([sys.executable, str(script), str(corpus), str(ix)], env=env,
                            stdout=subprocess.PIPE, text=True)


def _segment_files(ix: Path) -> list[Path]:
    return [p for p in ix.iterdir()
            if p.name.startswith(INDEX_NAME + "_") and p.suffix not in (".toc", "") and "LOCK" not in p.name]


def _check_searchable(corpus: Path, ix: Path, n: int) -> None:
    c = Corpus(corpus, ix)
    assert c.search("lighthouse", limit=None, snippets=False).total == n
    assert {h.id for h in c.search('"keeper number 17 logged"').hits} == {"a00017.txt"}


@pytest.mark.slow
def test_killed_mid_commit_recovers(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", FILES)
    ix = tmp_path / "ix"
    child = _run_child(tmp_path, corpus, ix, pause=60)
    try:
        phases = []
        for line in child.stdout:
            phases.append(line.strip())
            if line.strip() == "committing":
                break
        assert "committing" in phases, phases
        # The segments are being (or have been) written; the table of contents is not yet.
        deadline = time.monotonic() + 30
        while not _segment_files(ix) and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert _segment_files(ix)  # orphaned segments from the killed run
    idx = CorpusIndex(corpus, ix)
    report = idx.update()
    assert len(report.added) == FILES and not report.skipped
    _check_searchable(corpus, ix, FILES)
    assert not CorpusIndex(corpus, ix).update().changed


def test_killed_while_holding_the_lock(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 20)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom whoosh import index\n"
         f"ix = index.open_dir(sys.argv[1], indexname={INDEX_NAME!r})\nw = ix.writer()\n"
         "print('locked', flush=True)\ntime.sleep(60)\n", str(ix)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.stdout.close()
    (corpus / "a00003.txt").write_text("Rewritten: the lighthouse keeper saw a whale.\n", "utf-8")
    report = CorpusIndex(corpus, ix).update()
    assert report.updated == ["a00003.txt"]
    assert {h.id for h in Corpus(corpus, ix).search("whale").hits} == {"a00003.txt"}


@pytest.mark.parametrize("damage", ["truncate_postings", "truncate_toc", "delete_segment", "garbage_segment"])
def test_damaged_index_is_rebuilt(tmp_path: Path, damage: str) -> None:
    corpus = _corpus(tmp_path / "corpus", 30)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    files = sorted(p for p in ix.iterdir() if p.is_file() and not p.name.startswith(STORE))
    if damage == "truncate_postings":
        targets = [p for p in files if p.suffix in (".seg", ".pst", ".trm")]
    elif damage == "truncate_toc":
        targets = [p for p in files if p.suffix == ".toc"]
    else:
        targets = [next(p for p in files if p.suffix == ".seg")]
    assert targets
    for p in targets:
        if damage == "delete_segment":
            p.unlink()
        elif damage == "garbage_segment":
            p.write_bytes(os.urandom(p.stat().st_size))
        else:
            p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    again = CorpusIndex(corpus, ix)
    report = again.update()
    assert report.rebuilt_reason
    assert len(again.messages) == 1 and again.messages[0].startswith("Rebuilding the index: ")
    assert "\n" not in again.messages[0] and "Traceback" not in again.messages[0]
    assert len(report.added) == 30
    _check_searchable(corpus, ix, 30)


def test_index_of_incompatible_schema_is_rebuilt(tmp_path: Path) -> None:
    from whoosh import index as windex
    from whoosh.fields import ID, TEXT, Schema

    corpus = _corpus(tmp_path / "corpus", 30)
    ix = tmp_path / "ix"
    ix.mkdir()
    # An index written by another program version: other fields, a manifest claiming ours.
    old = windex.create_in(str(ix), Schema(id=ID(stored=True), text=TEXT), indexname=INDEX_NAME)
    w = old.writer()
    w.add_document(id="a00001.txt", text="stale")
    w.commit()
    (ix / LEGACY_MANIFEST).write_text(json.dumps({"format": "parallax-manifest", "schema_version": SCHEMA_VERSION,
                                                  "files": {}}), "utf-8")
    again = CorpusIndex(corpus, ix)
    report = again.update()
    assert report.rebuilt_reason and again.messages
    _check_searchable(corpus, ix, 30)
    # And a manifest of an older schema version (e.g. before the fast analysis path).
    statestore.set_schema_version(ix, SCHEMA_VERSION - 1)
    report = CorpusIndex(corpus, ix).update()
    assert "another version" in report.rebuilt_reason and len(report.added) == 30
    _check_searchable(corpus, ix, 30)


def _damage_store(path: Path, damage: str) -> None:
    data = bytearray(path.read_bytes())
    if damage == "garbage_store":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "truncate_store":
        path.write_bytes(bytes(data[: len(data) // 2 // 4096 * 4096 + 100]))
    elif damage == "page_headers":  # every page's b-tree header scrambled, the file header intact
        for page in range(1, len(data) // 4096):
            data[page * 4096: page * 4096 + 12] = b"\xff" * 12
        path.write_bytes(bytes(data))
    else:  # "empty_store": a zero-length file, as a full disk may leave
        path.write_bytes(b"")


@pytest.mark.parametrize("damage", ["garbage_store", "truncate_store", "page_headers", "empty_store"])
def test_a_damaged_state_store_is_rebuilt_with_one_message(tmp_path: Path, damage: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from app.cli import main

    corpus = _corpus(tmp_path / "corpus", 300)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    assert (ix / STORE).stat().st_size > 3 * 4096  # several pages of rows
    _damage_store(ix / STORE, damage)
    capsys.readouterr()
    assert main(["index", str(corpus), "--index", str(ix)]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err
    if damage == "empty_store":  # no state at all: read as an index of another version
        assert "Rebuilding the index: index is from another version" in out
    else:
        assert f"Rebuilding the index: index file {STORE} is damaged" in out, out
    assert "300 added" in out
    _check_searchable(corpus, ix, 300)
    assert len(statestore.rows(ix, "files")) == 300
    again = CorpusIndex(corpus, ix).update()
    assert not again.changed and again.unchanged == 300 and not again.rebuilt_reason


def test_a_state_store_of_another_layout_is_rebuilt(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 20)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    statestore.execute(ix, "PRAGMA user_version = 99", "DROP TABLE skipped")  # a later release's tables
    again = CorpusIndex(corpus, ix)
    report = again.update()
    assert "another version" in report.rebuilt_reason and len(report.added) == 20
    assert statestore.rows(ix, "skipped") == {} and len(statestore.rows(ix, "files")) == 20
    _check_searchable(corpus, ix, 20)


def test_a_read_during_another_process_update_sees_the_state_before_or_after(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", 50)
    ix = tmp_path / "ix"
    CorpusIndex(corpus, ix).update()
    reader = CorpusIndex(corpus, ix)
    before = reader._read_manifest()
    assert before is not None and len(before.files) == 50
    writer = CorpusIndex(corpus, ix)
    files = {k: v for k, v in before.files.items() if k != "a00007.txt"}
    with writer.locked():  # a reader does not wait for the writer lock, and sees whole states only
        assert reader._read_manifest() is before
        writer._write_manifest(files)
        after = reader._read_manifest()
    assert after is not None and after.files == files and before.files["a00007.txt"]
