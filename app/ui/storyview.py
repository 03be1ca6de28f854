"""The story tab: one story across all its copies (presents :mod:`app.core.compare.story`).

The base text runs down the middle, each paragraph with a heat strip (how many copies carry
it, how many changed it); the copies are listed on the left with outlet, date, change label
and % retained; on the right, the collation of the clicked paragraph, the variants table (kind
filter, CSV export), the spread timeline (marks coloured by version, derivation edges with
their evidence as tooltips) and the story's notes. The story is built on a worker thread;
collating a paragraph takes well under a millisecond and runs where it is clicked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Generator
from datetime import date as Date
from html import escape
from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QHelpEvent,
    QIcon,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QToolTip,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.compare.story import (
    FAMILY_COLOURS,
    SORT_KEYS,
    VARIANT_KINDS,
    CollationLine,
    Story,
    TimelineMark,
    write_variants_csv,
)
from app.core.sessions.report import story_report_html, story_report_title
from app.core.storage import fsguard
from app.core.storage.atomic import atomic_write_text
from app.ui.palette import ViewColours, colours
from app.ui.pdfexport import write_pdf
from app.ui.workers import GeneratorWorker, WorkerPool, describe_error, while_alive

# build(aid, base, should_cancel) -> Story, run on a worker thread.
Builder = Callable[[str, str | None, Callable[[], bool]], Story]
ALL_KINDS = "All kinds"
HTML_FILTER = "HTML report (*.html)"  # as the comparison's export dialog
PDF_FILTER = "PDF report (*.pdf)"
HEAT_SIZE = QSize(44, 14)


def family_colour(family: int) -> QColor:
    """The colour of a version family (the same as in the reports)."""
    return QColor(FAMILY_COLOURS[family % len(FAMILY_COLOURS)])


def heat_pixmap(identical: int, changed: int, copies: int, size: QSize = HEAT_SIZE) -> QPixmap:
    """A strip: green for the copies carrying the paragraph unchanged, orange changed, grey lacking it."""
    pix = QPixmap(size)
    pix.fill(QColor("#d9d9d9"))
    if copies:
        p = QPainter(pix)
        w = size.width()
        same = round(w * identical / copies)
        diff = round(w * changed / copies)
        p.fillRect(0, 0, same, size.height(), QColor("#2e7d32"))
        p.fillRect(same, 0, diff, size.height(), QColor("#ef6c00"))
        p.end()
    return pix


def _segments_html(line: CollationLine, colours: ViewColours) -> str:
    """A copy's reading with its changed words marked in the palette's word colours (legible in dark too)."""
    deleted, inserted = colours.deleted.name(), colours.inserted.name()
    out = []
    for s in line.segments:
        if s.tag == "equal":
            out.append(escape(s.copy))
        elif s.tag == "delete":
            out.append(f'<span style="background:{deleted};text-decoration:line-through">{escape(s.base)}</span> ')
        elif s.tag == "insert":
            out.append(f'<span style="background:{inserted}">{escape(s.copy)}</span>')
        else:
            out.append(f'<span style="background:{deleted};text-decoration:line-through">{escape(s.base)}</span>'
                       f'<span style="background:{inserted}">{escape(s.copy)}</span>')
    return "".join(out)


def _day(text: str) -> Date | None:
    try:
        return Date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


class TimelineWidget(QWidget):
    """Copies on a time axis by date, coloured by version; derivation edges drawn between them.

    Undated copies sit in their own column at the right, never placed by guess. Hovering a
    mark or an edge shows its evidence.
    """

    markClicked = Signal(str)

    MARGIN = 28
    RADIUS = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storyTimeline")
        self.setMouseTracking(True)
        self.setMinimumHeight(160)
        self._story: Story | None = None
        self._marks: list[TimelineMark] = []
        self._pos: dict[str, QPointF] = {}

    def set_story(self, story: Story | None) -> None:
        """Show ``story``'s spread."""
        self._story = story
        self._marks = story.timeline() if story is not None else []
        self._layout()
        self.update()

    def positions(self) -> dict[str, QPointF]:
        """Centre of each copy's mark (for tests and tooltips)."""
        return dict(self._pos)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._layout()

    def _layout(self) -> None:
        self._pos = {}
        day_of = {m.id: _day(m.date) for m in self._marks}
        dated = [(m, d) for m in self._marks if (d := day_of[m.id]) is not None]
        undated = [m for m in self._marks if day_of[m.id] is None]  # no date, or one that does not parse
        days = sorted({d for _m, d in dated})
        w, h = self.width(), self.height()
        left, right = self.MARGIN + 30, w - self.MARGIN - (70 if undated else 0)
        top, bottom = self.MARGIN, h - self.MARGIN - 16
        span = max((days[-1] - days[0]).days, 1) if days else 1
        stack: dict[str, int] = {}
        step = 2 * self.RADIUS + 3
        for m, d in dated:
            x = left + (right - left) * (d - days[0]).days / span if len(days) > 1 else (left + right) / 2
            k = stack.get(m.date, 0)
            stack[m.date] = k + 1
            self._pos[m.id] = QPointF(x, bottom - k * step)
        for k, m in enumerate(undated):
            self._pos[m.id] = QPointF(w - self.MARGIN - 20, bottom - k * step)
        self._days = days
        self._axis = (left, right, top, bottom)

    def paintEvent(self, _event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        if self._story is None:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Building the story…")
            return
        left, right, _top, bottom = self._axis
        p.setPen(QPen(text, 1))
        p.drawLine(int(left), int(bottom + 10), int(right), int(bottom + 10))
        if self._days:
            span = max((self._days[-1] - self._days[0]).days, 1)
            last_end = -1e9
            for d in self._days:  # a tick per day with copies; a label where it fits
                x = left + (right - left) * (d - self._days[0]).days / span if len(self._days) > 1 else (left + right) / 2
                p.drawLine(int(x), int(bottom + 7), int(x), int(bottom + 13))
                box = QRectF(min(max(x - 40, 0), self.width() - 80), bottom + 14, 80, 16)
                if box.left() > last_end + 6:
                    p.drawText(box, Qt.AlignmentFlag.AlignCenter, d.isoformat())
                    last_end = box.right()
        if len(self._pos) and any(_day(m.date) is None for m in self._marks):
            p.drawText(QRectF(self.width() - self.MARGIN - 60, bottom + 12, 80, 16),
                       Qt.AlignmentFlag.AlignCenter, "undated")
        for e in self._story.edges:
            a, b = self._pos.get(e.parent), self._pos.get(e.child)
            if a is None or b is None:
                continue
            pen = QPen(text, 1.4 if e.directed else 1.0)
            if not e.directed:
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            path = QPainterPath(a)
            mid = QPointF((a.x() + b.x()) / 2, min(a.y(), b.y()) - 30)
            path.quadTo(mid, b)
            p.drawPath(path)
            if e.directed:
                p.setBrush(text)
                p.drawEllipse(b + QPointF(0, -self.RADIUS - 2), 2.5, 2.5)
                p.setBrush(Qt.BrushStyle.NoBrush)
        for m in self._marks:
            c = self._pos[m.id]
            p.setPen(QPen(text, 2 if m.role in ("origin", "base") else 0.8))
            p.setBrush(family_colour(m.family))
            p.drawEllipse(c, self.RADIUS, self.RADIUS)
        p.end()

    def tip_at(self, pos: QPointF) -> str:
        """The tooltip for a point: the copy under it with its derivation, or the edge's evidence."""
        if self._story is None:
            return ""
        for m in self._marks:
            c = self._pos.get(m.id)
            if c is not None and (c - pos).manhattanLength() <= self.RADIUS + 3:
                lines = [f"{m.outlet} · {m.date or 'undated'} · version {m.family + 1}"
                         + (" · likely origin" if m.role == "origin" else " · base" if m.role == "base" else ""),
                         m.id]
                for e in self._story.edges:
                    if m.id in (e.parent, e.child):
                        lines.append(("derives: " if e.directed and e.child == m.id else "")
                                     + e.evidence)
                return "\n".join(lines)
        for e in self._story.edges:
            a, b = self._pos.get(e.parent), self._pos.get(e.child)
            if a is None or b is None:
                continue
            mid = QPointF((a.x() + b.x()) / 2, min(a.y(), b.y()) - 15)
            if (mid - pos).manhattanLength() <= 14:
                return f"{e.evidence}\n" + "\n".join(e.edits[:6])
        return ""

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            tip = self.tip_at(QPointF(event.pos()))
            if tip:
                QToolTip.showText(event.globalPos(), tip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for m in self._marks:
            c = self._pos.get(m.id)
            if c is not None and (c - event.position()).manhattanLength() <= self.RADIUS + 3:
                self.markClicked.emit(m.id)
                return
        super().mousePressEvent(event)


class StoryView(QWidget):
    """One story tab.

    Args:
        aid: The article the story was opened from.
        build: Builds the story (on a worker thread).
        pool: Where the work runs.
        base: The base to start from (default: the likely origin).
        notes: The story's notes (restored from a session).
        file_of: The file of an article id (for the report's SHA-256 and the CSV's inputs).
    """

    compareRequested = Signal(str, str)  # base id, copy id
    storyShown = Signal(object)  # Story
    failed = Signal(str)
    changed = Signal()  # base or notes changed (the session is modified)

    def __init__(self, aid: str, build: Builder, pool: WorkerPool, *, base: str | None = None,
                 notes: str = "", file_of: Callable[[str], Path] | None = None, start: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("storyView")
        self.aid = aid
        self.requested_base = base
        self._build = build
        self._pool = pool
        self._file_of = file_of
        self._worker: GeneratorWorker | None = None
        self._generation = 0
        self.story: Story | None = None
        self._paragraph: int | None = None

        self.header = QLabel("Building the story…", self)
        self.header.setObjectName("storyHeader")
        self.header.setWordWrap(True)
        self.base_box = QComboBox(self)
        self.base_box.setObjectName("storyBase")
        self.base_box.setToolTip("The copy the others are read against")
        self.sort_box = QComboBox(self)
        self.sort_box.setObjectName("storySort")
        self.sort_box.addItems([f"by {k}" for k in SORT_KEYS])
        self.compare_button = QPushButton("Compare with base", self)
        self.compare_button.setToolTip("Open the selected copy against the base as a comparison tab")
        self.report_button = QPushButton("Export report…", self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Base:", self))
        bar.addWidget(self.base_box, 1)
        bar.addWidget(QLabel("Copies:", self))
        bar.addWidget(self.sort_box)
        bar.addWidget(self.compare_button)
        bar.addWidget(self.report_button)

        self.copies = QTreeWidget(self)
        self.copies.setObjectName("storyCopies")
        self.copies.setHeaderLabels(["Outlet", "Date", "Label", "Retained", "Version"])
        self.copies.setRootIsDecorated(False)
        self.copies.setAlternatingRowColors(True)
        for col in range(1, 5):
            self.copies.header().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # The outlet is what the analyst reads the list by: it keeps room for about 20 characters
        # however narrow the list is (a stretched column was squeezed to nothing by the figures).
        self.copies.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.copies.header().resizeSection(0, self.copies.fontMetrics().horizontalAdvance("n" * 24))
        self.copies.header().setStretchLastSection(True)

        self.base_list = QListWidget(self)
        self.base_list.setObjectName("storyBaseText")
        self.base_list.setWordWrap(True)
        # Paragraphs are wrapped again at every width, never cut off behind a sideways scroll bar.
        self.base_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.base_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.base_list.setIconSize(HEAT_SIZE)
        self.base_list.setSpacing(3)

        self.collation = QTextBrowser(self)
        self.collation.setObjectName("storyCollation")
        self.collation.setPlaceholderText("Click a paragraph of the base to see it in every copy.")
        self.kind_box = QComboBox(self)
        self.kind_box.setObjectName("storyKind")
        self.kind_box.addItems([ALL_KINDS, *VARIANT_KINDS])
        self.csv_button = QPushButton("Export CSV…", self)
        self.variants = QTreeWidget(self)
        self.variants.setObjectName("storyVariants")
        self.variants.setHeaderLabels(["¶", "Base", "Reading", "Kinds", "Outlets"])
        self.variants.setRootIsDecorated(False)
        self.variants.setWordWrap(True)
        head = self.variants.header()
        head.setStretchLastSection(True)
        for col, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Interactive,
                                    QHeaderView.ResizeMode.Interactive, QHeaderView.ResizeMode.ResizeToContents)):
            head.setSectionResizeMode(col, mode)
        head.resizeSection(1, 140)
        head.resizeSection(2, 140)
        vbox = QWidget(self)
        vl = QVBoxLayout(vbox)
        vl.setContentsMargins(0, 0, 0, 0)
        vbar = QHBoxLayout()
        vbar.addWidget(QLabel("Kind:", vbox))
        vbar.addWidget(self.kind_box, 1)
        vbar.addWidget(self.csv_button)
        vl.addLayout(vbar)
        vl.addWidget(self.variants, 1)
        self.timeline = TimelineWidget(self)
        self.edges = QLabel("", self)
        self.edges.setWordWrap(True)
        self.edges.setObjectName("storyEdges")
        tbox = QWidget(self)
        tl = QVBoxLayout(tbox)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.timeline, 1)
        tl.addWidget(self.edges)
        self.notes = QPlainTextEdit(notes, self)
        self.notes.setObjectName("storyNotes")
        self.notes.setPlaceholderText("Notes on this story (saved with the session and in the report)")

        self.side = QTabWidget(self)
        self.side.setObjectName("storySide")
        self.side.addTab(self.collation, "Collation")
        self.side.addTab(vbox, "Variants")
        self.side.addTab(tbox, "Timeline")
        self.side.addTab(self.notes, "Notes")

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        # Narrow tabs stack the copies above the base text, so that three columns are not squeezed.
        self.stack = QSplitter(Qt.Orientation.Vertical, self)
        self.stack.setChildrenCollapsible(False)
        self.splitter.addWidget(self.copies)
        self.splitter.addWidget(self.base_list)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 3)
        self.splitter.setSizes([480, 440, 440])
        self._narrow = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.header)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        self.base_list.currentRowChanged.connect(self._paragraph_clicked)
        self.sort_box.currentIndexChanged.connect(lambda _i: self._fill_copies())
        self.kind_box.currentIndexChanged.connect(lambda _i: self._fill_variants())
        self.base_box.activated.connect(self._base_chosen)
        self.compare_button.clicked.connect(self.compare_selected)
        self.copies.itemDoubleClicked.connect(lambda _item, _col: self.compare_selected())
        self.timeline.markClicked.connect(self._select_copy)
        self.csv_button.clicked.connect(self._ask_csv)
        self.report_button.clicked.connect(self._ask_report)
        self.notes.textChanged.connect(self.changed)
        self._set_enabled(False)
        if start:
            self.rebuild(base)
        else:
            self.header.setText("Waiting for the corpus's reuse map…")

    # ------------------------------------------------------------------ building

    def title(self) -> str:
        """The tab's label."""
        if self.story is None:
            return "Story…"
        return f"Story · {self.story.size} copies"

    def rebuild(self, base: str | None = None) -> GeneratorWorker:
        """Build the story again (off the GUI thread) with ``base`` as base."""
        if self._worker is not None:
            self._worker.cancel()
        self._generation += 1
        generation = self._generation
        self.requested_base = base
        aid, build = self.aid, self._build

        def job(should_cancel: Callable[[], bool]) -> Generator[None, None, Story]:
            story = build(aid, base, should_cancel)
            story.variants()  # the delta kinds are worked out here, not on the GUI thread
            return story
            yield  # makes this function a generator

        worker = GeneratorWorker(job, "story")
        self._worker = worker
        worker.signals.finished.connect(while_alive(self, lambda story: self._built(generation, story)))
        worker.signals.failed.connect(while_alive(self, lambda exc: self._failed(generation, exc)))
        self.header.setText("Building the story…")
        self._pool.submit(worker)
        return worker

    def busy(self) -> bool:
        """True while the story is being built."""
        return self._worker is not None

    def _built(self, generation: int, story: object) -> None:
        if generation != self._generation or not isinstance(story, Story):
            return
        self._worker = None
        self.story = story
        self._show()
        self.storyShown.emit(story)

    def _failed(self, generation: int, exc: object) -> None:
        if generation != self._generation:
            return
        self._worker = None
        message = describe_error(exc) if isinstance(exc, BaseException) else str(exc)
        if isinstance(exc, ValueError):  # StoryError: already a sentence for the user
            message = str(exc)
        self.header.setText(f"Could not build the story: {message}")
        self.failed.emit(message)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.base_box, self.sort_box, self.compare_button, self.report_button,
                  self.kind_box, self.csv_button):
            w.setEnabled(on)

    def _show(self) -> None:
        story = self.story
        assert story is not None
        facts = [escape(story.summary()),
                 f"likely origin: {escape(story.origin or 'unknown')} ({escape(story.origin_reason)})"]
        facts += [escape(n) for n in story.notes]
        self.header.setText("<br>".join(facts))
        self.base_box.blockSignals(True)
        self.base_box.clear()
        for c in story.sorted_copies("date"):
            self.base_box.addItem(f"{c.outlet} · {c.date or 'undated'} · {c.id}", c.id)
        self.base_box.setCurrentIndex(max(self.base_box.findData(story.base), 0))
        self.base_box.blockSignals(False)
        self._fill_copies()
        self.base_list.blockSignals(True)
        self.base_list.clear()
        for cover in story.coverage:
            item = QListWidgetItem(QIcon(heat_pixmap(cover.identical, cover.changed, cover.copies)),
                                   f"¶{cover.number}  {cover.text}")
            item.setData(Qt.ItemDataRole.UserRole, cover.index)
            item.setToolTip(cover.describe())
            self.base_list.addItem(item)
        self.base_list.blockSignals(False)
        self._fill_variants()
        self.timeline.set_story(story)
        directed = sum(e.directed for e in story.edges)
        self.edges.setText(f"{directed} derivation edge{'s' if directed != 1 else ''}, "
                           f"{len(story.edges) - directed} link{'s' if len(story.edges) - directed != 1 else ''} "
                           "of unknown direction (hover a mark or an edge for its evidence)")
        self._set_enabled(True)
        if self._paragraph is not None and self._paragraph in {c.index for c in story.coverage}:
            self.show_collation(self._paragraph)
        elif story.coverage:
            self.base_list.setCurrentRow(0)

    def _fill_copies(self) -> None:
        if self.story is None:
            return
        key = SORT_KEYS[max(self.sort_box.currentIndex(), 0)]
        self.copies.clear()
        for c in self.story.sorted_copies(key):
            item = QTreeWidgetItem([c.outlet, c.date or "undated", c.label, f"{c.retained:.1f} %",
                                    f"v{c.family + 1}"])
            item.setData(0, Qt.ItemDataRole.UserRole, c.id)
            item.setToolTip(0, f"{c.outlet}\n{c.id}\n{c.title}" + (f"\n{c.problem}" if c.problem else ""))
            pix = QPixmap(10, 10)
            pix.fill(family_colour(c.family))
            item.setIcon(4, QIcon(pix))
            if c.role == "base":
                font = item.font(0)
                font.setBold(True)
                for col in range(5):
                    item.setFont(col, font)
            self.copies.addTopLevelItem(item)

    def copy_ids(self) -> list[str]:
        """The copies list's ids, in its order."""
        return [item.data(0, Qt.ItemDataRole.UserRole) for i in range(self.copies.topLevelItemCount())
                if (item := self.copies.topLevelItem(i)) is not None]

    def _select_copy(self, aid: str) -> None:
        for i in range(self.copies.topLevelItemCount()):
            item = self.copies.topLevelItem(i)
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == aid:
                self.copies.setCurrentItem(item)
                return

    # ------------------------------------------------------------------ collation and variants

    def _paragraph_clicked(self, row: int) -> None:
        item = self.base_list.item(row)
        if item is not None:
            self.show_collation(int(item.data(Qt.ItemDataRole.UserRole)))

    NARROW_BELOW = 1000  # tab width in pixels under which the copies and base are stacked

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Stack the copies above the base text when the tab is narrow, side by side when wide."""
        super().resizeEvent(event)
        self._arrange(self.width() < self.NARROW_BELOW)

    def is_stacked(self) -> bool:
        """Whether the copies list and the base text are stacked (a narrow tab)."""
        return self._narrow

    def _arrange(self, narrow: bool) -> None:
        if narrow == self._narrow:
            return
        self._narrow = narrow
        if narrow:
            self.stack.addWidget(self.copies)
            self.stack.addWidget(self.base_list)
            self.splitter.insertWidget(0, self.stack)
            self.stack.show()
            self.splitter.setSizes([max(1, self.width() * 55 // 100), max(1, self.width() * 45 // 100)])
        else:
            self.splitter.insertWidget(0, self.copies)
            self.splitter.insertWidget(1, self.base_list)
            self.stack.hide()
            self.stack.setParent(self)
            self.splitter.setSizes([max(1, self.width() // 3)] * 3)

    def show_collation(self, index: int) -> None:
        """Show base paragraph ``index`` (0-based) in every copy."""
        if self.story is None:
            return
        self._paragraph = index
        lines = self.story.collation(index)
        html = [f"<p><b>¶{index + 1}</b> in {self.story.size} copies</p>"]
        view_colours = colours(self.collation.palette())
        for line in lines:
            who = escape(line.describe())
            if len(line.outlets) > 1:
                shown = ", ".join(line.outlets[:8]) + (" …" if len(line.outlets) > 8 else "")
                who += f' <span style="color:{view_colours.dim_text.name()}">({escape(shown)})</span>'
            body = "" if line.state in ("missing", "identical") else _segments_html(line, view_colours)
            html.append(f'<p data-state="{line.state}"><b>{who}</b><br>{body}</p>')
        self.collation.setHtml("".join(html))
        self.side.setCurrentWidget(self.collation)

    def collation_lines(self) -> list[CollationLine]:
        """The collation shown (for tests)."""
        return [] if self.story is None or self._paragraph is None else self.story.collation(self._paragraph)

    def current_kind(self) -> str | None:
        """The variants filter (None: all kinds)."""
        text = self.kind_box.currentText()
        return None if text == ALL_KINDS else text

    def set_kind(self, kind: str | None) -> None:
        """Filter the variants table by ``kind`` (None: all)."""
        self.kind_box.setCurrentText(kind or ALL_KINDS)

    def _fill_variants(self) -> None:
        if self.story is None:
            return
        self.variants.clear()
        for v in self.story.variants(self.current_kind()):
            for r in v.readings:
                reading = r.text or ("(paragraph absent)" if "omitted" in r.kinds else "(absent)")
                outlets = f"{len(r.copies)}: " + ", ".join(r.outlets[:6]) + (" …" if len(r.outlets) > 6 else "")
                item = QTreeWidgetItem([f"¶{v.paragraph + 1}", v.base[:80] or "—", reading[:80],
                                        ", ".join(r.kinds), outlets])
                item.setToolTip(4, "\n".join(r.outlets))
                item.setToolTip(1, v.base)
                item.setToolTip(2, reading)
                item.setData(0, Qt.ItemDataRole.UserRole, v.paragraph)
                self.variants.addTopLevelItem(item)

    def variant_rows(self) -> int:
        """Rows of the variants table as shown."""
        return self.variants.topLevelItemCount()

    # ------------------------------------------------------------------ actions

    def _base_chosen(self, index: int) -> None:
        base = self.base_box.itemData(index)
        if isinstance(base, str) and self.story is not None and base != self.story.base:
            self.rebuild(base)
            self.changed.emit()

    def selected_copy(self) -> str | None:
        """The copy selected in the list."""
        item = self.copies.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def compare_selected(self) -> None:
        """Open the selected copy against the base as a comparison."""
        aid = self.selected_copy()
        if self.story is not None and aid and aid != self.story.base:
            self.compareRequested.emit(self.story.base, aid)

    def notes_text(self) -> str:
        """The story's notes."""
        return self.notes.toPlainText()

    def _inputs(self) -> list[Path]:
        if self._file_of is None or self.story is None:
            return []
        out = []
        for c in self.story.copies:
            try:
                out.append(self._file_of(c.id))
            except (OSError, ValueError):
                continue
        return out

    def export_csv(self, path: str) -> GeneratorWorker | None:
        """Write the variants table (as filtered) to ``path`` off the GUI thread."""
        if self.story is None:
            return None
        story, kind, inputs = self.story, self.current_kind(), self._inputs()
        worker = GeneratorWorker.call(lambda: write_variants_csv(story, path, kind=kind, inputs=inputs), name="csv")
        worker.signals.finished.connect(while_alive(self, lambda n: self._told(f"Wrote {n} variant readings to {path}")))
        worker.signals.failed.connect(while_alive(self, lambda exc: self._told(f"Could not write {path}: {describe_error(exc)}", True)))
        self._pool.submit(worker)
        return worker

    def export_report(self, path: str) -> GeneratorWorker | None:
        """Write the story report to ``path`` off the GUI thread: PDF for a ``.pdf`` name, else HTML.

        Both hold the base with its coverage, the copies, the variants table, the timeline with
        the derivation edges and their evidence, the notes and the SHA-256 of every file.
        """
        if self.story is None:
            return None
        story, notes, file_of = self.story, self.notes_text(), self._file_of
        inputs = self._inputs()
        pdf = Path(path).suffix.lower() == ".pdf"

        def run() -> str:
            fsguard.check_export(path, inputs=inputs)
            hashes = {}
            for c in story.copies:
                try:
                    if file_of is not None:
                        hashes[c.id] = hashlib.sha256(file_of(c.id).read_bytes()).hexdigest()
                except (OSError, ValueError):
                    hashes[c.id] = "(unreadable)"
            title = story_report_title(story)
            html = story_report_html(story, notes=notes, hashes=hashes, title=title, for_qt=pdf)
            if pdf:
                write_pdf(html, path, title=title, landscape=False)
            else:
                atomic_write_text(path, html)
            return path

        worker = GeneratorWorker.call(run, name="story report")
        worker.signals.finished.connect(while_alive(self, lambda p: self._told(f"Exported the story to {p}")))
        worker.signals.failed.connect(while_alive(self, lambda exc: self._told(f"Could not export {path}: {describe_error(exc)}", True)))
        self._pool.submit(worker)
        return worker

    messageShown = Signal(str, bool)  # text, is an error

    def _told(self, text: str, error: bool = False) -> None:
        self.messageShown.emit(text, error)

    def _ask_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export variants as CSV", "variants.csv", "CSV (*.csv)")
        if path:
            self.export_csv(path)

    def _ask_report(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(self, "Export the story report", "story.html",
                                                   f"{HTML_FILTER};;{PDF_FILTER}")
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm", ".pdf"):
            # The dialog asked about replacing the name typed, not this one.
            target = target.with_name(target.name + (".pdf" if chosen == PDF_FILTER else ".html"))
            if target.exists() and QMessageBox.question(
                    self, "Replace report?", f"{target.name} already exists. Replace it?",
                    QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                    QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
                return
        self.export_report(str(target))
