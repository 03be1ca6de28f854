"""Row heights after a width change: estimated at once, made exact on idle, corrected when painted."""

from __future__ import annotations

import random

import pytest
from PySide6.QtGui import QFont

from app.core.align.paragraphs import align
from app.core.reading.model import Alignment, Article, Paragraph
from app.core.reading.text import normalize
from app.ui.compareview import CompareView
from app.ui.paragraphpane import _Block, _HeightEstimator
from app.ui.rowlayout import RowLayout

WORDS = ["the", "minister", "said", "talks", "on", "the", "pipeline", "would", "resume", "after", "the", "summit,", "officials", "confirmed;", "a", "well-known", "analyst/commentator", "disagreed", "—", "sharply"]


def _texts(n: int, seed: int = 3) -> list[str]:
    rnd = random.Random(seed)
    return [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(5, 90))).capitalize() + "." for _ in range(n)]


def _article(ident: str, texts: list[str]) -> Article:
    paras, pos = [], 0
    for n, text in enumerate(texts):
        paras.append(Paragraph(n, text, normalize(text), pos, pos + len(text)))
        pos += len(text) + 2
    return Article(id=ident, path=f"/t/{ident}", title=ident, source="T", paragraphs=paras, text="\n\n".join(texts))


@pytest.fixture
def pair() -> Alignment:
    left = _texts(160)
    right = [t for k, t in enumerate(left) if k % 7 != 3]
    return align(_article("l", left), _article("r", right))


def _exact(view: CompareView) -> list[int]:
    """The slot heights from the paragraphs really laid out at the current width."""
    heights = []
    for pane in (view.left_pane, view.right_pane):
        width = pane.text_width()
        heights.append([sum(_Block(pane.article().paragraphs[p].text, pane._font, width).height for p in paras)
                        + 10 * (len(paras) - 1) + (18 if badged and paras else 0) if paras else 0
                        for paras, badged in pane._cells])
    return RowLayout.from_sides(heights[0], heights[1]).heights


def test_estimates_agree_with_the_real_layout_for_latin_text_and_break_cjk() -> None:
    font = QFont()
    font.setPointSizeF(11)
    estimator = _HeightEstimator(font)
    texts = _texts(300, seed=9)
    for width in (240, 480, 800):
        same = sum(estimator.height(estimator.pieces(t), width) == _Block(t, font, width).height for t in texts)
        assert same >= 0.97 * len(texts), (width, same)
    cjk = "日本語の文章です。" * 40
    one_line = _Block("日本語", font, 300).height
    assert estimator.height(estimator.pieces(cjk), 300) > 3 * one_line  # not one unbreakable word


def test_a_width_change_sizes_rows_without_laying_out_every_paragraph(qtbot, pair: Alignment) -> None:
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1400, 800)
    view.show()
    qtbot.waitExposed(view)
    view.set_alignment(pair)
    view.wait_layout()
    view.resize(900, 800)
    width = view.left_pane.text_width()
    laid_out = sum(b.width == width for b in view.left_pane._blocks.values())
    assert laid_out < len(pair.left.paragraphs) / 2  # the rest are estimated
    # On idle every paragraph is laid out for real, and the rows match the real heights.
    qtbot.waitUntil(lambda: not view._refine_timer.isActive(), timeout=20000)
    assert all(b.width == width for b in view.left_pane._blocks.values())
    assert len(view.left_pane._blocks) == len(pair.left.paragraphs)
    assert view.left_pane.row_layout().heights == _exact(view)


def test_a_wrong_estimate_is_corrected_once_the_paragraph_is_painted(qtbot, pair: Alignment,
                                                                     monkeypatch) -> None:
    monkeypatch.setattr(_HeightEstimator, "height", lambda self, pieces, width: 7)
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1000, 800)
    view.show()
    qtbot.waitExposed(view)
    view._refine_timer.timeout.disconnect()  # only painting may correct the heights here
    view.set_alignment(pair)
    first = view.left_pane.row_layout().heights[1]
    view.repaint()
    qtbot.waitUntil(lambda: view.left_pane.row_layout().heights[1] != first, timeout=5000)
    assert view.left_pane.row_layout().heights[:3] == _exact(view)[:3]
