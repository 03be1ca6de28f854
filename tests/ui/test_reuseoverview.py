"""The Corpus Overview dock: the cluster tree, the reuse graph, its layout and its clicks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from app.core.reading.model import Article, Paragraph
from app.core.reading.text import normalize
from app.core.reuse.reuseindex import build_map
from app.core.reuse.reuselayout import GraphEdge, GraphNode, build_graph
from app.core.reuse.reusemap import ReuseMap
from app.ui.mainwindow import MainWindow
from app.ui.reusegraph import ReuseGraphView
from app.ui.reuseoverview import IdRole
from tests.ui.conftest import SEEDS

REPO = Path(__file__).resolve().parents[2]


def _prefix(aid: str) -> str:
    return Path(aid).name[:3]


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.reuse_docks.graphReady, timeout=30000):
        win.open_corpus(SEEDS)
    win.reuse_docks.overview_action.trigger()
    qtbot.waitUntil(lambda: win.reuse_docks.overview.graph.isVisible(), timeout=5000)
    yield win
    win.shutdown()


def _article(aid: str, source: str, date: str, texts: list[str]) -> Article:
    paras = [Paragraph(index=i, text=t, norm=normalize(t), start=0, end=len(t)) for i, t in enumerate(texts)]
    return Article(id=aid, path=aid, title=f"Title of {aid}", source=source, date=None, paragraphs=paras)


def _story(seed: int, n: int = 6) -> list[str]:
    words = ["alpha", "bravo", "canal", "delta", "ember", "fjord", "grove", "haven", "inlet", "jetty"]
    return [" ".join(f"{words[(seed * 7 + p * 3 + k) % 10]}{seed}x{p}y{k}" for k in range(24)) for p in range(n)]


@pytest.fixture(scope="module")
def synthetic_map() -> ReuseMap:
    """37 articles: nine copies of one story (force-directed), three pairs, and loners."""
    arts = []
    base = _story(1, 8)
    # Fewer than ten copies, each from its own source: reuse, not learned boilerplate.
    for n in range(9):
        arts.append(_article(f"ring{n:02d}.txt", f"R{n}", "", base[: 5 + n % 3] + _story(100 + n, 2)))
    for n in range(3):
        story = _story(200 + n)
        arts += [_article(f"pair{n}a.txt", "S1", "", story), _article(f"pair{n}b.txt", "S2", "", story[:4])]
    arts += [_article(f"alone{n:02d}.txt", f"S{n % 3}", "", _story(300 + n)) for n in range(22)]
    return build_map(arts)


# ---------------------------------------------------------------- layout (no window)


def test_layout_is_deterministic_and_keeps_clusters_apart(synthetic_map: ReuseMap) -> None:
    g1, g2 = build_graph(synthetic_map), build_graph(synthetic_map)
    assert g1.pos == g2.pos and len(g1.pos) == 37
    assert [len(c.members) for c in g1.clusters] == [9, 2, 2, 2]
    # Halos (one per cluster) do not overlap, and every member lies inside its own.
    halos = g1.halos
    for i, (x, y, r) in enumerate(halos):
        for x2, y2, r2 in halos[i + 1:]:
            assert ((x - x2) ** 2 + (y - y2) ** 2) ** 0.5 >= r + r2
    for node in g1.nodes:
        if node.cluster >= 0:
            x, y, r = halos[node.cluster]
            px, py = g1.pos[node.id]
            assert ((px - x) ** 2 + (py - y) ** 2) ** 0.5 <= r
    # Linked members of the big (force-directed) cluster do not sit on top of one another.
    ring = [g1.pos[m.id] for m in g1.clusters[0].members]
    closest = min(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 for i, a in enumerate(ring) for b in ring[i + 1:])
    assert closest > 15


def test_edges_are_limited_to_the_strongest(synthetic_map: ReuseMap) -> None:
    full = build_graph(synthetic_map)
    assert full.total_pairs == len(full.edges) > 10 and full.hidden_pairs == 0
    limited = build_graph(synthetic_map, max_edges=5)
    assert len(limited.edges) == 5 and limited.hidden_pairs == full.total_pairs - 5
    assert [e.shared for e in limited.edges] == sorted((e.shared for e in full.edges), reverse=True)[:5]
    assert limited.pos == full.pos  # the layout uses every pair, drawn or not


def test_graph_view_hit_testing_and_loners_toggle(qtbot, synthetic_map: ReuseMap) -> None:
    view = ReuseGraphView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    graph = build_graph(synthetic_map)
    view.set_graph(graph)
    assert len(view.visible_nodes()) == 15
    view.set_show_loners(True)
    assert len(view.visible_nodes()) == 37
    edge = next(e for e in graph.edges if e.a.startswith("pair0"))
    assert view.edge_at(view.edge_point(edge)) == edge
    assert isinstance(view.item_at(view.node_point("pair0a.txt")), GraphNode)
    assert view.item_at(QPointF(-50, -50)) is None
    before = view.node_point("pair0a.txt")
    view.zoom_by(2.0, before)
    assert (view.node_point("pair0a.txt") - before).manhattanLength() < 1e-6
    assert "shared paragraph" in view.tooltip_at(view.edge_point(edge))


def _scattered_graph(n: int = 1500, seed: int = 3):
    """``n`` nodes strewn over a wide layout (some loners, a few huge story discs) and edges among neighbours."""
    import random

    from app.core.reuse.reuselayout import ReuseGraph

    rnd = random.Random(seed)
    nodes, pos = [], {}
    for k in range(n):
        aid = f"n{k:05d}.txt"
        copies = 400 if k % 499 == 0 else 0  # a disc wider than a grid cell
        nodes.append(GraphNode(aid, f"T{k}", f"S{k % 4}", "", rnd.uniform(100, 5000), -1 if k % 7 == 0 else k % 50,
                               False, 1, copies))
        pos[aid] = (rnd.uniform(-4000, 4000), rnd.uniform(-3000, 3000))
    edges = []
    for k in range(0, n - 1, 3):  # mostly short, some across the whole layout
        j = k + 1 if k % 30 else (k * 7919) % n
        edges.append(GraphEdge(nodes[k].id, nodes[j].id, 1 + k % 9, 40.0, 60.0))
    return ReuseGraph(nodes=nodes, edges=edges, pos=pos)


def test_hit_tests_through_the_grid_find_what_a_scan_of_every_node_and_edge_finds(qtbot) -> None:
    import math
    import random

    from app.ui.reusegraph import _segment_distance

    view = ReuseGraphView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    graph = _scattered_graph()
    view.set_graph(graph)

    def scan_node(point: QPointF):
        best, best_d = None, math.inf
        for node in view.visible_nodes():
            d = math.hypot(*(point - view.node_point(node.id)).toTuple())
            if d <= view._radius_px(node) + 2 and d < best_d:
                best, best_d = node, d
        return best

    def scan_edge(point: QPointF):
        best, best_d = None, math.inf
        for edge in graph.edges:
            d = _segment_distance(point, view.node_point(edge.a), view.node_point(edge.b))
            if d <= view._edge_width(edge) / 2 + 4.0 and d < best_d:
                best, best_d = edge, d
        return best

    rnd = random.Random(5)
    found = {"node": 0, "edge": 0}
    for scale, loners in ((0.05, False), (0.12, True), (0.5, False), (1.0, True), (3.0, False), (9.0, True)):
        view.set_show_loners(loners)
        view._scale = scale
        view._offset = QPointF(400 - rnd.uniform(-3000, 3000) * scale, 300 - rnd.uniform(-2000, 2000) * scale)
        probes = [QPointF(rnd.uniform(0, 800), rnd.uniform(0, 600)) for _ in range(60)]
        for node in rnd.sample(view.visible_nodes(), 25):  # on and just beside nodes
            c = view.node_point(node.id)
            probes += [c, c + QPointF(view._radius_px(node) + 1.5, 0)]
        for edge in rnd.sample(graph.edges, 25):  # on and beside edges
            a, b = view.node_point(edge.a), view.node_point(edge.b)
            probes += [(a + b) / 2, (a + b) / 2 + QPointF(0, view._edge_width(edge) / 2 + 3.5)]
        for point in probes:
            node, edge = view.node_at(point), view.edge_at(point)
            assert node == scan_node(point) and edge == scan_edge(point), (scale, point)
            found["node"] += node is not None
            found["edge"] += edge is not None
    assert found["node"] > 100 and found["edge"] > 100  # the probes did hit things


# ---------------------------------------------------------------- in the window


def test_overview_shows_the_one_content_cluster_of_the_seeds(window: MainWindow) -> None:
    overview = window.reuse_docks.overview
    model = overview.model
    assert model.rowCount() == 1
    members = {_prefix(model.index(r, 0, model.index(0, 0)).data(IdRole)) for r in range(model.rowCount(model.index(0, 0)))}
    assert members == {"001", "004"}
    graph = overview.graph.graph()
    assert [(_prefix(e.a), _prefix(e.b)) for e in graph.edges] == [("001", "004")]
    assert not any({_prefix(e.a), _prefix(e.b)} == {"000", "002"} for e in graph.edges)
    assert "1 cluster" in overview.summary.text()


def test_clicking_the_edge_opens_the_comparison(qtbot, window: MainWindow) -> None:
    view = window.reuse_docks.overview.graph
    edge = view.graph().edges[0]
    point = view.edge_point(edge)
    assert isinstance(view.edge_at(point), GraphEdge)
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(round(point.x()), round(point.y())))
    al = blocker.args[0]
    assert (_prefix(al.left.id), _prefix(al.right.id)) == ("001", "004")


def test_clicking_a_node_opens_it_on_the_left(qtbot, window: MainWindow) -> None:
    view = window.reuse_docks.overview.graph
    aid = next(n.id for n in view.visible_nodes() if _prefix(n.id) == "004")
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        view.click(view.node_point(aid))
    assert _prefix(blocker.args[0].left.id) == "004"
    related = window.reuse_docks.related
    qtbot.waitUntil(lambda: related.model.rowCount() == 1, timeout=5000)
    assert _prefix(related.model.ids()[0]) == "001"


def test_double_clicking_a_cluster_member_opens_it(qtbot, window: MainWindow) -> None:
    overview = window.reuse_docks.overview
    member = overview.model.index(1, 0, overview.model.index(0, 0))
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        overview.tree.activated.emit(member)
    assert blocker.args[0].left.id == member.data(IdRole)


def test_overview_shortcut_and_dock_state_restored(qtbot, tmp_path: Path) -> None:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert win.reuse_docks.overview_action.shortcut().toString() == "Ctrl+Shift+G"
    assert not win.reuse_docks.overview.isVisible()
    win.reuse_docks.overview_action.trigger()
    win.reuse_docks.related_action.trigger()
    win.save_state()
    win.shutdown()
    again = MainWindow()
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.reuse_docks.overview.isVisible() and not again.reuse_docks.related.isVisible()
    again.shutdown()


def test_cli_compare_uses_the_learned_boilerplate(tmp_path: Path) -> None:
    """``parallax compare`` on two corpus articles passes the corpus's boilerplate to the aligner."""
    code = ("import sys, app.cli.compare as c; seen = []; real = c.align\n"
            "def spy(l, r, **kw): seen.append(kw.get('boilerplate')); return real(l, r, **kw)\n"
            "c.align = spy; from app.cli import main; main(['compare', '000', '002', '--json'])\n"
            "print('PREDICATE', callable(seen[0]), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                         env={"PARALLAX_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert "PREDICATE True" in out.stderr, out.stderr


def test_a_large_graph_is_drawn_over_several_turns_and_then_as_in_one_go(
        qtbot, synthetic_map: ReuseMap, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui import reusegraph

    graph = build_graph(synthetic_map)
    view = ReuseGraphView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    qtbot.waitExposed(view)
    monkeypatch.setattr(reusegraph, "RENDER_BUDGET_S", 60.0)  # in one go, however busy the machine
    view.set_graph(graph)
    whole = view.grab().toImage()
    monkeypatch.setattr(reusegraph, "RENDER_BUDGET_S", 0.0)  # one step a turn
    monkeypatch.setattr(reusegraph, "RENDER_STEP", 1)
    view.set_graph(graph)
    first = view.grab().toImage()
    assert first != whole  # only begun: the background so far
    qtbot.waitUntil(lambda: view.grab().toImage() == whole, timeout=5000)


def test_a_large_cluster_tree_is_expanded_a_batch_at_a_time(
        qtbot, synthetic_map: ReuseMap, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui import reuseoverview

    monkeypatch.setattr(reuseoverview, "EXPAND_ROWS", 1)
    dock = reuseoverview.ReuseOverview()
    qtbot.addWidget(dock)
    dock.show()
    graph = build_graph(synthetic_map)
    assert len(graph.clusters) >= 2
    dock.set_graph(graph)
    model, tree = dock.model, dock.tree
    assert tree.isExpanded(model.index(0, 0)) and not tree.isExpanded(model.index(1, 0))
    qtbot.waitUntil(lambda: all(tree.isExpanded(model.index(n, 0)) for n in range(model.rowCount())), timeout=5000)
    dock.set_graph(graph)
    dock.open_cluster(1)  # an opened cluster stops the expansion: the others stay folded
    qtbot.wait(50)
    assert [tree.isExpanded(model.index(n, 0)) for n in range(model.rowCount())].count(True) == 1
