"""The Other Versions dock: every article carrying a passage, verbatim or edited.

Filled by :meth:`VersionsPanel.find` (a paragraph of the comparison: right-click > Find Other
Versions), by :meth:`VersionsPanel.find_text` (text selected in a pane by dragging: right-click >
Find Other Versions of Selection) or by a passage pasted into its field. Each version shows its similarity, outlet and
date, and its wording with the words that differ from the passage marked; a click opens the
comparison of the passage's article with that version in a new tab. The lookup runs on a worker
thread (the reuse fingerprints are read where the index writer keeps them).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.compare.passages import PassageError, corpus_versions
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error, while_alive

if TYPE_CHECKING:
    from app.core.compare.passages import PassageMatch, PassageResult
    from app.core.workspace.corpus import Corpus
    from app.ui.windowbase import WindowBase

_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def marked_html(text: str, marks: tuple[tuple[int, int], ...]) -> str:
    """``text`` escaped, with the ranges in ``marks`` in bold on a highlight."""
    out, pos = [], 0
    for s, e in sorted(marks):
        if s < pos:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<b style='background:rgba(230,160,0,0.35)'>{html.escape(text[s:e])}</b>")
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n\n", "<br>")


class VersionsPanel(QDockWidget):
    """The Other Versions dock (View > Other Versions)."""

    compareRequested = Signal(str, str)  # the passage's article (or the version) and the version
    resultShown = Signal(object)  # PassageResult

    def __init__(self, pool: WorkerPool, parent: QWidget | None = None,
                 corpus: Callable[[], Corpus | None] | None = None) -> None:
        super().__init__("Other Versions", parent)
        self.setObjectName("versionsDock")
        self._pool = pool
        self._corpus = corpus or (lambda: None)
        self._generation = 0
        self.result: PassageResult | None = None
        self.source_name: Callable[[str], str] = lambda s: s

        body = QWidget(self)
        box = QVBoxLayout(body)
        box.setContentsMargins(6, 6, 6, 6)
        self.summary = QLabel("Right-click a paragraph (or select text in it) and choose Find Other Versions, "
                              "or paste a passage.", body)
        self.summary.setObjectName("versionsSummary")
        self.summary.setWordWrap(True)
        box.addWidget(self.summary)
        row = QHBoxLayout()
        self.text_edit = QLineEdit(body)
        self.text_edit.setObjectName("versionsText")
        self.text_edit.setPlaceholderText("Paste a passage to find where else it appears")
        self.text_edit.returnPressed.connect(lambda: self.find_text(self.text_edit.text()))
        find = QPushButton("Find", body)
        find.clicked.connect(lambda: self.find_text(self.text_edit.text()))
        row.addWidget(self.text_edit, 1)
        row.addWidget(find)
        box.addLayout(row)
        self.list = QListWidget(body)
        self.list.setObjectName("versionsList")
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setToolTip("Click a version to compare it in a new tab")
        self.list.itemClicked.connect(self._clicked)
        self.list.itemActivated.connect(self._clicked)
        box.addWidget(self.list, 1)
        self.setWidget(body)

    # ------------------------------------------------------------------ asking

    def find_paragraph(self, aid: str, paragraph: int) -> None:
        """Look up paragraph ``paragraph`` (1-based) of article ``aid``."""
        self._start(lambda c: _versions(c, aid=aid, paragraph=paragraph), f"¶{paragraph} of {aid}")

    def find_text(self, text: str, origin: str = "") -> None:
        """Look up a passage of text (taken from article ``origin``, which is left out, if given)."""
        if text.strip():
            self._start(lambda c: _versions(c, aid=origin, text=text),
                        f"the selection in {origin}" if origin else "the passage")

    def _start(self, job: Callable[[Corpus], PassageResult], what: str) -> None:
        corpus = self._corpus()
        self.show()
        self.raise_()
        if corpus is None:
            self.summary.setText("Open a corpus first.")
            return
        self._generation += 1
        generation = self._generation
        self.summary.setText(f"Looking for other versions of {what}…")
        self.list.clear()

        def finished(result: object) -> None:
            if generation == self._generation:
                self.show_result(result)  # type: ignore[arg-type]

        def failed(exc: object) -> None:
            if generation == self._generation and isinstance(exc, BaseException):
                self.summary.setText(str(exc) if isinstance(exc, PassageError) else describe_error(exc))

        worker = GeneratorWorker.call(lambda: job(corpus), name="versions")
        worker.signals.finished.connect(while_alive(self, finished))
        worker.signals.failed.connect(while_alive(self, failed))
        self._pool.submit(worker)

    # ------------------------------------------------------------------ showing

    def show_result(self, result: PassageResult) -> None:
        """List the versions of a passage, most similar first."""
        self.result = result
        self.list.clear()
        n = len(result.matches)
        same = sum(m.identical for m in result.matches)
        where = f" of ¶{result.origin_paragraph + 1} of {result.origin}" if result.origin and \
            result.origin_paragraph is not None else ""
        self.summary.setText(f"{n} other article{'s' if n != 1 else ''} carr{'y' if n != 1 else 'ies'} "
                             f"this passage{where}: {same} verbatim, {n - same} edited" if n
                             else "No other article carries this passage.")
        for m in result.matches:
            self._add(m)
        self.resultShown.emit(result)

    def _add(self, m: PassageMatch) -> None:
        item = QListWidgetItem(self.list)
        item.setData(_ID_ROLE, m.id)
        label = QLabel(self.list)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        kind = "verbatim" if m.identical else "not compared" if m.changes is None else \
            f"{len(m.changes)} change{'s' if len(m.changes) != 1 else ''}"
        paras = ", ".join(f"¶{p + 1}" for p in m.paragraphs)
        head = (f"<b>{m.similarity * 100:.0f} %</b> · {html.escape(self.source_name(m.source) or 'unknown source')}"
                f" · {html.escape(m.date or 'undated')} · {paras} · <i>{kind}</i><br>"
                f"<span style='color:gray'>{html.escape(m.title)}</span>")
        body = "" if m.identical or not m.text else f"<br>{marked_html(m.text, m.marks)}"
        label.setText(head + body)
        label.setContentsMargins(4, 4, 4, 4)
        tip = "\n".join(f"{c.tag}: {c.passage or '—'} → {c.version or '—'}" for c in (m.changes or ())[:20])
        item.setToolTip(f"{m.id}\n{tip}".strip())
        label.setFixedWidth(max(200, self.list.viewport().width() - 8))
        label.adjustSize()
        item.setSizeHint(label.sizeHint())
        self.list.setItemWidget(item, label)

    def version_ids(self) -> list[str]:
        """The ids listed, in order."""
        return [self.list.item(i).data(_ID_ROLE) for i in range(self.list.count())]

    def _clicked(self, item: QListWidgetItem) -> None:
        other = item.data(_ID_ROLE)
        origin = self.result.origin if self.result is not None else ""
        if other:
            self.compareRequested.emit(origin or other, other if origin else "")


def _versions(corpus: Corpus, **kw: Any) -> PassageResult:
    result = corpus_versions(corpus, **kw)
    names = corpus.userdata.refresh().source
    result.matches = [replace(m, source=names(m.source)) for m in result.matches]
    return result


def install(window: WindowBase) -> VersionsPanel:
    """Add the Other Versions dock to ``window``: Find Other Versions in every pane's context
    menu, View > Other Versions, and a click on a version opens its comparison in a new tab."""
    # The index-writer thread keeps the reuse fingerprints in step with the index: read them there.
    panel = VersionsPanel(window.writer, window, corpus=window.corpus)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
    related = getattr(getattr(window, "reuse_docks", None), "related", None)
    if related is not None:
        window.tabifyDockWidget(related, panel)
        related.raise_()
    panel.hide()
    action = panel.toggleViewAction()
    action.setShortcut(QKeySequence("Ctrl+Shift+V"))
    action.setStatusTip("Every article carrying a passage, verbatim or edited")
    window.addAction(action)
    menu = getattr(window, "view_menu", None)
    if menu is not None:
        menu.addAction(action)
    panel.compareRequested.connect(window.compare_in_own_tab)
    connected: set[int] = set()

    def names() -> None:
        corpus = window.corpus()
        if corpus is not None:
            panel.source_name = corpus.userdata.refresh().source

    def connect_views() -> None:
        for entry in window.tabs.entries():
            view = entry.view
            if view is None or id(view) in connected:
                continue
            connected.add(id(view))
            for pane in (view.left_pane, view.right_pane):
                pane.versionsRequested.connect(lambda para, p=pane: ask(p, para))
                pane.selectionVersionsRequested.connect(lambda text, p=pane: ask_text(p, text))

    def ask(pane: Any, para: int) -> None:
        article = pane.article()
        if article is not None:
            panel.find_paragraph(article.id, para + 1)

    def ask_text(pane: Any, text: str) -> None:
        article = pane.article()
        panel.find_text(text, article.id if article is not None else "")

    window.tabs.contentChanged.connect(connect_views)
    connect_views()
    window.corpusLoaded.connect(lambda _c: names())
    return panel
