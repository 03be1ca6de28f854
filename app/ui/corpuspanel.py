"""The corpus panel: a search field over the hit list and the filterable list of all articles."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QGuiApplication,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QSplitter,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.reading.model import SearchResult
from app.core.reuse.copies import collapse_result, exact_copies, with_source_names
from app.ui.models import (
    ArticleFilterProxy,
    ArticleTableModel,
    HitDelegate,
    IdRole,
    SearchResultModel,
    SortedIds,
    ids_of,
)
from app.ui.previewpane import ElidedLabel, PreviewPane
from app.ui.settings import preview_shown, set_preview_shown, settings
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error, while_alive

if TYPE_CHECKING:
    from app.core.reuse.reusemap import ReuseMap
    from app.core.workspace.corpus import ArticleInfo, Corpus

SEARCH_DELAY_MS = 200
PREVIEW_DELAY_MS = 60  # arrowing down the hits reads only the row the user stops on
SEARCH_LIMIT = 100
SEARCH_HINT = (
    "Type to search the full text.\n\n"
    "Taiwan   ·   \"exact phrase\"   ·   china AND russia\n"
    "title:alliance   ·   sanction*   ·   NOT trade"
)


class _ArticleViewMixin:
    """What both lists share: double-click opens left (Ctrl: right), Enter compares two, a menu."""

    panel: CorpusPanel

    def _setup(self, panel: CorpusPanel) -> None:
        view: QAbstractItemView = self  # type: ignore[assignment]
        self.panel = panel
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setDragEnabled(True)
        view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._menu)

    def selected_ids(self) -> list[str]:
        """Ids of the selected rows in the order they were selected (the first goes left)."""
        view: QAbstractItemView = self  # type: ignore[assignment]
        return ids_of(view.selectionModel().selectedRows())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        view: QAbstractItemView = self  # type: ignore[assignment]
        index = view.indexAt(event.position().toPoint())
        if event.button() == Qt.MouseButton.LeftButton and index.isValid():
            ctrl = event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
            self.panel.openRequested.emit(index.data(IdRole), "right" if ctrl else "left")
            event.accept()
            return
        super().mouseDoubleClickEvent(event)  # type: ignore[misc]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ids = self.selected_ids()
            if len(ids) >= 2:
                self.panel.compareRequested.emit(ids[0], ids[1])
            elif ids:
                ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
                self.panel.openRequested.emit(ids[0], "right" if ctrl else "left")
            event.accept()
            return
        super().keyPressEvent(event)  # type: ignore[misc]

    def _menu(self, pos: QPoint) -> None:
        view: QAbstractItemView = self  # type: ignore[assignment]
        index = view.indexAt(pos)
        ids = self.selected_ids()
        if index.isValid() and index.data(IdRole) is None and self.panel.result_model.copies_row(index.row()):
            ids = [self.panel.result_model.hit(index.row()).id]  # "+N copies": its story's best hit
        elif index.isValid() and index.data(IdRole) not in ids:
            ids = [index.data(IdRole)]
        if not ids:
            return
        self.panel.build_menu(ids, view).exec(view.viewport().mapToGlobal(pos))


class ResultListView(_ArticleViewMixin, QListView):
    """The search hits; while there are none, a hint in the empty area."""

    placeholder = "Type to search the full text"

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0 and self.placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            rect = self.viewport().rect().adjusted(16, 16, -16, -16)
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
            painter.drawText(rect, int(flags), self.placeholder)
            painter.end()

    def set_placeholder(self, text: str) -> None:
        """The hint shown while the list is empty."""
        self.placeholder = text
        self.viewport().update()

    def __init__(self, panel: CorpusPanel) -> None:
        super().__init__(panel)
        self._setup(panel)
        self.setObjectName("results")
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.panel.preview_action.toggle()
            event.accept()
            return
        super().keyPressEvent(event)


class ArticleTableView(_ArticleViewMixin, QTableView):
    """Every article of the corpus."""

    def __init__(self, panel: CorpusPanel) -> None:
        super().__init__(panel)
        self._setup(panel)
        self.setObjectName("articles")
        self.setSortingEnabled(True)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(24)
        self.horizontalHeader().setHighlightSections(False)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        # Section modes only apply to sections that exist, i.e. once the model is set.
        header = self.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(1, 130)
        header.resizeSection(2, self.fontMetrics().horizontalAdvance("0000-00-00") + 24)


HISTORY_SIZE = 50
SORTS = (("relevance", "Relevance"), ("newest", "Newest"), ("oldest", "Oldest"), ("source", "Source"))


class _SearchEdit(QLineEdit):
    """The query field: Esc clears it; Up and Down walk the history of queries run; Down past
    the newest moves to the hits."""

    def __init__(self, parent: QWidget, on_down: Callable[[], None]) -> None:
        super().__init__(parent)
        self._on_down = on_down
        self.history: list[str] = []  # oldest first
        self._pos = -1  # index into history while walking it, -1 when not

    def remember(self, query: str) -> None:
        """Add a query that was run to the history (most recent last, no repeats)."""
        query = query.strip()
        if not query:
            return
        if query in self.history:
            self.history.remove(query)
        self.history.append(query)
        del self.history[:-HISTORY_SIZE]
        self._pos = -1

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Up and self.history:
            self._pos = len(self.history) - 1 if self._pos < 0 else max(0, self._pos - 1)
            self.setText(self.history[self._pos])
            event.accept()
            return
        if event.key() == Qt.Key.Key_Down:
            if 0 <= self._pos < len(self.history) - 1:
                self._pos += 1
                self.setText(self.history[self._pos])
            else:
                self._pos = -1
                self._on_down()
            event.accept()
            return
        super().keyPressEvent(event)


class CorpusPanel(QWidget):
    """Shows a :class:`Corpus`: full-text search with highlighted hits, and its article list.

    Searches run on a worker thread, debounced while the user types; a result that arrives
    after a newer query was typed is dropped.
    """

    openRequested = Signal(str, str)  # article id, "left" | "right"
    compareRequested = Signal(str, str)  # left id, right id
    bestMatchRequested = Signal(str)  # article id
    storyRequested = Signal(str)  # article id whose story opens as a story tab
    queryChanged = Signal(str)  # the query whose hits are shown ("" when cleared)
    searchFinished = Signal(object)  # SearchResult
    searchFailed = Signal(str)  # user-facing message
    facetsCounted = Signal(object)  # FacetCounts of the search shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("corpusPanel")
        self._corpus: Corpus | None = None
        self._generation = 0
        self._pool = WorkerPool(1, self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.search_now)

        self.search_edit = _SearchEdit(self, self._focus_results)
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setPlaceholderText("Search the corpus  (Ctrl+F)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(self._text_changed)
        self.search_edit.returnPressed.connect(self.search_now)

        self.message = QLabel(self)
        self.message.setObjectName("queryError")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()

        self.count_label = QLabel("Results", self)
        self.count_label.setObjectName("sectionTitle")
        self._reuse_map: ReuseMap | None = None  # copies of each story, once the map is known
        self.collapse_box = QCheckBox("Collapse copies", self)
        self.collapse_box.setObjectName("collapseCopies")
        self.collapse_box.setChecked(True)
        self.collapse_box.setToolTip("Show a story carried by many outlets once, with its number of copies")
        self.facet_filter: object | None = None  # a core FacetFilter, set by the Facets dock
        self.sort_combo = QComboBox(self)
        self.sort_combo.setObjectName("sortCombo")
        self.sort_combo.setToolTip("Order of the hits (remembered)")
        for key, label in SORTS:
            self.sort_combo.addItem(label, key)
        saved = settings().value("search/sort", "relevance")
        self.sort_combo.setCurrentIndex(max(0, self.sort_combo.findData(saved)))
        self.sort_combo.currentIndexChanged.connect(self._sort_changed)
        self.result_model = SearchResultModel(self)
        self.results = ResultListView(self)
        self.delegate = HitDelegate(self.results)
        self.results.setItemDelegate(self.delegate)
        self.results.setModel(self.result_model)
        self.collapse_box.toggled.connect(self.result_model.set_collapse)
        self.results.clicked.connect(lambda index: self.result_model.toggle(index.row()))

        self.preview = PreviewPane(self)
        self.preview_action = QAction("Search &Preview", self)
        self.preview_action.setIconText("Preview")  # the button over the article list
        self.preview_action.setObjectName("previewAction")
        self.preview_action.setCheckable(True)
        self.preview_action.setChecked(preview_shown())
        self.preview_action.setToolTip("Read the selected result here, in place of the article list "
                                       "(Space in the results; remembered)")
        self.preview_action.toggled.connect(self._preview_toggled)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._preview_current)
        self.results.selectionModel().currentChanged.connect(lambda *_: self._preview_timer.start())
        self.results.selectionModel().selectionChanged.connect(lambda *_: self._preview_timer.start())
        self.result_model.modelReset.connect(self._preview_timer.start)  # new hits: the selection is gone

        self.articles_label = QLabel("Articles", self)
        self.articles_label.setObjectName("sectionTitle")
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setPlaceholderText("Filter by title, source or file name")
        self.filter_edit.setClearButtonEnabled(True)
        self.article_model = ArticleTableModel(self)
        self.proxy = ArticleFilterProxy(self)
        self.proxy.setSourceModel(self.article_model)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.articles = ArticleTableView(self)
        self.articles.setModel(self.proxy)
        self.articles.sortByColumn(2, Qt.SortOrder.DescendingOrder)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(4)
        heading = QHBoxLayout()
        heading.addWidget(self.count_label, 1)
        heading.addWidget(self.sort_combo)
        heading.addWidget(self.collapse_box)
        top_layout.addLayout(heading)
        top_layout.addWidget(self.results)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 6, 0, 0)
        bottom_layout.setSpacing(4)
        row = QHBoxLayout()
        row.addWidget(self.articles_label)
        row.addStretch(1)
        row.addWidget(self._preview_button(bottom))
        bottom_layout.addLayout(row)
        bottom_layout.addWidget(self.filter_edit)
        bottom_layout.addWidget(self.articles)
        # The preview takes the article list's place while a query is typed (the list is what
        # one chooses from without a query): the comparison keeps its width at any window size.
        preview_page = QWidget(self)
        preview_layout = QVBoxLayout(preview_page)
        preview_layout.setContentsMargins(0, 6, 0, 0)
        preview_layout.setSpacing(4)
        self.preview_label = ElidedLabel("Preview", preview_page)
        self.preview_label.setObjectName("sectionTitle")
        row = QHBoxLayout()
        row.addWidget(self.preview_label, 1)
        back = QToolButton(preview_page)
        back.setObjectName("showArticles")
        back.setText("Article List")
        back.setAutoRaise(True)
        back.setToolTip("Hide the preview and show the list of all articles (Space in the results)")
        back.clicked.connect(lambda: self.preview_action.setChecked(False))
        row.addWidget(back)
        preview_layout.addLayout(row)
        preview_layout.addWidget(self.preview, 1)
        self.lower_stack = QStackedWidget(self)
        self.lower_stack.setObjectName("corpusLower")
        self.lower_stack.addWidget(bottom)
        self.lower_stack.addWidget(preview_page)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("corpusSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.lower_stack)
        self.splitter.setSizes([520, 340])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 4)
        layout.setSpacing(6)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        self.search_edit.textChanged.connect(self._update_lower)
        self._update_lower()

    def _preview_button(self, parent: QWidget) -> QToolButton:
        button = QToolButton(parent)
        button.setDefaultAction(self.preview_action)
        button.setAutoRaise(True)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        return button

    # ------------------------------------------------------------------ the corpus

    def corpus(self) -> Corpus | None:
        """The corpus shown."""
        return self._corpus

    def set_corpus(self, corpus: Corpus | None) -> None:
        """Show ``corpus`` (its index must be open); re-runs the current query against it."""
        self._corpus = corpus
        self._generation += 1
        self.preview.set_corpus(corpus)
        self.result_model.set_result(None)
        self.delegate.clear_cache()
        if corpus is None:
            self.set_articles([])
        if self.search_edit.text().strip():
            self.search_now()
        else:
            self._show_idle()

    def set_articles(self, articles: list[ArticleInfo], ordered: SortedIds | None = None) -> None:
        """Replace the article list (keeping the sort order chosen by the user)."""
        self.article_model.set_articles(articles, ordered)
        self._update_articles_label()

    def _update_articles_label(self) -> None:
        shown, total = self.proxy.rowCount(), self.article_model.rowCount()
        text = f"Articles · {total:,}" if shown == total else f"Articles · {shown:,} of {total:,}"
        self.articles_label.setText(text)

    def _filter_changed(self, text: str) -> None:
        self.proxy.set_filter_text(text)
        self._update_articles_label()

    # ------------------------------------------------------------------ searching

    def focus_search(self) -> None:
        """Put the cursor in the search field with its text selected (Ctrl+F)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _focus_results(self) -> None:
        if self.result_model.rowCount():
            self.results.setFocus()
            self.results.setCurrentIndex(self.result_model.index(0))

    def _text_changed(self, text: str) -> None:
        if not text.strip():
            self._debounce.stop()
            self._generation += 1
            self.result_model.set_result(None)
            self.delegate.clear_cache()
            self._show_idle()
            self.queryChanged.emit("")
            return
        self._debounce.start()

    def _show_idle(self) -> None:
        self.message.hide()
        self.count_label.setText("Results")
        self.results.set_placeholder(SEARCH_HINT)

    def refresh(self) -> None:
        """Run the current query again (the index changed)."""
        if self.search_edit.text().strip():
            self.search_now()

    def search_now(self) -> None:
        """Run the query in the field now, on the search thread."""
        self._debounce.stop()
        query = self.search_edit.text().strip()
        if not query:
            return
        self._generation += 1
        generation = self._generation
        corpus = self._corpus
        if corpus is None:
            self.count_label.setText("Results")
            self.results.set_placeholder("Waiting for the index…")
            return
        self.count_label.setText("Searching…")

        def finished(found: object) -> None:
            result, stories, counts = found if isinstance(found, tuple) else (found, None, None)
            if generation == self._generation and isinstance(result, SearchResult):
                if counts is not None:
                    self.facetsCounted.emit(counts)
                self._show_result(result, stories)

        def failed(exc: object) -> None:
            if generation == self._generation and isinstance(exc, BaseException):
                self._show_error(exc)

        rmap = self._reuse_map
        order = self.sort_key()
        facet_filter = self.facet_filter

        def run() -> tuple[SearchResult, object, object]:
            # Imported here for start-up time: app.core.search.facets loads the index engine (on this worker).
            from app.core.search.facets import Facets

            names = corpus.userdata.refresh().source
            facets = Facets(facet_filter, names, order=order if order in ("oldest", "source") else "",  # type: ignore[arg-type]
                            limit=SEARCH_LIMIT)
            found = corpus.search(query, limit=SEARCH_LIMIT, sort="score" if order == "relevance" else "date",
                                  narrow=facets.narrow)
            # Oldest and source orders rank only the first hits: the total is every kept match.
            found = SearchResult(found.query, max(found.total, facets.result.kept),
                                 tuple(facets.order_hits(found.hits)))
            result = with_source_names(found, names)
            # Until the reuse map is built, copies with the very same body text are collapsed.
            copies = rmap if rmap is not None else exact_copies(corpus.reuse.path)
            return result, (collapse_result(result, copies) if copies is not None else None), facets.result

        worker = GeneratorWorker.call(run, name="search")
        worker.signals.finished.connect(while_alive(self, finished))
        worker.signals.failed.connect(while_alive(self, failed))
        self._pool.submit(worker)

    def sort_key(self) -> str:
        """The order chosen: relevance, newest, oldest or source."""
        return str(self.sort_combo.currentData() or "relevance")

    def _sort_changed(self) -> None:
        settings().setValue("search/sort", self.sort_key())
        self.refresh()

    def set_facet_filter(self, facet_filter: object | None) -> None:
        """Filter the hits by facets (a core ``FacetFilter``); the query runs again."""
        self.facet_filter = facet_filter
        self.refresh()

    def set_reuse_map(self, rmap: ReuseMap | None) -> None:
        """Use ``rmap`` to collapse copies of one story in the results (the query runs again)."""
        self._reuse_map = rmap
        if self.search_edit.text().strip():
            self.search_now()

    def _show_result(self, result: SearchResult, stories: object = None) -> None:
        self.message.hide()
        self.delegate.clear_cache()
        self.result_model.set_result(result, stories)  # type: ignore[arg-type]
        n = result.total
        shown = len(result.hits)
        self.results.set_placeholder(f"Nothing matches “{result.query}”.")
        matches = sum(h.matches for h in result.hits)
        counted = f", {matches:,} match{'es' if matches != 1 else ''}" if matches else ""
        if n == 0:
            text = "No hits"
        elif shown < n:
            text = f"{n:,} articles · the best {shown:,} shown{counted} in them"
        else:
            text = f"{n:,} article{'s' if n != 1 else ''}{counted}"
        self.count_label.setText(text)
        self.search_edit.remember(result.query)
        self.queryChanged.emit(result.query)
        self.searchFinished.emit(result)

    def _show_error(self, exc: BaseException) -> None:
        # Imported here for start-up time (the search engine); loaded already by the search that failed.
        from app.core.search.fulltext import QueryError

        message = str(exc) if isinstance(exc, QueryError) else f"Search failed: {describe_error(exc)}"
        self.message.setText(message)
        self.message.show()
        self.result_model.set_result(None)
        self.results.set_placeholder("")
        self.count_label.setText("Results")
        self.searchFailed.emit(message)

    def wait_idle(self, msecs: int = 5000) -> bool:
        """Block until no search and no preview read is running (used on close and by tests)."""
        return self._pool.wait(msecs) and self.preview.wait_idle(msecs)

    # ------------------------------------------------------------------ the preview

    def preview_visible(self) -> bool:
        """True while the preview stands in the article list's place."""
        return self.lower_stack.currentIndex() == 1

    def _update_lower(self) -> None:
        show = self.preview_action.isChecked() and bool(self.search_edit.text().strip())
        if show != self.preview_visible():
            self.lower_stack.setCurrentIndex(1 if show else 0)
        if show:
            self._preview_timer.start()
        elif not self.search_edit.text().strip():
            self.preview.clear()  # its hits are gone
            self.preview_label.set_full_text("Preview")

    def _preview_toggled(self, shown: bool) -> None:
        set_preview_shown(shown)
        if shown and not self.search_edit.text().strip() and self.articles.hasFocus():
            self.search_edit.setFocus()  # nothing to preview without a query
        self._update_lower()

    def _preview_current(self) -> None:
        """Show the current hit (else the first selected one) in the preview, if it is shown."""
        if not self.preview_visible():
            return
        index = self.results.currentIndex()
        aid = index.data(IdRole) if index.isValid() and self.results.selectionModel().isSelected(index) else None
        if aid is None:
            ids = self.results.selected_ids()
            aid = ids[0] if ids else None
        wanted = self.preview.wanted()
        if aid is None and wanted is not None and wanted[0] in self.result_model.ids():
            # The hits were listed again (copies unfolded, the query re-run or changed) and it is
            # still one of them: it stays, marked for the query now shown.
            aid = wanted[0]
        if aid is None:
            self.preview.clear()
            self.preview_label.set_full_text("Preview")
            return
        listed = self.index_of(aid)
        hit = self.result_model.hit(listed.row()) if listed.isValid() else None
        title = hit.title if hit is not None and hit.title else aid.rsplit("/", 1)[-1]
        self.preview_label.set_full_text(f"Preview · {title}")
        self.preview.show_article(aid, self.result_model.query)

    # ------------------------------------------------------------------ choosing articles

    def selected_ids(self) -> list[str]:
        """Ids selected in the list that has the focus (else the hits, else the articles)."""
        for view in (self.results, self.articles):
            if view.hasFocus() and view.selected_ids():
                return view.selected_ids()
        return self.results.selected_ids() or self.articles.selected_ids()

    def select_ids(self, ids: list[str]) -> int:
        """Select ``ids`` in the hit list (or, failing that, the article list); returns how many."""
        self.result_model.reveal(ids)  # a copy folded under its story's hit is listed first
        for view in (self.results, self.articles):
            view.selectionModel().clearSelection()
        for view in (self.results, self.articles):
            model = view.model()
            sel = view.selectionModel()
            rows = {model.index(r, 0).data(IdRole): r for r in range(model.rowCount())}
            found = 0
            for aid in ids:  # in the given order, which is the order of selected_ids()
                if aid not in rows:
                    continue
                index = model.index(rows[aid], 0)
                flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
                sel.select(index, flags)
                if not found:
                    sel.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
                found += 1
            if found:
                view.setFocus()
                return found
        return 0

    def build_menu(self, ids: list[str], parent: QWidget) -> QMenu:
        """The context menu for ``ids`` in one of the lists."""
        menu = QMenu(parent)
        first = ids[0]
        menu.addAction("Open on Left", lambda: self.openRequested.emit(first, "left"))
        menu.addAction("Open on Right", lambda: self.openRequested.emit(first, "right"))
        compare = menu.addAction("Compare Selected", lambda: self.compareRequested.emit(ids[0], ids[1]))
        compare.setEnabled(len(ids) >= 2)
        menu.addAction("Compare with Best Match", lambda: self.bestMatchRequested.emit(first))
        rmap = self._reuse_map
        copies = len(rmap.copies(first)) if rmap is not None and first in rmap else 0
        story = menu.addAction(f"Open Story View ({copies + 1} copies)" if copies else "Open Story View",
                               lambda: self.storyRequested.emit(first))
        story.setEnabled(bool(copies))
        menu.addSeparator()
        menu.addAction("Copy Id", lambda: QGuiApplication.clipboard().setText("\n".join(ids)))
        return menu

    def event(self, event: QEvent) -> bool:
        # Re-wrap hit snippets when the panel is restyled.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.FontChange):
            self.delegate.clear_cache()
        return super().event(event)

    def index_of(self, aid: str) -> QModelIndex:
        """The hit-list index of ``aid`` (invalid when not listed)."""
        for row in range(self.result_model.rowCount()):
            if self.result_model.hit(row).id == aid:
                return self.result_model.index(row)
        return QModelIndex()
