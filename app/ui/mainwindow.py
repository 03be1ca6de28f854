"""The main window: corpus panel on the left, the comparison view in the centre, menus and status bar."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Collection
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
)

from app.core.reading.model import Alignment, Paragraph
from app.core.reuse.reusemap import shared_figure
from app.core.sessions.session import Session, TabState
from app.core.storage.paths import default_corpus
from app.ui import settings
from app.ui.comparetabs import CompareTabs
from app.ui.compareview import CompareView
from app.ui.comparisoncontroller import ComparisonController
from app.ui.corpuspanel import CorpusPanel
from app.ui.deltapanel import install as install_delta_panel
from app.ui.docklayout import DockFitter
from app.ui.facetpanel import install as install_facet_panel
from app.ui.helptexts import QUERY_SYNTAX_HTML, about_html, shortcuts_html
from app.ui.indexcontroller import IndexController
from app.ui.models import SortedIds
from app.ui.notes import NotesPanel
from app.ui.overrides import OverridesController
from app.ui.palette import THEMES, apply_theme
from app.ui.paragraphpane import MEASURE_CHARS
from app.ui.reportcontroller import ReportController
from app.ui.reusedocks import ReuseDocks
from app.ui.savedsearches import install as install_saved_searches
from app.ui.sessioncontroller import SessionController
from app.ui.versionspanel import install as install_versions_panel
from app.ui.windowbase import WindowBase
from app.ui.workers import IndexWriter, WorkerPool

if TYPE_CHECKING:
    from app.core.workspace.corpus import ArticleInfo, Corpus

DEFAULT_SIZE = (1400, 900)
SETTINGS_KEY = "mainWindow"


class MainWindow(WindowBase):
    """Parallax's window around one corpus and one comparison.

    Args:
        index_dir: Index folder for the corpora opened (default: per corpus, in the data folder).
        restore: Restore the saved geometry and splitter sizes.
    """

    def __init__(self, *, index_dir: Path | str | None = None, restore: bool = True,
                 theme: str | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Parallax[*]")
        self._theme = self._initial_theme(theme)  # before any widget takes its colours
        self._wired_views: weakref.WeakSet[CompareView] = weakref.WeakSet()  # position shown in the status bar
        self.writer = IndexWriter(self)
        self.jobs = WorkerPool(2, self)
        self.index = IndexController(self.writer, index_dir=index_dir,
                                     listing_order=lambda: self.panel.article_model.order, parent=self)

        self.panel = CorpusPanel(self)
        self.tabs = CompareTabs(self.corpus_root, self)
        self.comparisons = ComparisonController(self.tabs, self.jobs, self.index, self._boilerplate,
                                                lambda: self.reuse_docks.reuse_map(), self)
        self.reports = ReportController(self.tabs, lambda: self.sessions.path, self.corpus_root, self)
        self.notes_panel = NotesPanel(self.tabs, self)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.notes_panel)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.panel)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([360, DEFAULT_SIZE[0] - 360])
        self.setCentralWidget(self.splitter)
        self.docks = DockFitter(self, self.splitter, self.tabs)  # idle until the window is built

        self.sessions = SessionController(_WindowSession(self), self)

        self._build_status_bar()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._connect()
        # Before the saved dock state is restored.
        self.reuse_docks = ReuseDocks(self, self.writer, corpus=self.corpus,
                                      alignment=lambda: self.compare_view.alignment(), menu=self.view_menu)
        self._connect_reuse_docks()
        self.delta_panel = install_delta_panel(  # the Critical changes dock (View menu)
            self, view_menu=self.view_menu, related=self.reuse_docks.related, boilerplate=self._boilerplate)
        self.overrides = OverridesController(  # marks, Preferences, Sources (Edit menu)
            self, edit_menu=self.edit_menu, related_labeller=self.delta_panel.related_labeller)
        self.facet_panel = install_facet_panel(self, view_menu=self.view_menu)  # beside the results
        self.versions_panel = install_versions_panel(self)  # Find Other Versions (View menu)
        self.saved_searches = install_saved_searches(self, before=self.view_menu)  # the Searches menu
        self.reuse_docks.mapReady.connect(self.panel.set_reuse_map)  # search results collapse copies
        self._arrange_docks()
        self._connect_stories()
        self._build_view_settings(theme)
        self.docks.start()

        self.resize(*DEFAULT_SIZE)
        if restore:
            settings.restore_geometry(self, SETTINGS_KEY)
            settings.restore_splitter(self.splitter, SETTINGS_KEY)
            settings.restore_splitter(self.panel.splitter, "corpusPanel")
        self._update_compare_actions()

    def _boilerplate(self) -> Callable[[Paragraph], bool] | None:
        """What an alignment takes as boilerplate now: the reuse map's, with the analyst's marks over it."""
        return self.overrides.boilerplate(self.reuse_docks.boilerplate())

    # ------------------------------------------------------------------ building

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(True)
        self.summary_label = QLabel("Choose two articles to compare", self)
        self.summary_label.setObjectName("summaryLabel")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("indexProgress")
        self.progress.setFixedWidth(160)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.cancel_button = QToolButton(self)
        self.cancel_button.setObjectName("cancelIndex")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop indexing (what is indexed so far stays searchable)")
        self.cancel_button.hide()
        self.index_label = QLabel("", self)
        self.index_label.setObjectName("indexLabel")
        self.corpus_label = QLabel("No corpus", self)
        self.corpus_label.setObjectName("corpusLabel")
        self.position_label = QLabel("", self)
        self.position_label.setObjectName("positionLabel")
        self.position_label.setToolTip("Where the current row stands among the differences (F7 / Shift+F7)")
        bar.addWidget(self.summary_label, 1)
        bar.addPermanentWidget(self.position_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.engine_label = QLabel("Stock Whoosh", self)
        self.engine_label.setObjectName("engineLabel")
        self.engine_label.hide()
        self._engine_said = False
        bar.addPermanentWidget(self.index_label)
        bar.addPermanentWidget(self.engine_label)
        bar.addPermanentWidget(self.corpus_label)

    def _action(self, text: str, slot: Callable[[], Any],
                shortcut: str | QKeySequence | QKeySequence.StandardKey | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text} ({key})" if key else tip or text)
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open Corpus Folder…", self.choose_corpus, "Ctrl+O",
                                        "Open a folder of articles")
        self.reindex_action = self._action("&Re-index", self.reindex, "F5",
                                           "Bring the index up to date with the folder")
        self.follow_links_action = self._action(
            "Read &Links Pointing Outside the Corpus", lambda: None, None,
            "Also read files that links in the corpus folder point to outside it (remembered for this folder)")
        self.follow_links_action.setCheckable(True)
        self.follow_links_action.toggled.connect(lambda checked: self.index.set_follow_links(checked))
        self.cancel_index_action = self._action("&Cancel Indexing", self.cancel_indexing, None,
                                                "Stop indexing")
        self.quit_action = self._action("&Quit", self.close, "Ctrl+Q", "Quit Parallax")
        self.find_action = self._action("&Find", self.find_text, "Ctrl+F",
                                        "Search the corpus; inside a comparison, find text in it")
        self.search_corpus_action = self._action("Search &Corpus", self.panel.focus_search, "Ctrl+K",
                                                 "Go to the corpus search field")
        self.compare_selected_action = self._action(
            "&Compare Selected", self.compare_selected, None,
            "Compare the two selected articles (select two and press Enter)")
        self.best_match_action = self._action(
            "Compare with &Best Match", self.compare_with_best_match, "Ctrl+B",
            "Open on the right the article sharing the most text with the left one")
        self.swap_action = self._action("&Swap Sides", self.swap_sides, "Ctrl+Shift+X",
                                        "Exchange the left and right articles")
        self.cancel_button.clicked.connect(self.cancel_indexing)
        self._build_session_actions()

    def _build_session_actions(self) -> None:
        sessions = self.sessions
        self.new_session_action = self._action("&New Session", sessions.new_session, None,
                                               "Close every comparison and start a new session")
        self.open_session_action = self._action("Open &Session…", lambda: sessions.open_session(), "Ctrl+Shift+O",
                                                "Open a saved .parallax session")
        self.save_session_action = self._action("&Save Session", sessions.save, "Ctrl+S",
                                                "Save the open comparisons and notes")
        self.save_session_as_action = self._action("Save Session &As…", sessions.save_as, "Ctrl+Shift+S",
                                                   "Save the session to a new file")
        self.export_action = self._action("&Export Report…", self.reports.export_report, "Ctrl+E",
                                          "Export the current comparison and its notes (HTML or PDF)")
        self.export_session_action = self._action("Export Session Re&port…", self.reports.export_session_report,
                                                  None, "Export every open comparison as one report")
        for action in self.tabs.tab_actions():
            key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{action.statusTip()} ({key})" if key else action.statusTip())
            self.addAction(action)
        for action in (self.notes_panel.edit_note_action, self.notes_panel.undo_action,
                       self.notes_panel.redo_action):
            self.addAction(action)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.new_session_action)
        file_menu.addAction(self.open_session_action)
        self.recent_sessions_menu = file_menu.addMenu("Open Recent Sessio&n")
        self.recent_sessions_menu.aboutToShow.connect(self._fill_recent_sessions_menu)
        file_menu.addAction(self.save_session_action)
        file_menu.addAction(self.save_session_as_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_session_action)
        file_menu.addSeparator()
        for action in self.tabs.tab_actions()[:3]:
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(self.reindex_action)
        file_menu.addAction(self.follow_links_action)
        file_menu.addAction(self.cancel_index_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)

        self.edit_menu = edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.find_action)
        edit_menu.addAction(self.search_corpus_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.notes_panel.undo_action)
        edit_menu.addAction(self.notes_panel.redo_action)
        edit_menu.addAction(self.notes_panel.edit_note_action)

        compare_menu = bar.addMenu("&Compare")
        compare_menu.addAction(self.compare_selected_action)
        compare_menu.addAction(self.best_match_action)
        compare_menu.addAction(self.swap_action)

        self.navigate_menu = bar.addMenu("&Navigate")
        for action in self.tabs.view_actions():
            self.navigate_menu.addAction(action)
            self.addAction(action)
        self.navigate_menu.addSeparator()
        for action in self.tabs.tab_actions()[3:]:
            self.navigate_menu.addAction(action)

        self.view_menu = bar.addMenu("&View")
        self.view_menu.addAction(self.notes_panel.toggleViewAction())
        self.view_menu.addAction(self.panel.preview_action)  # also Space in the results

        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&Keyboard Shortcuts", lambda: QMessageBox.information(
            self, "Keyboard Shortcuts", shortcuts_html([*self.actions(), *self.tabs.view_actions()])))
        help_menu.addAction("&Query Syntax", lambda: QMessageBox.information(self, "Query Syntax", QUERY_SYNTAX_HTML))
        help_menu.addSeparator()
        help_menu.addAction("&About Parallax", lambda: QMessageBox.about(self, "About Parallax", about_html()))

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main", self)
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.addAction(self.open_action)
        tb.addAction(self.reindex_action)
        tb.addSeparator()
        for action in self.tabs.view_actions():
            if action.toolTip() == action.text().replace("&", ""):
                key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                tip = action.statusTip() or action.toolTip()
                action.setToolTip(f"{tip} ({key})" if key else tip)
        for action in self.tabs.view_actions()[:5]:  # matches, differences, hide boilerplate
            tb.addAction(action)
        tb.addSeparator()
        tb.addAction(self.swap_action)
        tb.addAction(self.best_match_action)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb
        # A window too narrow for every button shows the rest behind the toolbar's » button.
        tb.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def _connect_reuse_docks(self) -> None:
        docks = self.reuse_docks
        self.corpusLoaded.connect(docks.corpus_loaded)
        self.indexFinished.connect(lambda _report: docks.refresh())
        self.comparisonReady.connect(lambda _alignment: docks.show_left())
        self.tabs.currentTabChanged.connect(docks.show_left)  # the left article is the current tab's
        docks.realignRequested.connect(self.comparisons.realign)
        docks.failed.connect(lambda message: self.show_error(f"Reuse map failed: {message}"))
        # Related and the corpus overview open comparisons in a new tab, never over the current one;
        # middle-click or Ctrl-click: a new tab, whatever is open.
        for dock in (docks.related, docks.overview):
            dock.compareRequested.connect(self.compare_in_new_tab)
            dock.newTabRequested.connect(self.compare_in_own_tab)
        docks.overview.openRequested.connect(lambda aid: self.open_article(aid, "left"))

    # ------------------------------------------------------------------ story tabs (issue 19)

    def _connect_stories(self) -> None:
        for source in (self.reuse_docks.overview, self.reuse_docks.related, self.panel):
            source.storyRequested.connect(lambda aid: self.open_story(aid))
        self.reuse_docks.mapReady.connect(lambda _rmap: self.comparisons.rebuild_stories())

    def _arrange_docks(self) -> None:
        """Side docks share one tabbed column, so they never squeeze the comparison twice."""
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                            | QMainWindow.DockOption.AllowNestedDocks)
        self.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        related = self.reuse_docks.related
        self.tabifyDockWidget(related, self.notes_panel)
        related.raise_()
        # An empty Notes dock starts closed: it opens with the first note, or from View.
        self.notes_panel.hide()

    def _build_view_settings(self, theme: str | None) -> None:
        """View > Theme, line length and text size; applied to every comparison tab."""
        s = settings.settings()
        chosen = self._theme
        menu = self.view_menu
        menu.addSeparator()
        theme_menu = menu.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name, label in (("light", "&Light"), ("dark", "&Dark"), ("system", "&System")):
            act = theme_menu.addAction(label)
            act.setCheckable(True)
            act.setChecked(name == chosen)
            act.setStatusTip(f"Use the {name} colour theme" if name != "system" else "Follow the desktop's colours")
            act.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_group.addAction(act)
            self.theme_actions[name] = act
        self.measure_action = QAction("Limit &Line Length", self)
        self.measure_action.setCheckable(True)
        self.measure_action.setStatusTip("Hold lines to about 80 characters on wide screens")
        self.measure_action.setChecked(str(s.value("view/measure", "true")).lower() == "true")
        self.measure_action.toggled.connect(self._measure_toggled)
        menu.addAction(self.measure_action)
        menu.addSeparator()
        self.zoom_in_action = self._action("Zoom &In", lambda: self.zoom(1),
                                           QKeySequence.StandardKey.ZoomIn, "Larger text in the comparison")
        self.zoom_in_action.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        self.zoom_out_action = self._action("Zoom &Out", lambda: self.zoom(-1), "Ctrl+-",
                                            "Smaller text in the comparison")
        self.zoom_reset_action = self._action("&Actual Size", lambda: self.zoom(0), "Ctrl+0",
                                              "Default text size in the comparison")
        for act in (self.zoom_in_action, self.zoom_out_action, self.zoom_reset_action):
            menu.addAction(act)
        try:
            size = float(str(s.value("view/pointSize", 0) or 0))
        except (TypeError, ValueError):
            size = 0.0
        self._point_size = size if size else None
        self.tabs.alignmentShown.connect(lambda entry: self._apply_view_settings(entry.view))
        self.tabs.currentTabChanged.connect(lambda: self._apply_view_settings(self.compare_view))
        self._apply_view_settings(self.compare_view)

    def _apply_view_settings(self, view: CompareView | None) -> None:
        if view is None:
            return
        if view not in self._wired_views:
            self._wired_views.add(view)
            view.positionChanged.connect(partial(self._show_position, view))
        if self._point_size:
            view.set_point_size(self._point_size)
        view.set_measure(MEASURE_CHARS if self.measure_action.isChecked() else 0)
        self.position_label.setText(self.compare_view.position_text())

    def _show_position(self, view: CompareView, text: str) -> None:
        if view is self.compare_view:
            self.position_label.setText(text)

    @staticmethod
    def _initial_theme(theme: str | None) -> str:
        chosen = theme or str(settings.settings().value("view/theme", "system"))
        return apply_theme(chosen if chosen in THEMES else "system")

    def set_theme(self, theme: str) -> None:
        """Switch to the ``light``, ``dark`` or ``system`` theme and remember it."""
        self._theme = apply_theme(theme)
        if self._theme in self.theme_actions:
            self.theme_actions[self._theme].setChecked(True)
        settings.settings().setValue("view/theme", self._theme)

    def theme(self) -> str:
        """The theme in use: ``light``, ``dark`` or ``system``."""
        return self._theme

    def _measure_toggled(self, on: bool) -> None:
        settings.settings().setValue("view/measure", "true" if on else "false")
        for entry in self.tabs.entries():
            self._apply_view_settings(entry.view)

    def zoom(self, step: int) -> None:
        """Ctrl+Plus / Ctrl+Minus / Ctrl+0 on every comparison; the size is remembered."""
        view = self.compare_view
        view.zoom(step)
        self._point_size = view.point_size()
        settings.settings().setValue("view/pointSize", self._point_size)
        for entry in self.tabs.entries():
            if entry.view is not None and entry.view is not view:
                entry.view.set_point_size(self._point_size)

    def find_text(self) -> None:
        """Ctrl+F: find in the comparison when it has focus, else go to the corpus search."""
        focus = QApplication.focusWidget()
        view = self.compare_view
        if focus is not None and view.alignment() is not None and (focus is view or view.isAncestorOf(focus)):
            view.open_find()
        else:
            self.panel.focus_search()

    def _connect(self) -> None:
        self.panel.openRequested.connect(self.open_article)
        self.panel.compareRequested.connect(self.compare)
        self.panel.bestMatchRequested.connect(self.compare_with_best_match)
        self.panel.queryChanged.connect(self.tabs.set_query)
        self.tabs.dropRequested.connect(self.comparisons.dropped)
        self.tabs.currentTabChanged.connect(self._current_tab_changed)
        self.tabs.reopenRequested.connect(self.comparisons.start)

        index = self.index
        index.opened.connect(self._corpus_opened)
        index.listingReady.connect(self._show_listing)
        index.busyChanged.connect(self._set_indexing)
        index.progressChanged.connect(self._show_progress)
        index.statusChanged.connect(self._show_index_status)
        index.message.connect(self.statusBar().showMessage)
        index.finished.connect(self.indexFinished)
        index.finished.connect(self._say_engine_mode)
        index.failed.connect(self._index_failed)

        comparisons = self.comparisons
        comparisons.ready.connect(self._comparison_shown)
        comparisons.failed.connect(self._comparison_failed)
        comparisons.status.connect(self._show_comparison_status)
        comparisons.message.connect(self.statusBar().showMessage)
        comparisons.error.connect(self.show_error)

        self.reports.message.connect(self.statusBar().showMessage)
        self.reports.error.connect(self.show_error)

        sessions = self.sessions
        self.tabs.contentChanged.connect(sessions.changed)
        self.tabs.viewChanged.connect(sessions.mark_dirty)
        self.tabs.currentTabChanged.connect(sessions.mark_dirty)
        self.notes_panel.notesChanged.connect(sessions.changed)
        sessions.modifiedChanged.connect(self.setWindowModified)
        sessions.titleChanged.connect(self._update_title)
        sessions.message.connect(self.statusBar().showMessage)
        sessions.error.connect(self.show_error)

    # ------------------------------------------------------------------ corpus and index

    def choose_corpus(self) -> None:
        """Ask for a folder and open it."""
        root = self.index.root()
        start = str(root) if root else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Open Corpus Folder", start)
        if folder:
            self.open_corpus(folder)

    def open_corpus(self, folder: Path | str) -> bool:
        """Open ``folder`` as the corpus: show its indexed articles at once, then update the index.

        Returns:
            False (with a message in the status bar) when the folder does not exist.
        """
        if not self.index.open_folder(folder):
            self.show_error(f"Corpus folder not found: {Path(folder).expanduser()}")
            return False
        self._update_compare_actions()
        return True

    def reindex(self) -> None:
        """Re-index the open corpus (F5); ignored while an update runs."""
        self.index.reindex()

    def cancel_indexing(self) -> None:
        """Stop the running index update; what it committed stays searchable."""
        self.index.cancel()

    def _corpus_opened(self, root: Path) -> None:
        self.panel.set_corpus(None)
        self._update_title()
        self.corpus_label.setText(root.name)
        self.corpus_label.setToolTip(str(root))
        self.follow_links_action.setChecked(settings.follow_links_outside(root))

    def _say_engine_mode(self, _report: object) -> None:
        """Say once, in the status bar, when the index runs on Whoosh's own (slower) writer and search."""
        if self._engine_said:
            return
        self._engine_said = True
        # Imported here for start-up time: app.core.engine.release imports Whoosh (loaded by the index by now).
        from app.core.engine.release import engine_mode

        mode, message = engine_mode()
        if mode == "stock":
            self.engine_label.setToolTip(message)
            self.engine_label.show()
            self.statusBar().showMessage(message, 15000)

    def _set_indexing(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.cancel_index_action.setEnabled(busy)
        self.reindex_action.setEnabled(not busy)

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        if total:
            self.progress.setValue(done)

    def _show_index_status(self, text: str, tip: str | None) -> None:
        self.index_label.setText(text)
        if tip is not None:
            self.index_label.setToolTip(tip)

    def _show_listing(self, corpus: Corpus, listing: list[ArticleInfo], ordered: SortedIds | None = None) -> None:
        first = self.panel.corpus() is not corpus
        self.panel.set_articles(listing, ordered)
        if first:
            self.panel.set_corpus(corpus)
        else:
            self.panel.refresh()
        self._update_corpus_label(len(listing))
        if first:
            self.corpusLoaded.emit(corpus)

    def _update_corpus_label(self, count: int) -> None:
        root = self.index.root()
        if root is not None:
            self.corpus_label.setText(f"{root.name} · {count:,} article{'s' if count != 1 else ''}")

    def _index_failed(self, message: str) -> None:
        self.show_error(f"Indexing failed: {message}")
        self.indexFailed.emit(message)

    def _fill_recent_menu(self) -> None:
        menu: QMenu = self.recent_menu
        menu.clear()
        recent = settings.recent_corpora()
        for folder in recent:
            menu.addAction(folder, partial(self.open_corpus, folder))
        if not recent:
            menu.addAction("No recent folders").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear List", settings.clear_recent_corpora)

    # ------------------------------------------------------------------ comparing

    def compare_selected(self) -> None:
        """Compare the two articles selected in the corpus panel."""
        ids = self.panel.selected_ids()
        if len(ids) >= 2:
            self.compare(ids[0], ids[1])
        else:
            self.statusBar().showMessage("Select two articles (Ctrl+click), then press Enter", 4000)

    def swap_sides(self) -> None:
        """Exchange left and right (the alignment is computed again from the other side)."""
        self.comparisons.swap_sides()

    def compare_with_best_match(self, ref: str | None = None) -> None:
        """Open on the right the article sharing the most text with ``ref`` (default: the left one)."""
        self.comparisons.best_match(ref or self.refs()[0] or next(iter(self.panel.selected_ids()), None))

    @property
    def compare_view(self) -> CompareView:
        """The comparison in the current tab."""
        return self.tabs.current_view()

    def _current_tab_changed(self) -> None:
        self._update_summary()
        self._update_compare_actions()
        self._update_title()

    def _update_title(self) -> None:
        """``session.parallax* — left ⟷ right — Parallax — corpus``."""
        alignment = self.compare_view.alignment()
        shown = (alignment.left, alignment.right) if alignment is not None else ()
        names = " ⟷ ".join(a.title or a.id for a in shown if a.id)
        root = self.corpus_root()
        parts = [p for p in (self.sessions.display_name(), names, "Parallax", root.name if root else "") if p]
        # Qt shows "*" in place of "[*]" when the window is modified; it must appear once.
        parts[0] += "[*]"
        self.setWindowTitle(" — ".join(parts))

    def _fill_recent_sessions_menu(self) -> None:
        menu: QMenu = self.recent_sessions_menu
        menu.clear()
        recent = self.sessions.open_recent_paths()
        for path in recent:
            menu.addAction(str(path), partial(self.sessions.open_session, path))
        if not recent:
            menu.addAction("No recent sessions").setEnabled(False)

    def _comparison_shown(self, alignment: Alignment, current: bool) -> None:
        if current:
            self._update_summary()
            self._update_compare_actions()
            self._update_title()
        self.comparisonReady.emit(alignment)

    def _comparison_failed(self, message: str) -> None:
        self._update_summary()
        self.show_error(f"Could not open the article: {message}")
        self.comparisonFailed.emit(message)

    def _show_comparison_status(self, text: str) -> None:
        if text:
            self.summary_label.setText(text)
        else:
            self._update_summary()

    def _update_summary(self) -> None:
        al = self.compare_view.alignment()
        if al is None:
            self.summary_label.setText("Choose two articles to compare")
        elif not al.left.id or not al.right.id:
            self.summary_label.setText("Open a second article to compare (Ctrl+double-click opens on the right)")
        else:
            # The one "shared" figure: the reuse map's when it is ready, else counted on the rows.
            self.summary_label.setText(shared_figure(al, self.reuse_docks.reuse_map()).describe())

    def _update_compare_actions(self) -> None:
        al = self.compare_view.alignment()
        self.swap_action.setEnabled(al is not None)
        for action in self.tabs.view_actions():
            action.setEnabled(al is not None)
        self.best_match_action.setEnabled(self.refs()[0] is not None or self.index.root() is not None)

    # ------------------------------------------------------------------ messages and lifetime

    def save_state(self) -> None:
        """Save geometry, splitter sizes and the open corpus."""
        settings.save_geometry(self, SETTINGS_KEY)
        settings.save_splitter(self.splitter, SETTINGS_KEY)
        settings.save_splitter(self.panel.splitter, "corpusPanel")
        root = self.index.root()
        if root is not None:
            settings.add_recent_corpus(root)

    def shutdown(self, msecs: int = 10000) -> None:
        """Cancel background work and wait for it (an index update commits what it did)."""
        self.writer.cancel_all()
        self.jobs.cancel_all()
        self.writer.wait(msecs)
        self.jobs.wait(msecs)
        self.delta_panel.shutdown(msecs)
        self.panel.wait_idle(msecs)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        self.sessions.shutdown()
        self.shutdown()
        super().closeEvent(event)


class _WindowSession:
    """The window as :class:`~app.ui.sessioncontroller.SessionView`: what it shows, as a session, and back."""

    def __init__(self, window: MainWindow) -> None:
        self._window = window

    def snapshot(self) -> Session:
        """Every tab showing two articles, the story tabs, the query and the corpus's user data."""
        window = self._window
        tabs: list[TabState] = []
        active = 0
        current = window.tabs.current_entry()
        for entry in window.tabs.entries():
            state = entry.tab_state()
            if state is None:
                continue
            if entry is current:
                active = len(tabs)
            tabs.append(state)
        return Session(corpus=str(window.corpus_root() or default_corpus()), tabs=tabs, active_tab=active,
                       query=window.panel.search_edit.text().strip(), userdata=window.overrides.session_userdata(),
                       stories=window.comparisons.story_states())

    def apply(self, session: Session, skip: Collection[int]) -> None:
        """Open ``session``'s corpus (unless open), its tabs but ``skip``, its stories and query."""
        window = self._window
        root = window.corpus_root()
        if root is None or root != Path(session.corpus).resolve():
            window.open_corpus(session.corpus)
        window.overrides.apply_session_userdata(session.corpus, session.userdata)  # merged, never replacing
        self.clear()
        first = window.tabs.current_entry()
        active = None
        for i, tab in enumerate(session.tabs):
            if i in skip:
                continue
            entry = window.tabs.new_tab([tab.left.path or tab.left.id, tab.right.path or tab.right.id],
                                        state=tab, query=tab.query, activate=False)
            window.request_alignment(entry)
            if i == session.active_tab or active is None:
                active = entry
        if active is not None and active.view is not None and first.view is not None:
            window.tabs.setCurrentWidget(active.view)
            window.tabs.close_tab(window.tabs.indexOf(first.view))  # empty: not kept for reopening
        window.comparisons.restore_stories(session.stories)
        window.panel.search_edit.setText(session.query)

    def clear(self) -> None:
        """Close every tab and forget the notes' undo history."""
        self._window.tabs.close_all()
        self._window.notes_panel.undo_stack.clear()
