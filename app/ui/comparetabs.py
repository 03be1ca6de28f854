"""Several comparisons as tabs: each page a CompareView with its articles, view state and notes."""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFontMetrics, QKeySequence
from PySide6.QtWidgets import QTabWidget, QWidget

from app.core.reading.model import Alignment, Article
from app.core.sessions.session import ArticleRef, Note, TabState, note_rows
from app.ui.compareview import CompareView

MAX_CLOSED = 10
TITLE_SIDE_WIDTH = 150  # pixels per article title in a tab's label
EMPTY_TITLE = "New comparison"


@dataclass(eq=False)
class TabEntry:
    """What a tab holds besides its widget.

    Attributes:
        view: The page.
        refs: What to open on the left and right (ids, id prefixes or paths; None for nothing).
        state: The saved form of the comparison (articles, notes, comparison note), once both
            sides hold an article; scroll, row, hide and query are filled in by :meth:`tab_state`.
        query: The search query highlighted in this tab.
        generation: Bumped by each alignment request, so only the latest result is shown.
        pending: View state (scroll, current row, hide boilerplate) to apply once the
            alignment is shown and the page has its real size.
        closed: Set when the tab is closed (late alignment results are then dropped).
    """

    view: CompareView | None
    refs: list[str | None] = field(default_factory=lambda: [None, None])
    state: TabState | None = None
    query: str = ""
    generation: int = 0
    pending: tuple[int, int | None, bool] | None = None
    closed: bool = False
    change: str = ""  # the change label and figures, for the tooltip (app.ui.deltapanel)

    def tab_state(self) -> TabState | None:
        """The tab as a :class:`TabState` with its current view state (None before two articles)."""
        if self.state is None:
            return None
        state = copy.copy(self.state)
        state.query = self.query
        view_state = self.view_state()
        if view_state is not None:
            state.scroll, state.current_row, state.hide_boilerplate = view_state
        return state

    def view_state(self) -> tuple[int, int | None, bool] | None:
        """Scroll, current row and hide-boilerplate: as shown, or as still waiting to be applied."""
        if self.pending is not None or self.view is None or self.view.alignment() is None:
            return self.pending
        row = self.view.current_row()
        return self.view.scroll_value(), row if row >= 0 else None, self.view.hide_boilerplate()

    def note_rows(self) -> tuple[dict[int, list[Note]], list[Note]]:
        """This tab's notes placed on the rows shown, and those that found no row."""
        alignment = self.view.alignment() if self.view is not None else None
        if self.state is None:
            return {}, []
        return note_rows(self.state.notes, alignment.rows if alignment is not None else [])


def copy_label(article: Article) -> str:
    """What tells a copy apart from others with its title: source and date, else the file name."""
    date = article.date.isoformat() if article.date else ""
    source = article.source or Path(article.path or article.id).name
    return f"{source} {date}".strip()


def _ref_key(ref: ArticleRef) -> tuple[str, str | None]:
    return ref.id, ref.path


def _swapped_notes(notes: list[Note]) -> list[Note]:
    out = []
    for note in notes:
        swapped = copy.copy(note)
        swapped.left, swapped.right = list(note.right), list(note.left)
        out.append(swapped)
    return out


class CompareTabs(QTabWidget):
    """The open comparisons; the window works on :meth:`current_view`.

    Args:
        root: Returns the open corpus folder (article references are kept relative to it).
        parent: Parent widget.
    """

    currentTabChanged = Signal()
    alignmentShown = Signal(object)  # TabEntry whose view got a new alignment
    contentChanged = Signal()  # tabs opened/closed, articles, query or hide state changed
    viewChanged = Signal()  # scroll position or current row of a view changed
    currentRowChanged = Signal(int)  # of the current view
    dropRequested = Signal(str, list)
    noteRequested = Signal(int)  # a row's context menu asked for a note, in the current view
    reopenRequested = Signal(object)  # TabEntry reopened, whose alignment the window starts

    def __init__(self, root: Callable[[], Path | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compareTabs")
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setElideMode(Qt.TextElideMode.ElideRight)
        self.setUsesScrollButtons(True)
        self._root = root
        self._entries: dict[CompareView, TabEntry] = {}
        self._stories: list[QWidget] = []  # story tabs (app.ui.storyview); not comparisons
        self._last_view: CompareView | None = None  # the comparison the window acts on meanwhile
        self._closed: deque[TabEntry] = deque(maxlen=MAX_CLOSED)
        self.tabCloseRequested.connect(lambda i: self.close_tab(i))
        self.currentChanged.connect(self._current_changed)
        self.tabBar().tabMoved.connect(lambda *_: self.contentChanged.emit())
        self._view_actions: list[QAction] = []
        self.new_tab()
        self._build_actions()

    # --- tabs ----------------------------------------------------------------------------

    def entries(self) -> list[TabEntry]:
        """Every open comparison tab's entry, in tab order (story tabs are not comparisons)."""
        return [self._entries[w] for w in (self.widget(i) for i in range(self.count())) if w in self._entries]

    def _entry_of(self, widget: QWidget | None) -> TabEntry | None:
        """The entry of a comparison tab's page (None for a story tab's or no page)."""
        return self._entries.get(widget) if isinstance(widget, CompareView) else None

    def entry(self, view: CompareView | None = None) -> TabEntry:
        """The entry of ``view`` (default: the current tab)."""
        return self._entries[view if view is not None else self.current_view()]

    def current_entry(self) -> TabEntry:
        """The current tab's entry."""
        return self.entry()

    def current_view(self) -> CompareView:
        """The comparison shown (there is always one comparison tab); while a story tab is
        shown, the comparison last shown."""
        view = self.currentWidget()
        if isinstance(view, CompareView):
            return view
        if self._last_view is None or self._last_view not in self._entries:
            self._last_view = next(iter(self._entries))
        return self._last_view

    # --- story tabs ----------------------------------------------------------------------

    def add_story_tab(self, widget: QWidget, label: str, tip: str = "") -> None:
        """Add a story tab (app.ui.storyview.StoryView) and show it."""
        self._stories.append(widget)
        index = self.addTab(widget, label)
        self.setTabToolTip(index, tip)
        self.setCurrentIndex(index)
        self.contentChanged.emit()

    def story_tabs(self) -> list[QWidget]:
        """The open story tabs, in tab order."""
        return [w for w in (self.widget(i) for i in range(self.count())) if w in self._stories]

    def set_story_label(self, widget: QWidget, label: str, tip: str = "") -> None:
        """Relabel a story tab."""
        index = self.indexOf(widget)
        if index >= 0:
            self.setTabText(index, label)
            self.setTabToolTip(index, tip)

    def story_is_current(self) -> bool:
        """True while a story tab is shown."""
        return self.currentWidget() in self._stories

    def show_comparison(self) -> None:
        """Show the comparison the window acts on (leaving a story tab)."""
        if self.story_is_current():
            self.setCurrentWidget(self.current_view())

    def _close_story(self, widget: QWidget) -> None:
        self._stories.remove(widget)
        self.removeTab(self.indexOf(widget))
        widget.deleteLater()
        self.contentChanged.emit()

    def new_tab(self, refs: list[str | None] | None = None, *, state: TabState | None = None,
                query: str | None = None, activate: bool = True) -> TabEntry:
        """Add a tab; with no ``refs`` it is empty and the next article opened fills it.

        Args:
            refs: Left and right article references to open (the caller starts the alignment).
            state: The saved comparison, for a tab restored from a session or reopened.
            query: Query to highlight (default: the current tab's).
            activate: Make it the current tab.
        """
        view = CompareView(self)
        # The window's proxies carry the shortcuts; the view's own would be ambiguous with them.
        for action in view.actions():
            view.removeAction(action)
        previous = self._entry_of(self.currentWidget()) if self.count() else None
        entry = TabEntry(view, list(refs) if refs else [None, None], state)
        self._entries[view] = entry
        view.dropRequested.connect(self.dropRequested)
        view.currentRowChanged.connect(lambda row, v=view: self._row_changed(v, row))
        view.right_pane.verticalScrollBar().valueChanged.connect(lambda _v: self.viewChanged.emit())
        view.noteRequested.connect(lambda row, v=view: self._note_requested(v, row))
        for action in view.actions():
            if action.isCheckable():
                action.toggled.connect(lambda _c, v=view: self._view_toggled(v))
        if state is not None:
            entry.pending = (state.scroll, state.current_row, state.hide_boilerplate)
        index = self.addTab(view, "")
        self._update_label(entry)
        self.set_query(query if query is not None else (previous.query if previous else ""), entry)
        if activate:
            self.setCurrentIndex(index)
        self.contentChanged.emit()
        return entry

    def close_tab(self, index: int | None = None) -> None:
        """Close a tab (default: the current one); it can be reopened. The last tab is emptied."""
        index = self.currentIndex() if index is None else index
        view = self.widget(index)
        if view in self._stories:
            self._close_story(view)
            return
        if not isinstance(view, CompareView) or (entry := self._entries.get(view)) is None:
            return
        if entry.refs != [None, None] or entry.state is not None:
            kept = TabEntry(None, list(entry.refs), entry.state, entry.query, pending=entry.view_state())
            self._closed.append(kept)
        entry.closed = True
        if len(self._entries) == 1:  # the last comparison: an empty one takes its place
            self.new_tab(query=entry.query, activate=self.count() == 1 or self.currentWidget() is view)
        self.removeTab(self.indexOf(view))
        del self._entries[view]
        if self._last_view is view:
            self._last_view = None
        view.deleteLater()
        self.contentChanged.emit()

    def close_all(self) -> None:
        """Close every tab without keeping them for reopening; one empty tab remains."""
        views = [w for w in (self.widget(i) for i in range(self.count())) if isinstance(w, CompareView)]
        for story in list(self._stories):  # the other tabs
            self._close_story(story)
        self.new_tab(query="")
        for view in views:
            self._entries.pop(view).closed = True
            self.removeTab(self.indexOf(view))
            view.deleteLater()
        self._closed.clear()
        self.contentChanged.emit()

    def reopen_closed_tab(self) -> TabEntry | None:
        """Bring back the last closed tab (the caller starts its alignment)."""
        if not self._closed:
            return None
        kept = self._closed.pop()
        entry = self.new_tab(kept.refs, state=kept.state, query=kept.query)
        entry.pending = kept.pending
        return entry

    def closed_count(self) -> int:
        """How many closed tabs can be reopened."""
        return len(self._closed)

    def cycle(self, step: int) -> None:
        """Go ``step`` tabs forward (negative: back), wrapping around."""
        if self.count() > 1:
            self.setCurrentIndex((self.currentIndex() + step) % self.count())

    # --- content -------------------------------------------------------------------------

    def show_alignment(self, entry: TabEntry, alignment: Alignment) -> TabEntry | None:
        """Show a finished alignment in the tab that asked for it.

        A tab holding notes is never turned into another comparison: a different pair of
        articles then opens in a new tab and the noted one is left as it was.

        Returns:
            The entry showing the alignment, None when the tab was closed meanwhile.
        """
        if entry.closed or entry.view is None:
            return None
        both = bool(alignment.left.id and alignment.right.id)
        new_state = TabState.for_alignment(alignment, self._root(), self._title(alignment)) if both else None
        old = entry.state
        pair = (_ref_key(new_state.left), _ref_key(new_state.right)) if new_state is not None else None
        same = old is not None and pair == (_ref_key(old.left), _ref_key(old.right))
        swapped = old is not None and pair == (_ref_key(old.right), _ref_key(old.left))
        if old is not None and (old.notes or old.comparison_note.strip()) and not (same or swapped):
            entry.refs = [old.left.path or old.left.id, old.right.path or old.right.id]
            target = self.new_tab(self._refs_of(alignment), query=entry.query)
            return self.show_alignment(target, alignment)
        if old is not None and new_state is not None and same:
            # Kept, not replaced: the notes' undo history refers to this object.
            old.left, old.right = new_state.left, new_state.right  # the hashes of the files as read now
            new_state = old
        elif old is not None and new_state is not None and swapped:
            new_state.notes = _swapped_notes(old.notes)
            new_state.comparison_note = old.comparison_note
        entry.state = new_state
        entry.change = ""
        view = entry.view
        view.set_alignment(alignment)
        self._update_label(entry)
        if entry.pending is not None and self.currentWidget() is view:
            self._apply_pending(entry)
        self.alignmentShown.emit(entry)
        self.contentChanged.emit()
        return entry

    @staticmethod
    def _refs_of(alignment: Alignment) -> list[str | None]:
        return [a.path if a.id and Path(a.path).is_absolute() else (a.id or None)
                for a in (alignment.left, alignment.right)]

    def _apply_pending(self, entry: TabEntry) -> None:
        view = entry.view
        if entry.pending is None or view is None or view.alignment() is None:
            return
        scroll, row, hide = entry.pending
        entry.pending = None
        view.set_hide_boilerplate(hide)
        if row is not None:
            view.set_current_row(row, scroll=False)
        view.restore_scroll(scroll)

    def set_query(self, query: str, entry: TabEntry | None = None) -> None:
        """Highlight ``query``'s terms in a tab (default: the current one) and keep it with the tab."""
        entry = entry or self.current_entry()
        changed = query != entry.query
        entry.query = query
        if entry.view is not None:
            matcher = None
            if query:
                # Imported here for start-up time: the search engine loads with the first search.
                from app.core.search.fulltext import term_matcher

                matcher = term_matcher(query)
            entry.view.set_highlighter(matcher)
        if changed:
            self.contentChanged.emit()

    @staticmethod
    def _title(alignment: Alignment) -> str:
        return " ↔ ".join(a.title or a.id for a in (alignment.left, alignment.right))

    def _update_label(self, entry: TabEntry) -> None:
        view = entry.view
        index = self.indexOf(view) if view is not None else -1
        if view is None or index < 0:
            return
        alignment = view.alignment()
        shown = [a for a in (alignment.left, alignment.right) if a.id] if alignment is not None else []
        if not shown or alignment is None:
            self.setTabText(index, EMPTY_TITLE)
            self.setTabToolTip(index, "Open an article from the list to fill this tab")
            return
        metrics = QFontMetrics(self.tabBar().font())
        titles = [a.title or a.id for a in shown]
        if len(set(titles)) < len(titles):
            # Copies share their title: the tab tells them apart by source and date instead.
            titles = [copy_label(a) for a in shown]
        self.setTabText(index, " ↔ ".join(
            metrics.elidedText(t, Qt.TextElideMode.ElideRight, TITLE_SIDE_WIDTH) for t in titles))
        self.setTabToolTip(index, "\n".join(
            [f"{side}: {a.title or a.id} · {copy_label(a)}" for side, a in zip(("Left", "Right"),
                                                                                (alignment.left, alignment.right),
                                                                                strict=True) if a.id]
            + ([entry.change] if entry.change and len(shown) == 2 else [])))

    def set_change_tip(self, entry: TabEntry, text: str) -> None:
        """Show ``text`` (the comparison's change label and figures) in the tab's tooltip."""
        entry.change = text
        self._update_label(entry)

    # --- signals from the views ----------------------------------------------------------

    def _current_changed(self, _index: int) -> None:
        view = self.currentWidget()
        entry = self._entry_of(view)
        if entry is None:
            if view in self._stories:
                self.currentTabChanged.emit()
            return
        self._last_view = view  # type: ignore[assignment]
        self._apply_pending(entry)
        self._sync_checks()
        self.currentTabChanged.emit()

    def _row_changed(self, view: CompareView, row: int) -> None:
        if view is self.currentWidget():
            self.currentRowChanged.emit(row)
        self.viewChanged.emit()

    def _note_requested(self, view: CompareView, row: int) -> None:
        if view is self.currentWidget():
            self.noteRequested.emit(row)

    def _view_toggled(self, view: CompareView) -> None:
        if view is self.currentWidget():
            self._sync_checks()
        self.contentChanged.emit()

    # --- actions -------------------------------------------------------------------------

    def _build_actions(self) -> None:
        def action(text: str, keys: list[str], slot: Callable[[], object], tip: str) -> QAction:
            act = QAction(text, self)
            act.setShortcuts([QKeySequence(k) for k in keys])
            act.setStatusTip(tip)
            act.triggered.connect(lambda: slot())
            return act

        for n, template in enumerate(self.current_view().actions()):
            proxy = QAction(template.text(), self)
            proxy.setShortcuts(template.shortcuts())
            proxy.setStatusTip(template.statusTip())
            proxy.setCheckable(template.isCheckable())
            if template.isCheckable():
                proxy.triggered.connect(lambda checked, n=n: self.current_view().actions()[n].setChecked(checked))
            else:
                proxy.triggered.connect(lambda _c=False, n=n: self.current_view().actions()[n].trigger())
            self._view_actions.append(proxy)
        self.new_tab_action = action("New &Tab", ["Ctrl+T"], self._new_empty_tab,
                                     "Open a new comparison tab (the next article opened fills it)")
        self.close_tab_action = action("&Close Tab", ["Ctrl+W"], self.close_tab, "Close the current comparison")
        self.reopen_tab_action = action("Reopen Closed Tab", ["Ctrl+Shift+T"], self._reopen,
                                        "Bring back the last closed comparison")
        self.next_tab_action = action("Next Tab", ["Ctrl+Tab", "Ctrl+PgDown"], lambda: self.cycle(1),
                                      "Show the next comparison")
        self.previous_tab_action = action("Previous Tab", ["Ctrl+Shift+Tab", "Ctrl+PgUp"],
                                          lambda: self.cycle(-1), "Show the previous comparison")

    def _new_empty_tab(self) -> None:
        self.new_tab()

    def _reopen(self) -> None:
        entry = self.reopen_closed_tab()
        if entry is not None:
            self.reopenRequested.emit(entry)

    def view_actions(self) -> list[QAction]:
        """Navigation and hide-boilerplate actions acting on the current tab."""
        return list(self._view_actions)

    def tab_actions(self) -> list[QAction]:
        """New, close, reopen and cycle tab actions."""
        return [self.new_tab_action, self.close_tab_action, self.reopen_tab_action,
                self.next_tab_action, self.previous_tab_action]

    def _sync_checks(self) -> None:
        if not self._view_actions:
            return  # the first tab is added before the proxies exist
        for proxy, own in zip(self._view_actions, self.current_view().actions(), strict=True):
            if proxy.isCheckable():
                proxy.setChecked(own.isChecked())
