"""The Sources dialog: every source of the corpus with the name it is shown under; rename, merge, reset.

The names are the analyst's, stored per corpus in the user-data store; the dialog only edits
them through :class:`app.core.workspace.userdata.UserDataStore` and says when they changed.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.workspace.userdata import UserDataError, UserDataStore

RAW_ROLE = Qt.ItemDataRole.UserRole


class SourcesDialog(QDialog):
    """Lists the sources; Rename, Merge and Reset change the names shown everywhere.

    Args:
        store: The corpus's user-data store.
        counts: Articles per raw source name (from the index).
    """

    changed = Signal()  # the names shown changed

    def __init__(self, store: UserDataStore, counts: Counter[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourcesDialog")
        self.setWindowTitle("Sources")
        self.resize(560, 420)
        self._store = store
        self._counts = Counter({k: v for k, v in counts.items() if k})
        box = QVBoxLayout(self)
        intro = QLabel("Rename a source, or select several and merge them under one name. The names "
                       "are kept with this corpus and shown in the list, Related and the clusters.", self)
        intro.setWordWrap(True)
        box.addWidget(intro)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("sourcesTree")
        self.tree.setHeaderLabels(["Shown as", "Source in the articles", "Articles"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        box.addWidget(self.tree, 1)
        self.message = QLabel("", self)
        self.message.setObjectName("sourcesMessage")
        self.message.setWordWrap(True)
        box.addWidget(self.message)
        row = QHBoxLayout()
        self.rename_button = QPushButton("&Rename…", self)
        self.merge_button = QPushButton("&Merge…", self)
        self.reset_button = QPushButton("Re&set", self)
        for b in (self.rename_button, self.merge_button, self.reset_button):
            row.addWidget(b)
        row.addStretch(1)
        box.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)
        self.rename_button.clicked.connect(self.rename_selected)
        self.merge_button.clicked.connect(self.merge_selected)
        self.reset_button.clicked.connect(self.reset_selected)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self.rename_selected())
        if store.problem:
            self.message.setText(store.problem)
        self.refresh()

    # --- dialogs (tests replace them) ----------------------------------------------------

    def ask_name(self, title: str, label: str, current: str) -> str | None:
        """Ask for a source name; None when cancelled."""
        text, ok = QInputDialog.getText(self, title, label, text=current)
        return text if ok else None

    # --- content -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the sources as the store names them now."""
        data = self._store.data
        selected = set(self.selected_raw())
        self.tree.clear()
        rows = sorted(self._counts.items(), key=lambda kv: (data.source(kv[0]).casefold(), kv[0]))
        for raw, n in rows:
            shown = data.source(raw)
            item = QTreeWidgetItem([shown, raw if shown != raw else "", f"{n:,}"])
            item.setData(0, RAW_ROLE, raw)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, f"{raw}: {n:,} article{'s' if n != 1 else ''}")
            self.tree.addTopLevelItem(item)
            item.setSelected(raw in selected)
        self._update_buttons()

    def selected_raw(self) -> list[str]:
        """The raw source names of the selected rows."""
        return [i.data(0, RAW_ROLE) for i in self.tree.selectedItems()]

    def select(self, raws: list[str]) -> None:
        """Select the rows of these raw source names (tests, and after a change)."""
        for k in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(k)
            if item is not None:
                item.setSelected(item.data(0, RAW_ROLE) in raws)

    def _update_buttons(self) -> None:
        raws = self.selected_raw()
        self.rename_button.setEnabled(len({self._store.data.source(r) for r in raws}) == 1)
        self.merge_button.setEnabled(len({self._store.data.source(r) for r in raws}) >= 2)
        self.reset_button.setEnabled(any(r in self._store.data.sources for r in raws))

    # --- changes -------------------------------------------------------------------------

    def _apply(self, change: object) -> bool:
        try:
            change()  # type: ignore[operator]
        except UserDataError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(self._store.notice or "")
        self._store.notice = None
        self.refresh()
        self.changed.emit()
        return True

    def rename_selected(self) -> bool:
        """Rename the selected source (several rows already shown as one rename together)."""
        raws = self.selected_raw()
        names = {self._store.data.source(r) for r in raws}
        if len(names) != 1:
            return False
        old = names.pop()
        new = self.ask_name("Rename Source", f"Show “{old}” as:", old)
        if new is None or not new.strip() or new.strip() == old:
            return False
        return self._apply(lambda: self._store.merge_sources(raws, new, self._counts))

    def merge_selected(self) -> bool:
        """Show the selected sources under one name."""
        raws = self.selected_raw()
        names = sorted({self._store.data.source(r) for r in raws})
        if len(names) < 2:
            return False
        largest = max(names, key=lambda n: sum(c for r, c in self._counts.items()
                                               if self._store.data.source(r) == n))
        new = self.ask_name("Merge Sources", f"Show {', '.join(names)} as one source named:", largest)
        if new is None or not new.strip():
            return False
        return self._apply(lambda: self._store.merge_sources(raws, new, self._counts))

    def reset_selected(self) -> bool:
        """Show the selected sources under their own names again."""
        raws = [r for r in self.selected_raw() if r in self._store.data.sources]
        if not raws:
            return False
        return self._apply(lambda: [self._store.reset_source(r) for r in raws])
