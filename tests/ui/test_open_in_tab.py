"""Opening from Related or the corpus graph: a new tab instead of replacing the current comparison.

Middle-click or Ctrl-click always opens a new tab; a plain click does when the current tab
already shows a different pair. Real mouse events throughout.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.core.reuse.reusemap import RelatedArticle
from app.ui.mainwindow import MainWindow
from app.ui.relatedpanel import RelatedPanel
from tests.ui.conftest import SEEDS

LEFT = Qt.MouseButton.LeftButton
MIDDLE = Qt.MouseButton.MiddleButton
CTRL = Qt.KeyboardModifier.ControlModifier


def _prefix(aid: str | None) -> str:
    return Path(aid).name[:3] if aid else ""


def _pair(window: MainWindow) -> tuple[str, str]:
    al = window.compare_view.alignment()
    return (_prefix(al.left.id), _prefix(al.right.id)) if al is not None else ("", "")


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.reuse_docks.graphReady, timeout=30000):
        win.open_corpus(SEEDS)
    yield win
    win.shutdown()


def _compare(qtbot, window: MainWindow, left: str, right: str) -> None:
    window.compare(left, right)
    qtbot.waitUntil(lambda: _pair(window) == (left, right), timeout=20000)


def _related_row_centre(qtbot, window: MainWindow) -> QPoint:
    panel = window.reuse_docks.related
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0 and isinstance(panel.model.ids()[0], str), timeout=10000)
    row = next(r for r in range(panel.model.rowCount()) if _prefix(panel.model.ids()[r]) == "004")
    return panel.view.visualRect(panel.model.index(row, 0)).center()


def _tab_pairs(window: MainWindow) -> list[tuple[str, str]]:
    return [(_prefix(e.refs[0]), _prefix(e.refs[1])) for e in window.tabs.entries()]


def test_ctrl_or_middle_click_on_a_row_asks_for_a_new_tab_only(qtbot) -> None:
    panel = RelatedPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 400)
    panel.show()
    qtbot.waitExposed(panel)
    panel.show_related("a.txt", [RelatedArticle("b.txt", "Bee", "Herald", "2024-01-02", 3, 3, 4, 25.0, 80.0)])
    centre = panel.view.visualRect(panel.model.index(0, 0)).center()
    plain, tabbed = [], []
    panel.compareRequested.connect(lambda a, b: plain.append((a, b)))
    panel.newTabRequested.connect(lambda a, b: tabbed.append((a, b)))
    qtbot.mouseClick(panel.view.viewport(), MIDDLE, pos=centre)
    qtbot.mouseClick(panel.view.viewport(), LEFT, CTRL, pos=centre)
    assert tabbed == [("a.txt", "b.txt")] * 2 and plain == []
    qtbot.mouseClick(panel.view.viewport(), LEFT, pos=centre)
    assert plain == [("a.txt", "b.txt")] and len(tabbed) == 2
    # Ctrl-click did not toggle the row out of the selection.
    assert panel.view.currentIndex().row() == 0


def test_middle_click_on_related_opens_a_new_tab_even_for_the_same_pair(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    centre = _related_row_centre(qtbot, window)
    before = window.tabs.count()
    qtbot.mouseClick(window.reuse_docks.related.view.viewport(), MIDDLE, pos=centre)
    qtbot.waitUntil(lambda: window.tabs.count() == before + 1, timeout=5000)
    qtbot.waitUntil(lambda: _pair(window) == ("001", "004"), timeout=20000)
    assert _tab_pairs(window).count(("001", "004")) == 2


def test_ctrl_click_on_related_keeps_the_current_tab(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "000")
    centre = _related_row_centre(qtbot, window)
    first = window.tabs.current_entry()
    qtbot.mouseClick(window.reuse_docks.related.view.viewport(), LEFT, CTRL, pos=centre)
    qtbot.waitUntil(lambda: window.tabs.current_entry() is not first, timeout=5000)
    qtbot.waitUntil(lambda: _pair(window) == ("001", "004"), timeout=20000)
    assert (_prefix(first.refs[0]), _prefix(first.refs[1])) == ("001", "000")


def test_plain_click_opens_a_new_tab_over_another_pair_but_not_over_its_own(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "000")
    centre = _related_row_centre(qtbot, window)
    viewport = window.reuse_docks.related.view.viewport()
    before = window.tabs.count()
    qtbot.mouseClick(viewport, LEFT, pos=centre)
    qtbot.waitUntil(lambda: _pair(window) == ("001", "004"), timeout=20000)
    assert window.tabs.count() == before + 1
    assert ("001", "000") in _tab_pairs(window)
    # The current tab already shows 001↔004: a plain click re-opens it there, no third tab.
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        qtbot.mouseClick(viewport, LEFT, pos=_related_row_centre(qtbot, window))
    assert window.tabs.count() == before + 1


def _graph(qtbot, window: MainWindow):
    window.reuse_docks.overview_action.trigger()
    view = window.reuse_docks.overview.graph
    qtbot.waitUntil(lambda: view.isVisible() and bool(view.graph().edges), timeout=5000)
    return view


def _at(point: QPointF) -> QPoint:
    return QPoint(round(point.x()), round(point.y()))


def test_middle_click_on_a_graph_edge_opens_a_new_tab(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    view = _graph(qtbot, window)
    before = window.tabs.count()
    qtbot.mouseClick(view, MIDDLE, pos=_at(view.edge_point(view.graph().edges[0])))
    qtbot.waitUntil(lambda: window.tabs.count() == before + 1, timeout=5000)
    qtbot.waitUntil(lambda: window.compare_view.alignment() is not None
                    and {_prefix(window.compare_view.alignment().left.id),
                         _prefix(window.compare_view.alignment().right.id)} == {"001", "004"}, timeout=20000)


def test_ctrl_click_on_a_graph_node_opens_it_in_a_new_tab(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "000")
    view = _graph(qtbot, window)
    aid = next(n.id for n in view.visible_nodes() if _prefix(n.id) == "004")
    first = window.tabs.current_entry()
    qtbot.mouseClick(view, LEFT, CTRL, pos=_at(view.node_point(aid)))
    qtbot.waitUntil(lambda: window.tabs.current_entry() is not first, timeout=5000)
    assert _prefix(window.tabs.current_entry().refs[0]) == "004"
    assert window.tabs.current_entry().refs[1] is None
    assert (_prefix(first.refs[0]), _prefix(first.refs[1])) == ("001", "000")


def test_plain_click_on_a_graph_edge_does_not_replace_another_pair(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "000")
    view = _graph(qtbot, window)
    before = window.tabs.count()
    qtbot.mouseClick(view, LEFT, pos=_at(view.edge_point(view.graph().edges[0])))
    qtbot.waitUntil(lambda: window.tabs.count() == before + 1, timeout=5000)
    assert ("001", "000") in _tab_pairs(window)
