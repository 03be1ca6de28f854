"""The main window: comparing from the lists, errors as messages, indexing, saved geometry, CLI."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QApplication

from app.core.reading.model import Alignment
from app.core.reuse.reusemap import shared_figure
from app.ui import settings
from app.ui.mainwindow import MainWindow
from tests.ui.conftest import SEEDS

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(SEEDS)
    yield win
    win.shutdown()


def _prefix(aid: str) -> str:
    return Path(aid).name[:3]


def test_opens_the_corpus_and_reports_it(window: MainWindow) -> None:
    assert window.panel.article_model.rowCount() == 5
    assert window.corpus_label.text() == "seeds · 5 articles"
    assert window.index_label.text() == "Index up to date"
    assert not window.progress.isVisible() and not window.cancel_button.isVisible()
    assert settings.last_corpus() == SEEDS.resolve()


def test_taiwan_then_select_001_and_004_and_enter_compares(qtbot, window: MainWindow) -> None:
    panel = window.panel
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert panel.search_edit.hasFocus()
    with qtbot.waitSignal(panel.searchFinished, timeout=10000):
        qtbot.keyClicks(panel.search_edit, "Taiwan")
    ids = {_prefix(i): i for i in panel.result_model.ids()}
    assert sorted(ids) == ["001", "002", "004"]
    assert panel.select_ids([ids["001"], ids["004"]]) == 2
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    alignment = blocker.args[0]
    assert isinstance(alignment, Alignment)
    assert (_prefix(alignment.left.id), _prefix(alignment.right.id)) == ("001", "004")
    assert window.compare_view.alignment() is alignment
    # The status bar shows the one shared figure (issue 14 §6): body paragraphs, the title not counted.
    assert window.summary_label.text() == shared_figure(alignment, window.reuse_docks.reuse_map()).describe()
    assert "shared paragraphs" in window.summary_label.text()
    assert "Putin in China" in window.windowTitle()


def test_malformed_query_shows_a_message_not_a_dialog(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.panel.searchFailed, timeout=10000):
        qtbot.keyClicks(window.panel.search_edit, "china AND (russia")
    assert window.panel.message.isVisible()
    assert "parenthes" in window.panel.message.text()
    assert QApplication.activeModalWidget() is None


def test_swap_sides_and_best_match(qtbot, window: MainWindow) -> None:
    with qtbot.waitSignal(window.comparisonReady, timeout=10000):
        window.open_article("001", "left")
    assert "Open a second article" in window.summary_label.text()
    with qtbot.waitSignal(window.comparisonReady, timeout=20000) as blocker:
        window.best_match_action.trigger()
    al = blocker.args[0]
    assert (_prefix(al.left.id), _prefix(al.right.id)) == ("001", "004")
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        window.swap_action.trigger()
    al = blocker.args[0]
    assert (_prefix(al.left.id), _prefix(al.right.id)) == ("004", "001")


def test_dropped_files_compare_even_outside_the_corpus(qtbot, window: MainWindow, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("A Headline\n\n" + (SEEDS / window.corpus().ids()[1]).read_text("utf-8"), "utf-8")
    with qtbot.waitSignal(window.comparisonReady, timeout=10000) as blocker:
        window.compare_view.dropRequested.emit("left", [str(outside), window.corpus().ids()[1]])
    al = blocker.args[0]
    assert Path(al.left.path) == outside
    assert al.summary().shared_rows > 0


def test_unreadable_drop_is_a_status_message(qtbot, window: MainWindow, tmp_path: Path) -> None:
    binary = tmp_path / "picture.txt"
    binary.write_bytes(b"\x00\x01\x02PNG\x00" * 200)
    with qtbot.waitSignal(window.comparisonFailed, timeout=10000) as blocker:
        window.compare_view.dropRequested.emit("right", [str(binary)])
    assert blocker.args[0]
    assert window.statusBar().currentMessage().startswith("Could not open the article:")


def test_missing_corpus_folder_is_a_status_message(window: MainWindow, tmp_path: Path) -> None:
    assert not window.open_corpus(tmp_path / "gone")
    assert "Corpus folder not found" in window.statusBar().currentMessage()
    assert window.corpus().root == SEEDS.resolve()


def test_opening_runs_no_full_collection_until_the_scan_is_planned(
        qtbot, window: MainWindow, generated_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from app.core.engine.index import CorpusIndex
    from app.core.workspace.corpus import Corpus

    seen: dict[str, list[bool]] = {"listing": [], "scan": [], "plan": [], "index": [], "map": []}

    def spy(cls: type, name: str, key: str) -> None:
        real = getattr(cls, name)

        def wrapped(*args, **kwargs):
            seen[key].append(gc.isenabled())
            return real(*args, **kwargs)

        monkeypatch.setattr(cls, name, wrapped)

    spy(Corpus, "listing", "listing")
    spy(CorpusIndex, "scan", "scan")
    spy(CorpusIndex, "_plan", "plan")
    spy(CorpusIndex, "_index_here", "index")
    spy(Corpus, "reuse_map", "map")
    with qtbot.waitSignal(window.indexFinished, timeout=60000):
        window.open_corpus(generated_corpus)  # 300 new articles: listed, scanned, indexed, listed again
    # (the reuse map scans the folder again later, on its own job)
    assert seen["listing"] == [False, False] and seen["scan"][:1] == [False] and seen["plan"] == [False, False]
    # indexing collects from its first step on, 25 articles in (frozen a step at a time)
    assert len(seen["index"]) == 300 and all(seen["index"][25:])
    assert window.panel.article_model.rowCount() == 300
    # the reuse map loads and clusters without full collections too, and turns them back on
    qtbot.waitUntil(lambda: bool(seen["map"]) and not window.reuse_docks.busy(), timeout=60000)
    assert seen["map"] and not any(seen["map"]) and gc.isenabled()


def test_searching_while_indexing_and_cancel(qtbot, window: MainWindow, generated_corpus: Path) -> None:
    with qtbot.waitSignal(window.corpusLoaded, timeout=10000):
        window.open_corpus(generated_corpus)
    assert window.is_indexing()
    assert window.progress.isVisible() and window.cancel_button.isVisible()
    with qtbot.waitSignal(window.indexFinished, timeout=60000) as blocker:
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].cancelled or len(blocker.args[0].added) == 300
    assert not window.cancel_button.isVisible()
    with qtbot.waitSignal(window.indexFinished, timeout=60000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.panel.article_model.rowCount() == 300
    with qtbot.waitSignal(window.panel.searchFinished, timeout=10000) as blocker:
        qtbot.keyClicks(window.panel.search_edit, "river7")
    assert [_prefix(h.id) for h in blocker.args[0].hits] == ["a00"]


def test_geometry_splitters_and_corpus_are_restored(qtbot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    # Within the offscreen platform's 800×800 screen, which a restored window is kept on.
    first.resize(760, 700)
    first.move(QPoint(20, 30))
    first.splitter.setSizes([300, 460])
    first.panel.splitter.setSizes([200, 500])
    with qtbot.waitSignal(first.indexFinished, timeout=30000):
        first.open_corpus(SEEDS)
    saved = (first.size(), first.splitter.sizes(), first.panel.splitter.sizes())
    first.close()

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert second.size() == saved[0] == QSize(760, 700)
    assert second.pos() == QPoint(20, 30)
    assert second.splitter.sizes() == saved[1]
    assert second.panel.splitter.sizes() == saved[2]
    assert settings.last_corpus() == SEEDS.resolve()
    assert settings.recent_corpora()[0] == str(SEEDS.resolve())
    second.close()


def test_keyboard_shortcuts(window: MainWindow) -> None:
    keys = {a.text().replace("&", ""): a.shortcut().toString() for a in window.actions()}
    assert keys["Open Corpus Folder…"] == "Ctrl+O"
    assert keys["Re-index"] == "F5"
    assert keys["Quit"] == "Ctrl+Q"
    assert keys["Find"] == "Ctrl+F"
    assert keys["Next Match"] == "Alt+Down"
    assert keys["Previous Match"] == "Alt+Up"
    for action in window.toolbar.actions():
        if not action.isSeparator():
            assert action.toolTip()


def test_gui_command_writes_a_screenshot(qtbot, tmp_path: Path) -> None:
    from app.cli import gui

    target = tmp_path / "shot.png"
    args = argparse.Namespace(corpus=str(SEEDS), index=None, compare=["001", "004"], search="Taiwan",
                              screenshot=str(target), timeout=60.0)
    assert gui.run(args) == 0
    assert target.stat().st_size > 10_000


def test_cli_does_not_load_qt_until_the_gui_runs() -> None:
    code = "import sys, app.cli as c; c.build_parser(); print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("stock", [False, True])
def test_stock_whoosh_mode_is_said_in_the_status_bar(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     stock: bool) -> None:
    from app.core.engine.release import STOCK_ENV

    if stock:
        monkeypatch.setenv(STOCK_ENV, "1")
    else:
        monkeypatch.delenv(STOCK_ENV, raising=False)
    win = MainWindow(index_dir=tmp_path / "ix")
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(SEEDS)
    assert win.engine_label.isVisible() is stock
    assert ("Whoosh's own index writer" in win.engine_label.toolTip()) is stock
    assert ("Whoosh's own index writer" in win.statusBar().currentMessage()) is stock
    win.shutdown()
