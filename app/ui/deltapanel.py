"""The "Critical changes" dock: what the current comparison changes in meaning, a click from its row.

It also puts the comparison's change label in the status bar and the tab tooltips, and the
label of each related article in the Related dock. Everything is computed by the core
(:mod:`app.core.changes`) on worker threads: the deltas of a 200-paragraph pair take a few
hundred milliseconds, and labelling Related means aligning with every related article.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Generator
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

from app.core.changes import PAIR_LABEL_HELP, Changes, PairChange, analyse, pair_change
from app.core.deltas import KIND_HELP, KIND_TITLE
from app.core.links import align_with_links
from app.core.model import Alignment
from app.ui.comparisoncontroller import Boilerplate
from app.ui.workers import GeneratorWorker, WorkerPool

if TYPE_CHECKING:
    from app.ui.comparetabs import CompareTabs, TabEntry
    from app.ui.relatedpanel import RelatedPanel
    from app.ui.windowbase import WindowBase

RowRole = Qt.ItemDataRole.UserRole + 1
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
        worker.signals.finished.connect(lambda changes, a=alignment: self._done(a, changes))
        worker.signals.failed.connect(lambda _exc, a=alignment: self._failed(a))
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
            f"<b>{escape(str(pair.label))}</b> · {pair.retained:.0f} % of the source retained · "
            f"{pair.added:.0f} % of the copy new<br>"
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


class RelatedLabeller(QObject):
    """Fills the Related dock with each related article's change label, off the GUI thread.

    When the list changes, or the analyst's links or marks do, one worker aligns the left article
    with each listed one (through :func:`app.core.links.align_with_links`: with the pair's manual
    links and the marks), best first, and hands back the labels as they come; a newer run
    cancels it.

    Args:
        window: The main window (its corpus).
        related: The Related dock's list.
        pool: Where the labelling runs.
        boilerplate: The boilerplate test to align with now, marks included (None: not known yet).
    """

    def __init__(self, window: WindowBase, related: RelatedPanel, pool: WorkerPool,
                 boilerplate: Boilerplate) -> None:
        super().__init__(window)
        self._window = window
        self._related = related
        self.pool = pool
        self._boilerplate = boilerplate
        self._worker: GeneratorWorker | None = None
        related.model.modelReset.connect(self.start)

    def start(self) -> None:
        """Label the rows listed now (cancelling the labelling of an earlier list)."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        aid, ids = self._related.article(), self._related.model.ids()
        corpus = self._window.corpus()
        if not aid or not ids or corpus is None:
            return
        boilerplate = self._boilerplate()  # marks made since the map was built count at once

        def job(should_cancel: Callable[[], bool]) -> Generator[Any, None, None]:
            data = corpus.userdata.refresh()
            left = corpus.resolve(aid)
            for rid in ids:
                if should_cancel():
                    return
                try:
                    right = corpus.resolve(rid)
                except Exception:
                    continue
                # The pair as the analyst aligned it: its manual links and not-a-match pairs hold.
                yield rid, pair_change(align_with_links(corpus, left, right, boilerplate=boilerplate, data=data))

        worker = GeneratorWorker(job, "related labels")
        self._worker = worker
        worker.signals.yielded.connect(lambda item, w=worker, a=aid: self._labelled(w, a, item))
        worker.signals.finished.connect(lambda _r, w=worker: self._finished(w))
        worker.signals.failed.connect(lambda _e, w=worker: self._finished(w))
        self.pool.submit(worker)

    def _labelled(self, worker: GeneratorWorker, aid: str, item: tuple[str, PairChange]) -> None:
        if worker is self._worker and self._related.article() == aid:
            rid, pair = item
            self._related.model.set_label(
                rid, f"{pair.label} · {pair.retained:.0f} % retained · {pair.added:.0f} % new")

    def _finished(self, worker: GeneratorWorker) -> None:
        if worker is self._worker:
            self._worker = None


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
        status.setText(changes.pair.describe() if changes is not None else "")
        status.setToolTip(_pair_tip(changes) if changes is not None else "")

    panel.changesReady.connect(ready)
    window.tabs.currentTabChanged.connect(current)
    window.tabs.alignmentShown.connect(lambda _entry: current())
    panel.rowRequested.connect(lambda row: window.tabs.current_view().set_current_row(row))
    panel.related_labeller = RelatedLabeller(window, related, WorkerPool(1, window), boilerplate)
    return panel
