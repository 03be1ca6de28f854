"""Comparison tabs: new, close, reopen, cycle; each tab keeps its articles and view state."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.ui.mainwindow import MainWindow
from tests.ui.conftest import SEEDS

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(SEEDS)
    # The map's arrival re-aligns a comparison shown before it: not in the middle of a test.
    qtbot.waitUntil(lambda: win.reuse_docks.reuse_map() is not None, timeout=30000)
    yield win
    win.shutdown()


def _prefixes(window: MainWindow) -> tuple[str, str]:
    al = window.compare_view.alignment()
    return Path(al.left.id).name[:3], Path(al.right.id).name[:3]


def _compare(qtbot, window: MainWindow, left: str, right: str) -> None:
    window.compare(left, right)
    # comparisonReady also fires for other tabs' re-alignments: wait for this one's.
    qtbot.waitUntil(lambda: window.compare_view.alignment() is not None
                    and _prefixes(window) == (left, right), timeout=20000)


def test_a_realignment_when_the_reuse_map_arrives_keeps_the_row_of_a_tab_with_a_query(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    window.tabs.set_query("Taiwan")
    window.compare_view.set_current_row(5)
    before = window.compare_view.alignment()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.reuse_docks.realignRequested.emit()  # what the map's arrival does for a stale comparison
    assert window.compare_view.alignment() is not before
    assert window.compare_view.current_row() == 5  # not the first "Taiwan" hit


def test_ctrl_t_opens_an_empty_tab_the_next_article_fills(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    first = window.compare_view
    qtbot.keyClick(window, Qt.Key.Key_T, CTRL)
    assert window.tabs.count() == 2
    assert window.compare_view is not first and window.compare_view.alignment() is None
    assert window.tabs.tabText(1) == "New comparison"
    assert window.summary_label.text() == "Choose two articles to compare"
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.open_article("000", "left")
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.open_article("002", "right")
    assert _prefixes(window) == ("000", "002")
    assert first.alignment() is not None
    assert (Path(first.alignment().left.id).name[:3], Path(first.alignment().right.id).name[:3]) == ("001", "004")
    assert "↔" in window.tabs.tabText(1)
    assert "Left:" in window.tabs.tabToolTip(1) and "Right:" in window.tabs.tabToolTip(1)


def test_each_tab_keeps_row_hide_state_query_and_summary(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    window.compare_view.set_current_row(5)
    window.tabs.set_query("Taiwan")
    summary_one = window.summary_label.text()
    window.tabs.new_tab(query="")
    _compare(qtbot, window, "000", "002")
    hide = next(a for a in window.tabs.view_actions() if a.text() == "Hide Boilerplate")
    hide.trigger()
    assert window.compare_view.hide_boilerplate()
    window.compare_view.set_current_row(2)
    summary_two = window.summary_label.text()
    assert summary_one != summary_two

    qtbot.keyClick(window, Qt.Key.Key_Tab, CTRL)
    assert window.tabs.currentIndex() == 0
    assert window.compare_view.current_row() == 5
    assert not window.compare_view.hide_boilerplate() and not hide.isChecked()
    assert window.tabs.current_entry().query == "Taiwan"
    assert window.compare_view.left_pane._matcher is not None
    assert window.summary_label.text() == summary_one

    qtbot.keyClick(window, Qt.Key.Key_Backtab, CTRL | SHIFT)
    assert window.tabs.currentIndex() == 1
    assert window.compare_view.current_row() == 2
    assert window.compare_view.hide_boilerplate() and hide.isChecked()
    assert window.tabs.current_entry().query == ""
    assert window.compare_view.left_pane._matcher is None
    assert window.summary_label.text() == summary_two


def test_navigation_acts_on_the_current_tab_only(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    first = window.compare_view
    window.tabs.new_tab()
    _compare(qtbot, window, "001", "004")
    qtbot.keyClick(window, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert window.compare_view.current_row() >= 0
    assert first.current_row() == -1


def test_close_then_reopen_brings_back_articles_and_row(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    window.tabs.new_tab()
    _compare(qtbot, window, "000", "002")
    window.compare_view.set_current_row(3)
    qtbot.keyClick(window, Qt.Key.Key_W, CTRL)
    assert window.tabs.count() == 1
    assert _prefixes(window) == ("001", "004")
    assert window.tabs.closed_count() == 1
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        qtbot.keyClick(window, Qt.Key.Key_T, CTRL | SHIFT)
    assert window.tabs.count() == 2 and window.tabs.currentIndex() == 1
    assert _prefixes(window) == ("000", "002")
    assert window.compare_view.current_row() == 3
    assert window.tabs.closed_count() == 0


def test_closing_the_last_tab_leaves_an_empty_one(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    window.tabs.close_tab()
    assert window.tabs.count() == 1
    assert window.compare_view.alignment() is None
    assert window.refs() == (None, None)


def test_a_late_result_for_a_closed_tab_is_dropped(qtbot, window: MainWindow) -> None:
    window.tabs.new_tab()
    window.compare("001", "004")
    window.tabs.close_tab()
    qtbot.wait(0)
    window.shutdown()  # waits for the alignment
    with qtbot.assertNotEmitted(window.comparisonReady, wait=200):
        pass
    assert window.tabs.count() == 1 and window.compare_view.alignment() is None


def test_a_noted_tab_is_not_replaced_by_another_comparison(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "001", "004")
    row = next(n for n, r in enumerate(window.compare_view.alignment().rows) if r.is_match)
    assert window.notes_panel.set_note(row, "keep me")
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.open_article("002", "right")
    assert window.tabs.count() == 2
    assert _prefixes(window) == ("001", "002")
    noted = window.tabs.entries()[0]
    assert noted.state.notes[0].text == "keep me"
    assert Path(noted.view.alignment().right.id).name[:3] == "004"
    assert noted.refs[1] and Path(noted.refs[1]).name.startswith("004")


def test_tab_shortcuts(window: MainWindow) -> None:
    keys = {a.text().replace("&", ""): a.shortcut().toString() for a in window.actions()}
    assert keys["New Tab"] == "Ctrl+T"
    assert keys["Close Tab"] == "Ctrl+W"
    assert keys["Reopen Closed Tab"] == "Ctrl+Shift+T"
    assert keys["Next Tab"] == "Ctrl+Tab"
    assert keys["Previous Tab"] == "Ctrl+Shift+Tab"
    assert keys["Hide Boilerplate"] == "Ctrl+Shift+B"
