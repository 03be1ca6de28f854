"""Notes: added on a row, marked in the panes and the overview, listed, jumped to, undone."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage

from app.core.reading.model import Alignment, Row, RowKind
from app.ui.compareview import CompareView
from app.ui.mainwindow import MainWindow
from app.ui.overview import NOTE_FILL
from tests.ui.conftest import SEEDS
from tests.ui.test_compareview import make_article

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(SEEDS)
    with qtbot.waitSignal(win.comparisonReady, timeout=20000):
        win.compare("001", "004")
    yield win
    win.shutdown()


def _answer(monkeypatch: pytest.MonkeyPatch, window: MainWindow, text: str | None) -> list[str]:
    asked: list[str] = []

    def ask(title: str, current: str) -> str | None:
        asked.append(current)
        return text

    monkeypatch.setattr(window.notes_panel, "ask_note_text", ask)
    return asked


def _matches(window: MainWindow) -> list[int]:
    return [n for n, r in enumerate(window.compare_view.alignment().rows) if r.is_match]


def _has_colour(image: QImage, colour: QColor) -> bool:
    return any(image.pixelColor(x, y).rgb() == colour.rgb()
               for y in range(image.height()) for x in range(0, image.width(), 1))


def test_ctrl_m_adds_a_note_on_the_current_row(qtbot, window: MainWindow, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(window.sessions, "_ask_save_path", lambda: str(tmp_path / "s.parallax"))
    assert window.sessions.save()
    assert not window.isWindowModified()
    row = _matches(window)[2]
    window.compare_view.set_current_row(row)
    _answer(monkeypatch, window, "Same quote, trimmed")
    qtbot.keyClick(window, Qt.Key.Key_M, CTRL)
    state = window.tabs.current_entry().state
    assert [n.text for n in state.notes] == ["Same quote, trimmed"]
    assert state.note_for(window.compare_view.alignment().rows[row]) is not None
    assert window.compare_view.left_pane.has_note(row) and window.compare_view.right_pane.has_note(row)
    assert window.compare_view.overview._notes == {row}
    assert window.notes_panel.rows_listed() == [row]
    assert window.notes_panel.list.topLevelItem(0).text(0) == str(row + 1)
    assert window.notes_panel.list.topLevelItem(0).text(1) == "Same quote, trimmed"
    assert window.isWindowModified()


def test_editing_shows_the_old_text_and_empty_text_deletes(qtbot, window: MainWindow,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    row = _matches(window)[0]
    assert window.notes_panel.set_note(row, "first")
    asked = _answer(monkeypatch, window, "second")
    assert window.notes_panel.edit_note(row)
    assert asked == ["first"]
    assert [n.text for n in window.tabs.current_entry().state.notes] == ["second"]
    _answer(monkeypatch, window, "")
    assert window.notes_panel.edit_note(row)
    assert window.tabs.current_entry().state.notes == []
    assert not window.compare_view.left_pane.has_note(row)


def test_cancelled_dialog_and_no_row_change_nothing(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    _answer(monkeypatch, window, None)
    window.compare_view.set_current_row(-1)
    assert not window.notes_panel.edit_note()
    assert "Click a row first" in window.statusBar().currentMessage()
    window.compare_view.set_current_row(_matches(window)[0])
    assert not window.notes_panel.edit_note()
    assert window.tabs.current_entry().state.notes == []


def test_delete_then_undo_and_redo(qtbot, window: MainWindow) -> None:
    rows = _matches(window)[:2]
    for row in rows:
        window.notes_panel.set_note(row, f"note {row}")
    panel = window.notes_panel
    panel.list.setCurrentItem(panel.list.topLevelItem(0))
    panel.delete_button.click()
    assert [n.text for n in window.tabs.current_entry().state.notes] == [f"note {rows[1]}"]
    assert panel.rows_listed() == [rows[1]]
    qtbot.keyClick(window, Qt.Key.Key_Z, CTRL)
    assert [n.text for n in window.tabs.current_entry().state.notes] == [f"note {r}" for r in rows]
    assert panel.rows_listed() == rows
    assert window.compare_view.left_pane.has_note(rows[0])
    panel.redo_action.trigger()
    assert panel.rows_listed() == [rows[1]]
    assert not window.compare_view.left_pane.has_note(rows[0])


def test_the_notes_list_jumps_to_a_row(window: MainWindow) -> None:
    rows = _matches(window)
    target = rows[-1]
    window.notes_panel.set_note(rows[0], "top")
    window.notes_panel.set_note(target, "bottom")
    assert window.compare_view.current_row() != target
    window.notes_panel.jump_to(1)
    assert window.compare_view.current_row() == target
    top, bottom = window.compare_view._layout.span(target)
    scroll = window.compare_view.scroll_value()
    assert scroll <= top and bottom <= scroll + window.compare_view.right_pane.viewport().height() + (bottom - top)


def test_row_context_menu_hook_asks_for_a_note(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    row = _matches(window)[1]
    _answer(monkeypatch, window, "from the menu")
    window.compare_view.right_pane.noteRequested.emit(row)
    assert window.notes_panel.rows_listed() == [row]


def test_comparison_note_is_kept_per_tab(qtbot, window: MainWindow) -> None:
    window.notes_panel.comparison_note.setPlainText("Two sites, one source.")
    assert window.tabs.current_entry().state.comparison_note == "Two sites, one source."
    assert window.isWindowModified()
    window.tabs.new_tab()
    assert window.notes_panel.comparison_note.toPlainText() == ""
    assert not window.notes_panel.comparison_note.isEnabled()
    window.tabs.setCurrentIndex(0)
    assert window.notes_panel.comparison_note.toPlainText() == "Two sites, one source."


def test_swapping_sides_keeps_the_notes_on_their_paragraphs(qtbot, window: MainWindow) -> None:
    row = _matches(window)[1]
    before = window.compare_view.alignment().rows[row]
    window.notes_panel.set_note(row, "follows the swap")
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.swap_action.trigger()
    note = window.tabs.current_entry().state.notes[0]
    assert (note.left, note.right) == (list(before.right), list(before.left))
    rows = window.compare_view.alignment().rows
    assert any(window.compare_view.left_pane.has_note(n) and r.left == before.right for n, r in enumerate(rows))


def test_note_marks_are_painted_in_the_pane_and_the_overview(qtbot) -> None:
    article = make_article("a.txt", [f"Paragraph number {n} with a few words." for n in range(6)])
    rows = [Row((n,), (n,), RowKind.IDENTICAL) for n in range(6)]
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view)
    view.set_alignment(Alignment(article, article, rows))
    pane_before, ruler_before = view.left_pane.viewport().grab().toImage(), view.overview.grab().toImage()
    assert not _has_colour(pane_before, NOTE_FILL) and not _has_colour(ruler_before, NOTE_FILL)
    view.set_note_rows({1})
    pane = view.left_pane.viewport().grab().toImage()
    rect = view.left_pane.row_rect(1)
    corner = pane.copy(rect.left(), rect.top(), 16, 16)
    assert _has_colour(corner, NOTE_FILL)
    assert not _has_colour(pane.copy(view.left_pane.row_rect(0)), NOTE_FILL)
    assert _has_colour(view.overview.grab().toImage(), NOTE_FILL)


def test_aligning_the_same_pair_again_keeps_notes_and_their_undo(qtbot, window: MainWindow) -> None:
    row = _matches(window)[0]
    window.notes_panel.set_note(row, "survives a re-alignment")
    state = window.tabs.current_entry().state
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.compare(*window.refs())
    assert window.tabs.count() == 1 and window.tabs.current_entry().state is state
    assert window.compare_view.left_pane.has_note(row)
    window.notes_panel.undo_action.trigger()
    assert state.notes == [] and not window.compare_view.left_pane.has_note(row)
