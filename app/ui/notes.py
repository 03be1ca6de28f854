"""The Notes dock: the current comparison's note and its row notes; adding, editing, undoing them."""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.reading.model import Alignment, Row
from app.core.sessions.session import Note
from app.ui.comparetabs import CompareTabs, TabEntry

EXCERPT_CHARS = 80
ROW_ROLE = Qt.ItemDataRole.UserRole


def row_excerpt(alignment: Alignment, row: Row, limit: int = EXCERPT_CHARS) -> str:
    """The start of a row's text (left side first), on one line."""
    if row.left:
        text = alignment.left.paragraphs[row.left[0]].text
    elif row.right:
        text = alignment.right.paragraphs[row.right[0]].text
    else:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def row_kind_label(row: Row) -> str:
    """``changed``, ``left only``… with ``moved`` when the row moved."""
    label = str(row.kind).replace("_", " ")
    return f"{label}, moved" if row.moved else label


class NotesEdit(QUndoCommand):
    """One change to a tab's row notes, kept as the notes before and after it.

    It acts only while the tab still shows the same comparison: once the sides were swapped
    (the notes then key the other sides) undoing it changes nothing.
    """

    def __init__(self, panel: NotesPanel, entry: TabEntry, before: list[Note], after: list[Note],
                 text: str) -> None:
        super().__init__(text)
        self._panel = panel
        self._entry = entry
        self._state = entry.state
        self._before = before
        self._after = after

    def redo(self) -> None:
        """Apply the change."""
        if self._entry.state is self._state:
            self._panel._replace_notes(self._entry, self._after)

    def undo(self) -> None:
        """Put the notes back as they were."""
        if self._entry.state is self._state:
            self._panel._replace_notes(self._entry, self._before)


def row_caption(alignment: Alignment, row: int) -> str:
    """Which row a note is for, in words: ``Note on row 7 · left ¶5 ↔ right ¶6 · “Putin’s meetings…”``."""
    r = alignment.rows[row]
    where = " ↔ ".join(f"{side} ¶{min(paras) + 1}" + (f"–{max(paras) + 1}" if len(paras) > 1 else "")
                       for side, paras in (("left", r.left), ("right", r.right)) if paras)
    article, paras = (alignment.left, r.left) if r.left else (alignment.right, r.right)
    words = article.paragraphs[paras[0]].text.split() if paras else []
    quote = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return f"Note on row {row + 1} · {where}" + (f" · “{quote}”" if quote else "")


class NotesPanel(QDockWidget):
    """Lists the current tab's notes; double-click jumps to the row.

    Args:
        tabs: The comparison tabs whose current tab is shown.
        parent: The main window.
    """

    notesChanged = Signal()  # a row note or the comparison note changed

    def __init__(self, tabs: CompareTabs, parent: QWidget | None = None) -> None:
        super().__init__("Notes", parent)
        self.setObjectName("notesDock")
        self._tabs = tabs
        self.undo_stack = QUndoStack(self)
        body = QWidget(self)
        box = QVBoxLayout(body)
        box.setContentsMargins(6, 6, 6, 6)
        box.setSpacing(4)
        self.hint = QLabel(body)
        self.hint.setObjectName("notesHint")
        self.hint.setWordWrap(True)
        box.addWidget(self.hint)
        self.comparison_note = QPlainTextEdit(body)
        self.comparison_note.setObjectName("comparisonNote")
        self.comparison_note.setPlaceholderText("Note on the whole comparison…")
        self.comparison_note.setMaximumHeight(90)
        self.comparison_note.setTabChangesFocus(True)
        box.addWidget(self.comparison_note)
        self.list = QTreeWidget(body)
        self.list.setObjectName("notesList")
        self.list.setColumnCount(4)
        self.list.setHeaderLabels(["Row", "Note", "Kind", "Paragraph"])
        self.list.setRootIsDecorated(False)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformRowHeights(True)
        header = self.list.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.list.setColumnWidth(1, 170)
        box.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        self.edit_button = QPushButton("Add / Edit…", body)
        self.delete_button = QPushButton("Delete", body)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.setWidget(body)

        self.edit_note_action = QAction("Add or Edit &Note…", self)
        self.edit_note_action.setShortcut(QKeySequence("Ctrl+M"))
        self.edit_note_action.setStatusTip("Attach a note to the current row, or edit its note")
        self.edit_note_action.triggered.connect(lambda: self.edit_note())
        self.delete_note_action = QAction("&Delete Note", self)
        self.delete_note_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.delete_note_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.delete_note_action.setStatusTip("Delete the selected note (Ctrl+Z brings it back)")
        self.delete_note_action.triggered.connect(self.delete_selected)
        self.list.addAction(self.delete_note_action)
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)

        self.edit_button.clicked.connect(lambda: self.edit_note(self._selected_row()))
        self.delete_button.clicked.connect(self.delete_selected)
        self.list.itemActivated.connect(self._activated)
        self.comparison_note.textChanged.connect(self._comparison_note_edited)
        tabs.currentTabChanged.connect(self.refresh)
        tabs.alignmentShown.connect(self._alignment_shown)
        tabs.noteRequested.connect(lambda row: self.edit_note(row))
        self.refresh()

    # --- dialogs (tests replace them) ----------------------------------------------------

    def ask_note_text(self, title: str, current: str) -> str | None:
        """Ask for a note's text; None when cancelled, empty to delete the note."""
        text, ok = QInputDialog.getMultiLineText(self, title, "Note (leave empty to delete):", current)
        return text if ok else None

    # --- editing -------------------------------------------------------------------------

    def edit_note(self, row: int | None = None) -> bool:
        """Add or edit the note on ``row`` (default: the current row) after asking for its text.

        Returns:
            True when the notes changed.
        """
        entry = self._tabs.current_entry()
        view = entry.view
        alignment = view.alignment() if view is not None else None
        row = view.current_row() if row is None and view is not None else row
        if entry.state is None or alignment is None:
            self._status("Open two articles to take notes")
            return False
        if row is None or not 0 <= row < len(alignment.rows):
            self._status("Click a row first, then add a note to it (Ctrl+M)")
            return False
        placed, _ = entry.note_rows()
        existing = placed.get(row, [])
        current = "\n\n".join(n.text for n in existing)
        text = self.ask_note_text(row_caption(alignment, row), current)
        if text is None or text == current:
            return False
        changed = self.set_note(row, text)
        if changed and text.strip():
            self.show()  # the dock starts closed while there are no notes
            self.raise_()
        return changed

    def set_note(self, row: int, text: str, entry: TabEntry | None = None) -> bool:
        """Set (blank: delete) the note on ``row`` of a tab (default: the current one), undoably."""
        entry = entry or self._tabs.current_entry()
        alignment = entry.view.alignment() if entry.view is not None else None
        if entry.state is None or alignment is None or not 0 <= row < len(alignment.rows):
            return False
        before = copy.deepcopy(entry.state.notes)
        placed, _ = entry.note_rows()
        for note in placed.get(row, []):
            if not note.matches(alignment.rows[row]):
                entry.state.notes.remove(note)  # a note that drifted onto this row is replaced
        had = entry.state.note_for(alignment.rows[row]) is not None
        entry.state.set_note(alignment.rows[row], text)
        after = copy.deepcopy(entry.state.notes)
        entry.state.notes = before
        if after == before:
            return False
        what = "Delete Note" if not text.strip() else "Edit Note" if had else "Add Note"
        self.undo_stack.push(NotesEdit(self, entry, copy.deepcopy(before), after, what))
        return True

    def delete_note(self, row: int) -> bool:
        """Delete the note on ``row`` of the current tab (undoable)."""
        return self.set_note(row, "")

    def delete_selected(self) -> None:
        """Delete the note selected in the list."""
        row = self._selected_row()
        if row is not None and row >= 0:
            self.delete_note(row)

    def _replace_notes(self, entry: TabEntry, notes: list[Note]) -> None:
        if entry.state is None:
            return
        entry.state.notes = copy.deepcopy(notes)
        self.update_marks(entry)
        if not entry.closed and entry is self._tabs.current_entry():
            self.refresh()
        self.notesChanged.emit()

    def _comparison_note_edited(self) -> None:
        entry = self._tabs.current_entry()
        if entry.state is not None:
            entry.state.comparison_note = self.comparison_note.toPlainText()
            self.notesChanged.emit()

    # --- display -------------------------------------------------------------------------

    def update_marks(self, entry: TabEntry) -> None:
        """Mark the rows of a tab's view that carry notes."""
        if entry.view is not None and not entry.closed:
            placed, _ = entry.note_rows()
            entry.view.set_note_rows(set(placed))

    def _alignment_shown(self, entry: TabEntry) -> None:
        self.update_marks(entry)
        if entry is self._tabs.current_entry():
            self.refresh()

    def refresh(self) -> None:
        """Show the current tab's notes."""
        entry = self._tabs.current_entry()
        alignment = entry.view.alignment() if entry.view is not None else None
        state = entry.state
        usable = state is not None and alignment is not None
        self.comparison_note.blockSignals(True)
        self.comparison_note.setPlainText(state.comparison_note if state is not None else "")
        self.comparison_note.blockSignals(False)
        self.comparison_note.setEnabled(state is not None)
        self.edit_button.setEnabled(usable)
        self.list.clear()
        if state is None or alignment is None:
            self.hint.setText("Open two articles to take notes on their comparison.")
            self.delete_button.setEnabled(False)
            return
        placed, orphans = entry.note_rows()
        items = []
        for row_index in sorted(placed):
            row = alignment.rows[row_index]
            for note in placed[row_index]:
                excerpt = row_excerpt(alignment, row)
                item = QTreeWidgetItem([str(row_index + 1), " ".join(note.text.split()),
                                        row_kind_label(row), excerpt])
                item.setData(0, ROW_ROLE, row_index)
                item.setToolTip(1, note.text)
                item.setToolTip(3, excerpt)
                items.append(item)
        for note in orphans:
            item = QTreeWidgetItem(["—", " ".join(note.text.split()), "no longer aligned", ""])
            item.setData(0, ROW_ROLE, -1)
            item.setToolTip(1, note.text)
            items.append(item)
        self.list.addTopLevelItems(items)
        count = len(state.notes)
        self.hint.setText(f"{count} note{'s' if count != 1 else ''} · Ctrl+M adds one to the current row"
                          if count else "No row notes yet: select a row and press Ctrl+M.")
        self.delete_button.setEnabled(bool(items))

    def rows_listed(self) -> list[int]:
        """The row index of each note listed, in order (-1 for a note that found no row)."""
        return [item.data(0, ROW_ROLE) for i in range(self.list.topLevelItemCount())
                if (item := self.list.topLevelItem(i)) is not None]

    def _selected_row(self) -> int | None:
        item = self.list.currentItem()
        return item.data(0, ROW_ROLE) if item is not None else None

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        row = item.data(0, ROW_ROLE)
        if isinstance(row, int) and row >= 0:
            view = self._tabs.current_view()
            view.set_current_row(row)
            view.right_pane.setFocus()

    def jump_to(self, index: int) -> None:
        """Jump to the row of the ``index``-th note listed (what a double-click does)."""
        item = self.list.topLevelItem(index)
        if item is not None:
            self._activated(item)

    def _status(self, message: str) -> None:
        window = self.window()
        bar = getattr(window, "statusBar", None)
        if callable(bar):
            bar().showMessage(message, 5000)
