"""Marks from the comparison's context menu (undoable), the Preferences and the Sources dialogs."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QDoubleSpinBox, QMenu

from app.core.reading.model import RowKind
from app.core.reuse.fingerprint import exact_hash
from app.core.reuse.reusemap import Thresholds
from app.core.workspace.userdata import UserDataStore
from app.ui.mainwindow import MainWindow
from app.ui.preferences import PreferencesDialog
from app.ui.sources import SourcesDialog
from tests.ui.conftest import SEEDS


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(SEEDS)
    with qtbot.waitSignal(win.reuse_docks.mapReady, timeout=30000):
        pass
    with qtbot.waitSignal(win.comparisonReady, timeout=20000):
        win.compare("001", "004")
    yield win
    win.shutdown()


def _row_of(window: MainWindow, side: str, para: int) -> int:
    rows = window.compare_view.alignment().rows
    return next(n for n, r in enumerate(rows) if para in (r.left if side == "left" else r.right))


def _menu_on_row(window: MainWindow, row: int):
    """The mark actions of the right pane's context menu at a point in ``row``'s first paragraph."""
    pane = window.compare_view.right_pane
    window.compare_view.set_current_row(row)  # scrolled into view
    rect = pane.row_rect(row)
    menu = QMenu(pane)
    pane.add_mark_actions(menu, pane.paragraph_at(QPointF(rect.center().x(), rect.top() + 12)))
    return pane, menu


def _action(menu, name: str):
    return next(a for a in menu.actions() if a.objectName() == name)


def test_mark_from_the_context_menu_realigns_and_undo_takes_it_back(qtbot, window: MainWindow) -> None:
    al = window.compare_view.alignment()
    row = next(n for n, r in enumerate(al.rows) if r.kind is RowKind.IDENTICAL and r.right
               and len(al.right.paragraphs[r.right[0]].text.split()) > 12 and n > 6)
    para = al.rows[row].right[0]
    text = al.right.paragraphs[para].text
    pane, menu = _menu_on_row(window, row)
    assert pane.paragraph_at(QPointF(pane.row_rect(row).center().x(), pane.row_rect(row).top() + 12)) == para
    assert not _action(menu, "mark_clear").isEnabled()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        _action(menu, "mark_boilerplate").trigger()
    store = UserDataStore(SEEDS)
    assert store.data.mark_kind(exact_hash(al.right.paragraphs[para].norm)) == "boilerplate"
    assert store.data.marks[exact_hash(al.right.paragraphs[para].norm)].text == text[:80]
    # The paragraph, on both sides, is now boilerplate in the comparison.
    new = window.compare_view.alignment()
    assert new.rows[_row_of(window, "right", para)].kind is RowKind.BOILERPLATE
    assert window.notes_panel.undo_action.isEnabled()
    assert "Mark as Boilerplate" in window.notes_panel.undo_action.text()
    _, menu = _menu_on_row(window, _row_of(window, "right", para))
    assert _action(menu, "mark_boilerplate").isChecked() and _action(menu, "mark_clear").isEnabled()

    window.compare_view.right_pane.setFocus()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        qtbot.keyClick(window.compare_view.right_pane, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert UserDataStore(SEEDS).data.marks == {}
    again = window.compare_view.alignment()
    assert again.rows[_row_of(window, "right", para)].kind is RowKind.IDENTICAL
    # The map rebuilt without the mark aligns the comparison once more, to the same result.
    qtbot.waitUntil(lambda: not window.reuse_docks.busy(), timeout=30000)
    assert window.reuse_docks.reuse_map().overrides.boilerplate == frozenset()
    qtbot.wait(50)
    final = window.compare_view.alignment()
    assert final.rows[_row_of(window, "right", para)].kind is RowKind.IDENTICAL


def test_mark_as_content_and_clear(qtbot, window: MainWindow) -> None:
    al = window.compare_view.alignment()
    view = window.compare_view
    para = next(i for i, p in enumerate(al.left.paragraphs) if len(p.text.split()) > 12)
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        assert window.overrides.mark(view, "left", para, "content")
    h = exact_hash(al.left.paragraphs[para].norm)
    assert UserDataStore(SEEDS).data.mark_kind(h) == "content"
    assert not window.overrides.mark(view, "left", para, "content")  # no change, nothing pushed
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        assert window.overrides.mark(view, "left", para, None)
    assert UserDataStore(SEEDS).data.mark_kind(h) is None


def test_preferences_are_generated_from_the_thresholds(qtbot) -> None:
    dialog = PreferencesDialog({"source_articles": 7}, "seeds")
    qtbot.addWidget(dialog)
    assert set(dialog.editors) == set(asdict(Thresholds()))
    assert dialog.editors["source_articles"].value() == 7
    assert isinstance(dialog.editors["min_containment"], QDoubleSpinBox)
    for name, text in Thresholds.DESCRIPTIONS.items():
        assert text in dialog.editors[name].toolTip()
    dialog.restore_button.click()
    assert dialog.values() == asdict(Thresholds())


def test_preferences_saved_per_corpus_and_the_map_rebuilt(qtbot, window: MainWindow,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []

    def ask(current: dict) -> dict:
        seen.append(current)
        return {**current, "source_articles": 6}

    monkeypatch.setattr(window.overrides, "ask_thresholds", ask)
    with qtbot.waitSignal(window.reuse_docks.mapReady, timeout=30000) as blocker:
        window.overrides.preferences_action.trigger()
    assert seen and seen[0]["source_articles"] == Thresholds().source_articles
    assert UserDataStore(SEEDS).data.thresholds == {"source_articles": 6}
    assert blocker.args[0].thresholds.source_articles == 6  # rebuilt off the GUI thread with it
    assert window.overrides.preferences_action.shortcut().toString() == "Ctrl+,"
    edit = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Edit")
    assert {window.overrides.preferences_action, window.overrides.sources_action,
            window.notes_panel.undo_action} <= set(edit.actions())


def test_sources_dialog_renames_and_merges(qtbot, tmp_path) -> None:
    (tmp_path / "c").mkdir()
    store = UserDataStore(tmp_path / "c")
    dialog = SourcesDialog(store, Counter({"rt.com": 4, "RT News": 2, "tass.ru": 3, "": 5}))
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() == 3
    answers = iter(["RT", "Russia Today"])
    dialog.ask_name = lambda title, label, current: next(answers)
    dialog.select(["rt.com"])
    with qtbot.waitSignal(dialog.changed):
        assert dialog.rename_selected()
    assert store.data.sources == {"rt.com": "RT"}
    dialog.select(["rt.com", "RT News"])
    assert dialog.merge_button.isEnabled()
    assert dialog.merge_selected()
    assert store.data.sources == {"rt.com": "Russia Today", "RT News": "Russia Today"}
    shown = {dialog.tree.topLevelItem(k).text(0) for k in range(dialog.tree.topLevelItemCount())}
    assert shown == {"Russia Today", "tass.ru"}
    dialog.select(["rt.com"])
    assert dialog.reset_selected()
    assert store.data.sources == {"RT News": "Russia Today"}


def test_sources_from_the_window_rename_the_listing(qtbot, window: MainWindow,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    raw = next(a.source for a in window.corpus().listing() if a.source)

    def run(dialog: SourcesDialog) -> None:
        dialog.ask_name = lambda *_: "Renamed Outlet"
        dialog.select([raw])
        dialog.rename_selected()

    monkeypatch.setattr(window.overrides, "show_sources", run)
    with qtbot.waitSignal(window.indexFinished, timeout=30000):
        window.overrides.sources_action.trigger()
    model = window.panel.article_model
    sources = {model.info(model.article_id(r)).source for r in range(model.rowCount())}
    assert "Renamed Outlet" in sources and raw not in sources
    with qtbot.waitSignal(window.panel.searchFinished, timeout=20000):
        window.panel.search_edit.setText("China")
        window.panel.search_now()
    shown = {window.panel.result_model.hit(r).source for r in range(window.panel.result_model.rowCount())}
    assert "Renamed Outlet" in shown and raw not in shown


def test_sessions_carry_the_marks_and_bring_them_to_another_machine(qtbot, window: MainWindow,
                                                                     tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.sessions.session import Session, save_session
    from app.core.workspace.userdata import UserData, text_hash

    assert window.sessions.snapshot().userdata is None
    view = window.compare_view
    para = next(i for i, p in enumerate(view.alignment().left.paragraphs) if len(p.text.split()) > 12)
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.overrides.mark(view, "left", para, "boilerplate")
    carried = window.sessions.snapshot().userdata
    assert carried is not None and len(carried["marks"]) == 1

    incoming = UserData.from_json(carried)
    text = "A paragraph another analyst marked as the publisher's furniture on their machine."
    incoming.marks[text_hash(text)] = type(next(iter(incoming.marks.values())))(
        text_hash(text), "boilerplate", text, "2026-01-01T00:00:00+00:00")
    path = save_session(Session(corpus=str(SEEDS), userdata=incoming.to_json()), tmp_path / "s.parallax")
    monkeypatch.setattr(window.sessions, "_ask_save_changes", lambda: "discard")
    assert window.sessions.open_session(path)
    marks = UserDataStore(SEEDS).data.marks
    assert text_hash(text) in marks and len(marks) == 2  # merged: the local mark stays
    assert "From the session" in window.statusBar().currentMessage()
    # The merged marks rebuild the map and re-align: let that finish before the window closes.
    qtbot.waitUntil(lambda: not window.is_indexing() and not window.reuse_docks.busy(), timeout=30000)
    qtbot.wait(300)


def test_mark_as_content_makes_a_chrome_paragraph_content_in_the_view(qtbot, tmp_path) -> None:
    """A story paragraph the page guesser calls chrome (a disclaimer's words) becomes content."""
    from app.core.reading.model import Role
    from tests.core.test_pair_decisions import CHROMEY, STORY, TITLE

    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_text(TITLE + "\n\n" + "\n\n".join([*STORY[:3], CHROMEY, *STORY[3:]]) + "\n", "utf-8")
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1300, 800)
    win.show()
    qtbot.waitExposed(win)
    try:
        with qtbot.waitSignal(win.reuse_docks.mapReady, timeout=60000):
            win.open_corpus(folder)
        with qtbot.waitSignal(win.comparisonReady, timeout=20000):
            win.compare("a.txt", "b.txt")
        al = win.compare_view.alignment()
        para = next(p.index for p in al.right.paragraphs if p.text == CHROMEY)
        assert al.right.paragraphs[para].role is Role.CHROME
        row = _row_of(win, "right", para)
        assert al.rows[row].kind is RowKind.BOILERPLATE
        _, menu = _menu_on_row(win, row)
        with qtbot.waitSignal(win.comparisonReady, timeout=20000):
            _action(menu, "mark_content").trigger()
        new = win.compare_view.alignment()
        assert new.rows[_row_of(win, "right", para)].kind is RowKind.IDENTICAL
        assert new.left.paragraphs[para].role is new.right.paragraphs[para].role is Role.BODY
        with qtbot.waitSignal(win.comparisonReady, timeout=20000):
            win.notes_panel.undo_action.trigger()
        assert win.compare_view.alignment().rows[_row_of(win, "right", para)].kind is RowKind.BOILERPLATE
    finally:
        win.shutdown()
