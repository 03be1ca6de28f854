"""The window holds one Corpus per open folder, made on the index-writer thread and shared.

A comparison asked for while the folder is still opening waits for that Corpus instead of
making one of its own; with no folder open, files resolve in one Corpus made once.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.core.workspace import corpus as corpus_module
from app.ui.mainwindow import MainWindow

LEFT = "Harbour report\n\nThe harbour opened a new quay on Monday.\n\nShips queued along the river for hours.\n"
RIGHT = "Harbour report\n\nThe harbour opened a new quay on Monday.\n\nShips waited along the river all day.\n"


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str]]:
    """Every Corpus made from now on: its folder and the thread it was made on."""
    made: list[tuple[Path, str]] = []
    init = corpus_module.Corpus.__init__

    def counting(self, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)
        made.append((self.root, threading.current_thread().name))

    monkeypatch.setattr(corpus_module.Corpus, "__init__", counting)
    return made


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "left.txt").write_text(LEFT, "utf-8")
    (folder / "right.txt").write_text(RIGHT, "utf-8")
    return folder


@pytest.fixture
def window(qtbot) -> MainWindow:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    yield win
    win.shutdown()


def test_a_comparison_asked_for_while_the_folder_opens_uses_the_folders_one_corpus(
        qtbot, window: MainWindow, folder: Path, made: list) -> None:
    assert window.open_corpus(folder)
    assert window.corpus() is None  # made on the index-writer thread, not yet
    with qtbot.waitSignal(window.comparisonReady, timeout=20000) as shown:
        window.compare("left.txt", "right.txt")
    assert (shown.args[0].left.id, shown.args[0].right.id) == ("left.txt", "right.txt")
    qtbot.waitUntil(lambda: window.panel.corpus() is not None and not window.is_indexing(), timeout=30000)
    corpus = window.corpus()
    assert made == [(folder.resolve(), made[0][1])] and made[0][1] != threading.main_thread().name
    # The one Corpus: the article list, searches and the reuse docks read it too.
    assert window.panel.corpus() is corpus and window.reuse_docks._corpus() is corpus
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.compare("right.txt", "left.txt")
    assert len(made) == 1


def test_files_compared_with_no_folder_open_resolve_in_one_corpus(
        qtbot, window: MainWindow, folder: Path, made: list) -> None:
    left, right = str(folder / "left.txt"), str(folder / "right.txt")
    for pair in ((left, right), (right, left)):
        with qtbot.waitSignal(window.comparisonReady, timeout=20000) as shown:
            window.compare(*pair)
        assert shown.args[0].left.path == pair[0]
    assert len(made) == 1 and made[0][1] != threading.main_thread().name
    assert window.corpus() is None  # no folder is open: marks and links have nowhere to go


def test_a_corpus_that_cannot_be_made_fails_the_waiting_comparison_with_a_message(
        qtbot, window: MainWindow, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(corpus_module.Corpus, "__init__", refuse)
    window.open_corpus(folder)
    with qtbot.waitSignal(window.comparisonFailed, timeout=20000) as failed:
        window.compare("left.txt", "right.txt")
    assert "Permission denied" in failed.args[0] and "Traceback" not in failed.args[0]
