"""The comparison inside the window: copies told apart, opens from Related in a new tab, search
hits, and the small defects of issue 16 (disabled actions, help pages, docks, clipped labels)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication
from test_compareview import small_alignment

from app.ui.helptexts import QUERY_SYNTAX_HTML, shortcuts_html
from app.ui.mainwindow import MainWindow
from app.ui.notes import row_caption
from app.ui.palette import apply_theme


@pytest.fixture
def window(qtbot):
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()
    apply_theme("system")


def copies():
    al = small_alignment()
    al.left.title = al.right.title = "Putin in China"
    al.left.source, al.right.source = "Global Research", "The Daily Observer"
    return al


def test_tabs_tell_copies_with_one_title_apart(window: MainWindow) -> None:
    window.tabs.show_alignment(window.tabs.current_entry(), copies())
    text = window.tabs.tabText(window.tabs.currentIndex())
    assert "Global Research" in text and "The Daily Observer" in text
    assert "Global Research" in window.tabs.tabToolTip(window.tabs.currentIndex())
    assert window.compare_view.left_pane.header.meta.text().startswith("Global Research")


def test_opening_from_related_never_replaces_the_current_comparison(window: MainWindow, monkeypatch) -> None:
    monkeypatch.setattr(window.comparisons, "start", lambda entry=None: None)
    window.tabs.show_alignment(window.tabs.current_entry(), small_alignment())
    before = window.tabs.count()
    window.reuse_docks.related.compareRequested.emit("a.txt", "b.txt")
    assert window.tabs.count() == before + 1
    assert window.tabs.current_entry().refs == ["a.txt", "b.txt"]
    assert window.tabs.entries()[0].view.alignment() is not None


def test_navigation_is_disabled_without_a_comparison(window: MainWindow) -> None:
    names = {a.text(): a for a in window.tabs.view_actions()}
    assert not names["Next Match"].isEnabled() and not names["Previous Difference"].isEnabled()
    window.tabs.show_alignment(window.tabs.current_entry(), small_alignment())
    window._update_compare_actions()
    assert names["Next Match"].isEnabled()


def test_help_pages_and_dock_toggles_under_view(window: MainWindow) -> None:
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    labels = [a.text() for a in help_menu.actions()]
    assert "&Keyboard Shortcuts" in labels and "&Query Syntax" in labels
    assert "Ctrl+G" in shortcuts_html([*window.actions(), *window.tabs.view_actions()]) and "F7" in shortcuts_html([*window.actions(), *window.tabs.view_actions()])
    assert "title:" in QUERY_SYNTAX_HTML
    view_labels = [a.text() for a in window.view_menu.actions()]
    assert window.notes_panel.toggleViewAction().text() in view_labels
    edit_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert window.notes_panel.toggleViewAction() not in edit_menu.actions()
    assert not window.notes_panel.isVisible()  # no notes yet: the dock starts closed
    assert len(window.findChildren(type(window.menuBar()))) == 1


def test_note_dialog_names_its_row_and_long_headers_are_elided(window: MainWindow) -> None:
    al = small_alignment()
    assert row_caption(al, 5).startswith("Note on row 6 · left ¶5 ↔ right ¶5–6 · “")
    al.left.title = "A very long title " * 20
    window.tabs.show_alignment(window.tabs.current_entry(), al)
    header = window.compare_view.left_pane.header
    QApplication.processEvents()
    assert header.title.text().endswith("…") and header.title_text() == al.left.title
    assert header.title.fontMetrics().horizontalAdvance(header.title.text()) <= header.width()


def test_the_empty_pane_prompt_is_not_cut_off(window: MainWindow) -> None:
    meta = window.compare_view.right_pane.header.meta
    assert meta.text() == "Drop a file or an article from the list here"
    assert meta.wordWrap()


def test_a_comparison_opened_with_a_query_goes_to_the_first_hit(window: MainWindow) -> None:
    entry = window.tabs.current_entry()
    window.tabs.set_query("pipeline", entry)
    entry.generation = 1
    window.comparisons._done(entry, 1, small_alignment())
    view = window.compare_view
    view.wait_query_hits()
    QApplication.processEvents()
    assert view.query_hit_rows() and view.current_row() == view.query_hit_rows()[0]
