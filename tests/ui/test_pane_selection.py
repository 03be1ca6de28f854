"""Text selected in a comparison pane by dragging: copied with Ctrl+C, looked up with Find Other
Versions of Selection (from the context menu to the Other Versions dock)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QGuiApplication, QMouseEvent
from PySide6.QtWidgets import QApplication

from app.ui.compareview import CompareView
from app.ui.mainwindow import MainWindow
from app.ui.paragraphpane import TEXT_LEFT, ParagraphPane
from tests.fixtures.syndication import Syndication
from tests.ui.conftest import story_pair_paragraph
from tests.ui.test_compareview import small_alignment

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def view(view: CompareView) -> CompareView:
    view.set_alignment(small_alignment())
    return view


def point_of(pane: ParagraphPane, para: int, offset: int) -> QPointF:
    """The viewport point of character ``offset`` of paragraph ``para`` (middle of its line)."""
    rect = pane.paragraph_rect(para)
    layout = pane._block(para, pane.text_width()).layout
    line = layout.lineForTextPosition(offset)
    return QPointF(TEXT_LEFT + line.cursorToX(offset)[0], rect.top() + line.y() + line.height() / 2)


def mouse(pane: ParagraphPane, kind: QEvent.Type, at: QPointF, held: bool = True) -> None:
    button = Qt.MouseButton.NoButton if kind is QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    buttons = Qt.MouseButton.LeftButton if held and kind is not QEvent.Type.MouseButtonRelease else \
        Qt.MouseButton.NoButton
    event = QMouseEvent(kind, at, pane.viewport().mapToGlobal(at), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(pane.viewport(), event)


def drag(pane: ParagraphPane, start: QPointF, end: QPointF) -> None:
    mouse(pane, QEvent.Type.MouseButtonPress, start)
    for k in range(1, 5):
        mouse(pane, QEvent.Type.MouseMove, start + (end - start) * (k / 4))
    mouse(pane, QEvent.Type.MouseButtonRelease, end)


def word_bounds(text: str, word: str) -> tuple[int, int]:
    start = text.index(f" {word}") + 1 if not text.startswith(word) else 0
    return start, start + len(word)


def test_dragging_selects_words_and_ctrl_c_copies_them(view: CompareView, qtbot) -> None:
    pane = view.right_pane
    text = pane.article().paragraphs[4].text
    words = text.split()
    first = text.index(words[3])
    last = text.index(words[9], first) + len(words[9])
    before = pane.viewport().grab().toImage()
    drag(pane, point_of(pane, 4, first), point_of(pane, 4, last))
    assert pane.selected_text() == text[first:last]
    assert pane.viewport().grab().toImage() != before  # the selection is painted
    pane.setFocus()
    qtbot.keyClick(pane, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == text[first:last]
    # Dragged backwards, the same words.
    drag(pane, point_of(pane, 4, last), point_of(pane, 4, first))
    assert pane.selected_text() == text[first:last]
    # A click without a drag selects nothing: Ctrl+C copies the row again.
    at = point_of(pane, 4, first)
    mouse(pane, QEvent.Type.MouseButtonPress, at)
    mouse(pane, QEvent.Type.MouseButtonRelease, at)
    assert pane.selected_text() == "" and pane.selection() is None
    qtbot.keyClick(pane, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == pane.row_text(view.current_row())


def test_a_selection_across_paragraphs_keeps_them_apart(view: CompareView) -> None:
    pane = view.left_pane
    bar = view.right_pane.verticalScrollBar()  # the panes scroll together
    bar.setValue(bar.value() + pane.paragraph_rect(6).top() - 20)
    assert pane.paragraph_rect(7).bottom() < pane.viewport().height()
    six, seven = (pane.article().paragraphs[i].text for i in (6, 7))
    s6 = six.index(six.split()[-3])
    e7 = word_bounds(seven, seven.split()[2])[1]
    assert 0 < e7 < 30
    drag(pane, point_of(pane, 6, s6), point_of(pane, 7, e7))
    assert pane.selected_text() == six[s6:] + "\n\n" + seven[:e7]
    assert pane.selection() == ((6, s6), (7, e7))


def test_double_click_selects_a_word(view: CompareView) -> None:
    pane = view.left_pane
    text = pane.article().paragraphs[2].text
    s, e = word_bounds(text, text.split()[4])
    at = point_of(pane, 2, s + 1)
    mouse(pane, QEvent.Type.MouseButtonPress, at)
    mouse(pane, QEvent.Type.MouseButtonRelease, at)
    mouse(pane, QEvent.Type.MouseButtonDblClick, at)
    mouse(pane, QEvent.Type.MouseButtonRelease, at)
    assert pane.selected_text() == text[s:e]


def test_the_context_menu_offers_the_selection(view: CompareView) -> None:
    pane = view.right_pane
    text = pane.article().paragraphs[4].text
    s, e = 0, word_bounds(text, text.split()[6])[1]
    pane.show_menu = lambda menu, pos: None
    menu = pane.context_menu_at(point_of(pane, 4, 2))
    names = [a.objectName() for a in menu.actions()]
    assert "find_versions" in names and "find_versions_selection" not in names and "copy_selection" not in names
    drag(pane, point_of(pane, 4, s), point_of(pane, 4, e))
    asked: list[str] = []
    pane.selectionVersionsRequested.connect(asked.append)
    menu = pane.context_menu_at(point_of(pane, 4, 2))  # a right-click keeps the selection
    actions = {a.objectName(): a for a in menu.actions()}
    assert actions["find_versions_selection"].text() == "Find Other Versions of Selection"
    actions["find_versions_selection"].trigger()
    assert asked == [text[s:e]]
    actions["copy_selection"].trigger()
    assert QGuiApplication.clipboard().text() == text[s:e]


@pytest.fixture
def window(syndication_window: MainWindow) -> MainWindow:
    return syndication_window


def test_find_other_versions_of_a_selected_sentence(qtbot, window: MainWindow,
                                                     syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    origin, para = story_pair_paragraph(qtbot, window, syndication)
    pane = window.compare_view.left_pane
    article = pane.article()
    text = article.paragraphs[para].text
    words = text.split()
    start = text.index(words[2])
    end = text.index(words[20], start) + len(words[20])
    drag(pane, point_of(pane, para, start), point_of(pane, para, end))
    assert pane.selected_text() == text[start:end]
    pane.show_menu = lambda menu, pos: None
    menu = pane.context_menu_at(point_of(pane, para, start + 1))
    action = next(a for a in menu.actions() if a.objectName() == "find_versions_selection")
    panel = window.versions_panel
    with qtbot.waitSignal(panel.resultShown, timeout=20000):
        action.trigger()
    result = panel.result
    assert result.passage == text[start:end] and result.origin == origin
    ids = panel.version_ids()
    carriers = {aid for aid in story.copies[1:] if any(text == p for p in syndication.docs[aid].paragraphs)}
    assert carriers and carriers <= set(ids) and origin not in ids


def test_dragging_past_the_bottom_edge_scrolls_and_extends_the_selection(view: CompareView) -> None:
    pane = view.left_pane
    bar = view.right_pane.verticalScrollBar()
    assert bar.maximum() > 0
    start = point_of(pane, 2, 0)
    mouse(pane, QEvent.Type.MouseButtonPress, start)
    below = QPointF(start.x() + 40, pane.viewport().height() + 30)
    for _ in range(40):
        mouse(pane, QEvent.Type.MouseMove, below)
    mouse(pane, QEvent.Type.MouseButtonRelease, below)
    assert pane.verticalScrollBar().value() > 0
    (p0, o0), (p1, _o1) = pane.selection()
    assert (p0, o0) == (2, 0) and p1 >= 7
