"""The Facets dock filters the results (click keeps, Ctrl-click leaves out), the month histogram
selects a date range by dragging, and the hits can be sorted (remembered)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from app.ui.corpuspanel import CorpusPanel
from app.ui.mainwindow import MainWindow
from app.ui.settings import settings

BODY = "The ferry strike closed the harbour for a third day as talks with the operator stalled."
ARTICLES = (("a1", "Harbour Post", "2024-01-10"), ("a2", "Harbour Post", "2024-02-11"),
            ("b1", "Coast Daily", "2024-03-12"), ("b2", "Coast Daily", "2024-04-13"),
            ("c1", "Bay Times", "2024-04-20"), ("c2", "Bay Times", ""))


@pytest.fixture
def window(qtbot, tmp_path: Path) -> MainWindow:
    root = tmp_path / "corpus"
    root.mkdir()
    for name, source, day in ARTICLES:
        when = f"date: {day}\n" if day else ""
        (root / f"{name}.md").write_text(f"---\ntitle: {name}\nsource: {source}\n{when}---\n\n{BODY}\n",
                                         encoding="utf-8")
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1400, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.reuse_docks.mapReady, timeout=60000):
        win.open_corpus(root)
    win.panel.collapse_box.setChecked(False)  # every copy of the one text listed
    yield win
    win.shutdown()


def _search(qtbot, panel: CorpusPanel, query: str = "ferry") -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=20000):
        panel.search_edit.setText(query)
        panel.search_now()


def _hits(panel: CorpusPanel) -> list[str]:
    return panel.result_model.ids()


def _click_value(qtbot, window: MainWindow, facet: str, value: str, ctrl: bool = False) -> None:
    lst = window.facet_panel.lists[facet]
    row, _ = window.facet_panel.value_items(facet)[value]
    pos = lst.visualItemRect(lst.item(row)).center()
    mods = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    with qtbot.waitSignal(window.panel.searchFinished, timeout=20000):
        qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, mods, pos)


def test_facet_clicks_filter_and_ctrl_click_excludes(qtbot, window: MainWindow) -> None:
    window.facet_panel.show()
    _search(qtbot, window.panel)
    fp = window.facet_panel
    assert {v: n for v, n in fp.counts.counts["source"]} == {"Harbour Post": 2, "Coast Daily": 2, "Bay Times": 2}
    assert "1 undated" in fp.undated_label.text()
    _click_value(qtbot, window, "source", "Coast Daily")
    assert sorted(_hits(window.panel)) == ["b1.md", "b2.md"]
    assert fp.value_items("source")["Coast Daily"][1] == "include"
    _click_value(qtbot, window, "source", "Coast Daily")  # a second click clears it
    assert len(_hits(window.panel)) == 6
    _click_value(qtbot, window, "source", "Bay Times", ctrl=True)
    assert sorted(_hits(window.panel)) == ["a1.md", "a2.md", "b1.md", "b2.md"]
    assert fp.value_items("source")["Bay Times"][1] == "exclude"
    with qtbot.waitSignal(window.panel.searchFinished, timeout=20000):
        fp.clear_button.click()
    assert len(_hits(window.panel)) == 6


def test_dragging_across_the_histogram_selects_months(qtbot, window: MainWindow) -> None:
    window.facet_panel.show()
    _search(qtbot, window.panel)
    hist = window.facet_panel.histogram
    assert hist.months == ["2024-01", "2024-02", "2024-03", "2024-04"] and hist.counts == [1, 1, 1, 2]
    start = hist.bar_rect(1).center().toPoint()
    end = hist.bar_rect(2).center().toPoint()
    with qtbot.waitSignal(window.panel.searchFinished, timeout=20000):
        qtbot.mousePress(hist, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(hist, QPoint(end.x(), end.y()))
        qtbot.mouseRelease(hist, Qt.MouseButton.LeftButton, pos=end)
    assert hist.selected_months() == ("2024-02", "2024-03")
    assert window.facet_panel.from_edit.text() == "2024-02-01" and window.facet_panel.to_edit.text() == "2024-03-31"
    assert sorted(_hits(window.panel)) == ["a2.md", "b1.md"]  # undated c2 is left out


def test_sorting_orders_the_hits_and_is_remembered(qtbot, window: MainWindow) -> None:
    panel = window.panel
    _search(qtbot, panel)
    for key, expected in (("oldest", ["a1.md", "a2.md", "b1.md", "b2.md", "c1.md", "c2.md"]),
                          ("newest", ["c1.md", "b2.md", "b1.md", "a2.md", "a1.md", "c2.md"]),
                          ("source", ["c1.md", "c2.md", "b2.md", "b1.md", "a2.md", "a1.md"])):
        with qtbot.waitSignal(panel.searchFinished, timeout=20000):
            panel.sort_combo.setCurrentIndex(panel.sort_combo.findData(key))
        assert _hits(panel) == expected, key
    assert settings().value("search/sort") == "source"
    assert CorpusPanel().sort_key() == "source"  # a new panel starts with the remembered order


def test_search_history_walks_with_up_and_down(qtbot, window: MainWindow) -> None:
    panel = window.panel
    _search(qtbot, panel, "ferry")
    _search(qtbot, panel, "harbour")
    edit = panel.search_edit
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.text() == "harbour"
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.text() == "ferry"
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    assert edit.text() == "harbour"


def test_a_query_is_saved_under_a_name_in_the_searches_menu(qtbot, window: MainWindow,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    panel = window.panel
    _search(qtbot, panel, "ferry AND harbour")
    saved = window.saved_searches
    monkeypatch.setattr(saved, "ask_name", lambda query: "Harbour ferries")
    assert saved.save_current()
    assert window.corpus().userdata.refresh().searches == {"Harbour ferries": "ferry AND harbour"}
    saved.menu.aboutToShow.emit()
    action = next(a for a in saved.menu.actions() if a.text() == "Harbour ferries")
    panel.search_edit.setText("something else")
    with qtbot.waitSignal(panel.searchFinished, timeout=20000):
        action.trigger()
    assert panel.search_edit.text() == "ferry AND harbour"
    assert "Harbour ferries" in window.overrides.session_userdata()["searches"]  # carried by sessions
    assert saved.menu.title() == "&Searches" and saved.menu.menuAction() in window.menuBar().actions()
    menus = window.menuBar().actions()
    assert menus[menus.index(saved.menu.menuAction()) + 1].menu() is window.view_menu  # just before View
