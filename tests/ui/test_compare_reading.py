"""The comparison as an analyst reads it: the row a right-click acts on, each pane in its own order,
paragraph numbers, "difference N of M", Go to ¶, find, search hits, the ruler, boilerplate strips,
the legend and tooltips."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QHelpEvent
from PySide6.QtWidgets import QApplication, QMenu, QToolTip
from test_compareview import make_article, sentence, small_alignment

from app.core.align.paragraphs import align
from app.core.reading.model import Alignment, Role, Row, RowKind
from app.core.search.fulltext import term_matcher
from app.ui.compareview import CompareView
from app.ui.overview import RULER_WIDTH
from app.ui.rowlayout import COLLAPSED_HEIGHT, LEFT, RIGHT, reading_plan

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from gen_copies import load_pool, make_case  # noqa: E402


@pytest.fixture(scope="module")
def moved_case():
    """A realistic copy with reordered paragraphs (real prose, two sites' furniture)."""
    pool = load_pool()
    for seed in range(40):
        case = make_case("reorder", random.Random(seed), pool, size=30)
        alignment = align(case.left, case.right)
        if sum(r.moved for r in alignment.rows) >= 2:
            return alignment
    pytest.skip("no generated case with two moves")


# --- 1. the right-click menu acts on the row under the pointer --------------------------------


def right_click(pane, pos: QPoint, monkeypatch) -> QMenu:
    """Send a real context-menu event to ``pane``'s viewport; return the menu it would show."""
    shown: list[QMenu] = []
    monkeypatch.setattr(pane, "show_menu", lambda menu, _pos: shown.append(menu))
    viewport = pane.viewport()
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, viewport.mapToGlobal(pos))
    QApplication.sendEvent(viewport, event)
    assert shown, "no menu"
    return shown[0]


def test_right_click_acts_on_the_row_under_the_pointer(view: CompareView, monkeypatch) -> None:
    view.set_alignment(small_alignment())
    pane = view.right_pane
    assert pane.header.height() > 40  # the offset the old code got wrong
    for row in (2, 5, 7):
        rect = pane.row_rect(row)
        menu = right_click(pane, rect.center(), monkeypatch)
        assert view.current_row() == row
        copy = next(a for a in menu.actions() if a.text() == "Copy paragraph")
        copy.trigger()
        expected = {view.alignment().right.paragraphs[p].text for p in view.alignment().rows[row].right}
        assert QGuiApplication.clipboard().text() in expected
        noted = []
        pane.noteRequested.connect(noted.append)
        next(a for a in menu.actions() if a.text().startswith("Add Note")).trigger()
        pane.noteRequested.disconnect()
        assert noted == [row]


def test_context_menu_offers_the_file_path_and_its_folder(view: CompareView, monkeypatch) -> None:
    view.set_alignment(small_alignment())
    menu = right_click(view.left_pane, view.left_pane.row_rect(1).center(), monkeypatch)
    texts = [a.text() for a in menu.actions()]
    assert "Copy file path" in texts and "Open containing folder" in texts
    next(a for a in menu.actions() if a.text() == "Copy file path").trigger()
    assert QGuiApplication.clipboard().text() == "/corpus/left.txt"


# --- 2. each pane reads in its own order -----------------------------------------------------


def reading_order(view: CompareView, side: str) -> list[int]:
    """Paragraph indexes of ``side`` from top to bottom, as painted."""
    pane = view.left_pane if side == LEFT else view.right_pane
    rows = view.alignment().rows
    placed = []
    for n, r in enumerate(rows):
        for p in (r.left if side == LEFT else r.right):
            placed.append((pane.row_rect(n).top(), p))
    return [p for _top, p in sorted(placed)]


def test_reading_plan_keeps_the_right_article_in_its_own_order() -> None:
    rows = small_alignment().rows
    plan = reading_plan(rows)
    right = [p for slot, (n, part) in enumerate(plan.slots) if part != LEFT for p in rows[n].right]
    left = [p for slot, (n, part) in enumerate(plan.slots) if part != RIGHT for p in rows[n].left]
    assert right == sorted(right) and left == sorted(left)
    assert plan.slots[plan.left_slot[6]] == (6, LEFT) and plan.slots[plan.right_slot[6]] == (6, RIGHT)


def test_both_panes_read_in_their_own_order_with_moves(view: CompareView, moved_case: Alignment) -> None:
    view.set_alignment(moved_case)
    left, right = reading_order(view, LEFT), reading_order(view, RIGHT)
    assert left == sorted(left) == list(range(len(moved_case.left.paragraphs)))
    assert right == sorted(right) == list(range(len(moved_case.right.paragraphs)))
    moved = [n for n, r in enumerate(moved_case.rows) if r.moved]
    assert any(view.left_pane.row_rect(n).top() != view.right_pane.row_rect(n).top() for n in moved)


def test_moved_badge_says_where_the_partner_is_and_jumps_there(view: CompareView, qtbot) -> None:
    view.resize(1100, 400)
    QApplication.processEvents()
    view.set_alignment(small_alignment())
    row = 6  # left ¶6 moved to right ¶9
    assert view.left_pane._badge(view.left_pane.slot_of(row)) == "moved to ¶9"
    assert view.right_pane._badge(view.right_pane.slot_of(row)) == "moved from ¶6"
    view.set_current_row(row)
    badge = view.left_pane.badge_rect(row)
    assert view.left_pane.viewport().rect().contains(badge.center().toPoint())
    text_top, _bottom = view.left_pane.text_span(row)
    assert badge.bottom() <= text_top  # the badge has its own line: it never covers the text
    qtbot.mouseClick(view.left_pane.viewport(), Qt.MouseButton.LeftButton, pos=badge.center().toPoint())
    target = view.right_pane.row_rect(row)
    assert view.current_row() == row
    assert target.intersects(view.right_pane.viewport().rect())
    # The band of the moved row runs from the left slot to the right one: it crosses the map.
    band = next(b for b in view.linkmap.bands() if b.row == row)
    assert band.right[0] > band.left[1]


# --- 3. paragraph numbers, "difference N of M", Go to ¶ ------------------------------------


def test_difference_counter_and_go_to_paragraph(view: CompareView, monkeypatch) -> None:
    view.set_alignment(small_alignment())
    seen: list[str] = []
    view.positionChanged.connect(seen.append)
    assert view.position_text() == "5 differences"
    view.next_difference()
    assert view.position_text() == "difference 1 of 5" and seen[-1] == "difference 1 of 5"
    view.next_difference()
    view.next_difference()
    assert view.position_text() == "difference 3 of 5"
    monkeypatch.setattr(view, "ask_paragraph", lambda: "R9")
    assert view.go_to_paragraph_prompt()
    assert view.current_row() == 6  # right ¶9 is the moved paragraph's right side
    assert view.right_pane.row_rect(6).intersects(view.right_pane.viewport().rect())
    monkeypatch.setattr(view, "ask_paragraph", lambda: "4")
    assert view.go_to_paragraph_prompt() and view.current_row() == 3
    monkeypatch.setattr(view, "ask_paragraph", lambda: "99")
    assert not view.go_to_paragraph_prompt()
    shortcut = next(a for a in view.actions() if a.text().startswith("Go to Paragraph"))
    assert shortcut.shortcut().toString() == "Ctrl+G"


def test_gutter_shows_paragraph_numbers(view: CompareView) -> None:
    from app.ui.paragraphpane import GUTTER, paragraph_label

    assert paragraph_label((4,)) == "¶5" and paragraph_label((4, 5)) == "¶5–6"
    view.set_alignment(small_alignment())
    image = view.left_pane.viewport().grab().toImage()
    rect = view.left_pane.row_rect(2)
    base = image.pixelColor(GUTTER // 2, rect.top() + 3)
    inked = sum(image.pixelColor(x, y) != base for x in range(8, GUTTER - 4)
                for y in range(rect.top() + 12, rect.top() + 28))
    assert inked > 10  # the digits are painted in the gutter


# --- 4. find inside the comparison -------------------------------------------------------------


def test_find_highlights_both_panes_walks_hits_and_marks_the_ruler(view: CompareView, qtbot) -> None:
    view.set_alignment(small_alignment())
    view.open_find()
    assert view.find_bar.isVisible()
    qtbot.keyClicks(view.find_bar.edit, "PIPELINE")
    hits = view.find_hits()
    assert {side for side, _p, _s in hits} == {LEFT, RIGHT}
    for side, para, start in hits:
        article = view.alignment().left if side == LEFT else view.alignment().right
        assert article.paragraphs[para].text[start:start + 8].lower() == "pipeline"
    assert view.left_pane.find_spans(hits[0][1]) and view.find_bar.count.text() == f"1 of {len(hits)}"
    assert view.overview._find_slots
    first = view.current_find_hit()
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Return)
    assert view.current_find_hit() != first and view.find_bar.count.text() == f"2 of {len(hits)}"
    view.f3(False)
    assert view.current_find_hit() == first
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Escape)
    assert not view.find_bar.isVisible() and not view.find_hits()
    assert view.left_pane.find_spans(hits[0][1]) == []


def test_ctrl_f_in_a_pane_finds_in_the_comparison_else_searches_the_corpus(qtbot) -> None:
    from app.ui.mainwindow import MainWindow

    window = MainWindow(restore=False)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.tabs.show_alignment(window.tabs.current_entry(), small_alignment())
    window.activateWindow()
    window.compare_view.right_pane.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.compare_view.right_pane)
    window.find_action.trigger()
    assert window.compare_view.find_bar.isVisible()
    window.compare_view.close_find()
    window.panel.results.setFocus()
    window.find_action.trigger()
    assert QApplication.focusWidget() is window.panel.search_edit
    window.shutdown()


# --- 5. opening a search hit -------------------------------------------------------------------


def test_query_hits_go_to_the_first_and_f3_walks_them(view: CompareView) -> None:
    view.set_alignment(small_alignment())
    view.set_highlighter(term_matcher("pipeline"))
    view.wait_query_hits()
    rows = view.query_hit_rows()
    assert rows and view.overview._query_slots
    assert view.first_query_hit() and view.current_row() == rows[0]
    view.f3()
    assert view.current_row() == rows[1 % len(rows)]


# --- 6. the overview ruler ---------------------------------------------------------------------


def test_ruler_draws_every_kind_and_the_visible_range(view: CompareView) -> None:
    view.resize(1100, 420)
    QApplication.processEvents()
    view.set_alignment(small_alignment())
    ruler = view.overview
    assert ruler.width() >= 16 and RULER_WIDTH >= 16
    image = ruler.grab().toImage()
    background = ruler._colours.header
    identical_slot = view.left_pane.slot_of(1)
    t, b = view.left_pane.row_layout().span(identical_slot)
    y = round(3 + (t + b) / 2 * ruler._scale())
    assert image.pixelColor(6, y) != background  # identical rows are drawn too
    view.set_scroll_value(200)
    QApplication.processEvents()
    assert ruler._view == (200, view.right_pane.viewport().height())
    top = 3 + 200 * ruler._scale()
    after = ruler.grab().toImage()
    # The visible-range box is drawn over the marks: its top edge changes the pixels there.
    assert any(after.pixelColor(x, round(top)) != image.pixelColor(x, round(top)) for x in range(2, ruler.width() - 2))


# --- 7. hidden boilerplate collapses to a labelled strip ---------------------------------------


def test_hidden_boilerplate_runs_collapse_to_one_labelled_strip_that_expands(view: CompareView, qtbot) -> None:
    left = make_article("l", ["Home", "News", "Share", sentence(1, 30), sentence(2, 30)],
                        [Role.CHROME] * 3 + [Role.BODY] * 2)
    right = make_article("r", ["Menu", "Latest", "Donate", sentence(1, 30), sentence(2, 30)],
                         [Role.CHROME] * 3 + [Role.BODY] * 2)
    rows = [Row((n,), (n,), RowKind.BOILERPLATE) for n in range(3)]
    rows += [Row((n,), (n,), RowKind.IDENTICAL, score=100.0) for n in (3, 4)]
    view.set_alignment(Alignment(left, right, rows))
    view.set_hide_boilerplate(True)
    heights = [view.left_pane.row_rect(n).height() for n in range(3)]
    assert heights == [COLLAPSED_HEIGHT, 0, 0]
    assert view.left_pane._strip_count(0) == 3
    assert view.left_pane.describe_at(QPointF(50, view.left_pane.row_rect(0).center().y())).startswith("Hidden")
    qtbot.mouseClick(view.left_pane.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.left_pane.row_rect(0).center())
    assert all(view.left_pane.row_rect(n).height() > COLLAPSED_HEIGHT for n in range(3))
    assert view.hide_boilerplate()


# --- 8. legend and tooltips --------------------------------------------------------------------


def tooltip(widget, pos: QPoint) -> str:
    QToolTip.hideText()
    QApplication.sendEvent(widget, QHelpEvent(QEvent.Type.ToolTip, pos, widget.mapToGlobal(pos)))
    return QToolTip.text() if QToolTip.isVisible() else ""


@pytest.mark.qt_log_ignore("does not support propagateSizeHints", "does not support raise")
def test_legend_names_every_kind_and_tooltips_describe_rows(view: CompareView) -> None:
    view.set_alignment(small_alignment())
    assert view.legend.isVisible()
    assert view.legend.labels() == ["identical", "changed", "moved", "left only", "right only", "boilerplate"]
    pane = view.right_pane
    assert pane.describe_at(QPointF(100, pane.row_rect(2).center().y())) == "changed, 90 % similar"
    assert "moved from ¶6" in pane.describe_at(QPointF(100, pane.row_rect(6).center().y()))
    assert tooltip(pane.viewport(), pane.row_rect(2).center()) == "changed, 90 % similar"
    ruler = view.overview
    t, b = view.left_pane.row_layout().span(view.left_pane.slot_of(2))
    text = tooltip(ruler, QPoint(ruler.width() // 2, round(3 + (t + b) / 2 * ruler._scale())))
    assert text.startswith("changed, 90 % similar")
    band = next(b for b in view.linkmap.bands() if b.row == 2)
    mid = QPoint(view.linkmap.width() // 2, round((band.left[0] + band.right[1]) / 2))
    assert tooltip(view.linkmap, mid).startswith("changed, 90 % similar")
