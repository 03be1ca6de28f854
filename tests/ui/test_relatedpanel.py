"""The Related dock and the window's alignment with the corpus-learned boilerplate."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.core.align.paragraphs import align
from app.core.reading.model import Alignment, RowKind
from app.core.reuse.reusemap import RelatedArticle
from app.ui.mainwindow import MainWindow
from app.ui.relatedpanel import IdRole, RelatedModel, RelatedPanel, figures
from tests.ui.conftest import SEEDS


def _prefix(aid: str) -> str:
    return Path(aid).name[:3]


def _open_corpus(qtbot, folder: Path) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.reuse_docks.graphReady, timeout=30000):
        win.open_corpus(folder)
    return win


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = _open_corpus(qtbot, SEEDS)
    yield win
    win.shutdown()


def _open_left(qtbot, win: MainWindow, ref: str) -> Alignment:
    with qtbot.waitSignal(win.comparisonReady, timeout=10000) as blocker:
        win.open_article(ref, "left")
    return blocker.args[0]


def test_model_rows_and_figures(qtbot) -> None:
    panel = RelatedPanel()
    qtbot.addWidget(panel)
    rel = RelatedArticle("b.txt", "Bee", "Herald", "2024-01-02", 3, 3, 4, 25.0, 80.0)
    panel.show_related("a.txt", [rel])
    model: RelatedModel = panel.model
    assert model.rowCount() == 1 and model.ids() == ["b.txt"]
    assert model.index(0, 0).data() == "Bee"
    assert figures(rel) == "3 shared paragraphs · 25 % of this · 80 % of that"
    with qtbot.waitSignal(panel.compareRequested) as blocker:
        panel.view.activated.emit(model.index(0, 0))
    assert blocker.args == ["a.txt", "b.txt"]


def test_related_for_001_lists_004_and_a_click_compares(qtbot, window: MainWindow) -> None:
    panel = window.reuse_docks.related
    assert panel.isVisible()
    _open_left(qtbot, window, "001")
    qtbot.waitUntil(lambda: panel.model.rowCount() > 0, timeout=5000)
    assert [_prefix(i) for i in panel.model.ids()] == ["004"]
    rel = panel.model.related(0)
    assert 28 <= rel.shared_paragraphs <= 32
    assert rel.pct_there > rel.pct_here > 50
    rect = panel.view.visualRect(panel.model.index(0, 0))
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    alignment = blocker.args[0]
    assert (_prefix(alignment.left.id), _prefix(alignment.right.id)) == ("001", "004")
    # Still 001 on the left: the list stays.
    assert [_prefix(i) for i in panel.model.ids()] == ["004"]


def test_article_sharing_nothing_shows_the_empty_state(qtbot, window: MainWindow) -> None:
    panel = window.reuse_docks.related
    assert panel.placeholder() == RelatedPanel.NO_ARTICLE
    _open_left(qtbot, window, "003")
    assert panel.model.rowCount() == 0
    assert panel.placeholder() == RelatedPanel.NONE
    # 000 and 002 share only boilerplate: no content pair.
    _open_left(qtbot, window, "000")
    assert panel.model.rowCount() == 0


def test_related_dock_toggles_with_its_shortcut(qtbot, window: MainWindow) -> None:
    docks = window.reuse_docks
    assert docks.related_action.shortcut().toString() == "Ctrl+Shift+R"
    assert docks.related_action in window.view_menu.actions()
    docks.related_action.trigger()
    assert not docks.related.isVisible()
    docks.related_action.trigger()
    assert docks.related.isVisible()


def test_window_aligns_000_and_002_with_the_learned_footer(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        window.compare("000", "002")
    al: Alignment = blocker.args[0]
    footer = [r for r in al.rows if any("Global Research" in al.left.paragraphs[i].text for i in r.left)
              and r.right]
    assert footer and all(r.kind is RowKind.BOILERPLATE for r in footer)
    summary = al.summary()
    assert summary.shared_rows == 0
    assert summary.left_shared_chars_pct == 0 and summary.right_shared_chars_pct == 0


def _herald(folder: Path, n: int, motto: str) -> None:
    words = [["harbour", "ferry", "tide", "crane", "dock"], ["senate", "budget", "vote", "clerk", "motion"],
             ["orchard", "frost", "apple", "cider", "blossom"]][n]
    body = " ".join(f"{words[k % 5]}{k}" for k in range(40))
    (folder / f"h{n}.md").write_text(
        f"---\ntitle: Story {n}\nsource: Daily Herald\ndate: 2024-01-0{n + 1}\n---\n\n"
        f"# Story {n}\n\n{body}.\n\n{body[::-1]}.\n\n{motto}\n", encoding="utf-8")


def test_paragraph_recurring_in_a_source_is_boilerplate_in_the_window(qtbot, tmp_path: Path) -> None:
    """A long body paragraph in every Daily Herald article: reuse for the aligner, boilerplate for the corpus."""
    folder = tmp_path / "herald"
    folder.mkdir()
    motto = ("The Daily Herald is an independent newspaper funded by its readers, and every story we "
             "publish is checked by two editors before it goes to print in the morning edition.")
    for n in range(3):
        _herald(folder, n, motto)
    win = _open_corpus(qtbot, folder)
    try:
        assert win.reuse_docks.reuse_map() is not None
        with qtbot.waitSignal(win.comparisonReady, timeout=10000) as blocker:
            win.compare("h0.md", "h1.md")
        al: Alignment = blocker.args[0]
        motto_rows = [r for r in al.rows if any(al.left.paragraphs[i].text == motto for i in r.left)]
        assert len(motto_rows) == 1 and motto_rows[0].kind is RowKind.BOILERPLATE
        plain = align(al.left, al.right)  # without the corpus's knowledge it is shared text
        plain_rows = [r for r in plain.rows if any(plain.left.paragraphs[i].text == motto for i in r.left)]
        assert plain_rows[0].kind is RowKind.IDENTICAL
        assert al.summary().shared_rows == plain.summary().shared_rows - 1
        assert al.summary().left_shared_chars_pct < plain.summary().left_shared_chars_pct
        assert win.reuse_docks.related.placeholder() == RelatedPanel.NONE
    finally:
        win.shutdown()


def test_enter_compares_and_ctrl_enter_opens_a_new_tab(qtbot) -> None:
    panel = RelatedPanel()
    qtbot.addWidget(panel)
    panel.show_related("a.txt", [RelatedArticle("b.txt", "Bee", "Herald", "2024-01-02", 3, 3, 4, 25.0, 80.0)])
    panel.show()
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    compared: list[tuple[str, str]] = []
    tabbed: list[tuple[str, str]] = []
    panel.compareRequested.connect(lambda a, b: compared.append((a, b)))
    panel.newTabRequested.connect(lambda a, b: tabbed.append((a, b)))
    qtbot.keyClick(panel.view, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert (compared, tabbed) == ([], [("a.txt", "b.txt")])
    # A stale Ctrl in the application's modifier state does not turn a plain Enter into a new tab.
    qtbot.keyClick(panel.view, Qt.Key.Key_Return)
    assert (compared, tabbed) == ([("a.txt", "b.txt")], [("a.txt", "b.txt")])


def test_change_label_updates_its_own_row_under_version_headings(qtbot) -> None:
    from app.ui.relatedpanel import ChangeRole

    model = RelatedModel()
    rows = [RelatedArticle(f"{c}.txt", c, "Herald", "", 3, 3, 3, 50.0, 50.0) for c in "bcd"]
    model.set_related(rows, [["a.txt", "b.txt"], ["c.txt", "d.txt"]], "a.txt")
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles=(): changed.append(top.row()))
    model.set_label("d.txt", "minor edit")
    model.set_label("gone.txt", "never listed")
    row = next(n for n in range(model.rowCount()) if model.index(n).data(IdRole) == "d.txt")
    assert changed == [row] and model.is_heading(row - 2)
    assert model.index(row).data(ChangeRole) == "minor edit"


class _Corpus:
    """What the labeller reads of a corpus: user data and articles (here just their ids)."""

    class userdata:
        @staticmethod
        def refresh() -> None:
            return None

    @staticmethod
    def resolve(ref: str) -> str:
        return ref


def _labelled_story(qtbot, monkeypatch, n: int = 200):
    """A Related list of ``n`` copies (under version headings) with a labeller whose aligner counts its pairs."""
    from types import SimpleNamespace

    from PySide6.QtWidgets import QMainWindow

    from app.ui import deltapanel
    from app.ui.workers import WorkerPool

    aligned: list[str] = []
    monkeypatch.setattr(deltapanel, "align_with_links", lambda _c, _l, right, **_k: aligned.append(right) or right)
    monkeypatch.setattr(deltapanel, "pair_change",
                        lambda right: SimpleNamespace(label=f"edited {right}", retained=90.0, added=5.0))
    host = QMainWindow()
    qtbot.addWidget(host)
    host.corpus = lambda: _Corpus()  # type: ignore[attr-defined]
    panel = RelatedPanel(host)
    host.setCentralWidget(panel)
    host.resize(320, 420)
    host.show()
    qtbot.waitExposed(host)
    labeller = deltapanel.RelatedLabeller(host, panel, WorkerPool(1, host), lambda: None)  # type: ignore[arg-type]
    rows = [RelatedArticle(f"c{k:03}.txt", f"Copy {k}", "Herald", "", 3, 3, 3, 50.0, 50.0) for k in range(n)]
    versions = [["a.txt", *(r.id for r in rows[: n // 2])], [r.id for r in rows[n // 2:]]]
    panel.show_related("a.txt", rows, versions)
    return panel, labeller, aligned


def _settle(qtbot, labeller) -> None:
    qtbot.waitUntil(lambda: not labeller.busy(), timeout=10000)
    qtbot.wait(120)  # past the panel's settling timer: nothing more is asked
    qtbot.waitUntil(lambda: not labeller.busy(), timeout=10000)


def test_only_the_rows_in_view_get_change_labels_and_a_scrolled_to_row_gets_its_own(qtbot, monkeypatch) -> None:
    panel, labeller, aligned = _labelled_story(qtbot, monkeypatch)
    model = panel.model
    in_view = panel.ids_in_view(margin=0)
    assert in_view and in_view[0] == "c000.txt" and len(in_view) < 12  # under the heading, a screenful
    qtbot.waitUntil(lambda: all(model.label(i) for i in in_view), timeout=10000)
    _settle(qtbot, labeller)
    assert model.label("c000.txt") == "edited c000.txt · 90 % retained · 5 % new"
    assert set(aligned) == set(panel.ids_in_view()) and len(aligned) == len(set(aligned)) < 20
    assert not model.label("c199.txt") and not model.label("c100.txt")

    panel.view.scrollToBottom()
    qtbot.waitUntil(lambda: bool(model.label("c199.txt")), timeout=10000)
    _settle(qtbot, labeller)
    assert "c199.txt" in panel.ids_in_view(margin=0) and not model.label("c050.txt")
    assert len(aligned) == len(set(aligned)) < 40  # the rows seen before are not aligned again


def test_a_new_labelling_relabels_the_rows_in_view_only(qtbot, monkeypatch) -> None:
    """Links or marks changed: the visible labels are redone, the rest wait to be seen."""
    panel, labeller, aligned = _labelled_story(qtbot, monkeypatch)
    _settle(qtbot, labeller)
    first = list(aligned)
    labeller.start()
    _settle(qtbot, labeller)
    assert sorted(aligned[len(first):]) == sorted(first)


def test_rows_in_view_of_a_hidden_list_are_none(qtbot) -> None:
    panel = RelatedPanel()
    qtbot.addWidget(panel)
    panel.show_related("a.txt", [RelatedArticle("b.txt", "Bee", "Herald", "", 3, 3, 4, 25.0, 80.0)])
    assert panel.ids_in_view() == []
    with qtbot.waitSignal(panel.rowsInViewChanged, timeout=2000):
        panel.show()
    assert panel.ids_in_view() == ["b.txt"]


def test_the_same_list_again_keeps_its_labels_and_a_new_map_drops_them(qtbot) -> None:
    panel = RelatedPanel()
    qtbot.addWidget(panel)
    rows = [RelatedArticle(f"{c}.txt", c, "Herald", "", 3, 3, 3, 50.0, 50.0) for c in "bcd"]
    panel.show_related("a.txt", rows)
    panel.model.set_labels({"b.txt": "trimmed", "c.txt": "edited"})
    with qtbot.assertNotEmitted(panel.model.modelReset):
        panel.show_related("a.txt", list(rows))  # the window following the same left article
    assert panel.model.label("b.txt") == "trimmed"
    panel.show_related("a.txt", list(rows), fresh=True)
    assert panel.model.label("b.txt") == ""


def test_a_long_story_summary_never_widens_the_dock(qtbot) -> None:
    """A wider dock would shrink the comparison beside it, which wraps all its text again."""
    panel = RelatedPanel()
    qtbot.addWidget(panel)
    panel.show()
    narrow = panel.minimumSizeHint().width()
    rows = [RelatedArticle(f"c{k}.txt", f"Copy {k}", "Herald", "", 3, 3, 3, 50.0, 50.0) for k in range(3000)]
    versions = [["a.txt"], *([r.id] for r in rows)]
    panel.show_related("a.txt", rows, versions)
    assert panel.summary.text() == "This story: 3,001 copies, 3,001 versions"
    assert panel.minimumSizeHint().width() <= max(narrow, 150)
