"""The corpus panel: search as you type, inline query errors, article list, choosing articles."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from app.core.reading.model import SearchResult
from app.ui.corpuspanel import CorpusPanel
from app.ui.models import ARTICLE_MIME, IdRole, SortedIds, sorted_ids


def _search(qtbot, panel: CorpusPanel, text: str) -> SearchResult:
    with qtbot.waitSignal(panel.searchFinished, timeout=10000) as blocker:
        qtbot.keyClicks(panel.search_edit, text)
    return blocker.args[0]


def _prefixes(ids: list[str]) -> list[str]:
    return sorted(i[:3] for i in ids)


def test_typing_taiwan_lists_001_002_004(qtbot, panel: CorpusPanel) -> None:
    result = _search(qtbot, panel, "Taiwan")
    assert result.query == "Taiwan"
    assert _prefixes(panel.result_model.ids()) == ["001", "002", "004"]
    matches = sum(h.matches for h in result.hits)
    assert matches >= 3 and panel.count_label.text() == f"3 articles, {matches} matches"
    hit = panel.result_model.hit(0)
    assert any("<b>Taiwan</b>" in s for s in hit.snippets)
    assert not panel.message.isVisible()


def test_results_are_debounced_and_stale_ones_dropped(qtbot, panel: CorpusPanel) -> None:
    shown: list[str] = []
    panel.searchFinished.connect(lambda r: shown.append(r.query))
    qtbot.keyClicks(panel.search_edit, "Putin")
    panel.search_edit.clear()
    qtbot.keyClicks(panel.search_edit, "Taiwan")
    qtbot.waitUntil(lambda: "Taiwan" in shown, timeout=10000)
    assert shown == ["Taiwan"]
    assert _prefixes(panel.result_model.ids()) == ["001", "002", "004"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [('"Putin in China', "quotes"), ("(china AND", "parenthes"), ("bogus:term", "Unknown field")],
)
def test_malformed_query_shows_its_message_inline(qtbot, panel: CorpusPanel, query: str,
                                                   expected: str) -> None:
    with qtbot.waitSignal(panel.searchFailed, timeout=10000) as blocker:
        qtbot.keyClicks(panel.search_edit, query)
    assert expected in blocker.args[0]
    assert panel.message.isVisible()
    assert expected in panel.message.text()
    assert panel.result_model.rowCount() == 0
    # Fixing the query clears the message.
    panel.search_edit.clear()
    _search(qtbot, panel, "Taiwan")
    assert not panel.message.isVisible()


def test_escape_clears_the_search(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    with qtbot.waitSignal(panel.queryChanged, timeout=2000) as blocker:
        qtbot.keyClick(panel.search_edit, Qt.Key.Key_Escape)
    assert blocker.args == [""]
    assert panel.search_edit.text() == ""
    assert panel.result_model.rowCount() == 0


def test_article_list_sorts_and_filters_as_you_type(qtbot, panel: CorpusPanel) -> None:
    assert panel.proxy.rowCount() == 5
    assert panel.articles_label.text() == "Articles · 5"
    panel.articles.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    titles = [panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())]
    assert titles == sorted(titles, key=str.casefold)
    panel.articles.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    dates = [panel.proxy.index(r, 2).data() for r in range(5)]
    assert dates == ["2021-12-15", "2021-06-20", "2017-07-10", "", ""]
    panel.articles.selectRow(0)
    selected = panel.articles.selected_ids()
    panel.articles.sortByColumn(2, Qt.SortOrder.AscendingOrder)
    dates = [panel.proxy.index(r, 2).data() for r in range(5)]
    assert dates == ["2017-07-10", "2021-06-20", "2021-12-15", "", ""]  # undated last either way
    assert panel.articles.selected_ids() == selected  # the selection follows its rows
    qtbot.keyClicks(panel.filter_edit, "putin china")
    ids = [panel.proxy.index(r, 0).data(IdRole) for r in range(panel.proxy.rowCount())]
    assert _prefixes(ids) == ["001", "004"]
    assert panel.articles_label.text() == "Articles · 2 of 5"


def test_double_click_opens_left_and_ctrl_double_click_right(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    view = panel.results
    first = view.visualRect(panel.result_model.index(0)).center()
    second = view.visualRect(panel.result_model.index(1)).center()
    with qtbot.waitSignal(panel.openRequested, timeout=2000) as blocker:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=first)
    assert blocker.args == [panel.result_model.hit(0).id, "left"]
    with qtbot.waitSignal(panel.openRequested, timeout=2000) as blocker:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                          Qt.KeyboardModifier.ControlModifier, second)
    assert blocker.args == [panel.result_model.hit(1).id, "right"]


def test_two_selected_and_enter_requests_a_comparison(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    ids = {i[:3]: i for i in panel.result_model.ids()}
    assert panel.select_ids([ids["001"], ids["004"]]) == 2
    with qtbot.waitSignal(panel.compareRequested, timeout=2000) as blocker:
        qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    assert sorted(blocker.args) == sorted([ids["001"], ids["004"]])


def test_enter_in_the_article_list_too(qtbot, panel: CorpusPanel) -> None:
    ids = [panel.proxy.index(r, 0).data(IdRole) for r in range(2)]
    panel.select_ids(ids)
    assert panel.selected_ids() == ids
    with qtbot.waitSignal(panel.compareRequested, timeout=2000) as blocker:
        qtbot.keyClick(panel.articles, Qt.Key.Key_Enter)
    assert blocker.args == ids


def test_lists_drag_article_ids(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    rows = [panel.result_model.index(0), panel.result_model.index(1)]
    data = panel.result_model.mimeData(rows)
    expected = "\n".join(panel.result_model.ids()[:2])
    assert bytes(data.data(ARTICLE_MIME)).decode("utf-8") == expected
    assert data.text() == expected
    source_rows = [panel.article_model.index(0, 0)]
    data = panel.article_model.mimeData(source_rows)
    assert bytes(data.data(ARTICLE_MIME)).decode() == panel.article_model.article_id(0)


def test_context_menu_offers_both_sides_and_best_match(qtbot, panel: CorpusPanel) -> None:
    menu = panel.build_menu(["a.txt", "b.txt"], panel)
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts[:4] == ["Open on Left", "Open on Right", "Compare Selected", "Compare with Best Match"]
    with qtbot.waitSignal(panel.openRequested, timeout=1000) as blocker:
        menu.actions()[1].trigger()
    assert blocker.args == ["a.txt", "right"]
    single = panel.build_menu(["a.txt"], panel)
    assert not single.actions()[2].isEnabled()


def test_hits_paint_with_a_height_for_their_snippet(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    view = panel.results
    rect = view.visualRect(panel.result_model.index(0))
    assert rect.height() > 3 * view.fontMetrics().height()
    pixmap = view.viewport().grab()
    assert not pixmap.isNull()
    assert view.indexAt(QPoint(rect.center())).row() == 0


def test_filter_keeps_rows_holding_every_word(qtbot, seeds_corpus) -> None:
    widget = CorpusPanel()
    qtbot.addWidget(widget)
    widget.set_articles(seeds_corpus.listing())
    proxy, total = widget.proxy, widget.article_model.rowCount()
    first = widget.article_model.info(widget.article_model.article_id(0))
    word = first.title.split()[0]
    proxy.set_filter_text(word.upper())
    shown = {proxy.data(proxy.index(r, 0), IdRole) for r in range(proxy.rowCount())}
    assert first.id in shown and 0 < len(shown) <= total
    assert all(word.casefold() in f"{widget.article_model.info(a).title} {a}".casefold()
               or word.casefold() in widget.article_model.info(a).source.casefold() for a in shown)
    proxy.set_filter_text(f"{word} 000")  # both words: the title word and the file name
    both = {proxy.data(proxy.index(r, 0), IdRole) for r in range(proxy.rowCount())}
    assert both <= shown and all("000" in a or "000" in widget.article_model.info(a).title for a in both)
    proxy.set_filter_text("(c++")  # regex characters are plain text
    assert proxy.rowCount() == 0
    proxy.set_filter_text("")
    assert proxy.rowCount() == total


def test_presorted_ids_are_used_only_for_the_current_order(qtbot, seeds_corpus) -> None:
    panel = CorpusPanel()
    qtbot.addWidget(panel)
    model = panel.article_model
    listing = seeds_corpus.listing()
    backwards = [a.id for a in reversed(sorted(listing, key=lambda a: a.id))]
    model.set_articles(listing, SortedIds(backwards, model.order))
    assert [model.article_id(r) for r in range(model.rowCount())] == backwards
    other = (0, Qt.SortOrder.AscendingOrder if model.order[1] != Qt.SortOrder.AscendingOrder
             else Qt.SortOrder.DescendingOrder)
    model.set_articles(listing, SortedIds(backwards, other))
    model_ids = [model.article_id(r) for r in range(model.rowCount())]
    assert model_ids == sorted_ids(listing, model.order).ids and sorted(model_ids) == sorted(backwards)


@pytest.mark.parametrize("reverse", [False, True])
def test_sorting_in_slices_equals_one_stable_sort(reverse: bool) -> None:
    import random
    from operator import itemgetter

    from app.ui.models import _stable_sorted

    rng = random.Random(5)
    items = [(rng.randint(0, 40), i) for i in range(10_000)]  # many ties, several slices
    assert _stable_sorted(items, key=itemgetter(0), reverse=reverse) == sorted(
        items, key=itemgetter(0), reverse=reverse)
