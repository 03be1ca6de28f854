"""The incremental Whoosh index of one corpus folder."""

from __future__ import annotations

import contextlib
import gc
import json
import json.scanner
import os
import shutil
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from whoosh import index as windex
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError

from app.core import bulkindex
from app.core.analysis import FastText, name_analyzer
from app.core.atomic import atomic_write_json
from app.core.model import Article, Role, Skipped
from app.core.paths import index_dir_for
from app.core.reader import ReadError, iter_corpus_entries, read_article
from app.core.segwriter import ArraySegmentWriter

# Bump when the schema or the analyzers change: an index of another version is rebuilt.
SCHEMA_VERSION = 2
MANIFEST = "parallax-manifest.json"
INDEX_NAME = "parallax"


def make_schema() -> Schema:
    """The Whoosh schema: metadata stored, text analysed (body text is read back from the file)."""
    names = name_analyzer()
    return Schema(
        id=ID(unique=True, stored=True),
        path=STORED(),
        title=FastText(stored=True, field_boost=2.0, multitoken_query="phrase"),
        source=TEXT(analyzer=names, stored=True, multitoken_query="phrase"),
        author=TEXT(analyzer=names, stored=True, multitoken_query="phrase"),
        date=DATETIME(stored=True, sortable=True),
        body=FastText(multitoken_query="phrase"),
        chrome=FastText(multitoken_query="phrase"),
        npara=STORED(),
    )


@dataclass(slots=True)
class Progress:
    """One step of an index update."""

    done: int
    total: int
    current: str = ""
    phase: str = "indexing"


@dataclass(slots=True)
class IndexReport:
    """What an update changed."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unchanged: int = 0
    rebuilt_reason: str = ""
    cancelled: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        """True when the index content differs from before the update."""
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "unchanged": self.unchanged,
            "rebuilt_reason": self.rebuilt_reason,
            "cancelled": self.cancelled,
            "seconds": round(self.seconds, 3),
        }


class IndexListener(Protocol):
    """Something kept in step with the index (e.g. reuse fingerprints), told of every change."""

    def article_indexed(self, article: Article) -> None:
        """An article was added or changed."""

    def article_removed(self, aid: str) -> None:
        """An article left the corpus."""

    def committed(self) -> None:
        """The changes so far are committed; persist them."""


class IndexError_(Exception):
    """The index cannot be opened or written (message is user-facing)."""


def _loads_yielding(text: str) -> object:
    """``json.loads``, with Python's own scanner for large texts.

    The C scanner holds the GIL for the whole document (150 ms for a 100,000-file manifest),
    freezing the window while a worker thread reads it; the Python scanner lets it run. On
    the main thread (the command line) nothing waits, so the fast scanner is used.
    """
    if len(text) < 1 << 20 or threading.current_thread() is threading.main_thread():
        return json.loads(text)
    decoder = json.JSONDecoder()
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    return decoder.decode(text)


def _old_hash(entry: list | None) -> str | None:
    return entry[2] if entry and len(entry) > 2 else None


def document_for(article: Article) -> dict:
    """The Whoosh document of an article."""
    body = "\n".join(p.text for p in article.paragraphs if p.role is not Role.CHROME)
    chrome = "\n".join(p.text for p in article.paragraphs if p.role is Role.CHROME)
    doc: dict = {
        "id": article.id,
        "path": article.path,
        "title": article.title,
        "source": article.source,
        "author": article.author,
        "body": body,
        "chrome": chrome,
        "npara": len(article.paragraphs),
    }
    if article.date:
        doc["date"] = datetime(article.date.year, article.date.month, article.date.day)
    return doc


class CorpusIndex:
    """The Whoosh index of one corpus folder, updated incrementally.

    A manifest (versioned JSON) records each file's size, mtime and hash so that an unchanged
    corpus is checked with one ``stat`` per file and no index write at all.
    """

    # Batches of at least this many files are parsed and indexed by worker processes.
    bulk_threshold = 1500
    max_workers = 2
    # Analysed tokens per segment a bulk worker writes, and per sorted run set aside on disk
    # (see bulkindex.SEGMENT_TOKENS and RUN_TOKENS).
    segment_tokens = bulkindex.SEGMENT_TOKENS
    run_tokens = bulkindex.RUN_TOKENS
    # Read links that point out of the corpus folder (the user asked; see app.core.boundary).
    follow_links_outside = False

    def __init__(self, corpus_root: Path | str, index_dir: Path | str | None = None) -> None:
        self.corpus_root = Path(corpus_root).resolve()
        self.index_dir = Path(index_dir) if index_dir else index_dir_for(self.corpus_root)
        self._ix: windex.Index | None = None
        # The manifest last read or written, keyed by its file's (mtime, size): re-reading
        # 100,000 entries after every update would hold the GIL for a tenth of a second.
        self._manifest_cache: tuple[tuple[int, int], dict] | None = None
        self.messages: list[str] = []
        self.listeners: list[IndexListener] = []

    # ------------------------------------------------------------------ opening

    @property
    def manifest_path(self) -> Path:
        """The manifest file next to the Whoosh segments."""
        return self.index_dir / MANIFEST

    def _read_manifest(self) -> dict | None:
        try:
            stamp = self.manifest_path.stat()
            key = (stamp.st_mtime_ns, stamp.st_size)
            cached = self._manifest_cache
            if cached is not None and cached[0] == key:
                return cached[1]  # callers copy "files" before changing it
            data = _loads_yielding(self.manifest_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            return None
        if not isinstance(data.get("files"), dict):
            return None
        self._manifest_cache = (key, data)
        return data

    def _write_manifest(self, files: dict[str, list]) -> None:
        data = {
            "format_version": 1,
            "schema_version": SCHEMA_VERSION,
            "corpus_root": str(self.corpus_root),
            "files": files,
        }
        atomic_write_json(self.manifest_path, data)
        with contextlib.suppress(OSError):
            stamp = self.manifest_path.stat()
            self._manifest_cache = ((stamp.st_mtime_ns, stamp.st_size), data)

    def _create(self, reason: str) -> windex.Index:
        if reason:
            self.messages.append(f"Rebuilding the index: {reason}.")
        if self.index_dir.exists():
            shutil.rmtree(self.index_dir, ignore_errors=True)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        ix = FileStorage(str(self.index_dir)).create_index(make_schema(), indexname=INDEX_NAME)
        self._write_manifest({})
        return ix

    def open(self) -> tuple[windex.Index, str]:
        """Open the index, creating or rebuilding it when missing, corrupt or of another version.

        Returns the index and the reason it was (re)built, empty when it was opened as is.
        """
        if self._ix is not None:
            return self._ix, ""
        # Whoosh leaves files open when it fails on a damaged index; keep those leaks quiet.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            ix, reason = self._open_or_rebuild()
            if reason and reason != "new index":
                gc.collect()
        self._ix = ix
        return ix, reason

    def _open_or_rebuild(self) -> tuple[windex.Index, str]:
        reason = ""
        manifest = self._read_manifest()
        try:
            present = self.index_dir.exists() and windex.exists_in(str(self.index_dir), indexname=INDEX_NAME)
        except Exception:  # noqa: BLE001 - an unreadable table of contents is a corrupt index
            present, manifest = True, None
        if not present:
            ix = self._create("")
            reason = "new index"
        elif manifest is None:
            ix = self._create(reason := "index is from another version or its manifest is damaged")
        else:
            try:
                ix = windex.open_dir(str(self.index_dir), indexname=INDEX_NAME)
                with ix.searcher() as s:  # touch every segment so corruption shows now
                    s.doc_count()
                    for name in ("title", "body"):
                        with contextlib.suppress(KeyError):
                            s.reader().field_length(name)
                if ix.schema.names() != make_schema().names():
                    raise ValueError("schema differs")
            except Exception as exc:  # noqa: BLE001 - any failure to read means rebuild
                ix = self._create(reason := f"index could not be read ({type(exc).__name__})")
        return ix, reason

    def close(self) -> None:
        """Release the index handle."""
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    # ------------------------------------------------------------------ updating

    def _writer(self, ix: windex.Index, timeout: float = 10.0):  # noqa: ANN202
        deadline = time.monotonic() + timeout
        while True:
            try:
                return ArraySegmentWriter(ix, run_tokens=self.run_tokens)
            except LockError:
                if time.monotonic() > deadline:
                    raise IndexError_(
                        "the index is locked by another Parallax process; try again when it finishes"
                    ) from None
                time.sleep(0.1)

    def scan(self) -> tuple[dict[str, tuple[str, int, int]], list[Skipped]]:
        """Stat every corpus file: ``{id: (path, size, mtime_ns)}`` plus folders that could not be read."""
        skipped: list[Skipped] = []
        found: dict[str, tuple[str, int, int]] = {}
        walk = iter_corpus_entries(self.corpus_root, skipped, follow_links_outside=self.follow_links_outside)
        for aid, entry in walk:
            try:
                st = entry.stat()
            except OSError as exc:
                skipped.append(Skipped(aid, f"cannot read: {exc.strerror or exc}"))
                continue
            found[aid] = (entry.path, st.st_size, st.st_mtime_ns)
        return found, skipped

    def update_steps(self, should_cancel: Callable[[], bool] | None = None) -> Iterator[Progress]:
        """Bring the index up to date, yielding progress; the final report is the generator's return value.

        Cancelling keeps what was already committed consistent: the manifest is only written
        for documents that were committed.
        """
        t0 = time.perf_counter()
        report = IndexReport()
        ix, reason = self.open()
        if reason and reason != "new index":
            report.rebuilt_reason = reason
        manifest = self._read_manifest() or {"files": {}}
        known: dict[str, list] = dict(manifest["files"])
        yield Progress(0, 0, "", "scanning")
        found, report.skipped = self.scan()
        todo: list[tuple[str, str, int, int]] = []
        for aid, (path, size, mtime) in found.items():
            entry = known.get(aid)
            if entry and entry[0] == size and entry[1] == mtime:
                report.unchanged += 1
            else:
                todo.append((aid, path, size, mtime))
        gone = [aid for aid in known if aid not in found]
        total = len(todo)
        if not todo and not gone:
            report.seconds = time.perf_counter() - t0
            yield Progress(0, 0, "", "done")
            return report
        writer = self._writer(ix)
        committed = False
        try:
            for aid in gone:
                writer.delete_by_term("id", aid)
                known.pop(aid, None)
                report.removed.append(aid)
                for listener in self.listeners:
                    listener.article_removed(aid)
            workers = self._bulk_workers(len(todo))
            if workers:
                segments = yield from self._bulk(ix, writer, todo, known, report, workers, should_cancel)
            else:
                segments = []
                yield from self._serial(writer, todo, known, report, should_cancel)
            if report.changed:
                yield Progress(total, total, "", "committing")
                bulkindex.commit(writer, segments)
                for listener in self.listeners:
                    listener.committed()
            else:
                writer.cancel()
            committed = True
        finally:
            if not committed:
                with contextlib.suppress(Exception):
                    writer.cancel()
        self._write_manifest(known)
        self._ix = None  # reopen to see the new generation
        report.seconds = time.perf_counter() - t0
        yield Progress(total, total, "", "done")
        return report

    def _bulk_workers(self, n: int) -> int:
        """Worker processes for ``n`` files: 0 (index in this process) unless the batch is large."""
        cores = os.cpu_count() or 1
        if n < self.bulk_threshold or cores < 2:
            return 0
        return min(self.max_workers, cores)

    def _forget(self, writer, aid: str, known: dict, report: IndexReport) -> None:  # noqa: ANN001
        writer.delete_by_term("id", aid)
        known.pop(aid, None)
        report.removed.append(aid)
        for listener in self.listeners:
            listener.article_removed(aid)

    def _serial(self, writer, todo: list, known: dict, report: IndexReport,  # noqa: ANN001
                should_cancel: Callable[[], bool] | None) -> Iterator[Progress]:
        total = len(todo)
        for n, (aid, path, _size, _mtime) in enumerate(todo, 1):
            if should_cancel is not None and should_cancel():
                report.cancelled = True
                break
            entry = known.get(aid)
            try:
                article = read_article(path, self.corpus_root)
            except ReadError as exc:
                report.skipped.append(Skipped(aid, str(exc)))
                if entry is not None:
                    self._forget(writer, aid, known, report)
                continue
            if entry and len(entry) > 2 and entry[2] == article.content_hash:
                known[aid] = [article.size, article.mtime_ns, article.content_hash]
                report.unchanged += 1  # touched but not changed: no rewrite
            else:
                writer.update_document(**document_for(article))
                for listener in self.listeners:
                    listener.article_indexed(article)
                (report.updated if entry else report.added).append(aid)
                known[aid] = [article.size, article.mtime_ns, article.content_hash]
            if n % 25 == 0 or n == total:
                yield Progress(n, total, aid)

    def _bulk(self, ix: windex.Index, writer, todo: list, known: dict,  # noqa: ANN001
              report: IndexReport, workers: int,
              should_cancel: Callable[[], bool] | None) -> Iterator[Progress]:
        """Index ``todo`` in worker processes; returns the segments they wrote."""
        total = len(todo)
        # Documents may be in the index without a manifest entry (a crash between the index
        # commit and the manifest write), so added ids are deleted first unless it is empty.
        index_empty = ix.doc_count_all() == 0
        jobs = [(aid, str(path), _old_hash(known.get(aid))) for aid, path, _size, _mtime in todo]
        load = bulkindex.BulkLoad(self.index_dir, INDEX_NAME, self.corpus_root, jobs,
                                  workers=workers, send_articles=bool(self.listeners),
                                  segment_tokens=self.segment_tokens, run_tokens=self.run_tokens)
        done = 0
        try:
            for item in load:
                if item.kind == "tick":
                    pass
                elif item.kind == "skip":
                    done += 1
                    report.skipped.append(Skipped(item.aid, item.reason))
                    if item.aid in known:
                        self._forget(writer, item.aid, known, report)
                elif item.kind == "same":
                    done += 1
                    known[item.aid] = item.entry
                    report.unchanged += 1
                else:
                    done += 1
                    entry = known.get(item.aid)
                    if entry is not None or not index_empty:
                        writer.delete_by_term("id", item.aid)
                    for listener in self.listeners:
                        listener.article_indexed(item.article)
                    (report.updated if entry else report.added).append(item.aid)
                    known[item.aid] = item.entry
                if not report.cancelled and should_cancel is not None and should_cancel():
                    report.cancelled = True
                    load.stop()
                if item.kind == "tick" or done % 25 == 0:
                    yield Progress(done, total, item.aid)
        except bulkindex.WorkerFailed as exc:
            raise IndexError_(f"Indexing failed: {exc}") from None
        finally:
            load.close()
        return load.segments

    def update(
        self,
        progress: Callable[[Progress], None] | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> IndexReport:
        """Run :meth:`update_steps` to the end and return its report."""
        steps = self.update_steps(should_cancel)
        while True:
            try:
                step = next(steps)
            except StopIteration as stop:
                return stop.value
            if progress is not None:
                progress(step)

    def doc_count(self) -> int:
        """Number of indexed articles."""
        ix, _ = self.open()
        return ix.doc_count()
