"""Comparisons and stories in the window's tabs: what each tab shows, worked out off the GUI thread.

:class:`ComparisonController` keeps the article references of every comparison tab, aligns them on
the worker pool (the newest request of a tab wins), finds the best match for an article, and opens
the story tabs; the window shows the results it reports. Every article resolves in the one
:class:`~app.core.workspace.corpus.Corpus` of the open folder (:meth:`IndexController.request_corpus`): a tab
asked for before it exists is aligned once it does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.core.compare.story import Story, StoryError, build_story
from app.core.reading.model import Alignment, Article
from app.core.sessions.session import StoryState
from app.core.workspace.links import align_with_links
from app.ui.comparetabs import CompareTabs, TabEntry
from app.ui.indexcontroller import IndexController
from app.ui.storyview import StoryView
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error, while_alive

if TYPE_CHECKING:
    from app.core.reading.model import Paragraph
    from app.core.reuse.reusemap import ReuseMap
    from app.core.workspace.corpus import Corpus

# The boilerplate test an alignment takes, asked for when it starts (None: not known yet).
Boilerplate = Callable[[], "Callable[[Paragraph], bool] | None"]


def _placeholder(side: str) -> Article:
    # An empty side lets one article be shown alone, every row "left only" / "right only".
    return Article(id="", path="", title=f"(open an article on the {side})")


class ComparisonController(QObject):
    """Opens articles in the comparison tabs and aligns them in the background; opens story tabs.

    Args:
        tabs: The comparison tabs (each entry holds its left and right references).
        jobs: The pool alignments and best-match searches run on.
        index: The open corpus (articles resolve in its Corpus, which is made on the index-writer thread).
        boilerplate: The boilerplate test to align with now (None: not known yet).
        reuse_map: The corpus reuse map, once fetched (stories are built from it).
        parent: The owning QObject.
    """

    ready = Signal(object, bool)  # Alignment shown, whether its tab is the current one
    failed = Signal(str)
    status = Signal(str)  # what the comparison line says while work runs ("": the work is over)
    message = Signal(str, int)  # a passing status-bar message and its duration in ms
    error = Signal(str)
    storyOpened = Signal(object)  # StoryView

    def __init__(self, tabs: CompareTabs, jobs: WorkerPool, index: IndexController,
                 boilerplate: Boilerplate, reuse_map: Callable[[], ReuseMap | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tabs = tabs
        self._jobs = jobs
        self._index = index
        self._boilerplate = boilerplate
        self._reuse_map = reuse_map
        self._waiting: list[TabEntry] = []  # asked for before the Corpus existed
        index.corpusReady.connect(self._corpus_ready)
        index.corpusFailed.connect(self._corpus_failed)

    # ------------------------------------------------------------------ what is open

    def refs(self) -> tuple[str | None, str | None]:
        """What is open on the left and right of the current tab (ids or file paths)."""
        refs = self._tabs.current_entry().refs
        return refs[0], refs[1]

    def _set_refs(self, refs: list[str | None]) -> None:
        self._tabs.current_entry().refs = list(refs)

    # ------------------------------------------------------------------ commands

    def open_article(self, ref: str, side: str = "left") -> None:
        """Open an article (id, id prefix or file path) on one side, keeping the other."""
        self._tabs.show_comparison()
        self._tabs.current_entry().refs[0 if side == "left" else 1] = ref
        self.start()

    def compare(self, left: str, right: str) -> None:
        """Compare two articles (ids, id prefixes or file paths) in the current tab."""
        self._tabs.show_comparison()
        self._set_refs([left, right])
        self.start()

    def realign(self) -> None:
        """Align the current comparison again (the reuse map changed), keeping its row and scroll."""
        self._tabs.show_comparison()
        self.start(keep_view=True)

    def swap_sides(self) -> None:
        """Exchange left and right (the alignment is computed again from the other side)."""
        refs = self._tabs.current_entry().refs
        if any(refs):
            refs.reverse()
            self.start()

    def compare_in_own_tab(self, left: str, right: str = "") -> None:
        """Open ``left`` against ``right`` ("": nothing yet on the right) in a new tab."""
        self._tabs.new_tab([left, right or None])
        self.start()
        self.message.emit("Opened in a new tab (Ctrl+W closes it)", 4000)

    def compare_in_new_tab(self, left: str, right: str) -> None:
        """Compare in a new tab when the current one already shows a comparison, else in it."""
        al = self._tabs.current_view().alignment()
        if al is not None and al.left.id and al.right.id and {al.left.id, al.right.id} != {left, right}:
            self._tabs.new_tab([left, right])
            self.start()
            self.message.emit("Opened in a new tab (Ctrl+W closes it)", 4000)
        else:
            self.compare(left, right)

    def dropped(self, side: str, items: list[str]) -> None:
        """Files or ids dropped on a side: two or more compare, one opens on that side."""
        refs = [str(i) for i in items if str(i).strip()]
        if not refs:
            return
        if len(refs) >= 2:
            self.compare(refs[0], refs[1])
        else:
            self.open_article(refs[0], side)

    # ------------------------------------------------------------------ aligning

    def start(self, entry: TabEntry | None = None, *, keep_view: bool = False) -> None:
        """Align a tab's articles (default: the current tab's) in the background and show them there.

        With ``keep_view`` the new alignment keeps the row and scroll the tab shows when it arrives
        (else it opens at the top, or at the first hit of the tab's query).
        """
        entry = entry or self._tabs.current_entry()
        entry.generation += 1  # an alignment already running for this tab is not shown
        generation = entry.generation
        if entry is self._tabs.current_entry():
            self.status.emit("Aligning…")
        corpus = self._index.request_corpus()
        if corpus is None:
            # Aligned as soon as the index-writer thread has made the Corpus (files resolve
            # before the index is open, so this is well before the article list shows).
            if not any(e is entry for e in self._waiting):
                self._waiting.append(entry)
            return
        left_ref, right_ref = entry.refs
        boilerplate = self._boilerplate()

        def run() -> Alignment:
            left = corpus.resolve(left_ref) if left_ref else _placeholder("left")
            right = corpus.resolve(right_ref) if right_ref else _placeholder("right")
            # With the pair's manual links, not-a-match pairs and the paragraph marks.
            return align_with_links(corpus, left, right, boilerplate=boilerplate)

        worker = GeneratorWorker.call(run, name="align")
        worker.signals.finished.connect(while_alive(self, lambda al: self._done(entry, generation, al, keep_view)))
        worker.signals.failed.connect(while_alive(self, lambda exc: self._failed(entry, generation, exc)))
        self._jobs.submit(worker)

    def _corpus_ready(self, _corpus: Corpus) -> None:
        waiting, self._waiting = self._waiting, []
        for entry in waiting:
            if not entry.closed:
                self.start(entry)

    def _corpus_failed(self, message: str) -> None:
        waiting, self._waiting = self._waiting, []
        for entry in waiting:
            self._failed(entry, entry.generation, message)

    def _done(self, entry: TabEntry, generation: int, alignment: object, keep_view: bool = False) -> None:
        if generation != entry.generation or not isinstance(alignment, Alignment):
            return
        if keep_view:
            # Read now, not when asked: the analyst may have moved meanwhile.
            entry.pending = entry.view_state()
        shown = self._tabs.show_alignment(entry, alignment)
        if shown is None:
            return
        if shown.query and shown.pending is None and shown.view is not None:
            shown.view.first_query_hit()  # opened from a search: straight to the first hit
        self.ready.emit(alignment, shown is self._tabs.current_entry())

    def _failed(self, entry: TabEntry, generation: int, exc: object) -> None:
        if generation != entry.generation or entry.closed:
            return
        message = describe_error(exc) if isinstance(exc, BaseException) else str(exc)
        self.failed.emit(message)

    # ------------------------------------------------------------------ stories

    def open_story(self, aid: str, base: str | None = None, notes: str = "") -> StoryView:
        """Open the story of ``aid`` (all its copies against the likely origin, or ``base``) in a tab."""
        view = StoryView(aid, self.build_story, self._jobs, base=base, notes=notes,
                         start=self._reuse_map() is not None, file_of=self._file_of, parent=self._tabs)
        view.compareRequested.connect(self.compare_in_new_tab)
        view.messageShown.connect(lambda text, error: self.error.emit(text) if error else self.message.emit(text, 6000))
        view.storyShown.connect(lambda story, v=view: self._tabs.set_story_label(
            v, v.title(), f"{story.summary()}\nlikely origin: {story.origin or 'unknown'} ({story.origin_reason})"))
        view.changed.connect(self._tabs.contentChanged)
        self._tabs.add_story_tab(view, "Story…", f"Story of {aid}")
        self.storyOpened.emit(view)
        return view

    def story_views(self) -> list[StoryView]:
        """The open story tabs, in tab order."""
        return [w for w in self._tabs.story_tabs() if isinstance(w, StoryView)]

    def story_states(self) -> list[StoryState]:
        """The story tabs as a session saves them (the base only when the analyst chose it)."""
        return [StoryState(v.aid, v.story.base if v.story is not None and v.story.base != v.story.origin
                           else v.requested_base, v.notes_text()) for v in self.story_views()]

    def restore_stories(self, stories: list[StoryState]) -> None:
        """Reopen a session's story tabs (the tab current before stays current)."""
        current = self._tabs.currentWidget()
        for s in stories:
            self.open_story(s.id, s.base, s.notes)
        if current is not None and stories:
            self._tabs.setCurrentWidget(current)

    def rebuild_stories(self) -> None:
        """Build every open story again (a new reuse map, or new manual links)."""
        for view in self.story_views():
            view.rebuild(view.requested_base)

    def _file_of(self, aid: str) -> Path:
        corpus = self._index.corpus()
        return corpus.file_of(aid) if corpus else Path(aid)

    def build_story(self, aid: str, base: str | None, should_cancel: Callable[[], bool]) -> Story:
        """The story of ``aid`` against ``base`` (None: the likely origin); a story tab's job, run off the GUI thread.

        Raises:
            StoryError: the reuse map is not ready yet.
        """
        corpus, rmap = self._index.corpus(), self._reuse_map()
        if corpus is None or rmap is None:
            raise StoryError("the reuse map is not ready yet; the story opens when it is")
        aid = corpus.resolve(aid).id
        base = corpus.resolve(base).id if base else None
        return build_story(rmap, corpus.article, aid, base, should_cancel=should_cancel,
                           userdata=corpus.userdata.refresh())  # manual links hold in the story

    # ------------------------------------------------------------------ best match

    def best_match(self, ref: str | None) -> None:
        """Open on the right the article sharing the most text with ``ref``."""
        corpus = self._index.corpus()
        if not ref:
            self.message.emit("Open an article on the left first", 4000)
            return
        if corpus is None:
            self.message.emit("The index is still opening; try again in a moment", 4000)
            return
        self.status.emit("Looking for the best match…")

        def run() -> str | None:
            # Imported here for start-up time: best match loads the index engine (Whoosh) on the worker.
            from app.core.compare.bestmatch import best_match

            return best_match(corpus, corpus.resolve(ref))

        def found(match: object) -> None:
            if isinstance(match, str):
                self.compare(ref, match)
            else:
                self.status.emit("")
                self.message.emit(f"No other article shares text with {ref}", 6000)

        worker = GeneratorWorker.call(run, name="best match")
        worker.signals.finished.connect(while_alive(self, found))
        worker.signals.failed.connect(while_alive(self, lambda exc: self.error.emit(f"Best match failed: {describe_error(exc)}")))
        self._jobs.submit(worker)
