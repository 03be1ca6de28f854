"""Generator workers and the single index-writer thread."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QObject, Qt

from app.core.engine.index import IndexReport, Progress
from app.core.reading.reader import ReadError
from app.core.workspace.corpus import Corpus
from app.ui.workers import GeneratorWorker, IndexWriter, WorkerPool, describe_error, while_alive


def test_call_returns_the_function_result(qtbot) -> None:
    pool = WorkerPool(1)
    worker = GeneratorWorker.call(lambda a, b: a + b, 2, 3)
    with qtbot.waitSignal(worker.signals.finished, timeout=5000) as blocker:
        pool.submit(worker)
    assert blocker.args == [5]
    assert pool.wait(2000)


def test_a_result_arriving_after_its_owner_is_deleted_is_dropped(qtbot) -> None:
    calls: list[object] = []
    alive, gone = QObject(), QObject()
    pool = WorkerPool(1)
    worker = GeneratorWorker.call(lambda: 7)
    worker.signals.finished.connect(while_alive(alive, calls.append))
    worker.signals.finished.connect(while_alive(gone, lambda r: calls.append(("gone", r))))
    shiboken6.delete(gone)  # the panel closed while its job ran
    with qtbot.waitSignal(worker.signals.finished, timeout=5000):
        pool.submit(worker)
    assert calls == [7]
    assert pool.wait(2000)


def test_failure_is_reported_as_a_message(qtbot) -> None:
    def boom() -> None:
        raise ReadError("cannot read: Permission denied")

    pool = WorkerPool(1)
    worker = GeneratorWorker.call(boom)
    with qtbot.waitSignal(worker.signals.failed, timeout=5000) as blocker:
        pool.submit(worker)
    assert describe_error(blocker.args[0]) == "cannot read: Permission denied"
    assert describe_error(FileNotFoundError(2, "No such file or directory", "/x")) == (
        "No such file or directory: /x"
    )
    assert pool.wait(2000)


def test_index_worker_reports_progress(qtbot, generated_corpus: Path) -> None:
    corpus = Corpus(generated_corpus)
    writer = IndexWriter()
    worker = GeneratorWorker(corpus.index.update_steps, "index")
    steps: list[Progress] = []
    worker.signals.yielded.connect(steps.append)
    with qtbot.waitSignal(worker.signals.finished, timeout=60000) as blocker:
        writer.submit(worker)
    report = blocker.args[0]
    assert isinstance(report, IndexReport)
    assert len(report.added) == 300 and not report.cancelled
    indexing = [s for s in steps if s.phase == "indexing"]
    assert len(indexing) > 1
    assert [s.done for s in indexing] == sorted(s.done for s in indexing)
    assert indexing[-1].done == indexing[-1].total == 300
    assert corpus.index.doc_count() == 300


def test_index_worker_can_be_cancelled(qtbot, generated_corpus: Path) -> None:
    corpus = Corpus(generated_corpus)
    writer = IndexWriter()
    worker = GeneratorWorker(corpus.index.update_steps, "index")

    def cancel_on_first_batch(step: Progress) -> None:
        if step.phase == "indexing" and step.done:
            worker.cancel()

    # A direct connection cancels in the worker thread itself, so the test cannot race it.
    worker.signals.yielded.connect(cancel_on_first_batch, Qt.ConnectionType.DirectConnection)
    with qtbot.waitSignal(worker.signals.finished, timeout=60000) as blocker:
        writer.submit(worker)
    report = blocker.args[0]
    assert report.cancelled
    assert 0 < len(report.added) < 300
    # What was committed stays; the next update indexes only the rest.
    again = GeneratorWorker(corpus.index.update_steps, "index")
    with qtbot.waitSignal(again.signals.finished, timeout=60000) as blocker:
        writer.submit(again)
    assert len(blocker.args[0].added) == 300 - len(report.added)
    assert corpus.index.doc_count() == 300


def test_index_writer_runs_one_update_at_a_time(qtbot) -> None:
    writer = IndexWriter()
    release = threading.Event()
    running: list[str] = []
    overlap: list[bool] = []

    def job(name: str):
        def steps(_should_cancel):
            overlap.append(bool(running))
            running.append(name)
            yield name
            if name == "first":
                assert release.wait(10)
            running.remove(name)
            return name

        return steps

    first = GeneratorWorker(job("first"))
    second = GeneratorWorker(job("second"))
    with qtbot.waitSignal(first.signals.yielded, timeout=5000):
        writer.submit(first)
        writer.submit(second)
    assert running == ["first"]  # the second waits while the first holds the writer
    assert writer.busy()
    with qtbot.waitSignal(second.signals.finished, timeout=5000):
        release.set()
    assert overlap == [False, False]
    assert writer.wait(2000)


@pytest.mark.parametrize("cancel_first", [True, False])
def test_cancel_all_reaches_queued_workers(qtbot, cancel_first: bool) -> None:
    pool = WorkerPool(1)
    seen: list[bool] = []

    def steps(should_cancel):
        seen.append(should_cancel())
        return None
        yield

    worker = GeneratorWorker(steps)
    if cancel_first:
        worker.cancel()
    with qtbot.waitSignal(worker.signals.done, timeout=5000):
        pool.submit(worker)
    assert seen == [cancel_first]


def test_a_job_whose_receiver_was_deleted_stops_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    import shiboken6

    closed: list[bool] = []

    def job(_should_cancel):
        try:
            yield from range(10)
        finally:
            closed.append(True)

    worker = GeneratorWorker(job)
    shiboken6.delete(worker.signals)  # what closing the window does to a running job's signals
    worker.run()
    assert closed == [True] and worker.cancelled
    assert "Traceback" not in capsys.readouterr().err
