"""Comparisons in the window's tabs: what each tab shows, aligned off the GUI thread, and best match.

:class:`ComparisonController` keeps the article references of every comparison tab, aligns them on
the worker pool (the newest request of a tab wins) and finds the best match for an article; the
window shows the results it reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.core.align import align
from app.core.links import align_pair
from app.core.model import Alignment, Article
from app.core.paths import default_corpus
from app.core.story import Story, StoryError, build_story
from app.ui import settings
from app.ui.comparetabs import CompareTabs, TabEntry
from app.ui.indexcontroller import IndexController
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error

if TYPE_CHECKING:
    from app.core.model import Paragraph
    from app.core.reuse import ReuseMap

Boilerplate = Callable[[], "Callable[[Paragraph], bool] | None"]


def _placeholder(side: str) -> Article:
    # An empty side lets one article be shown alone, every row "left only" / "right only".
    return Article(id="", path="", title=f"(open an article on the {side})")


class ComparisonController(QObject):
    """Opens articles in the comparison tabs and aligns them in the background.

    Args:
        tabs: The comparison tabs (each entry holds its left and right references).
        jobs: The pool alignments and best-match searches run on.
        index: The open corpus (articles resolve without it while it loads).
        boilerplate: The boilerplate test to align with now (None: not known yet).
        reuse_map: The corpus reuse map, once fetched (stories are built from it).
        parent: The owning QObject.
    """

    ready = Signal(object, bool)  # Alignment shown, whether its tab is the current one
    failed = Signal(str)
    status = Signal(str)  # what the comparison line says while work runs ("": the work is over)
    message = Signal(str, int)  # a passing status-bar message and its duration in ms
    error = Signal(str)

    def __init__(self, tabs: CompareTabs, jobs: WorkerPool, index: IndexController,
                 boilerplate: Boilerplate, reuse_map: Callable[[], ReuseMap | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tabs = tabs
        self._jobs = jobs
        self._index = index
        self._boilerplate = boilerplate
        self._reuse_map = reuse_map

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

    def dropped(self, side: str, items: list) -> None:
        """Files or ids dropped on a side: two or more compare, one opens on that side."""
        refs = [str(i) for i in items if str(i).strip()]
        if not refs:
            return
        if len(refs) >= 2:
            self.compare(refs[0], refs[1])
        else:
            self.open_article(refs[0], side)

    # ------------------------------------------------------------------ aligning

    def start(self, entry: TabEntry | None = None) -> None:
        """Align a tab's articles (default: the current tab's) in the background and show them there."""
        corpus, index_dir = self._index.corpus(), self._index.index_dir()
        root = self._index.root() or default_corpus()
        follow = settings.follow_links_outside(root)
        entry = entry or self._tabs.current_entry()
        left_ref, right_ref = entry.refs
        boilerplate = self._boilerplate()
        entry.generation += 1
        generation = entry.generation
        if entry is self._tabs.current_entry():
            self.status.emit("Aligning…")

        def run() -> Alignment:
            # Imported here for start-up time: the index engine (Whoosh) loads on a worker
            # thread, never on the GUI thread at launch.
            from app.core.corpus import Corpus

            # Files resolve without the index, so a comparison can open while it loads.
            nonlocal corpus
            corpus = corpus or Corpus(root, index_dir, follow_links_outside=follow)
            left = corpus.resolve(left_ref) if left_ref else _placeholder("left")
            right = corpus.resolve(right_ref) if right_ref else _placeholder("right")
            # With the pair's manual links and the paragraph marks.
            return align_pair(left, right, corpus.userdata.refresh(), boilerplate=boilerplate, aligner=align)

        worker = GeneratorWorker.call(run, name="align")
        worker.signals.finished.connect(lambda al: self._done(entry, generation, al))
        worker.signals.failed.connect(lambda exc: self._failed(entry, generation, exc))
        self._jobs.submit(worker)

    def _done(self, entry: TabEntry, generation: int, alignment: object) -> None:
        if generation != entry.generation or not isinstance(alignment, Alignment):
            return
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
            from app.core.bestmatch import best_match

            return best_match(corpus, corpus.resolve(ref))

        def found(match: object) -> None:
            if isinstance(match, str):
                self.compare(ref, match)
            else:
                self.status.emit("")
                self.message.emit(f"No other article shares text with {ref}", 6000)

        worker = GeneratorWorker.call(run, name="best match")
        worker.signals.finished.connect(found)
        worker.signals.failed.connect(lambda exc: self.error.emit(f"Best match failed: {describe_error(exc)}"))
        self._jobs.submit(worker)
