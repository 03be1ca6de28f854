"""Presentation details: page furniture drawn as boilerplate, Help > About versions."""

from __future__ import annotations

import pytest

from app.core.align.paragraphs import align
from app.core.reading.model import RowKind
from app.core.reading.reader import read_article
from app.ui.compareview import CompareView, display_rows
from app.ui.helptexts import about_html
from tests.ui.conftest import SEEDS


@pytest.fixture
def alignment():
    left = read_article(next(SEEDS.glob("001_*")), SEEDS)
    right = read_article(next(SEEDS.glob("004_*")), SEEDS)
    return align(left, right)


def test_one_sided_chrome_is_shown_as_boilerplate(alignment) -> None:
    shown = display_rows(alignment)
    texts = {alignment.left.paragraphs[r.left[0]].text: (r, s) for r, s in zip(alignment.rows, shown, strict=True)
             if r.left and not r.right}
    row, drawn = texts["Connect with us"]
    assert row.kind is RowKind.LEFT_ONLY and drawn.kind is RowKind.BOILERPLATE
    # a body paragraph only on the left stays a difference
    row, drawn = next(v for k, v in texts.items() if k.startswith("Putin’s meetings with the Chinese"))
    assert drawn.kind is RowKind.LEFT_ONLY
    assert [r.kind for r in alignment.rows].count(RowKind.IDENTICAL) == 31  # the alignment is untouched


def test_hide_boilerplate_collapses_furniture_and_differences_skip_it(qtbot, alignment) -> None:
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    view.set_alignment(alignment)
    shown = display_rows(alignment)
    view.set_current_row(-1)
    assert view.next_difference()
    assert shown[view.current_row()].kind is not RowKind.BOILERPLATE
    first_chrome = next(n for n, r in enumerate(shown) if r.kind is RowKind.BOILERPLATE)
    tall = view.left_pane.row_rect(first_chrome).height()
    view.set_hide_boilerplate(True)
    assert view.left_pane.row_rect(first_chrome).height() < tall


def test_about_names_the_versions(qtbot) -> None:
    from PySide6.QtCore import qVersion

    from app import __version__
    from app.ui.mainwindow import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    text = about_html()
    assert f"Parallax {__version__}" in text
    assert f"Qt {qVersion()}" in text and "Whoosh" in text and "rapidfuzz" in text
    window.shutdown()
