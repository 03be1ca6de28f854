"""Reuse graph colours stand out from the graph's background in the light and the dark palette.

WCAG 2.1 non-text contrast (3:1) for edges and for nodes (their fill, or the ring drawn when
the fill alone would not do), computed from the colours and from rendered pixels.
"""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPalette

from app.core.reading.model import Article, Paragraph
from app.core.reading.text import normalize
from app.core.reuse.reuseindex import build_map
from app.core.reuse.reuselayout import build_graph
from app.ui.palette import contrast, dark_palette, light_palette
from app.ui.reusegraph import (
    MIN_CONTRAST,
    SOURCE_COLOURS,
    ReuseGraphView,
    edge_colour,
    node_outline,
    source_colour,
)

PALETTES = {"light": light_palette, "dark": dark_palette}


def _colours(name: str) -> tuple[QColor, QColor]:
    pal = PALETTES[name]()
    return pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_edges_of_every_strength_reach_3_to_1(name: str) -> None:
    base, _text = _colours(name)
    for share in (0.0, 0.1, 0.5, 1.0):
        assert contrast(edge_colour(base, share), base) >= MIN_CONTRAST, (name, share)
    # Stronger edges stay darker (light) or brighter (dark) than weak ones.
    assert contrast(edge_colour(base, 1.0), base) > contrast(edge_colour(base, 0.0), base)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_every_node_stands_out_by_its_fill_or_its_ring(name: str) -> None:
    base, text = _colours(name)
    for n in range(3 * len(SOURCE_COLOURS)):
        fill = source_colour(n, base)
        ring = node_outline(fill, base, text)
        assert max(contrast(fill, base), contrast(ring, base)) >= MIN_CONTRAST, (name, n, fill.name())
        if name == "dark":  # the dark palette's fills stand out by themselves
            assert contrast(fill, base) >= MIN_CONTRAST, (n, fill.name())


def _article(aid: str, source: str, texts: list[str]) -> Article:
    paras = [Paragraph(index=i, text=t, norm=normalize(t), start=0, end=len(t)) for i, t in enumerate(texts)]
    return Article(id=aid, path=aid, title=aid, source=source, date=None, paragraphs=paras)


def _story(seed: int) -> list[str]:
    words = ["alpha", "bravo", "canal", "delta", "ember", "fjord", "grove", "haven", "inlet", "jetty"]
    return [" ".join(f"{words[(seed * 7 + p * 3 + k) % 10]}{seed}x{p}y{k}" for k in range(24)) for p in range(6)]


@pytest.mark.parametrize("name", ["light", "dark"])
def test_rendered_edges_keep_3_to_1_against_the_pixels_beside_them(qtbot, name: str) -> None:
    arts = []
    for n in range(3):
        story = _story(10 + n)
        # One pair shares most of its text, the others little: weak and strong edges.
        arts += [_article(f"p{n}a.txt", "S1", story), _article(f"p{n}b.txt", "S2", story[: 6 - 2 * n] + _story(50 + n))]
    graph = build_graph(build_map(arts))
    assert len(graph.edges) == 3
    view = ReuseGraphView()
    qtbot.addWidget(view)
    view.setPalette(PALETTES[name]())
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_graph(graph)
    view.zoom_by(1.0 / max(view.zoom(), 1e-9), QPointF(450, 300))  # 1 px per layout unit: no edge labels
    image = view.grab().toImage()
    ratio = image.devicePixelRatio()
    for edge in graph.edges:
        a, b = view.node_point(edge.a), view.node_point(edge.b)
        at = a + (b - a) * 0.5
        length = math.hypot((b - a).x(), (b - a).y())
        normal = QPointF(-(b - a).y() / length, (b - a).x() / length)
        beside = at + normal * 12

        def pixel(pt: QPointF) -> QColor:
            return image.pixelColor(round(pt.x() * ratio), round(pt.y() * ratio))

        assert contrast(pixel(at), pixel(beside)) >= MIN_CONTRAST, (name, edge.a, pixel(at).name(), pixel(beside).name())
