"""Fixtures for UI tests: settings and data folders isolated per test, an indexed seed corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

from app.core.storage.paths import default_corpus
from app.core.workspace.corpus import Corpus
from app.ui.compareview import CompareView
from app.ui.corpuspanel import CorpusPanel
from app.ui.mainwindow import MainWindow
from tests.fixtures.syndication import Syndication, build_corpus

SEEDS = default_corpus()


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> Iterator[Path]:
    """Keep QSettings and the data folder (indexes, logs) inside the test's tmp dir."""
    data = tmp_path / "parallax-data"
    data.mkdir()
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(data))
    QCoreApplication.setOrganizationName("ParallaxTests")
    QCoreApplication.setApplicationName("parallax-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield data
    QSettings().clear()


class DialogOpened(AssertionError):
    """A test reached a modal dialog that nobody will answer."""


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail at once instead of hanging when code under test opens a modal dialog.

    Tests answer dialogs by patching the window's small asking methods; reaching Qt's own
    blocking calls means a question slipped through.
    """

    def refuse(*args: object, **kwargs: object) -> None:
        raise DialogOpened("a modal dialog was opened during a test")

    for cls, names in (
        (QMessageBox, ("exec", "question", "warning", "information", "critical", "about")),
        (QFileDialog, ("exec", "getOpenFileName", "getOpenFileNames", "getSaveFileName",
                       "getExistingDirectory")),
        (QInputDialog, ("exec", "getText", "getMultiLineText", "getItem", "getInt")),
        (QDialog, ("exec",)),
    ):
        for name in names:
            monkeypatch.setattr(cls, name, refuse)


@pytest.fixture
def seeds_corpus() -> Corpus:
    """The seed corpus, indexed into the test's data folder."""
    corpus = Corpus(SEEDS)
    corpus.update_index()
    return corpus


def make_corpus(folder: Path, count: int) -> Path:
    """Write ``count`` small distinct articles into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"a{n:04d}.txt").write_text(
            f"Article number {n}\n\nThis paragraph talks about topic{n % 17} and river{n}.\n\n"
            f"A second paragraph mentions harbour{n % 5} and a closing remark {n}.\n",
            encoding="utf-8",
        )
    return folder


@pytest.fixture
def generated_corpus(tmp_path: Path) -> Path:
    """A folder of 300 small articles: enough for several progress reports during indexing."""
    return make_corpus(tmp_path / "corpus", 300)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Ignore the offscreen platform's notice that it cannot resize native windows.

    Every shown top-level window triggers it under ``QT_QPA_PLATFORM=offscreen``; it says
    nothing about the code under test, while every other warning still fails the test.
    """
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.qt_log_ignore("does not support propagateSizeHints"))


def shown_window(qtbot, root: Path, *, size: tuple[int, int] = (1300, 800), wait: str = "mapReady") -> MainWindow:
    """A window shown at ``size`` with ``root`` opened, once its reuse docks said ``wait``."""
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(getattr(win.reuse_docks, wait), timeout=60000):
        win.open_corpus(root)
    return win


@pytest.fixture
def syndication(tmp_path: Path) -> Syndication:
    """A small syndicated corpus: 14 outlets, one story carried 12 times and one 3 times."""
    return build_corpus(tmp_path / "corpus", outlets=14, fanouts=(12, 3), own=1)


@pytest.fixture
def syndication_window(qtbot, syndication: Syndication) -> Iterator[MainWindow]:
    """The window on :func:`syndication`, its reuse map built."""
    win = shown_window(qtbot, syndication.root)
    yield win
    win.shutdown()


@pytest.fixture
def panel(qtbot, seeds_corpus: Corpus) -> CorpusPanel:
    """A corpus panel shown at 420x800 over the seeds (test files may define their own)."""
    widget = CorpusPanel()
    qtbot.addWidget(widget)
    widget.resize(420, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_articles(seeds_corpus.listing())
    widget.set_corpus(seeds_corpus)
    return widget


def story_pair_paragraph(qtbot, window: MainWindow, syndication: Syndication) -> tuple[str, int]:
    """Compare the biggest story's first two copies; its origin and a long body paragraph's index."""
    story = max(syndication.stories, key=lambda s: len(s.copies))
    origin, other = story.copies[0], story.copies[1]
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.compare(origin, other)
    article = window.compare_view.left_pane.article()
    assert article is not None
    return origin, next(p.index for p in article.paragraphs if p.is_body and len(p.text.split()) > 25)


@pytest.fixture
def view(qtbot) -> CompareView:
    """An empty comparison view shown at 1100x700."""
    widget = CompareView()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget

