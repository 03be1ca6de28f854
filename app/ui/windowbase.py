"""The main window as its docks and menus see it: :class:`WindowBase`.

The docks and menus installed into the window (critical changes, facets, marks and links,
saved searches, other versions) take a :class:`WindowBase`, not the window class, so that none of
them imports :mod:`app.ui.mainwindow`, which imports them all. What they may use is here: the
window's signals, its parts, and the commands that hand work to its controllers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMainWindow, QMenu

from app.ui.comparetabs import CompareTabs, TabEntry
from app.ui.comparisoncontroller import ComparisonController
from app.ui.indexcontroller import IndexController
from app.ui.storyview import StoryView
from app.ui.workers import GeneratorWorker, WorkerPool

if TYPE_CHECKING:
    from app.core.workspace.corpus import Corpus
    from app.ui.corpuspanel import CorpusPanel
    from app.ui.notes import NotesPanel
    from app.ui.reusedocks import ReuseDocks


class WindowBase(QMainWindow):
    """Signals, parts and commands of the main window (:class:`app.ui.mainwindow.MainWindow` builds them)."""

    corpusLoaded = Signal(object)  # Corpus, once its listing is shown
    indexFinished = Signal(object)  # IndexReport
    indexFailed = Signal(str)
    comparisonReady = Signal(object)  # Alignment
    comparisonFailed = Signal(str)

    index: IndexController
    comparisons: ComparisonController
    writer: WorkerPool  # index updates, one at a time
    jobs: WorkerPool  # alignments, searches and other reads
    panel: CorpusPanel
    tabs: CompareTabs
    notes_panel: NotesPanel
    reuse_docks: ReuseDocks
    view_menu: QMenu

    # ------------------------------------------------------------------ corpus and index

    def corpus(self) -> Corpus | None:
        """The open corpus."""
        return self.index.corpus()

    def corpus_root(self) -> Path | None:
        """The open corpus folder."""
        return self.index.root()

    def start_indexing(self) -> GeneratorWorker | None:
        """Update the open corpus's index on the index-writer thread."""
        return self.index.start()

    def is_indexing(self) -> bool:
        """True while an index update of the open corpus runs."""
        return self.index.is_indexing()

    # ------------------------------------------------------------------ comparisons

    def refs(self) -> tuple[str | None, str | None]:
        """What is open on the left and right (ids or file paths)."""
        return self.comparisons.refs()

    def open_article(self, ref: str, side: str = "left") -> None:
        """Open an article (id, id prefix or file path) on one side, keeping the other."""
        self.comparisons.open_article(ref, side)

    def compare(self, left: str, right: str) -> None:
        """Compare two articles (ids, id prefixes or file paths)."""
        self.comparisons.compare(left, right)

    def compare_in_own_tab(self, left: str, right: str = "") -> None:
        """Open ``left`` against ``right`` ("": nothing yet on the right) in a new tab."""
        self.comparisons.compare_in_own_tab(left, right)

    def compare_in_new_tab(self, left: str, right: str) -> None:
        """Compare in a new tab when the current one already shows a comparison, else in it."""
        self.comparisons.compare_in_new_tab(left, right)

    def request_alignment(self, entry: TabEntry) -> None:
        """Align a tab's articles in the background and show them in that tab."""
        self.comparisons.start(entry)

    def open_story(self, aid: str, base: str | None = None, notes: str = "") -> StoryView:
        """Open the story of ``aid`` (all its copies against the likely origin, or ``base``) in a tab."""
        return self.comparisons.open_story(aid, base, notes)

    def story_views(self) -> list[StoryView]:
        """The open story tabs."""
        return self.comparisons.story_views()

    # ------------------------------------------------------------------ messages

    def show_error(self, message: str) -> None:
        """Show an error in the status bar (never a dialog, never a traceback)."""
        self.statusBar().showMessage(message, 12000)
