"""The window under hostile input: absurd session values, damaged sessions, links out of the corpus
and file names that are not UTF-8. No traceback, a message instead, and nothing lost."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QCoreApplication, QSettings

from app.core.sessions.autosave import LAST_SESSION
from app.ui.mainwindow import MainWindow

NON_UTF8 = sys.platform.startswith("linux")
# Every shown window under QT_QPA_PLATFORM=offscreen says this; it is not about the code tested.
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp) -> Iterator[None]:
    data = tmp_path / "parallax-data"
    data.mkdir()
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(data))
    QCoreApplication.setOrganizationName("ParallaxTests")
    QCoreApplication.setApplicationName("parallax-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    yield
    QSettings().clear()


@pytest.fixture
def informed() -> list[str]:
    return []


@pytest.fixture
def window(qtbot, monkeypatch: pytest.MonkeyPatch, informed: list[str]) -> Iterator[MainWindow]:
    win = MainWindow(restore=False)
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    qtbot.waitExposed(win)
    monkeypatch.setattr(win.sessions, "_inform", lambda title, lines: informed.extend(lines))
    yield win
    win.shutdown()


def _open(qtbot, win: MainWindow, folder: Path) -> None:
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(folder)


def _session_file(path: Path, corpus: Path, **tab: object) -> Path:
    base = {"title": "hostile", "left": {"id": "001_65ba17bf70f94427.txt", "hash": ""},
            "right": {"id": "004_a59c947b104b591b.txt", "hash": ""}, "notes": []}
    base.update(tab)
    path.write_text(json.dumps({"format": "parallax-session", "format_version": 1, "corpus": str(corpus),
                                "tabs": [base]}), "utf-8")
    return path


def test_huge_scroll_value_opens_clamped(qtbot, window: MainWindow, seeds_copy: Path, tmp_path: Path) -> None:
    path = _session_file(tmp_path / "scroll.parallax", seeds_copy, scroll=10**4000, current_row=10**30)
    _open(qtbot, window, seeds_copy)
    assert window.sessions.open_session(path)
    qtbot.waitUntil(lambda: window.compare_view.alignment() is not None, timeout=20000)
    qtbot.waitUntil(lambda: window.tabs.current_entry().pending is None, timeout=20000)
    bar = window.compare_view.right_pane.verticalScrollBar()
    assert 0 <= window.compare_view.scroll_value() <= bar.maximum()


@pytest.mark.parametrize("content", ['{"format_version": 1, "tabs": ' + "[" * 100_000 + "]" * 100_000 + "}",
                                     '{"format_version": 1, "corpus": "/x", "tabs": [{"scroll": '
                                     + "9" * 5000 + "}]}"])
def test_damaged_session_is_reported_in_one_line(qtbot, window: MainWindow, tmp_path: Path,
                                                 informed: list[str], content: str) -> None:
    path = tmp_path / "damaged.parallax"
    path.write_text(content, "utf-8")
    assert not window.sessions.open_session(path)
    assert informed and "damaged.parallax is damaged:" in informed[0] and "\n" not in informed[0]
    assert "damaged.parallax is damaged:" in window.statusBar().currentMessage()
    assert path.read_text("utf-8") == content


def test_damaged_last_session_is_kept_aside_not_overwritten(qtbot, window: MainWindow,
                                                            seeds_copy: Path) -> None:
    last = window.sessions.autosaver.directory / LAST_SESSION
    last.parent.mkdir(parents=True, exist_ok=True)
    damaged = '{"format_version": 1, "corpus": "/x", "tabs": [{"scroll": ' + "9" * 5000 + "}]}"
    last.write_text(damaged, "utf-8")
    assert not window.sessions.startup()
    kept = [p for p in last.parent.iterdir() if p.name != LAST_SESSION and p.suffix == ".parallax"]
    assert len(kept) == 1 and kept[0].read_text("utf-8") == damaged
    assert "is damaged" in window.statusBar().currentMessage()
    window.sessions.shutdown()  # the clean exit writes a new last.parallax, the damaged one stays
    assert kept[0].read_text("utf-8") == damaged


def test_session_outside_the_corpus_is_not_opened(qtbot, window: MainWindow, seeds_copy: Path,
                                                  tmp_path: Path, informed: list[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET HEADLINE\n\nA secret paragraph that must never be shown.\n", "utf-8")
    path = _session_file(tmp_path / "evil.parallax", seeds_copy, right={"id": "../secret.txt", "hash": ""})
    _open(qtbot, window, seeds_copy)
    assert window.sessions.open_session(path)
    assert any("session refers to an article outside its corpus" in m for m in informed)
    qtbot.wait(200)
    for entry in window.tabs.entries():
        al = entry.view.alignment() if entry.view is not None else None
        assert al is None or "SECRET" not in (al.left.title + al.right.title)


def test_follow_links_outside_is_a_checkable_per_corpus_option(qtbot, window: MainWindow,
                                                               seeds_copy: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.txt").write_text("Outside headline\n\nAn article kept outside the corpus folder.\n",
                                          "utf-8")
    (seeds_copy / "linked.txt").symlink_to(tmp_path / "outside.txt")
    _open(qtbot, window, seeds_copy)
    ids = window.panel.article_model._ids
    assert "linked.txt" not in ids
    assert "link points outside the corpus" in window.statusBar().currentMessage()
    action = window.follow_links_action
    assert action.isCheckable() and not action.isChecked()
    with qtbot.waitSignal(window.indexFinished, timeout=30000):
        action.trigger()
    qtbot.waitUntil(lambda: "linked.txt" in window.panel.article_model._ids, timeout=10000)
    # Remembered for this corpus only.
    _open(qtbot, window, _other_corpus(tmp_path))
    assert not window.follow_links_action.isChecked()
    _open(qtbot, window, seeds_copy)
    assert window.follow_links_action.isChecked()


def _other_corpus(tmp_path: Path) -> Path:
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text("Another headline\n\nAnother corpus holds one small article here.\n", "utf-8")
    return other


@pytest.mark.skipif(not NON_UTF8, reason="file names that are not UTF-8 need a bytes file system")
def test_non_utf8_name_is_listed_escaped_and_opens(qtbot, window: MainWindow, seeds_copy: Path) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    (seeds_copy / name).write_text("The headline of the cafe article\n\nA body paragraph about a cafe on the "
                                   "corner, long enough to count as the body of this article.\n", "utf-8")
    _open(qtbot, window, seeds_copy)
    model = window.panel.article_model
    assert "caf\\xe9.txt" in model._ids
    row = model._ids.index("caf\\xe9.txt")
    shown = [str(model.data(model.index(row, c))) for c in range(model.columnCount())]
    tip = str(model.data(model.index(row, 0), 3))  # ToolTipRole
    assert "cafe" in shown[0] and "caf\\xe9.txt" in tip
    with qtbot.waitSignal(window.comparisonReady, timeout=20000):
        window.compare("caf\\xe9.txt", "001")
    assert window.compare_view.alignment().left.id == "caf\\xe9.txt"


def test_an_uncaught_error_becomes_one_line_not_a_traceback(qtbot, window: MainWindow,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from app.core.storage.paths import data_dir
    from app.ui.app import report_internal_error

    try:
        raise OverflowError("int too big to convert\nsecond line")
    except OverflowError as exc:
        report_internal_error(type(exc), exc, exc.__traceback__)
    message = window.statusBar().currentMessage()
    assert message.startswith("Internal error (OverflowError: int too big to convert); details in")
    assert "Traceback" not in capsys.readouterr().err
    assert "Traceback" in (data_dir() / "crash.log").read_text("utf-8")


def test_a_session_of_a_corpus_that_follows_links_reopens_them(qtbot, window: MainWindow,
                                                               seeds_copy: Path, tmp_path: Path,
                                                               informed: list[str]) -> None:
    from app.ui import settings

    (tmp_path / "outside.txt").write_text("Outside headline of the linked article\n\nAn article kept outside "
                                          "the corpus folder and linked into it, with a long enough body.\n",
                                          "utf-8")
    (seeds_copy / "linked.txt").symlink_to(tmp_path / "outside.txt")
    settings.set_follow_links_outside(seeds_copy, True)
    path = _session_file(tmp_path / "followed.parallax", seeds_copy, right={"id": "linked.txt", "hash": ""})
    _open(qtbot, window, seeds_copy)
    assert window.sessions.open_session(path)
    assert not any("outside its corpus" in m for m in informed)
    qtbot.waitUntil(lambda: window.compare_view.alignment() is not None
                    and window.compare_view.alignment().right.id == "linked.txt", timeout=20000)
