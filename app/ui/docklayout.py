"""Keeping the comparison wide: side docks tab together, narrow, fold away and come back.

The window owns the docks; :class:`DockFitter` only decides their widths and visibility so
that the comparison tabs keep at least :data:`COMPARISON_SHARE` of the window's width.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter, QWidget

COMPARISON_SHARE = 0.6  # of the window's width, at least
PANEL_MIN = 230
DOCK_MIN = 200
DOCK_WIDTH = 300


class DockFitter(QObject):
    """Fits the side docks of ``window`` around ``tabs`` (the splitter's second widget)."""

    def __init__(self, window: QMainWindow, splitter: QSplitter, tabs: QWidget) -> None:
        super().__init__(window)
        self._window, self._splitter, self._tabs = window, splitter, tabs
        self._fitting = True  # until start(): the window is still being built
        self._shown_once = False
        self._folded: set[QDockWidget] = set()

    def start(self) -> None:
        """Begin fitting: the window is built and its docks exist."""
        self._fitting = False
        for dock in self._window.findChildren(QDockWidget):
            # Shown by the analyst (View menu or its shortcut): room is made for it at once.
            dock.toggleViewAction().triggered.connect(
                lambda checked, d=dock: checked and QTimer.singleShot(0, lambda: self.make_room_for(d)))
        self._window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Refit the comparison after the window's own layout has settled on a resize."""
        if watched is self._window and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self.fit_layout)
            if self._window.isVisible():
                QTimer.singleShot(500, self._mark_shown)
        return False

    def _mark_shown(self) -> None:
        self._shown_once = True

    def _side_docks(self) -> list[QDockWidget]:
        w = self._window
        return [d for d in w.findChildren(QDockWidget)
                if not d.isFloating() and w.dockWidgetArea(d) in (Qt.DockWidgetArea.LeftDockWidgetArea,
                                                                  Qt.DockWidgetArea.RightDockWidgetArea)]

    def comparison_share(self) -> float:
        """The comparison tabs' share of the window width (kept at >= 60 % by :meth:`fit_layout`)."""
        return self._tabs.width() / max(1, self._window.width())

    def make_room_for(self, dock: QDockWidget) -> None:
        """Room for a side dock the analyst opened, without squeezing the comparison under 60 %.

        It joins a visible dock of its side as a tab when there is one; then the corpus panel
        and the other docks narrow, and the other docks fold away if that is not enough. The
        dock opened stays, even where the window is too narrow for it and 60 % both.
        """
        w = self._window
        if not dock.isVisible() or dock.isFloating() or self.comparison_share() >= COMPARISON_SHARE:
            return
        area = w.dockWidgetArea(dock)
        mates = [d for d in self._side_docks() if d is not dock and d.isVisible()
                 and w.dockWidgetArea(d) == area and d not in w.tabifiedDockWidgets(dock)]
        if mates:
            w.tabifyDockWidget(mates[0], dock)
            dock.raise_()
        self.fit_layout(keep=dock)

    def fit_layout(self, keep: QDockWidget | None = None) -> None:
        """Keep the comparison at least 60 % of the window's width.

        First the corpus panel narrows (down to ``PANEL_MIN``), then the side docks; if that
        is not enough they fold away (all but ``keep``, a dock just opened), and come back by
        themselves once the window is wide enough again (or at once from the View menu).
        """
        w = self._window
        width = w.width()
        if width <= 0 or self._fitting:
            return
        self._fitting = True
        try:
            want = COMPARISON_SHARE * width
            docks = [d for d in self._side_docks() if d.isVisible()]
            dock_w = max((d.width() for d in docks), default=0)
            sizes = self._splitter.sizes()
            panel, compare = sizes[:2] if len(sizes) >= 2 else (0, 0)
            if compare < want and panel > PANEL_MIN:
                give = min(panel - PANEL_MIN, round(want - compare))
                self._splitter.setSizes([panel - give, compare + give])
                compare += give
            if compare < want and docks:
                narrow = max(DOCK_MIN, dock_w - round(want - compare))
                if narrow < dock_w:
                    w.resizeDocks(docks, [narrow] * len(docks), Qt.Orientation.Horizontal)
                    compare += dock_w - narrow
                if compare < want:
                    for d in docks:
                        if d is not keep:
                            d.hide()
                            self._folded.add(d)
                    if self._shown_once:
                        w.statusBar().showMessage("Side docks folded away to leave the comparison room; "
                                                  "View brings them back", 5000)
            elif self._folded and width - PANEL_MIN - DOCK_WIDTH >= want:
                for d in list(self._folded):
                    d.show()
                w.resizeDocks(list(self._folded), [DOCK_WIDTH] * len(self._folded), Qt.Orientation.Horizontal)
                self._folded.clear()
        finally:
            self._fitting = False
