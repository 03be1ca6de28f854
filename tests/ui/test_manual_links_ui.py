"""Manual alignment in the window: Link These (Ctrl+L), Unlink, Not a Match, Remove Manual Link,
undo and redo, and the link coming back after closing the pair, an index rebuild and a session."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QPointF, Qt

from app.core.storage.paths import index_dir_for
from app.core.workspace.links import LINK, NOT_A_MATCH, pair_for
from app.core.workspace.userdata import UserDataStore
from app.ui.mainwindow import MainWindow
from tests.ui.conftest import SEEDS

# 001 and 004 are the same article from two sites. Left ¶6 (index 5) is the lede of 001, which
# the aligner leaves unlinked; right ¶4 (index 3) is matched by the aligner to left ¶10 (index 9).
LEFT_PARA, RIGHT_PARA, AUTO_PARTNER = 5, 3, 9


def _open(qtbot, win: MainWindow) -> None:
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(SEEDS)
    with qtbot.waitSignal(win.reuse_docks.mapReady, timeout=30000):
        pass
    with qtbot.waitSignal(win.comparisonReady, timeout=20000):
        win.compare("001", "004")


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    _open(qtbot, win)
    yield win
    win.shutdown()


def _pairs(window: MainWindow) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    return {(r.left, r.right) for r in window.compare_view.alignment().rows if r.is_match}


def _stored(window: MainWindow) -> list[tuple[str, int, int]]:
    al = window.compare_view.alignment()
    pair = pair_for(UserDataStore(SEEDS).data, al.left, al.right)
    return [(m.kind, m.left.index, m.right.index) for m in pair.items] if pair else []


def _link(qtbot, window: MainWindow) -> None:
    """Click left ¶6 and right ¶4, then press Ctrl+L."""
    view = window.compare_view
    for pane, para in ((view.left_pane, LEFT_PARA), (view.right_pane, RIGHT_PARA)):
        view.set_current_row(next(n for n, r in enumerate(view.alignment().rows)
                                  if para in (r.left if pane is view.left_pane else r.right)))
        rect = pane.paragraph_rect(para)
        qtbot.mouseClick(pane.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.picked() == (LEFT_PARA, RIGHT_PARA)
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        qtbot.keyClick(view.right_pane, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)


def _held_row(window: MainWindow) -> int:
    return next(n for n, r in enumerate(window.compare_view.alignment().rows)
                if (r.left, r.right) == ((LEFT_PARA,), (RIGHT_PARA,)))


def test_link_these_realigns_and_undo_redo(qtbot, window: MainWindow) -> None:
    assert ((AUTO_PARTNER,), (RIGHT_PARA,)) in _pairs(window)
    assert ((LEFT_PARA,), (RIGHT_PARA,)) not in _pairs(window)
    _link(qtbot, window)
    assert ((LEFT_PARA,), (RIGHT_PARA,)) in _pairs(window)
    assert ((AUTO_PARTNER,), (RIGHT_PARA,)) not in _pairs(window)  # re-aligned around the link
    assert window.compare_view.manual_rows() == {_held_row(window)}
    assert window.compare_view.picked() == (-1, -1)
    assert _stored(window) == [(LINK, LEFT_PARA, RIGHT_PARA)]
    assert "Link left ¶6 with right ¶4" in window.notes_panel.undo_action.text()

    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        qtbot.keyClick(window.compare_view.right_pane, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert ((AUTO_PARTNER,), (RIGHT_PARA,)) in _pairs(window) and _stored(window) == []
    assert window.compare_view.manual_rows() == set()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.notes_panel.redo_action.trigger()
    assert ((LEFT_PARA,), (RIGHT_PARA,)) in _pairs(window)
    assert _stored(window) == [(LINK, LEFT_PARA, RIGHT_PARA)]


def _menu_action(window: MainWindow, side: str, row: int, name: str):
    view = window.compare_view
    pane = view.left_pane if side == "left" else view.right_pane
    view.set_current_row(row)
    rect = pane.row_rect(row)
    pane.show_menu = lambda menu, pos: None
    menu = pane.context_menu_at(QPointF(rect.center().x(), rect.top() + 12))
    return next((a for a in menu.actions() if a.objectName() == name), None)


def test_unlink_not_a_match_and_remove_manual_link(qtbot, window: MainWindow) -> None:
    view = window.compare_view
    auto = next(n for n, r in enumerate(view.alignment().rows) if (r.left, r.right) == ((AUTO_PARTNER,), (RIGHT_PARA,)))
    action = _menu_action(window, "left", auto, "unlink_row")
    assert action.isEnabled()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        action.trigger()
    assert ((AUTO_PARTNER,), (RIGHT_PARA,)) not in _pairs(window)
    assert _stored(window) == [(NOT_A_MATCH, AUTO_PARTNER, RIGHT_PARA)]

    # Not a Match on one paragraph of another identical row.
    row = next(n for n, r in enumerate(view.alignment().rows) if r.is_match and r.left[0] > AUTO_PARTNER)
    left, right = view.alignment().rows[row].left, view.alignment().rows[row].right
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        _menu_action(window, "right", row, "not_a_match").trigger()
    assert (left, right) not in _pairs(window)
    assert (NOT_A_MATCH, left[0], right[0]) in _stored(window)

    # A manual link offers Remove Manual Link, which lets the aligner decide again.
    _link(qtbot, window)
    held = _held_row(window)
    automatic = next(n for n, r in enumerate(view.alignment().rows) if r.is_match and n != held)
    assert _menu_action(window, "left", automatic, "forget_link") is None
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        _menu_action(window, "left", held, "forget_link").trigger()
    assert ((LEFT_PARA,), (RIGHT_PARA,)) not in _pairs(window)
    assert all(kind == NOT_A_MATCH for kind, _i, _j in _stored(window))
    # Undo brings the link back, and once more the Not a Match goes.
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.notes_panel.undo_action.trigger()
    assert ((LEFT_PARA,), (RIGHT_PARA,)) in _pairs(window)
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.notes_panel.undo_action.trigger()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.notes_panel.undo_action.trigger()
    assert (left, right) in _pairs(window)


def test_link_these_needs_a_paragraph_on_each_side(qtbot, window: MainWindow) -> None:
    view = window.compare_view
    view.pick("left", LEFT_PARA)
    assert not view.link_picked()
    assert _stored(window) == []
    action = _menu_action(window, "left", 0, "link_these")  # right-clicking a left paragraph picks it
    assert action is not None and not action.isEnabled() and view.picked()[1] == -1
    assert "Click a paragraph on each side" in window.statusBar().currentMessage()


def test_the_link_survives_closing_the_pair_and_an_index_rebuild(qtbot, window: MainWindow) -> None:
    _link(qtbot, window)
    window.tabs.close_tab()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.compare("001", "004")
    assert ((LEFT_PARA,), (RIGHT_PARA,)) in _pairs(window)
    # Swapped, the link holds the other way round.
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.compare("004", "001")
    assert ((RIGHT_PARA,), (LEFT_PARA,)) in _pairs(window)

    window.shutdown()
    shutil.rmtree(index_dir_for(SEEDS))  # the index is rebuilt from nothing
    again = MainWindow(restore=False)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    try:
        _open(qtbot, again)
        assert ((LEFT_PARA,), (RIGHT_PARA,)) in _pairs(again)
        assert again.compare_view.manual_rows()
    finally:
        again.shutdown()


def test_the_link_travels_in_a_session(qtbot, window: MainWindow, tmp_path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.sessions.session import save_session

    _link(qtbot, window)
    snapshot = window.sessions.snapshot()
    assert snapshot.userdata and snapshot.userdata["links"][0]["items"][0]["kind"] == LINK
    path = save_session(snapshot, tmp_path / "linked.parallax")
    # Another machine: no user data for the corpus at all.
    store = window.corpus().userdata
    store.change(lambda d: d.links.clear())
    assert store.refresh().links == []
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.overrides.realign()
    assert ((LEFT_PARA,), (RIGHT_PARA,)) not in _pairs(window)

    monkeypatch.setattr(window.sessions, "_ask_save_changes", lambda: "discard")
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        assert window.sessions.open_session(path)
    assert ((LEFT_PARA,), (RIGHT_PARA,)) in _pairs(window)
    assert _stored(window) == [(LINK, LEFT_PARA, RIGHT_PARA)]
    qtbot.waitUntil(lambda: not window.is_indexing() and not window.reuse_docks.busy(), timeout=30000)
    qtbot.wait(300)


def test_a_stale_link_is_reported_in_the_status_bar(qtbot, tmp_path) -> None:
    from app.core.reading.reader import read_article
    from app.core.workspace.links import decision, edit_pair, with_decision

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    left = read_article(next(corpus.glob("001_*")), corpus)
    right = read_article(next(corpus.glob("004_*")), corpus)
    edit_pair(UserDataStore(corpus), left, right,
              lambda items: with_decision(items, decision(LINK, left, LEFT_PARA, right, RIGHT_PARA)))
    path = next(corpus.glob("001_*"))
    text = path.read_text(encoding="utf-8")
    lede = left.paragraphs[LEFT_PARA].text
    assert lede[:60] in text
    path.write_text(text.replace(lede[:60], "A wholly different opening sentence about other matters entirely, "),
                    encoding="utf-8")

    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    try:
        with qtbot.waitSignal(win.indexFinished, timeout=30000):
            win.open_corpus(corpus)
        with qtbot.waitSignal(win.comparisonReady, timeout=20000):
            win.compare("001", "004")
        message = win.statusBar().currentMessage()
        assert "Manual links" in message and ("stale" in message or "re-anchored" in message), message
    finally:
        win.shutdown()
