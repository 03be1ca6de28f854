"""The search preview: the selected hit's article, its query words marked, read off the GUI thread."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.reading.model import SearchResult
from app.core.workspace.corpus import Corpus
from app.ui.corpuspanel import CorpusPanel
from app.ui.models import MARK_OPEN
from app.ui.previewpane import PreviewText, marked_paragraph
from app.ui.settings import preview_shown
from tests.ui.conftest import make_corpus


def _panel(qtbot, corpus: Corpus, size: tuple[int, int] = (420, 800)) -> CorpusPanel:
    widget = CorpusPanel()
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_articles(corpus.listing())
    widget.set_corpus(corpus)
    return widget


@pytest.fixture
def panel(qtbot, seeds_corpus: Corpus) -> CorpusPanel:
    return _panel(qtbot, seeds_corpus)


def _search(qtbot, panel: CorpusPanel, text: str) -> SearchResult:
    with qtbot.waitSignal(panel.searchFinished, timeout=10000) as blocker:
        qtbot.keyClicks(panel.search_edit, text)
    return blocker.args[0]


def _select(qtbot, panel: CorpusPanel, row: int) -> PreviewText:
    with qtbot.waitSignal(panel.preview.shown, timeout=10000) as blocker:
        panel.results.setFocus()
        panel.results.setCurrentIndex(panel.result_model.index(row))
    return blocker.args[0]


def _marked_words(html_text: str) -> list[str]:
    return re.findall(re.escape(MARK_OPEN) + r"(.*?)</span>", html_text)


def test_selecting_a_result_previews_its_article_with_the_hits_marked(qtbot, panel: CorpusPanel,
                                                                      seeds_corpus: Corpus) -> None:
    _search(qtbot, panel, "Taiwan")
    assert panel.preview_visible()  # on by default, in the article list's place
    assert not panel.articles.isVisible()
    hit = panel.result_model.hit(1)
    text = _select(qtbot, panel, 1)
    assert text.aid == hit.id and panel.preview.text is text
    article = seeds_corpus.article(hit.id)
    plain = panel.preview.browser.toPlainText()
    assert article.body[-1].text[:60] in plain
    words = _marked_words(text.html)
    assert words and {w.casefold() for w in words} == {"taiwan"}
    assert text.hits == len(words) == plain.count("Taiwan") + plain.count("taiwan")
    assert text.first_hit == hit.paragraphs[0]  # the ¶ the hit list names first
    assert f"¶{text.first_hit}" in plain
    # Scrolled so the first marked word is on screen.
    browser = panel.preview.browser
    cursor = browser.document().find("Taiwan")
    assert browser.viewport().rect().contains(browser.cursorRect(cursor))
    assert "Taiwan" in panel.preview_label.full_text() or hit.title in panel.preview_label.full_text()


def test_another_hit_replaces_the_preview_and_double_click_still_opens(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    first = _select(qtbot, panel, 0)
    second = _select(qtbot, panel, 2)
    assert first.aid != second.aid and panel.preview.text is second
    view = panel.results
    with qtbot.waitSignal(panel.openRequested, timeout=2000) as blocker:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton,
                          pos=view.visualRect(panel.result_model.index(2)).center())
    assert blocker.args == [second.aid, "left"]
    with qtbot.waitSignal(panel.openRequested, timeout=2000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args == [second.aid, "left"]


def test_a_previewed_hit_listed_again_stays_marked_for_the_new_query(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    shown = _select(qtbot, panel, 0)
    with qtbot.waitSignal(panel.searchFinished, timeout=10000):
        panel.refresh()  # the same query again (the index changed): the selection is gone
    qtbot.wait(200)
    assert panel.preview.text is shown
    with qtbot.waitSignal(panel.preview.shown, timeout=10000) as blocker:
        panel.search_edit.setText("china")
    text = blocker.args[0]
    assert text.aid == shown.aid and text.query == "china"
    words = _marked_words(text.html)
    assert words and all("china" in w.casefold() for w in words)  # "China-Russia" is one word, as in the panes
    with qtbot.waitSignal(panel.searchFinished, timeout=10000):
        panel.search_edit.setText("zzzunheardof")
    qtbot.waitUntil(lambda: panel.preview.text is None, timeout=2000)  # no longer a hit
    assert panel.preview_label.full_text() == "Preview"


def test_space_toggles_the_preview_and_it_is_remembered(qtbot, panel: CorpusPanel, seeds_corpus: Corpus) -> None:
    _search(qtbot, panel, "Taiwan")
    _select(qtbot, panel, 0)
    qtbot.keyClick(panel.results, Qt.Key.Key_Space)
    assert not panel.preview_visible() and panel.articles.isVisible()
    assert not preview_shown()
    again = _panel(qtbot, seeds_corpus)
    assert not again.preview_action.isChecked()
    qtbot.keyClick(panel.results, Qt.Key.Key_Space)
    assert panel.preview_visible() and preview_shown()
    assert panel.preview.text is not None and panel.preview.text.aid == panel.result_model.hit(0).id
    assert panel.results.selected_ids() == [panel.result_model.hit(0).id]  # Space did not change the selection


def test_without_a_query_the_article_list_comes_back(qtbot, panel: CorpusPanel) -> None:
    _search(qtbot, panel, "Taiwan")
    _select(qtbot, panel, 0)
    panel.search_edit.clear()
    assert not panel.preview_visible() and panel.preview.text is None
    assert panel.preview_action.isChecked()  # still on for the next query


def test_a_failed_read_shows_a_message_not_a_traceback(qtbot, tmp_path: Path) -> None:
    root = make_corpus(tmp_path / "small", 6)
    corpus = Corpus(root)
    corpus.update_index()
    panel = _panel(qtbot, corpus)
    _search(qtbot, panel, "harbour1")
    aid = panel.result_model.hit(0).id
    (root / aid).unlink()
    with qtbot.waitSignal(panel.preview.failed, timeout=10000) as blocker:
        panel.results.setFocus()
        panel.results.setCurrentIndex(panel.result_model.index(0))
    message = blocker.args[0]
    assert panel.preview.message.isVisible() and panel.preview.message.text() == message
    assert message.startswith(f"Cannot preview {aid}:") and "Traceback" not in message
    assert panel.preview.text is None and not panel.preview.browser.toPlainText()


def test_an_unexpected_error_is_one_line_too(qtbot, panel: CorpusPanel, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _search(qtbot, panel, "Taiwan")

    def broken(self: Corpus, aid: str) -> None:
        raise ValueError("bad bytes")

    monkeypatch.setattr(Corpus, "article", broken)
    with qtbot.waitSignal(panel.preview.failed, timeout=10000) as blocker:
        panel.results.setFocus()
        panel.results.setCurrentIndex(panel.result_model.index(0))
    message = blocker.args[0]
    assert "unexpected error (a bug in Parallax); details in " in message
    assert "ValueError" not in message and "bad bytes" not in message and "\n" not in message
    assert "Traceback" not in panel.preview.message.text()
    log = Path(message.rsplit(" in ", 1)[1])
    assert "ValueError: bad bytes" in log.read_text("utf-8")  # kept for a bug report
    capsys.readouterr()


def test_marked_paragraph_escapes_and_marks_whole_words() -> None:
    from app.core.search.fulltext import term_matcher

    body, hits = marked_paragraph("Taiwan's <b> Taiwanese taiwan", term_matcher("taiwan"))
    assert _marked_words(body) == ["Taiwan's", "taiwan"] and hits == 2  # not "Taiwanese": another stem
    assert "&lt;b&gt;" in body and "<b>" not in body
    assert marked_paragraph("a < b", None) == ("a &lt; b", 0)


def test_a_very_long_article_is_previewed_up_to_a_bound() -> None:
    from app.core.reading.model import Article, Paragraph
    from app.ui.previewpane import MAX_PREVIEW_CHARS, preview_html

    text = "The alliance held. " * 50
    paras = [Paragraph(i, text, "", 0, 0) for i in range(MAX_PREVIEW_CHARS // len(text))]
    shown = preview_html(Article("long.txt", "/long.txt", "Long", paragraphs=paras), "alliance")
    assert MAX_PREVIEW_CHARS < len(shown.html) < 1.1 * MAX_PREVIEW_CHARS  # marks counted too
    kept = shown.html.count('<p class="body">')
    assert 0 < kept < len(paras) and f"{len(paras) - kept:,} more paragraphs" in shown.html
    assert shown.first_hit == 1 and shown.hits == 50 * kept
