"""The Searches menu: save the current query under a name, run a saved one, forget one.

Saved searches live in the corpus's user-data store (:mod:`app.core.workspace.userdata`), so they survive
an index rebuild and travel inside session files, merged on opening like the analyst's marks.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from app.core.workspace.userdata import UserDataError

if TYPE_CHECKING:
    from app.ui.windowbase import WindowBase


class SavedSearches:
    """The Searches menu of ``window`` (built on :meth:`install`)."""

    def __init__(self, window: WindowBase) -> None:
        self.window = window
        self.menu = QMenu("&Searches", window)
        self.menu.setObjectName("searchesMenu")
        self.save_action = QAction("&Save Search…", window)
        self.save_action.setObjectName("saveSearch")
        self.save_action.setStatusTip("Keep the query in the search field under a name")
        self.save_action.triggered.connect(self.save_current)
        self.menu.aboutToShow.connect(self.fill)
        self.fill()

    def ask_name(self, query: str) -> str | None:
        """The name to save ``query`` under (tests replace this)."""
        name, ok = QInputDialog.getText(self.window, "Save Search", f"Name for “{query}”:", text=query[:40])
        return name if ok else None

    def searches(self) -> dict[str, str]:
        """The saved searches of the open corpus (name -> query)."""
        corpus = self.window.corpus()
        return dict(corpus.userdata.refresh().searches) if corpus is not None else {}

    def save_current(self) -> bool:
        """Save the query in the search field under a name asked for; True when saved."""
        corpus = self.window.corpus()
        query = self.window.panel.search_edit.text().strip()
        if corpus is None or not query:
            self.window.statusBar().showMessage("Type a query to save first", 4000)
            return False
        name = self.ask_name(query)
        if not name or not name.strip():
            return False
        try:
            corpus.userdata.save_search(name, query)
        except UserDataError as exc:
            self.window.statusBar().showMessage(str(exc), 6000)
            return False
        self.window.statusBar().showMessage(f"Saved the search “{' '.join(name.split())}”", 4000)
        self.fill()
        return True

    def run(self, name: str) -> None:
        """Put saved search ``name`` in the search field and run it."""
        query = self.searches().get(name)
        if query:
            panel = self.window.panel
            panel.search_edit.setText(query)
            panel.search_now()

    def delete(self, name: str) -> None:
        """Forget saved search ``name``."""
        corpus = self.window.corpus()
        if corpus is not None:
            corpus.userdata.delete_search(name)
        self.fill()

    def fill(self) -> None:
        """Rebuild the menu: Save Search…, then every saved search, then Delete."""
        self.menu.clear()
        self.menu.addAction(self.save_action)
        saved = self.searches()
        if saved:
            self.menu.addSeparator()
            for name, query in sorted(saved.items(), key=lambda kv: kv[0].casefold()):
                action = self.menu.addAction(name.replace("&", "&&"), partial(self.run, name))
                action.setToolTip(query)
                action.setStatusTip(query)
            forget = self.menu.addMenu("&Delete Saved Search")
            for name in sorted(saved, key=str.casefold):
                forget.addAction(name.replace("&", "&&"), partial(self.delete, name))


def install(window: WindowBase, *, before: QMenu) -> SavedSearches:
    """Add the Searches menu to ``window``'s menu bar, just before the menu ``before`` (the View menu)."""
    searches = SavedSearches(window)
    window.menuBar().insertMenu(before.menuAction(), searches.menu)
    window.addAction(searches.save_action)
    return searches
