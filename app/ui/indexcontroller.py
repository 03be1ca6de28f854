"""The open corpus and its index: opened and updated on the index-writer thread, progress reported.

:class:`IndexController` owns the corpus folder, the :class:`~app.core.workspace.corpus.Corpus` and the index
update's lifecycle; the window only shows what it reports. There is one Corpus per open folder,
created on the index-writer thread (so the core loads off the GUI thread at launch) and shared by
everything that reads the corpus: comparisons, stories, the reuse docks, searches.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.core.storage.paths import default_corpus
from app.ui import settings
from app.ui.models import SortedIds, sorted_ids
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error, while_alive

if TYPE_CHECKING:
    from app.core.engine.index import IndexReport
    from app.core.workspace.corpus import ArticleInfo, Corpus


class IndexController(QObject):
    """Opens corpus folders and keeps their index up to date, one update at a time.

    Args:
        writer: The pool that runs index updates one at a time.
        index_dir: Index folder for the corpora opened (default: per corpus, in the data folder).
        listing_order: The order the article list is shown in (the listing is sorted off the GUI thread).
        parent: The owning QObject.
    """

    opened = Signal(object)  # Path: a folder is now the corpus; its Corpus is not loaded yet
    corpusReady = Signal(object)  # Corpus: the one :meth:`request_corpus` waited for
    corpusFailed = Signal(str)  # the Corpus could not be created (why)
    listingReady = Signal(object, object, object)  # Corpus, list[ArticleInfo], SortedIds
    busyChanged = Signal(bool)
    progressChanged = Signal(int, int)  # done, total; total 0: busy, no count known
    statusChanged = Signal(str, object)  # index status line, its tooltip (None: unchanged)
    message = Signal(str, int)  # a passing status-bar message and its duration in ms
    finished = Signal(object)  # IndexReport
    failed = Signal(str)

    def __init__(self, writer: WorkerPool, *, index_dir: Path | str | None = None,
                 listing_order: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._writer = writer
        self._index_dir = index_dir
        self._listing_order = listing_order
        self._root: Path | None = None
        self._corpus: Corpus | None = None
        self._worker: GeneratorWorker | None = None
        self._files: Corpus | None = None  # while no folder is open: articles given as files
        self._files_worker: GeneratorWorker | None = None

    # ------------------------------------------------------------------ state

    def root(self) -> Path | None:
        """The open corpus folder."""
        return self._root

    def corpus(self) -> Corpus | None:
        """The open corpus, once the index-writer thread has created it."""
        return self._corpus

    def request_corpus(self) -> Corpus | None:
        """The Corpus articles resolve in now, or None: :attr:`corpusReady` (or :attr:`corpusFailed`) follows.

        It is the open folder's, created by the index update once it runs. While no folder is open,
        files are read as the embedded corpus reads them; that Corpus too is made once, on the
        index-writer thread, and kept until a folder opens.
        """
        if self._root is not None:
            if self._corpus is None and self._worker is None:
                self.start()  # the last attempt failed before the Corpus was made: try again
            return self._corpus
        if self._files is None and self._files_worker is None:
            self._start_files_corpus()
        return self._files

    def index_dir(self) -> Path | str | None:
        """The index folder given at start (None: per corpus, in the data folder)."""
        return self._index_dir

    def is_indexing(self) -> bool:
        """True while an index update of the open corpus runs."""
        return self._worker is not None

    # ------------------------------------------------------------------ commands

    def open_folder(self, folder: Path | str) -> bool:
        """Make ``folder`` the corpus: its indexed articles are listed at once, then the index is updated.

        Returns:
            False when the folder does not exist (nothing changed).
        """
        path = Path(folder).expanduser()
        if not path.is_dir():
            return False
        if self._worker is not None:
            self._worker.cancel()
        self._root = path.resolve()
        self._corpus = None
        self._files = None
        self.opened.emit(self._root)
        settings.add_recent_corpus(self._root)
        self.start()
        return True

    def set_follow_links(self, checked: bool) -> None:
        """Read links pointing outside the corpus, or stop: remembered per corpus, which reopens with it."""
        if self._root is not None and checked != settings.follow_links_outside(self._root):
            settings.set_follow_links_outside(self._root, checked)
            self.open_folder(self._root)  # the corpus and its index walk with the new choice

    def start(self) -> GeneratorWorker | None:
        """Update the open corpus's index on the index-writer thread."""
        root = self._root
        if root is None:
            return None
        worker = GeneratorWorker(self._job(root, self._corpus), "index")
        self._worker = worker
        worker.signals.yielded.connect(while_alive(self, lambda item: self._step(worker, item)))
        worker.signals.finished.connect(while_alive(self, lambda report: self._done(worker, report)))
        worker.signals.failed.connect(while_alive(self, lambda exc: self._error(worker, exc)))
        self.busyChanged.emit(True)
        self.progressChanged.emit(0, 0)
        self.statusChanged.emit("Opening index…", None)
        self._writer.submit(worker)
        return worker

    def reindex(self) -> bool:
        """Re-index the open corpus; False (and a message) while an update runs."""
        if self.is_indexing():
            self.message.emit("Already indexing", 3000)
            return False
        self.start()
        return True

    def cancel(self) -> None:
        """Stop the running index update; what it committed stays searchable."""
        if self._worker is not None:
            self._worker.cancel()
            self.statusChanged.emit("Cancelling…", None)

    # ------------------------------------------------------------------ the jobs

    def _start_files_corpus(self) -> None:
        root, index_dir = default_corpus(), self._index_dir
        follow = settings.follow_links_outside(root)

        def make() -> Corpus:
            # Imported here for start-up time: the core (Whoosh) loads on the index-writer thread.
            from app.core.workspace.corpus import Corpus

            return Corpus(root, index_dir, follow_links_outside=follow)

        worker = GeneratorWorker.call(make, name="corpus")
        self._files_worker = worker
        worker.signals.finished.connect(while_alive(self, lambda corpus: self._files_made(worker, corpus)))
        worker.signals.failed.connect(while_alive(self, lambda exc: self._files_made(worker, None, exc)))
        self._writer.submit(worker)

    def _files_made(self, worker: GeneratorWorker, corpus: Corpus | None, exc: object = None) -> None:
        if worker is not self._files_worker:
            return
        self._files_worker = None
        if self._root is not None:
            return  # a folder opened meanwhile: its own Corpus is the one to wait for
        if corpus is None:
            self.corpusFailed.emit(describe_error(exc) if isinstance(exc, BaseException) else str(exc))
            return
        self._files = corpus
        self.corpusReady.emit(corpus)

    def _job(self, root: Path, corpus: Corpus | None) -> Callable[[Callable[[], bool]], Generator[Any, None, Any]]:
        index_dir = self._index_dir
        follow = settings.follow_links_outside(root)
        order = self._listing_order()

        def listing(corpus: Corpus) -> tuple[list[ArticleInfo], SortedIds]:
            # The listing's 100,000 records set off full collections (60-115 ms each, the GIL
            # held, the window waiting) while they are read and sorted; none run until they are
            # made, and then they are frozen: they live as long as the corpus is listed.
            enabled = gc.isenabled()
            gc.disable()
            try:
                articles = corpus.listing()
                ordered = sorted_ids(articles, order)  # sorted here, off the GUI thread
                gc.freeze()
            finally:
                if enabled:
                    gc.enable()
            return articles, ordered

        def job(should_cancel: Callable[[], bool]) -> Generator[Any, None, Any]:
            nonlocal corpus
            # Opening reads the manifest (100,000 entries) and Whoosh's segments, and the scan
            # stats every file: no full collection until the scan is planned (see listing).
            enabled = gc.isenabled()
            gc.disable()
            try:
                if corpus is None:
                    # Imported here for start-up time: the core (Whoosh, about 0.3-0.6 s) loads on
                    # this thread at launch, never on the GUI thread.
                    from app.core.workspace.corpus import Corpus

                    corpus = Corpus(root, index_dir, follow_links_outside=follow)
                    yield ("corpus", corpus)
                # The stored listing opens (or creates) the index: searching can start right away.
                yield ("listing", listing(corpus))
                steps = corpus.index.update_steps(should_cancel)
                while True:
                    try:
                        step = next(steps)
                    except StopIteration as stop:
                        report = stop.value
                        break
                    # Indexing builds millions of objects; a full garbage collection over them
                    # holds the GIL for 150-400 ms and freezes the window. Freezing what exists
                    # keeps each collection to the objects made since the last step. They stay
                    # frozen: unfreezing hands them all to the next full collection (a 400 ms
                    # freeze at 100,000 articles). Reference counting still frees them; only
                    # cyclic garbage among them is kept.
                    gc.freeze()
                    if step.phase != "scanning" and enabled:
                        gc.enable()  # planned: indexing collects, frozen a step at a time
                    yield ("progress", step)
            finally:
                if enabled:
                    gc.enable()
            if report.changed:
                yield ("listing", listing(corpus))
            return report

        return job

    def _step(self, worker: GeneratorWorker, tagged: tuple[str, Any]) -> None:
        if worker is not self._worker:
            return
        kind, item = tagged
        if kind == "corpus":
            self._corpus = item
            self.corpusReady.emit(item)
        elif kind == "listing" and self._corpus is not None:
            self.listingReady.emit(self._corpus, *item)
        elif kind == "progress":
            if item.phase == "indexing" and item.total:
                self.progressChanged.emit(item.done, item.total)
                self.statusChanged.emit(f"Indexing {item.done:,} / {item.total:,}", None)
            elif item.phase == "scanning":
                self.statusChanged.emit("Scanning folder…", None)
            elif item.phase == "committing":
                self.progressChanged.emit(0, 0)
                self.statusChanged.emit("Saving index…", None)

    def _done(self, worker: GeneratorWorker, report: IndexReport | None) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        self.busyChanged.emit(False)
        if report is None:  # the job stopped before the index opened
            return
        if report.cancelled:
            self.statusChanged.emit("Indexing cancelled", "Press F5 to finish indexing")
        else:
            changed = len(report.added) + len(report.updated) + len(report.removed)
            tip = f"{changed:,} change(s) indexed in {report.seconds:.1f} s" if changed else "No changes"
            if report.skipped:
                tip += f"; {len(report.skipped):,} file(s) skipped"
            self.statusChanged.emit("Index up to date", tip)
        if report.skipped and not report.cancelled:
            self.message.emit(f"{len(report.skipped):,} file(s) could not be read, e.g. {report.skipped[0].path}: "
                              f"{report.skipped[0].reason}", 8000)
        self.finished.emit(report)

    def _error(self, worker: GeneratorWorker, exc: object) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        self.busyChanged.emit(False)
        message = describe_error(exc) if isinstance(exc, BaseException) else str(exc)
        self.statusChanged.emit("Index not available", message)
        if self._corpus is None:
            self.corpusFailed.emit(message)
        self.failed.emit(message)
