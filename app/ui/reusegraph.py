"""The reuse graph view: who shares text with whom, drawn as nodes and edges with zoom and pan."""

from __future__ import annotations

import math
import time
from collections.abc import Generator

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QToolTip, QWidget

from app.core.reuse.reuselayout import (
    SPACING,
    GraphEdge,
    GraphNode,
    ReuseGraph,
    layout_bounds,
    story_radius,
)
from app.ui.palette import blend, contrast, luminance

# Tableau 10: distinct at a glance and readable on white.
SOURCE_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6")
UNKNOWN_SOURCE = "#9aa0a6"
EDGE_INK = {False: "#34495e", True: "#a9bcd0"}  # slate on a light background, pale slate on a dark one
HOVER = "#d35400"
MIN_CONTRAST = 3.0  # WCAG 2.1 non-text contrast: lines and shapes against their background
MIN_SCALE, MAX_SCALE = 0.05, 12.0
RENDER_BUDGET_S = 0.008  # a large graph is drawn over several turns of the event loop, this long each
RENDER_STEP = 25  # edges or nodes drawn between two looks at the clock
CLICK_SLOP = 4  # pixels the mouse may move and still click
EDGE_SLOP = 4.0  # pixels either side of an edge that still hit it
LABEL_PX = 48.0  # on-screen room between linked nodes from which they get labels


def short_id(aid: str) -> str:
    """A compact label for an article id: the file stem, before any ``_hash`` suffix."""
    stem = aid.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.split("_", 1)[0] or stem


def node_radius(node: GraphNode, longest: float) -> float:
    """Radius in layout units: longer bodies draw bigger (by area); a story node by its copies."""
    if node.copies:
        return story_radius(node.copies)
    return 5.0 + 8.0 * math.sqrt(node.body_chars / longest) if longest > 0 else 6.0


def is_dark(base: QColor) -> bool:
    """Whether ``base`` (the graph's background) is dark."""
    return luminance(base) < 0.18


def _reach(start: QColor, towards: QColor, against: QColor, amount: float = 0.0) -> QColor:
    """``start`` mixed with ``towards`` (from ``amount`` on) until it stands out from ``against`` by 3:1."""
    colour = blend(start, towards, amount)
    while contrast(colour, against) < MIN_CONTRAST and amount < 1.0:
        amount = min(1.0, amount + 0.05)
        colour = blend(start, towards, amount)
    return colour


def edge_colour(base: QColor, share: float) -> QColor:
    """An edge's colour on ``base``: stronger the larger the ``share`` (0..1), never under 3:1."""
    return _reach(base, QColor(EDGE_INK[is_dark(base)]), base, 0.55 + 0.45 * max(0.0, min(1.0, share)))


def source_colour(n: int, base: QColor) -> QColor:
    """The fill of the ``n``-th source's nodes on ``base``.

    Past ten sources the hues repeat, darker each round on a light background and lighter on
    a dark one; on a dark one every fill stands out from the background by at least 3:1.
    """
    hue = QColor(SOURCE_COLOURS[n % len(SOURCE_COLOURS)])
    rounds = n // len(SOURCE_COLOURS)
    if not is_dark(base):
        return hue.darker(100 + 35 * rounds)
    return _reach(hue.lighter(100 + 20 * rounds), QColor("#ffffff"), base)


def node_outline(fill: QColor, base: QColor, text: QColor) -> QColor:
    """A plain node's ring: the background (a gap between touching nodes) when the fill stands
    out by itself, else a ring of the fill mixed towards the text colour that does."""
    if contrast(fill, base) >= MIN_CONTRAST:
        return base
    return _reach(fill, text, base, 0.3)


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length2))
    return math.hypot(p.x() - (a.x() + t * dx), p.y() - (a.y() + t * dy))


class GraphIndex:
    """What the view asks of one graph at every paint and hit test, worked out once.

    Made on the worker thread that lays out a large graph (:func:`index_graph`): at 100,000
    articles the graph has 70,000 nodes, and a hit test that measured the distance to each
    one took a few hundred milliseconds of GUI-thread time per mouse move. Nodes and edges
    sit in a grid of ``CELL`` layout units; a hit test looks only at the cells around the point.
    """

    CELL = 64.0
    LONG_EDGE_CELLS = 256  # an edge spanning more cells than this is tested at every hit test

    def __init__(self, graph: ReuseGraph) -> None:
        self.graph = graph
        self.longest = max((n.body_chars for n in graph.nodes), default=0.0)
        linked = [n for n in graph.nodes if n.cluster >= 0]
        self.visible = {False: linked, True: list(graph.nodes)}  # by "show the loners"
        self.bounds = {k: layout_bounds(graph, (n.id for n in v)) for k, v in self.visible.items()}
        self.loners = len(graph.nodes) - len(linked)
        self.sources = {k: {n.source for n in v} for k, v in self.visible.items()}  # for the legend
        self.stories = {k: any(n.is_story for n in v) for k, v in self.visible.items()}
        cell = self.CELL
        self._nodes: dict[tuple[int, int], list[int]] = {}
        self._big_nodes: list[int] = []  # wider than a cell: tested every time
        pos = graph.pos
        for k, node in enumerate(graph.nodes):
            xy = pos.get(node.id)
            if xy is None:
                continue
            if node_radius(node, self.longest) > cell:
                self._big_nodes.append(k)
            else:
                self._nodes.setdefault((math.floor(xy[0] / cell), math.floor(xy[1] / cell)), []).append(k)
        self._edges: dict[tuple[int, int], list[int]] = {}
        self._long_edges: list[int] = []
        for k, edge in enumerate(graph.edges):
            a, b = pos.get(edge.a), pos.get(edge.b)
            if a is None or b is None:
                continue
            x0, x1 = math.floor(min(a[0], b[0]) / cell), math.floor(max(a[0], b[0]) / cell)
            y0, y1 = math.floor(min(a[1], b[1]) / cell), math.floor(max(a[1], b[1]) / cell)
            if (x1 - x0 + 1) * (y1 - y0 + 1) > self.LONG_EDGE_CELLS:
                self._long_edges.append(k)
                continue
            for cx in range(x0, x1 + 1):
                for cy in range(y0, y1 + 1):
                    self._edges.setdefault((cx, cy), []).append(k)

    def _around(self, grid: dict[tuple[int, int], list[int]], x: float, y: float, reach: float) -> set[int]:
        cell = self.CELL
        found: set[int] = set()
        for cx in range(math.floor((x - reach) / cell), math.floor((x + reach) / cell) + 1):
            for cy in range(math.floor((y - reach) / cell), math.floor((y + reach) / cell) + 1):
                found.update(grid.get((cx, cy), ()))
        return found

    def nodes_near(self, x: float, y: float, reach: float) -> list[GraphNode]:
        """Every node whose centre may lie within ``reach`` (+ its radius) of layout point (x, y), in graph order."""
        found = self._around(self._nodes, x, y, reach + self.CELL)  # a small node reaches a cell past its centre
        found.update(self._big_nodes)
        nodes = self.graph.nodes
        return [nodes[k] for k in sorted(found)]

    def edges_near(self, x: float, y: float, reach: float) -> list[GraphEdge]:
        """Every edge that may pass within ``reach`` of layout point (x, y), in graph order."""
        found = self._around(self._edges, x, y, reach)
        found.update(self._long_edges)
        edges = self.graph.edges
        return [edges[k] for k in sorted(found)]


def index_graph(graph: ReuseGraph) -> GraphIndex:
    """A graph's :class:`GraphIndex` (no Qt: made on a worker thread for a large graph)."""
    return GraphIndex(graph)


class ReuseGraphView(QWidget):
    """Shows a :class:`ReuseGraph`: clusters apart, edge thickness by shared paragraphs.

    A click on an edge emits :attr:`edgeClicked`; on a node, :attr:`nodeClicked`. A middle-click
    or Ctrl-click emits :attr:`edgeNewTab` / :attr:`nodeNewTab` instead (to open in a new tab).
    The wheel zooms around the pointer, dragging pans, double-click fits the graph.
    """

    edgeClicked = Signal(str, str)  # left id, right id
    nodeClicked = Signal(str)
    edgeNewTab = Signal(str, str)  # left id, right id: compare in a new tab
    nodeNewTab = Signal(str)  # open the article in a new tab
    storyClicked = Signal(int)  # a story node: its cluster number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reuseGraph")
        self.setMouseTracking(True)
        self.setMinimumSize(240, 180)
        self.setAutoFillBackground(True)
        self._graph = ReuseGraph()
        self._by_id: dict[str, GraphNode] | None = {}  # made on the first tooltip (70,000 nodes: 20 ms)
        self._colour: dict[str, QColor] = {}
        self._colour_base = -1  # rgb of the background the fills were made for
        self._longest = 0.0
        self._show_loners = False
        self._scale = 1.0
        self._offset = QPointF(0, 0)  # view position of layout (0, 0)
        self._press: QPointF | None = None
        self._middle_press: QPointF | None = None
        self._dragged = False
        self._hover: GraphNode | GraphEdge | None = None
        self._current: str | None = None
        self._message = "No corpus"
        # The last complete drawing and the one under way (a generator painting into an image).
        self._image: QImage | None = None
        self._image_key: tuple[object, ...] | None = None
        self._render: Generator[None, None, None] | None = None
        self._render_key: tuple[object, ...] | None = None
        self._render_image: QImage | None = None
        self._index: GraphIndex | None = None  # of self._graph, made on first use when not given
        self._render_timer = QTimer(self)  # the next turn of a drawing under way
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)
        self._render_timer.timeout.connect(self.update)

    # ------------------------------------------------------------------ content

    def graph(self) -> ReuseGraph:
        """The graph shown."""
        return self._graph

    def set_graph(self, graph: ReuseGraph, index: GraphIndex | None = None) -> None:
        """Show ``graph`` fitted to the view (``index``: its :class:`GraphIndex`, made on a worker thread)."""
        self._graph = graph
        self._index = index if index is not None and index.graph is graph else None
        self._image = self._image_key = None  # never shown for another graph
        self._stop_render()
        self._by_id = None
        self._colour_base = -1  # the fills are made for the palette on first use
        self._longest = self.index().longest
        self._hover = None
        self.fit()

    def index(self) -> GraphIndex:
        """The shown graph's :class:`GraphIndex`."""
        if self._index is None or self._index.graph is not self._graph:
            self._index = GraphIndex(self._graph)
        return self._index

    def set_message(self, text: str) -> None:
        """Text shown while there is nothing to draw (loading, no corpus)."""
        self._message = text
        self.update()

    def set_current(self, aid: str | None) -> None:
        """Ring the article open on the left."""
        self._current = aid
        self.update()

    def set_show_loners(self, show: bool) -> None:
        """Show or hide the articles that share no text with any other."""
        self._show_loners = show
        self.fit()

    def visible_nodes(self) -> list[GraphNode]:
        """Nodes drawn with the current toggle (kept: every paint and hit test asks)."""
        return self.index().visible[self._show_loners]

    def colour_of(self, source: str) -> QColor:
        """The fill of a source's nodes (for the current palette)."""
        base = self.palette().base().color()
        if self._colour_base != base.rgb():
            self._colour_base = base.rgb()
            self._colour = {s: source_colour(i, base) for i, s in enumerate(self._graph.sources)}
        colour = self._colour.get(source)
        if colour is None:
            colour = QColor(UNKNOWN_SOURCE) if not is_dark(base) else _reach(
                QColor(UNKNOWN_SOURCE), QColor("#ffffff"), base)
        return colour

    # ------------------------------------------------------------------ geometry

    def to_view(self, x: float, y: float) -> QPointF:
        """View position of a layout position."""
        return QPointF(self._offset.x() + x * self._scale, self._offset.y() + y * self._scale)

    def node_point(self, aid: str) -> QPointF:
        """View position of an article's node."""
        x, y = self._graph.pos[aid]
        return self.to_view(x, y)

    def edge_point(self, edge: GraphEdge) -> QPointF:
        """View position of an edge's midpoint (a point that hits it)."""
        a, b = self.node_point(edge.a), self.node_point(edge.b)
        return (a + b) / 2

    def zoom(self) -> float:
        """View pixels per layout unit."""
        return self._scale

    def fit(self) -> None:
        """Zoom and pan so that every visible node fits the view."""
        left, top, right, bottom = self.index().bounds[self._show_loners]
        margin = 28.0
        w, h = max(right - left, 1.0), max(bottom - top, 1.0)
        avail_w, avail_h = max(self.width() - 2 * margin, 40.0), max(self.height() - 2 * margin - 24, 40.0)
        self._scale = max(MIN_SCALE, min(avail_w / w, avail_h / h, 2.0))
        cx, cy = (left + right) / 2, (top + bottom) / 2
        self._offset = QPointF(self.width() / 2 - cx * self._scale, (self.height() + 24) / 2 - cy * self._scale)
        self.update()

    def focus_cluster(self, n: int) -> None:
        """Centre cluster ``n`` (zooming in when it is small on screen, never out)."""
        if not 0 <= n < len(self._graph.halos):
            return
        x, y, r = self._graph.halos[n]
        fits = min(self.width(), self.height()) / (2.6 * max(r, 1.0))
        self._scale = max(self._scale, min(fits, 2.0))
        self._offset = QPointF(self.width() / 2 - x * self._scale, self.height() / 2 - y * self._scale)
        self.update()

    def zoom_by(self, factor: float, around: QPointF | None = None) -> None:
        """Zoom by ``factor`` keeping the layout point under ``around`` (default: the centre) still."""
        around = around if around is not None else QPointF(self.width() / 2, self.height() / 2)
        new = max(MIN_SCALE, min(MAX_SCALE, self._scale * factor))
        real = new / self._scale
        self._offset = around + (self._offset - around) * real
        self._scale = new
        self.update()

    def _radius_px(self, node: GraphNode) -> float:
        # Zoomed in, nodes grow more slowly than distances so that edges stay visible.
        scale = self._scale if self._scale <= 1 else self._scale ** 0.5
        return max(3.0, node_radius(node, self._longest) * scale)

    def _edge_width(self, edge: GraphEdge) -> float:
        return min(14.0, (1.0 + 1.3 * math.sqrt(edge.shared)) * min(1.0, max(self._scale, 0.35)))

    # ------------------------------------------------------------------ hit testing

    def _layout_point(self, point: QPointF) -> tuple[float, float]:
        return (point.x() - self._offset.x()) / self._scale, (point.y() - self._offset.y()) / self._scale

    def node_at(self, point: QPointF) -> GraphNode | None:
        """The node under a view position, if any (the nearest when several overlap)."""
        best, best_d = None, math.inf
        x, y = self._layout_point(point)
        # On screen a node is at least 3 px wide, +2 px of slop: that far in layout units at this zoom.
        for node in self.index().nodes_near(x, y, 5.0 / self._scale):
            if not (self._show_loners or node.cluster >= 0):
                continue
            d = math.hypot(*(point - self.node_point(node.id)).toTuple())
            if d <= self._radius_px(node) + 2 and d < best_d:
                best, best_d = node, d
        return best

    def edge_at(self, point: QPointF) -> GraphEdge | None:
        """The edge under a view position, if any (nodes are not edges: test them first)."""
        best, best_d = None, math.inf
        x, y = self._layout_point(point)
        for edge in self.index().edges_near(x, y, (14.0 / 2 + 2 + EDGE_SLOP) / self._scale):
            d = _segment_distance(point, self.node_point(edge.a), self.node_point(edge.b))
            if d <= self._edge_width(edge) / 2 + EDGE_SLOP and d < best_d:
                best, best_d = edge, d
        return best

    def item_at(self, point: QPointF) -> GraphNode | GraphEdge | None:
        """The node, else the edge, under a view position."""
        return self.node_at(point) or self.edge_at(point)

    def click(self, point: QPointF, new_tab: bool = False) -> GraphNode | GraphEdge | None:
        """Act as a click at ``point`` would (``new_tab``: a middle- or Ctrl-click); returns what was hit."""
        item = self.item_at(point)
        if isinstance(item, GraphNode) and item.is_story:
            self.storyClicked.emit(item.cluster)
        elif isinstance(item, GraphNode):
            (self.nodeNewTab if new_tab else self.nodeClicked).emit(item.id)
        elif isinstance(item, GraphEdge):
            (self.edgeNewTab if new_tab else self.edgeClicked).emit(item.a, item.b)
        return item

    # ------------------------------------------------------------------ events

    def sizeHint(self) -> QSize:
        return QSize(720, 480)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.2 ** steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
            self._dragged = False
        elif event.button() == Qt.MouseButton.MiddleButton:
            self._middle_press = event.position()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            delta = pos - self._press
            if self._dragged or abs(delta.x()) + abs(delta.y()) > CLICK_SLOP:
                self._dragged = True
                self._offset += delta
                self._press = pos
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
                self.update()
            return
        hover = self.item_at(pos)
        if hover != self._hover:
            self._hover = hover
            self.setCursor(Qt.CursorShape.PointingHandCursor if hover else Qt.CursorShape.ArrowCursor)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton and self._middle_press is not None:
            delta = event.position() - self._middle_press
            self._middle_press = None
            if abs(delta.x()) + abs(delta.y()) <= CLICK_SLOP:
                self.click(event.position(), new_tab=True)
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None:
            if not self._dragged:
                self.click(event.position(), new_tab=bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier))
            self._press = None
            self._dragged = False
            self.unsetCursor()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.item_at(event.position()) is None:
            self.fit()

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self.tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def tooltip_at(self, point: QPointF) -> str:
        """The tooltip for a view position (empty over the background)."""
        item = self.item_at(point)
        if isinstance(item, GraphNode) and item.is_story:
            cluster = self._graph.clusters[item.cluster] if item.cluster < len(self._graph.clusters) else None
            outlets = len({m.source for m in cluster.members if m.source}) if cluster is not None else 0
            origin = f"<br>likely origin: {_html(cluster.origin)}" if cluster is not None and cluster.origin else ""
            return (f"<b>{_html(item.title)}</b><br>{item.copies:,} copies of one story"
                    f"{f', {outlets:,} outlets' if outlets else ''}{origin}"
                    "<br><i>Click to list its copies</i>")
        if isinstance(item, GraphNode):
            where = " · ".join(x for x in (item.source or "unknown source", item.date or "undated"))
            shares = (f"shares text with {item.degree} article{'s' if item.degree != 1 else ''}"
                      if item.degree else "shares no text with another article")
            origin = "<br>★ likely origin of its cluster" if item.origin else ""
            return (f"<b>{_html(item.title or item.id)}</b><br>{_html(where)}<br>{_html(item.id)}<br>"
                    f"{shares}{origin}<br><i>Click to open on the left</i>")
        if isinstance(item, GraphEdge):
            if self._by_id is None:
                self._by_id = {n.id: n for n in self._graph.nodes}
            a, b = self._by_id.get(item.a), self._by_id.get(item.b)
            name_a = _html(a.title if a and a.title else item.a)
            name_b = _html(b.title if b and b.title else item.b)
            return (f"<b>{short_id(item.a)}</b> {name_a}<br>⟷ <b>{short_id(item.b)}</b> {name_b}<br>"
                    f"{_html(item.figure().describe(short_id(item.a), short_id(item.b)))}"
                    "<br><i>Click to compare</i>")
        return ""

    # ------------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        # The scene is drawn into an image, RENDER_BUDGET_S at a time: a corpus-wide graph
        # (thousands of nodes drawn one by one) took 0.2-0.4 s a paint at 20,000 articles and
        # froze the window when the map arrived. Until a new drawing is complete (zoom, hover,
        # a new graph) the last one stays on screen; a small graph is drawn in one go.
        pal = self.palette()
        base, text = pal.base().color(), pal.text().color()
        nodes = self.visible_nodes()
        if not nodes:
            self._stop_render()
            p = QPainter(self)
            p.fillRect(self.rect(), base)
            p.setPen(blend(text, base, 0.45))
            p.drawText(self.rect().adjusted(16, 16, -16, -16),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            return
        key = self._scene_key()
        if key != self._image_key:
            if key != self._render_key:
                self._start_render(key, nodes)
            if not self._advance_render():
                self._render_timer.start()
        p = QPainter(self)
        p.fillRect(self.rect(), base)
        if self._image is not None:
            p.drawImage(QPointF(0, 0), self._image)

    def _scene_key(self) -> tuple[object, ...]:
        """Everything the drawing depends on besides the graph (a new graph drops the drawings)."""
        pal = self.palette()
        hover = (self._hover.a, self._hover.b) if isinstance(self._hover, GraphEdge) else (
            self._hover.id if isinstance(self._hover, GraphNode) else None)
        return (self.width(), self.height(), self.devicePixelRatioF(), self._scale, self._offset.x(),
                self._offset.y(), self._show_loners, pal.base().color().rgba(), pal.text().color().rgba(),
                self.font().key(), hover, self._current)

    def _stop_render(self) -> None:
        if self._render is not None:
            self._render.close()
        self._render = self._render_key = self._render_image = None

    def _start_render(self, key: tuple[object, ...], nodes: list[GraphNode]) -> None:
        self._stop_render()
        dpr = self.devicePixelRatioF()
        image = QImage(max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr)),
                       QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(dpr)
        self._render, self._render_key, self._render_image = self._render_steps(image, nodes), key, image

    def _advance_render(self) -> bool:
        """Draw on for RENDER_BUDGET_S; True when the drawing is complete (and shown from now on)."""
        assert self._render is not None
        deadline = time.perf_counter() + RENDER_BUDGET_S
        try:
            next(self._render)  # at least one step a turn
            while time.perf_counter() < deadline:
                next(self._render)
        except StopIteration:
            self._image, self._image_key = self._render_image, self._render_key
            self._render = self._render_key = self._render_image = None
            return True
        return False

    def _render_steps(self, image: QImage, nodes: list[GraphNode]) -> Generator[None, None, None]:
        p = QPainter(image)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            pal = self.palette()
            base, text = pal.base().color(), pal.text().color()
            p.fillRect(QRectF(0, 0, self.width(), self.height()), base)
            view = QRectF(self.rect()).adjusted(-40, -40, 40, 40)
            halos = self._graph.halos
            for start in range(0, len(halos), RENDER_STEP * 4):
                yield
                self._paint_halos(p, base, text, halos[start:start + RENDER_STEP * 4])
            edges = self._graph.edges[::-1]  # the strongest on top
            for start in range(0, len(edges), RENDER_STEP):
                yield
                self._paint_edges(p, base, text, view, edges[start:start + RENDER_STEP])
            for start in range(0, len(nodes), RENDER_STEP):
                yield
                self._paint_nodes(p, nodes[start:start + RENDER_STEP], base, text, view)
            self._paint_legend(p, base, text)
        finally:
            p.end()

    def _paint_halos(self, p: QPainter, base: QColor, text: QColor, halos: list[tuple[float, float, float]]) -> None:
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(blend(base, text, 0.045))
        for x, y, r in halos:
            c = self.to_view(x, y)
            p.drawEllipse(c, r * self._scale, r * self._scale)

    def _paint_edges(self, p: QPainter, base: QColor, text: QColor, view: QRectF,
                     edges: list[GraphEdge]) -> None:
        for edge in edges:
            a, b = self.node_point(edge.a), self.node_point(edge.b)
            if not view.intersects(QRectF(a, b).normalized().adjusted(-1, -1, 1, 1)):
                continue
            hovered = edge == self._hover
            share = max(edge.pct_a, edge.pct_b) / 100.0
            colour = QColor(HOVER) if hovered else edge_colour(base, share)
            pen = QPen(colour, self._edge_width(edge) + (2 if hovered else 0))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            p.drawLine(a, b)
            if self._scale >= 1.2 and math.hypot(*(b - a).toTuple()) > 90:
                self._paint_edge_label(p, edge, (a + b) / 2, base, text)

    def _paint_edge_label(self, p: QPainter, edge: GraphEdge, at: QPointF, base: QColor, text: QColor) -> None:
        label = f"{edge.shared} ¶"
        fm = QFontMetricsF(self.font())
        box = QRectF(0, 0, fm.horizontalAdvance(label) + 8, fm.height() + 2)
        box.moveCenter(at)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(base)
        p.drawRoundedRect(box, 4, 4)
        p.setPen(text)
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_nodes(self, p: QPainter, nodes: list[GraphNode], base: QColor, text: QColor,
                     view: QRectF) -> None:
        # Labels get the room between linked nodes; without enough of it they would overlap.
        room = SPACING * self._scale - 6
        labels = room >= LABEL_PX
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        p.setFont(font)
        fm = QFontMetricsF(font)
        for node in nodes:
            c = self.node_point(node.id)
            if not view.contains(c):
                continue
            r = self._radius_px(node)
            fill = self.colour_of(node.source)
            outline = QPen(text if node.origin else base if node.is_story else node_outline(fill, base, text),
                           2.0 if node.origin else 1.2)
            if node == self._hover or node.id == self._current:
                outline = QPen(QColor(HOVER), 3.0)
            p.setPen(outline)
            if node.is_story:
                self._paint_story(p, node, c, r, outline, base, text, fm)
                continue
            p.setBrush(fill)
            p.drawEllipse(c, r, r)
            if node.origin:
                self._paint_star(p, QPointF(c.x() + r * 0.75, c.y() - r * 0.75), max(2.5, r * 0.5), text)
            if labels and node.cluster >= 0:
                label = fm.elidedText(f"{short_id(node.id)} {node.title}", Qt.TextElideMode.ElideRight,
                                      min(room, 220.0))
                box = QRectF(c.x() - room / 2, c.y() + r + 1, room, fm.height())
                p.setPen(text)
                p.drawText(box, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)

    @staticmethod
    def _paint_story(p: QPainter, node: GraphNode, c: QPointF, r: float, outline: QPen, base: QColor,
                     text: QColor, fm: QFontMetricsF) -> None:
        """A story cluster as one disc: its copies counted inside, its title under it."""
        if outline.color() == base:
            outline = QPen(blend(base, text, 0.5), 1.5)
        p.setPen(outline)
        p.setBrush(blend(base, QColor("#4e79a7"), 0.55))
        p.drawEllipse(c, r, r)
        count = f"{node.copies:,}"
        p.setPen(text)
        if fm.horizontalAdvance(count) < 1.8 * r:
            p.drawText(QRectF(c.x() - r, c.y() - fm.height() / 2, 2 * r, fm.height()),
                       Qt.AlignmentFlag.AlignCenter, count)
        width = max(2 * r, 140.0)
        label = fm.elidedText(f"{node.copies:,} copies · {node.title}", Qt.TextElideMode.ElideRight, width)
        p.drawText(QRectF(c.x() - width / 2, c.y() + r + 1, width, fm.height()),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, label)

    @staticmethod
    def _paint_star(p: QPainter, at: QPointF, size: float, outline: QColor) -> None:
        points = []
        for k in range(10):
            radius = size if k % 2 == 0 else size * 0.45
            angle = -math.pi / 2 + k * math.pi / 5
            points.append(QPointF(at.x() + radius * math.cos(angle), at.y() + radius * math.sin(angle)))
        p.setPen(QPen(outline, 0.8))
        p.setBrush(QColor("#f1c40f"))
        p.drawPolygon(QPolygonF(points))

    def _paint_legend(self, p: QPainter, base: QColor, text: QColor) -> None:
        p.setFont(self.font())
        fm = QFontMetricsF(self.font())
        shown = self.index().sources[self._show_loners]
        sources = [s for s in self._graph.sources if s in shown]
        entries = [(self.colour_of(s), s) for s in sources[:12]]
        if len(sources) > 12:
            entries.append((QColor(UNKNOWN_SOURCE), f"+ {len(sources) - 12} more sources"))
        if "" in shown:
            entries.append((QColor(UNKNOWN_SOURCE), "unknown source"))
        line = fm.height() + 2
        width = max((fm.horizontalAdvance(t) for _c, t in entries), default=0) + 28
        height = line * len(entries) + 8
        if entries:
            box = QRectF(8, 8, width, height)
            bg = QColor(base)
            bg.setAlpha(225)
            p.setPen(QPen(blend(base, text, 0.15), 1))
            p.setBrush(bg)
            p.drawRoundedRect(box, 5, 5)
            for n, (colour, label) in enumerate(entries):
                y = 12 + n * line
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                p.drawEllipse(QPointF(20, y + line / 2 - 1), 5, 5)
                p.setPen(text)
                p.drawText(QRectF(30, y, width, line), Qt.AlignmentFlag.AlignVCenter, label)
        hint = "Line thickness: shared paragraphs · ★ likely origin · click a line to compare, a dot to open it"
        if self.index().stories[self._show_loners]:
            hint = "Large discs: one story and its copies (click to list them) · " + hint
        if self._graph.hidden_pairs > 0:
            hint = (f"Showing the {len(self._graph.edges):,} strongest of {self._graph.total_pairs:,} "
                    f"pairs · " + hint)
        p.setPen(blend(text, base, 0.35))
        p.drawText(QRectF(8, self.height() - fm.height() - 6, self.width() - 16, fm.height() + 2),
                   Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(hint, Qt.TextElideMode.ElideRight, self.width() - 16))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
