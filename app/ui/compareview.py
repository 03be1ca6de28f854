"""The side-by-side comparison: two panes, the link map, the overview, navigation and sync scrolling."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.core.model import Alignment, Paragraph, Role, Row, RowKind
from app.ui.linkmap import LinkMap
from app.ui.overview import OverviewRuler
from app.ui.paragraphpane import ParagraphPane
from app.ui.rowlayout import RowLayout, sync_point

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


class CompareView(QWidget):
    """Shows an :class:`Alignment`: matching paragraphs side by side on the same row."""

    currentRowChanged = Signal(int)
    dropRequested = Signal(str, list)
    noteRequested = Signal(int)  # row whose context menu asked for a note
    markRequested = Signal(str, int, object)  # side, paragraph, "boilerplate" / "content" / None (clear)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareView")
        self._alignment: Alignment | None = None
        self._rows: list[Row] = []
        self._current = -1
        self._hide_boilerplate = False
        self._syncing = False
        self._layout = RowLayout()
        self.left_pane = ParagraphPane("left", self)
        self.right_pane = ParagraphPane("right", self)
        self.linkmap = LinkMap(self)
        self.linkmap.set_panes(self.left_pane, self.right_pane)
        self.overview = OverviewRuler(self)
        box = QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.left_pane, 1)
        box.addWidget(self.linkmap)
        box.addWidget(self.right_pane, 1)
        box.addWidget(self.overview)
        for side, pane in (("left", self.left_pane), ("right", self.right_pane)):
            pane.verticalScrollBar().valueChanged.connect(lambda v, s=side: self._scrolled(s, v))
            pane.textWidthChanged.connect(self._relayout)
            pane.rowClicked.connect(self.set_current_row_no_scroll)
            pane.dropped.connect(lambda items, s=side: self.dropRequested.emit(s, items))
            pane.noteRequested.connect(self.noteRequested)
            pane.markRequested.connect(lambda para, kind, s=side: self.markRequested.emit(s, para, kind or None))
        self.overview.rowRequested.connect(self.set_current_row)
        self._actions = self._make_actions()
        self.addActions(self._actions)

    # --- content -------------------------------------------------------------------------

    def set_alignment(self, alignment: Alignment | None) -> None:
        """Show ``alignment`` (None clears the view) from its top, with no current row."""
        self._alignment = alignment
        self._rows = display_rows(alignment) if alignment is not None else []
        self.left_pane.set_content(alignment.left if alignment else None, self._rows)
        self.right_pane.set_content(alignment.right if alignment else None, self._rows)
        self.linkmap.set_rows(self._rows)
        self._current = -1
        self._relayout(keep_position=False)
        self._show_current()
        self.currentRowChanged.emit(-1)

    def alignment(self) -> Alignment | None:
        """The alignment shown, if any."""
        return self._alignment

    def set_highlighter(self, matcher: Callable[[str], bool] | None) -> None:
        """Highlight in both panes the words ``matcher`` accepts (the current query's terms)."""
        if matcher is not None:
            # Stemming every painted word again costs more than painting it; words repeat a lot.
            matcher = functools.lru_cache(maxsize=50_000)(matcher)
        self.left_pane.set_highlighter(matcher)
        self.right_pane.set_highlighter(matcher)

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
        return self._hide_boilerplate and self._rows[n].kind is RowKind.BOILERPLATE

    def _relayout(self, keep_position: bool = True) -> None:
        """Recompute the shared row heights (after a width change, new content, or hiding)."""
        header = max(self.left_pane.header_height_for_width(), self.right_pane.header_height_for_width())
        self.left_pane.set_header_height(header)
        self.right_pane.set_header_height(header)
        old, value = self._layout, self.scroll_value()
        collapsed = [self._collapsed(n) for n in range(len(self._rows))]
        self._layout = RowLayout.from_sides(
            self.left_pane.text_heights(), self.right_pane.text_heights(), collapsed)
        self._syncing = True
        try:
            for pane in (self.left_pane, self.right_pane):
                pane.set_row_layout(self._layout, collapsed)
            if keep_position and len(old) == len(self._layout):
                value = round(sync_point(old, self._layout, value))
            elif not keep_position:
                value = 0
            for pane in (self.left_pane, self.right_pane):
                pane.verticalScrollBar().setValue(value)
        finally:
            self._syncing = False
        self.overview.set_rows(self._rows, self._layout)
        self._view_changed()

    # --- scrolling -----------------------------------------------------------------------

    def _scrolled(self, side: str, value: int) -> None:
        if self._syncing:
            return
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
        """Vertical scroll offset of the panes, in content pixels."""
        return self.right_pane.verticalScrollBar().value()

    def set_scroll_value(self, value: int) -> None:
        """Scroll both panes to ``value`` (clamped)."""
        self.right_pane.verticalScrollBar().setValue(value)

    def _reveal(self, row: int) -> None:
        """Scroll so ``row`` is in view: untouched when fully visible, else a quarter from the top."""
        top, bottom = self._layout.span(row)
        page = self.right_pane.viewport().height()
        value = self.scroll_value()
        if top >= value and bottom <= value + page:
            return
        self.set_scroll_value(max(0, top - page // 4) if bottom - top < page * 3 // 4 else top)

    # --- current row and navigation ------------------------------------------------------

    def current_row(self) -> int:
        """Index of the current row in ``alignment().rows``, -1 for none."""
        return self._current

    def set_current_row(self, row: int, *, scroll: bool = True) -> None:
        """Make ``row`` current (outlined in both panes), scrolling it into view if asked."""
        row = row if 0 <= row < len(self._rows) else -1
        if scroll and row >= 0:
            self._reveal(row)
        if row != self._current:
            self._current = row
            self._show_current()
            self.currentRowChanged.emit(row)

    def set_current_row_no_scroll(self, row: int) -> None:
        """Make ``row`` current without scrolling (a click in a pane)."""
        self.set_current_row(row, scroll=False)

    def _show_current(self) -> None:
        for target in (self.left_pane, self.right_pane, self.linkmap, self.overview):
            target.set_current_row(self._current)

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
        return [*acts, self._hide_action]

    def actions(self) -> list[QAction]:  # type: ignore[override]
        """Navigation and hide-boilerplate actions, with their shortcuts, for menus and toolbars."""
        return list(self._actions)
