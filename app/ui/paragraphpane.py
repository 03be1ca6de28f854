"""One side of the comparison: an article's paragraphs painted row by row, padded to line up."""

from __future__ import annotations

import functools
import math
import re
import time
from bisect import bisect_right
from collections.abc import Callable
from pathlib import Path
from typing import cast

from PySide6.QtCore import (
    QEvent,
    QMimeData,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QContextMenuEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTextLayout,
    QTextLine,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QLabel,
    QMenu,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from app.core.reading.model import Article, Paragraph, Role, Row, RowKind
from app.core.reading.text import WORD_RE
from app.ui.overview import NOTE_EDGE, NOTE_FILL
from app.ui.palette import ViewColours, colours, row_description
from app.ui.rowlayout import (
    BOTH,
    LEFT,
    RIGHT,
    ROW_PADDING,
    ReadingPlan,
    RowLayout,
    paragraph_label,
    reading_plan,
)

ARTICLE_ID_MIME = "application/x-parallax-article-id"
GUTTER = 44  # kind strip and paragraph numbers, left of the text
TEXT_LEFT = GUTTER
TEXT_RIGHT = 16
PARA_GAP = 10  # between paragraphs grouped in one cell
LINE_SPACING = 1.32
BADGE_LINE = 18  # a moved cell's badge gets a line of its own above the text, never over it
DEFAULT_POINT_SIZE = 11.0
MEASURE_CHARS = 80  # the readable line length, when lines are held to it


def drop_items(mime: QMimeData) -> list[str]:
    """Article ids or local file paths carried by a drag, in order; empty when none."""
    if mime.hasFormat(ARTICLE_ID_MIME):
        raw = bytes(mime.data(ARTICLE_ID_MIME).data()).decode("utf-8", "replace")
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if mime.hasUrls():
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
    return []


# Where a line may break: after spaces, hyphens, dashes and slashes; between CJK characters.
# The classes are disjoint, so the scan is linear.
_BREAKS = re.compile(
    r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]\s*"
    r"|[^\s\-\u2013\u2014/\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]*[\-\u2013\u2014/]*\s*"
)


class _HeightEstimator:
    """A paragraph's height at a width from cached word widths, without laying the text out.

    Greedy breaking at the same opportunities as :class:`QTextLayout`'s word wrap; for Latin
    text it agrees with the real layout almost always (the pane corrects the rest when a
    paragraph is really laid out). Laying out 1,000 paragraphs costs ~0.4 s, this ~25 ms.
    """

    __slots__ = ("line_height", "metrics", "widths")

    def __init__(self, font: QFont) -> None:
        self.metrics = QFontMetricsF(font)
        self.widths: dict[str, tuple[float, float]] = {}
        probe = QTextLayout("Ag", font)
        probe.beginLayout()
        line = probe.createLine()
        line.setLineWidth(1000)
        probe.endLayout()
        self.line_height = line.height()

    def pieces(self, text: str) -> tuple[list[float], list[float]]:
        """``text`` cut where a line may break: where each piece starts, and where its last non-space ends.

        Both lists grow (a piece starts after the previous one's trailing space), so a line's
        last piece is found by bisection rather than by walking the words.
        """
        widths, fm = self.widths, self.metrics
        starts: list[float] = []
        ends: list[float] = []
        x = 0.0
        for seg in _BREAKS.findall(text):
            if seg:
                w = widths.get(seg)
                if w is None:
                    w = widths[seg] = (fm.horizontalAdvance(seg.rstrip()), fm.horizontalAdvance(seg))
                starts.append(x)
                ends.append(x + w[0])
                x += w[1]
        return starts, ends

    def height(self, pieces: tuple[list[float], list[float]], width: int) -> int:
        """Estimated height of text cut into ``pieces`` wrapped at ``width`` (as :class:`_Block` measures)."""
        starts, ends = pieces
        lines, i, n = 1, 0, len(starts)
        while True:
            # The pieces that fit on the line starting at piece i; the first always goes on it.
            i = bisect_right(ends, starts[i] + width, i + 1) if i < n else n
            if i >= n:
                break
            lines += 1
        return math.ceil((lines - 1) * self.line_height * LINE_SPACING + self.line_height)


def _cursor_x(line: QTextLine, cursor: int) -> float:
    """The x of text position ``cursor`` on ``line``."""
    # PySide6 returns (x, cursor); its stub says object.
    return cast("tuple[float, int]", line.cursorToX(cursor))[0]


class _Block:
    """A paragraph's text laid out for one width; paint-time marks are drawn on top."""

    __slots__ = ("height", "layout", "width")

    def __init__(self, text: str, font: QFont, width: int) -> None:
        self.width = width
        self.layout = QTextLayout(text, font)
        opt = QTextOption()
        # Only at word boundaries: a word is never cut in two ("consoli date"); one longer than
        # the whole line runs past it and is clipped by the row instead.
        opt.setWrapMode(QTextOption.WrapMode.WordWrap)
        self.layout.setTextOption(opt)
        self.layout.setCacheEnabled(True)
        self.layout.beginLayout()
        y = 0.0
        bottom = 0.0
        while True:
            line = self.layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            bottom = y + line.height()
            y += line.height() * LINE_SPACING
        self.layout.endLayout()
        self.height = math.ceil(bottom)

    def span_rects(self, start: int, end: int) -> list[QRectF]:
        """Rectangles covering characters ``[start, end)``, one per line they touch."""
        rects = []
        for n in range(self.layout.lineCount()):
            line = self.layout.lineAt(n)
            ls, le = line.textStart(), line.textStart() + line.textLength()
            if end <= ls or start >= le:
                continue
            x1 = _cursor_x(line, max(start, ls))
            x2 = _cursor_x(line, min(end, le))
            rects.append(QRectF(x1, line.y(), x2 - x1, line.height()))
        return rects


class PaneHeader(QFrame):
    """Title, source, author, date and path of the article shown in a pane."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paneHeader")
        self.setAutoFillBackground(True)
        box = QVBoxLayout(self)
        box.setContentsMargins(TEXT_LEFT, 10, TEXT_RIGHT, 9)
        box.setSpacing(2)
        self.title = QLabel(self)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.meta = QLabel(self)
        self.meta.setWordWrap(True)
        self.path = QLabel(self)
        small = self.path.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.path.setFont(small)
        for label in (self.title, self.meta, self.path):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setMinimumWidth(1)  # a narrow pane elides the path instead of growing
            box.addWidget(label)
        self._path_text = ""
        self._title_text = ""
        self.set_article(None)

    def set_article(self, article: Article | None) -> None:
        """Show ``article``'s metadata, or a prompt when there is none."""
        if article is None:
            self._title_text = "No article"
            self.title.setToolTip("")
            self.meta.setText("Drop a file or an article from the list here")
            self._path_text = ""
            self._elide_path()
            return
        self._title_text = article.title or article.id
        self.title.setToolTip(self._title_text)
        date = article.date.isoformat() if article.date else ""
        parts = [p for p in (article.source, article.author, date) if p]
        self.meta.setText(" · ".join(parts) if parts else "Unknown source")
        self._path_text = article.path or article.id
        self.path.setToolTip(article.path)
        self._elide_path()

    def _elide_path(self) -> None:
        # A long title or path would widen the pane: the title ends in an ellipsis (the full
        # text is its tooltip); the path loses its middle and keeps the file name.
        width = max(40, self.width() - TEXT_LEFT - TEXT_RIGHT)
        self.title.setText(self.title.fontMetrics().elidedText(self._title_text, Qt.TextElideMode.ElideRight, width))
        self.path.setText(self.path.fontMetrics().elidedText(self._path_text, Qt.TextElideMode.ElideMiddle, width))

    def title_text(self) -> str:
        """The full title shown (the label may show it elided)."""
        return self._title_text

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Elide the path to the new width."""
        super().resizeEvent(event)
        self._elide_path()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Background, then a rule along the bottom edge."""
        super().paintEvent(event)
        p = QPainter(self)
        p.setPen(QPen(self._rule, 1))
        p.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        p.end()

    def apply_colours(self, c: ViewColours) -> None:
        """Paint the header with the view colours."""
        self._rule = c.separator
        pal = self.palette()
        pal.setColor(self.backgroundRole(), c.header)
        pal.setColor(QPalette.ColorRole.WindowText, c.text)
        self.setPalette(pal)
        dim = f"color: {c.dim_text.name()};"
        self.meta.setStyleSheet(dim)
        self.path.setStyleSheet(dim)


class ParagraphPane(QAbstractScrollArea):
    """Paints one side's paragraphs in the shared :class:`RowLayout`; only visible rows are drawn.

    Rows are the alignment's; the layout is made of *slots* (see :class:`ReadingPlan`), so a
    moved row stands at its own place in each article. Public row arguments are row indexes.
    """

    rowClicked = Signal(int)
    dropped = Signal(list)  # article ids or local paths
    noteRequested = Signal(int)  # row whose context menu asked to add or edit its note
    markRequested = Signal(int, str)  # paragraph, "boilerplate" / "content" / "" (clear), everywhere
    textWidthChanged = Signal()
    heightsChanged = Signal()  # a paragraph laid out for real is taller or shorter than estimated
    partnerRequested = Signal(int, str)  # a moved badge was clicked: show ``row`` on that side
    stripClicked = Signal(int)  # a hidden-boilerplate strip was clicked (its first slot)
    paragraphPicked = Signal(int)  # a paragraph was clicked: the one Link These (Ctrl+L) takes
    versionsRequested = Signal(int)  # paragraph whose other versions in the corpus are asked for
    selectionVersionsRequested = Signal(str)  # the selected text, whose other versions are asked for
    selectionChanged = Signal()

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.other = RIGHT if side == LEFT else LEFT
        self.setObjectName(f"{side}Pane")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if side == "left" else Qt.ScrollBarPolicy.ScrollBarAlwaysOn
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.viewport().setMouseTracking(True)
        self.header = PaneHeader(self)
        self._colours = colours(self.palette())
        self._palette_key = self.palette().cacheKey()
        self.header.apply_colours(self._colours)
        self.viewport().setAutoFillBackground(False)
        self._point_size = DEFAULT_POINT_SIZE
        self._measure = 0  # max text width in pixels; 0 for the full width
        self._make_fonts()
        self._article: Article | None = None
        self._rows: list[Row] = []
        self._plan = reading_plan([])
        self._marks: dict[int, list[tuple[int, int, str]]] = {}
        self._matcher: Callable[[str], bool] | None = None
        self._hits: dict[int, list[tuple[int, int]]] = {}
        self._find = ""
        self._find_hits: dict[int, list[tuple[int, int]]] = {}
        self._find_current: tuple[int, int] | None = None  # (paragraph, start) of the current hit
        self._blocks: dict[int, _Block] = {}
        self._cells: list[tuple[tuple[int, ...], bool]] = []
        self._refine_queue: list[int] = []  # paragraphs still to lay out for real, on idle
        self._refine_width = -1
        self._heights_off = False  # a real layout disagreed with the estimate the rows use
        self._layout = RowLayout()
        self._collapsed: list[bool] = []
        self._current = -1
        self._notes: set[int] = set()
        self._header_height = 0
        self._drag_over = False
        self._last_width = -1
        self.mark_lookup: Callable[[Paragraph], str | None] | None = None  # the analyst's mark
        self.menu_extender: Callable[[QMenu, int, int], None] | None = None  # (menu, paragraph, row)
        self.picked = -1  # the paragraph clicked last, outlined, for Link These
        # Text selected by dragging: (paragraph, offset) of the anchor and of the moving end.
        self._sel_anchor: tuple[int, int] | None = None
        self._sel_end: tuple[int, int] | None = None
        self._selecting = False
        self.manual_rows: set[int] = set()  # rows held by the analyst's links, barred in the margin

    def _make_fonts(self) -> None:
        self._font = QFont(self.font())
        self._font.setPointSizeF(self._point_size)
        self._title_font = QFont(self._font)
        self._title_font.setPointSizeF(self._point_size * 13 / 11)
        self._title_font.setBold(True)
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self._point_size * 0.72))
        self._estimators = (_HeightEstimator(self._font), _HeightEstimator(self._title_font))
        self._estimates: dict[int, tuple[int, int]] = {}  # para -> (width, estimated height)
        self._pieces: dict[int, tuple[list[float], list[float]]] = {}  # para -> its breakable pieces' widths

    # --- content -------------------------------------------------------------------------

    def set_content(self, article: Article | None, rows: list[Row], plan: ReadingPlan | None = None) -> None:
        """Show ``article`` split into ``rows`` (this pane's side of each row), placed by ``plan``."""
        self._article = article
        self._rows = list(rows) if article is not None else []
        self._plan = plan if plan is not None and article is not None else reading_plan(self._rows)
        self._blocks.clear()
        self._estimates.clear()
        self._cells = []  # each slot's paragraphs, badged
        self._pieces.clear()
        self._refine_width = -1
        self._hits.clear()
        self._find_hits.clear()
        self._marks = {}
        self._current = -1
        self._sel_anchor = self._sel_end = None
        self._selecting = False
        self.header.set_article(article)
        for row in self._rows:
            for op in row.ops:
                spans = op.left if self.side == "left" else op.right
                for para, start, end in spans:
                    self._marks.setdefault(para, []).append((start, end, op.tag))
        self.viewport().update()

    def article(self) -> Article | None:
        """The article shown."""
        return self._article

    @property
    def _paragraphs(self) -> list[Paragraph]:
        """The shown article's paragraphs (none before one is shown)."""
        return self._article.paragraphs if self._article is not None else []

    def set_highlighter(self, matcher: Callable[[str], bool] | None) -> None:
        """Highlight the words ``matcher`` accepts (query terms); None clears."""
        self._matcher = matcher
        self._hits.clear()
        self.viewport().update()

    def set_find(self, needle: str, current: tuple[int, int] | None = None) -> None:
        """Highlight every occurrence of ``needle`` (case-insensitive); ``current`` is (para, start)."""
        if needle.casefold() != self._find:
            self._find = needle.casefold()
            self._find_hits.clear()
        self._find_current = current
        self.viewport().update()

    def find_spans(self, para: int) -> list[tuple[int, int]]:
        """Character spans of paragraph ``para`` matching the find text."""
        if not self._find or self._article is None:
            return []
        hits = self._find_hits.get(para)
        if hits is None:
            hits = find_all(self._article.paragraphs[para].text, self._find)
            self._find_hits[para] = hits
        return hits

    def set_current_row(self, row: int) -> None:
        """Outline ``row`` (-1 for none)."""
        self._current = row
        self.viewport().update()

    def set_note_rows(self, rows: set[int]) -> None:
        """Mark the rows carrying a note (a yellow corner)."""
        self._notes = set(rows)
        self.viewport().update()

    def has_note(self, row: int) -> bool:
        """True when ``row`` is marked as carrying a note."""
        return row in self._notes

    def set_point_size(self, size: float) -> None:
        """Text size in points (the caller relayouts)."""
        self._point_size = size
        self._make_fonts()
        self._blocks.clear()
        self._refine_width = -1
        self.viewport().update()

    def point_size(self) -> float:
        """Text size in points."""
        return self._point_size

    def set_measure(self, chars: int) -> None:
        """Hold lines to about ``chars`` characters (0: use the whole width); the caller relayouts."""
        self._measure = round(QFontMetricsF(self._font).averageCharWidth() * chars) if chars else 0

    def text_width(self) -> int:
        """Width available to paragraph text at the current viewport size."""
        width = max(60, self.viewport().width() - TEXT_LEFT - TEXT_RIGHT)
        return min(width, self._measure) if self._measure else width

    def _shows(self, slot: int) -> bool:
        return self._plan.shows(slot, self.side)

    def _slot_paras(self, slot: int) -> tuple[int, ...]:
        if not self._shows(slot):
            return ()
        return self._side(self._plan.slots[slot][0])

    def _badge(self, slot: int) -> str:
        """The moved badge of ``slot`` on this side ("moved from ¶6"), empty when none."""
        row, part = self._plan.slots[slot]
        if part != self.side:
            return ""
        r = self._rows[row]
        other = r.right if self.side == LEFT else r.left
        return f"moved {'to' if self.side == LEFT else 'from'} {paragraph_label(other)}"

    def text_heights(self) -> list[int]:
        """Height of this side's text in each slot at the current width (0 for an empty cell)."""
        width = self.text_width()
        blocks, estimates = self._blocks, self._estimates
        if len(self._cells) != len(self._plan.slots):
            self._cells = [(self._slot_paras(s), part == self.side) for s, (_row, part) in enumerate(self._plan.slots)]
        out = []
        for paras, badged in self._cells:
            if not paras:
                out.append(0)
                continue
            h = PARA_GAP * (len(paras) - 1)
            for para in paras:  # _para_height, inlined: this runs for every paragraph on a resize
                block = blocks.get(para)
                if block is not None and block.width == width:
                    h += block.height
                    continue
                guess = estimates.get(para)
                h += guess[1] if guess is not None and guess[0] == width else self._para_height(para, width)
            out.append(h + BADGE_LINE if badged else h)
        return out

    def set_row_layout(self, layout: RowLayout, collapsed: list[bool]) -> None:
        """Adopt the shared slot geometry (and which slots are hidden) and size the scroll range."""
        self._layout = layout
        self._collapsed = collapsed
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setPageStep(max(1, page))
        bar.setSingleStep(24)
        bar.setRange(0, max(0, layout.total - page))
        self.viewport().update()

    def row_layout(self) -> RowLayout:
        """The slot geometry in use."""
        return self._layout

    def plan(self) -> ReadingPlan:
        """Where each row's sides are drawn."""
        return self._plan

    # --- geometry ------------------------------------------------------------------------

    def header_height_for_width(self) -> int:
        """Height the header needs at the pane's current width."""
        w = self.viewport().width() or self.width()
        return max(self.header.minimumSizeHint().height(), self.header.heightForWidth(w))

    def set_header_height(self, height: int) -> None:
        """Reserve ``height`` pixels above the viewport for the header (equal on both sides)."""
        if height != self._header_height:
            self._header_height = height
            self.setViewportMargins(0, height, 0, 0)
        self._place_header()

    def slot_rect(self, slot: int) -> QRect:
        """``slot``'s rectangle in viewport coordinates (empty for an unknown slot)."""
        if not 0 <= slot < len(self._layout):
            return QRect()
        top, bottom = self._layout.span(slot)
        y = top - self.verticalScrollBar().value()
        return QRect(0, y, self.viewport().width(), bottom - top)

    def slot_of(self, row: int) -> int:
        """The slot showing this side of ``row`` (-1 for an unknown row)."""
        if not 0 <= row < len(self._rows) or len(self._plan.slots) != len(self._layout):
            return -1
        return self._plan.slot_of(row, self.side)

    def row_rect(self, row: int) -> QRect:
        """The rectangle of this side of ``row`` in viewport coordinates (empty for an unknown row)."""
        return self.slot_rect(self.slot_of(row))

    def text_span(self, row: int) -> tuple[int, int]:
        """Vertical extent of this side's text in ``row``, viewport coordinates (row rect if empty)."""
        slot = self.slot_of(row)
        rect = self.slot_rect(slot)
        if rect.isEmpty() or (slot < len(self._collapsed) and self._collapsed[slot]):
            return rect.top(), rect.bottom() + 1
        h = self._cell_height(self._slot_paras(slot), self.text_width())
        if not h:
            return rect.top(), rect.bottom() + 1
        top = rect.top() + ROW_PADDING + (BADGE_LINE if self._badge(slot) else 0)
        return top, top + h

    def slot_at(self, y: int) -> int:
        """The slot under viewport y, -1 when none."""
        if not len(self._layout):
            return -1
        content = y + self.verticalScrollBar().value()
        if content < 0 or content >= self._layout.total:
            return -1
        return self._layout.row_at(content)

    def row_at(self, y: int) -> int:
        """The row under viewport y, -1 when none."""
        slot = self.slot_at(y)
        return self._plan.slots[slot][0] if 0 <= slot < len(self._plan.slots) else -1

    # --- text ----------------------------------------------------------------------------

    def _side(self, row: int) -> tuple[int, ...]:
        r = self._rows[row]
        return r.left if self.side == "left" else r.right

    def _block(self, para: int, width: int) -> _Block:
        block = self._blocks.get(para)
        if block is None or block.width != width:
            p = self._paragraphs[para]
            font = self._title_font if p.role is Role.TITLE else self._font
            block = _Block(p.text, font, width)
            self._blocks[para] = block
            guess = self._estimates.get(para)
            if guess is not None and guess[0] == width and guess[1] != block.height:
                self._heights_off = True
                # Not from inside a paint: the rows are re-measured once the event loop is back.
                QTimer.singleShot(0, self, self._report_heights)
        return block

    def _report_heights(self) -> None:
        if self._heights_off:
            self._heights_off = False
            self.heightsChanged.emit()

    def _para_height(self, para: int, width: int) -> int:
        """Height of ``para`` at ``width``: measured when laid out, else estimated."""
        block = self._blocks.get(para)
        if block is not None and block.width == width:
            return block.height
        guess = self._estimates.get(para)
        if guess is None or guess[0] != width:
            estimator = self._estimators[self._paragraphs[para].role is Role.TITLE]
            pieces = self._pieces.get(para)
            if pieces is None:
                pieces = self._pieces[para] = estimator.pieces(self._paragraphs[para].text)
            guess = (width, estimator.height(pieces, width))
            self._estimates[para] = guess
        return guess[1]

    def _cell_height(self, paras: tuple[int, ...], width: int) -> int:
        if not paras:
            return 0
        return sum(self._para_height(p, width) for p in paras) + PARA_GAP * (len(paras) - 1)

    def refine_heights(self, budget: float = 0.005) -> tuple[bool, bool]:
        """Lay out for real, for about ``budget`` seconds, paragraphs whose height is estimated.

        The visible ones go first. Returns ``(changed, done)``: whether a real height differed
        from its estimate (the rows need re-measuring), and whether every paragraph is laid out.
        """
        if self._article is None:
            return False, True
        width = self.text_width()
        if self._refine_width != width:
            self._refine_width = width
            first = self._layout.row_at(self.verticalScrollBar().value()) if len(self._layout) else 0
            order = list(range(max(0, first), len(self._plan.slots))) + list(range(max(0, first)))
            self._refine_queue = [p for slot in reversed(order) for p in reversed(self._slot_paras(slot))]
        deadline = time.perf_counter() + budget
        changed = False
        queue = self._refine_queue
        while queue and time.perf_counter() < deadline:
            para = queue.pop()
            block = self._blocks.get(para)
            if block is not None and block.width == width:
                continue
            before = self._para_height(para, width)
            changed |= self._block(para, width).height != before
        if changed:
            self._heights_off = False  # the caller re-measures now
        return changed, not queue

    def query_spans(self, para: int) -> list[tuple[int, int]]:
        """Character spans of the words of paragraph ``para`` the highlighter accepts."""
        if self._matcher is None or self._article is None:
            return []
        hits = self._hits.get(para)
        if hits is None:
            text = self._article.paragraphs[para].text
            hits = [m.span() for m in WORD_RE.finditer(text) if self._matcher(m.group())]
            self._hits[para] = hits
        return hits

    def row_text(self, row: int) -> str:
        """This side's text of ``row``, paragraphs separated by blank lines."""
        if self._article is None or not 0 <= row < len(self._rows):
            return ""
        return "\n\n".join(self._article.paragraphs[p].text for p in self._side(row))

    def paragraph_at(self, pos: QPointF) -> int:
        """Index of the paragraph under viewport ``pos``, -1 when none."""
        slot = self.slot_at(int(pos.y()))
        if slot < 0 or self._collapsed[slot]:
            return -1
        paras = self._slot_paras(slot)
        y = self.slot_rect(slot).top() + ROW_PADDING + (BADGE_LINE if self._badge(slot) else 0)
        width = self.text_width()
        for para in paras:
            h = self._para_height(para, width)
            if pos.y() < y + h + PARA_GAP / 2:
                return para
            y += h + PARA_GAP
        return paras[-1] if paras else -1

    def paragraph_rect(self, para: int) -> QRect:
        """Viewport rectangle of paragraph ``para``'s text (empty when it is not laid out)."""
        for row in range(len(self._rows)):
            if para in self._side(row):
                slot = self.slot_of(row)
                rect = self.slot_rect(slot)
                if rect.isEmpty():
                    return QRect()
                y = rect.top() + ROW_PADDING + (BADGE_LINE if self._badge(slot) else 0)
                width = self.text_width()
                for p in self._side(row):
                    h = self._para_height(p, width)
                    if p == para:
                        return QRect(TEXT_LEFT, y, width, h)
                    y += h + PARA_GAP
        return QRect()

    def badge_at(self, pos: QPointF) -> int:
        """The row whose moved badge is under viewport ``pos``, -1 when none."""
        slot = self.slot_at(int(pos.y()))
        if slot < 0 or not self._badge(slot):
            return -1
        row = self._plan.slots[slot][0]
        return row if self.badge_rect(row).contains(pos) else -1

    def badge_rect(self, row: int) -> QRectF:
        """Viewport rectangle of ``row``'s moved badge on this side (empty when it has none)."""
        slot = self.slot_of(row)
        if slot < 0 or not self._badge(slot) or self._collapsed[slot]:
            return QRectF()
        rect = self.slot_rect(slot)
        fm = QFontMetricsF(self._small)
        arrow = "↘ " if self.side == LEFT else "↖ "
        w = fm.horizontalAdvance(arrow + self._badge(slot)) + 12
        return QRectF(rect.left() + TEXT_LEFT - 2, rect.top() + ROW_PADDING - 4, w, fm.height() + 4)

    def describe_at(self, pos: QPointF) -> str:
        """Tooltip text for viewport ``pos``: the row's kind, similarity, move or hidden strip."""
        slot = self.slot_at(int(pos.y()))
        if slot < 0:
            return ""
        if self._collapsed[slot]:
            return "Hidden boilerplate: click to show it"
        row, part = self._plan.slots[slot]
        r = self._rows[row]
        if part not in (BOTH, self.side):
            return f"Moved: this side's paragraphs are at {paragraph_label(self._side(row))}; click the badge there"
        text = row_description(r)
        badge = self._badge(slot)
        return f"{text} · {badge}" if badge else text

    # --- selection -----------------------------------------------------------------------

    def position_at(self, pos: QPointF) -> tuple[int, int] | None:
        """``(paragraph, character offset)`` of the text under viewport ``pos`` (the nearest
        place in the paragraph under it; None off this side's text)."""
        slot = self.slot_at(int(pos.y()))
        if slot < 0 or self._collapsed[slot]:
            return None
        paras = self._slot_paras(slot)
        if not paras:
            return None
        y = self.slot_rect(slot).top() + ROW_PADDING + (BADGE_LINE if self._badge(slot) else 0)
        width = self.text_width()
        para = paras[-1]
        for p in paras:
            h = self._para_height(p, width)
            if pos.y() < y + h + PARA_GAP / 2:
                para = p
                break
            y += h + PARA_GAP
        layout = self._block(para, width).layout
        lx, ly = pos.x() - TEXT_LEFT, pos.y() - y
        if layout.lineCount() == 0:
            return para, 0
        if ly < 0:
            return para, 0
        for n in range(layout.lineCount()):
            line = layout.lineAt(n)
            if ly < line.y() + line.height() * LINE_SPACING:
                return para, line.xToCursor(max(0.0, lx))
        return para, len(self._paragraphs[para].text)

    def selection(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """The selected text's ``(paragraph, offset)`` start and end, in reading order (None: nothing)."""
        if self._sel_anchor is None or self._sel_end is None or self._sel_anchor == self._sel_end:
            return None
        return min(self._sel_anchor, self._sel_end), max(self._sel_anchor, self._sel_end)

    def select(self, start: tuple[int, int], end: tuple[int, int]) -> None:
        """Select the text from ``start`` to ``end``, each ``(paragraph, offset)``."""
        self._sel_anchor, self._sel_end = start, end
        self.viewport().update()
        self.selectionChanged.emit()

    def clear_selection(self) -> None:
        """Select nothing."""
        if self._sel_anchor is not None:
            self._sel_anchor = self._sel_end = None
            self.viewport().update()
            self.selectionChanged.emit()

    def selection_spans(self, para: int) -> tuple[int, int] | None:
        """The selected characters ``(start, end)`` of paragraph ``para`` (None: none of it)."""
        sel = self.selection()
        if sel is None or not sel[0][0] <= para <= sel[1][0]:
            return None
        (p0, o0), (p1, o1) = sel
        start = o0 if para == p0 else 0
        end = o1 if para == p1 else len(self._paragraphs[para].text)
        return (start, end) if end > start else None

    def selected_text(self) -> str:
        """The selected text, paragraphs apart by a blank line (shown paragraphs only)."""
        sel = self.selection()
        if sel is None or self._article is None:
            return ""
        shown = {p for slot in range(len(self._plan.slots)) if not self._collapsed[slot]
                 for p in self._slot_paras(slot)}
        pieces = []
        for para in range(sel[0][0], sel[1][0] + 1):
            span = self.selection_spans(para)
            if span is not None and para in shown:
                pieces.append(self._article.paragraphs[para].text[span[0]:span[1]])
        return "\n\n".join(p.strip() for p in pieces if p.strip())

    def _select_word(self, at: tuple[int, int]) -> None:
        para, offset = at
        for m in WORD_RE.finditer(self._paragraphs[para].text):
            if m.start() <= offset <= m.end():
                self.select((para, m.start()), (para, m.end()))
                return

    # --- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint the rows intersecting the exposed area."""
        if self.palette().cacheKey() != self._palette_key:  # the theme changed
            self._palette_key = self.palette().cacheKey()
            self._colours = colours(self.palette())
            self.header.apply_colours(self._colours)
        p = QPainter(self.viewport())
        c = self._colours
        clip = event.rect()
        p.fillRect(clip, c.gap if self._article is not None else c.base)
        if self._article is None:
            p.setPen(c.dim_text)
            p.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, "Drop an article here")
        elif len(self._layout) == len(self._plan.slots):
            scroll = self.verticalScrollBar().value()
            width = self.text_width()
            for slot in self._layout.rows_between(scroll + clip.top(), scroll + clip.bottom() + 1):
                if self._layout.heights[slot]:
                    self._paint_slot(p, slot, width)
            if self._layout.total - scroll < self.viewport().height():
                p.fillRect(QRect(0, self._layout.total - scroll, self.viewport().width(),
                                 self.viewport().height()), c.gap)
        if self._article is not None and (self.picked >= 0 or self.manual_rows):
            self._paint_manual(p)
        if self._drag_over:
            pen = QPen(c.current, 2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.viewport().rect().adjusted(1, 1, -2, -2))
        p.end()

    def set_picked(self, para: int) -> None:
        """Outline paragraph ``para`` as the one picked for linking (-1: none)."""
        if para != self.picked:
            self.picked = para
            self.viewport().update()

    def set_manual_rows(self, rows: set[int]) -> None:
        """Mark ``rows`` as held by a manual link (a bar left of their text)."""
        self.manual_rows = set(rows)
        self.viewport().update()

    def _paint_manual(self, p: QPainter) -> None:
        c = self._colours
        p.setBrush(Qt.BrushStyle.NoBrush)
        for row in self.manual_rows:
            slot = self.slot_of(row)
            if 0 <= slot < len(self._collapsed) and not self._collapsed[slot]:
                rect = self.slot_rect(slot)
                if not rect.isEmpty():
                    p.fillRect(QRect(TEXT_LEFT - 7, rect.top() + ROW_PADDING, 3,
                                     max(4, rect.height() - 2 * ROW_PADDING)), c.current)
                    # A chain link under the ¶ number and similarity: this row was linked by hand.
                    y = rect.top() + ROW_PADDING + 2 * QFontMetricsF(self._small).height() + 4
                    p.setPen(QPen(c.current, 1.6))
                    p.drawRoundedRect(QRectF(GUTTER - 28, y, 11, 7), 3.5, 3.5)
                    p.drawRoundedRect(QRectF(GUTTER - 21, y, 11, 7), 3.5, 3.5)
                    p.setBrush(Qt.BrushStyle.NoBrush)
        if self.picked >= 0:
            rect = self.paragraph_rect(self.picked)
            if not rect.isEmpty():
                p.setPen(QPen(c.current, 2, Qt.PenStyle.DashLine))
                p.drawRect(rect.adjusted(-4, -3, 4, 3))

    def _strip_count(self, slot: int) -> int:
        """Paragraphs of this side in the run of hidden slots starting at ``slot``."""
        count = 0
        n = slot
        while n < len(self._collapsed) and self._collapsed[n] and (n == slot or not self._layout.heights[n]):
            count += len(self._slot_paras(n))
            n += 1
        return count

    def _paint_slot(self, p: QPainter, slot: int, width: int) -> None:
        c = self._colours
        row = self._plan.slots[slot][0]
        r = self._rows[row]
        rect = self.slot_rect(slot)
        paras = self._slot_paras(slot)
        if self._collapsed[slot]:
            p.fillRect(rect, c.row(RowKind.BOILERPLATE))
            p.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), c.mark(RowKind.BOILERPLATE))
            count = self._strip_count(slot)
            label = f"{count} boilerplate paragraph{'s' if count != 1 else ''} hidden · click to show"
            p.setFont(self._small)
            p.setPen(c.dim_text)
            p.drawText(rect.adjusted(TEXT_LEFT, 0, -TEXT_RIGHT, 0),
                       Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label if count else "")
        elif not paras:
            p.fillRect(rect, c.gap)
            p.fillRect(rect, QBrush(c.gap_hatch, Qt.BrushStyle.BDiagPattern))
            if r.moved and r.left and r.right:
                p.setFont(self._small)
                p.setPen(c.dim_text)
                where = paragraph_label(self._side(row))
                p.drawText(rect.adjusted(TEXT_LEFT, 0, -TEXT_RIGHT, 0), Qt.AlignmentFlag.AlignCenter,
                           f"(this side's {where} is elsewhere: moved)")
        else:
            p.fillRect(rect, c.row(r.kind, r.moved))
            p.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), c.mark(r.kind, r.moved))
            badge = self._badge(slot)
            if badge:
                self._paint_badge(p, row, badge, rect)
            self._paint_gutter(p, r, paras, rect)
            top = rect.top() + ROW_PADDING + (BADGE_LINE if badge else 0)
            self._paint_text(p, r, paras, top, rect, width)
        p.setPen(QPen(c.separator, 1))
        p.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())
        if row in self._notes and (paras or not self._collapsed[slot]):
            self._paint_note_corner(p, rect)
        if row == self._current and not self._collapsed[slot]:
            p.setPen(QPen(c.current, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect.adjusted(1, 1, -1, -1))

    def _paint_gutter(self, p: QPainter, r: Row, paras: tuple[int, ...], rect: QRect) -> None:
        """Paragraph numbers (and a changed row's similarity) right-aligned left of the text."""
        c = self._colours
        p.setFont(self._small)
        fm = QFontMetricsF(self._small)
        box = QRectF(6, rect.top() + ROW_PADDING, GUTTER - 12, fm.height())
        p.setPen(c.dim_text)
        p.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, paragraph_label(paras))
        if r.kind is RowKind.CHANGED and r.is_match:
            p.setPen(c.mark(RowKind.CHANGED))
            p.drawText(box.translated(0, fm.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                       f"{r.score:.0f}%")

    def _paint_text(self, p: QPainter, r: Row, paras: tuple[int, ...], top: int, rect: QRect,
                    width: int) -> None:
        c = self._colours
        dim = r.kind is RowKind.BOILERPLATE
        y = top
        p.save()
        p.setClipRect(rect.adjusted(TEXT_LEFT - 2, 0, 0, 0))
        for para in paras:
            block = self._block(para, width)
            origin = QPointF(rect.left() + TEXT_LEFT, y)
            p.setPen(Qt.PenStyle.NoPen)
            strikes: list[QRectF] = []
            for start, end, tag in self._marks.get(para, ()):
                colour = {"delete": c.deleted, "insert": c.inserted}.get(
                    tag, c.replaced_left if self.side == "left" else c.replaced_right)
                for span in block.span_rects(start, end):
                    p.setBrush(colour)
                    p.drawRoundedRect(span.translated(origin).adjusted(-1, 0, 1, 0), 2.5, 2.5)
                    if tag == "delete":
                        strikes.append(span.translated(origin))
            if self._matcher is not None:
                p.setBrush(c.query)
                for start, end in self.query_spans(para):
                    for span in block.span_rects(start, end):
                        p.drawRoundedRect(span.translated(origin).adjusted(-1, 1, 1, -1), 2.5, 2.5)
            if self._find:
                for start, end in self.find_spans(para):
                    current = self._find_current == (para, start)
                    p.setBrush(c.find_current if current else c.find)
                    for span in block.span_rects(start, end):
                        p.drawRoundedRect(span.translated(origin).adjusted(-1, 0, 1, 0), 2.5, 2.5)
            selected = self.selection_spans(para)
            if selected is not None:
                colour = self.palette().color(QPalette.ColorRole.Highlight)
                colour.setAlpha(110)
                p.setBrush(colour)
                for span in block.span_rects(*selected):
                    p.drawRect(span.translated(origin))
            role = self._paragraphs[para].role
            p.setPen(c.dim_text if dim or role in (Role.CHROME, Role.BYLINE) else c.text)
            block.layout.draw(p, origin)
            if strikes:
                p.setPen(QPen(c.strike, 1.2))
                for s in strikes:
                    mid = s.top() + s.height() * 0.55
                    p.drawLine(QPointF(s.left(), mid), QPointF(s.right(), mid))
            y += block.height + PARA_GAP
        p.restore()

    @staticmethod
    def _paint_note_corner(p: QPainter, rect: QRect) -> None:
        size = min(16, rect.height())
        corner = QPolygonF([QPointF(rect.left(), rect.top()), QPointF(rect.left() + size, rect.top()),
                            QPointF(rect.left(), rect.top() + size)])
        p.setPen(QPen(NOTE_EDGE, 1))
        p.setBrush(NOTE_FILL)
        p.drawPolygon(corner)

    def _paint_badge(self, p: QPainter, row: int, text: str, rect: QRect) -> None:
        """The "moved from ¶N" badge, on its own line above the text; a click jumps to the partner."""
        colour = self._colours.moved_mark
        p.setFont(self._small)
        label = ("↘ " if self.side == LEFT else "↖ ") + text
        box = self.badge_rect(row)
        p.setBrush(self._colours.base)
        p.setPen(QPen(colour, 1))
        p.drawRoundedRect(box, 6, 6)
        p.setPen(colour)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    # --- events --------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        """Follow a change of the application palette (Light/Dark/System)."""
        if event.type() == QEvent.Type.PaletteChange:
            self._colours = colours(self.palette())
            self.header.apply_colours(self._colours)
            self.viewport().update()
        super().changeEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        """Tooltips describing the row under the pointer."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.describe_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Re-place the header and ask for a relayout when the text width changes."""
        super().resizeEvent(event)
        self._place_header()
        bar = self.verticalScrollBar()
        bar.setPageStep(max(1, self.viewport().height()))
        bar.setRange(0, max(0, self._layout.total - self.viewport().height()))
        if self.text_width() != self._last_width:
            self._last_width = self.text_width()
            self.textWidthChanged.emit()

    def _place_header(self) -> None:
        self.header.setGeometry(0, 0, self.viewport().width(), self._header_height)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """Make the clicked row current; a moved badge jumps to its partner, a strip expands."""
        pos = event.position()
        para = self.paragraph_at(pos)
        if para >= 0:
            self.set_picked(para)
            self.paragraphPicked.emit(para)
        if event.button() == Qt.MouseButton.LeftButton:
            badge = self.badge_at(pos)
            if badge >= 0:
                self.partnerRequested.emit(badge, self.other)
                event.accept()
                return
            slot = self.slot_at(int(pos.y()))
            if 0 <= slot < len(self._collapsed) and self._collapsed[slot]:
                self.stripClicked.emit(slot)
                event.accept()
                return
            # A press starts a selection; a click without a drag selects nothing.
            at = self.position_at(pos) if self._article is not None else None
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and at is not None and self._sel_anchor:
                self.select(self._sel_anchor, at)
            else:
                self.clear_selection()
                self._sel_anchor = self._sel_end = at
            self._selecting = at is not None
        row = self.row_at(int(pos.y()))
        if row >= 0:
            self.rowClicked.emit(row)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Dragging selects text; a pointing hand over badges and strips, which act on a click."""
        pos = event.position()
        if self._selecting and event.buttons() & Qt.MouseButton.LeftButton:
            bar = self.verticalScrollBar()
            if pos.y() < 0 or pos.y() > self.viewport().height():  # dragged past an edge: scroll on
                step = int(pos.y() if pos.y() < 0 else pos.y() - self.viewport().height())
                bar.setValue(bar.value() + max(-60, min(60, step)))
            inside = QPointF(pos.x(), min(max(pos.y(), 0.0), self.viewport().height() - 1.0))
            at = self.position_at(inside)
            if at is not None and at != self._sel_end and self._sel_anchor is not None:
                self.select(self._sel_anchor, at)
            event.accept()
            return
        slot = self.slot_at(int(pos.y()))
        clickable = self.badge_at(pos) >= 0 or (0 <= slot < len(self._collapsed) and self._collapsed[slot])
        over_text = pos.x() >= TEXT_LEFT and self.paragraph_at(pos) >= 0
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if clickable else
                                  Qt.CursorShape.IBeamCursor if over_text else Qt.CursorShape.ArrowCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """End a drag selection."""
        if event.button() == Qt.MouseButton.LeftButton:
            self._selecting = False
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """A double click selects the word under the pointer."""
        at = self.position_at(event.position()) if self._article is not None else None
        if event.button() == Qt.MouseButton.LeftButton and at is not None:
            self._select_word(at)
            self._selecting = False
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Ctrl+C copies the selected text, or this side's text of the current row."""
        if event.matches(QKeySequence.StandardKey.Copy):
            text = self.selected_text() or self.row_text(self._current)
            if text:
                QGuiApplication.clipboard().setText(text)
            event.accept()
            return
        super().keyPressEvent(event)

    def context_menu_at(self, pos: QPointF) -> QMenu | None:
        """The context menu for viewport ``pos`` (the row there becomes current), None off the rows."""
        para = self.paragraph_at(pos)
        row = self.row_at(int(pos.y()))
        if para < 0 and row < 0:
            return None
        self.rowClicked.emit(row)
        menu = QMenu(self)
        clipboard = QGuiApplication.clipboard()
        chosen = self.selected_text()
        if chosen:
            menu.addAction("Copy selection", lambda: clipboard.setText(chosen)).setObjectName("copy_selection")
        if para >= 0:
            text = self._paragraphs[para].text
            menu.addAction("Copy paragraph", lambda: clipboard.setText(text))
        row_text = self.row_text(row)
        if row_text:
            menu.addAction("Copy row", lambda: clipboard.setText(row_text))
        if row >= 0:
            menu.addSeparator()
            label = "Edit Note…" if row in self._notes else "Add Note…"
            menu.addAction(label, lambda: self.noteRequested.emit(row))
        if para >= 0:
            self.add_mark_actions(menu, para)
            menu.addAction("Find Other Versions", lambda: self.versionsRequested.emit(para)).setObjectName(
                "find_versions")
        if chosen:
            action = menu.addAction("Find Other Versions of Selection",
                                    lambda: self.selectionVersionsRequested.emit(chosen))
            action.setObjectName("find_versions_selection")
            action.setStatusTip("Every article carrying the selected text, verbatim or edited")
        if self.menu_extender is not None:
            if para >= 0:
                self.set_picked(para)
                self.paragraphPicked.emit(para)
            self.menu_extender(menu, para, row)
        path = self._article.path if self._article is not None else ""
        if path:
            menu.addSeparator()
            menu.addAction("Copy file path", lambda: clipboard.setText(path))
            folder = str(Path(path).parent)
            menu.addAction("Open containing folder",
                           lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(folder)))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        """Offer to copy the paragraph or the row under the pointer."""
        # The event comes from the viewport in its own coordinates, or from the header in the
        # scroll area's: the global position means the same point either way.
        pos = self.viewport().mapFromGlobal(event.globalPos())
        menu = self.context_menu_at(QPointF(pos))
        if menu is not None:
            self.show_menu(menu, event.globalPos())

    def show_menu(self, menu: QMenu, global_pos: QPoint) -> None:
        """Run ``menu`` at ``global_pos`` (tests replace this to look at the menu instead)."""
        menu.exec(global_pos)

    def add_mark_actions(self, menu: QMenu, para: int) -> None:
        """Mark paragraph ``para``, and every recurrence of it in the corpus, as boilerplate or content."""
        if self.mark_lookup is None or self._article is None or not self._article.id:
            return
        current = self.mark_lookup(self._article.paragraphs[para])
        menu.addSeparator()
        for kind, label in (("boilerplate", "Mark as boilerplate (everywhere)"),
                            ("content", "Mark as content (everywhere)")):
            action = menu.addAction(label, functools.partial(self.markRequested.emit, para, kind))
            action.setCheckable(True)
            action.setChecked(current == kind)
            action.setObjectName(f"mark_{kind}")
        clear = menu.addAction("Clear mark", lambda: self.markRequested.emit(para, ""))
        clear.setObjectName("mark_clear")
        clear.setEnabled(current is not None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept local files and article ids."""
        if drop_items(event.mimeData()):
            event.acceptProposedAction()
            self._drag_over = True
            self.viewport().update()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        """Keep accepting while the drag is over the pane."""
        if drop_items(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        """Drop the drag outline."""
        self._drag_over = False
        self.viewport().update()

    def dropEvent(self, event: QDropEvent) -> None:
        """Emit :attr:`dropped` with the dropped ids or paths."""
        self._drag_over = False
        self.viewport().update()
        items = drop_items(event.mimeData())
        if items:
            event.acceptProposedAction()
            self.dropped.emit(items)
        else:
            event.ignore()


def find_all(text: str, needle: str) -> list[tuple[int, int]]:
    """Spans of every occurrence of ``needle`` (already case-folded) in ``text``, case-insensitively.

    Plain substring search (linear); case folding that changes a text's length falls back to
    lower-casing, which keeps offsets.
    """
    if not needle:
        return []
    hay = text.casefold()
    if len(hay) != len(text):
        hay, needle = text.lower(), needle.lower()
        if len(hay) != len(text):
            return []
    out = []
    start = hay.find(needle)
    while start >= 0:
        out.append((start, start + len(needle)))
        start = hay.find(needle, start + len(needle))
    return out
