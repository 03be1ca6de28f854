"""Sessions from the window: save and reopen, autosave recovery, moved corpus, changed and bad files, export."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.core.sessions.autosave import LAST_SESSION, autosave_dir
from app.core.sessions.session import load_session
from app.core.storage.recent import recent_sessions
from app.ui.mainwindow import MainWindow
from app.ui.reportcontroller import HTML_FILTER, PDF_FILTER

WindowFactory = Callable[[], MainWindow]


@pytest.fixture
def informed() -> list[str]:
    """Every message the windows would show in a dialog."""
    return []


@pytest.fixture
def make_window(qtbot, monkeypatch: pytest.MonkeyPatch, informed: list[str]) -> Iterator[WindowFactory]:
    made: list[MainWindow] = []

    def make() -> MainWindow:
        win = MainWindow(restore=False)
        qtbot.addWidget(win)
        win.resize(1200, 760)
        win.show()
        qtbot.waitExposed(win)
        monkeypatch.setattr(win.sessions, "_inform", lambda title, lines: informed.extend(lines))
        monkeypatch.setattr(win.reports, "_inform", lambda title, lines: informed.extend(lines))
        for prompt in ("_ask_restore", "_ask_save_changes", "_ask_corpus_folder", "_ask_open_path",
                       "_ask_save_path"):
            monkeypatch.setattr(win.sessions, prompt, lambda *_a, p=prompt: pytest.fail(f"unexpected {p}"))
        for prompt in ("_ask_export_path", "_ask_overwrite"):
            monkeypatch.setattr(win.reports, prompt, lambda *_a, p=prompt: pytest.fail(f"unexpected {p}"))
        made.append(win)
        return win

    yield make
    for win in made:
        win.shutdown()


def _open_corpus(qtbot, win: MainWindow, folder: Path) -> None:
    with qtbot.waitSignal(win.indexFinished, timeout=30000):
        win.open_corpus(folder)


def _compare(qtbot, win: MainWindow, left: str, right: str, *, new_tab: bool = False) -> None:
    if new_tab:
        win.tabs.new_tab(query="")
    win.compare(left, right)
    # comparisonReady also fires when another tab is re-aligned (after boilerplate is learned,
    # say): wait for this tab's own alignment.
    qtbot.waitUntil(lambda: _shows(win, left, right), timeout=20000)


def _shows(win: MainWindow, left: str, right: str) -> bool:
    al = win.compare_view.alignment()
    return al is not None and al.left.id.startswith(left) and al.right.id.startswith(right)


def _wait_settled(qtbot, win: MainWindow) -> None:
    qtbot.waitUntil(lambda: all(e.view.alignment() is not None for e in win.tabs.entries()), timeout=20000)
    qtbot.waitUntil(lambda: not win.is_indexing(), timeout=30000)


def _matches(win: MainWindow) -> list[int]:
    return [n for n, r in enumerate(win.compare_view.alignment().rows) if r.is_match]


def _build_session(qtbot, win: MainWindow, corpus: Path) -> None:
    """Three tabs with notes, a comparison note, a query, hidden boilerplate and a current row."""
    _open_corpus(qtbot, win, corpus)
    _compare(qtbot, win, "001", "004")
    rows = _matches(win)
    win.notes_panel.set_note(rows[0], "Opening paragraph copied verbatim")
    win.notes_panel.set_note(rows[-1], "Closing quote\ntrimmed")
    win.notes_panel.comparison_note.setPlainText("Same interview, two outlets.")
    win.compare_view.set_current_row(rows[2])
    win.tabs.set_query("Taiwan")
    _compare(qtbot, win, "000", "002", new_tab=True)
    win.compare_view.set_hide_boilerplate(True)
    win.notes_panel.set_note(_matches(win)[0], "Shared chrome")
    _compare(qtbot, win, "001", "003", new_tab=True)
    win.tabs.setCurrentIndex(1)


def _save(win: MainWindow, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(win.sessions, "_ask_save_path", lambda: str(path))
    assert win.sessions.save()


def test_save_then_reopen_gives_the_same_session(qtbot, make_window: WindowFactory, seeds_copy: Path,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_window()
    _build_session(qtbot, first, seeds_copy)
    assert first.isWindowModified()
    _save(first, monkeypatch, tmp_path / "work")
    saved = tmp_path / "work.parallax"
    assert saved.is_file() and first.sessions.path == saved
    assert not first.isWindowModified()
    assert first.windowTitle().startswith("work.parallax[*]")
    assert recent_sessions()[0] == saved.resolve()
    first._fill_recent_sessions_menu()
    assert [a.text() for a in first.recent_sessions_menu.actions()] == [str(saved.resolve())]
    on_disk = load_session(saved).session
    assert on_disk == first.sessions.snapshot()
    assert len(on_disk.tabs) == 3 and on_disk.active_tab == 1

    second = make_window()
    assert second.sessions.open_session(saved)
    _wait_settled(qtbot, second)
    assert second.sessions.snapshot() == on_disk
    assert second.tabs.count() == 3 and second.tabs.currentIndex() == 1
    assert second.compare_view.hide_boilerplate()
    assert not second.isWindowModified()
    second.tabs.setCurrentIndex(0)
    view = second.compare_view
    rows = sorted(second.tabs.current_entry().note_rows()[0])
    assert second.notes_panel.rows_listed() == rows and len(rows) == 2
    assert view.left_pane.has_note(rows[0]) and view.overview._notes == set(rows)
    assert second.notes_panel.comparison_note.toPlainText() == "Same interview, two outlets."
    assert view.current_row() == on_disk.tabs[0].current_row
    assert view.left_pane._matcher is not None
    second.tabs.setCurrentIndex(1)
    assert second.sessions.snapshot() == on_disk


def test_editing_after_save_marks_modified_and_undo_clears_it(qtbot, make_window: WindowFactory,
                                                              tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    win = make_window()
    _build_session(qtbot, win, Path(__file__).resolve().parents[2] / "seeds")
    _save(win, monkeypatch, tmp_path / "w.parallax")
    assert "w.parallax" in win.windowTitle()
    win.tabs.setCurrentIndex(0)
    win.notes_panel.delete_note(_matches(win)[0])
    assert win.isWindowModified()
    win.notes_panel.undo_action.trigger()
    assert not win.isWindowModified()
    win.compare_view.set_current_row(1)  # reading is not editing
    assert not win.isWindowModified()


def _crash(win: MainWindow) -> Path:
    """Leave ``win``'s autosave behind as if another process had written it, then died."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    win.sessions.timer.stop()
    saver = win.sessions.autosaver
    # Windows of one test share a process (and maybe a second): name the run after the dead one.
    stem = f"run-{proc.pid}-20000101-000000"
    left = saver.path.rename(saver.directory / f"{stem}.parallax")
    saver.marker.unlink()
    (saver.directory / f"{stem}.json").write_text(json.dumps({"pid": proc.pid}), "utf-8")
    return left


def test_autosave_is_offered_after_a_crash(qtbot, make_window: WindowFactory, seeds_copy: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    crashed = make_window()
    _build_session(qtbot, crashed, seeds_copy)
    assert crashed.sessions.timer.isActive() and crashed.sessions.timer.interval() == 30_000
    assert not crashed.sessions.autosaver.path.exists()
    crashed.sessions.timer.timeout.emit()
    assert crashed.sessions.autosaver.path.is_file()
    crashed.notes_panel.comparison_note.setPlainText("Edited after the last autosave")
    assert crashed.sessions.autosave()
    assert crashed.sessions.autosaver.path.parent == autosave_dir()
    expected = crashed.sessions.snapshot()
    autosave = _crash(crashed)

    asked: list[Path] = []
    restored = make_window()
    monkeypatch.setattr(restored.sessions, "_ask_restore", lambda path: asked.append(path) or True)
    assert restored.sessions.startup()
    assert asked == [autosave]
    _wait_settled(qtbot, restored)
    assert restored.sessions.snapshot().tabs == expected.tabs
    assert restored.sessions.path is None and restored.isWindowModified()
    assert not autosave.exists()
    assert restored.sessions.autosaver.path.is_file()


def test_declining_the_restore_discards_the_autosave(qtbot, make_window: WindowFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    crashed = make_window()
    _compare(qtbot, crashed, "001", "004")
    assert crashed.sessions.autosave()
    autosave = _crash(crashed)
    other = make_window()
    monkeypatch.setattr(other.sessions, "_ask_restore", lambda path: False)
    assert not other.sessions.startup()
    assert not autosave.exists() and not autosave.with_suffix(".json").exists()
    assert other.tabs.count() == 1 and other.compare_view.alignment() is None


def test_restore_bar_offers_the_crashed_session_without_blocking(qtbot, make_window: WindowFactory,
                                                                 seeds_copy: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    crashed = make_window()
    _build_session(qtbot, crashed, seeds_copy)
    crashed.sessions.autosave()
    expected = crashed.sessions.snapshot()
    autosave = _crash(crashed)
    win = make_window()
    monkeypatch.delattr(win.sessions, "_ask_restore")  # the real offer: a bar, not a dialog
    assert not win.sessions.startup()
    bar = win.sessions.restore_bar
    assert bar is not None and bar.isVisible()
    assert "did not close normally" in bar.label.text()
    assert autosave.exists() and win.tabs.count() == 1
    bar.restore_action.trigger()
    assert win.sessions.restore_bar is None
    _wait_settled(qtbot, win)
    assert win.sessions.snapshot().tabs == expected.tabs
    assert not autosave.exists()


def test_clean_quit_reopens_the_last_session_without_asking(qtbot, make_window: WindowFactory,
                                                           seeds_copy: Path) -> None:
    first = make_window()
    _build_session(qtbot, first, seeds_copy)
    expected = first.sessions.snapshot()
    first.close()
    assert (autosave_dir() / LAST_SESSION).is_file()
    assert not list(autosave_dir().glob("run-*"))
    second = make_window()
    assert second.sessions.startup()
    _wait_settled(qtbot, second)
    assert second.sessions.snapshot().tabs == expected.tabs
    assert second.isWindowModified()  # never saved to a file


def test_moved_corpus_asks_for_the_new_folder(qtbot, make_window: WindowFactory, seeds_copy: Path,
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_window()
    _build_session(qtbot, first, seeds_copy)
    saved = tmp_path / "moved.parallax"
    _save(first, monkeypatch, saved)
    first.shutdown()
    moved = tmp_path / "new place"
    shutil.move(seeds_copy, moved)

    second = make_window()
    monkeypatch.setattr(second.sessions, "_ask_corpus_folder", lambda old: "")
    assert not second.sessions.open_session(saved)
    assert second.tabs.count() == 1 and second.corpus_root() is None
    asked: list[str] = []
    monkeypatch.setattr(second.sessions, "_ask_corpus_folder", lambda old: asked.append(old) or str(moved))
    assert second.sessions.open_session(saved)
    assert asked == [str(seeds_copy.resolve())]
    _wait_settled(qtbot, second)
    assert second.corpus_root() == moved.resolve()
    assert second.tabs.count() == 3
    snap = second.sessions.snapshot()
    assert snap.corpus == str(moved.resolve())
    assert [len(t.notes) for t in snap.tabs] == [2, 1, 0]
    assert second.isWindowModified()  # the new folder is not saved yet
    assert saved.read_bytes() == saved.read_bytes() and load_session(saved, check=False).session.corpus == str(
        seeds_copy.resolve())


def test_changed_and_missing_articles_open_the_rest_and_say_which(qtbot, make_window: WindowFactory,
                                                                  seeds_copy: Path, tmp_path: Path,
                                                                  informed: list[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    first = make_window()
    _build_session(qtbot, first, seeds_copy)
    saved = tmp_path / "s.parallax"
    _save(first, monkeypatch, saved)
    first.shutdown()
    changed = next(seeds_copy.glob("002_*"))
    changed.write_text(changed.read_text("utf-8") + "\n\nA paragraph added later.\n", "utf-8")
    next(seeds_copy.glob("003_*")).unlink()

    second = make_window()
    assert second.sessions.open_session(saved)
    _wait_settled(qtbot, second)
    assert second.tabs.count() == 2
    assert any("Tab 2" in m and "changed" in m for m in informed)
    assert any("Tab 3" in m and "gone" in m for m in informed)
    titles = [second.tabs.tabText(i) for i in range(2)]
    assert all("↔" in t for t in titles)
    assert [len(t.notes) for t in second.sessions.snapshot().tabs] == [2, 1]


@pytest.mark.parametrize(("content", "expected"), [
    (b"{ not json", "damaged"),
    (json.dumps({"format_version": 99, "tabs": []}).encode(), "newer Parallax"),
])
def test_bad_session_files_give_a_message_and_stay_untouched(qtbot, make_window: WindowFactory,
                                                            tmp_path: Path, informed: list[str],
                                                            content: bytes, expected: str) -> None:
    win = make_window()
    _compare(qtbot, win, "001", "004")
    bad = tmp_path / "bad.parallax"
    bad.write_bytes(content)
    assert not win.sessions.open_session(bad)
    assert bad.read_bytes() == content
    assert any(expected in m for m in informed)
    assert expected in win.statusBar().currentMessage()
    assert win.compare_view.alignment() is not None and win.tabs.count() == 1


def test_new_session_asks_before_dropping_changes(qtbot, make_window: WindowFactory,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    win = make_window()
    _compare(qtbot, win, "001", "004")
    monkeypatch.setattr(win.sessions, "_ask_save_changes", lambda: "cancel")
    assert not win.sessions.new_session()
    assert win.compare_view.alignment() is not None
    monkeypatch.setattr(win.sessions, "_ask_save_changes", lambda: "discard")
    assert win.sessions.new_session()
    assert win.tabs.count() == 1 and win.compare_view.alignment() is None
    assert not win.isWindowModified()


def test_export_report_html_and_pdf(qtbot, make_window: WindowFactory, seeds_copy: Path,
                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    win = make_window()
    _build_session(qtbot, win, seeds_copy)
    win.tabs.setCurrentIndex(0)
    monkeypatch.setattr(win.reports, "_ask_export_path", lambda caption, name: (str(tmp_path / "one"), HTML_FILTER))
    out = win.reports.export_report()
    assert out == tmp_path / "one.html"
    html = out.read_text("utf-8")
    assert "Opening paragraph copied verbatim" in html and "Same interview, two outlets." in html
    assert "data-row" in html

    monkeypatch.setattr(win.reports, "_ask_export_path", lambda caption, name: (str(tmp_path / "one"), PDF_FILTER))
    pdf = win.reports.export_report()
    assert pdf == tmp_path / "one.pdf" and pdf.read_bytes().startswith(b"%PDF")

    monkeypatch.setattr(win.reports, "_ask_export_path",
                        lambda caption, name: (str(tmp_path / "all.html"), PDF_FILTER))
    whole = win.reports.export_session_report()
    text = whole.read_text("utf-8")
    assert whole.suffix == ".html"
    assert text.count('<section class="comparison"') == 3
    assert "Shared chrome" in text and "Closing quote" in text


def test_gui_opens_a_session_file_given_as_corpus(qtbot, make_window: WindowFactory, seeds_copy: Path,
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from app.cli import gui

    first = make_window()
    _build_session(qtbot, first, seeds_copy)
    saved = tmp_path / "cli.parallax"
    _save(first, monkeypatch, saved)
    shot = tmp_path / "session.png"
    args = argparse.Namespace(corpus=str(saved), session=None, index=None, compare=None, search=None,
                              screenshot=str(shot), timeout=60.0)
    assert gui.run(args) == 0
    assert shot.stat().st_size > 10_000
    assert os.fspath(saved) in [os.fspath(p) for p in recent_sessions()]


def test_gui_command_takes_a_session_option(tmp_path: Path) -> None:
    from app.cli import UserError, build_parser, gui

    args = build_parser().parse_args(["gui", "--session", str(tmp_path / "gone.parallax")])
    assert args.session == str(tmp_path / "gone.parallax")
    with pytest.raises(UserError, match="session file not found"):
        gui.run(args)
