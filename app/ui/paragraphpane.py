"""One side of the comparison: an article's paragraphs painted row by row, padded to line up."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QLabel, QMenu, QVBoxLayout, QWidget

from app.core.model import Article, Paragraph, Role, Row, RowKind
from app.core.text import WORD_RE
from app.ui.overview import NOTE_EDGE, NOTE_FILL
from app.ui.palette import ViewColours, colours
from app.ui.rowlayout import ROW_PADDING, RowLayout

ARTICLE_ID_MIME = "application/x-parallax-article-id"
TEXT_LEFT = 18  # room for the kind strip
TEXT_RIGHT = 16
PARA_GAP = 10  # between paragraphs grouped in one cell
LINE_SPACING = 1.32


def drop_items(mime) -> list[str]:  # noqa: ANN001 - QMimeData
    """Article ids or local file paths carried by a drag, in order; empty when none."""
    if mime.hasFormat(ARTICLE_ID_MIME):
        raw = bytes(mime.data(ARTICLE_ID_MIME).data()).decode("utf-8", "replace")
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if mime.hasUrls():
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
    return []


class _Block:
    """A paragraph's text laid out for one width; paint-time marks are drawn on top."""

    __slots__ = ("height", "layout", "width")

    def __init__(self, text: str, font: QFont, width: int) -> None:
        self.width = width
        self.layout = QTextLayout(text, font)
        opt = QTextOption()
        opt.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
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
            x1 = line.cursorToX(max(start, ls))[0]
            x2 = line.cursorToX(min(end, le))[0]
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
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.meta = QLabel(self)
        self.path = QLabel(self)
        small = self.path.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.path.setFont(small)
        for label in (self.title, self.meta, self.path):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setTextFormat(Qt.TextFormat.PlainText)
            box.addWidget(label)
        self.set_article(None)

    def set_article(self, article: Article | None) -> None:
        """Show ``article``'s metadata, or a prompt when there is none."""
        if article is None:
            self.title.setText("No article")
            self.meta.setText("Drop a file or an article from the list here")
            self.path.setText("")
            return
        self.title.setText(article.title or article.id)
        date = article.date.isoformat() if article.date else ""
        parts = [p for p in (article.source, article.author, date) if p]
        self.meta.setText(" · ".join(parts) if parts else "Unknown source")
        self.path.setText(article.path or article.id)
        self.path.setToolTip(article.path)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
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
        self.setPalette(pal)
        dim = f"color: {c.dim_text.name()};"
        self.meta.setStyleSheet(dim)
        self.path.setStyleSheet(dim)


class ParagraphPane(QAbstractScrollArea):
    """Paints one side's paragraphs in the shared :class:`RowLayout`; only visible rows are drawn."""

    rowClicked = Signal(int)
    dropped = Signal(list)  # article ids or local paths
    noteRequested = Signal(int)  # row whose context menu asked to add or edit its note
    markRequested = Signal(int, str)  # paragraph, "boilerplate" / "content" / "" (clear), everywhere
    textWidthChanged = Signal()

    def __init__(self, side: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.setObjectName(f"{side}Pane")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff if side == "left" else Qt.ScrollBarPolicy.ScrollBarAlwaysOn
        )
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.header = PaneHeader(self)
        self._colours = colours(self.palette())
        self.header.apply_colours(self._colours)
        self.viewport().setAutoFillBackground(False)
        self._font = QFont(self.font())
        self._font.setPointSizeF(11.0)
        self._title_font = QFont(self._font)
        self._title_font.setPointSizeF(13.0)
        self._title_font.setBold(True)
        self._small = QFont(self.font())
        self._small.setPointSizeF(7.5)
        self._article: Article | None = None
        self._rows: list[Row] = []
        self._marks: dict[int, list[tuple[int, int, str]]] = {}
        self._matcher: Callable[[str], bool] | None = None
        self._hits: dict[int, list[tuple[int, int]]] = {}
        self._blocks: dict[int, _Block] = {}
        self._layout = RowLayout()
        self._collapsed: list[bool] = []
        self._current = -1
        self._notes: set[int] = set()
        self._header_height = 0
        self._drag_over = False
        self._last_width = -1
        self.mark_lookup: Callable[[Paragraph], str | None] | None = None  # the analyst's mark

    # --- content -------------------------------------------------------------------------

    def set_content(self, article: Article | None, rows: list[Row]) -> None:
        """Show ``article`` split into ``rows`` (this pane's side of each row)."""
        self._article = article
        self._rows = list(rows) if article is not None else []
        self._blocks.clear()
        self._hits.clear()
        self._marks = {}
        self._current = -1
        self.header.set_article(article)
        for row in self._rows:
            for op in row.ops:
                spans = op.left if self.side == "left" else op.right
                for para, start, end in spans:
                    self._marks.setdefault(para, []).append((start, end, op.tag))
        self.viewport().update()

    def set_highlighter(self, matcher: Callable[[str], bool] | None) -> None:
        """Highlight the words ``matcher`` accepts (query terms); None clears."""
        self._matcher = matcher
        self._hits.clear()
        self.viewport().update()

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

    def text_width(self) -> int:
        """Width available to paragraph text at the current viewport size."""
        return max(60, self.viewport().width() - TEXT_LEFT - TEXT_RIGHT)

    def text_heights(self) -> list[int]:
        """Height of this side's text in each row at the current width (0 for an empty cell)."""
        width = self.text_width()
        return [self._cell_height(self._side(n), width) for n in range(len(self._rows))]

    def set_row_layout(self, layout: RowLayout, collapsed: list[bool]) -> None:
        """Adopt the shared row geometry and size the scroll range to it."""
        self._layout = layout
        self._collapsed = collapsed
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setPageStep(max(1, page))
        bar.setSingleStep(24)
        bar.setRange(0, max(0, layout.total - page))
        self.viewport().update()

    def row_layout(self) -> RowLayout:
        """The row geometry in use."""
        return self._layout

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

    def row_rect(self, row: int) -> QRect:
        """``row``'s rectangle in viewport coordinates (empty for an unknown row)."""
        if not 0 <= row < len(self._layout):
            return QRect()
        top, bottom = self._layout.span(row)
        y = top - self.verticalScrollBar().value()
        return QRect(0, y, self.viewport().width(), bottom - top)

    def text_span(self, row: int) -> tuple[int, int]:
        """Vertical extent of this side's text in ``row``, viewport coordinates (row rect if empty)."""
        rect = self.row_rect(row)
        if rect.isEmpty() or (row < len(self._collapsed) and self._collapsed[row]):
            return rect.top(), rect.bottom() + 1
        h = self._cell_height(self._side(row), self.text_width())
        if not h:
            return rect.top(), rect.bottom() + 1
        top = rect.top() + ROW_PADDING
        return top, top + h

    def row_at(self, y: int) -> int:
        """The row under viewport y, -1 when none."""
        if not len(self._layout):
            return -1
        content = y + self.verticalScrollBar().value()
        if content < 0 or content >= self._layout.total:
            return -1
        return self._layout.row_at(content)

    # --- text ----------------------------------------------------------------------------

    def _side(self, row: int) -> tuple[int, ...]:
        r = self._rows[row]
        return r.left if self.side == "left" else r.right

    def _block(self, para: int, width: int) -> _Block:
        block = self._blocks.get(para)
        if block is None or block.width != width:
            p = self._article.paragraphs[para]
            font = self._title_font if p.role is Role.TITLE else self._font
            block = _Block(p.text, font, width)
            self._blocks[para] = block
        return block

    def _cell_height(self, paras: tuple[int, ...], width: int) -> int:
        if not paras:
            return 0
        return sum(self._block(p, width).height for p in paras) + PARA_GAP * (len(paras) - 1)

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
        row = self.row_at(int(pos.y()))
        if row < 0 or self._collapsed[row]:
            return -1
        y = self.row_rect(row).top() + ROW_PADDING
        width = self.text_width()
        for para in self._side(row):
            h = self._block(para, width).height
            if pos.y() < y + h + PARA_GAP / 2:
                return para
            y += h + PARA_GAP
        return self._side(row)[-1] if self._side(row) else -1

    # --- painting ------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Paint the rows intersecting the exposed area."""
        p = QPainter(self.viewport())
        c = self._colours
        clip = event.rect()
        p.fillRect(clip, c.gap if self._article is not None else c.base)
        if self._article is None:
            p.setPen(c.dim_text)
            p.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, "Drop an article here")
        else:
            scroll = self.verticalScrollBar().value()
            width = self.text_width()
            for row in self._layout.rows_between(scroll + clip.top(), scroll + clip.bottom() + 1):
                self._paint_row(p, row, width)
            if self._layout.total - scroll < self.viewport().height():
                p.fillRect(QRect(0, self._layout.total - scroll, self.viewport().width(),
                                 self.viewport().height()), c.gap)
        if self._drag_over:
            pen = QPen(c.current, 2, Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(self.viewport().rect().adjusted(1, 1, -2, -2))
        p.end()

    def _paint_row(self, p: QPainter, row: int, width: int) -> None:
        c = self._colours
        r = self._rows[row]
        rect = self.row_rect(row)
        paras = self._side(row)
        if self._collapsed[row]:
            p.fillRect(rect, c.row(RowKind.BOILERPLATE))
            p.setPen(QPen(c.separator, 1, Qt.PenStyle.DotLine))
            p.drawLine(rect.left() + TEXT_LEFT, rect.center().y(), rect.right() - TEXT_RIGHT, rect.center().y())
        elif not paras:
            p.fillRect(rect, c.gap)
            p.fillRect(rect, QBrush(c.gap_hatch, Qt.BrushStyle.BDiagPattern))
        else:
            p.fillRect(rect, c.row(r.kind, r.moved))
            p.fillRect(QRect(rect.left(), rect.top(), 4, rect.height()), c.mark(r.kind, r.moved))
            self._paint_text(p, r, paras, rect, width)
            self._paint_badge(p, r, rect)
        p.setPen(QPen(c.separator, 1))
        p.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())
        if row in self._notes:
            self._paint_note_corner(p, rect)
        if row == self._current:
            p.setPen(QPen(c.current, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect.adjusted(1, 1, -1, -1))

    def _paint_text(self, p: QPainter, r: Row, paras: tuple[int, ...], rect: QRect, width: int) -> None:
        c = self._colours
        dim = r.kind is RowKind.BOILERPLATE
        y = rect.top() + ROW_PADDING
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
            role = self._article.paragraphs[para].role
            p.setPen(c.dim_text if dim or role in (Role.CHROME, Role.BYLINE) else c.text)
            block.layout.draw(p, origin)
            if strikes:
                p.setPen(QPen(c.strike, 1.2))
                for s in strikes:
                    mid = s.top() + s.height() * 0.55
                    p.drawLine(QPointF(s.left(), mid), QPointF(s.right(), mid))
            y += block.height + PARA_GAP

    @staticmethod
    def _paint_note_corner(p: QPainter, rect: QRect) -> None:
        size = min(16, rect.height())
        corner = QPolygonF([QPointF(rect.left(), rect.top()), QPointF(rect.left() + size, rect.top()),
                            QPointF(rect.left(), rect.top() + size)])
        p.setPen(QPen(NOTE_EDGE, 1))
        p.setBrush(NOTE_FILL)
        p.drawPolygon(corner)

    def _paint_badge(self, p: QPainter, r: Row, rect: QRect) -> None:
        labels = []
        if r.moved:
            labels.append(("↕ moved", self._colours.moved_mark))
        if r.kind is RowKind.CHANGED and self.side == "right":
            labels.append((f"{r.score:.0f} %", self._colours.mark(RowKind.CHANGED)))
        if not labels:
            return
        p.setFont(self._small)
        fm = QFontMetricsF(self._small)
        x = rect.right() - 4
        for text, colour in labels:
            w = fm.horizontalAdvance(text) + 8
            box = QRectF(x - w, rect.top() + 1.5, w, fm.height())
            fill = QColor(self._colours.base)
            fill.setAlpha(225)
            p.setBrush(fill)
            p.setPen(QPen(colour, 1))
            p.drawRoundedRect(box, 6, 6)
            p.setPen(colour)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            x -= w + 4

    # --- events --------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
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

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Make the clicked row current."""
        row = self.row_at(int(event.position().y()))
        if row >= 0:
            self.rowClicked.emit(row)
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Ctrl+C copies this side's text of the current row."""
        if event.matches(QKeySequence.StandardKey.Copy):
            text = self.row_text(self._current)
            if text:
                QGuiApplication.clipboard().setText(text)
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        """Offer to copy the paragraph or the row under the pointer."""
        pos = self.viewport().mapFrom(self, event.pos())
        para = self.paragraph_at(QPointF(pos))
        row = self.row_at(pos.y())
        if para < 0 and row < 0:
            return
        self.rowClicked.emit(row)
        menu = QMenu(self)
        clipboard = QGuiApplication.clipboard()
        if para >= 0:
            text = self._article.paragraphs[para].text
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
        menu.exec(event.globalPos())

    def add_mark_actions(self, menu: QMenu, para: int) -> None:
        """Mark paragraph ``para``, and every recurrence of it in the corpus, as boilerplate or content."""
        if self.mark_lookup is None or self._article is None or not self._article.id:
            return
        current = self.mark_lookup(self._article.paragraphs[para])
        menu.addSeparator()
        for kind, label in (("boilerplate", "Mark as boilerplate (everywhere)"),
                            ("content", "Mark as content (everywhere)")):
            action = menu.addAction(label, lambda k=kind: self.markRequested.emit(para, k))
            action.setCheckable(True)
            action.setChecked(current == kind)
            action.setObjectName(f"mark_{kind}")
        clear = menu.addAction("Clear mark", lambda: self.markRequested.emit(para, ""))
        clear.setObjectName("mark_clear")
        clear.setEnabled(current is not None)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        """Accept local files and article ids."""
        if drop_items(event.mimeData()):
            event.acceptProposedAction()
            self._drag_over = True
            self.viewport().update()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        """Keep accepting while the drag is over the pane."""
        if drop_items(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt override
        """Drop the drag outline."""
        self._drag_over = False
        self.viewport().update()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        """Emit :attr:`dropped` with the dropped ids or paths."""
        self._drag_over = False
        self.viewport().update()
        items = drop_items(event.mimeData())
        if items:
            event.acceptProposedAction()
            self.dropped.emit(items)
        else:
            event.ignore()
