"""The overview ruler: a mark per row for each side, coloured by kind; a click jumps there."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QToolTip, QWidget

from app.core.reading.model import Row, RowKind
from app.ui.palette import ViewColours, colours, row_description
from app.ui.rowlayout import (
    BOTH,
    LEFT,
    RIGHT,
    ReadingPlan,
    RowLayout,
    paragraph_label,
    reading_plan,
)

_MARGIN = 3.0
# Notes are marked in the same yellow in the panes and here, whatever the theme: a sticky note.
NOTE_FILL = QColor("#f5c518")
NOTE_EDGE = QColor("#8a6d00")


RULER_WIDTH = 24  # logical pixels: wide enough to aim at


class OverviewRuler(QWidget):
    """Both articles at a glance: left marks in the first column, right marks in the second.

    Every row kind is drawn, identical rows included (in a quiet colour), each side at its own
    place; find matches and query hits are ticked along the edges; the visible range is a box.
    """

    rowRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("overviewRuler")
        self.setFixedWidth(RULER_WIDTH)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click to jump")
        self._colours: ViewColours = colours(self.palette())
        self._rows: list[Row] = []
        self._layout = RowLayout()
        self._plan: ReadingPlan = reading_plan([])
        self._query_slots: list[int] = []
        self._find_slots: list[int] = []
        self._view = (0, 0)
        self._current = -1
        self._notes: set[int] = set()
        self._cache: tuple[tuple[object, ...], QPixmap] | None = None

    def set_rows(self, rows: Sequence[Row], layout: RowLayout, plan: ReadingPlan | None = None) -> None:
        """Mark ``rows`` whose slots (``plan``, one slot per row by default) ``layout`` places."""
        self._rows = list(rows)
        self._plan = plan if plan is not None else reading_plan(self._rows)
        self._layout = layout
        self._cache = None
        self.update()

    def set_hits(self, query_slots: Sequence[int], find_slots: Sequence[int]) -> None:
        """Tick the slots holding query terms (left edge) and find matches (right edge)."""
        self._query_slots = list(query_slots)
        self._find_slots = list(find_slots)
        self.update()

    def set_view(self, top: int, height: int) -> None:
        """Show the visible part of the content, ``height`` pixels from ``top``."""
        self._view = (top, height)
        self.update()

    def set_current_row(self, row: int) -> None:
        """Mark ``row`` as current."""
        self._current = row
        self.update()

    def set_note_rows(self, rows: set[int]) -> None:
        """Tick the rows carrying a note."""
        self._notes = set(rows)
        self.update()

    def _scale(self) -> float:
        total = max(self._layout.total, self._view[1], 1)
        return (self.height() - 2 * _MARGIN) / total

    def slot_at(self, y: float) -> int:
        """The slot drawn at widget ``y``, -1 when there are none."""
        if not len(self._layout):
            return -1
        return self._layout.row_at((y - _MARGIN) / max(self._scale(), 1e-9))

    def row_at(self, y: float) -> int:
        """The row drawn at widget ``y``, -1 when there are none."""
        slot = self.slot_at(y)
        return self._plan.slots[slot][0] if 0 <= slot < len(self._plan.slots) else -1

    def event(self, event: QEvent) -> bool:
        """Tooltips on the marks: the kind of the row under the pointer."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            row = self.row_at(event.pos().y())
            if row >= 0:
                r = self._rows[row]
                where = " ↔ ".join(x for x in (paragraph_label(r.left), paragraph_label(r.right)) if x)
                QToolTip.showText(event.globalPos(), f"{row_description(r)} ({where}) · click to jump", self)
            else:
                QToolTip.hideText()
            return True
        if event.type() == QEvent.Type.PaletteChange:
            self._colours = colours(self.palette())
            self._cache = None
        return super().event(event)

    def _marks(self) -> QPixmap:
        """The row marks, drawn once per content and size (there can be thousands of rows)."""
        key = (self.width(), self.height(), id(self._layout), len(self._rows), self.palette().cacheKey(),
               id(self._query_slots), id(self._find_slots))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        ratio = self.devicePixelRatioF()
        pix = QPixmap(self.size() * ratio)
        pix.setDevicePixelRatio(ratio)
        c = self._colours = colours(self.palette())
        pix.fill(c.header)
        p = QPainter(pix)
        p.setPen(QPen(c.separator, 1))
        p.drawLine(0, 0, 0, self.height())
        if len(self._layout) and len(self._layout) == len(self._plan.slots):
            scale = self._scale()
            col = (self.width() - 3 * _MARGIN) / 2
            for slot, (n, part) in enumerate(self._plan.slots):
                row = self._rows[n]
                top, bottom = self._layout.span(slot)
                if bottom == top:
                    continue
                y = _MARGIN + top * scale
                h = max(2.0, (bottom - top) * scale - (1 if (bottom - top) * scale > 4 else 0))
                colour = QColor(c.mark(row.kind, row.moved))
                if row.kind is RowKind.BOILERPLATE:
                    colour.setAlpha(130)
                elif row.kind is RowKind.IDENTICAL and not row.moved:
                    colour.setAlpha(110)
                if row.left and part in (BOTH, LEFT):
                    p.fillRect(QRectF(_MARGIN + 1, y, col, h), colour)
                if row.right and part in (BOTH, RIGHT):
                    p.fillRect(QRectF(2 * _MARGIN + col, y, col, h), colour)
            for slots, colour, x in ((self._query_slots, c.query_tick, 0.0),
                                     (self._find_slots, c.find_current, self.width() - 5.0)):
                for slot in slots:
                    if 0 <= slot < len(self._layout):
                        t, b = self._layout.span(slot)
                        p.fillRect(QRectF(x, _MARGIN + t * scale, 5, max(2.0, (b - t) * scale)), colour)
        p.end()
        self._cache = (key, pix)
        return pix

    def paintEvent(self, event: QPaintEvent) -> None:
        """Draw the marks, then the visible region and the current row on top."""
        p = QPainter(self)
        c = self._colours
        p.drawPixmap(0, 0, self._marks())
        if not len(self._layout) or len(self._layout) != len(self._plan.slots):
            p.end()
            return
        scale = self._scale()
        top, height = self._view
        view = QRectF(1.5, _MARGIN + top * scale, self.width() - 3, max(6.0, height * scale))
        shade = QColor(c.text)
        shade.setAlpha(28)
        p.setPen(QPen(c.dim_text, 1))
        p.setBrush(shade)
        p.drawRoundedRect(view, 2, 2)
        p.setPen(QPen(NOTE_EDGE, 1))
        p.setBrush(NOTE_FILL)
        for row in sorted(r for r in self._notes if 0 <= r < len(self._layout)):
            t, b = self._layout.span(row)
            y = _MARGIN + (t + b) / 2 * scale
            p.drawRect(QRectF(0.5, y - 2, self.width() - 1.5, 4))
        if 0 <= self._current < len(self._plan.left_slot):
            current = self._plan.slot_of(self._current, LEFT if self._rows[self._current].left else RIGHT)
            t, b = self._layout.span(current)
            p.setPen(QPen(c.current, 2))
            y = _MARGIN + (t + b) / 2 * scale
            p.drawLine(1, round(y), self.width() - 1, round(y))
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Jump to the row under the click."""
        if event.button() == Qt.MouseButton.LeftButton:
            row = self.row_at(event.position().y())
            if row >= 0:
                self.rowRequested.emit(row)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Dragging keeps jumping, like a scroll bar."""
        if event.buttons() & Qt.MouseButton.LeftButton:
            row = self.row_at(event.position().y())
            if row >= 0:
                self.rowRequested.emit(row)
