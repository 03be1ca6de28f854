"""The analyst's overrides in the window: paragraph marks (undoable), Preferences and Sources.

:class:`OverridesController` sits between the comparison views' context menus, the Edit menu
and the open corpus's user-data store (:mod:`app.core.workspace.userdata`). A mark is written at once;
the open comparisons are aligned again straight away with the mark laid over the learned
boilerplate, and the reuse map is rebuilt on the index-writer thread (then the comparisons are
aligned once more with the new map). Marks go on the window's undo stack, so Edit > Undo
(Ctrl+Z) takes back the last mark like the last note.

Manual alignment (Link These, Unlink, Not a Match, Remove Manual Link) goes the same way: each
change is a :class:`LinksCommand` on that stack holding the pair's decisions before and after
(:mod:`app.core.workspace.links`), written to the user data and followed by a new alignment of the pair.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import QDialog, QMenu

from app.core.reading.model import Alignment, Article, Paragraph
from app.core.reuse.fingerprint import exact_hash
from app.core.workspace.links import (
    LINK,
    NOT_A_MATCH,
    ArticleKey,
    LinkError,
    ManualLink,
    PairLinks,
    decision,
    pair_for,
    refreshed,
    resolve,
    save_pair,
    with_decision,
)
from app.core.workspace.userdata import (
    PREVIEW,
    Mark,
    UserDataError,
    UserDataStore,
    apply_session_userdata,
    now_iso,
    source_counts,
    threshold_defaults,
)
from app.ui.preferences import PreferencesDialog
from app.ui.rowlayout import paragraph_label
from app.ui.sources import SourcesDialog
from app.ui.workers import GeneratorWorker, describe_error, while_alive

if TYPE_CHECKING:
    from app.core.workspace.corpus import (
        Corpus,  # the index engine: loaded on the index-writer thread
    )
    from app.ui.compareview import CompareView
    from app.ui.deltapanel import RelatedLabeller
    from app.ui.windowbase import WindowBase

KIND_LABELS = {"boilerplate": "Mark as Boilerplate", "content": "Mark as Content", None: "Clear Mark"}


class MarkCommand(QUndoCommand):
    """One paragraph's mark changed: the mark before and after (None: unmarked)."""

    def __init__(self, controller: OverridesController, store: UserDataStore, h: int,
                 before: Mark | None, after: Mark | None) -> None:
        super().__init__(KIND_LABELS[after.kind if after else None])
        self._controller = controller
        self._store = store
        self._hash = h
        self._before = before
        self._after = after

    def redo(self) -> None:
        """Apply the mark."""
        if not self._controller.write_mark(self._store, self._hash, self._after):
            self.setObsolete(True)

    def undo(self) -> None:
        """Put the previous mark back."""
        self._controller.write_mark(self._store, self._hash, self._before)


class LinksCommand(QUndoCommand):
    """The manual decisions about one pair of articles changed: the decisions before and after."""

    def __init__(self, controller: OverridesController, store: UserDataStore, pair: tuple[Article, Article],
                 before: list[ManualLink], after: list[ManualLink], text: str) -> None:
        super().__init__(text)
        self._controller = controller
        self._store = store
        self._pair = pair
        self._before = before
        self._after = after

    def redo(self) -> None:
        """Write the new decisions."""
        if not self._controller.write_links(self._store, self._pair, self._after, self.text()):
            self.setObsolete(True)

    def undo(self) -> None:
        """Put the previous decisions back."""
        self._controller.write_links(self._store, self._pair, self._before, f"Undid: {self.text()}")


class OverridesController(QObject):
    """Marks from the comparison views, and the Preferences and Sources dialogs, for one window.

    Args:
        window: The main window (its corpus, tabs, reuse docks and status bar are used).
        undo_stack: Where marks are pushed (default: the Notes dock's, the window's Edit > Undo).
        edit_menu: The menu the Sources and Preferences commands go in (None: shortcuts only).
        related_labeller: Labels the Related dock's rows; it labels them again when links or
            marks change (None: there is no such labelling).
    """

    marksChanged = Signal()  # a mark was written (or undone)
    linksChanged = Signal()  # manual links were written (or undone)
    thresholdsChanged = Signal()
    sourcesChanged = Signal()

    def __init__(self, window: WindowBase, undo_stack: QUndoStack | None = None, *,
                 edit_menu: QMenu | None = None, related_labeller: RelatedLabeller | None = None) -> None:
        super().__init__(window)
        self._window = window
        self.undo_stack = undo_stack or window.notes_panel.undo_stack
        self._connected: set[int] = set()
        self._realign_on_map = False

        self.preferences_action = QAction("&Preferences…", window)
        self.preferences_action.setShortcut(QKeySequence("Ctrl+,"))
        self.preferences_action.setStatusTip("Show and set the reuse model's thresholds for this corpus")
        self.preferences_action.triggered.connect(lambda: self.open_preferences())
        self.sources_action = QAction("S&ources…", window)
        self.sources_action.setStatusTip("Rename and merge the corpus's sources")
        self.sources_action.triggered.connect(lambda: self.open_sources())
        for action in (self.preferences_action, self.sources_action):
            window.addAction(action)
        if edit_menu is not None:
            edit_menu.addSeparator()
            edit_menu.addAction(self.sources_action)
            edit_menu.addAction(self.preferences_action)

        tabs = window.tabs
        tabs.contentChanged.connect(self._connect_views)
        window.reuse_docks.mapReady.connect(lambda _m: self._map_ready())
        window.comparisonReady.connect(self._report_links)
        if related_labeller is not None:  # Related's change labels follow the links and marks too
            self.linksChanged.connect(related_labeller.start)
            self.marksChanged.connect(related_labeller.start)
        # Open stories re-align their copies with the new links.
        self.linksChanged.connect(window.comparisons.rebuild_stories)
        self._connect_views()

    # ------------------------------------------------------------------ state

    def store(self) -> UserDataStore | None:
        """The open corpus's user-data store (None until the corpus is open)."""
        corpus = self._window.corpus()
        return corpus.userdata if corpus is not None else None

    def mark_of(self, paragraph: Paragraph) -> str | None:
        """``"boilerplate"``, ``"content"`` or None for a paragraph of the open corpus."""
        store = self.store()
        return store.data.mark_kind(exact_hash(paragraph.norm)) if store is not None else None

    def boilerplate(self, learned: Callable[[Paragraph], bool] | None) -> Callable[[Paragraph], bool] | None:
        """The aligner's boilerplate test with the marks laid over ``learned``.

        The rebuilt map applies the marks too; laying them over here shows a mark at once,
        before the map is ready.
        """
        store = self.store()
        rmap = self._window.reuse_docks.reuse_map()
        built_with = rmap.overrides.boilerplate if rmap is not None else frozenset()
        if store is None or not (store.data.marks or built_with):
            return learned
        overrides = store.data.overrides()
        forced, kept = overrides.boilerplate, overrides.content
        unforced = built_with - forced  # marks undone since the map was built: not boilerplate meanwhile

        def test(p: Paragraph) -> bool:
            h = exact_hash(p.norm)
            if h in kept or h in unforced:
                return False
            return h in forced or (learned is not None and learned(p))

        return test

    # ------------------------------------------------------------------ marks

    def _connect_views(self) -> None:
        for entry in self._window.tabs.entries():
            view = entry.view
            if view is None or id(view) in self._connected:
                continue
            self._connected.add(id(view))
            view.markRequested.connect(lambda side, para, kind, v=view: self.mark(v, side, para, kind))
            view.set_mark_lookup(self.mark_of)
            view.linkRequested.connect(lambda i, j, v=view: self.link(v, i, j))
            view.unlinkRequested.connect(lambda row, v=view: self.unlink_row(v, row))
            view.notMatchRequested.connect(lambda side, para, v=view: self.not_a_match(v, side, para))
            view.forgetLinkRequested.connect(lambda row, v=view: self.forget_link(v, row))

    def mark(self, view: CompareView, side: str, para: int, kind: str | None) -> bool:
        """Mark paragraph ``para`` of ``side`` in ``view`` (and every recurrence) as ``kind``
        (``"boilerplate"``, ``"content"``; None clears), undoably.

        Returns:
            True when the mark changed.
        """
        store = self.store()
        alignment = view.alignment()
        if store is None or alignment is None:
            self._status("Open the corpus first: marks are kept per corpus")
            return False
        article = alignment.left if side == "left" else alignment.right
        if not article.id or not 0 <= para < len(article.paragraphs):
            return False
        paragraph = article.paragraphs[para]
        h = exact_hash(paragraph.norm)
        if not h:
            self._status("This paragraph has no words to recognise it by")
            return False
        before = store.data.marks.get(h)
        if (before.kind if before else None) == kind:
            return False
        after = Mark(h, kind, " ".join(paragraph.text.split())[:PREVIEW], now_iso()) if kind else None
        self.undo_stack.push(MarkCommand(self, store, h, before, after))
        return True

    def write_mark(self, store: UserDataStore, h: int, mark: Mark | None) -> bool:
        """Write one mark (undo and redo come here); the views follow."""
        try:
            store.restore_mark(h, mark)
        except UserDataError as exc:
            self._window.show_error(f"Mark not saved: {exc}")
            return False
        if store.notice:
            self._status(store.notice)
            store.notice = None
        elif mark is None:
            self._status("Mark cleared; the learned model decides again (Ctrl+Z brings it back)")
        else:
            self._status(f"Marked as {mark.kind} wherever it recurs: “{mark.text[:50]}” (Ctrl+Z undoes)")
        self.marksChanged.emit()
        self._model_changed()
        return True

    # ------------------------------------------------------------------ manual links

    def _change_links(self, view: CompareView, text: str,
                      edit: Callable[[Article, Article, list[ManualLink]], list[ManualLink]]) -> bool:
        """Push one undoable change of the decisions about ``view``'s pair of articles."""
        store = self.store()
        alignment = view.alignment()
        if store is None or alignment is None or not (alignment.left.id and alignment.right.id):
            self._status("Open two articles of the corpus first: manual links are kept per corpus")
            return False
        left, right = alignment.left, alignment.right
        stored = pair_for(store.refresh(), left, right)
        before = list(stored.items) if stored else []
        try:
            after = edit(left, right, refreshed(before, left, right))
        except LinkError as exc:
            self._status(str(exc))
            return False
        if after == before:
            return False
        self.undo_stack.push(LinksCommand(self, store, (left, right), before, after, text))
        return True

    def link(self, view: CompareView, li: int, rj: int) -> bool:
        """Link These: hold left paragraph ``li`` and right ``rj`` in one row, undoably."""
        if li < 0 or rj < 0:
            self._status("Click a paragraph on each side, then Link These (Ctrl+L)")
            return False
        return self._change_links(
            view, f"Link left {paragraph_label((li,))} with right {paragraph_label((rj,))}",
            lambda lft, rgt, items: with_decision(items, decision(LINK, lft, li, rgt, rj)))

    def unlink_row(self, view: CompareView, row: int) -> bool:
        """Unlink: the paragraphs of display row ``row`` are not a match (a manual link there goes)."""
        r = view.display_row(row)
        if r is None or not r.is_match:
            return False

        def edit(lft: Article, rgt: Article, items: list[ManualLink]) -> list[ManualLink]:
            for i in r.left:
                for j in r.right:
                    items = with_decision(items, decision(NOT_A_MATCH, lft, i, rgt, j))
            return items

        return self._change_links(view, f"Unlink left {paragraph_label(r.left)} and right "
                                  f"{paragraph_label(r.right)}", edit)

    def not_a_match(self, view: CompareView, side: str, para: int) -> bool:
        """Not a Match: paragraph ``para`` of ``side`` is never linked with its row's partners."""
        partners = view._row_partners(side, para)
        if not partners:
            return False

        def edit(lft: Article, rgt: Article, items: list[ManualLink]) -> list[ManualLink]:
            for other in partners:
                i, j = (para, other) if side == "left" else (other, para)
                items = with_decision(items, decision(NOT_A_MATCH, lft, i, rgt, j))
            return items

        return self._change_links(view, f"Not a match: {side} {paragraph_label((para,))}", edit)

    def forget_link(self, view: CompareView, row: int) -> bool:
        """Remove Manual Link: the links holding display row ``row`` go; the aligner decides again."""
        r = view.display_row(row)
        if r is None:
            return False

        def edit(lft: Article, rgt: Article, items: list[ManualLink]) -> list[ManualLink]:
            found = resolve(PairLinks(ArticleKey.of(lft), ArticleKey.of(rgt), items), lft, rgt)
            return [x.link for x in found
                    if not (x.link.kind == LINK and x.left in r.left and x.right in r.right)]

        return self._change_links(view, f"Remove manual link of left {paragraph_label(r.left)}", edit)

    def write_links(self, store: UserDataStore, pair: tuple[Article, Article], items: list[ManualLink],
                    what: str) -> bool:
        """Write the decisions about one pair (undo and redo come here); its comparisons follow."""
        try:
            save_pair(store, pair[0], pair[1], items)
        except UserDataError as exc:
            self._window.show_error(f"Manual link not saved: {exc}")
            return False
        self._status(store.notice or f"{what} (Ctrl+Z undoes)")
        store.notice = None
        self.linksChanged.emit()
        self.realign()
        return True

    def _report_links(self, alignment: object) -> None:
        """Say when a pair's manual links had to be found again by text, or are stale."""
        plan = alignment.options.get("links") if isinstance(alignment, Alignment) else None
        if plan and (plan["stale"] or plan["reanchored"]):
            self._window.statusBar().showMessage(f"Manual links: {plan['summary']}", 15000)

    # ------------------------------------------------------------------ after a change

    # ------------------------------------------------------------------ sessions

    def session_userdata(self) -> dict[str, Any] | None:
        """The open corpus's marks, source names and thresholds, for a session file to carry."""
        store = self.store()
        return None if store is None or store.data.empty else store.data.to_json()

    def apply_session_userdata(self, corpus_root: str, data: dict[str, Any] | None) -> str | None:
        """Merge what a session carries into this machine's user data for its corpus (local
        decisions are kept); says what happened in the status bar and returns that line."""
        if not data:
            return None

        message, added = apply_session_userdata(corpus_root, data)
        corpus = self._window.corpus()
        if added and corpus is not None and corpus.root == Path(corpus_root).resolve():
            self.sources_changed()  # the listing's names, then the reuse map with the marks
            self._realign_on_map = True
        if message:
            self._status(message)
        return message

    def _model_changed(self) -> None:
        """Align the open comparisons again now, and rebuild the reuse map in the background."""
        self.realign()
        self._realign_on_map = True
        self._window.reuse_docks.refresh()

    def _map_ready(self) -> None:
        if self._realign_on_map:
            self._realign_on_map = False
            self.realign()

    def realign(self) -> None:
        """Align every open comparison again, keeping where each view was scrolled."""
        for entry in self._window.tabs.entries():
            view = entry.view
            alignment = view.alignment() if view is not None else None
            if entry.closed or alignment is None or not (alignment.left.id or alignment.right.id):
                continue
            entry.pending = entry.view_state()
            self._window.request_alignment(entry)

    # ------------------------------------------------------------------ dialogs

    def ask_thresholds(self, current: dict[str, int | float]) -> dict[str, int | float] | None:
        """Show the Preferences dialog; the values chosen, or None when cancelled (tests replace it)."""
        corpus = self._window.corpus()
        dialog = PreferencesDialog(current, corpus.name if corpus is not None else "", self._window)
        return dialog.values() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def open_preferences(self) -> bool:
        """Edit the thresholds of the open corpus; returns True when they changed."""

        store = self.store()
        if store is None:
            self._status("Open a corpus first: thresholds are kept per corpus")
            return False
        current = {k: v for k, v in asdict(store.data.reuse_thresholds()).items() if k in threshold_defaults()}
        values = self.ask_thresholds(current)
        if values is None or values == current:
            return False
        try:
            store.set_thresholds(values)
        except UserDataError as exc:
            self._window.show_error(f"Thresholds not saved: {exc}")
            return False
        self._status("Thresholds saved; rebuilding the reuse map…")
        self.thresholdsChanged.emit()
        self._model_changed()
        return True

    def show_sources(self, dialog: QDialog) -> None:
        """Run the Sources dialog (tests replace it)."""
        dialog.exec()

    def open_sources(self) -> GeneratorWorker | None:
        """Count the sources off the GUI thread, then show the Sources dialog."""
        corpus = self._window.corpus()
        if corpus is None:
            self._status("Open a corpus first: source names are kept per corpus")
            return None
        worker = GeneratorWorker.call(source_counts, corpus, name="sources")
        worker.signals.finished.connect(while_alive(self, lambda counts: self._show_sources(corpus, counts)))
        worker.signals.failed.connect(lambda exc: self._window.show_error(
            f"Cannot list the sources: {describe_error(exc)}"))
        self._window.jobs.submit(worker)
        return worker

    def _show_sources(self, corpus: Corpus, counts: object) -> None:
        if corpus is not self._window.corpus():
            return
        changed = []
        dialog = SourcesDialog(corpus.userdata, counts, self._window)  # type: ignore[arg-type]
        dialog.changed.connect(lambda: changed.append(True))
        self.show_sources(dialog)
        if changed:
            self.sources_changed()

    def sources_changed(self) -> None:
        """Show the new names: the listing comes again from the index, then the reuse map."""
        self.sourcesChanged.emit()
        self._status("Source names saved")
        if not self._window.is_indexing():
            self._window.start_indexing()  # re-lists (an unchanged folder is a no-op), then the map

    def _status(self, message: str) -> None:
        self._window.statusBar().showMessage(message, 6000)
