"""The gutter between the panes: a band from each matched left group to its right group."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QHelpEvent, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from app.core.reading.model import Row, RowKind
from app.ui.palette import ViewColours, colours, row_description
from app.ui.rowlayout import LEFT, RIGHT, paragraph_label

if TYPE_CHECKING:
    from app.ui.paragraphpane import ParagraphPane

Span = tuple[float, float]  # (top, bottom) in link-map coordinates


@dataclass(frozen=True, slots=True)
class Band:
    """Where one matched row's band starts (left edge) and ends (right edge).

    A moved row's two sides stand at their own places in each article, so its band crosses
    the others. ``origin`` is kept for callers that draw an extra marker; the map sets none.
    """

    row: int
    left: Span
    right: Span
    kind: RowKind
    moved: bool = False
    origin: float | None = None


def band_geometry(
    rows: Sequence[Row],
    indexes: Iterable[int],
    left_span: Callable[[int], Span],
    right_span: Callable[[int], Span],
    right_order_origin: Callable[[int], float | None] | None = None,
) -> list[Band]:
    """One band per row of ``indexes`` that links paragraphs of both sides.

    Args:
        rows: The alignment's rows.
        indexes: The rows to consider (usually those on screen).
        left_span: Row index -> extent of its left text, in link-map coordinates.
        right_span: Row index -> extent of its right text, in link-map coordinates.
        right_order_origin: Row index -> y of the right side's original position (moved rows).
    """
    bands = []
    for n in indexes:
        row = rows[n]
        if not row.is_match:
            continue
        origin = right_order_origin(n) if row.moved and right_order_origin else None
        bands.append(Band(n, left_span(n), right_span(n), row.kind, row.moved, origin))
    return bands


def band_path(band: Band, width: float) -> QPainterPath:
    """A band's outline: Meld-style cubic curves between the two edges."""
    (lt, lb), (rt, rb) = band.left, band.right
    mid = width / 2
    path = QPainterPath(QPointF(0, lt))
    path.cubicTo(QPointF(mid, lt), QPointF(mid, rt), QPointF(width, rt))
    path.lineTo(QPointF(width, rb))
    path.cubicTo(QPointF(mid, rb), QPointF(mid, lb), QPointF(0, lb))
    path.closeSubpath()
    return path


def centre_path(band: Band, width: float) -> QPainterPath:
    """The centre line of a band, for bands drawn as a line."""
    a, b = sum(band.left) / 2, sum(band.right) / 2
    path = QPainterPath(QPointF(0, a))
    path.cubicTo(QPointF(width / 2, a), QPointF(width / 2, b), QPointF(width, b))
    return path


def clamp_band(band: Band, lo: float, hi: float) -> Band:
    """``band`` with its edges held inside ``[lo, hi]`` (for painting only)."""

    def clamp(span: Span) -> Span:
        a, b = (max(lo, min(hi, v)) for v in span)
        return (a, b if b > a else a + 1)

    if lo <= min(band.left[0], band.right[0]) and max(band.left[1], band.right[1]) <= hi:
        return band
    return Band(band.row, clamp(band.left), clamp(band.right), band.kind, band.moved, band.origin)


class LinkMap(QWidget):
    """Draws the bands for the rows visible in two :class:`ParagraphPane`\\ s."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("linkMap")
        self.setFixedWidth(44)
        self._colours: ViewColours = colours(self.palette())
        self._rows: list[Row] = []
        self._panes: tuple[ParagraphPane, ParagraphPane] | None = None
        self._current = -1
        self.setMouseTracking(True)

    def set_panes(self, left: ParagraphPane, right: ParagraphPane) -> None:
        """Follow ``left`` and ``right``: their row rectangles and scroll offsets."""
        self._panes = (left, right)

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Draw bands for ``rows``."""
        self._rows = list(rows)
        self.update()

    def set_current_row(self, row: int) -> None:
        """Outline the band of ``row``."""
        self._current = row
        self.update()

    def bands(self) -> list[Band]:
        """The bands of the rows currently visible in either pane, in link-map coordinates."""
        if self._panes is None or not self._rows:
            return []
        left, right = self._panes
        dl, dr = self._offsets(self._panes)
        layout = left.row_layout()
        plan = left.plan()
        if len(layout) != len(plan.slots) or len(plan.left_slot) != len(self._rows):
            return []
        scroll = left.verticalScrollBar().value()
        slots = layout.rows_between(scroll - dl, scroll - dl + self.height())
        visible = set()
        for s in slots:
            row = plan.slots[s][0]
            visible.add(row)
        # A moved row's band reaches the screen from a side that is scrolled away.
        moved = [n for n, r in enumerate(self._rows) if r.moved and r.is_match and n not in visible]
        for n in moved:
            a, b = sorted((plan.slot_of(n, LEFT), plan.slot_of(n, RIGHT)))
            if a <= slots.stop - 1 and b >= slots.start:
                visible.add(n)

        def lspan(n: int) -> Span:
            a, b = left.text_span(n)
            return a + dl, b + dl

        def rspan(n: int) -> Span:
            a, b = right.text_span(n)
            return a + dr, b + dr

        return band_geometry(self._rows, sorted(visible), lspan, rspan)

    def band_at(self, pos: QPointF) -> Band | None:
        """The band under ``pos`` (link-map coordinates), None when none."""
        w = float(self.width())
        for band in reversed(self.bands()):
            if band_path(band, w).contains(pos):
                return band
        return None

    def event(self, event: QEvent) -> bool:
        """Tooltips on bands: the row's kind, similarity and paragraph numbers."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            band = self.band_at(QPointF(event.pos()))
            if band is None:
                QToolTip.hideText()
            else:
                r = self._rows[band.row]
                QToolTip.showText(event.globalPos(), f"{row_description(r)}: left {paragraph_label(r.left)} ↔ "
                                                     f"right {paragraph_label(r.right)}", self)
            return True
        if event.type() == QEvent.Type.PaletteChange:
            self._colours = colours(self.palette())
        return super().event(event)

    def _offsets(self, panes: tuple[ParagraphPane, ParagraphPane]) -> tuple[float, float]:
        """Where each pane's viewport starts, in link-map y (the headers sit above)."""
        me = self.mapTo(self.window(), QPointF(0, 0)).y()
        left, right = panes
        return (left.viewport().mapTo(self.window(), QPointF(0, 0)).y() - me,
                right.viewport().mapTo(self.window(), QPointF(0, 0)).y() - me)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Fill the gutter and draw the visible bands, the current one outlined."""
        self._colours = colours(self.palette())
        p = QPainter(self)
        c = self._colours
        p.fillRect(self.rect(), c.header)
        if self._panes is not None:
            top = max(self._offsets(self._panes))
            p.setPen(QPen(c.separator, 1))
            p.drawLine(0, round(top) - 1, self.width(), round(top) - 1)
            p.setClipRect(QRectF(0, top, self.width(), self.height() - top))
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = float(self.width())
        current = None
        # A moved row's band can end far off screen; painting a path thousands of pixels
        # long costs milliseconds, so its ends are held to just beyond the visible strip.
        lo, hi = -40.0, self.height() + 40.0
        for band in self.bands():
            far = abs((band.left[0] + band.left[1]) - (band.right[0] + band.right[1])) / 2 > self.height()
            band = clamp_band(band, lo, hi)
            if far:
                # A move from off screen to off screen: a crossing line is enough, and a
                # filled band spanning the whole map costs several milliseconds a frame.
                path = centre_path(band, w)
                p.setPen(QPen(c.mark(band.kind, band.moved), 2.2))
                p.setBrush(Qt.BrushStyle.NoBrush)
            else:
                path = band_path(band, w)
                p.setPen(QPen(c.mark(band.kind, band.moved), 1.6 if band.moved else 1))
                p.setBrush(c.band(band.kind, band.moved))
            p.drawPath(path)
            if band.origin is not None:
                self._draw_origin(p, band, band.origin, w)
            if band.row == self._current:
                current = path
        if current is not None:
            p.setPen(QPen(c.current, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(current)
        p.end()

    def _draw_origin(self, p: QPainter, band: Band, origin: float, w: float) -> None:
        """A dashed line from the moved band to the right article's original position (``origin``)."""
        start = QPointF(0, (band.left[0] + band.left[1]) / 2)
        end = QPointF(w, origin)
        path = QPainterPath(start)
        path.cubicTo(QPointF(w / 2, start.y()), QPointF(w / 2, end.y()), end)
        p.setPen(QPen(self._colours.moved_mark, 1.3, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setBrush(self._colours.moved_mark)
        p.drawEllipse(end, 2.5, 2.5)
