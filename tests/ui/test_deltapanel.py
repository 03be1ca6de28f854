"""The Critical changes dock: lists a comparison's deltas; a click jumps to the row."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.reading.model import Alignment
from app.ui.deltapanel import RowRole
from app.ui.mainwindow import MainWindow
from tests.ui.conftest import SEEDS

FILLER = [
    "Firefighters battled a blaze at a chemical warehouse on the outskirts of Marseille for hours.",
    "About two hundred residents were evacuated as a precaution while the smoke drifted over town.",
    "Officials warned that the smoke could affect air quality across the city for several days.",
    "Shop owners on the main street closed early and many schools kept pupils indoors at lunch.",
]
CHANGED = [
    "The European Central Bank raised its main interest rate on Thursday, its ninth rise in a row.",
    "Christine Lagarde told reporters in Frankfurt that inflation was still too high for too long.",
]


def _write_pair(folder: Path) -> None:
    """Thirty paragraphs each; rows 1 and 2 (and 29) carry planted changes far apart."""
    left = CHANGED + [f"{FILLER[n % 4]} Paragraph {n} of the report." for n in range(26)] + [
        "The bridge will reopen next month, the transport minister said on Friday."]
    right = list(left)
    right[0] = right[0].replace("Thursday", "Friday")
    right[1] = right[1].replace("told reporters", "insisted")
    right[-1] = right[-1].replace("will reopen", "will not reopen")
    (folder / "left.txt").write_text("Rates rise again\n\n" + "\n\n".join(left), "utf-8")
    (folder / "right.txt").write_text("Rates rise again\n\n" + "\n\n".join(right), "utf-8")


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    _write_pair(tmp_path)
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1300, 700)
    win.show()
    qtbot.waitExposed(win)
    win.open_corpus(tmp_path)
    yield win
    win.shutdown()


def _compare(qtbot, win: MainWindow, left: str, right: str) -> Alignment:
    with qtbot.waitSignal(win.delta_panel.changesReady, timeout=20000) as blocker:
        win.compare(left, right)
    return blocker.args[0]


def test_panel_lists_the_planted_changes_and_a_click_jumps_to_the_row(qtbot, window: MainWindow) -> None:
    panel = window.delta_panel
    assert panel.isVisible() and window.findChild(object, "deltaDock") is panel
    alignment = _compare(qtbot, window, "left.txt", "right.txt")
    tree = panel.tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 3, timeout=5000)
    shown = [(tree.topLevelItem(n).text(1), tree.topLevelItem(n).text(2), tree.topLevelItem(n).text(3))
             for n in range(3)]
    assert shown == [("Date changed", "Thursday", "Friday"), ("Attribution changed", "told", "insisted"),
                     ("Negation added", "will", "will not")]
    assert "edited" in panel.header.text() and "3 critical changes" in panel.header.text()

    view = window.compare_view
    assert view.current_row() == -1 and view.scroll_value() == 0
    last = tree.topLevelItem(2)
    row = last.data(0, RowRole)
    assert alignment.rows[row].kind.value == "changed" and row > 20
    tree.scrollToItem(last)
    rect = tree.visualItemRect(last)
    with qtbot.waitSignal(view.currentRowChanged, timeout=3000) as blocker:
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [row] and view.current_row() == row
    assert view.scroll_value() > 0  # scrolled down to the row
    top, bottom = view._layout.span(row)
    page = view.right_pane.viewport().height()
    assert view.scroll_value() <= top and bottom <= view.scroll_value() + page
    assert panel.row_label.text() == f"Row {row + 1}: negation"

    first = tree.topLevelItem(0)
    with qtbot.waitSignal(view.currentRowChanged, timeout=3000):
        qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(first).center())
    assert view.current_row() == first.data(0, RowRole)


def test_status_bar_and_tab_tooltip_carry_the_label(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "left.txt", "right.txt")
    label = window.delta_panel.status_label
    qtbot.waitUntil(lambda: label.text().startswith("edited · "), timeout=3000)
    assert "% words kept · " in label.text()  # brief; the tooltip says it in full
    assert "% of the source's words unchanged" in label.toolTip()
    tip = window.tabs.tabToolTip(window.tabs.currentIndex())
    lines = tip.splitlines()
    assert lines[0].startswith("Left: Rates rise again") and lines[1].startswith("Right: Rates rise again")
    assert lines[-3].startswith("edited · ") and lines[-2] == "edited: small word changes"
    assert lines[-1] == "3 critical changes"


def test_identical_pair_says_nothing_changed_and_view_menu_toggles(qtbot, window: MainWindow) -> None:
    _compare(qtbot, window, "left.txt", "left.txt")
    panel = window.delta_panel
    assert panel.tree.topLevelItemCount() == 0
    assert "verbatim" in panel.header.text() and panel.NONE in panel.header.text()
    action = panel.toggleViewAction()
    assert action in window.view_menu.actions()
    action.trigger()
    assert not panel.isVisible()


def test_related_rows_get_their_change_label(qtbot) -> None:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        with qtbot.waitSignal(win.reuse_docks.graphReady, timeout=30000):
            win.open_corpus(SEEDS)
        with qtbot.waitSignal(win.comparisonReady, timeout=10000):
            win.open_article("001", "left")
        model = win.reuse_docks.related.model
        qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=5000)
        from app.ui.relatedpanel import ChangeRole

        qtbot.waitUntil(lambda: bool(model.index(0, 0).data(ChangeRole)), timeout=20000)
        text = model.index(0, 0).data(ChangeRole)
        assert text.split(" · ")[0] in ("trimmed", "edited", "expanded", "partial", "verbatim", "rewritten")
        assert "% retained" in text and "change: " in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    finally:
        win.shutdown()


def test_a_manual_unlink_changes_the_deltas_and_the_related_label(qtbot, tmp_path: Path) -> None:
    """The dock and Related align the pair as the analyst did: an unlinked row has no deltas."""
    from app.ui.relatedpanel import ChangeRole

    folder = tmp_path / "corpus"  # apart from the data folder, so that the reuse map can be saved
    folder.mkdir()
    _write_pair(folder)
    window = MainWindow(restore=False)
    qtbot.addWidget(window)
    window.resize(1300, 700)
    window.show()
    qtbot.waitExposed(window)
    try:
        with qtbot.waitSignal(window.reuse_docks.mapReady, timeout=60000):
            window.open_corpus(folder)
        with qtbot.waitSignal(window.comparisonReady, timeout=20000):
            window.open_article("left.txt", "left")
        model = window.reuse_docks.related.model
        qtbot.waitUntil(lambda: "right.txt" in model.ids(), timeout=10000)
        alignment = _compare(qtbot, window, "left.txt", "right.txt")
        tree = window.delta_panel.tree
        qtbot.waitUntil(lambda: tree.topLevelItemCount() == 3, timeout=5000)
        date_row = next(tree.topLevelItem(n).data(0, RowRole) for n in range(3)
                        if tree.topLevelItem(n).text(1) == "Date changed")
        row = model.ids().index("right.txt")
        qtbot.waitUntil(lambda: bool(model.index(row, 0).data(ChangeRole)), timeout=20000)
        before = model.index(row, 0).data(ChangeRole)
        assert before.startswith("edited · ")

        with qtbot.waitSignal(window.delta_panel.changesReady, timeout=20000):
            assert window.overrides.unlink_row(window.compare_view, date_row)
        assert window.compare_view.alignment() is not alignment
        qtbot.waitUntil(lambda: tree.topLevelItemCount() == 2, timeout=5000)
        kinds = [tree.topLevelItem(n).text(1) for n in range(2)]
        assert "Date changed" not in kinds and "Attribution changed" in kinds
        row = model.ids().index("right.txt")
        qtbot.waitUntil(lambda: model.index(row, 0).data(ChangeRole) not in (None, "", before), timeout=20000)
        after = model.index(row, 0).data(ChangeRole)
        retained = [float(text.split(" · ")[1].split(" %")[0]) for text in (before, after)]
        assert retained[1] < retained[0]  # the unlinked paragraph no longer counts as retained
    finally:
        window.shutdown()
