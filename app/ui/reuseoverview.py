"""The "Corpus Overview" dock: reuse clusters as a tree beside the graph of who shares text with whom."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from app.core.reuse.reuselayout import ReuseGraph
from app.ui.reusegraph import GraphIndex, ReuseGraphView, short_id

if TYPE_CHECKING:
    from app.core.reuse.reusemap import Cluster

IdRole = Qt.ItemDataRole.UserRole + 1  # article id of a member row; None on a cluster row
ClusterRole = Qt.ItemDataRole.UserRole + 2  # cluster number of any row
_Index = QModelIndex | QPersistentModelIndex
_HEADERS = ("Cluster / article", "Date", "Source")
EXPAND_ROWS = 300  # member rows expanded per turn of the event loop (a corpus-wide tree has 40,000)
EXPAND_CLUSTERS = 100  # and clusters
EXPAND_BUDGET_S = 0.004  # and GUI-thread time


class ClusterModel(QAbstractItemModel):
    """Clusters (top level, largest first) and their members (oldest first), over the reuse map's data.

    A member row's internal id is its cluster number + 1; a cluster row's is 0.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clusters: list[Cluster] = []

    def set_clusters(self, clusters: list[Cluster]) -> None:
        """Show ``clusters``."""
        self.beginResetModel()
        self._clusters = list(clusters)
        self.endResetModel()

    def clusters(self) -> list[Cluster]:
        """The clusters shown."""
        return list(self._clusters)

    def index(self, row: int, column: int, parent: _Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Checked here, not with hasIndex(), which calls back into rowCount() and columnCount():
        # the tree asks for every row it lays out (40,000 at 100,000 articles).
        if row < 0 or not 0 <= column < len(_HEADERS):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self._clusters) else QModelIndex()
        if parent.internalId() != 0 or parent.column() != 0 or row >= len(self._clusters[parent.row()].members):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, index: _Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        if not parent.isValid():
            return len(self._clusters)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self._clusters[parent.row()].members)
        return 0

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._cluster_data(index.row(), index.column(), role)
        n = index.internalId() - 1
        cluster = self._clusters[n]
        member = cluster.members[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                star = "★ " if member.id == cluster.origin else "    "
                return f"{star}{short_id(member.id)}  {member.title}"
            return (member.date or "undated") if col == 1 else (member.source or "—")
        if role == Qt.ItemDataRole.ToolTipRole:
            origin = f"\n★ likely origin ({cluster.reason})" if member.id == cluster.origin else ""
            return f"{member.title}\n{member.id}{origin}\nDouble-click to open it on the left"
        if role == IdRole:
            return member.id
        if role == ClusterRole:
            return n
        return None

    def _cluster_data(self, n: int, col: int, role: int) -> object:
        cluster = self._clusters[n]
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                origin = f"★ {short_id(cluster.origin)}, {cluster.reason}" if cluster.origin else cluster.reason
                return f"Cluster {n + 1} · {len(cluster.members)} articles · origin: {origin}"
            return (cluster.members[0].date or "undated") if col == 1 else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            pairs = f"{cluster.pairs} pair{'s' if cluster.pairs != 1 else ''} sharing text"
            return f"{pairs}\nLikely origin: {cluster.origin or 'unknown'} ({cluster.reason})\n" \
                "Double-click to compare its first two articles"
        if role == ClusterRole:
            return n
        return None


class ReuseOverview(QDockWidget):
    """Shows the corpus's :class:`ReuseGraph`: its clusters as a tree and as a graph.

    Selecting a cluster zooms the graph onto it; double-clicking a member opens it on the left,
    a cluster compares its first two members.
    """

    openRequested = Signal(str)  # article id for the left side
    compareRequested = Signal(str, str)  # left id, right id
    newTabRequested = Signal(str, str)  # left id, right id ('' for none): always in a new tab
    storyRequested = Signal(str)  # an article of the story to open as a story tab

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Corpus Overview", parent)
        self.setObjectName("reuseOverviewDock")
        body = QWidget(self)
        self.summary = QLabel("No corpus", body)
        self.summary.setObjectName("reuseSummary")
        self.loners = QCheckBox("Show articles with no reuse", body)
        self.loners.setObjectName("showLoners")
        self.fit_button = QToolButton(body)
        self.fit_button.setText("Fit")
        self.fit_button.setToolTip("Show the whole graph (or double-click its background)")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 0)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.loners)
        bar.addWidget(self.fit_button)
        self.story_button = QToolButton(body)
        self.story_button.setObjectName("openStory")
        self.story_button.setText("Story view")
        self.story_button.setToolTip("Open the selected cluster as a story: every copy against the likely origin")
        self.story_button.clicked.connect(self.request_story)
        bar.addWidget(self.story_button)

        self.model = ClusterModel(self)
        self.tree = QTreeView(body)
        self.tree.setObjectName("clusterTree")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setStretchLastSection(False)
        # Dates all have one width: sizing the column to its contents asked every row for its
        # text each time the tree grew (0.14 s of the 0.32 s a 20,000-article tree took).
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        metrics = self.tree.fontMetrics()
        self.tree.header().resizeSection(1, 24 + max(metrics.horizontalAdvance(t) for t in ("0000-00-00", "undated")))
        self.tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.graph = ReuseGraphView(body)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, body)
        self.splitter.setObjectName("reuseOverviewSplitter")
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.graph)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([460, 760])
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)
        self.setWidget(body)

        self.loners.toggled.connect(self.graph.set_show_loners)
        self.fit_button.clicked.connect(self.graph.fit)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.tree.activated.connect(self._activated)
        self.graph.nodeClicked.connect(self.openRequested)
        self.graph.edgeClicked.connect(self.compareRequested)
        self.graph.edgeNewTab.connect(self.newTabRequested)
        self.graph.nodeNewTab.connect(lambda aid: self.newTabRequested.emit(aid, ""))
        self.graph.storyClicked.connect(self.open_cluster)
        self._opened: int | None = None  # the cluster opened from its story node
        self._expanding = 0  # generation of the tree's expansion (a newer tree or an opened cluster stops it)

    def open_cluster(self, n: int) -> None:
        """List cluster ``n``'s members in the tree (the others folded) and focus it in the graph.

        Activating one of its members then compares it with the cluster's likely origin.
        """
        if not 0 <= n < self.model.rowCount():
            return
        self._opened = n
        self._expanding += 1
        self.tree.collapseAll()
        index = self.model.index(n, 0)
        self.tree.expand(index)
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QTreeView.ScrollHint.PositionAtTop)
        cluster = self.model.clusters()[n]
        origin = cluster.origin or "unknown"
        self.summary.setText(f"Cluster {n + 1}: {len(cluster.members):,} copies · likely origin "
                             f"{short_id(origin)} ({cluster.reason}) · double-click a copy to compare it "
                             "with the origin")

    def request_story(self) -> None:
        """Ask for the story of the selected cluster (or of the selected member)."""
        index = self.tree.currentIndex()
        aid = index.siblingAtColumn(0).data(IdRole) if index.isValid() else None
        n = index.data(ClusterRole) if index.isValid() else None
        if not isinstance(aid, str) and isinstance(n, int) and 0 <= n < len(self.model.clusters()):
            cluster = self.model.clusters()[n]
            aid = cluster.origin or cluster.members[0].id
        if isinstance(aid, str):
            self.storyRequested.emit(aid)

    def set_graph(self, graph: ReuseGraph, index: GraphIndex | None = None) -> None:
        """Show ``graph`` and its clusters (``index``: its :class:`GraphIndex`, made on a worker thread)."""
        self._opened = None
        self.model.set_clusters(graph.clusters)
        self._expanding += 1
        self._expand_from(0, self._expanding)
        self.graph.set_graph(graph, index)
        loners = self.graph.index().loners
        c = len(graph.clusters)
        self.summary.setText(
            f"{c:,} cluster{'s' if c != 1 else ''} · {graph.total_pairs:,} pair{'s' if graph.total_pairs != 1 else ''}"
            f" sharing text · {loners:,} of {len(graph.nodes):,} articles share none")
        if not graph.nodes:
            self.graph.set_message("The corpus has no articles yet.")
        elif not graph.clusters and not self.loners.isChecked():
            self.graph.set_message("No two articles share text (boilerplate aside).")

    def _expand_from(self, first: int, generation: int) -> None:
        """Expand the clusters from ``first`` on, about ``EXPAND_ROWS`` member rows now and the
        next ones on the next turn of the event loop: every cluster ends up expanded, as by
        ``expandAll``, without holding up the window for a corpus-wide tree."""
        if generation != self._expanding:
            return
        clusters = self.model.clusters()
        if first == 0 and sum(len(c.members) for c in clusters) <= EXPAND_ROWS:
            self.tree.expandAll()
            return
        rows, n = 0, first
        # Each expanded member row costs the tree a few calls into the model (Python): besides
        # the counts, a turn ends after EXPAND_BUDGET_S, however the rows are spread.
        deadline = time.perf_counter() + EXPAND_BUDGET_S
        while (n < len(clusters) and rows < EXPAND_ROWS and n - first < EXPAND_CLUSTERS
               and (n == first or time.perf_counter() < deadline)):
            self.tree.expand(self.model.index(n, 0))
            rows += len(clusters[n].members)
            n += 1
        if n < len(clusters):
            QTimer.singleShot(0, lambda: self._expand_from(n, generation))

    def set_message(self, text: str) -> None:
        """Clear the overview and show ``text`` (loading, no corpus)."""
        self._expanding += 1
        self.model.set_clusters([])
        self.graph.set_graph(ReuseGraph())
        self.graph.set_message(text)
        self.summary.setText(text)

    def set_current(self, aid: str | None) -> None:
        """Mark the article open on the left."""
        self.graph.set_current(aid)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        n = current.data(ClusterRole)
        if isinstance(n, int):
            self.graph.focus_cluster(n)

    def _activated(self, index: QModelIndex) -> None:
        aid = index.siblingAtColumn(0).data(IdRole)
        n = index.data(ClusterRole)
        if isinstance(aid, str) and isinstance(n, int) and n == self._opened:
            cluster = self.model.clusters()[n]
            first = cluster.origin or cluster.members[0].id
            if aid != first:
                self.compareRequested.emit(first, aid)  # a copy against the story's likely origin
                return
        if isinstance(aid, str):
            self.openRequested.emit(aid)
            return
        n = index.data(ClusterRole)
        if isinstance(n, int):
            members = self.model.clusters()[n].members
            if len(members) >= 2:
                self.compareRequested.emit(members[0].id, members[1].id)
