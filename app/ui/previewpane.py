"""The preview pane: the article of a selected search result, its query hits marked, read off the GUI thread."""

from __future__ import annotations

import html
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QTextBrowser, QVBoxLayout, QWidget

from app.core.reading.model import Role
from app.core.reading.text import WORD_RE
from app.ui.models import MARK_OPEN
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error, while_alive

if TYPE_CHECKING:
    from app.core.reading.model import Article
    from app.core.workspace.corpus import Corpus

MAX_PREVIEW_CHARS = 120_000  # of HTML, then the preview stops: setHtml of 300,000 holds the window ~100 ms
SLOW_READ_MS = 150  # a read taking longer than this says "Reading…" instead of showing the previous article
FIRST_HIT = "first-hit"
PLACEHOLDER = "Select a result to read it here"  # one short line: QTextEdit draws only its first, unwrapped


@dataclass(frozen=True, slots=True)
class PreviewText:
    """What a preview shows: its HTML (class-styled, colours come from the pane) and where hits are."""

    aid: str
    query: str
    title: str
    html: str
    hits: int  # words marked
    first_hit: int  # ¶ number of the first marked paragraph, 0 when none


def marked_paragraph(text: str, matcher: Callable[[str], bool] | None) -> tuple[str, int]:
    """``text`` HTML-escaped with the words ``matcher`` accepts marked as the snippets mark them."""
    if matcher is None:
        return html.escape(text, quote=False), 0
    out: list[str] = []
    pos = hits = 0
    # The words the comparison panes test against the query (ParagraphPane.query_spans).
    for m in WORD_RE.finditer(text):
        if matcher(m.group()):
            out += [html.escape(text[pos:m.start()], quote=False), MARK_OPEN,
                    html.escape(m.group(), quote=False), "</span>"]
            pos = m.end()
            hits += 1
    out.append(html.escape(text[pos:], quote=False))
    return "".join(out), hits


def preview_html(article: Article, query: str) -> PreviewText:
    """The preview of ``article`` with ``query``'s words marked (pure Python: runs on a worker)."""
    matcher = None
    if query:
        # Imported here for start-up time; loaded already by the search whose hit is previewed.
        from app.core.search.fulltext import term_matcher

        matcher = term_matcher(query)
    meta = [m for m in (article.source, article.author, article.date.isoformat() if article.date else "",
                        article.id) if m]
    parts = [f'<p class="meta">{html.escape(" · ".join(meta), quote=False)}</p>']
    size = hits = first = 0
    shown = [p for p in article.paragraphs if p.role is not Role.CHROME]  # as the snippets' ¶ numbers
    for n, para in enumerate(shown):
        if size > MAX_PREVIEW_CHARS:
            rest = len(shown) - n
            parts.append(f'<p class="meta">… {rest:,} more paragraph{"s" if rest != 1 else ""}: '
                         "open the article to read them.</p>")
            break
        body, found = marked_paragraph(para.text, matcher)
        size += len(body)  # marks included: what setHtml pays for
        anchor = ""
        if found and not first:
            first = para.index + 1
            anchor = f'<a name="{FIRST_HIT}"></a>'
        hits += found
        cls = {Role.TITLE: "title", Role.BYLINE: "byline"}.get(para.role, "body")
        parts.append(f'<p class="{cls}">{anchor}<span class="num">¶{para.index + 1}</span>&nbsp; '
                     f'{body.replace(chr(10), "<br>")}</p>')
    return PreviewText(article.id, query, article.title or article.id, "".join(parts), hits, first)


def _read(corpus: Corpus, aid: str, query: str) -> Callable[[Callable[[], bool]], Generator[Any, None, Any]]:
    def job(should_cancel: Callable[[], bool]) -> Generator[Any, None, Any]:
        if should_cancel():  # a newer selection came first: skip the read
            return None
        return preview_html(corpus.article(aid), query)
        yield  # makes this function a generator

    return job


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with "…" instead of widening its parent."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        """Show ``text``, elided to the label's width (the whole of it as the tooltip)."""
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        """The text before eliding."""
        return self._full

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(20, self.width())))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()


class PreviewPane(QWidget):
    """A read-only view of one article, paragraphs numbered, the query's words marked.

    :meth:`show_article` reads the file on a worker; an answer for an older request is dropped,
    and a failed read shows its message in the pane.
    """

    shown = Signal(object)  # PreviewText once on screen
    failed = Signal(str)  # the message shown for a failed read

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPane")
        self._pool = WorkerPool(1, self)
        self._generation = 0
        self._corpus: Corpus | None = None
        self._wanted: tuple[str, str] | None = None  # (id, query) asked for last
        self.text: PreviewText | None = None  # what is on screen
        self._slow = QTimer(self)
        self._slow.setSingleShot(True)
        self._slow.setInterval(SLOW_READ_MS)
        self._slow.timeout.connect(self._say_reading)

        self.message = QLabel(self)
        self.message.setObjectName("previewMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("previewText")
        self.browser.setOpenLinks(False)
        self.browser.setPlaceholderText(PLACEHOLDER)
        self.browser.setToolTip("The selected result, the query's words marked; Space in the results hides it")
        self._style()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.message)
        layout.addWidget(self.browser, 1)

    def set_corpus(self, corpus: Corpus | None) -> None:
        """Read articles from ``corpus`` (the pane is cleared)."""
        self._corpus = corpus
        self.clear()

    def clear(self) -> None:
        """Show nothing (the placeholder); a read under way is dropped."""
        self._generation += 1
        self._pool.cancel_all()
        self._slow.stop()
        self._wanted = None
        self.text = None
        self.message.hide()
        self.browser.clear()

    def wanted(self) -> tuple[str, str] | None:
        """The (article id, query) shown or being read, None when empty."""
        return self._wanted

    def show_article(self, aid: str, query: str) -> None:
        """Show article ``aid`` with ``query``'s words marked, reading it on a worker."""
        if self._wanted == (aid, query):
            return
        corpus = self._corpus
        if corpus is None:
            self.clear()
            return
        self._generation += 1
        generation = self._generation
        self._pool.cancel_all()
        self._wanted = (aid, query)
        self._slow.start()

        def finished(text: object) -> None:
            if generation == self._generation and isinstance(text, PreviewText):
                self._show(text)

        def failed(exc: object) -> None:
            if generation == self._generation and isinstance(exc, BaseException):
                self._fail(aid, exc)

        worker = GeneratorWorker(_read(corpus, aid, query), name="preview")
        worker.signals.finished.connect(while_alive(self, finished))
        worker.signals.failed.connect(while_alive(self, failed))
        self._pool.submit(worker)

    def _say_reading(self) -> None:
        self.text = None
        self.message.hide()
        self.browser.clear()
        self.browser.setPlaceholderText("Reading…")

    def _show(self, text: PreviewText) -> None:
        self._slow.stop()
        self.message.hide()
        self.browser.setPlaceholderText(PLACEHOLDER)
        self.text = text
        self.browser.setHtml(text.html)
        self.scroll_to_first_hit()
        self.shown.emit(text)

    def scroll_to_first_hit(self) -> None:
        """Bring the first paragraph holding a hit to the top (the top of the article when none)."""
        bar = self.browser.verticalScrollBar()
        bar.setValue(0)
        if self.text is None or not self.text.first_hit:
            return
        self.browser.scrollToAnchor(FIRST_HIT)
        # Two lines of what leads to the hit stay above it; a hit in the first screenful keeps the title in view.
        lead = 2 * self.browser.fontMetrics().lineSpacing()
        bar.setValue(0 if bar.value() < self.browser.viewport().height() // 2 else bar.value() - lead)

    def _fail(self, aid: str, exc: BaseException) -> None:
        self._slow.stop()
        self.text = None
        self.browser.clear()
        self.browser.setPlaceholderText("")
        message = f"Cannot preview {aid}: {describe_error(exc)}"
        self.message.setText(message)
        self.message.show()
        self.failed.emit(message)

    def _style(self) -> None:
        pal = self.palette()
        muted = pal.color(QPalette.ColorRole.PlaceholderText).name()
        self.browser.document().setDefaultStyleSheet(
            f".num {{ color: {muted}; font-size: small; }}"
            f".meta {{ color: {muted}; font-size: small; }}"
            f".byline {{ color: {muted}; }}"
            ".title { font-weight: 600; }"
            "p { margin-top: 0px; margin-bottom: 8px; }")

    def event(self, event: QEvent) -> bool:
        # The muted colours follow the theme: restyle and lay the text out again.
        if event.type() == QEvent.Type.PaletteChange:
            self._style()
            if self.text is not None:
                bar = self.browser.verticalScrollBar()
                value = bar.value()
                self.browser.setHtml(self.text.html)
                bar.setValue(value)
        return super().event(event)

    def wait_idle(self, msecs: int = 5000) -> bool:
        """Block until no read is running (used on close and by tests)."""
        return self._pool.wait(msecs)
