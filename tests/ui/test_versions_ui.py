"""Find Other Versions: from a paragraph's context menu to the dock, and a click to the comparison."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt

from app.ui.mainwindow import MainWindow
from app.ui.versionspanel import marked_html
from tests.fixtures.syndication import Syndication
from tests.ui.conftest import story_pair_paragraph


@pytest.fixture
def window(syndication_window: MainWindow) -> MainWindow:
    return syndication_window


def test_find_other_versions_from_the_context_menu(qtbot, window: MainWindow,
                                                   syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    origin, para = story_pair_paragraph(qtbot, window, syndication)
    pane = window.compare_view.left_pane
    article = pane.article()
    rect = pane.paragraph_rect(para)
    pane.show_menu = lambda menu, pos: None
    menu = pane.context_menu_at(QPointF(rect.center().x(), rect.top() + 6))
    action = next(a for a in menu.actions() if a.objectName() == "find_versions")
    panel = window.versions_panel
    with qtbot.waitSignal(panel.resultShown, timeout=20000):
        action.trigger()
    assert panel.isVisible()
    result = panel.result
    assert result.origin == origin and result.origin_paragraph == para
    ids = panel.version_ids()
    text = article.paragraphs[para].text
    carriers = {aid for aid in story.copies[1:]
                if any(text == p for p in syndication.docs[aid].paragraphs)}
    assert carriers <= set(ids) and origin not in ids
    assert "other articles carry this passage" in panel.summary.text()
    # Most similar first; an edited version shows its changed words marked.
    sims = [m.similarity for m in result.matches]
    assert sims == sorted(sims, reverse=True)
    # One click opens the comparison with that version in a new tab.
    tabs = window.tabs.count()
    item = panel.list.item(len(ids) - 1)
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton,
                         pos=panel.list.visualItemRect(item).center())
    assert window.tabs.count() == tabs + 1
    al = window.compare_view.alignment()
    assert (al.left.id, al.right.id) == (origin, ids[-1])


def test_pasted_text_and_short_text(qtbot, window: MainWindow, syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    doc = syndication.docs[story.copies[0]]
    passage = next(p for p, t in zip(doc.paragraphs, doc.tags, strict=True) if t[0] == "story")
    panel = window.versions_panel
    with qtbot.waitSignal(panel.resultShown, timeout=20000):
        panel.find_text(passage)
    assert story.copies[0] in panel.version_ids()
    panel.find_text("the port")
    qtbot.waitUntil(lambda: "too short" in panel.summary.text(), timeout=20000)
    assert "Error" not in panel.summary.text() and "unexpected" not in panel.summary.text()


def test_marked_html_marks_the_changed_words() -> None:
    assert marked_html("a <b> c", ((2, 5),)) == "a <b style='background:rgba(230,160,0,0.35)'>&lt;b&gt;</b> c"
