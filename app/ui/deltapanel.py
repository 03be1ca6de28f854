"""The "Critical changes" dock: what the current comparison changes in meaning, a click from its row.

It also puts the comparison's change label in the status bar and the tab tooltips, and the
label of each related article in the Related dock. Everything is computed by the core
(:mod:`app.core.align.changes`) on worker threads: the deltas of a 200-paragraph pair take a few
hundred milliseconds, and labelling Related means aligning with every related article.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.align.changes import PAIR_LABEL_HELP, Changes, PairChange, analyse, pair_change
from app.core.align.deltas import KIND_HELP, KIND_TITLE
from app.core.reading.model import Alignment
from app.core.workspace.links import align_with_links
from app.ui.comparisoncontroller import Boilerplate
from app.ui.workers import GeneratorWorker, WorkerPool, while_alive

if TYPE_CHECKING:
    from app.core.reading.model import Article, Paragraph
    from app.core.workspace.corpus import Corpus
    from app.ui.comparetabs import CompareTabs, TabEntry
    from app.ui.relatedpanel import RelatedPanel
    from app.ui.windowbase import WindowBase

RowRole = Qt.ItemDataRole.UserRole + 1
LABEL_REST_S = 0.03  # the longest rest between two Related labels (see RelatedLabeller)
LABEL_SHOW_S = 0.15  # Related labels found are shown at least this often
_CACHE = 16  # alignments whose changes are remembered (one per open tab, and some)


def _pair_tip(changes: Changes) -> str:
    pair = changes.pair
    return (f"{pair.describe()}\n{pair.label}: {PAIR_LABEL_HELP[pair.label]}\n"
            f"{len(changes.deltas)} critical change{'s' if len(changes.deltas) != 1 else ''}")


class DeltaPanel(QDockWidget):
    """Lists the critical deltas of the comparison in the current tab.

    Args:
        tabs: The comparison tabs (the panel follows the current one).
        pool: Where the analysis runs.
        parent: Parent widget.

    A click (or Enter) on a change emits :attr:`rowRequested` with its row index.
    """

    rowRequested = Signal(int)
    changesReady = Signal(object, object)  # Alignment, Changes (any tab's)

    EMPTY = "Open two articles to see what changed in meaning."
    WORKING = "Finding critical changes…"
    NONE = "No critical change in the matched paragraphs."

    def __init__(self, tabs: CompareTabs, pool: WorkerPool, parent: QWidget | None = None) -> None:
        super().__init__("Critical changes", parent)
        self.setObjectName("deltaDock")
        self._tabs = tabs
        self._pool = pool
        self._cache: OrderedDict[int, tuple[Alignment, Changes]] = OrderedDict()
        self._running: dict[int, GeneratorWorker] = {}
        self._shown: Alignment | None = None
        self.related_labeller: RelatedLabeller | None = None
        self.status_label: QLabel | None = None

        body = QWidget(self)
        box = QVBoxLayout(body)
        box.setContentsMargins(4, 4, 4, 4)
        self.header = QLabel(self.EMPTY, body)
        self.header.setObjectName("deltaHeader")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.tree = QTreeWidget(body)
        self.tree.setObjectName("deltaList")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Row", "Change", "Before", "After"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setColumnWidth(0, 44)
        self.tree.setColumnWidth(1, 150)
        self.tree.setColumnWidth(2, 150)
        self.tree.itemClicked.connect(lambda item, _col: self._open(item))
        self.tree.itemActivated.connect(lambda item, _col: self._open(item))
        self.row_label = QLabel("", body)
        self.row_label.setObjectName("deltaRowLabels")
        box.addWidget(self.header)
        box.addWidget(self.tree, 1)
        box.addWidget(self.row_label)
        self.setWidget(body)

        tabs.alignmentShown.connect(self._alignment_shown)
        tabs.currentTabChanged.connect(self.refresh)
        tabs.currentRowChanged.connect(self._row_changed)

    # --- following the tabs

    def changes(self, alignment: Alignment | None) -> Changes | None:
        """The changes of ``alignment`` once computed."""
        hit = self._cache.get(id(alignment)) if alignment is not None else None
        return hit[1] if hit is not None and hit[0] is alignment else None

    def refresh(self) -> None:
        """Show the current tab's comparison (computing its changes when not known yet)."""
        alignment = self._tabs.current_view().alignment()
        self._shown = alignment
        if alignment is None or not (alignment.left.id and alignment.right.id):
            self._show(None, self.EMPTY)
            return
        known = self.changes(alignment)
        if known is None:
            self._show(None, self.WORKING)
            self._start(alignment)
        else:
            self._show(known)

    def _alignment_shown(self, entry: TabEntry) -> None:
        alignment = entry.view.alignment() if entry.view is not None else None
        if alignment is not None and alignment.left.id and alignment.right.id:
            known = self.changes(alignment)
            if known is None:
                self._start(alignment)
            else:
                self.changesReady.emit(alignment, known)
        if entry is self._tabs.current_entry():
            self.refresh()

    def _start(self, alignment: Alignment) -> None:
        key = id(alignment)
        if key in self._running:
            return
        worker = GeneratorWorker.call(analyse, alignment, name="critical changes")
        self._running[key] = worker
        worker.signals.finished.connect(while_alive(self, lambda changes, a=alignment: self._done(a, changes)))
        worker.signals.failed.connect(while_alive(self, lambda _exc, a=alignment: self._failed(a)))
        self._pool.submit(worker)

    def _done(self, alignment: Alignment, changes: object) -> None:
        self._running.pop(id(alignment), None)
        self._cache[id(alignment)] = (alignment, changes)  # type: ignore[assignment]
        while len(self._cache) > _CACHE:
            self._cache.popitem(last=False)
        self.changesReady.emit(alignment, changes)
        if alignment is self._shown:
            self._show(changes)  # type: ignore[arg-type]

    def _failed(self, alignment: Alignment) -> None:
        self._running.pop(id(alignment), None)
        if alignment is self._shown:
            self._show(None, "Could not find the critical changes of this comparison.")

    # --- showing

    def _show(self, changes: Changes | None, message: str = "") -> None:
        self.tree.setSortingEnabled(False)
        self.tree.clear()
        self.row_label.setText("")
        if changes is None:
            self.header.setText(escape(message))
            self.header.setToolTip("")
            self.tree.setSortingEnabled(True)
            return
        pair = changes.pair
        count = len(changes.deltas)
        self.header.setText(
            f"<b>{escape(str(pair.label))}</b> · {pair.retained:.0f} % of the source's words unchanged · "
            f"{pair.added:.0f} % of the copy's words new<br>"
            + (f"{count} critical change{'s' if count != 1 else ''}" if count else escape(self.NONE)))
        self.header.setToolTip(_pair_tip(changes))
        items = []
        for d in changes.deltas:
            item = QTreeWidgetItem()
            item.setData(0, Qt.ItemDataRole.DisplayRole, d.row + 1)
            item.setData(0, RowRole, d.row)
            item.setText(1, f"{KIND_TITLE[d.kind]} {d.note}")
            item.setText(2, d.before)
            item.setText(3, d.after)
            tip = f"Row {d.row + 1}: {d.describe()}\n{KIND_TITLE[d.kind]}: {KIND_HELP[d.kind]}"
            for col in range(4):
                item.setToolTip(col, tip)
            items.append(item)
        self.tree.addTopLevelItems(items)
        self.tree.setSortingEnabled(True)
        self._row_changed(self._tabs.current_view().current_row())

    def _row_changed(self, row: int) -> None:
        changes = self.changes(self._shown)
        labels = changes.rows.get(row, ()) if changes is not None and row >= 0 else ()
        self.row_label.setText(f"Row {row + 1}: {', '.join(map(str, labels))}" if labels else "")

    def _open(self, item: QTreeWidgetItem) -> None:
        row = item.data(0, RowRole)
        if isinstance(row, int):
            self.rowRequested.emit(row)

    def wait(self, msecs: int = 5000) -> bool:
        """Wait for the running analyses and Related labels; True when all finished."""
        pools = [self._pool] + ([self.related_labeller.pool] if self.related_labeller is not None else [])
        return all([pool.wait(msecs) for pool in pools])

    def shutdown(self, msecs: int = 5000) -> None:
        """Stop labelling Related and wait for the running work (the window is closing)."""
        if self.related_labeller is not None:
            self.related_labeller.pool.cancel_all()
        self._pool.cancel_all()
        self.wait(msecs)


@dataclass
class _LabelRun:
    """One labelling of the Related list: its left article and what it aligns with."""

    aid: str
    corpus: Corpus
    boilerplate: Callable[[Paragraph], bool] | None
    asked: set[str] = field(default_factory=set)  # rows labelled or being labelled
    left: list[Article] = field(default_factory=list)  # the left article, once read (on the worker)


class RelatedLabeller(QObject):
    """Fills the Related dock with each related article's change label, off the GUI thread.

    Only the rows the analyst can see (and a few either side) are labelled, as they come into
    view: a story with 500 copies would otherwise align 500 pairs on a worker thread, in
    Python, holding the GIL the window needs for seconds after the map arrives. Each pair is
    aligned with the left article through :func:`app.core.workspace.links.align_with_links` (with the
    pair's manual links and the marks), a few pairs a job, the next job asked for when one
    ends; a change of list, links or marks starts over (:meth:`start`).

    Args:
        window: The main window (its corpus).
        related: The Related dock's list.
        pool: Where the labelling runs.
        boilerplate: The boilerplate test to align with now, marks included (None: not known yet).
    """

    BATCH = 4  # pairs aligned by one job

    def __init__(self, window: WindowBase, related: RelatedPanel, pool: WorkerPool,
                 boilerplate: Boilerplate) -> None:
        super().__init__(window)
        self._window = window
        self._related = related
        self.pool = pool
        self._boilerplate = boilerplate
        self._worker: GeneratorWorker | None = None
        self._run: _LabelRun | None = None
        related.model.modelReset.connect(self.start)
        related.rowsInViewChanged.connect(self._next)

    def busy(self) -> bool:
        """True while a labelling job runs."""
        return self._worker is not None

    def start(self) -> None:
        """Label the rows listed now, from those in view (cancelling the labelling of an earlier list)."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        aid = self._related.article()
        corpus = self._window.corpus()
        self._run = None
        if not aid or corpus is None or not self._related.model.rowCount():
            return
        # Marks made since the map was built count at once; a label once asked is not asked again.
        self._run = _LabelRun(aid, corpus, self._boilerplate())
        self._next()

    def _next(self) -> None:
        """Label the next few rows in view that were not labelled by this run yet."""
        run = self._run
        if self._worker is not None or run is None or self._related.article() != run.aid:
            return  # a running job asks again when it ends
        ids = [rid for rid in self._related.ids_in_view() if rid not in run.asked][:self.BATCH]
        if not ids:
            return
        run.asked.update(ids)
        corpus, boilerplate, left_cache, aid = run.corpus, run.boilerplate, run.left, run.aid

        def job(should_cancel: Callable[[], bool]) -> Generator[Any, None, None]:
            data = corpus.userdata.refresh()
            if not left_cache:
                left_cache.append(corpus.resolve(aid))
            left = left_cache[0]
            labels: dict[str, PairChange] = {}
            shown = time.perf_counter()
            for rid in ids:
                if should_cancel():
                    return
                started = time.perf_counter()
                try:
                    right = corpus.resolve(rid)
                except Exception:
                    continue
                # The pair as the analyst aligned it: its manual links and not-a-match pairs hold.
                labels[rid] = pair_change(align_with_links(corpus, left, right, boilerplate=boilerplate, data=data))
                if time.perf_counter() - shown > LABEL_SHOW_S:  # long pairs: show what is done
                    yield labels
                    labels, shown = {}, time.perf_counter()
                # Aligning is Python through and through: it would take the GIL back at every
                # switch interval while the window lays out and paints. Resting about as long as
                # it worked leaves the GUI thread the GIL half of the time.
                time.sleep(min(LABEL_REST_S, max(0.002, time.perf_counter() - started)))
            if labels:
                yield labels

        worker = GeneratorWorker(job, "related labels")
        self._worker = worker
        worker.signals.yielded.connect(while_alive(self, lambda item, w=worker, a=aid: self._labelled(w, a, item)))
        worker.signals.finished.connect(while_alive(self, lambda _r, w=worker: self._finished(w)))
        worker.signals.failed.connect(while_alive(self, lambda _e, w=worker: self._finished(w)))
        self.pool.submit(worker)

    def _labelled(self, worker: GeneratorWorker, aid: str, labels: dict[str, PairChange]) -> None:
        if worker is self._worker and self._related.article() == aid:
            self._related.model.set_labels({
                rid: f"{pair.label} · {pair.retained:.0f} % retained · {pair.added:.0f} % new"
                for rid, pair in labels.items()})

    def _finished(self, worker: GeneratorWorker) -> None:
        if worker is self._worker:
            self._worker = None
            self._next()


def install(window: WindowBase, *, view_menu: QMenu, related: RelatedPanel, boilerplate: Boilerplate) -> DeltaPanel:
    """Add the Critical changes dock to ``window``: View menu toggle, row jumps, status bar label,
    tab tooltips, and labels in ``related`` (the Related dock's list), aligned with ``boilerplate``."""
    pool = WorkerPool(1, window)  # its own thread: a long analysis never holds up an alignment
    panel = DeltaPanel(window.tabs, pool, window)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
    action = panel.toggleViewAction()
    action.setShortcut(QKeySequence("Ctrl+Shift+K"))
    action.setStatusTip("Show the changes that alter meaning in the current comparison")
    window.addAction(action)
    view_menu.addAction(action)
    status = QLabel("", window)
    status.setObjectName("changeLabel")
    window.statusBar().addPermanentWidget(status)
    panel.status_label = status

    def ready(alignment: Alignment, changes: Changes) -> None:
        for entry in window.tabs.entries():
            if entry.view is not None and entry.view.alignment() is alignment:
                window.tabs.set_change_tip(entry, _pair_tip(changes))
        current()

    def current() -> None:
        changes = panel.changes(window.tabs.current_view().alignment())
        status.setText(changes.pair.brief() if changes is not None else "")
        status.setToolTip(_pair_tip(changes) if changes is not None else "")

    panel.changesReady.connect(ready)
    window.tabs.currentTabChanged.connect(current)
    window.tabs.alignmentShown.connect(lambda _entry: current())
    panel.rowRequested.connect(lambda row: window.tabs.current_view().set_current_row(row))
    panel.related_labeller = RelatedLabeller(window, related, WorkerPool(1, window), boilerplate)
    return panel
