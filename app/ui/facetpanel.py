"""The Facets dock: the search's hits counted by source, author, month and file type, as filters.

Clicking a value keeps only hits with it (several values of one facet: any of them); Ctrl-click
leaves it out; a second click clears it. The histogram shows hits by month and a drag across it
selects a date range (the From/To fields can be typed too). Every change emits
:attr:`FacetPanel.filterChanged` with the new :class:`~app.core.search.facets.FacetFilter`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.core.search.facets import FacetCounts, FacetFilter
    from app.ui.windowbase import WindowBase

LISTED = (("source", "Sources"), ("author", "Authors"), ("filetype", "File types"))
_STATE_ROLE = Qt.ItemDataRole.UserRole + 1  # "", "include" or "exclude"
_VALUE_ROLE = Qt.ItemDataRole.UserRole + 2


class MonthHistogram(QWidget):
    """Bars of hits by month; dragging across them selects a range of months."""

    rangeSelected = Signal(str, str)  # first and last month ("YYYY-MM"), both "" when cleared

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("monthHistogram")
        self.setMinimumHeight(64)
        self.setMouseTracking(True)
        self.months: list[str] = []
        self.counts: list[int] = []
        self.selection: tuple[int, int] | None = None
        self._anchor = -1

    def sizeHint(self) -> QSize:
        """Wide and short."""
        return QSize(240, 72)

    def set_counts(self, months: list[tuple[str, int]]) -> None:
        """Show ``(month, count)`` pairs; every month between the first and last gets a bar."""
        selected = self.selected_months()
        filled: list[str] = []
        if months:
            y, m = map(int, months[0][0].split("-"))
            last = months[-1][0]
            while True:
                filled.append(f"{y:04d}-{m:02d}")
                if filled[-1] >= last or len(filled) > 1200:
                    break
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        got = dict(months)
        self.months = filled
        self.counts = [got.get(mo, 0) for mo in filled]
        self.selection = None
        if selected and selected[0] in self.months and selected[1] in self.months:
            self.selection = (self.months.index(selected[0]), self.months.index(selected[1]))
        self.setToolTip(f"Hits by month, {filled[0]} to {filled[-1]}; drag to choose a range" if filled else "")
        self.update()

    def selected_months(self) -> tuple[str, str] | None:
        """The first and last selected month."""
        if self.selection is None or not self.months:
            return None
        a, b = sorted(self.selection)
        return self.months[a], self.months[b]

    def bar_rect(self, i: int) -> QRectF:
        """Where bar ``i`` is drawn (full height of the widget)."""
        n = max(1, len(self.months))
        w = (self.width() - 8) / n
        return QRectF(4 + i * w, 2, max(1.0, w), self.height() - 16)

    def bar_at(self, x: float) -> int:
        """The bar under ``x`` (clamped to the bars; -1 without bars)."""
        if not self.months:
            return -1
        w = (self.width() - 8) / len(self.months)
        return min(len(self.months) - 1, max(0, int((x - 4) // max(w, 1e-6))))

    def select(self, first: int, last: int) -> None:
        """Select bars ``first..last`` and emit the months."""
        if not self.months:
            return
        top = len(self.months) - 1
        self.selection = (min(max(first, 0), top), min(max(last, 0), top))
        a, b = self.selected_months() or ("", "")
        self.update()
        self.rangeSelected.emit(a, b)

    def clear_selection(self, emit: bool = True) -> None:
        """No range (all dates)."""
        self.selection = None
        self.update()
        if emit:
            self.rangeSelected.emit("", "")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Start a range at the bar under the pointer."""
        if event.button() == Qt.MouseButton.LeftButton and self.months:
            self._anchor = self.bar_at(event.position().x())
            self.selection = (self._anchor, self._anchor)
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Stretch the range while dragging; show the month and its hits."""
        i = self.bar_at(event.position().x())
        if self._anchor >= 0 and event.buttons() & Qt.MouseButton.LeftButton:
            self.selection = (self._anchor, i)
            self.update()
        if i >= 0:
            self.setToolTip(f"{self.months[i]}: {self.counts[i]:,} hit{'s' if self.counts[i] != 1 else ''}")

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Finish the range and emit it."""
        if self._anchor >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.select(self._anchor, self.bar_at(event.position().x()))
            self._anchor = -1

    def paintEvent(self, event: QPaintEvent) -> None:
        """Bars scaled to the busiest month, the selection highlighted."""
        p = QPainter(self)
        pal = self.palette()
        p.fillRect(self.rect(), pal.base())
        if not self.months:
            p.setPen(pal.placeholderText().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No dated hits")
            return
        top = max(self.counts) or 1
        sel = sorted(self.selection) if self.selection else None
        accent = pal.highlight().color()
        plain = QColor(pal.text().color())
        plain.setAlpha(110)
        for i, c in enumerate(self.counts):
            r = self.bar_rect(i)
            if sel and sel[0] <= i <= sel[1]:
                band = QColor(accent)
                band.setAlpha(50)
                p.fillRect(r, band)
            h = r.height() * c / top
            bar = QRectF(r.left() + 0.5, r.bottom() - h, max(1.0, r.width() - 1), h)
            p.fillRect(bar, accent if sel and sel[0] <= i <= sel[1] else plain)
        p.setPen(pal.placeholderText().color())
        font = p.font()
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
        p.setFont(font)
        p.drawText(QPointF(4, self.height() - 3), self.months[0])
        right = self.months[-1]
        p.drawText(QPointF(self.width() - 4 - p.fontMetrics().horizontalAdvance(right), self.height() - 3), right)


class _FacetList(QListWidget):
    """A facet's values; a click reports the value and whether Ctrl was held."""

    valueClicked = Signal(str, bool)  # value, exclude

    def mousePressEvent(self, event: QMouseEvent) -> None:
        item = self.itemAt(event.position().toPoint())
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.valueClicked.emit(item.data(_VALUE_ROLE), ctrl)
            event.accept()
            return
        super().mousePressEvent(event)


class FacetPanel(QDockWidget):
    """The Facets dock (View > Facets)."""

    filterChanged = Signal(object)  # FacetFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Facets", parent)
        self.setObjectName("facetDock")
        self.include: dict[str, set[str]] = {k: set() for k, _ in LISTED}
        self.exclude: dict[str, set[str]] = {k: set() for k, _ in LISTED}
        self.date_from: date | None = None
        self.date_to: date | None = None
        self.counts: FacetCounts | None = None  # the core loads off the GUI thread at launch

        body = QWidget(self)
        box = QVBoxLayout(body)
        box.setContentsMargins(6, 6, 6, 6)
        box.setSpacing(4)
        self.summary = QLabel("Search to see the hits by source, author, date and type.", body)
        self.summary.setObjectName("facetSummary")
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        box.addWidget(QLabel("<b>Dates</b> <span style='color:gray'>(drag across the months)</span>", body))
        self.histogram = MonthHistogram(body)
        self.histogram.rangeSelected.connect(self._months_selected)
        box.addWidget(self.histogram)
        row = QHBoxLayout()
        self.from_edit = QLineEdit(body)
        self.from_edit.setObjectName("facetFrom")
        self.from_edit.setPlaceholderText("from YYYY-MM-DD")
        self.to_edit = QLineEdit(body)
        self.to_edit.setObjectName("facetTo")
        self.to_edit.setPlaceholderText("to (inclusive)")
        for edit in (self.from_edit, self.to_edit):
            edit.editingFinished.connect(self._dates_typed)
            row.addWidget(edit)
        box.addLayout(row)
        self.undated_label = QLabel("", body)
        self.undated_label.setObjectName("facetUndated")
        box.addWidget(self.undated_label)
        self.lists: dict[str, _FacetList] = {}
        for key, title in LISTED:
            box.addWidget(QLabel(f"<b>{title}</b>", body))
            lst = _FacetList(body)
            lst.setObjectName(f"facet_{key}")
            lst.setToolTip("Click keeps only this value · Ctrl-click leaves it out · click again to clear")
            lst.setMaximumHeight(170 if key != "filetype" else 80)
            lst.valueClicked.connect(lambda value, ctrl, k=key: self.toggle(k, value, exclude=ctrl))
            box.addWidget(lst)
            self.lists[key] = lst
        self.clear_button = QPushButton("Clear filters", body)
        self.clear_button.setObjectName("facetClear")
        self.clear_button.clicked.connect(self.clear)
        box.addWidget(self.clear_button)
        box.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.setWidget(scroll)
        self._refresh_lists()

    # ------------------------------------------------------------------ state

    def filter(self) -> FacetFilter:
        """The filters chosen."""
        # Imported here for start-up time: app.core.search.facets loads the index engine's postings.
        from app.core.search.facets import FacetFilter

        return FacetFilter.of(include={k: v for k, v in self.include.items()},  # as Iterable[str] values
                              exclude={k: v for k, v in self.exclude.items()},
                              date_from=self.date_from, date_to=self.date_to)

    def toggle(self, facet: str, value: str, *, exclude: bool = False) -> None:
        """Click (``exclude``: Ctrl-click) on ``value`` of ``facet``."""
        inc, exc = self.include[facet], self.exclude[facet]
        if value in inc or value in exc:
            inc.discard(value)
            exc.discard(value)
        elif exclude:
            exc.add(value)
        else:
            inc.add(value)
        self._refresh_lists()
        self._emit()

    def set_dates(self, date_from: date | None, date_to: date | None, *, emit: bool = True) -> None:
        """Filter by publication date (inclusive; None: open)."""
        self.date_from, self.date_to = date_from, date_to
        self.from_edit.setText(date_from.isoformat() if date_from else "")
        self.to_edit.setText(date_to.isoformat() if date_to else "")
        if emit:
            self._emit()

    def clear(self) -> None:
        """Drop every filter."""
        for d in (*self.include.values(), *self.exclude.values()):
            d.clear()
        self.histogram.clear_selection(emit=False)
        self.set_dates(None, None, emit=False)
        self._refresh_lists()
        self._emit()

    def _emit(self) -> None:
        self.clear_button.setEnabled(self.filter().active)
        self.filterChanged.emit(self.filter())

    def _months_selected(self, first: str, last: str) -> None:
        # Imported here for start-up time: app.core.search.facets loads the index engine's postings.
        from app.core.search.facets import parse_date

        if not first:
            self.set_dates(None, None)
            return
        self.set_dates(parse_date(first), parse_date(last, end=True))

    def _dates_typed(self) -> None:
        # Imported here for start-up time: app.core.search.facets loads the index engine's postings.
        from app.core.search.facets import parse_date

        try:
            lo = parse_date(self.from_edit.text()) if self.from_edit.text().strip() else None
            hi = parse_date(self.to_edit.text(), end=True) if self.to_edit.text().strip() else None
        except ValueError as exc:
            self.undated_label.setText(str(exc))
            return
        if (lo, hi) != (self.date_from, self.date_to):
            self.histogram.clear_selection(emit=False)
            self.set_dates(lo, hi)

    # ------------------------------------------------------------------ counts

    def set_counts(self, counts: FacetCounts) -> None:
        """Show a search's facet counts."""
        self.counts = counts
        kept, matched = counts.kept, counts.matched
        self.summary.setText(f"{kept:,} of {matched:,} hits kept by the filters" if self.filter().active
                             else f"{matched:,} hit{'s' if matched != 1 else ''}")
        self.histogram.set_counts(counts.counts.get("month", []))
        self.undated_label.setText(f"{counts.undated:,} undated (left out of a date range)" if counts.undated else "")
        self._refresh_lists()

    def _refresh_lists(self) -> None:
        for key, lst in self.lists.items():
            lst.clear()
            values = dict(self.counts.counts.get(key, [])) if self.counts is not None else {}
            for v in self.include[key] | self.exclude[key]:  # chosen values stay listed
                values.setdefault(v, 0)
            for value, n in sorted(values.items(), key=lambda kv: (-kv[1], kv[0].casefold())):
                state = "include" if value in self.include[key] else "exclude" if value in self.exclude[key] else ""
                mark = {"include": "✓ ", "exclude": "✗ ", "": ""}[state]
                item = QListWidgetItem(f"{mark}{value or '(none)'}\t{n:,}")
                item.setData(_STATE_ROLE, state)
                item.setData(_VALUE_ROLE, value)
                if state == "exclude":
                    font = item.font()
                    font.setStrikeOut(True)
                    item.setFont(font)
                lst.addItem(item)
        self.clear_button.setEnabled(self.filter().active)

    def value_items(self, facet: str) -> dict[str, tuple[int, str]]:
        """Value -> (row, state) of a facet list, for tests and accessibility."""
        lst = self.lists[facet]
        return {lst.item(i).data(_VALUE_ROLE): (i, lst.item(i).data(_STATE_ROLE)) for i in range(lst.count())}


def install(window: WindowBase, *, view_menu: QMenu) -> FacetPanel:
    """Add the Facets dock beside the results of ``window``'s corpus panel, toggled from ``view_menu``."""
    panel = FacetPanel(window)
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, panel)
    window.resizeDocks([panel], [230], Qt.Orientation.Horizontal)
    panel.hide()  # the comparison keeps its width until the analyst asks for facets
    action = panel.toggleViewAction()
    action.setShortcut(QKeySequence("Ctrl+Alt+F"))
    action.setStatusTip("Count the hits by source, author, date and type, and filter by them")
    window.addAction(action)
    view_menu.addAction(action)
    panel.filterChanged.connect(window.panel.set_facet_filter)
    window.panel.facetsCounted.connect(panel.set_counts)
    return panel
