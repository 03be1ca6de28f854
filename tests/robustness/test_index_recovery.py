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
from app.core.engine.index import INDEX_NAME, MANIFEST, SCHEMA_VERSION, CorpusIndex
from app.core.workspace.corpus import Corpus

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
    files = sorted(p for p in ix.iterdir() if p.is_file() and p.name != MANIFEST)
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
    (ix / MANIFEST).write_text(json.dumps({"schema_version": SCHEMA_VERSION, "files": {}}), "utf-8")
    again = CorpusIndex(corpus, ix)
    report = again.update()
    assert report.rebuilt_reason and again.messages
    _check_searchable(corpus, ix, 30)
    # And a manifest of an older schema version (e.g. before the fast analysis path).
    manifest = json.loads((ix / MANIFEST).read_text("utf-8"))
    manifest["schema_version"] = SCHEMA_VERSION - 1
    (ix / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    report = CorpusIndex(corpus, ix).update()
    assert "another version" in report.rebuilt_reason and len(report.added) == 30
    _check_searchable(corpus, ix, 30)
