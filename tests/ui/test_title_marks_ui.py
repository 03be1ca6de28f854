"""A `title:` hit shows its title with the matched words highlighted in the result list."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.core.reading.model import SearchResult
from app.ui.corpuspanel import CorpusPanel
from app.ui.models import HIGHLIGHT_BG, HitRole, hit_html


def _title_block(markup: str) -> str:
    return markup.split("</div>", 1)[0]


def test_a_title_query_highlights_the_titles_it_matched(qtbot, panel: CorpusPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=10000) as blocker:
        qtbot.keyClicks(panel.search_edit, "title:alliance")
    result: SearchResult = blocker.args[0]
    assert result.hits
    model = panel.results.model()
    shown = [model.index(r, 0).data(HitRole) for r in range(model.rowCount())]
    shown = [h for h in shown if h is not None and h.id in {x.id for x in result.hits}]
    assert shown
    for hit in shown:
        assert "alliance" in hit.title.lower()
        words = [hit.title[s:e].lower() for s, e in hit.title_marks]
        assert words == ["alliance"]
        title = _title_block(hit_html(hit, "#777777", "#000000"))
        assert f"background-color:{HIGHLIGHT_BG}" in title
        assert title.count(f"background-color:{HIGHLIGHT_BG}") == len(hit.title_marks)


def test_a_body_query_leaves_the_title_plain(qtbot, panel: CorpusPanel) -> None:
    with qtbot.waitSignal(panel.searchFinished, timeout=10000) as blocker:
        qtbot.keyClicks(panel.search_edit, "body:alliance")
    result: SearchResult = blocker.args[0]
    assert result.hits
    for hit in result.hits:
        assert hit.title_marks == ()
        assert "background-color" not in _title_block(hit_html(hit, "#777777", "#000000"))
    assert panel.results.model().index(0, 0).data(Qt.ItemDataRole.DisplayRole)
