"""The side-by-side comparison: two panes, the link map, the overview, navigation and sync scrolling."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFontMetricsF,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.reading.model import Alignment, Paragraph, Role, Row, RowKind
from app.core.sessions.kindcolours import KIND_LABEL
from app.ui.linkmap import LinkMap
from app.ui.overview import OverviewRuler
from app.ui.palette import colours
from app.ui.paragraphpane import DEFAULT_POINT_SIZE, ParagraphPane, find_all
from app.ui.rowlayout import LEFT, RIGHT, RowLayout, paragraph_label, reading_plan, sync_point

MIN_POINT_SIZE, MAX_POINT_SIZE = 7.0, 24.0
FIND_MIN_CHARS = 2  # one letter matches thousands of places and tells nothing
QUERY_SLICE = 0.006  # seconds of query matching per event-loop turn

_DIFFERENT = (RowKind.CHANGED, RowKind.LEFT_ONLY, RowKind.RIGHT_ONLY)
_FURNITURE = (Role.CHROME, Role.BYLINE)


def display_rows(alignment: Alignment) -> list[Row]:
    """The rows as drawn: one-sided rows made only of page furniture count as boilerplate.

    Navigation bars, bylines and share prompts that one site has and the other lacks are not
    a difference in content; showing them as boilerplate keeps them dimmed, lets "Hide
    Boilerplate" collapse them and keeps "next difference" on real edits. The alignment
    itself (and so sessions and reports) keeps the aligner's kinds.
    """
    out = []
    for row in alignment.rows:
        side = alignment.left if row.kind is RowKind.LEFT_ONLY else alignment.right
        paras = row.left if row.kind is RowKind.LEFT_ONLY else row.right
        if (row.kind in (RowKind.LEFT_ONLY, RowKind.RIGHT_ONLY) and paras
                and all(side.paragraphs[i].role in _FURNITURE for i in paras)):
            row = replace(row, kind=RowKind.BOILERPLATE)
        out.append(row)
    return out


class Legend(QWidget):
    """The row kinds' colours in words, under the panes (the reports use the same colours)."""

    ITEMS: tuple[RowKind | str, ...] = (RowKind.IDENTICAL, RowKind.CHANGED, "moved", RowKind.LEFT_ONLY,
                                        RowKind.RIGHT_ONLY, RowKind.BOILERPLATE)  # "moved": any kind

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareLegend")
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._colours = colours(self.palette())
        self.setToolTip("Row colours: the strip left of each paragraph, the bands and the overview ruler")

    def labels(self) -> list[str]:
        """The legend's entries, in order."""
        return [KIND_LABEL[item] if isinstance(item, RowKind) else item for item in self.ITEMS]

    def sizeHint(self) -> QSize:
        """One line of small text."""
        return QSize(400, round(QFontMetricsF(self.font()).height()) + 8)

    def changeEvent(self, event: QEvent) -> None:
        """Follow palette changes."""
        if event.type() == QEvent.Type.PaletteChange:
            self._colours = colours(self.palette())
            self.update()
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Swatch and label per kind, as many as fit."""
        self._colours = colours(self.palette())
        p = QPainter(self)
        c = self._colours
        p.fillRect(self.rect(), c.header)
        fm = QFontMetricsF(self.font())
        x = 10.0
        h = self.height()
        for item, label in zip(self.ITEMS, self.labels(), strict=True):
            fill = c.row(item) if isinstance(item, RowKind) else c.moved_row
            mark = c.mark(item) if isinstance(item, RowKind) else c.moved_mark
            w = fm.horizontalAdvance(label)
            if x + 16 + w > self.width():
                break
            box = QRectF(x, (h - 12) / 2, 14, 12)
            p.fillRect(box, fill)
            p.fillRect(QRectF(x, box.top(), 4, 12), mark)
            p.setPen(mark)
            p.drawRect(box)
            p.setPen(c.text)
            p.drawText(QRectF(x + 19, 0, w + 2, h), Qt.AlignmentFlag.AlignVCenter, label)
            x += 19 + w + 16
        p.end()


class FindBar(QWidget):
    """Find inside the comparison: a field, the count, previous/next and close."""

    def __init__(self, view: CompareView) -> None:
        super().__init__(view)
        self.setObjectName("compareFindBar")
        box = QHBoxLayout(self)
        box.setContentsMargins(8, 3, 8, 3)
        box.addWidget(QLabel("Find in comparison:", self))
        self.edit = QLineEdit(self)
        self.edit.setObjectName("compareFindEdit")
        self.edit.setPlaceholderText("text in either article")
        self.edit.setClearButtonEnabled(True)
        self.count = QLabel("", self)
        self.count.setObjectName("compareFindCount")
        prev_button, next_button, close_button = QToolButton(self), QToolButton(self), QToolButton(self)
        prev_button.setText("▲")
        prev_button.setToolTip("Previous match (Shift+F3)")
        next_button.setText("▼")
        next_button.setToolTip("Next match (Enter, F3)")
        close_button.setText("✕")
        close_button.setToolTip("Close (Esc)")
        box.addWidget(self.edit, 1)
        box.addWidget(self.count)
        box.addWidget(prev_button)
        box.addWidget(next_button)
        box.addWidget(close_button)
        self.edit.textChanged.connect(view.set_find_text)
        self.edit.returnPressed.connect(view.find_next)
        prev_button.clicked.connect(view.find_previous)
        next_button.clicked.connect(view.find_next)
        close_button.clicked.connect(view.close_find)
        self.edit.installEventFilter(self)
        self._view = view

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Esc closes, Shift+Enter goes back."""
        if obj is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event
            if key.key() == Qt.Key.Key_Escape:
                self._view.close_find()
                return True
            if key.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and key.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._view.find_previous()
                return True
        return super().eventFilter(obj, event)


class CompareView(QWidget):
    """Shows an :class:`Alignment`: matching paragraphs side by side on the same row.

    Each pane reads in its own article's order: a moved row is drawn at its place in each
    article, linked by a crossing band and a "moved from ¶N" badge (see :class:`ReadingPlan`).
    """

    currentRowChanged = Signal(int)
    dropRequested = Signal(str, list)
    noteRequested = Signal(int)  # row whose context menu asked for a note
    markRequested = Signal(str, int, object)  # side, paragraph, "boilerplate" / "content" / None (clear)
    positionChanged = Signal(str)  # "difference 3 of 12", for the status bar
    pointSizeChanged = Signal(float)
    linkRequested = Signal(int, int)  # Link These: left paragraph, right paragraph (-1: none picked)
    unlinkRequested = Signal(int)  # Unlink: the row whose paragraphs are not a match
    notMatchRequested = Signal(str, int)  # Not a Match: side, paragraph (against its row's partners)
    forgetLinkRequested = Signal(int)  # Remove Manual Link: the row the analyst had linked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self._alignment: Alignment | None = None
        self._rows: list[Row] = []
        self._para_rows: tuple[list[Row], dict[tuple[str, int], int]] | None = None  # see _para_index
        self._plan = reading_plan([])
        self._current = -1
        self._hide_boilerplate = False
        self._expanded: set[int] = set()  # boilerplate rows shown although hidden is on
        self._syncing = False
        # A restored scroll offset is one of the real layout: held while the rows still have
        # estimated heights, dropped once they are exact or the analyst scrolls.
        self._scroll_target: int | None = None
        self._restoring = False
        self._layout = RowLayout()
        self._differences: list[int] = []
        self._find_text = ""
        self._find_hits: list[tuple[str, int, int]] = []  # (side, paragraph, start) in reading order
        self._find_index = -1
        self._query_hits: list[int] = []
        self._query_index = -1
        self._query_job = 0
        self._query_ready = True
        self._jump_to_hit = False
        self._matcher: Callable[[str], bool] | None = None
        self._measure = 0
        self.left_pane = ParagraphPane("left", self)
        self.right_pane = ParagraphPane("right", self)
        self.linkmap = LinkMap(self)
        self.linkmap.set_panes(self.left_pane, self.right_pane)
        self.overview = OverviewRuler(self)
        self.legend = Legend(self)
        self.find_bar = FindBar(self)
        self.find_bar.hide()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        box = QHBoxLayout()
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.left_pane, 1)
        box.addWidget(self.linkmap)
        box.addWidget(self.right_pane, 1)
        box.addWidget(self.overview)
        outer.addWidget(self.find_bar)
        outer.addLayout(box, 1)
        outer.addWidget(self.legend)
        self._picked = {"left": -1, "right": -1}  # the paragraphs Link These (Ctrl+L) takes
        self._manual: set[int] = set()  # rows held by the analyst's links
        for side, pane in (("left", self.left_pane), ("right", self.right_pane)):
            pane.paragraphPicked.connect(lambda para, s=side: self._picked.__setitem__(s, para))
            pane.menu_extender = lambda menu, para, row, s=side: self.add_link_actions(menu, s, para, row)
            pane.verticalScrollBar().valueChanged.connect(lambda v, s=side: self._scrolled(s, v))
            pane.textWidthChanged.connect(self._relayout)
            pane.heightsChanged.connect(self._relayout)
            pane.rowClicked.connect(self.set_current_row_no_scroll)
            pane.dropped.connect(lambda items, s=side: self.dropRequested.emit(s, items))
            pane.noteRequested.connect(self.noteRequested)
            pane.markRequested.connect(lambda para, kind, s=side: self.markRequested.emit(s, para, kind or None))
            pane.partnerRequested.connect(self.show_side)
            pane.stripClicked.connect(self._expand_strip)
        self.overview.rowRequested.connect(self.set_current_row)
        # Rows are first sized from estimated text heights (cheap); the real layouts follow on
        # idle in slices of a few milliseconds, so a width change never stalls the window.
        self._refine_timer = QTimer(self)
        self._refine_timer.setSingleShot(True)
        self._refine_timer.setInterval(0)
        self._refine_timer.timeout.connect(self._refine_step)
        self._actions = self._make_actions()
        self.link_action = QAction("Link These", self)
        self.link_action.setShortcut(QKeySequence("Ctrl+L"))
        self.link_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.link_action.setStatusTip("Hold the paragraphs clicked last on each side in one row; "
                                      "the rest is aligned around them")
        self.link_action.triggered.connect(lambda: self.link_picked())
        self._actions.append(self.link_action)
        self.addActions(self._actions)

    # --- content -------------------------------------------------------------------------

    def set_alignment(self, alignment: Alignment | None) -> None:
        """Show ``alignment`` (None clears the view) from its top, with no current row."""
        self._alignment = alignment
        self._rows = display_rows(alignment) if alignment is not None else []
        self._plan = reading_plan(self._rows)
        self._expanded.clear()
        self._differences = [n for n, r in enumerate(self._rows) if r.kind in _DIFFERENT or r.moved]
        same_pair = (self._alignment_ids == ((alignment.left.id, alignment.right.id) if alignment else None))
        self.left_pane.set_content(alignment.left if alignment else None, self._rows, self._plan)
        self.right_pane.set_content(alignment.right if alignment else None, self._rows, self._plan)
        self._set_manual(alignment, keep_picks=same_pair)
        self.linkmap.set_rows(self._rows)
        self._current = -1
        self._relayout(keep_position=False)
        self._show_current()
        self._find_hits, self._find_index = [], -1
        if self._find_text:
            self.set_find_text(self._find_text)
        self._update_query_hits()
        self.currentRowChanged.emit(-1)
        self._emit_position()

    # --- manual links ----------------------------------------------------------------------

    @property
    def _alignment_ids(self) -> tuple[str, str] | None:
        panes = self.left_pane.article(), self.right_pane.article()
        return None if None in panes else (panes[0].id, panes[1].id)  # type: ignore[union-attr]

    def _set_manual(self, alignment: Alignment | None, *, keep_picks: bool) -> None:
        held = {(tuple(a[0]), tuple(a[1])) for a in (alignment.options.get("anchors") or [])} if alignment else set()
        self._manual = {n for n, r in enumerate(self._rows) if (r.left, r.right) in held}
        if not keep_picks:
            self._picked = {"left": -1, "right": -1}
        for side, pane in (("left", self.left_pane), ("right", self.right_pane)):
            pane.set_manual_rows(self._manual)
            pane.set_picked(self._picked[side])

    def manual_rows(self) -> set[int]:
        """Rows held by the analyst's links."""
        return set(self._manual)

    def picked(self) -> tuple[int, int]:
        """The left and right paragraphs clicked last (-1: none)."""
        return self._picked["left"], self._picked["right"]

    def pick(self, side: str, para: int) -> None:
        """Pick paragraph ``para`` of ``side`` for Link These, as a click does."""
        self._picked[side] = para
        (self.left_pane if side == "left" else self.right_pane).set_picked(para)

    def link_picked(self) -> bool:
        """Link These: ask to hold the picked paragraphs in one row; False when a side has none."""
        al = self._alignment
        left, right = self.picked()
        if al is None or not (al.left.id and al.right.id):
            return False
        self.linkRequested.emit(left, right)  # with -1 for a side not picked: the window says what to do
        if left < 0 or right < 0:
            return False
        self._picked = {"left": -1, "right": -1}
        return True

    def _row_partners(self, side: str, para: int) -> tuple[int, ...]:
        row = next((r for r in self._rows if para in (r.left if side == "left" else r.right)), None)
        if row is None or not row.is_match:
            return ()
        return row.right if side == "left" else row.left

    def add_link_actions(self, menu: QMenu, side: str, para: int, row: int) -> None:
        """Link These, Unlink, Not a Match and Remove Manual Link in a pane's context menu."""
        al = self._alignment
        if al is None or not (al.left.id and al.right.id):
            return
        menu.addSeparator()
        left, right = self.picked()
        label = "Link These"
        if left >= 0 and right >= 0:
            label = f"Link These (left {paragraph_label((left,))} ↔ right {paragraph_label((right,))})"
        link = menu.addAction(label, lambda: self.link_picked())
        link.setShortcut(QKeySequence("Ctrl+L"))
        link.setObjectName("link_these")
        link.setEnabled(left >= 0 and right >= 0)
        real = 0 <= row < len(self._rows)
        unlink = menu.addAction("Unlink", lambda: self.unlinkRequested.emit(row))
        unlink.setObjectName("unlink_row")
        unlink.setStatusTip("These paragraphs are not a match: never link them again")
        unlink.setEnabled(real and self._rows[row].is_match)
        nomatch = menu.addAction("Not a Match", lambda: self.notMatchRequested.emit(side, para))
        nomatch.setObjectName("not_a_match")
        nomatch.setEnabled(para >= 0 and bool(self._row_partners(side, para)))
        if real and row in self._manual:
            forget = menu.addAction("Remove Manual Link", lambda: self.forgetLinkRequested.emit(row))
            forget.setObjectName("forget_link")

    def display_row(self, row: int) -> Row | None:
        """Row ``row`` as drawn (None out of range)."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def alignment(self) -> Alignment | None:
        """The alignment shown, if any."""
        return self._alignment

    def set_highlighter(self, matcher: Callable[[str], bool] | None) -> None:
        """Highlight in both panes the words ``matcher`` accepts (the current query's terms)."""
        if matcher is not None:
            # Stemming every painted word again costs more than painting it; words repeat a lot.
            matcher = functools.lru_cache(maxsize=50_000)(matcher)
        self._matcher = matcher
        self.left_pane.set_highlighter(matcher)
        self.right_pane.set_highlighter(matcher)
        self._update_query_hits()

    def _update_query_hits(self) -> None:
        """Find the rows holding a query term, for F3 and the ruler, a few rows per event-loop turn.

        Matching every word of a long comparison takes longer than a frame, so it runs in
        slices of a few milliseconds; :meth:`first_query_hit` asked meanwhile jumps when done.
        """
        self._query_hits, self._query_index = [], -1
        self._query_job += 1
        self._query_ready = self._matcher is None or self._alignment is None
        self._push_hits()
        if not self._query_ready:
            self._query_found: set[int] = set()
            # Tied to the view: a slice still pending when the tab closes is dropped with it.
            QTimer.singleShot(0, self, functools.partial(self._query_step, self._query_job,
                                                         iter(range(len(self._rows)))))

    def _query_step(self, job: int, todo: Iterator[int]) -> None:
        if job != self._query_job:
            return  # the alignment or the query changed meanwhile
        start = time.perf_counter()
        for n in todo:
            row = self._rows[n]
            if any(self.left_pane.query_spans(p) for p in row.left) or \
                    any(self.right_pane.query_spans(p) for p in row.right):
                self._query_found.add(n)
            if time.perf_counter() - start > QUERY_SLICE:
                QTimer.singleShot(0, self, functools.partial(self._query_step, job, todo))
                return
        self._query_hits = sorted(self._query_found, key=self._reading_key)
        self._query_ready = True
        self._push_hits()
        if self._jump_to_hit:
            self._jump_to_hit = False
            self.first_query_hit()

    def wait_query_hits(self) -> None:
        """Finish finding the query hits now (tests, and callers that cannot wait)."""
        while not self._query_ready:
            QApplication.processEvents()

    def _push_hits(self) -> None:
        self.overview.set_hits([self._plan.slot_of(n, LEFT if self._rows[n].left else RIGHT)
                                for n in self._query_hits], self._find_slots())

    def query_hit_rows(self) -> list[int]:
        """Rows holding a term of the highlighted query, in reading order."""
        return list(self._query_hits)

    def first_query_hit(self) -> bool:
        """Go to the first row holding a query term (opening a search hit); False when none.

        While the hits are still being found, the jump happens once they are (and True is returned).
        """
        if not self._query_ready:
            self._jump_to_hit = True
            return True
        self._query_index = -1
        return self.next_query_hit()

    def next_query_hit(self, forward: bool = True) -> bool:
        """Go to the next (or previous) row holding a query term, wrapping; False when none."""
        if not self._query_hits:
            return False
        step = 1 if forward else -1
        self._query_index = (self._query_index + step) % len(self._query_hits)
        self.set_current_row(self._query_hits[self._query_index])
        return True

    def _reading_key(self, row: int) -> int:
        return min(self._plan.left_slot[row], self._plan.right_slot[row])

    def set_mark_lookup(self, lookup: Callable[[Paragraph], str | None] | None) -> None:
        """Offer "Mark as boilerplate / content (everywhere)" in the panes' context menus;
        ``lookup`` tells a paragraph's current mark."""
        self.left_pane.mark_lookup = lookup
        self.right_pane.mark_lookup = lookup

    def set_note_rows(self, rows: set[int]) -> None:
        """Mark the rows carrying a note in both panes and the overview."""
        for target in (self.left_pane, self.right_pane, self.overview):
            target.set_note_rows(rows)

    def set_hide_boilerplate(self, hide: bool) -> None:
        """Collapse boilerplate rows to thin strips (rows stay aligned)."""
        hide = bool(hide)
        if hide != self._hide_boilerplate:
            self._hide_boilerplate = hide
            self._relayout()
        self._hide_action.setChecked(hide)

    def hide_boilerplate(self) -> bool:
        """Whether boilerplate rows are collapsed."""
        return self._hide_boilerplate

    def _collapsed(self, n: int) -> bool:
        return (self._hide_boilerplate and self._rows[n].kind is RowKind.BOILERPLATE
                and n not in self._expanded)

    def _expand_strip(self, slot: int) -> None:
        """Show the hidden boilerplate run whose strip starts at ``slot``."""
        slots = self._plan.slots
        n = slot
        while n < len(slots) and self._collapsed(slots[n][0]):
            self._expanded.add(slots[n][0])
            n += 1
        self._relayout()

    def _relayout(self, keep_position: bool = True) -> None:
        """Recompute the shared slot heights (after a width change, new content, or hiding)."""
        header = max(self.left_pane.header_height_for_width(), self.right_pane.header_height_for_width())
        self.left_pane.set_header_height(header)
        self.right_pane.set_header_height(header)
        old, value = self._layout, self.scroll_value()
        collapsed = [self._collapsed(row) for row, _part in self._plan.slots]
        self._layout = RowLayout.from_sides(
            self.left_pane.text_heights(), self.right_pane.text_heights(), collapsed)
        self._syncing = True
        try:
            for pane in (self.left_pane, self.right_pane):
                pane.set_row_layout(self._layout, collapsed)
            if not keep_position:
                value, self._scroll_target = 0, None
            elif self._scroll_target is not None:
                value = self._scroll_target
            elif len(old) == len(self._layout):
                value = round(sync_point(old, self._layout, value))
            for pane in (self.left_pane, self.right_pane):
                pane.verticalScrollBar().setValue(value)
        finally:
            self._syncing = False
        self.overview.set_rows(self._rows, self._layout, self._plan)
        self._view_changed()
        if self._rows:
            self._refine_timer.start()

    def _refine_step(self) -> None:
        if not self.isVisible():
            return  # a tab in the background: resumed when it is shown
        changed = done = False
        for pane in (self.left_pane, self.right_pane):
            c, d = pane.refine_heights()
            changed |= c
            done = d if pane is self.left_pane else done and d
            if not d:
                break  # one slice per turn of the event loop
        if changed:
            self._relayout()  # restarts the refinement
        elif not done:
            self._refine_timer.start()
        else:
            self._scroll_target = None

    def showEvent(self, event: QShowEvent) -> None:
        """Resume laying out the paragraphs for real (paused while the tab was hidden)."""
        super().showEvent(event)
        if self._rows:
            self._refine_timer.start()

    def wait_layout(self) -> None:
        """Lay every paragraph out for real now (tests, benches); the rows are re-measured."""
        changed = False
        for pane in (self.left_pane, self.right_pane):
            while True:
                c, d = pane.refine_heights(budget=1.0)
                changed |= c
                if d:
                    break
        if changed:
            self._relayout()
        self._refine_timer.stop()
        self._scroll_target = None

    # --- scrolling -----------------------------------------------------------------------

    def _scrolled(self, side: str, value: int) -> None:
        if self._syncing:
            return
        if not self._restoring:
            self._scroll_target = None
        self._syncing = True
        try:
            src, dst = (self.left_pane, self.right_pane) if side == "left" else (self.right_pane, self.left_pane)
            dst.verticalScrollBar().setValue(round(sync_point(src.row_layout(), dst.row_layout(), value)))
        finally:
            self._syncing = False
        self._view_changed()

    def _view_changed(self) -> None:
        self.linkmap.update()
        self.overview.set_view(self.scroll_value(), self.right_pane.viewport().height())

    def scroll_value(self) -> int:
        """Vertical scroll offset of the panes, in content pixels (a restored one until the rows are exact)."""
        if self._scroll_target is not None:
            return self._scroll_target
        return self.right_pane.verticalScrollBar().value()

    def restore_scroll(self, value: int) -> None:
        """Scroll to an offset saved from the exact layout (a session's), kept while rows are estimated."""
        bar = self.right_pane.verticalScrollBar()
        # Past the end of the estimated layout it is the end, as the scroll bar clamps it.
        self._scroll_target = max(0, value) if value <= bar.maximum() else None
        self._restoring = True
        try:
            self.set_scroll_value(value)
        finally:
            self._restoring = False
        if self._rows:
            self._refine_timer.start()

    def set_scroll_value(self, value: int) -> None:
        """Scroll both panes to ``value`` (clamped)."""
        self.right_pane.verticalScrollBar().setValue(value)

    def _reveal(self, row: int, side: str | None = None) -> None:
        """Scroll so ``row`` is in view: untouched when fully visible, else a quarter from the top."""
        if side is None:
            side = LEFT if self._rows[row].left else RIGHT
        top, bottom = self._layout.span(self._plan.slot_of(row, side))
        page = self.right_pane.viewport().height()
        value = self.scroll_value()
        if top >= value and bottom <= value + page:
            return
        self.set_scroll_value(max(0, top - page // 4) if bottom - top < page * 3 // 4 else top)

    # --- current row and navigation ------------------------------------------------------

    def current_row(self) -> int:
        """Index of the current row in ``alignment().rows``, -1 for none."""
        return self._current

    def set_current_row(self, row: int, *, scroll: bool = True, side: str | None = None) -> None:
        """Make ``row`` current (outlined in both panes), scrolling it (``side`` of it) into view if asked."""
        row = row if 0 <= row < len(self._rows) else -1
        if scroll and row >= 0:
            self._reveal(row, side)
        if row != self._current:
            self._current = row
            self._show_current()
            self.currentRowChanged.emit(row)
            self._emit_position()

    def show_side(self, row: int, side: str) -> None:
        """Make ``row`` current and scroll to its ``side`` (a moved badge's jump to the partner)."""
        self.set_current_row(row, scroll=False)
        self._reveal(row, side)
        pane = self.left_pane if side == LEFT else self.right_pane
        pane.setFocus()

    def differences(self) -> list[int]:
        """Rows counted by "difference N of M": changed, one-sided or moved."""
        return list(self._differences)

    def position_text(self) -> str:
        """"difference 3 of 12" when the current row is one, else how many there are."""
        total = len(self._differences)
        if self._alignment is None:
            return ""
        if not total:
            return "no differences"
        if self._current in self._differences:
            return f"difference {self._differences.index(self._current) + 1} of {total}"
        return f"{total} difference{'s' if total != 1 else ''}"

    def _emit_position(self) -> None:
        self.positionChanged.emit(self.position_text())

    def go_to_paragraph(self, number: int, side: str = LEFT) -> bool:
        """Make current the row holding paragraph ``number`` (1-based) of ``side``; False if none."""
        para = number - 1
        for n, r in enumerate(self._rows):
            if para in (r.left if side == LEFT else r.right):
                if self._collapsed(n):
                    self._expanded.add(n)
                    self._relayout()
                self.set_current_row(n, scroll=False)
                self._reveal(n, side)
                return True
        return False

    def ask_paragraph(self) -> str | None:
        """Ask which paragraph to go to (replaced in tests)."""
        text, ok = QInputDialog.getText(
            self, "Go to Paragraph", "Paragraph number (left article; R12 for the right's ¶12):")
        return text if ok else None

    def go_to_paragraph_prompt(self) -> bool:
        """Ctrl+G: ask for a paragraph number and go there."""
        if self._alignment is None:
            return False
        answer = (self.ask_paragraph() or "").strip().lstrip("¶")
        side = LEFT
        if answer[:1].lower() in ("r", "l"):
            side = RIGHT if answer[:1].lower() == "r" else LEFT
            answer = answer[1:].strip().lstrip("¶")
        return answer.isdigit() and self.go_to_paragraph(int(answer), side)

    # --- find in the comparison ---------------------------------------------------------

    def open_find(self) -> None:
        """Show the find bar (Ctrl+F while a pane has focus) with its text selected."""
        self.find_bar.show()
        self.find_bar.edit.setFocus()
        self.find_bar.edit.selectAll()

    def close_find(self) -> None:
        """Hide the find bar and its highlights."""
        self.find_bar.hide()
        self.find_bar.edit.clear()
        self.set_find_text("")
        self.right_pane.setFocus()

    def set_find_text(self, text: str) -> None:
        """Highlight ``text`` in both panes and on the ruler (the first hit becomes current)."""
        self._find_text = text if len(text.strip()) >= FIND_MIN_CHARS else ""
        self._find_hits, self._find_index = [], -1
        text = self._find_text
        if text and self._alignment is not None:
            needle = text.casefold()
            keyed = []
            for side, article in ((LEFT, self._alignment.left), (RIGHT, self._alignment.right)):
                for para in article.paragraphs:
                    for start, _end in find_all(para.text, needle):
                        keyed.append((self._para_slot(side, para.index), side, para.index, start))
            keyed.sort()
            self._find_hits = [(side, para, start) for _slot, side, para, start in keyed]
        for pane in (self.left_pane, self.right_pane):
            pane.set_find(text)
        self._push_hits()
        self._update_find_count()
        if self._find_hits:
            self.find_next()

    def _para_index(self) -> dict[tuple[str, int], int]:
        """The row of every (side, paragraph), made again when the rows change."""
        if self._para_rows is None or self._para_rows[0] is not self._rows:
            index: dict[tuple[str, int], int] = {}
            for n, r in enumerate(self._rows):
                for p in r.left:
                    index[(LEFT, p)] = n
                for p in r.right:
                    index[(RIGHT, p)] = n
            self._para_rows = (self._rows, index)
        return self._para_rows[1]

    def _para_slot(self, side: str, para: int) -> int:
        row = self._para_index().get((side, para))
        return self._plan.slot_of(row, side) if row is not None else 0

    def _find_slots(self) -> list[int]:
        return sorted({self._para_slot(side, para) for side, para, _s in self._find_hits})

    def find_hits(self) -> list[tuple[str, int, int]]:
        """Every match of the find text: (side, paragraph, start), in reading order."""
        return list(self._find_hits)

    def current_find_hit(self) -> tuple[str, int, int] | None:
        """The match last gone to."""
        return self._find_hits[self._find_index] if 0 <= self._find_index < len(self._find_hits) else None

    def find_next(self, forward: bool = True) -> bool:
        """Go to the next (or previous) match, wrapping; False when there is none."""
        if not self._find_hits:
            self._update_find_count()
            return False
        step = 1 if forward else -1
        self._find_index = (self._find_index + step) % len(self._find_hits)
        side, para, start = self._find_hits[self._find_index]
        row = self._para_index()[(side, para)]
        if self._collapsed(row):
            self._expanded.add(row)
            self._relayout()
        self.set_current_row(row, scroll=False)
        self._reveal(row, side)
        for pane in (self.left_pane, self.right_pane):
            pane.set_find(self._find_text, (para, start) if pane.side == side else None)
        self._update_find_count()
        return True

    def find_previous(self) -> bool:
        """Go to the previous match."""
        return self.find_next(False)

    def _update_find_count(self) -> None:
        if not self._find_text:
            self.find_bar.count.setText("")
        elif not self._find_hits:
            self.find_bar.count.setText("no match")
        else:
            self.find_bar.count.setText(f"{self._find_index + 1} of {len(self._find_hits)}")

    def f3(self, forward: bool = True) -> bool:
        """F3: the next find match when finding, else the next query hit."""
        if self._find_text and self._find_hits:
            return self.find_next(forward)
        return self.next_query_hit(forward)

    # --- text size and measure -----------------------------------------------------------

    def set_point_size(self, size: float) -> None:
        """Text size of both panes in points (clamped), keeping the reading position."""
        size = max(MIN_POINT_SIZE, min(MAX_POINT_SIZE, float(size)))
        if size == self.left_pane.point_size():
            return
        for pane in (self.left_pane, self.right_pane):
            pane.set_point_size(size)
            pane.set_measure(self._measure)
        self._relayout()
        self.pointSizeChanged.emit(size)

    def point_size(self) -> float:
        """Text size in points."""
        return self.left_pane.point_size()

    def set_measure(self, chars: int) -> None:
        """Hold lines to about ``chars`` characters (0: the whole pane width)."""
        self._measure = chars
        for pane in (self.left_pane, self.right_pane):
            pane.set_measure(chars)
        self._relayout()

    def set_current_row_no_scroll(self, row: int) -> None:
        """Make ``row`` current without scrolling (a click in a pane)."""
        self.set_current_row(row, scroll=False)

    def _show_current(self) -> None:
        for target in (self.left_pane, self.right_pane, self.linkmap, self.overview):
            target.set_current_row(self._current)

    def zoom(self, step: int) -> None:
        """Ctrl+Plus / Ctrl+Minus (step 1 / -1), Ctrl+0 (step 0: the default size)."""
        self.set_point_size(DEFAULT_POINT_SIZE if step == 0 else self.point_size() + step)

    def _step(self, forward: bool, wanted: Callable[[Row], bool]) -> bool:
        order = range(self._current + 1, len(self._rows)) if forward else range(self._current - 1, -1, -1)
        for n in order:
            if not self._collapsed(n) and wanted(self._rows[n]):
                self.set_current_row(n)
                return True
        return False

    def next_match(self) -> bool:
        """Go to the next row linking both sides; False when there is none."""
        return self._step(True, lambda r: r.is_match)

    def previous_match(self) -> bool:
        """Go to the previous row linking both sides; False when there is none."""
        return self._step(False, lambda r: r.is_match)

    def next_difference(self) -> bool:
        """Go to the next changed, one-sided or moved row; False when there is none."""
        return self._step(True, lambda r: r.kind in _DIFFERENT or r.moved)

    def previous_difference(self) -> bool:
        """Go to the previous changed, one-sided or moved row; False when there is none."""
        return self._step(False, lambda r: r.kind in _DIFFERENT or r.moved)

    # --- actions -------------------------------------------------------------------------

    def _make_actions(self) -> list[QAction]:
        def action(text: str, keys: list[str], slot: Callable[[], object], tip: str) -> QAction:
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.setStatusTip(tip)
            act.triggered.connect(lambda: slot())
            return act

        acts = [
            action("Next Match", ["Alt+Down"], self.next_match, "Go to the next linked paragraph"),
            action("Previous Match", ["Alt+Up"], self.previous_match, "Go to the previous linked paragraph"),
            action("Next Difference", ["F7", "Alt+Shift+Down"], self.next_difference,
                   "Go to the next changed, moved or unmatched paragraph"),
            action("Previous Difference", ["Shift+F7", "Alt+Shift+Up"], self.previous_difference,
                   "Go to the previous changed, moved or unmatched paragraph"),
        ]
        self._hide_action = QAction("Hide Boilerplate", self)
        self._hide_action.setCheckable(True)
        self._hide_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        self._hide_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._hide_action.setStatusTip("Collapse navigation, share prompts and other page chrome")
        self._hide_action.toggled.connect(self.set_hide_boilerplate)
        self.goto_action = action("Go to Paragraph…", ["Ctrl+G"], self.go_to_paragraph_prompt,
                                  "Go to a paragraph by its number")
        self.find_next_action = action("Find Next", ["F3"], lambda: self.f3(True),
                                       "Next match of the find text, or next search hit")
        self.find_previous_action = action("Find Previous", ["Shift+F3"], lambda: self.f3(False),
                                           "Previous match of the find text, or previous search hit")
        return [*acts, self._hide_action, self.goto_action, self.find_next_action, self.find_previous_action]

    def actions(self) -> list[QAction]:
        """Navigation and hide-boilerplate actions, with their shortcuts, for menus and toolbars."""
        return list(self._actions)
