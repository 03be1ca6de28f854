"""Parallel bulk loading for :class:`~app.core.engine.index.CorpusIndex`: worker processes write segments.

Each worker process reads and parses its share of the files and adds them to its own Whoosh
segment (no index lock: the parent's writer holds it); the parent applies deletions, keeps the
manifest, calls the listeners with the parsed articles, and commits every worker segment in
one table-of-contents write, so an interrupted load leaves the previous generation intact.
"""

from __future__ import annotations

import contextlib
import marshal
import multiprocessing
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import PostingPool, SegmentWriter

from app.core.reading.model import Article

# Postings per marshalled chunk when the pool spills sorted runs to disk.
_RUN_CHUNK = 4096
# Documents per result message: fewer, larger messages keep the parent's share of a core small.
_BATCH = 32
_JOB_CHUNK = 64
# Files per chunk when the parent takes chunks too: smaller, so that whoever finishes last
# does not keep the other core waiting long.
_SHARED_CHUNK = 24
# A worker's held tokens are sorted and set aside on disk as a run after this many (about
# 3,000 generated articles), which bounds its memory: encoding a run peaks at about 55 bytes
# a token. The runs are merged into one segment when the worker finishes.
RUN_TOKENS = 4_000_000
# A worker closes its segment and starts another after this many analysed tokens (about
# 75,000 generated articles), or once its table of raw tokens passes TABLE_LIMIT entries.
# Few large segments keep searches fast: each segment costs every query a term lookup, and
# Whoosh scores every posting of an OR in segments under 5,000 documents.
SEGMENT_TOKENS = 100_000_000
TABLE_LIMIT = 2_000_000
# Scheduling priority the worker processes lower themselves by (POSIX nice).
WORKER_NICE = 10
# Test hook: seconds to sleep after the segments are written and before the table of contents
# is, so a test can kill the process mid-commit. Unset in normal use.
PAUSE_ENV = "PARALLAX_TEST_PAUSE_IN_COMMIT"
START_ENV = "PARALLAX_WORKER_START"


def start_method() -> str:
    """How worker processes are started: ``"fork"`` where that is safe, else ``"spawn"``.

    A spawned worker imports numpy, Whoosh and the reader before it takes a file (about 0.4 s
    of a core); a forked one has them already and starts in milliseconds, so a corpus of a few
    hundred articles can be shared between two cores. Forking is safe only in a process with
    no other thread (a thread holding a lock at the fork leaves it held in the child for
    good): the command line, not the window (Qt's threads, the indexing thread). Linux only
    (macOS frameworks are not fork-safe and Windows cannot fork). ``PARALLAX_WORKER_START=spawn``
    forces spawning.
    """
    if os.environ.get(START_ENV) == "spawn" or not sys.platform.startswith("linux"):
        return "spawn"
    if "PySide6" in sys.modules or threading.active_count() > 1:
        return "spawn"
    return "fork"


class DoneKind(StrEnum):
    """What happened to one file, or a tick (no news yet: the caller may check for a cancel)."""

    ADDED = "added"
    SAME = "same"  # the content is unchanged: only the manifest entry is new
    SKIP = "skip"  # the file could not be read; ``Done.reason`` says why
    TICK = "tick"


class Message(StrEnum):
    """The kinds of message a worker puts on the results queue, ``(kind, payload)``."""

    BATCH = "batch"  # a list of Done
    SEGMENT = "segment"  # a finished segment; the worker goes on with a new one
    DONE = "done"  # the worker's last segment, or None; it has finished
    ERROR = "error"  # a user-facing reason; the worker has stopped


# The messages and Done items cross the process boundary through multiprocessing queues, which
# pickle them: enum members pickle by class and value, which a spawned worker imports too.
# (Only the pool's postings go through marshal, which could not serialise an enum.)
@dataclass(slots=True)
class Done:
    """One file handled by a worker."""

    kind: DoneKind
    aid: str
    entry: list | None = None  # manifest entry [size, mtime_ns, hash]
    reason: str = ""
    article: Article | None = None


class _LeanPool(PostingPool):
    """Whoosh's posting pool without per-posting type asserts (the postings come from our fields)."""

    def add(self, item: tuple) -> None:
        self.fieldnames.add(item[0])
        # Whoosh's own size estimate, so memory use and spilling behave as before.
        self.currentsize += 174 + len(item[0]) + 2 * len(item[1]) + len(item[4] or b"")
        if self.currentsize > self.limit:
            self.save()
        self.current.append(item)

    # Whoosh pickles spilled postings one by one; whole chunks through marshal are ~10x cheaper.
    def _write_run(self, f, items) -> None:
        chunk: list = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= _RUN_CHUNK:
                marshal.dump(chunk, f)
                chunk = []
        if chunk:
            marshal.dump(chunk, f)
        f.close()

    def _read_run(self, path: str) -> Iterator[tuple]:
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = marshal.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


class _Lengths:
    """Field lengths of the new segment's documents, as the posting writer asks for them.

    Whoosh reads each posting's field length back from the length column file (a few
    microseconds per posting); remembering the quantised lengths while adding is much cheaper.
    """

    def __init__(self) -> None:
        self.known: dict[str, dict[int, int]] = {}
        self.fallback = None
        self.unscored: set[str] = set()

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        found = self.known.get(fieldname, {}).get(docnum)
        if found is not None:
            return found
        if self.fallback is None or fieldname in self.unscored:
            return default  # no length column: the reader would stat a missing file per posting
        return self.fallback.doc_field_length(docnum, fieldname, default)


class LeanSegmentWriter(SegmentWriter):
    """A Whoosh SegmentWriter with cheaper per-posting bookkeeping; the files it writes are identical."""

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, **kwargs)
        self.pool = _LeanPool(self._tempstorage, self.newsegment, limitmb=kwargs.get("limitmb", 128))
        self._lengths = _Lengths()
        self._lengths.unscored = {name for name, field in self.schema.items() if not field.scorable}
        add_field = self.perdocwriter.add_field
        known = self._lengths.known

        def record(fieldname: str, fieldobj, value, length) -> None:
            if length:
                lengths = known.get(fieldname)
                if lengths is None:
                    lengths = known[fieldname] = {}
                lengths[self.docnum] = byte_to_length(length_to_byte(length))
            add_field(fieldname, fieldobj, value, length)

        self.perdocwriter.add_field = record

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        self._lengths.fallback = pdr
        self.fieldwriter.add_postings(self.schema, self._lengths if pdr else None,
                                      self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr:
            pdr.close()


class WorkerFailed(Exception):
    """A worker process failed; the message is user-facing."""


# Segments with fewer documents than this are merged once there are MERGE_AFTER of them.
SMALL_SEGMENT = 400
MERGE_AFTER = 6


def merge_small(writer, segments: list) -> list:
    """Merge policy: fold small segments (from incremental updates) into the new one.

    Whoosh's default policy may merge any number of large segments, which its pure-Python
    writer does at about 20 ms per article: minutes for a corpus loaded in several bulk
    segments. Only segments under :data:`SMALL_SEGMENT` documents are merged here, and only
    once :data:`MERGE_AFTER` of them exist, so a merge stays a few seconds at most.
    """
    from whoosh.reading import SegmentReader

    small = [seg for seg in segments if seg.doc_count() < SMALL_SEGMENT]
    if len(small) < MERGE_AFTER:
        return list(segments)
    for seg in small:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg not in small]


def commit(writer, extra_segments: list, merge: bool = True) -> None:
    """Commit ``writer`` (a Whoosh SegmentWriter) plus segments written by other processes.

    The same steps as ``SegmentWriter.commit``, with the worker segments added to the new table
    of contents: segments first, the TOC last (Whoosh writes it to a temp file and renames it).
    """
    final = writer._merge_segments(merge_small if merge else None, None, merge)
    if writer._added:
        final.append(writer._finalize_segment())
    else:
        writer._close_segment()
    final.extend(extra_segments)
    pause = os.environ.get(PAUSE_ENV)
    if pause:
        time.sleep(float(pause))
    writer._commit_toc(final)
    writer._finish()


def _reason(what: str, exc: Exception) -> str:
    """A user-facing reason: the system's own words for an OSError (disk full...), no Python names."""
    detail = exc.strerror if isinstance(exc, OSError) else None
    return f"{what} ({detail})" if detail else what


def _worker(index_dir: str, indexname: str, corpus_root: str, jobs, results, stop,
            send_articles: bool, limitmb: int, segment_tokens: int, run_tokens: int,
            background: bool = True) -> None:
    """Worker process: parse files from ``jobs`` into a new segment; report on ``results``."""
    from app.core.engine.analysis import TermTable
    from app.core.engine.index import document_for
    from app.core.engine.segwriter import ArraySegmentWriter
    from app.core.reading.reader import ReadError, prefetch, read_article
    from app.core.storage import crashlog
    from app.core.storage.fsguard import GuardedStorage

    def new_writer(table: TermTable | None = None) -> ArraySegmentWriter:
        if table is not None and len(table) > TABLE_LIMIT:
            table = None
        return ArraySegmentWriter(ix, table, run_tokens=run_tokens, _lk=False, limitmb=limitmb, compound=False)

    if background and hasattr(os, "nice"):
        # Background priority: when the cores are busy the window's process runs first.
        with contextlib.suppress(OSError):
            os.nice(WORKER_NICE)
    chunk = jobs.get()
    if chunk is None or stop.is_set():
        # Nothing left for this worker (the parent took the last files while it started):
        # it leaves without touching the index.
        results.put((Message.DONE, None))
        return
    try:
        ix = GuardedStorage(index_dir).open_index(indexname)
        writer = new_writer()
    except Exception as exc:
        results.put((Message.ERROR, _reason("cannot open the index", exc)))
        return
    root = Path(corpus_root)
    batch: list[Done] = []
    try:
        while chunk is not None and not stop.is_set():
            # The next chunk's files are read ahead by the kernel while this one is parsed: a
            # worker that waited for each file to come off the disk would leave its core idle.
            upcoming = jobs.get()
            if upcoming is not None:
                prefetch(path for _aid, path, _hash in upcoming)
            for aid, path, old_hash in chunk:
                if stop.is_set():
                    break
                try:
                    article = read_article(path, root)
                except ReadError as exc:
                    batch.append(Done(DoneKind.SKIP, aid, reason=str(exc)))
                    continue
                except Exception as exc:
                    # A reader bug, not the file's fault: the user sees a plain reason, no Python
                    # names; the details go to the crash log.
                    crashlog.record(exc)
                    batch.append(Done(DoneKind.SKIP, aid, reason="could not be read"))
                    continue
                entry = [article.size, article.mtime_ns, article.content_hash]
                if old_hash == article.content_hash:
                    batch.append(Done(DoneKind.SAME, aid, entry))
                    continue
                writer.add_document(**document_for(article))
                batch.append(Done(DoneKind.ADDED, aid, entry, article=article if send_articles else None))
                if len(batch) >= _BATCH:
                    results.put((Message.BATCH, batch))
                    batch = []
                if writer.segment_tokens >= segment_tokens or len(writer.table) > TABLE_LIMIT:
                    results.put((Message.SEGMENT, writer._finalize_segment()))
                    writer = new_writer(writer.table)
            chunk = upcoming
        if batch:
            results.put((Message.BATCH, batch))
        segment = writer._finalize_segment() if writer._added else None
        if segment is None:
            writer._close_segment()
        results.put((Message.DONE, segment))
    except Exception as exc:
        with contextlib.suppress(Exception):
            writer.cancel()
        results.put((Message.ERROR, _reason("indexing failed", exc)))


class BulkLoad:
    """Run worker processes over ``todo`` and stream what they did; then hand over their segments.

    Iterate to receive :class:`Done` items; :attr:`segments` is complete when iteration ends.
    """

    def __init__(self, index_dir: Path, indexname: str, corpus_root: Path,
                 todo: list[tuple[str, str, str | None]], *, workers: int, send_articles: bool,
                 limitmb: int = 32, segment_tokens: int = SEGMENT_TOKENS, run_tokens: int = RUN_TOKENS,
                 share: bool = False) -> None:
        method = start_method()
        ctx = multiprocessing.get_context(method)
        self._jobs = ctx.Queue()
        self._results = ctx.Queue()
        self._stop = ctx.Event()
        # With ``share`` the parent takes chunks too (:meth:`take`): it indexes while the
        # workers start, and one core needs no process of its own.
        chunk = _SHARED_CHUNK if share else _JOB_CHUNK
        for i in range(0, len(todo), chunk):
            self._jobs.put(todo[i:i + chunk])
        for _ in range(workers + share):
            self._jobs.put(None)  # one end marker for each taker
        self._taking = share
        self._running = workers
        self.segments: list = []
        self._procs = [
            ctx.Process(target=_worker, daemon=True,
                        args=(str(index_dir), indexname, str(corpus_root), self._jobs,
                              self._results, self._stop, send_articles, limitmb, segment_tokens, run_tokens,
                              # Forked workers serve the command line (no window to keep
                              # responsive): at a lower priority, a busy machine would leave
                              # this process waiting for their last files.
                              method == "spawn"))
            for _ in range(workers)
        ]
        for p in self._procs:
            p.start()

    def stop(self) -> None:
        """Ask the workers to finish the file in hand and close their segments."""
        self._stop.set()

    def take(self) -> list[tuple[str, str, str | None]] | None:
        """The next chunk of files for the parent to index itself (``share``); None when none is left."""
        if not self._taking or self._stop.is_set():
            return None
        try:
            # Every chunk and end marker is queued before the workers start: one is there.
            chunk = self._jobs.get(timeout=5)
        except queue.Empty:
            chunk = None
        if chunk is None:
            self._taking = False
        return chunk

    def ready(self) -> Iterator[Done]:
        """What the workers have reported so far, without waiting."""
        while self._running:
            try:
                msg = self._results.get_nowait()
            except queue.Empty:
                return
            yield from self._handle(msg)

    def __iter__(self) -> Iterator[Done]:
        while self._running:
            try:
                msg = self._results.get(timeout=0.5)
            except queue.Empty:
                if not any(p.is_alive() for p in self._procs):
                    # Every worker exited; a last message may still be in the pipe.
                    try:
                        msg = self._results.get(timeout=2)
                    except queue.Empty:
                        raise WorkerFailed("an indexing process stopped unexpectedly") from None
                else:
                    yield Done(DoneKind.TICK, "")
                    continue
            yield from self._handle(msg)

    def _handle(self, msg: tuple) -> Iterator[Done]:
        kind = msg[0]
        if kind is Message.BATCH:
            yield from msg[1]
        elif kind is Message.SEGMENT:
            self.segments.append(msg[1])
        elif kind is Message.DONE:
            self._running -= 1
            if msg[1] is not None:
                self.segments.append(msg[1])
        else:
            raise WorkerFailed(msg[1])

    def close(self) -> None:
        """Stop and reap the worker processes (after success or failure)."""
        self._stop.set()
        self._jobs.cancel_join_thread()
        for p in self._procs:
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)
        self._jobs.close()
        self._results.close()
