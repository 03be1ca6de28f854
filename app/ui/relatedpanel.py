"""The "Related" dock: the articles sharing text with the left one, best first; a click compares."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QListView,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.palette import blend

if TYPE_CHECKING:
    from app.core.reuse.reusemap import RelatedArticle

ArticleRole = Qt.ItemDataRole.UserRole + 1  # the RelatedArticle of a row
IdRole = Qt.ItemDataRole.UserRole + 2
HeadingRole = Qt.ItemDataRole.UserRole + 10  # the text of a version heading row
ChangeRole = Qt.ItemDataRole.UserRole + 3  # the change label of a row, once known (app.ui.deltapanel)
_Index = QModelIndex | QPersistentModelIndex
LABEL_MARGIN_ROWS = 4  # rows labelled beyond those in view either way, so that a short scroll finds them done


def figures(rel: RelatedArticle) -> str:
    """``30 shared paragraphs · 64 % of this · 100 % of that``."""
    return rel.figure("").describe("this", "that")  # the one "shared" figure (ReuseMap.shared)


def where(rel: RelatedArticle) -> str:
    """``source · date`` with placeholders for what is unknown."""
    return f"{rel.source or 'unknown source'} · {rel.date or 'undated'}"


def versions_summary(versions: list[list[str]]) -> str:
    """``30 copies, 4 versions`` for a story's versions (empty when the article has no copies)."""
    copies = sum(len(g) for g in versions)
    if copies < 2:
        return ""
    n = len(versions)
    return f"{copies:,} copies, {n:,} version{'s' if n != 1 else ''}"


class RelatedModel(QAbstractListModel):
    """The articles related to one article (``RelatedArticle`` rows from the reuse map).

    Given the story's versions (:meth:`app.core.reuse.reusemap.ReuseMap.versions`), the rows are grouped
    by version under a heading row each ("Same text as this one · 8", "Version 2 · 5 copies"),
    when that groups anything: a story with 30 copies in 4 versions reads as 4 groups.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[RelatedArticle] = []
        self._changes: dict[str, str] = {}  # change labels by article id (app.ui.deltapanel)
        self._entries: list[RelatedArticle | str] = []  # a str is a version heading
        self._row_of: dict[str, int] = {}  # row of each article id
        self._key: tuple[str | None, list[list[str]]] = (None, [])  # the left article and versions shown

    def set_related(self, rows: list[RelatedArticle], versions: list[list[str]] | None = None,
                    here: str | None = None, *, fresh: bool = False) -> None:
        """Show ``rows`` (best first), grouped by ``versions`` when given.

        The same rows again (the window follows its left article at each comparison and each
        step of the map) leave the list, and the change labels found so far, as they are,
        unless ``fresh`` (a new map: the articles may have changed).
        """
        key = (here, versions or [])
        if not fresh and rows == self._rows and key == self._key:
            return
        self._key = key
        self.beginResetModel()
        self._rows = list(rows)
        self._entries = _grouped(self._rows, versions or [], here)
        self._row_of = {e.id: n for n, e in enumerate(self._entries) if not isinstance(e, str)}
        self._changes = {}
        self.endResetModel()

    def set_label(self, aid: str, text: str) -> None:
        """Show the change label of the row of ``aid`` (computed off the GUI thread)."""
        self.set_labels({aid: text})

    def set_labels(self, labels: dict[str, str]) -> None:
        """Show several change labels at once: one change for the view.

        The list lays out all its rows again at every change of data (their heights differ),
        700 rows for a story of 500 copies: a few labels a change, not one.
        """
        self._changes.update(labels)
        # Looked up, not searched (a search of every row for each label was 0.3 s of GUI-thread
        # work at 20,000 articles).
        rows = [n for n in map(self._row_of.get, labels) if n is not None]
        if rows:
            self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))

    def ids(self) -> list[str]:
        """Article ids in row order."""
        return [r.id for r in self._entries if not isinstance(r, str)]

    def id_at(self, row: int) -> str | None:
        """The article id of a row (None for a heading row or past the end)."""
        entry = self._entries[row] if 0 <= row < len(self._entries) else None
        return entry.id if entry is not None and not isinstance(entry, str) else None

    def label(self, aid: str) -> str:
        """The change label shown for ``aid`` ("" while not known)."""
        return self._changes.get(aid, "")

    def related(self, row: int) -> RelatedArticle:
        """The related article of a row (the first one under a heading row)."""
        entry = self._entries[row]
        while isinstance(entry, str):
            row += 1
            entry = self._entries[row]
        return entry

    def is_heading(self, row: int) -> bool:
        """True for a version heading row."""
        return 0 <= row < len(self._entries) and isinstance(self._entries[row], str)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        rel = self._entries[index.row()]
        if isinstance(rel, str):
            return rel if role in (Qt.ItemDataRole.DisplayRole, HeadingRole) else None
        if role == Qt.ItemDataRole.DisplayRole:
            return rel.title or rel.id
        if role == Qt.ItemDataRole.ToolTipRole:
            change = f"\nchange: {self._changes[rel.id]}" if rel.id in self._changes else ""
            return f"{rel.id}\n{where(rel)}\n{figures(rel)}{change}\nClick to compare it on the right"
        if role == ChangeRole:
            return self._changes.get(rel.id, "")
        if role == ArticleRole:
            return rel
        if role == IdRole:
            return rel.id
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if index.isValid() and self.is_heading(index.row()):
            return Qt.ItemFlag.ItemIsEnabled
        return super().flags(index)


def _grouped(rows: list[RelatedArticle], versions: list[list[str]], here: str | None) -> list[RelatedArticle | str]:
    """The rows under version headings, ``here``'s own version first, then largest first."""
    version_of = {aid: k for k, group in enumerate(versions) for aid in group}
    by_version: dict[int, list[RelatedArticle]] = {}
    for r in rows:
        by_version.setdefault(version_of.get(r.id, -1), []).append(r)
    if not any(len(g) > 1 for k, g in by_version.items() if k >= 0):
        return list(rows)  # every version is one copy: headings would group nothing
    mine = version_of.get(here or "", -2)
    order = sorted(by_version, key=lambda k: (k != mine, k < 0, -len(versions[k]) if k >= 0 else 0, k))
    out: list[RelatedArticle | str] = []
    number = 1
    for k in order:
        group = by_version[k]
        n = len(group)
        if k == mine:
            out.append(f"Same text as this one · {n:,} cop{'y' if n == 1 else 'ies'}")
        elif k < 0:
            out.append(f"Sharing part of the text · {n:,}")
        else:
            number += 1
            out.append(f"Version {number} · {n:,} cop{'y' if n == 1 else 'ies'}")
        out += group
    return out


class RelatedDelegate(QStyledItemDelegate):
    """Title, source · date, the figures, and a bar of how much of this article is shared."""

    PAD = 6
    BAR = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sizes: tuple[str, QSize, QSize] | None = None  # font key, heading and article row sizes

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        # Asked for every row at each layout (a story's 500 copies when the map arrives): the
        # two sizes are kept per font, and a heading is told from the model without data().
        font = option.font
        key = font.key()
        if self._sizes is None or self._sizes[0] != key:
            h = QFontMetricsF(font).height()
            self._sizes = (key, QSize(200, int(h + 2 * self.PAD)), QSize(200, int(3 * h + self.BAR + 3 * self.PAD)))
        model = index.model()
        heading = model.is_heading(index.row()) if isinstance(model, RelatedModel) else bool(index.data(HeadingRole))
        return self._sizes[1] if heading else self._sizes[2]

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        heading = index.data(HeadingRole)
        if heading:
            self._paint_heading(p, option, heading)
            return
        rel: RelatedArticle | None = index.data(ArticleRole)
        if rel is None:
            return
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, p, option.widget)
        pal = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text = pal.highlightedText().color() if selected else pal.text().color()
        dim = blend(text, pal.base().color(), 0.0 if selected else 0.4)
        r = QRectF(option.rect).adjusted(self.PAD + 2, self.PAD / 2, -self.PAD - 2, -self.PAD / 2)
        fm = QFontMetricsF(option.font)
        line = fm.height()
        bold = QFont(option.font)
        bold.setBold(True)
        p.save()
        p.setFont(bold)
        p.setPen(text)
        p.drawText(QRectF(r.left(), r.top(), r.width(), line), Qt.AlignmentFlag.AlignVCenter,
                   QFontMetricsF(bold).elidedText(rel.title or rel.id, Qt.TextElideMode.ElideRight, r.width()))
        p.setFont(option.font)
        p.setPen(dim)
        change = index.data(ChangeRole)
        second = f"{change} · {where(rel)}" if change else where(rel)
        p.drawText(QRectF(r.left(), r.top() + line, r.width(), line), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(second, Qt.TextElideMode.ElideRight, r.width()))
        p.setPen(text)
        p.drawText(QRectF(r.left(), r.top() + 2 * line, r.width(), line), Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(figures(rel), Qt.TextElideMode.ElideRight, r.width()))
        bar = QRectF(r.left(), r.top() + 3 * line + self.PAD / 2, r.width(), self.BAR)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(blend(pal.base().color(), pal.text().color(), 0.12))
        p.drawRoundedRect(bar, 2, 2)
        p.setBrush(pal.highlight().color() if not selected else pal.highlightedText().color())
        p.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * min(rel.pct_here, 100.0) / 100, self.BAR), 2, 2)
        p.restore()


    def _paint_heading(self, p: QPainter, option: QStyleOptionViewItem, text: str) -> None:
        pal = option.palette
        r = QRectF(option.rect).adjusted(self.PAD + 2, self.PAD, -self.PAD - 2, 0)
        font = QFont(option.font)
        font.setBold(True)
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.9))
        p.save()
        p.setFont(font)
        p.setPen(blend(pal.text().color(), pal.base().color(), 0.3))
        p.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, r.width()))
        p.setPen(blend(pal.text().color(), pal.base().color(), 0.8))
        p.drawLine(option.rect.bottomLeft(), option.rect.bottomRight())
        p.restore()


def wants_new_tab(event: QMouseEvent) -> bool:
    """Whether a mouse button event asks for a new tab: the middle button, or Ctrl with the left."""
    button = event.button()
    return button == Qt.MouseButton.MiddleButton or (
        button == Qt.MouseButton.LeftButton and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier))


class _RelatedList(QListView):
    """The list, with its empty-state text drawn in the viewport.

    A middle-click or Ctrl-click on a row emits :attr:`newTabClicked` (and no ``clicked``).
    """

    newTabClicked = Signal(QModelIndex)
    shown = Signal()  # shown or resized: other rows may have come into view

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.placeholder = ""
        self._tab_press: QPersistentModelIndex | None = None

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.shown.emit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if wants_new_tab(event):
            # Handled whole here: Ctrl-click must not toggle the selection, nor a release compare twice.
            index = self.indexAt(event.position().toPoint())
            self._tab_press = QPersistentModelIndex(index) if index.isValid() else None
            if index.isValid():
                self.setCurrentIndex(index)
            event.accept()
            return
        self._tab_press = None
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._tab_press is not None:
            pressed, self._tab_press = self._tab_press, None
            index = self.indexAt(event.position().toPoint())
            if index.isValid() and pressed == index:
                self.newTabClicked.emit(index)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Ctrl+Enter is read from the key event itself: the application's modifier state can be
        # stale (a shortcut's release seen elsewhere) and would open tabs on a plain activation.
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier and self.currentIndex().isValid()):
            self.newTabClicked.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self.placeholder:
            p = QPainter(self.viewport())
            pal = self.palette()
            p.setPen(blend(pal.text().color(), pal.base().color(), 0.45))
            p.drawText(self.viewport().rect().adjusted(12, 12, -12, -12),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       self.placeholder)


class RelatedPanel(QDockWidget):
    """Shows a :class:`RelatedModel` for the article open on the left.

    A click (or Enter) on a row emits :attr:`compareRequested` with the left article and that row;
    a middle-click, Ctrl-click or Ctrl+Enter emits :attr:`newTabRequested` (always a new tab).
    """

    compareRequested = Signal(str, str)  # left id, right id
    newTabRequested = Signal(str, str)  # left id, right id: to compare in a new tab
    storyRequested = Signal(str)  # the left article, to open its story as a story tab
    rowsInViewChanged = Signal()  # scrolled, resized or shown: see ids_in_view()

    NO_ARTICLE = "Open an article on the left to see the others sharing its text."
    LOADING = "Finding shared text…"
    NONE = "No other article shares text with this one."
    OUTSIDE = "This article is not in the open corpus."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Related", parent)
        self.setObjectName("relatedDock")
        self._article: str | None = None
        self.model = RelatedModel(self)
        self.view = _RelatedList(self)
        self.view.setObjectName("relatedList")
        self.view.setModel(self.model)
        self.view.setItemDelegate(RelatedDelegate(self.view))
        self.view.setUniformItemSizes(False)  # version headings are one line
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setMouseTracking(True)
        self.view.placeholder = self.NO_ARTICLE
        # Where the style already activates on a single click, ``clicked`` would compare twice.
        if not self.view.style().styleHint(QStyle.StyleHint.SH_ItemView_ActivateItemOnSingleClick):
            self.view.clicked.connect(self._open)
        self.view.activated.connect(self._open)
        self.view.newTabClicked.connect(lambda index: self._open(index, new_tab=True))
        # Told once the view has settled (its layout is delayed, a scroll comes in many steps).
        self._in_view_timer = QTimer(self)
        self._in_view_timer.setSingleShot(True)
        self._in_view_timer.setInterval(40)
        self._in_view_timer.timeout.connect(self.rowsInViewChanged)
        self.view.verticalScrollBar().valueChanged.connect(self._rows_moved)  # not start(int): its msec
        self.view.shown.connect(self._rows_moved)
        self.model.modelReset.connect(self._rows_moved)
        self.summary = QLabel("", self)
        self.summary.setObjectName("relatedSummary")
        self.summary.setContentsMargins(8, 4, 8, 2)
        # Its text never widens the dock: that resized the comparison beside it, whose panes
        # wrapped all their text again when the map arrived (30-50 ms at 100,000 articles).
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.hide()
        self.story_link = QLabel('<a href="story">Story view</a>', self)
        self.story_link.setObjectName("relatedStoryLink")
        self.story_link.setToolTip("Open this story with all its copies against the likely origin")
        self.story_link.setContentsMargins(8, 4, 8, 2)
        self.story_link.linkActivated.connect(lambda _link: self._article and self.storyRequested.emit(self._article))
        self.story_link.hide()
        heading = QHBoxLayout()
        heading.setContentsMargins(0, 0, 0, 0)
        heading.addWidget(self.summary, 1)
        heading.addWidget(self.story_link)
        body = QWidget(self)
        box = QVBoxLayout(body)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addLayout(heading)
        box.addWidget(self.view, 1)
        self.setWidget(body)

    def article(self) -> str | None:
        """The article whose related ones are listed."""
        return self._article

    def placeholder(self) -> str:
        """The empty-state text (shown when the list is empty)."""
        return self.view.placeholder

    def _rows_moved(self, *_args: object) -> None:
        self._in_view_timer.start()

    def ids_in_view(self, margin: int = LABEL_MARGIN_ROWS) -> list[str]:
        """The articles of the rows the analyst can see, then of ``margin`` rows below and above.

        Empty while the list is not on screen (its dock closed or tabbed away): the change
        labels are computed for these rows only, as they come into view
        (:attr:`rowsInViewChanged`).
        """
        model, view = self.model, self.view
        count = model.rowCount()
        if count == 0 or not view.isVisible():
            return []
        port = view.viewport().rect()
        top = view.indexAt(port.topLeft())
        first = top.row() if top.isValid() else 0
        bottom = view.indexAt(port.bottomLeft())
        if bottom.isValid():
            last = bottom.row()
        else:
            # Past the last row, or laid out not yet: as many rows as the shortest (headings) would fill.
            shortest = max(1, QFontMetricsF(view.font()).height() + 2 * RelatedDelegate.PAD)
            last = min(count - 1, first + int(port.height() / shortest) + 1)
            end = view.visualRect(model.index(count - 1))
            if end.isValid() and end.bottom() <= port.bottom():
                last = count - 1
        rows = [*range(first, last + 1), *range(last + 1, min(count, last + 1 + margin)),
                *range(first - 1, max(-1, first - 1 - margin), -1)]
        return [aid for aid in map(model.id_at, rows) if aid is not None]

    def show_related(self, aid: str | None, rows: list[RelatedArticle] | None,
                     versions: list[list[str]] | None = None, *, fresh: bool = False) -> None:
        """List ``rows`` for ``aid``; ``rows`` None means the reuse map is not ready yet.

        ``versions`` (the story's copies grouped by version) groups the rows and heads the
        list with "30 copies, 4 versions". The same list again is left as it is (its scroll
        position and change labels) unless ``fresh`` (rows of a new reuse map).
        """
        self._article = aid
        self.model.set_related(rows or [], versions, aid, fresh=fresh)
        summary = versions_summary(versions or []) if rows else ""
        self.summary.setText(f"This story: {summary}" if summary else "")
        self.summary.setToolTip(self.summary.text())  # in full, should the dock be too narrow
        self.summary.setVisible(bool(summary))
        self.story_link.setVisible(bool(summary))
        if not aid:
            self.view.placeholder = self.NO_ARTICLE
        elif rows is None:
            self.view.placeholder = self.LOADING
        else:
            self.view.placeholder = self.NONE
        self.view.viewport().update()

    def show_outside(self, aid: str) -> None:
        """Say that the left article is not part of the corpus (a dropped file)."""
        self.show_related(aid, [])
        self.view.placeholder = self.OUTSIDE

    def _open(self, index: QModelIndex, new_tab: bool = False) -> None:
        rid = index.data(IdRole)
        if not (self._article and isinstance(rid, str)):
            return
        if new_tab:
            self.newTabRequested.emit(self._article, rid)
        else:
            self.compareRequested.emit(self._article, rid)
