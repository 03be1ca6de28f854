"""LinkMap: band geometry as a pure function, and the bands drawn for a live comparison."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from app.core.reading.model import Alignment, Article, Paragraph, Row, RowKind
from app.core.reading.text import normalize
from app.ui.compareview import CompareView
from app.ui.linkmap import band_geometry, band_path
from app.ui.rowlayout import RowLayout

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

ROWS = [
    Row((0,), (0,), RowKind.BOILERPLATE),
    Row((1,), (), RowKind.LEFT_ONLY),
    Row((2,), (1,), RowKind.IDENTICAL),
    Row((), (2,), RowKind.RIGHT_ONLY),
    Row((3,), (4,), RowKind.CHANGED, moved=True),
    Row((4, 5), (3,), RowKind.CHANGED),
]


def test_one_band_per_matched_row_with_each_sides_extent() -> None:
    layout = RowLayout([30, 40, 50, 60, 70, 80])

    def left(n: int) -> tuple[float, float]:
        top, bottom = layout.span(n)
        return top + 5.0, bottom - 10.0  # left text is shorter than the row

    def right(n: int) -> tuple[float, float]:
        top, bottom = layout.span(n)
        return top + 5.0 + 100, bottom - 5.0 + 100  # right pane sits 100 px lower

    bands = band_geometry(ROWS, range(len(ROWS)), left, right, lambda n: 999.0)
    assert [b.row for b in bands] == [0, 2, 4, 5]
    assert [b.kind for b in bands] == [RowKind.BOILERPLATE, RowKind.IDENTICAL, RowKind.CHANGED, RowKind.CHANGED]
    by_row = {b.row: b for b in bands}
    assert by_row[2].left == (75.0, 110.0)
    assert by_row[2].right == (175.0, 215.0)
    assert by_row[5].left == (255.0, 320.0) and by_row[5].right == (355.0, 425.0)
    assert by_row[4].moved and by_row[4].origin == 999.0
    assert by_row[2].origin is None  # only moved rows point back to their origin


def test_only_the_requested_rows_get_bands() -> None:
    def span(n: int) -> tuple[float, float]:
        return (n * 10.0, n * 10.0 + 8)

    assert [b.row for b in band_geometry(ROWS, range(3, 5), span, span)] == [4]
    assert band_geometry(ROWS, [1, 3], span, span) == []


def test_band_path_joins_the_two_edges() -> None:
    (band,) = band_geometry(ROWS, [2], lambda n: (10.0, 30.0), lambda n: (50.0, 90.0))
    path = band_path(band, 40.0)
    box = path.boundingRect()
    assert (box.left(), box.right(), box.top(), box.bottom()) == (0.0, 40.0, 10.0, 90.0)
    assert path.contains(QPointF(1, 20)) and path.contains(QPointF(39, 70))
    assert not path.contains(QPointF(39, 20))


def article(ident: str, texts: list[str]) -> Article:
    paras = [Paragraph(n, t, normalize(t), 0, len(t)) for n, t in enumerate(texts)]
    return Article(id=ident, path=ident, title=ident, paragraphs=paras)


def test_live_bands_follow_the_panes_and_cross_to_a_moved_paragraph(qtbot) -> None:
    words = ["a", "moved", "paragraph", "crosses", "the", "other", "bands", "in", "the", "link", "map"]
    texts = [" ".join(words[: 3 + n % 8] * (1 + n % 4)) for n in range(40)]
    left, right = article("l", texts), article("r", texts[:5] + texts[6:30] + [texts[5]] + texts[30:])
    rows = [Row((n,), (n,), RowKind.IDENTICAL) for n in range(5)]
    rows.append(Row((5,), (29,), RowKind.IDENTICAL, moved=True))
    rows += [Row((n,), (n - 1,), RowKind.IDENTICAL) for n in range(6, 30)]
    rows += [Row((n,), (n,), RowKind.IDENTICAL) for n in range(30, 40)]
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.set_alignment(Alignment(left, right, rows))
    for value in (0, 600):
        view.set_scroll_value(value)
        bands = view.linkmap.bands()
        assert bands
        offset = view.left_pane.viewport().mapTo(view, QPointF(0, 0)).y() - view.linkmap.y()
        for band in bands:
            top, bottom = view.left_pane.text_span(band.row)
            assert band.left == (top + offset, bottom + offset)
            rtop, rbottom = view.right_pane.text_span(band.row)
            assert band.right == (rtop + offset, rbottom + offset)
    view.set_scroll_value(0)
    moved = next(b for b in view.linkmap.bands() if b.moved)
    assert moved.row == 5
    # The right side of the moved row stands where it is in the right article: right after
    # right paragraph 28 (row 29), so the band crosses the others down to there.
    after = view.right_pane.row_rect(29)
    assert moved.right[0] >= after.bottom() + offset
    assert view.right_pane.row_rect(5).top() == after.bottom() + 1
