"""CompareView: rows line up, panes scroll together, navigation, boilerplate, drops, overview."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from app.core.reading.model import Alignment, Article, Paragraph, Role, Row, RowKind, WordOp
from app.core.reading.reader import read_article
from app.core.reading.text import normalize
from app.core.search.fulltext import term_matcher
from app.ui.compareview import CompareView
from app.ui.paragraphpane import ARTICLE_ID_MIME
from app.ui.rowlayout import COLLAPSED_HEIGHT, ROW_PADDING, RowLayout, sync_point

# The offscreen platform plugin says so on every show(); it is not about this code.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PROSE = (
    "The delegation met in the capital on Tuesday to discuss trade, energy supplies and the "
    "long-delayed pipeline project, officials said after the talks had ended."
)
LOREM = PROSE.split()


def make_article(ident: str, texts: list[str], roles: list[Role] | None = None) -> Article:
    """An article whose paragraphs are ``texts`` (roles default to body)."""
    paras, pos = [], 0
    for n, text in enumerate(texts):
        role = roles[n] if roles else Role.BODY
        paras.append(Paragraph(n, text, normalize(text), pos, pos + len(text), role))
        pos += len(text) + 2
    return Article(id=ident, path=f"/corpus/{ident}", title=f"Title {ident}", source="Site",
                   author="A. Writer", paragraphs=paras, text="\n\n".join(texts))


def sentence(n: int, words: int) -> str:
    return " ".join(LOREM[(n + k) % len(LOREM)] for k in range(words)).capitalize() + "."


def small_alignment() -> Alignment:
    """Hand-built rows covering every kind, a split, a move and word operations."""
    left = make_article("left.txt", [
        "Home", "Headline about talks", sentence(0, 30), "Only on the left side of things.",
        sentence(1, 60), sentence(2, 12), sentence(3, 25), sentence(4, 40), "Share this article",
    ], [Role.CHROME, Role.TITLE] + [Role.BODY] * 6 + [Role.CHROME])
    right = make_article("right.txt", [
        "Menu", "Headline about talks", sentence(0, 31), "Only on the right.",
        sentence(1, 30), sentence(1, 31), sentence(3, 25), sentence(4, 40), sentence(2, 12),
        "Share this article",
    ], [Role.CHROME, Role.TITLE] + [Role.BODY] * 7 + [Role.CHROME])
    rows = [
        Row((0,), (0,), RowKind.BOILERPLATE, score=40.0),
        Row((1,), (1,), RowKind.IDENTICAL, score=100.0),
        Row((2,), (2,), RowKind.CHANGED, score=90.0,
            ops=(WordOp("replace", ((2, 4, 13),), ((2, 4, 13),)), WordOp("insert", (), ((2, 20, 30),)))),
        Row((3,), (), RowKind.LEFT_ONLY),
        Row((), (3,), RowKind.RIGHT_ONLY),
        Row((4,), (4, 5), RowKind.CHANGED, score=80.0, ops=(WordOp("delete", ((4, 0, 10),), ()),)),
        Row((5,), (8,), RowKind.IDENTICAL, moved=True, score=100.0),
        Row((6,), (6,), RowKind.IDENTICAL, score=100.0),
        Row((7,), (7,), RowKind.IDENTICAL, score=100.0),
        Row((8,), (9,), RowKind.BOILERPLATE, score=100.0),
    ]
    return Alignment(left, right, rows)


def long_alignment(n: int = 120) -> Alignment:
    """``n`` rows whose two sides differ in length, so row heights depend on both sides."""
    left = make_article("long-left.txt", [sentence(k, 10 + (k * 7) % 50) for k in range(n)])
    right = make_article("long-right.txt", [sentence(k, 10 + (k * 11) % 45) for k in range(n)])
    rows = [Row((k,), (k,), RowKind.CHANGED if k % 3 else RowKind.IDENTICAL, score=90.0) for k in range(n)]
    return Alignment(left, right, rows)


def visible_rows(view: CompareView) -> list[int]:
    height = view.left_pane.viewport().height()
    rows = range(len(view.alignment().rows))
    return [r for r in rows if view.left_pane.row_rect(r).intersects(view.left_pane.viewport().rect())
            and view.left_pane.row_rect(r).height() > 0 and view.left_pane.row_rect(r).top() < height]


def assert_rows_line_up(view: CompareView) -> None:
    rows = visible_rows(view)
    assert rows, "no row on screen"
    for r in rows:
        if view.alignment().rows[r].moved:
            continue  # each side of a moved row stands at its place in its own article
        assert view.left_pane.row_rect(r).top() == view.right_pane.row_rect(r).top(), r
        assert view.left_pane.row_rect(r).height() == view.right_pane.row_rect(r).height(), r


def test_linked_rows_share_top_edges_while_scrolling_and_resizing(view: CompareView) -> None:
    view.set_alignment(long_alignment())
    bar = view.right_pane.verticalScrollBar()
    assert bar.maximum() > 1000
    for value in (0, 317, bar.maximum() // 2, bar.maximum()):
        view.set_scroll_value(value)
        assert_rows_line_up(view)
    view.resize(760, 520)
    QApplication.processEvents()
    view.set_scroll_value(bar.maximum() // 3)
    assert_rows_line_up(view)


def test_row_height_is_the_taller_side(view: CompareView) -> None:
    view.set_alignment(long_alignment(20))
    left, right = view.left_pane.text_heights(), view.right_pane.text_heights()
    assert left != right  # the sides really differ, so equal rects come from the shared layout
    for r in range(20):
        assert view.left_pane.row_rect(r).height() == max(left[r], right[r]) + 2 * ROW_PADDING


def test_panes_scroll_together_both_ways(view: CompareView) -> None:
    view.set_alignment(long_alignment())
    view.left_pane.verticalScrollBar().setValue(420)
    assert view.right_pane.verticalScrollBar().value() == 420
    view.right_pane.verticalScrollBar().setValue(1234)
    assert view.left_pane.verticalScrollBar().value() == 1234
    assert view.scroll_value() == 1234


def test_sync_point_interpolates_inside_the_aligned_row() -> None:
    src, dst = RowLayout([100, 50, 200]), RowLayout([40, 150, 100])
    assert sync_point(src, dst, 0) == 0
    assert sync_point(src, dst, 125) == pytest.approx(40 + 75)  # half-way through row 1
    assert sync_point(src, dst, 250) == pytest.approx(190 + 50)
    assert sync_point(src, src, 137) == 137


def test_alt_down_and_alt_up_walk_the_matches(view: CompareView, qtbot) -> None:
    view.set_alignment(small_alignment())
    view.activateWindow()
    view.left_pane.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view.left_pane)
    with qtbot.waitSignal(view.currentRowChanged) as sig:
        qtbot.keyClick(view.left_pane, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert sig.args == [0] and view.current_row() == 0
    qtbot.keyClick(view.left_pane, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(view.left_pane, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert view.current_row() == 2
    qtbot.keyClick(view.left_pane, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert view.current_row() == 5  # rows 3 and 4 are one-sided
    qtbot.keyClick(view.left_pane, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    assert view.current_row() == 2
    view.set_current_row(9)
    assert view.next_match() is False and view.current_row() == 9
    view.set_current_row(0)
    assert view.previous_match() is False


def test_difference_navigation_visits_changed_one_sided_and_moved_rows(view: CompareView) -> None:
    view.set_alignment(small_alignment())
    seen = []
    while view.next_difference():
        seen.append(view.current_row())
    assert seen == [2, 3, 4, 5, 6]
    assert view.previous_difference() and view.current_row() == 5


def test_hide_boilerplate_collapses_rows_and_keeps_them_aligned(view: CompareView) -> None:
    view.set_alignment(small_alignment())
    before = view.left_pane.row_rect(1).height()
    view.set_hide_boilerplate(True)
    assert view.hide_boilerplate()
    for r in (0, 9):
        assert view.left_pane.row_rect(r).height() == COLLAPSED_HEIGHT
    assert view.left_pane.row_rect(1).top() == COLLAPSED_HEIGHT
    assert view.left_pane.row_rect(1).height() == before
    assert_rows_line_up(view)
    assert view.next_match() and view.current_row() == 1  # collapsed row 0 is skipped
    view.set_current_row(8)
    assert view.next_match() is False
    action = next(a for a in view.actions() if a.text() == "Hide Boilerplate")
    assert action.isChecked()
    action.trigger()
    assert not view.hide_boilerplate() and view.left_pane.row_rect(0).height() > COLLAPSED_HEIGHT


def drag_enter(pos: QPoint, mime: QMimeData) -> QDragEnterEvent:
    """A drag-enter event at ``pos``, built with the constructor this PySide6 accepts.

    PySide6 up to 6.11 takes only an integer QPoint; 6.12 takes a QPointF and marks the QPoint
    form deprecated (an error under filterwarnings = error).
    """
    rest = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    try:
        return QDragEnterEvent(QPointF(pos), *rest)
    except TypeError:
        return QDragEnterEvent(pos, *rest)


def drop(pane, mime: QMimeData) -> None:
    target = pane.viewport()
    center = target.rect().center()
    pos = QPointF(center)
    enter = drag_enter(center, mime)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    event = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(target, event)


def test_dropping_files_and_article_ids_requests_them_for_that_side(view: CompareView, qtbot, tmp_path) -> None:
    path = tmp_path / "story.txt"
    path.write_text("x", encoding="utf-8")
    files = QMimeData()
    files.setUrls([QUrl.fromLocalFile(str(path))])
    with qtbot.waitSignal(view.dropRequested) as sig:
        drop(view.left_pane, files)
    assert sig.args == ["left", [str(path)]]
    ids = QMimeData()
    ids.setData(ARTICLE_ID_MIME, QByteArray("news/été.txt\nblog/b.md\n".encode()))
    with qtbot.waitSignal(view.dropRequested) as sig:
        drop(view.right_pane, ids)
    assert sig.args == ["right", ["news/été.txt", "blog/b.md"]]


def test_a_drag_of_plain_text_is_refused(view: CompareView) -> None:
    mime = QMimeData()
    mime.setText("hello")
    enter = drag_enter(QPoint(5, 5), mime)
    QApplication.sendEvent(view.left_pane.viewport(), enter)
    assert not enter.isAccepted()


def test_overview_click_jumps_to_that_row(view: CompareView, qtbot) -> None:
    view.set_alignment(long_alignment())
    assert view.scroll_value() == 0
    ruler = view.overview
    y = ruler.height() * 3 // 4
    row = ruler.row_at(y)
    assert row > 40
    with qtbot.waitSignal(view.currentRowChanged):
        qtbot.mouseClick(ruler, Qt.MouseButton.LeftButton, pos=QPoint(ruler.width() // 2, y))
    assert view.current_row() == row
    assert view.scroll_value() > 0
    assert view.left_pane.row_rect(row).intersects(view.left_pane.viewport().rect())


def test_clicking_a_row_makes_it_current_and_ctrl_c_copies_it(view: CompareView, qtbot) -> None:
    view.set_alignment(small_alignment())
    rect = view.right_pane.row_rect(2)
    qtbot.mouseClick(view.right_pane.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.current_row() == 2
    view.right_pane.setFocus()
    qtbot.keyClick(view.right_pane, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == view.alignment().right.paragraphs[2].text


def test_highlighter_marks_query_words_in_both_panes(view: CompareView) -> None:
    view.set_alignment(small_alignment())
    view.set_highlighter(term_matcher("pipeline"))
    text = view.alignment().left.paragraphs[2].text
    spans = view.left_pane.query_spans(2)
    assert spans and all(text[a:b].lower() == "pipeline" for a, b in spans)
    assert view.right_pane.query_spans(2)
    view.set_highlighter(None)
    assert view.left_pane.query_spans(2) == []


def test_clearing_the_alignment_empties_the_view(view: CompareView) -> None:
    view.set_alignment(small_alignment())
    view.set_current_row(3)
    view.set_alignment(None)
    assert view.alignment() is None and view.current_row() == -1
    assert not view.next_match()
    assert view.left_pane.row_rect(0).isEmpty()


def edited_copy(article: Article) -> Article:
    """``article`` republished: words edited, a paragraph moved, one dropped, one added."""
    texts = [p.text for p in article.paragraphs]
    roles = [p.role for p in article.paragraphs]
    body = [n for n, r in enumerate(roles) if r is Role.BODY]
    edit, drop_at, move_from, move_to = body[3], body[5], body[2], body[9]
    texts[edit] = texts[edit].replace("Putin", "President Putin", 1).replace(" the ", " a ", 1) + " He smiled."
    texts[body[7]] = " ".join(texts[body[7]].split()[:-6]) + " and more besides."
    texts.insert(move_to, texts[move_from])
    roles.insert(move_to, Role.BODY)
    del texts[move_from], roles[move_from]
    del texts[drop_at], roles[drop_at]
    texts.insert(body[6], "Editor's note: this article first appeared on another site.")
    roles.insert(body[6], Role.BODY)
    copy = make_article("copy/republished.txt", texts, roles)
    copy.title, copy.source, copy.date = article.title, "The Daily Observer", None
    return copy


def test_renders_a_real_comparison_to_png(view: CompareView, tmp_path) -> None:
    from app.core.align.paragraphs import align

    left = read_article(next(SEEDS.glob("001_*")), SEEDS)
    right = edited_copy(read_article(next(SEEDS.glob("004_*")), SEEDS))
    alignment = align(left, right)
    kinds = {r.kind for r in alignment.rows}
    assert RowKind.CHANGED in kinds and any(r.moved for r in alignment.rows)
    view.resize(1400, 900)
    view.set_alignment(alignment)
    view.set_highlighter(term_matcher("china"))
    view.next_difference()
    out = tmp_path / "compare.png"
    image = view.grab()
    assert image.save(str(out))
    assert out.stat().st_size > 20_000
    assert_rows_line_up(view)
