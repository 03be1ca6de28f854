"""The incremental Whoosh index of one corpus folder."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import pickle
import re
import struct
import threading
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from whoosh import index as windex
from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema
from whoosh.index import TOC, LockError
from whoosh.writing import SegmentWriter

from app.core.engine import bulkindex, release
from app.core.engine.analysis import FastText, name_analyzer
from app.core.engine.indexstore import IndexStore, Manifest, StoreBusy, StoreDamaged
from app.core.engine.segwriter import ArraySegmentWriter
from app.core.reading.model import Article, Role, Skipped
from app.core.reading.reader import ReadError, iter_corpus_entries, read_article
from app.core.storage import crashlog, fsguard
from app.core.storage.paths import index_dir_for

# Bump when the schema, the analyzers or what the reader makes of a file change: an index of
# another version is rebuilt. 3: CJK roles and titles, sources from page metadata, more date forms.
# 4: huge paragraphs cut with source spans, mended HTML paragraphs normalised from their text.
# 5: the analyzers moved to app.core.engine.analysis; Whoosh pickles them into the schema by
# module path, so an index of 4 could not even be opened.
SCHEMA_VERSION = 5
# The JSON manifest of releases before the state store (app.core.engine.indexstore): read once, moved
# into the store, then deleted.
LEGACY_MANIFEST = "parallax-manifest.json"
INDEX_NAME = "parallax"
WRITELOCK = f"{INDEX_NAME}_WRITELOCK"
# Seconds a second writer waits for the first before saying another one is running.
LOCK_WAIT_S = 10.0
# Below this many bytes of segments every file's checksum is verified at each open; above it,
# only sizes and modification times (a file whose time changed is then verified in full).
FULL_CHECK_BYTES = 64 << 20
_SEGMENT_FILE = re.compile(rf"^(?:_{INDEX_NAME}_(\d+)\.toc|({INDEX_NAME}_[0-9a-z]+)\.[A-Za-z0-9_.]+)$")
# Errors Whoosh raises reading damaged segment bytes (zlib, pickle, struct, arrays).
# Serial seconds of work from which a forked or a spawned worker takes a share (CorpusIndex.shares).
# Sharing costs CPU: the worker analyses its own share of the vocabulary and writes its own
# terms, about a fifth more in all (3,000 short articles: 3.1 -> 3.8 s). On two free cores that
# still halves the time; on a busy machine the worker gets little of a core and the load takes
# longer than alone. Below 3 s of work (3,000 short articles, about 1,000 of 12 KB) this
# process indexes alone: 3,000 short articles alone took 2.9 s CPU and 4.5 s on this busy
# 2-core host, shared 3.1 s CPU and 5.5 s (medians of 3); a spawned worker also imports
# numpy, Whoosh and the reader first (about 0.4 s of a core).
SHARE_FORKED_S = 3.0
SHARE_SPAWNED_S = 3.5
READ_ERRORS = (zlib.error, EOFError, ValueError, IndexError, KeyError, TypeError, OverflowError,
               MemoryError, AttributeError, ImportError, OSError, pickle.UnpicklingError, struct.error)


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

    A manifest in the state store (:mod:`app.core.engine.indexstore`) records each file's size, mtime
    and hash so that an unchanged corpus is checked with one ``stat`` per file and no index
    write at all.
    """

    # From share_threshold new files (and bulk_min_bytes) this process and max_workers - 1
    # worker processes take chunks of the files in turn: this process indexes while the
    # workers start, and one core needs no process of its own. From bulk_threshold only worker
    # processes index (the large-corpus path, unchanged), this process collecting their
    # results. Below the share threshold this process indexes alone, the cheaper path for a
    # small batch. None: decided by the work (see shares).
    share_threshold: int | None = None
    bulk_threshold = 8000
    bulk_min_bytes = 0
    max_workers = 2
    # Analysed tokens per segment a bulk worker writes, and per sorted run set aside on disk
    # (see bulkindex.SEGMENT_TOKENS and RUN_TOKENS).
    segment_tokens = bulkindex.SEGMENT_TOKENS
    run_tokens = bulkindex.RUN_TOKENS
    # Read links that point out of the corpus folder (the user asked; see app.core.storage.boundary).
    follow_links_outside = False

    def __init__(self, corpus_root: Path | str, index_dir: Path | str | None = None) -> None:
        self.corpus_root = Path(corpus_root).resolve()
        fsguard.register_corpus_root(self.corpus_root)
        self.index_dir = Path(index_dir) if index_dir else index_dir_for(self.corpus_root)
        self._ix: windex.Index | None = None
        # Keeps the manifest last read or written: reading it again costs one row.
        self.store = IndexStore(self.index_dir, timeout=LOCK_WAIT_S)
        self.messages: list[str] = []
        self.listeners: list[IndexListener] = []
        self._lock_holder: int | None = None  # the thread holding the writer lock
        self._index_empty = False  # set by each update (see _apply)

    # ------------------------------------------------------------------ opening

    @property
    def manifest_path(self) -> Path:
        """The state store holding the manifest, next to the Whoosh segments."""
        return self.store.path

    def _read_manifest(self) -> Manifest | None:
        """The manifest of this schema version, or None (none, another version, damaged)."""
        return self._load_manifest()[0]

    def _load_manifest(self) -> tuple[Manifest | None, str]:
        """The manifest, or None and why the index cannot be used as it is."""
        try:
            manifest = self.store.read()
        except StoreDamaged as exc:
            return None, f"index file {self.store.path.name} is damaged ({exc})"
        except StoreBusy as exc:
            raise IndexError_(str(exc)) from None
        except OSError as exc:
            raise IndexError_(exc.strerror or str(exc)) from None
        if manifest is None and not self.store.exists():
            manifest = self._legacy_manifest()  # an index of an earlier release, kept read-only
        if manifest is None or manifest.schema_version != SCHEMA_VERSION:
            return None, "index is from another version or its manifest is damaged"
        return manifest, ""

    def _write_manifest(self, files: dict[str, list], skipped: dict[str, list] | None = None,
                        checksums: dict[str, list] | None = None) -> None:
        """Record the committed state (the caller holds the writer lock): only changed rows are written."""
        manifest = Manifest(
            SCHEMA_VERSION, str(self.corpus_root), self._generation(), files,
            # Files that could not be indexed, [size, mtime_ns, reason]: re-read only once changed.
            skipped or {},
            # Every segment file of the committed generation: [size, mtime_ns, crc32].
            self._checksums() if checksums is None else checksums)
        try:
            self.store.write(manifest)
        except StoreBusy as exc:
            raise IndexError_(str(exc)) from None
        except StoreDamaged as exc:
            raise IndexError_(f"index file {self.store.path.name} is damaged ({exc}); "
                              "update the index again to rebuild it") from None

    def _legacy_manifest(self) -> Manifest | None:
        """The JSON manifest an earlier release wrote, when it is Parallax's and readable."""
        path = self.index_dir / LEGACY_MANIFEST
        if not path.is_file() or not fsguard.has_parallax_signature(path):
            return None
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
            return None
        version, generation = data.get("schema_version"), data.get("generation")
        sections = [data.get(k) if isinstance(data.get(k), dict) else {} for k in ("files", "skipped", "checksums")]
        return Manifest(version if isinstance(version, int) else -1, str(data.get("corpus_root", "")),
                        generation if isinstance(generation, int) else -1, *sections)

    def _migrate_legacy(self) -> None:
        """Move an earlier release's JSON manifest into the state store once, then delete it.

        The JSON file is read when it is Parallax's (its signature says so): one still there
        was written after any store (by an earlier release opening the index since), so it
        replaces what the store holds. A folder that cannot be written keeps the JSON file,
        read as it is.
        """
        legacy = self.index_dir / LEGACY_MANIFEST
        if not legacy.is_file():
            return
        with contextlib.suppress(IndexError_, StoreBusy, StoreDamaged, OSError), self.locked(timeout=1.0):
            if not legacy.is_file() or not fsguard.has_parallax_signature(legacy):
                return
            old = self._legacy_manifest()
            if old is not None:
                self.store.forget()
                self.store.write(old)
            fsguard.remove_index_file(self.index_dir, LEGACY_MANIFEST)

    # ------------------------------------------------------------------ the folder, its lock, its checksums

    def storage(self) -> fsguard.GuardedStorage:
        """The index folder as Whoosh storage, every write checked by :mod:`app.core.storage.fsguard`."""
        return fsguard.GuardedStorage(str(self.index_dir))

    def _claim(self) -> None:
        """The folder is empty, new or a Parallax index, and outside the corpus; else a one-line error."""
        try:
            fsguard.claim_index_dir(self.index_dir, self.corpus_root)
        except OSError as exc:
            raise IndexError_(exc.strerror or str(exc)) from None

    @contextlib.contextmanager
    def locked(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the index's writer lock (Whoosh's own ``WRITELOCK``), waiting up to ``timeout`` s.

        Raises:
            IndexError_: another process holds it past the wait.
        """
        if self._lock_holder == threading.get_ident():
            yield  # already held by this thread (a rebuild inside an update)
            return
        self._claim()
        lock = self.storage().lock(WRITELOCK)
        deadline = time.monotonic() + (LOCK_WAIT_S if timeout is None else timeout)
        while not lock.acquire():
            if time.monotonic() > deadline:
                raise IndexError_("another Parallax process is updating this index; "
                                  "try again when it finishes")
            time.sleep(0.05)
        self._lock_holder = threading.get_ident()
        try:
            yield
        finally:
            self._lock_holder = None
            lock.release()

    def _generation(self) -> int:
        try:
            return TOC._latest_generation(self.storage(), INDEX_NAME)
        except Exception:  # Whoosh's own lookup of the newest table of contents
            return -1

    def _segment_names(self) -> list[str]:
        return [n for n in fsguard.index_files(self.index_dir) if _SEGMENT_FILE.match(n)]

    def _checksums(self, previous: dict[str, list] | None = None) -> dict[str, list]:
        """``{name: [size, mtime_ns, crc32]}`` of the segment files; unchanged ones keep their crc."""
        if previous is None:
            manifest = self._read_manifest()
            previous = manifest.checksums if manifest is not None else {}
        out: dict[str, list] = {}
        for name in self._segment_names():
            path = self.index_dir / name
            try:
                st = path.stat()
                old = previous.get(name)
                if isinstance(old, list) and len(old) == 3 and old[:2] == [st.st_size, st.st_mtime_ns]:
                    out[name] = old
                else:
                    out[name] = [st.st_size, st.st_mtime_ns, _crc(path)]
            except OSError:
                continue
        return out

    def damaged_files(self, manifest: Manifest | None = None, *, full: bool = False) -> list[str]:
        """Segment files whose bytes differ from the checksums recorded at commit.

        Cheap by default: sizes and times, with a full check of any file whose time changed
        (and of all when they total under :data:`FULL_CHECK_BYTES`). ``full`` reads them all.
        An index without recorded checksums (older Parallax) reports nothing.
        """
        manifest = manifest if manifest is not None else self._read_manifest()
        if manifest is None or not manifest.checksums or manifest.generation != self._generation():
            return []  # no sums (older Parallax), or a commit whose manifest is not written yet
        sums = manifest.checksums
        full = full or sum(v[0] for v in sums.values() if isinstance(v, list) and v) < FULL_CHECK_BYTES
        damaged = []
        for name, entry in sums.items():
            path = self.index_dir / name
            try:
                st = path.stat()
                size, mtime, crc = entry
                if st.st_size != size or ((full or st.st_mtime_ns != mtime) and _crc(path) != crc):
                    damaged.append(name)
            except (OSError, ValueError, TypeError):
                damaged.append(name)
        return sorted(damaged)

    def _sweep(self) -> None:
        """Delete this folder's index files no generation uses (left by a failed or killed write).

        Called with the writer lock held, so no other writer has files in progress.
        """
        try:
            toc = TOC.read(self.storage(), INDEX_NAME)
            live = {seg.segment_id() for seg in toc.segments}
            generation = toc.generation
        except Exception:  # no readable table of contents: nothing to compare with
            return
        self.storage().remove_temp_dir()
        for name in fsguard.index_files(self.index_dir):
            m = _SEGMENT_FILE.match(name)
            stale_temp = name.startswith(".") and name.endswith(".tmp") or ".toc." in name
            if m is None and not stale_temp:
                continue
            if m is not None and (m.group(2) in live if m.group(2) else int(m.group(1)) == generation):
                continue
            with contextlib.suppress(OSError):
                fsguard.remove_index_file(self.index_dir, name)

    def _create(self, reason: str,
                check_again: Callable[[], tuple[windex.Index | None, str]]) -> tuple[windex.Index, str]:
        """Create an empty index, or rebuild one: Parallax's own index files go first.

        Done with the writer lock held, after ``check_again`` under it: another process may
        have created or rebuilt the index while this one waited. Returns the index and the
        reason it was built ("" when ``check_again`` found it sound after all).
        """
        with self.locked():
            ix, now = check_again()
            if ix is not None:
                return ix, ""
            reason = reason or now
            if reason != "new index":
                self.messages.append(f"Rebuilding the index: {reason}.")
            # The state store is emptied by the manifest written below, not deleted (a reader in
            # another process may hold it open), unless it is damaged.
            keep = {fsguard.INDEX_MARKER, WRITELOCK}
            store_damaged = self._load_manifest()[1].startswith(f"index file {self.store.path.name} ")
            if not store_damaged:
                keep.update(n for n in fsguard.index_files(self.index_dir) if n.startswith(fsguard.INDEX_STORE))
            for name in fsguard.index_files(self.index_dir):
                if name not in keep:
                    with contextlib.suppress(FileNotFoundError):
                        fsguard.remove_index_file(self.index_dir, name)
            self.store.forget()
            ix = self.storage().create_index(make_schema(), indexname=INDEX_NAME)
            self._write_manifest({})
        return ix, reason

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
        self._claim()
        self._migrate_legacy()
        ix, reason = self._diagnose()
        if ix is not None:
            return ix, ""
        return self._create(reason, self._diagnose)

    def _diagnose(self) -> tuple[windex.Index | None, str]:
        """Open the index as it is: ``(index, "")``, or ``(None, why it must be built)``."""
        manifest, why = self._load_manifest()
        try:
            present = self.index_dir.exists() and windex.exists_in(str(self.index_dir), indexname=INDEX_NAME)
        except Exception:
            present, manifest = True, None
        if not present:
            return None, "new index"
        if manifest is None:
            return None, why or "index could not be read"
        if damaged := self.damaged_files(manifest):
            return None, f"index file {damaged[0]} is damaged (its checksum differs)"
        try:
            ix = self.storage().open_index(INDEX_NAME)
            # Touch every segment so corruption shows now; a reader, not a searcher: importing
            # Whoosh's search module cost a small indexing run 10 ms of its 0.3 s.
            with ix.reader() as r:
                r.doc_count()
                for name in ("title", "body"):
                    with contextlib.suppress(KeyError):
                        r.field_length(name)
        except Exception:
            return None, "index could not be read (its files are damaged or from another version)"
        if ix.schema.names() != make_schema().names():
            return None, "index was made with other fields"
        return ix, ""

    def close(self) -> None:
        """Release the index handle."""
        if self._ix is not None:
            self._ix.close()
            self._ix = None

    # ------------------------------------------------------------------ updating

    def _writer(self, ix: windex.Index) -> SegmentWriter:
        """A segment writer; the caller holds the writer lock (:meth:`locked`).

        The numpy writer, or Whoosh's own where the engine runs stock (:mod:`app.core.engine.release`).
        """
        try:
            if not release.fast():
                return SegmentWriter(ix, _lk=False)
            return ArraySegmentWriter(ix, run_tokens=self.run_tokens, _lk=False)
        except LockError:
            raise IndexError_("another Parallax process is updating this index; "
                              "try again when it finishes") from None

    def recover(self, exc: BaseException) -> bool:
        """After a failed read: verify every checksum; on a mismatch rebuild (one message).

        Returns True when the index was found damaged and rebuilt empty (update it next).
        """
        if not isinstance(exc, READ_ERRORS):
            return False
        damaged = self.damaged_files(full=True)
        if not damaged:
            return False
        self.close()

        def still_damaged() -> tuple[windex.Index | None, str]:
            if self.damaged_files(full=True):
                return None, ""
            return self._diagnose()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            self._ix, _ = self._create(f"index file {damaged[0]} is damaged (its checksum differs)", still_damaged)
        return True

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
        yield Progress(0, 0, "", "scanning")
        found, scan_skipped = self.scan()
        plan = self._plan(found, scan_skipped, report)
        if plan is None:
            report.seconds = time.perf_counter() - t0
            yield Progress(0, 0, "", "done")
            return report
        with self.locked():
            # Planned again under the lock: another process may have updated the index meanwhile.
            report = IndexReport(rebuilt_reason=report.rebuilt_reason)
            plan = self._plan(found, scan_skipped, report)
            if plan is None:
                report.seconds = time.perf_counter() - t0
                yield Progress(0, 0, "", "done")
                return report
            self._sweep()
            self._ix = None
            ix, _ = self.open()
            return (yield from self._apply(ix, plan, report, t0, should_cancel))

    def _plan(self, found: dict, scan_skipped: list[Skipped], report: IndexReport) -> tuple | None:
        """What an update has to do, from the manifest and a scan; None when nothing.

        Skipped files recorded with their size and time are not read again until they change.
        """
        manifest = self._read_manifest()
        known: dict[str, list] = dict(manifest.files) if manifest is not None else {}
        old_skipped = manifest.skipped if manifest is not None else {}
        skipped: dict[str, list] = {}
        report.skipped = list(scan_skipped)
        todo: list[tuple[str, str, int, int]] = []
        for aid, (path, size, mtime) in found.items():
            entry = known.get(aid)
            old = old_skipped.get(aid)
            if entry and entry[0] == size and entry[1] == mtime:
                report.unchanged += 1
            elif aid not in known and isinstance(old, list) and len(old) == 3 and old[:2] == [size, mtime]:
                skipped[aid] = old
                report.skipped.append(Skipped(aid, str(old[2])))
            else:
                todo.append((aid, path, size, mtime))
        gone = [aid for aid in known if aid not in found]
        if not todo and not gone and skipped == old_skipped:
            return None
        return known, skipped, todo, gone, found

    def _apply(self, ix: windex.Index, plan: tuple, report: IndexReport, t0: float,
               should_cancel: Callable[[], bool] | None) -> Iterator[Progress]:
        """Carry out a plan with the writer lock held; the previous generation stays readable on failure."""
        known, skipped, todo, gone, found = plan
        before = (dict(known), dict(skipped))
        total = len(todo)
        if todo:
            # What exists now (modules, caches, the manifest) is no garbage of this load: set
            # aside, the collector's full passes during it scan only what the load makes (3 %
            # of a small load's CPU). It stays frozen, as the window keeps it (unfreezing hands
            # everything to one long collection); reference counting still frees it.
            gc.freeze()
        writer = self._writer(ix)
        # Documents may be in the index without a manifest entry (a crash between the index
        # commit and the manifest write): new ids replace what the index holds unless it is empty.
        self._index_empty = ix.doc_count_all() == 0
        committed = False
        try:
            for aid in gone:
                writer.delete_by_term("id", aid)
                known.pop(aid, None)
                report.removed.append(aid)
                for listener in self.listeners:
                    listener.article_removed(aid)
            workers, share = self._bulk_plan(len(todo), sum(size for _aid, _path, size, _mtime in todo))
            if workers:
                segments = yield from self._bulk(ix, writer, todo, known, report, workers, should_cancel,
                                                 share)
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
                # A failed write (disk full...) leaves no partial segment, pool or temp file behind.
                storage = getattr(writer, "storage", None)
                if isinstance(storage, fsguard.GuardedStorage):
                    storage.abandon()
                self._sweep()
        if not report.changed:
            self._sweep()  # the cancelled writer's empty segment files
        for s in report.skipped:
            entry = found.get(s.path)
            if entry is not None and s.path not in known:
                skipped[s.path] = [entry[1], entry[2], s.reason]
        skipped = {aid: v for aid, v in skipped.items() if aid in found}
        if report.changed or (known, skipped) != before:
            self._write_manifest(known, skipped)
        self._ix = None  # reopen to see the new generation
        report.seconds = time.perf_counter() - t0
        yield Progress(total, total, "", "done")
        return report

    def _bulk_workers(self, n: int, nbytes: int) -> int:
        """Worker processes for ``n`` files of ``nbytes``: 0 (index in this process) unless the batch is large."""
        return self._bulk_plan(n, nbytes)[0]

    def shares(self, n: int, nbytes: int) -> bool:
        """Whether ``n`` new files of ``nbytes`` are worth a worker process beside this one.

        With ``share_threshold`` set, from that many files. Otherwise when this process alone
        would take at least :data:`SHARE_FORKED_S` (forked workers, see
        ``bulkindex.start_method``: they start in milliseconds) or :data:`SHARE_SPAWNED_S`
        (spawned ones first import numpy, Whoosh and the reader, about 0.4 s of a core: on
        less work they start too late to take a useful share) by :func:`serial_seconds`.
        """
        if self.share_threshold is not None:
            return n >= self.share_threshold
        forked = bulkindex.start_method() == "fork"
        return serial_seconds(n, nbytes) >= (SHARE_FORKED_S if forked else SHARE_SPAWNED_S)

    def _bulk_plan(self, n: int, nbytes: int) -> tuple[int, bool]:
        """(worker processes, whether this process indexes a share too) for ``n`` files of ``nbytes``."""
        cores = os.cpu_count() or 1
        if not release.fast():
            return 0, False  # the workers write with the numpy writer: stock Whoosh indexes here
        if cores < 2 or nbytes < self.bulk_min_bytes or (n < self.bulk_threshold and not self.shares(n, nbytes)):
            return 0, False
        if n < self.bulk_threshold:
            return max(1, min(self.max_workers, cores) - 1), True
        return min(self.max_workers, cores), False

    def _forget(self, writer, aid: str, known: dict, report: IndexReport) -> None:
        writer.delete_by_term("id", aid)
        known.pop(aid, None)
        report.removed.append(aid)
        for listener in self.listeners:
            listener.article_removed(aid)

    def _serial(self, writer, todo: list, known: dict, report: IndexReport,
                should_cancel: Callable[[], bool] | None) -> Iterator[Progress]:
        total = len(todo)
        for n, (aid, path, _size, _mtime) in enumerate(todo, 1):
            if should_cancel is not None and should_cancel():
                report.cancelled = True
                break
            self._index_here(writer, aid, path, known, report)
            if n % 25 == 0 or n == total:
                yield Progress(n, total, aid)

    def _index_here(self, writer, aid: str, path: str, known: dict, report: IndexReport) -> None:
        """Read one file and add it through ``writer`` in this process."""
        entry = known.get(aid)
        try:
            article = read_article(path, self.corpus_root)
        except Exception as exc:
            # A ReadError is the file's fault and says why; anything else is a reader bug: the
            # file is skipped with a plain reason, as the workers do, and the details are logged.
            if isinstance(exc, ReadError):
                reason = str(exc)
            else:
                crashlog.record(exc)
                reason = "could not be read"
            report.skipped.append(Skipped(aid, reason))
            if entry is not None:
                self._forget(writer, aid, known, report)
            return
        if entry and len(entry) > 2 and entry[2] == article.content_hash:
            known[aid] = [article.size, article.mtime_ns, article.content_hash]
            report.unchanged += 1  # touched but not changed: no rewrite
        else:
            doc = document_for(article)
            if entry is None and self._index_empty:
                writer.add_document(**doc)  # nothing to replace: no searcher opened per document
            else:
                writer.update_document(**doc)
            for listener in self.listeners:
                listener.article_indexed(article)
            (report.updated if entry else report.added).append(aid)
            known[aid] = [article.size, article.mtime_ns, article.content_hash]

    def _bulk(self, ix: windex.Index, writer, todo: list, known: dict,
              report: IndexReport, workers: int,
              should_cancel: Callable[[], bool] | None, share: bool = False) -> Iterator[Progress]:
        """Index ``todo`` in worker processes; returns the segments they wrote.

        With ``share`` this process indexes chunks of the files too, through ``writer``,
        while the workers start and run.
        """
        total = len(todo)
        # Documents may be in the index without a manifest entry (a crash between the index
        # commit and the manifest write), so added ids are deleted first unless it is empty.
        index_empty = ix.doc_count_all() == 0
        paths = {aid: path for aid, path, _size, _mtime in todo}
        jobs = [(aid, str(path), _old_hash(known.get(aid))) for aid, path, _size, _mtime in todo]
        load = bulkindex.BulkLoad(self.index_dir, INDEX_NAME, self.corpus_root, jobs,
                                  workers=workers, send_articles=bool(self.listeners),
                                  segment_tokens=self.segment_tokens, run_tokens=self.run_tokens,
                                  share=share)
        done = 0

        def cancelled() -> bool:
            if not report.cancelled and should_cancel is not None and should_cancel():
                report.cancelled = True
                load.stop()
            return report.cancelled

        def received(item: bulkindex.Done) -> None:
            if item.kind is bulkindex.DoneKind.SKIP:
                report.skipped.append(Skipped(item.aid, item.reason))
                if item.aid in known:
                    self._forget(writer, item.aid, known, report)
            elif item.kind is bulkindex.DoneKind.SAME:
                known[item.aid] = item.entry
                report.unchanged += 1
            else:
                entry = known.get(item.aid)
                if entry is not None or not index_empty:
                    writer.delete_by_term("id", item.aid)
                for listener in self.listeners:
                    listener.article_indexed(item.article)
                (report.updated if entry else report.added).append(item.aid)
                known[item.aid] = item.entry

        try:
            while not cancelled() and (chunk := load.take()) is not None:
                for aid, _path, _old in chunk:
                    if cancelled():
                        break
                    self._index_here(writer, aid, paths[aid], known, report)
                    done += 1
                    if done % 25 == 0:
                        yield Progress(done, total, aid)
                for item in load.ready():
                    received(item)
                    done += 1
            for item in load:
                if item.kind is not bulkindex.DoneKind.TICK:
                    received(item)
                    done += 1
                cancelled()
                if item.kind is bulkindex.DoneKind.TICK or done % 25 == 0:
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


def serial_seconds(n: int, nbytes: int) -> float:
    """About how long this process alone takes to index ``n`` new files of ``nbytes`` (one core
    of a 2020s laptop: 0.6 ms a file and 0.17 µs a byte; measured 0.9 ms for a 1.5 KB article,
    2.8 ms for a 13 KB one)."""
    return n * 0.6e-3 + nbytes * 0.17e-6


def _crc(path: Path) -> int:
    """CRC-32 of a file, read in 1 MB blocks."""
    crc = 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            crc = zlib.crc32(block, crc)
    return crc
