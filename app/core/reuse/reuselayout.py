"""The reuse graph's data and deterministic layout: articles as nodes, pairs as edges, clusters apart.

No Qt: it runs on a worker thread (the GUI's graph view draws it). Each cluster is laid out on its own (two nodes side
by side, a circle up to :data:`CIRCLE_MAX` members, a force-directed layout with a fixed seed
beyond), then the clusters are packed in rows, largest first; articles sharing no text form a
grid below them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.core.reuse.reusemap import SharedFigure

if TYPE_CHECKING:
    from app.core.reuse.reusemap import Cluster, ReuseMap

MAX_EDGES = 2000  # edges drawn at most (the strongest); the rest are counted in a notice
CIRCLE_MAX = 8
SPACING = 60.0  # preferred distance between linked nodes, in layout units
GAP = 34.0  # space between clusters
GRID = 30.0  # step of the grid of articles with no reuse
SEED = 7
STORY_NODE_MIN = 10  # a cluster of this many copies or more is drawn as one story node
STORY_PREFIX = "\x00story:"  # id of a story node (no article id holds a NUL)


def story_id(cluster: int) -> str:
    """The node id of cluster ``cluster`` drawn as one story node."""
    return f"{STORY_PREFIX}{cluster}"


def story_cluster(node_id: str) -> int | None:
    """The cluster number of a story node id, None for an article."""
    return int(node_id[len(STORY_PREFIX):]) if node_id.startswith(STORY_PREFIX) else None


def story_radius(copies: int) -> float:
    """Radius in layout units of a story node: its area grows with its copies."""
    return 10.0 + 4.0 * math.sqrt(max(copies, 1))


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One article of the graph."""

    id: str
    title: str
    source: str
    date: str
    body_chars: float
    cluster: int  # index into ReuseGraph.clusters, -1 when the article shares no text
    origin: bool  # the likely origin of its cluster
    degree: int  # articles it shares text with
    copies: int = 0  # a story node: the cluster's members drawn as one node (0 for an article)

    @property
    def is_story(self) -> bool:
        """True for a node standing for a whole story cluster."""
        return self.copies > 0


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """Two articles sharing text; ``a`` is the earlier (or first-listed) one."""

    a: str
    b: str
    shared: int
    pct_a: float
    pct_b: float

    def figure(self) -> SharedFigure:
        """The edge's :class:`~app.core.reuse.reusemap.SharedFigure` (the one "shared" figure)."""
        return SharedFigure(self.a, self.b, self.shared, 0, 0, self.pct_a, self.pct_b)


@dataclass(slots=True)
class ReuseGraph:
    """Everything the graph view draws, with positions in layout units."""

    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)  # strongest first, at most MAX_EDGES
    total_pairs: int = 0
    clusters: list[Cluster] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # sorted, known sources only
    pos: dict[str, tuple[float, float]] = field(default_factory=dict)
    halos: list[tuple[float, float, float]] = field(default_factory=list)  # per cluster: x, y, radius
    story_pairs: int = 0  # pairs inside story nodes (drawn as one node, not as edges)

    @property
    def hidden_pairs(self) -> int:
        """Pairs not drawn because of the edge limit."""
        return self.total_pairs - len(self.edges) - self.story_pairs


def build_graph(rmap: ReuseMap, max_edges: int = MAX_EDGES,
                should_cancel: Callable[[], bool] = lambda: False,
                story_min: int = STORY_NODE_MIN) -> ReuseGraph:
    """The graph of a reuse map, laid out (the same map always gives the same positions).

    Args:
        rmap: The corpus reuse map.
        max_edges: Most edges kept (the ones with most shared paragraphs).
        should_cancel: Checked between clusters; when it turns true the graph is returned as is,
            its nodes not all placed (a caller drops it).
        story_min: A cluster of this many members or more is one node sized by its copies
            (a story carried by 30 outlets is not drawn as 30 nodes and 435 edges).
    """
    clusters = rmap.clusters()
    cluster_of: dict[str, int] = {}
    order: dict[str, int] = {}
    for n, c in enumerate(clusters):
        for k, m in enumerate(c.members):
            cluster_of[m.id] = n
            order[m.id] = k
    stories = {n for n, c in enumerate(clusters) if len(c.members) >= max(story_min, 2)}
    # The pairs inside a story node (124,750 for 500 copies) are never generated.
    pairs = list(rmap.iter_pairs(clusters=[c for n, c in enumerate(clusters) if n not in stories]))
    pairs.sort(key=lambda q: (-q.shared, -max(q.pct_a, q.pct_b), q.a, q.b))
    origins = {c.origin for c in clusters if c.origin}
    degree: dict[str, int] = {}
    for p in pairs:
        degree[p.a] = degree.get(p.a, 0) + 1
        degree[p.b] = degree.get(p.b, 0) + 1
    body = rmap.body_chars
    nodes = [GraphNode(m.id, m.title, m.source, m.date, float(body[i]), cluster_of.get(m.id, -1),
                       m.id in origins, degree.get(m.id, 0)) for i, m in enumerate(rmap.meta)
             if cluster_of.get(m.id, -1) not in stories]
    for n in sorted(stories):
        c = clusters[n]
        lead = next((m for m in c.members if m.id == c.origin), c.members[0])
        nodes.append(GraphNode(story_id(n), lead.title, "", lead.date, 0.0, n, False, 0, copies=len(c.members)))
    # numpy's sort lets other threads run (list.sort held the GIL about 20 ms for 70,000 ids at
    # 100,000 articles, the window waiting); code-point order, as str's, ids hold no trailing NUL.
    if nodes:
        by_id = np.argsort(np.array([nd.id for nd in nodes], dtype=str), kind="stable")
        nodes = [nodes[i] for i in by_id.tolist()]
    edges = []
    for p in pairs[:max(max_edges, 0)]:
        # The older side goes first: clicking the edge shows the likely original on the left.
        if order.get(p.b, 0) < order.get(p.a, 0):
            edges.append(GraphEdge(p.b, p.a, p.shared, p.pct_b, p.pct_a))
        else:
            edges.append(GraphEdge(p.a, p.b, p.shared, p.pct_a, p.pct_b))
    total = rmap.pair_count() if stories else len(pairs)
    graph = ReuseGraph(nodes, edges, total, clusters, sorted({nd.source for nd in nodes if nd.source}),
                       story_pairs=total - len(pairs))
    links_by_cluster: dict[int, list[tuple[str, str, int]]] = {}
    for p in pairs:  # every pair shapes the layout, drawn or not
        links_by_cluster.setdefault(cluster_of[p.a], []).append((p.a, p.b, p.shared))
    shapes = []
    for n, c in enumerate(clusters):
        if should_cancel():
            return graph
        if n in stories:
            shapes.append({story_id(n): (0.0, 0.0)})
        else:
            shapes.append(_cluster_shape([m.id for m in c.members], links_by_cluster.get(n, [])))
    sizes = [story_radius(len(c.members)) if n in stories else 0.0 for n, c in enumerate(clusters)]
    _pack(graph, shapes, [nd for nd in nodes if nd.cluster < 0], sizes)
    return graph


def _cluster_shape(ids: list[str], links: list[tuple[str, str, int]]) -> dict[str, tuple[float, float]]:
    """Positions of one cluster's members around (0, 0); ``ids`` are oldest first."""
    k = len(ids)
    if k == 2:
        return {ids[0]: (-SPACING / 2, 0.0), ids[1]: (SPACING / 2, 0.0)}
    radius = max(SPACING / (2 * math.sin(math.pi / k)), SPACING * 0.6)
    # The oldest member on top, the others clockwise by date.
    angles = -math.pi / 2 + 2 * math.pi * np.arange(k) / k
    xy = np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])
    if k > CIRCLE_MAX:
        xy = _force_layout(xy, ids, links)
    return {aid: (float(x), float(y)) for aid, (x, y) in zip(ids, xy, strict=True)}


def _force_layout(xy: np.ndarray, ids: list[str], links: list[tuple[str, str, int]],
                  iterations: int = 120) -> np.ndarray:
    """Fruchterman-Reingold from ``xy`` (seeded jitter): linked articles pulled together."""
    index = {aid: i for i, aid in enumerate(ids)}
    ea = np.array([index[a] for a, _b, _s in links], dtype=np.int64)
    eb = np.array([index[b] for _a, b, _s in links], dtype=np.int64)
    weight = np.log2(1.0 + np.array([s for _a, _b, s in links], dtype=np.float64))
    rng = np.random.default_rng(SEED)
    pos = xy * 0.5 + rng.normal(0.0, 1.0, xy.shape)
    k = SPACING
    temp = SPACING * math.sqrt(len(ids)) / 2
    for step in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.hypot(delta[..., 0], delta[..., 1]), 0.01)
        force = (delta / dist[..., None] * (k * k / dist)[..., None]).sum(axis=1)
        d = pos[ea] - pos[eb]
        dl = np.maximum(np.hypot(d[:, 0], d[:, 1]), 0.01)
        pull = d * (dl * weight / k)[:, None]
        np.add.at(force, ea, -pull)
        np.add.at(force, eb, pull)
        # Weak gravity keeps loosely linked members from drifting off.
        force -= pos * 0.02 * len(ids) ** 0.5
        length = np.maximum(np.hypot(force[:, 0], force[:, 1]), 0.01)
        t = temp * (1 - step / iterations) + 0.5
        pos += force / length[:, None] * np.minimum(length, t)[:, None]
    pos -= pos.mean(axis=0)
    # Scale so that the closest pair sits at a readable distance.
    dist = np.hypot(*(pos[:, None, :] - pos[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(dist, np.inf)
    closest = float(dist.min())
    if closest > 0:
        pos *= max(1.0, SPACING * 0.6 / closest)
    return pos


def _pack(graph: ReuseGraph, shapes: list[dict[str, tuple[float, float]]],
          loners: list[GraphNode], sizes: list[float] | None = None) -> None:
    """Place cluster shapes in rows (largest first), then the loners in a grid below.

    ``sizes`` adds each shape's node radius (a story node is large) to the room it takes.
    """
    sizes = sizes or [0.0] * len(shapes)
    radii = [max((math.hypot(x, y) for x, y in s.values()), default=0.0) + GAP / 2 + extra
             for s, extra in zip(shapes, sizes, strict=True)]
    area = sum(math.pi * r * r for r in radii) + len(loners) * GRID * GRID
    # About as wide as a docked view is (4:3), so that fitting it leaves little empty space.
    width = max(math.sqrt(area * 4 / 3), 2 * max(radii, default=GRID), GRID * 8)
    x = y = row_h = 0.0
    for shape, r in zip(shapes, radii, strict=True):
        if x > 0 and x + 2 * r > width:
            x, y, row_h = 0.0, y + row_h, 0.0
        cx, cy = x + r, y + r
        for aid, (px, py) in shape.items():
            graph.pos[aid] = (cx + px, cy + py)
        graph.halos.append((cx, cy, r - GAP / 4))
        x += 2 * r
        row_h = max(row_h, 2 * r)
    # Grouped by source so that the colours of the grid read as blocks, each source by id. One
    # sort of all 70,000 (source, id) keys held the GIL 25 ms at 100,000 articles: grouped a
    # node at a time, then a short sort per source.
    groups: dict[str, list[GraphNode]] = {}
    for nd in loners:
        groups.setdefault(nd.source or "\uffff", []).append(nd)
    loners = [nd for source in sorted(groups) for nd in sorted(groups[source], key=_node_id)]
    top = y + row_h + (GAP if shapes else 0.0)
    per_row = max(1, int(width // GRID))
    for n, nd in enumerate(loners):
        graph.pos[nd.id] = (GRID / 2 + (n % per_row) * GRID, top + GRID / 2 + (n // per_row) * GRID)


def _node_id(node: GraphNode) -> str:
    return node.id


def layout_bounds(graph: ReuseGraph, ids: Iterator[str] | None = None) -> tuple[float, float, float, float]:
    """``(left, top, right, bottom)`` of the given nodes' positions (all by default)."""
    pts = [graph.pos[i] for i in ids] if ids is not None else list(graph.pos.values())
    if not pts:
        return 0.0, 0.0, 1.0, 1.0
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)
