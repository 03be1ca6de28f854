"""Item models over article ids (the corpus listing, search hits) and the delegate drawing hits."""

from __future__ import annotations

import heapq
import html
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractListModel,
    QAbstractTableModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from app.core.reading.model import Hit, SearchResult
from app.core.reuse.copies import StoryHits
from app.core.search.titlemarks import marked_title_html

if TYPE_CHECKING:
    from app.core.workspace.corpus import ArticleInfo

ARTICLE_MIME = "application/x-parallax-article-id"
IdRole = Qt.ItemDataRole.UserRole + 1
SortRole = Qt.ItemDataRole.UserRole + 2
HitRole = Qt.ItemDataRole.UserRole + 3
FilterRole = Qt.ItemDataRole.UserRole + 4
KindRole = Qt.ItemDataRole.UserRole + 5  # search rows: HIT, COPIES ("+N copies") or COPY
HIT, COPIES, COPY = "hit", "copies", "copy"

_Index = QModelIndex | QPersistentModelIndex
T = TypeVar("T")


def article_mime(ids: Iterable[str]) -> QMimeData:
    """Drag data for articles: their ids, newline-separated, as Parallax ids and as plain text."""
    text = "\n".join(ids)
    data = QMimeData()
    data.setData(ARTICLE_MIME, text.encode("utf-8"))
    data.setText(text)
    return data


def ids_of(indexes: Sequence[QModelIndex]) -> list[str]:
    """The distinct article ids of ``indexes``, in their order."""
    seen: list[str] = []
    for index in indexes:
        aid = index.data(IdRole)
        if aid and aid not in seen:
            seen.append(aid)
    return seen


if TYPE_CHECKING:
    _ModelBase = QAbstractItemModel  # what the mix-in's super() is in the models below
else:
    _ModelBase = object


class _DragsArticleIds(_ModelBase):
    """Model mix-in: rows drag as article ids (and plain text) onto panes and other lists."""

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [ARTICLE_MIME, "text/plain"]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        return article_mime(ids_of(indexes))


def _sort_key(info: ArticleInfo, column: int) -> str:
    if column == 0:
        return (info.title or info.id).casefold()
    if column == 1:
        return info.source.casefold()
    return info.date.isoformat() if info.date else ""


def _stable_sorted(items: list[T], key: Callable[[T], Any], reverse: bool = False) -> list[T]:
    """``sorted(items, key=key, reverse=reverse)`` in slices merged in Python.

    One ``sorted`` over 100,000 rows holds the GIL for a fifth of a second; run on a worker
    thread it would still freeze the window. Slices and a Python-level merge let it breathe.
    """
    step = 4096
    if len(items) <= step:
        return sorted(items, key=key, reverse=reverse)
    runs = [sorted(items[i:i + step], key=key, reverse=reverse) for i in range(0, len(items), step)]
    return list(heapq.merge(*runs, key=key, reverse=reverse))  # ties: earlier run first, as sorted()


def _sorted_ids(articles: Sequence[ArticleInfo], column: int, descending: bool) -> list[str]:
    # Sorted here in Python, once: a sorting proxy would call data() for every comparison,
    # about a second for ten thousand rows.
    by_id = _stable_sorted(list(articles), key=attrgetter("id"))
    keyed = _stable_sorted([(_sort_key(a, column), a.id) for a in by_id], key=itemgetter(0), reverse=descending)
    filled = [aid for key, aid in keyed if key]  # ties stay in id order
    return filled + [aid for key, aid in keyed if not key]  # blanks last


class SortedIds:
    """Article ids in one sort order, computed away from the GUI thread (see :func:`sorted_ids`)."""

    __slots__ = ("ids", "info", "order")

    def __init__(self, ids: list[str], order: tuple[int, Qt.SortOrder],
                 info: dict[str, ArticleInfo] | None = None) -> None:
        self.ids = ids
        self.order = order
        self.info = info  # the articles by id, also made off the GUI thread (30 ms at 100,000)


def sorted_ids(articles: Sequence[ArticleInfo], order: tuple[int, Qt.SortOrder]) -> SortedIds:
    """The ids of ``articles`` in ``order`` as :class:`ArticleTableModel` shows them (thread-safe)."""
    column, direction = order
    return SortedIds(_sorted_ids(articles, column, direction == Qt.SortOrder.DescendingOrder), order,
                     {a.id: a for a in articles})


class ArticleTableModel(_DragsArticleIds, QAbstractTableModel):
    """Every article of a corpus: title, source, date. Rows are ids; metadata comes from the index."""

    COLUMNS = ("Title", "Source", "Date")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ids: list[str] = []
        self._info: dict[str, ArticleInfo] = {}
        self._order: tuple[int, Qt.SortOrder] = (2, Qt.SortOrder.DescendingOrder)

    def set_articles(self, articles: Sequence[ArticleInfo], ordered: SortedIds | None = None) -> None:
        """Replace the rows (kept in the current sort order).

        ``ordered`` is :func:`sorted_ids` of ``articles`` computed off the GUI thread; it is used
        when made for the current order (sorting 100,000 rows here takes a third of a second).
        """
        self.beginResetModel()
        given = ordered.info if ordered is not None else None
        self._info = given if given is not None and len(given) == len(articles) else {a.id: a for a in articles}
        if ordered is not None and ordered.order == self._order and len(ordered.ids) == len(self._info):
            self._ids = ordered.ids
        else:
            self._ids = self._sorted(list(self._info), *self._order)
        self.endResetModel()

    @property
    def order(self) -> tuple[int, Qt.SortOrder]:
        """The current sort (column, order)."""
        return self._order

    def _sort_key(self, column: int, aid: str) -> str:
        return _sort_key(self._info[aid], column)

    def _sorted(self, ids: list[str], column: int, order: Qt.SortOrder) -> list[str]:
        return _sorted_ids([self._info[aid] for aid in ids], column, order == Qt.SortOrder.DescendingOrder)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column; blank values (no date, no source) go last either way."""
        if not 0 <= column < len(self.COLUMNS):
            return
        self._order = (column, order)
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        old_ids = [self._ids[i.row()] for i in old]
        self._ids = self._sorted(self._ids, column, order)
        row_of = {aid: row for row, aid in enumerate(self._ids)}
        self.changePersistentIndexList(
            old, [self.index(row_of[aid], i.column()) for aid, i in zip(old_ids, old, strict=True)])
        self.layoutChanged.emit()

    def article_id(self, row: int) -> str:
        """The id shown in ``row``."""
        return self._ids[row]

    def info(self, aid: str) -> ArticleInfo | None:
        """The metadata of article ``aid``, if listed."""
        return self._info.get(aid)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        aid = self._ids[index.row()]
        if role == IdRole:
            return aid
        info = self._info[aid]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return info.title or aid
            if col == 1:
                return info.source
            return info.date.isoformat() if info.date else ""
        if role == SortRole:
            return self._sort_key(col, aid)
        if role == FilterRole:
            return f"{info.title} {info.source} {aid}".casefold()
        if role == Qt.ItemDataRole.ToolTipRole:
            by = f" · {info.author}" if info.author else ""
            return f"{info.title or aid}\n{info.source}{by}\n{aid} · {info.paragraphs} paragraphs"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None



class ArticleFilterProxy(QSortFilterProxyModel):
    """Keeps rows whose title, source or id hold every typed word; sorting is left to the model."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._words: list[str] = []
        self.setSortRole(SortRole)
        self.setFilterRole(FilterRole)
        self.setFilterKeyColumn(0)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the source model (the proxy keeps its order)."""
        model = self.sourceModel()
        if isinstance(model, ArticleTableModel):
            model.sort(column, order)

    def set_filter_text(self, text: str) -> None:
        """Filter as the user types: rows whose title, source or id hold every word."""
        words = text.casefold().split()
        if words != self._words:
            self._words = words
            # Qt's own filter on a haystack role: no Python call per row when unfiltered
            # (a Python filterAcceptsRow runs for all 100,000 rows on every model reset).
            pattern = "".join(f"(?=.*{QRegularExpression.escape(w)})" for w in words)
            self.setFilterRegularExpression(QRegularExpression(
                f"^{pattern}" if words else "", QRegularExpression.PatternOption.CaseInsensitiveOption
                | QRegularExpression.PatternOption.DotMatchesEverythingOption))


class SearchResultModel(_DragsArticleIds, QAbstractListModel):
    """The hits of the latest query, best first.

    With copies collapsed (the default once the reuse map is known), a story carried by many
    outlets is one row, its best hit, followed by a "+N copies" row that expands to list the
    other copies (:class:`app.core.reuse.copies.StoryHits`).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._result_hits: tuple[Hit, ...] = ()
        self._stories: StoryHits | None = None
        self._rows: list[tuple[str, Hit, int]] = []  # (HIT | COPIES | COPY, hit, group or -1)
        self._expanded: set[str] = set()  # leaders whose copies are listed
        self.collapse = True
        self.total = 0
        self.query = ""

    def set_result(self, result: SearchResult | None, stories: StoryHits | None = None) -> None:
        """Show ``result`` (``None`` clears the list); ``stories`` groups its hits by story."""
        self.beginResetModel()
        self._result_hits = result.hits if result else ()
        self._stories = stories if result is not None and stories is not None and stories.result is result else None
        self.total = result.total if result else 0
        self.query = result.query if result else ""
        self._expanded.clear()
        self._build()
        self.endResetModel()

    def set_collapse(self, collapse: bool) -> None:
        """Collapse copies of one story under its best hit (True) or list every hit (False)."""
        if collapse != self.collapse:
            self.beginResetModel()
            self.collapse = collapse
            self._build()
            self.endResetModel()

    def _build(self) -> None:
        stories = self._stories
        if not self.collapse or stories is None:
            self._rows = [(HIT, h, -1) for h in self._result_hits]
            return
        rows: list[tuple[str, Hit, int]] = []
        for k, g in enumerate(stories.groups):
            rows.append((HIT, g.hit, k))
            if g.copies:
                rows.append((COPIES, g.hit, k))
                if g.hit.id in self._expanded:
                    rows += [(COPY, stories.copy_hits[c], k) for c in g.copies if c in stories.copy_hits]
        self._rows = rows

    def copies_row(self, row: int) -> bool:
        """True for a "+N copies" row."""
        return 0 <= row < len(self._rows) and self._rows[row][0] == COPIES

    def toggle(self, row: int) -> bool:
        """Expand or fold the copies under the "+N copies" row ``row``; False for another row."""
        if not self.copies_row(row):
            return False
        aid = self._rows[row][1].id
        self.beginResetModel()
        self._expanded.symmetric_difference_update({aid})
        self._build()
        self.endResetModel()
        return True

    def copy_count(self, row: int) -> int:
        """Copies of the story of ``row`` (0 when copies are not collapsed)."""
        if not 0 <= row < len(self._rows) or self._stories is None or self._rows[row][2] < 0:
            return 0
        return len(self._stories.groups[self._rows[row][2]].copies)

    def hit(self, row: int) -> Hit:
        """The hit in ``row`` (for a "+N copies" row, its story's best hit)."""
        return self._rows[row][1]

    def ids(self) -> list[str]:
        """Ids of every hit of the result in its order (hits folded under a story included)."""
        return [h.id for h in self._result_hits]

    def reveal(self, ids: Iterable[str]) -> None:
        """Expand the stories whose copies hold one of ``ids`` not shown as a row of its own."""
        if self._stories is None or not self.collapse:
            return
        shown = {h.id for kind, h, _ in self._rows if kind != COPIES}
        wanted = set(ids) - shown
        leaders = {g.hit.id for g in self._stories.groups if wanted & set(g.copies)}
        if leaders - self._expanded:
            self.beginResetModel()
            self._expanded |= leaders
            self._build()
            self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        kind, hit, _group = self._rows[index.row()]
        if role == KindRole:
            return kind
        if kind == COPIES:
            n = self.copy_count(index.row())
            open_ = hit.id in self._expanded
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{'−' if open_ else '+'} {n:,} cop{'y' if n == 1 else 'ies'} of this story" + (
                    "" if open_ else " (click to list)")
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Other articles carrying the same story; click to list or hide them"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.title or hit.id
        if role == IdRole:
            return hit.id
        if role == HitRole:
            return hit
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{hit.title}\n{hit.id}" + ("\n(a copy of the story above)" if kind == COPY else "")
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if index.isValid() and self._rows[index.row()][0] == COPIES:
            return Qt.ItemFlag.ItemIsEnabled
        return super().flags(index)


HIGHLIGHT_BG = "#ffe27a"
MARK_OPEN = f'<span style="background-color:{HIGHLIGHT_BG}; color:#1f1f1f;">'  # a matched word, as <b> marks it
_PAD = 8
COPY_INDENT = 18  # a listed copy sits under its story's hit


def hit_html(hit: Hit, muted: str, text: str) -> str:
    """The rich text of one hit: title in bold, source · date · score muted, snippet with highlights."""
    meta = [m for m in (hit.source, hit.date.isoformat() if hit.date else "") if m]
    if not hit.source:  # untitled sources look alike; the file name tells them apart
        meta.insert(0, hit.id.rsplit("/", 1)[-1])
    if hit.score:
        meta.append(f"score {hit.score:.1f}")
    if hit.matches:
        places = ", ".join(map(str, hit.paragraphs[:12])) + ("…" if len(hit.paragraphs) > 12 else "")
        meta.append(f"{hit.matches} match{'es' if hit.matches != 1 else ''} in ¶{places}")
    snippet = " … ".join(hit.snippets)  # fragments apart in the text, told apart
    # Snippets arrive HTML-escaped with matched terms in <b>; restyle those as highlights.
    snippet = snippet.replace("<b>", MARK_OPEN)
    snippet = snippet.replace("</b>", "</span>")
    title = marked_title_html(hit.title, hit.title_marks, MARK_OPEN, "</span>") if hit.title else html.escape(hit.id)
    return (
        f'<div style="color:{text}; font-weight:600;">{title}</div>'
        f'<div style="color:{muted}; font-size:small;">{html.escape(" · ".join(meta))}</div>'
        f'<div style="color:{text};">{snippet}</div>'
    )


class HitDelegate(QStyledItemDelegate):
    """Paints a search hit as three blocks of rich text, wrapped to the view's width."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._docs: dict[tuple[str, int, bool], QTextDocument] = {}

    def clear_cache(self) -> None:
        """Forget laid-out documents (call when the hits change)."""
        self._docs.clear()

    def _document(self, option: QStyleOptionViewItem, hit: Hit, width: int, selected: bool) -> QTextDocument:
        key = (hit.id, width, selected)
        doc = self._docs.get(key)
        if doc is None:
            if len(self._docs) > 400:
                self._docs.clear()
            pal = option.palette
            role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            text = pal.color(role).name()
            muted = text if selected else pal.color(QPalette.ColorRole.PlaceholderText).name()
            doc = QTextDocument()
            doc.setDocumentMargin(0)
            doc.setDefaultFont(option.font)
            doc.setHtml(hit_html(hit, muted, text))
            doc.setTextWidth(max(60, width))
            self._docs[key] = doc
        return doc

    def _width(self, option: QStyleOptionViewItem) -> int:
        view = self.parent()
        full = view.viewport().width() if isinstance(view, QWidget) and hasattr(view, "viewport") else 0
        return (option.rect.width() or full) - 2 * _PAD

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        hit = index.data(HitRole)
        kind = index.data(KindRole)
        if kind == COPIES:  # "+N copies": a link-coloured line under its story's hit
            opt = QStyleOptionViewItem(option)
            self.initStyleOption(opt, index)
            opt.palette.setColor(QPalette.ColorRole.Text, option.palette.color(QPalette.ColorRole.Link))
            opt.rect = option.rect.adjusted(_PAD, 0, 0, 0)
            style = opt.widget.style() if opt.widget else None
            if style is not None:
                style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
            return
        if not isinstance(hit, Hit):
            super().paint(painter, option, index)
            return
        indent = COPY_INDENT if kind == COPY else 0
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        doc = self._document(option, hit, option.rect.width() - 2 * _PAD - indent, selected)
        painter.save()
        painter.translate(option.rect.left() + _PAD + indent, option.rect.top() + _PAD)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        doc.documentLayout().draw(painter, ctx)
        painter.restore()
        painter.save()
        painter.setPen(option.palette.color(QPalette.ColorRole.Midlight))
        painter.drawLine(option.rect.bottomLeft(), option.rect.bottomRight())
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        hit = index.data(HitRole)
        if not isinstance(hit, Hit):
            return super().sizeHint(option, index)
        indent = COPY_INDENT if index.data(KindRole) == COPY else 0
        width = self._width(option)
        doc = self._document(option, hit, width - indent, False)
        return QSize(width + 2 * _PAD, int(doc.size().height()) + 2 * _PAD)
