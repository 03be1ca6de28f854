"""The story tab (issue 19): opened from each entry point, collation, filters, exports, sessions."""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from app.core.sessions.session import Session, _session_from_json
from app.ui.mainwindow import MainWindow
from app.ui.storyview import StoryView
from tests.fixtures.syndication import Syndication, build_corpus


@pytest.fixture(scope="module")
def syndication(tmp_path_factory: pytest.TempPathFactory) -> Syndication:
    return build_corpus(tmp_path_factory.mktemp("story-ui") / "corpus", outlets=14, fanouts=(12, 3), own=1, seed=5)


@pytest.fixture
def window(qtbot, syndication: Syndication) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.reuse_docks.graphReady, timeout=60000):
        win.open_corpus(syndication.root)
    yield win
    win.shutdown()


def _story(syn: Syndication):
    return max(syn.stories, key=lambda s: len(s.copies))


def _shown(qtbot, view: StoryView) -> StoryView:
    if view.story is None:
        with qtbot.waitSignal(view.storyShown, timeout=20000):
            pass
    return view


def _only_story_tab(window: MainWindow) -> StoryView:
    (view,) = window.story_views()
    assert isinstance(view, StoryView)
    return view


def test_open_from_the_corpus_overview(qtbot, window: MainWindow, syndication: Syndication) -> None:
    overview = window.reuse_docks.overview
    overview.tree.setCurrentIndex(overview.model.index(0, 0))  # the largest cluster
    qtbot.mouseClick(overview.story_button, Qt.MouseButton.LeftButton)
    view = _shown(qtbot, _only_story_tab(window))
    truth = _story(syndication)
    assert window.tabs.story_is_current()
    assert view.story.base == truth.origin and set(view.copy_ids()) == set(truth.copies)
    assert window.tabs.tabText(window.tabs.indexOf(view)) == "Story · 12 copies"
    assert view.base_list.count() == len(view.story.coverage) > 0


def test_open_from_related(qtbot, window: MainWindow, syndication: Syndication) -> None:
    truth = _story(syndication)
    with qtbot.waitSignal(window.comparisonReady, timeout=10000):
        window.open_article(truth.copies[2], "left")
    panel = window.reuse_docks.related
    qtbot.waitUntil(lambda: panel.story_link.isVisibleTo(panel), timeout=5000)
    assert panel.summary.text().startswith(f"This story: {len(truth.copies)} copies")
    panel.story_link.linkActivated.emit("story")
    view = _shown(qtbot, _only_story_tab(window))
    assert view.aid == truth.copies[2] and view.story.size == len(truth.copies)


def test_open_from_the_copies_row_of_search_results(qtbot, window: MainWindow,
                                                    syndication: Syndication) -> None:
    truth = _story(syndication)
    panel = window.panel
    with qtbot.waitSignal(panel.searchFinished, timeout=20000):
        panel.search_edit.setText(f'"{truth.title}"')
        panel.search_now()
    from app.ui.models import COPIES, KindRole

    model = panel.result_model
    row = next(r for r in range(model.rowCount()) if model.index(r).data(KindRole) == COPIES)
    aid = model.hit(row).id  # a "+N copies" row acts for its story's best hit
    menu = panel.build_menu([aid], panel.results)
    (action,) = [a for a in menu.actions() if a.text().startswith("Open Story View")]
    assert action.isEnabled() and action.text() == f"Open Story View ({len(truth.copies)} copies)"
    action.trigger()
    view = _shown(qtbot, _only_story_tab(window))
    assert view.story.size == len(truth.copies)


def test_gui_story_option_opens_the_story_tab(qtbot, tmp_path: Path, syndication: Syndication) -> None:
    from app.cli import gui

    truth = _story(syndication)
    target = tmp_path / "story.png"
    args = argparse.Namespace(corpus=str(syndication.root), index=str(tmp_path / "index"), compare=None,
                              search=None, story=truth.copies[1], screenshot=str(target), timeout=60.0,
                              size=(1200, 800), theme=None)
    assert gui.run(args) == 0
    assert target.stat().st_size > 10_000


def test_the_story_is_built_off_the_gui_thread(qtbot, window: MainWindow, syndication: Syndication) -> None:
    view = window.open_story(_story(syndication).origin)
    assert view.story is None and view.busy()  # open_story returned before the work was done
    _shown(qtbot, view)
    assert not view.busy()


def test_clicking_a_base_paragraph_shows_its_collation(qtbot, window: MainWindow,
                                                       syndication: Syndication) -> None:
    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    story = view.story
    # The paragraph most copies changed has variant lines.
    target = max(story.coverage, key=lambda c: (c.changed, -c.index))
    row = [c.index for c in story.coverage].index(target.index)
    rect = view.base_list.visualItemRect(view.base_list.item(row))
    qtbot.mouseClick(view.base_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    lines = view.collation_lines()
    assert lines[0].state == "base"
    identical = [x for x in lines if x.state == "identical"]
    variants = [x for x in lines if x.state == "variant"]
    assert sum(len(x.copies) for x in lines[1:]) == story.size - 1
    html = view.collation.toPlainText()
    assert f"¶{target.number} in {story.size} copies" in html
    if identical:
        assert f"{len(identical[0].copies)} outlets, identical" in html
    assert target.changed == 0 or variants
    assert view.side.currentWidget() is view.collation


def test_variants_filter_and_csv_export(qtbot, window: MainWindow, syndication: Syndication,
                                        tmp_path: Path) -> None:
    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    everything = view.variant_rows()
    kinds = {k for v in view.story.variants() for k in v.kinds}
    assert everything > 0 and kinds
    kind = sorted(kinds)[0]
    view.set_kind(kind)
    assert 0 < view.variant_rows() <= everything
    assert all(kind in view.variants.topLevelItem(i).text(3) for i in range(view.variant_rows()))
    target = tmp_path / "variants.csv"
    with qtbot.waitSignal(view.messageShown, timeout=10000) as told:
        view.export_csv(str(target))
    assert told.args[1] is False and told.args[0].startswith("Wrote ")
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"))))
    assert rows[0][0] == "paragraph" and len(rows) - 1 == view.variant_rows()
    assert all(kind in r[4] for r in rows[1:])
    # A corpus file is never written over.
    inside = syndication.root / _story(syndication).origin
    before = inside.read_bytes()
    with qtbot.waitSignal(view.messageShown, timeout=10000) as told:
        view.export_csv(str(inside))
    assert told.args[1] is True and "Could not write" in told.args[0] and inside.read_bytes() == before


def test_html_report_holds_base_variants_timeline_notes_and_hashes(qtbot, window: MainWindow,
                                                                  syndication: Syndication,
                                                                  tmp_path: Path) -> None:
    truth = _story(syndication)
    view = _shown(qtbot, window.open_story(truth.origin, notes="Checked with the desk."))
    target = tmp_path / "story.html"
    with qtbot.waitSignal(view.messageShown, timeout=20000) as told:
        view.export_report(str(target))
    assert told.args[1] is False
    html = target.read_text("utf-8")
    assert '<meta name="generator" content="Parallax' in html
    for table in ("coverage", "copies", "variants", "timeline"):
        assert f'data-table="{table}"' in html
    assert "Checked with the desk." in html
    digest = hashlib.sha256((syndication.root / truth.origin).read_bytes()).hexdigest()
    assert digest in html
    assert html.count('data-copy="') == len(truth.copies)


def test_compare_a_copy_with_the_base_in_a_comparison_tab(qtbot, window: MainWindow,
                                                          syndication: Syndication) -> None:
    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    other = next(i for i in range(view.copies.topLevelItemCount())
                 if view.copies.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) != view.story.base)
    view.copies.setCurrentItem(view.copies.topLevelItem(other))
    copy_id = view.selected_copy()
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        qtbot.mouseClick(view.compare_button, Qt.MouseButton.LeftButton)
    alignment = blocker.args[0]
    assert (alignment.left.id, alignment.right.id) == (view.story.base, copy_id)
    assert not window.tabs.story_is_current()
    assert window.story_views() == [view]  # the story tab stays open


def test_copies_sort_and_timeline_tooltips(qtbot, window: MainWindow, syndication: Syndication) -> None:
    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    story = view.story
    for n, key in enumerate(("date", "similarity", "outlet")):
        view.sort_box.setCurrentIndex(n)
        assert view.copy_ids() == [c.id for c in story.sorted_copies(key)]
    view.side.setCurrentIndex(2)
    positions = view.timeline.positions()
    assert set(positions) == {c.id for c in story.copies}
    origin_tip = view.timeline.tip_at(positions[story.base])
    assert "likely origin" in origin_tip and story.copy(story.base).outlet in origin_tip
    for edge in story.edges:
        tip = view.timeline.tip_at(positions[edge.child])
        assert edge.evidence in tip
    assert view.timeline.tip_at(QPointF(-50, -50)) == ""


def test_a_chosen_base_rebuilds_the_story(qtbot, window: MainWindow, syndication: Syndication) -> None:
    truth = _story(syndication)
    view = _shown(qtbot, window.open_story(truth.origin))
    k = view.base_box.findData(truth.copies[3])
    with qtbot.waitSignal(view.storyShown, timeout=20000):
        view.base_box.setCurrentIndex(k)
        view.base_box.activated.emit(k)
    assert view.story.base == truth.copies[3] and view.story.base_reason == "chosen as base"


def test_story_tab_and_notes_are_saved_and_restored_with_the_session(qtbot, window: MainWindow,
                                                                     syndication: Syndication) -> None:
    truth = _story(syndication)
    view = _shown(qtbot, window.open_story(truth.copies[4]))
    view.notes.setPlainText("Outlet X dropped the quote.")
    snap = window.sessions.snapshot()
    assert [(s.id, s.notes) for s in snap.stories] == [(truth.copies[4], "Outlet X dropped the quote.")]
    assert window.sessions.is_modified()
    again = _session_from_json(Session(corpus=snap.corpus, tabs=snap.tabs, stories=snap.stories).to_dict())
    window.tabs.close_all()
    assert window.story_views() == []
    window.comparisons.restore_stories(again.stories)
    restored = _shown(qtbot, _only_story_tab(window))
    assert restored.aid == truth.copies[4] and restored.notes_text() == "Outlet X dropped the quote."
    assert restored.story.size == len(truth.copies)


def test_closing_tabs_keeps_a_comparison_to_act_on(qtbot, window: MainWindow, syndication: Syndication) -> None:
    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    assert window.tabs.story_is_current()
    assert window.compare_view is window.tabs.entries()[0].view  # actions act on the comparison
    window.tabs.close_tab(window.tabs.indexOf(window.tabs.entries()[0].view))
    assert len(window.tabs.entries()) == 1 and window.story_views() == [view]
    window.tabs.setCurrentWidget(view)
    window.tabs.close_tab()
    assert window.story_views() == [] and window.tabs.count() == 1


def test_timeline_keeps_undated_and_unparsable_dates_apart(qtbot) -> None:
    from dataclasses import replace

    from app.core.compare.story import build_story
    from app.core.reuse.reuseindex import build_map
    from app.ui.storyview import TimelineWidget
    from tests.core.test_story import story_articles

    arts = story_articles()
    story = build_story(build_map(arts.values()), arts.__getitem__, "a.txt")
    story.copies = [replace(c, date="2024-13-45") if c.id == "v0.txt" else c for c in story.copies]
    widget = TimelineWidget()
    qtbot.addWidget(widget)
    widget.resize(600, 240)
    widget.set_story(story)
    widget.show()
    qtbot.waitExposed(widget)
    pos = widget.positions()
    assert set(pos) == {c.id for c in story.copies}
    apart = {aid for aid, p in pos.items() if p.x() > widget.width() - widget.MARGIN - 30}
    assert apart == {"undated.txt", "v0.txt"}
    assert pos["origin.txt"].x() < pos["b.txt"].x()
    widget.repaint()


def _pdf_text(path: Path) -> str | None:
    """The PDF's text in drawing order (cell by cell), flattened, when poppler's pdftotext is installed."""
    import shutil
    import subprocess
    import unicodedata

    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    text = subprocess.run([tool, "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFKC", text).split())  # ﬀ, ﬂ: ligatures of the PDF font


def test_pdf_report_from_the_tab_holds_the_same_content(qtbot, window: MainWindow,
                                                        syndication: Syndication, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.storage.fsguard import has_report_signature
    from app.ui import storyview

    truth = _story(syndication)
    view = _shown(qtbot, window.open_story(truth.origin, notes="Checked with the desk."))
    asked = []

    def save_dialog(parent, caption, name, filters):
        asked.append(filters)
        return str(tmp_path / "story"), storyview.PDF_FILTER  # no suffix typed, PDF chosen

    monkeypatch.setattr(storyview.QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    with qtbot.waitSignal(view.messageShown, timeout=30000) as told:
        qtbot.mouseClick(view.report_button, Qt.MouseButton.LeftButton)
    assert asked == [f"{storyview.HTML_FILTER};;{storyview.PDF_FILTER}"]
    target = tmp_path / "story.pdf"
    assert told.args == [f"Exported the story to {target}", False]
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert has_report_signature(target)  # /Creator (Parallax): a later export may replace it
    text = _pdf_text(target)
    if text is not None:
        story = view.story
        for heading in ("Notes", "Base text and coverage", "Copies", f"Variants ({len(story.variants())} places)",
                        "Spread", "derives from"):
            assert heading in text
        assert "Checked with the desk." in text
        joined = text.replace(" ", "")  # hashes and ids wrap inside their cells
        for aid in truth.copies:
            assert hashlib.sha256((syndication.root / aid).read_bytes()).hexdigest() in joined
        for edge in story.edges:
            assert " ".join(edge.evidence.split()).replace(" ", "") in joined
    # Its own earlier PDF is replaced; a file it did not write, or one inside the corpus, never.
    with qtbot.waitSignal(view.messageShown, timeout=30000) as told:
        view.export_report(str(target))
    assert told.args[1] is False and has_report_signature(target)
    foreign = tmp_path / "theirs.pdf"
    foreign.write_bytes(b"%PDF-1.4 someone else's\n")
    inside = syndication.root / "story.pdf"
    for refused in (foreign, inside):
        with qtbot.waitSignal(view.messageShown, timeout=30000) as told:
            view.export_report(str(refused))
        assert told.args[1] is True and told.args[0].startswith(f"Could not export {refused}: ")
        assert "Traceback" not in told.args[0]
    assert foreign.read_bytes() == b"%PDF-1.4 someone else's\n" and not inside.exists()
    assert "never writes there" in told.args[0]


def test_a_narrow_tab_stacks_the_copies_above_the_base(qtbot, window: MainWindow,
                                                       syndication: Syndication) -> None:
    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    view.resize(StoryView.NARROW_BELOW + 300, 700)
    assert not view.is_stacked()
    assert [view.splitter.widget(i) for i in range(view.splitter.count())] == [view.copies, view.base_list, view.side]
    view.resize(StoryView.NARROW_BELOW - 200, 700)
    assert view.is_stacked() and view.copies.parent() is view.stack and view.base_list.parent() is view.stack
    assert view.splitter.indexOf(view.stack) == 0 and view.splitter.indexOf(view.side) == 1
    view.resize(StoryView.NARROW_BELOW + 300, 700)
    assert [view.splitter.widget(i) for i in range(view.splitter.count())] == [view.copies, view.base_list, view.side]


def test_collation_marks_use_the_palettes_word_colours(qtbot, window: MainWindow,
                                                       syndication: Syndication) -> None:
    from app.ui.palette import colours, dark_palette

    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    view.collation.setPalette(dark_palette())
    target = max(view.story.coverage, key=lambda c: (c.changed, -c.index))
    view.show_collation(target.index)
    html = view.collation.toHtml()
    dark = colours(dark_palette())
    assert target.changed == 0 or dark.deleted.name() in html or dark.inserted.name() in html
    assert "#f8d0d0" not in html and "#c8ecc8" not in html  # the light fills under light text


def test_a_link_change_in_a_comparison_rebuilds_the_open_story(qtbot, window: MainWindow,
                                                               syndication: Syndication) -> None:
    view = _shown(qtbot, window.open_story(_story(syndication).origin))
    story = view.story
    copy_id = next(c.id for c in story.copies if c.role == "copy" and c.label == "verbatim")
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        window.compare_in_own_tab(story.base, copy_id)
    alignment = blocker.args[0]
    index = story.coverage[0].index  # the base's first content paragraph
    row = next(n for n, r in enumerate(alignment.rows) if index in r.left)
    assert alignment.rows[row].is_match
    assert not any(line.state == "missing" and copy_id in line.copies for line in story.collation(index))
    with qtbot.waitSignal(view.storyShown, timeout=20000):
        assert window.overrides.unlink_row(window.compare_view, row)  # boilerplate shown: display row = row
    lines = view.story.collation(index)
    assert any(line.state == "missing" and copy_id in line.copies for line in lines)
    assert view.story.coverage[0].carried == story.coverage[0].carried - 1
