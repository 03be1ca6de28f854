"""The reuse docks of the main window: the reuse map fetched off the GUI thread, fed to the views.

:class:`ReuseDocks` owns the "Related" and "Corpus Overview" docks. After every index update it
asks the index-writer thread for the corpus reuse map (the map is kept in step with the index by
a listener that thread drives, so reading it there never races an update), then lays out the
graph on the same job. The map also gives the window the corpus-learned boilerplate to align with.

It knows nothing of the window beyond a :class:`~PySide6.QtWidgets.QMainWindow` to dock into and
two callables; the window connects its signals (index finished, comparison shown) to it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from app.core.reuse.reuselayout import ReuseGraph, build_graph
from app.ui.relatedpanel import RelatedPanel
from app.ui.reusegraph import GraphIndex, index_graph
from app.ui.reuseoverview import ReuseOverview
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error, while_alive

if TYPE_CHECKING:
    from app.core.reading.model import Alignment, Paragraph
    from app.core.reuse.reusemap import ReuseMap
    from app.core.workspace.corpus import Corpus

GRAPH_AFTER_MS = 100  # the corpus graph is laid out this long after the window showed the map
GRAPH_WAIT_S = 3.0  # ... or after this long at most, if the window never says it did


class ReuseDocks(QObject):
    """The reuse views docked in ``window``, refreshed after each index update (:meth:`refresh`).

    Args:
        window: The window the docks and their toggle actions are added to.
        writer: The pool that runs index updates one at a time.
        corpus: The open corpus (None while it loads).
        alignment: The current comparison, whose left article the views follow.
        menu: The menu that gets the docks' toggle actions.
    """

    mapReady = Signal(object)  # ReuseMap
    graphReady = Signal(object)  # ReuseGraph
    failed = Signal(str)
    realignRequested = Signal()  # the current comparison was aligned before the boilerplate was known

    def __init__(self, window: QMainWindow, writer: WorkerPool, *, corpus: Callable[[], Corpus | None],
                 alignment: Callable[[], Alignment | None], menu: QMenu | None = None) -> None:
        super().__init__(window)
        self._host = window
        self._writer = writer
        self._corpus = corpus
        self._alignment = alignment
        self._menu = menu
        self._map: ReuseMap | None = None
        self._graph: ReuseGraph | None = None
        self._generation = 0
        self._worker: GeneratorWorker | None = None
        self._stale_comparison = False

        self.related = RelatedPanel(window)
        self.overview = ReuseOverview(window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.related)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.overview)
        window.resizeDocks([self.related], [320], Qt.Orientation.Horizontal)
        window.resizeDocks([self.overview], [420], Qt.Orientation.Vertical)
        self.overview.hide()
        self.related_action = self._toggle(self.related, "Ctrl+Shift+R",
                                           "Show the articles sharing text with the left one")
        self.overview_action = self._toggle(self.overview, "Ctrl+Shift+G",
                                            "Show the clusters and the graph of who shares text with whom")
        self.overview.visibilityChanged.connect(self._overview_shown)
        self.overview.set_message("Open a corpus to see which articles share text.")

    def _toggle(self, dock: QDockWidget, shortcut: str, tip: str) -> QAction:
        action = dock.toggleViewAction()
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        self._host.addAction(action)
        if self._menu is not None:
            self._menu.addAction(action)
        return action

    # ------------------------------------------------------------------ state

    def reuse_map(self) -> ReuseMap | None:
        """The open corpus's reuse map, once fetched."""
        return self._map

    def reuse_graph(self) -> ReuseGraph | None:
        """The laid-out graph of the open corpus, once built."""
        return self._graph

    def boilerplate(self) -> Callable[[Paragraph], bool] | None:
        """The corpus-learned boilerplate test for ``align``, or None while the map is not ready.

        A comparison started without it is aligned again when the map arrives.
        """
        if self._map is None:
            self._stale_comparison = True
            return None
        return self._map.is_boilerplate_paragraph

    def busy(self) -> bool:
        """True while the reuse map or the graph is being computed."""
        return self._worker is not None

    # ------------------------------------------------------------------ fetching

    def corpus_loaded(self, _corpus: object = None) -> None:
        """A new corpus is listed: what was shown belongs to the old one."""
        self._generation += 1
        self._map = None
        self._graph = None
        self.show_left()
        self.overview.set_message("Finding shared text…")

    def refresh(self) -> GeneratorWorker | None:
        """Fetch the reuse map and lay out the graph on the index-writer thread."""
        corpus = self._corpus()
        if corpus is None:
            return None
        if self._worker is not None:
            self._worker.cancel()
        self._generation += 1
        generation = self._generation

        def job(should_cancel: Callable[[], bool]) -> Generator[Any, None, Any]:
            # Loading the fingerprints' 100,000 article records and making the clusters set
            # off full collections, each holding the GIL 40-90 ms while the window waits: none
            # run until the map is made (100k, a 1 ms ticker thread's longest wait for the
            # GIL: 86 -> 25 ms; peak RSS 886 -> 896 MB, within noise).
            enabled = gc.isenabled()
            gc.disable()
            try:
                rmap = corpus.reuse_map()
                rmap.clusters()  # copies and versions are read on the GUI thread: clustered here
                # The map lives as long as the corpus is open: frozen out of the garbage
                # collector, as the index job does with its objects, so that the full
                # collections the graph's objects trigger (GIL held, window waiting) walk only
                # what came after (100k articles: 41 + 52 ms -> 16 ms). Reference counting
                # still frees a dropped map.
                gc.freeze()
            finally:
                if enabled:
                    gc.enable()
            yield rmap
            # The graph waits until the window has shown the map: built alongside, it took the
            # interpreter and a core from the GUI thread just as the docks filled (100k: gaps
            # of 104 and 131 ms in 10 runs, the window's own work 33 ms of them).
            waited = 0.0
            while not shown.wait(0.05) and waited < GRAPH_WAIT_S:
                waited += 0.05
                if should_cancel():
                    return None
            if should_cancel():
                return None
            # The graph's objects (70,000 nodes at 100,000 articles) would set off full
            # collections while it is built, each holding the GIL for 40-80 ms as the window
            # fills; none run until it and its hit-test index are made, and then frozen too.
            gc.disable()
            try:
                graph = build_graph(rmap, should_cancel=should_cancel)
                index = None if should_cancel() else index_graph(graph)
                gc.freeze()
            finally:
                gc.enable()
            # A graph cut short by a cancel has nodes without positions: never shown.
            return None if should_cancel() or index is None else (graph, index)

        shown = threading.Event()

        def map_ready(rmap: ReuseMap) -> None:
            self._map_ready(generation, rmap)
            QTimer.singleShot(GRAPH_AFTER_MS, shown.set)  # after the repaints the map set off

        worker = GeneratorWorker(job, "reuse map")
        self._worker = worker
        worker.signals.yielded.connect(while_alive(self, map_ready))
        worker.signals.finished.connect(while_alive(self, lambda graph: self._graph_ready(generation, worker, graph)))
        worker.signals.failed.connect(while_alive(self, lambda exc: self._failed(generation, worker, exc)))
        if self._map is None:
            self.overview.set_message("Finding shared text…")
        self._writer.submit(worker)
        return worker

    def _map_ready(self, generation: int, rmap: ReuseMap) -> None:
        if generation != self._generation:
            return
        self._map = rmap
        self.show_left(fresh=True)
        self.mapReady.emit(rmap)
        al = self._alignment()
        if self._stale_comparison and al is not None and al.left.id and al.right.id:
            self.realignRequested.emit()
        self._stale_comparison = False

    def _graph_ready(self, generation: int, worker: GeneratorWorker, result: tuple[ReuseGraph, GraphIndex] | None) -> None:
        if worker is self._worker:
            self._worker = None
        if generation != self._generation or result is None:
            return
        graph, index = result
        self._graph = graph
        self.overview.set_graph(graph, index)
        self.show_left()
        self.graphReady.emit(graph)

    def _failed(self, generation: int, worker: GeneratorWorker, exc: object) -> None:
        if worker is self._worker:
            self._worker = None
        if generation != self._generation:
            return
        message = describe_error(exc) if isinstance(exc, BaseException) else str(exc)
        self.overview.set_message(f"Could not compute shared text: {message}")
        self.failed.emit(message)

    # ------------------------------------------------------------------ views

    def show_left(self, *, fresh: bool = False) -> None:
        """Follow the current comparison's left article (``fresh``: the map is new)."""
        al = self._alignment()
        aid = al.left.id if al is not None and al.left.id else None
        self.overview.set_current(aid)
        if aid is None:
            self.related.show_related(None, None)
        elif self._map is None:
            self.related.show_related(aid, None)
        elif aid not in self._map:
            self.related.show_outside(aid)
        else:
            self.related.show_related(aid, self._map.related(aid), self._map.versions(aid), fresh=fresh)

    def _overview_shown(self, visible: bool) -> None:
        if visible and self._graph is not None:
            self.overview.graph.fit()
