"""Background work for the UI: generator workers on QThreadPool and the single index writer.

A job is a function taking a ``should_cancel`` callable and returning a generator; what it
yields is forwarded to the GUI thread (progress, partial results), and its return value is
the result. The job decides how to stop when cancelled, so an index update can still commit
what it finished.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Generator
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

Job = Callable[[Callable[[], bool]], Generator[Any, None, Any]]


def _user_errors() -> tuple[type[BaseException], ...]:
    # Imported on first use: the core (Whoosh, numpy) loads on a worker thread at launch, and
    # any exception of these types means their modules are loaded already.
    from app.core.engine.index import IndexError_
    from app.core.reading.reader import ReadError
    from app.core.search.fulltext import QueryError

    return ReadError, QueryError, IndexError_


def describe_error(exc: BaseException) -> str:
    """A one-line message for the user (no traceback) for an exception raised by a job."""
    if isinstance(exc, _user_errors()):
        return str(exc)
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    # Imported on first use, like the error types above: nothing else of the UI needs it.
    from app.core.storage.crashlog import record

    return f"unexpected error (a bug in Parallax); details in {record(exc)}"


def while_alive(owner: QObject, slot: Callable[..., object]) -> Callable[..., None]:
    """``slot``, called only while ``owner`` still exists.

    A worker's signals outlive the panel that started it: a lambda connected to them has no
    receiver for Qt to disconnect, so a job finishing after its tab or panel closed would call
    into a deleted widget.
    """
    def call(*args: object) -> None:
        if shiboken6.isValid(owner):
            slot(*args)

    return call


class WorkerSignals(QObject):
    """Signals of one worker, delivered in the thread of the connected receivers."""

    yielded = Signal(object)
    finished = Signal(object)  # the job's return value, also after a cancellation
    failed = Signal(object)  # the exception
    done = Signal()  # after finished or failed


class GeneratorWorker(QRunnable):
    """Runs a :data:`Job` on a thread pool, forwarding what it yields."""

    def __init__(self, job: Job, name: str = "") -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner keeps it until ``done``; Python owns the object
        self.signals = WorkerSignals()
        self.name = name
        self._job = job
        self._abort = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    @classmethod
    def call(cls, func: Callable[..., Any], *args: Any, name: str = "") -> GeneratorWorker:
        """A worker running a plain function once; its return value is the result."""

        def job(_should_cancel: Callable[[], bool]) -> Generator[Any, None, Any]:
            return func(*args)
            yield  # makes this function a generator

        return cls(job, name)

    def cancel(self) -> None:
        """Ask the job to stop at its next check."""
        self._abort.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._abort.is_set()

    def run(self) -> None:
        """Thread-pool entry point."""
        try:
            steps = self._job(self._abort.is_set)
            while True:
                try:
                    item = next(steps)
                except StopIteration as stop:
                    self.result = stop.value
                    break
                if not _emit(self.signals.yielded, item):
                    # Nobody listens any more (the window closed): stop the job quietly.
                    self._abort.set()
                    steps.close()
                    return
        except Exception as exc:
            self.error = exc
            if not isinstance(exc, (*_user_errors(), OSError)):
                traceback.print_exc()
            _emit(self.signals.failed, exc)
        else:
            _emit(self.signals.finished, self.result)
        _emit(self.signals.done)


def _emit(signal: Any, *args: Any) -> bool:
    """Emit ``signal``; False when its QObject was deleted (the window closed mid-job)."""
    try:
        signal.emit(*args)
    except RuntimeError:
        return False
    return True


class WorkerPool(QObject):
    """A thread pool that keeps its workers alive until they are done.

    Args:
        max_threads: Most jobs running at once; ``1`` runs them one after the other.
    """

    def __init__(self, max_threads: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._active: set[GeneratorWorker] = set()

    def submit(self, worker: GeneratorWorker) -> GeneratorWorker:
        """Queue ``worker``; it runs when a thread is free."""
        self._active.add(worker)
        worker.signals.done.connect(lambda: self._active.discard(worker))
        self._pool.start(worker)
        return worker

    def busy(self) -> bool:
        """True while a submitted worker has not finished."""
        return bool(self._active)

    def cancel_all(self) -> None:
        """Ask every queued or running worker to stop."""
        for worker in list(self._active):
            worker.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until every worker has finished (or ``msecs`` passed); True when all finished."""
        return self._pool.waitForDone(msecs)


class IndexWriter(WorkerPool):
    """The one thread that writes indexes: two updates never run at once.

    Whoosh allows a single writer per index; routing every update through one thread (as
    Anki does for its database) also means re-indexing while an update runs simply queues.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(1, parent)
