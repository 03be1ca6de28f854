"""Session files: round trip, atomic writes, moved corpus, changed/missing articles, bad files, autosave."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.cli import main
from app.core.align.paragraphs import align
from app.core.reading.model import Row, RowKind
from app.core.reading.reader import read_article
from app.core.sessions import session as session_mod
from app.core.sessions.autosave import SessionAutosaver
from app.core.sessions.session import (
    ArticleRef,
    Note,
    Session,
    SessionError,
    TabState,
    load_session,
    note_rows,
    save_session,
)
from app.core.storage.recent import (
    MAX_RECENT,
    add_recent_session,
    recent_sessions,
    remove_recent_session,
)
from app.core.workspace.corpus import Corpus

ROOT = Path(__file__).resolve().parents[2]


def _tab(corpus: Corpus, left: str, right: str, title: str) -> TabState:
    a = align(corpus.resolve(left), corpus.resolve(right))
    tab = TabState.for_alignment(a, corpus.root, title)
    tab.scroll, tab.current_row, tab.hide_boilerplate, tab.query = 120, 3, True, "Taiwan"
    matches = [r for r in a.rows if r.is_match]
    tab.set_note(matches[0], "First <note> & \"quotes\" — ünïcode")
    tab.set_note(matches[-1], "second\nline two")
    tab.comparison_note = "Same story, two sites."
    return tab


@pytest.fixture
def corpus(seeds_copy: Path) -> Corpus:
    return Corpus(seeds_copy)


@pytest.fixture
def session(corpus: Corpus, tmp_path: Path) -> Session:
    outside = tmp_path / "elsewhere" / "outside.txt"
    outside.parent.mkdir()
    outside.write_bytes((corpus.root / "004_a59c947b104b591b.txt").read_bytes())
    ext = read_article(outside, outside.parent)
    tabs = [_tab(corpus, "001", "004", "Mercouris twice"), _tab(corpus, "000", "002", "Shared chrome")]
    tabs.append(TabState(ArticleRef.from_article(corpus.resolve("001"), corpus.root),
                         ArticleRef.from_article(ext, corpus.root), title="outside"))
    return Session(str(corpus.root), tabs, active_tab=1, query="alliance")


def test_round_trip_equality(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "work.parallax"
    session.modified = True
    save_session(session, path)
    assert session.path == path and not session.modified
    data = json.loads(path.read_text("utf-8"))
    assert data["format_version"] == session_mod.FORMAT_VERSION
    assert data["tabs"][0]["left"]["hash"] == session.tabs[0].left.content_hash
    loaded = load_session(path)
    # The third tab's file lies outside the corpus: kept in the session, reported, never read.
    assert [(p.tab, p.side) for p in loaded.outside_articles] == [(2, "right")]
    assert loaded.messages() == [f"Tab 3: session refers to an article outside its corpus: "
                                 f"{tmp_path / 'elsewhere' / 'outside.txt'} (not read)."]
    assert loaded.session == session
    assert loaded.session.tabs[0].notes[0].text == "First <note> & \"quotes\" — ünïcode"
    assert loaded.session.tabs[0].scroll == 120 and loaded.session.tabs[0].hide_boilerplate
    assert loaded.session.tabs[2].right.path == str(tmp_path / "elsewhere" / "outside.txt")
    assert loaded.session.tabs[2].left.path is None


def test_article_ref_keeps_path_only_outside_corpus(corpus: Corpus, tmp_path: Path) -> None:
    inside = ArticleRef.from_article(corpus.resolve("003"), corpus.root)
    assert inside.path is None and inside.id.startswith("003_")
    (tmp_path / "x.txt").write_text("Title\n\nSome body text here.\n", "utf-8")
    outside = ArticleRef.from_article(read_article(tmp_path / "x.txt", tmp_path), corpus.root)
    assert outside.path == str((tmp_path / "x.txt").resolve())


def test_set_note_adds_edits_and_removes() -> None:
    tab = TabState(ArticleRef("a", ""), ArticleRef("b", ""))
    row = Row((2, 3), (5,), RowKind.CHANGED)
    note = tab.set_note(row, "one")
    assert note is not None and note.left == [2, 3] and note.right == [5] and not note.modified
    assert tab.set_note(row, "two") is note and note.text == "two" and note.modified
    assert tab.set_note(row, "  ") is None and tab.notes == []


def test_notes_follow_their_paragraphs_when_rows_move() -> None:
    exact, partial, lost = Note([4], [7], "exact"), Note([9, 10], [12], "split"), Note([30], [31], "gone")
    rows = [
        Row((0,), (), RowKind.LEFT_ONLY),
        Row((9,), (12,), RowKind.CHANGED),  # the 2:1 merge became 1:1 after re-alignment
        Row((10,), (), RowKind.LEFT_ONLY),
        Row((4,), (7,), RowKind.IDENTICAL),
    ]
    placed, orphans = note_rows([exact, partial, lost], rows)
    assert placed == {3: [exact], 1: [partial]}
    assert orphans == [lost]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_write_leaves_previous_file_intact(session: Session, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    path = tmp_path / "sessions" / "work.parallax"
    save_session(session, path)
    before = path.read_bytes()
    session.tabs[0].notes[0].edit("changed after the first save")
    session.modified = True

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError):
        save_session(session, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert load_session(path).session.tabs[0].notes[0].text.startswith("First <note>")
    assert session.modified  # the failed save did not claim success
    assert [p.name for p in path.parent.iterdir()] == ["work.parallax"]  # no temp file left


def test_moved_corpus_is_reported_then_repointed(session: Session, corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "work.parallax"
    save_session(session, path)
    moved = tmp_path / "moved-corpus"
    corpus.root.rename(moved)
    loaded = load_session(path)
    assert loaded.corpus_missing and not loaded.ok
    assert loaded.unavailable_tabs() == {0, 1, 2}
    assert str(corpus.root) in loaded.messages()[0] and "no longer exists" in loaded.messages()[0]
    fixed = loaded.repoint_corpus(moved)
    assert not fixed.changed_articles and not fixed.missing_articles and not fixed.corpus_missing
    assert fixed.session.corpus == str(moved.resolve()) and fixed.session.modified
    assert fixed.unavailable_tabs() == {2}  # the tab showing a file outside the corpus


def test_changed_article_is_reported_and_still_opens(session: Session, corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "work.parallax"
    save_session(session, path)
    seed = corpus.root / "002_eea9ff17f26105a2.txt"
    seed.write_bytes(seed.read_bytes().replace(b"the", b"THE", 3))
    loaded = load_session(path)
    assert [(p.tab, p.side, p.id) for p in loaded.changed_articles] == [(1, "right", "002_eea9ff17f26105a2.txt")]
    assert loaded.missing_articles == [] and not loaded.corpus_missing
    assert loaded.unavailable_tabs() == {2}  # the tab showing a file outside the corpus
    assert loaded.messages()[0] == (
        "Tab 2: the right article 002_eea9ff17f26105a2.txt changed since the session was saved."
    )


def test_missing_article_leaves_the_other_tabs(session: Session, corpus: Corpus, tmp_path: Path) -> None:
    path = tmp_path / "work.parallax"
    save_session(session, path)
    (corpus.root / "000_121b9dbdb0afe2a7.txt").unlink()
    (tmp_path / "elsewhere" / "outside.txt").unlink()
    loaded = load_session(path)
    assert {(p.tab, p.side) for p in loaded.missing_articles} == {(1, "left")}
    assert {(p.tab, p.side) for p in loaded.outside_articles} == {(2, "right")}
    assert loaded.unavailable_tabs() == {1, 2}
    assert any("000_121b9dbdb0afe2a7.txt is gone" in m for m in loaded.messages())


def _valid_bytes(session: Session, tmp_path: Path) -> bytes:
    path = tmp_path / "valid.parallax"
    save_session(session, path)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "damaged (invalid JSON at line 1"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[1, 2]", "no format_version"),
        (b'{"format_version": "1", "tabs": []}', "invalid format_version"),
        (b'{"format_version": 1, "corpus": "/x", "tabs": "nope"}', "session.tabs has the wrong type"),
        (b'{"format_version": 1, "corpus": "/x", "tabs": [{"left": {"id": 3}}]}', "tabs[0].left.id"),
        (b'{"format_version": 1, "corpus": "/x", "tabs": [], "format": "other-app"}', "format is 'other-app'"),
        ("truncated", "damaged (invalid JSON"),
    ],
)
def test_corrupt_file_gives_clear_message_and_is_untouched(session: Session, tmp_path: Path,
                                                            content: bytes | str, expected: str) -> None:
    if content == "truncated":
        valid = _valid_bytes(session, tmp_path)
        content = valid[: len(valid) // 2]
    folder = tmp_path / "sessions"
    folder.mkdir()
    path = folder / "broken.parallax"
    path.write_bytes(content)
    stat = path.stat()
    with pytest.raises(SessionError) as exc:
        load_session(path)
    message = str(exc.value)
    assert expected in message and "broken.parallax" in message and "\n" not in message
    assert path.read_bytes() == content and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert [p.name for p in folder.iterdir()] == ["broken.parallax"]


def test_future_version_is_refused_and_untouched(session: Session, tmp_path: Path) -> None:
    data = json.loads(_valid_bytes(session, tmp_path))
    data["format_version"] = session_mod.FORMAT_VERSION + 1
    data["new_feature"] = {"x": 1}
    path = tmp_path / "future.parallax"
    path.write_text(json.dumps(data), "utf-8")
    before = path.read_bytes()
    with pytest.raises(SessionError, match=r"saved by a newer Parallax \(session format 2; this version reads up to 1\)"):
        load_session(path)
    assert path.read_bytes() == before


def test_missing_file_is_a_session_error(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="Cannot open nothing.parallax"):
        load_session(tmp_path / "nothing.parallax")


def test_older_version_goes_through_the_migration_hook(session: Session, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.parallax"
    data = json.loads(_valid_bytes(session, tmp_path))
    for tab in data["tabs"]:  # pretend version 1 called the comparison note "remark"
        tab["remark"] = tab.pop("comparison_note")
    path.write_text(json.dumps(data), "utf-8")
    before = path.read_bytes()

    def v1_to_v2(doc: dict) -> dict:
        for tab in doc["tabs"]:
            tab["comparison_note"] = tab.pop("remark")
        return doc

    monkeypatch.setattr(session_mod, "FORMAT_VERSION", 2)
    monkeypatch.setitem(session_mod.MIGRATIONS, 1, v1_to_v2)
    loaded = load_session(path)
    assert loaded.migrated_from == 1
    assert loaded.session.tabs[0].comparison_note == "Same story, two sites."
    assert path.read_bytes() == before  # migrating reads; only a later save rewrites
    monkeypatch.delitem(session_mod.MIGRATIONS, 1)
    with pytest.raises(SessionError, match="uses session format 1, which this version cannot read"):
        load_session(path)


# --- autosave ---------------------------------------------------------------------------------


def test_autosave_writes_only_when_dirty(session: Session, tmp_path: Path) -> None:
    saver = SessionAutosaver(lambda: session, tmp_path / "auto")
    assert not saver.maybe_save() and not saver.path.exists()
    saver.mark_dirty()
    assert saver.dirty and saver.maybe_save() and not saver.dirty
    first = saver.path.stat().st_mtime_ns
    assert not saver.maybe_save() and saver.path.stat().st_mtime_ns == first
    assert load_session(saver.path).session == session
    assert saver.marker.exists()
    assert saver.recoverable() is None  # this run's own autosave is not a crash


def test_autosave_failure_keeps_previous_autosave(session: Session, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    saver = SessionAutosaver(lambda: session, tmp_path / "auto")
    saver.save_now()
    before = saver.path.read_bytes()
    session.query = "changed"
    saver.mark_dirty()

    def boom(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    assert saver.maybe_save() is False
    monkeypatch.undo()
    assert saver.dirty and isinstance(saver.last_error, OSError)
    assert saver.path.read_bytes() == before


def test_clean_exit_leaves_nothing_to_recover(session: Session, tmp_path: Path) -> None:
    auto = tmp_path / "auto"
    saver = SessionAutosaver(lambda: session, auto)
    saver.mark_dirty()
    saver.maybe_save()
    session.query = "typed just before quitting"
    saver.mark_dirty()
    kept = saver.clean_exit()
    assert kept == auto / "last.parallax" and load_session(kept).session == session
    assert load_session(kept).session.query == "typed just before quitting"
    assert not saver.path.exists() and not saver.marker.exists()
    assert SessionAutosaver(lambda: session, auto).recoverable() is None
    assert SessionAutosaver(lambda: session, auto).last_session() == kept


_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from app.core.sessions.autosave import SessionAutosaver
    from app.core.sessions.session import ArticleRef, Note, Session, TabState

    tab = TabState(ArticleRef("001_x.txt", "abc"), ArticleRef("004_y.txt", "def"), title="crash test")
    session = Session("/corpus", [tab], query="first")
    tab.notes.append(Note([1], [2], "written before the kill"))
    saver = SessionAutosaver(lambda: session, Path(sys.argv[1]))
    saver.mark_dirty()
    saver.maybe_save()
    print("saved", flush=True)
    sys.stdin.readline()  # killed here, between the two autosaves
    session.query = "second"
    tab.notes[0].edit("never written")
    saver.mark_dirty()
    saver.maybe_save()
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_autosave_recovered_after_kill(tmp_path: Path) -> None:
    auto = tmp_path / "auto"
    with subprocess.Popen([sys.executable, "-c", _CHILD, str(auto)], cwd=ROOT, text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as child:
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "saved"
            next_launch = SessionAutosaver(lambda: Session(""), auto)
            assert next_launch.recoverable() is None  # the other run is alive: not a crash
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == -signal.SIGKILL

    found = SessionAutosaver(lambda: Session(""), auto).recoverable()
    assert found is not None
    loaded = load_session(found)
    assert loaded.session.query == "first"
    assert loaded.session.tabs[0].notes[0].text == "written before the kill"

    restarted = SessionAutosaver(lambda: Session(""), auto)
    recovered = restarted.recover(found)
    assert recovered.session.modified and recovered.session.path is None
    assert recovered.session.tabs[0].title == "crash test"
    assert not found.exists() and restarted.path.exists()  # taken over, never zero copies
    assert restarted.recoverable() is None


def test_discard_removes_dead_runs(session: Session, tmp_path: Path) -> None:
    auto = tmp_path / "auto"
    auto.mkdir()
    dead = auto / "run-999999999-20000101-000000"
    (dead.with_suffix(".parallax")).write_text(json.dumps(session.to_dict()), "utf-8")
    (dead.with_suffix(".json")).write_text(json.dumps({"pid": 999999999}), "utf-8")
    saver = SessionAutosaver(lambda: session, auto)
    assert saver.recoverable() == dead.with_suffix(".parallax")
    saver.discard()
    assert saver.recoverable() is None and list(auto.iterdir()) == []


def test_recent_sessions(tmp_path: Path) -> None:
    files = []
    for n in range(MAX_RECENT + 2):
        f = tmp_path / f"s{n}.parallax"
        f.write_text("{}", "utf-8")
        files.append(f)
        add_recent_session(f)
    add_recent_session(files[5])
    recent = recent_sessions()
    assert recent[0] == files[5].resolve() and len(recent) == MAX_RECENT
    assert recent[1] == files[-1].resolve() and files[0].resolve() not in recent
    files[-1].unlink()
    assert files[-1].resolve() not in recent_sessions()
    remove_recent_session(files[5])
    assert files[5].resolve() not in recent_sessions()


# --- CLI --------------------------------------------------------------------------------------


def test_cli_session_show_json(session: Session, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "work.parallax"
    save_session(session, path)
    assert main(["session", "show", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format_version"] == 1 and data["active_tab"] == 1 and data["query"] == "alliance"
    assert [t["title"] for t in data["tabs"]] == ["Mercouris twice", "Shared chrome", "outside"]
    assert data["tabs"][0]["notes"][1]["text"] == "second\nline two"
    problems = data["problems"]
    assert [(p["tab"], p["side"]) for p in problems.pop("outside_articles")] == [(2, "right")]
    assert problems == {"corpus_missing": False, "changed_articles": [], "missing_articles": [],
                        "migrated_from": None}
    assert main(["session", "show", str(path)]) == 0
    out = capsys.readouterr().out
    assert "*2. Shared chrome" in out and "First <note>" in out


def test_cli_session_show_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.parallax"
    path.write_bytes(b'{"format_version": 7}')
    assert main(["session", "show", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("parallax: bad.parallax was saved by a newer Parallax") and "Traceback" not in err
    assert path.read_bytes() == b'{"format_version": 7}'


def test_cli_session_export_html(session: Session, corpus: Corpus, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "work.parallax"
    save_session(session, path)
    (tmp_path / "elsewhere" / "outside.txt").unlink()
    out = tmp_path / "report.html"
    assert main(["session", "export", str(path), "--html", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Tab 3 (outside) left out of the report." in err
    text = out.read_text("utf-8")
    assert text.count('<section class="comparison"') == 2
    assert "First &lt;note&gt; &amp; &quot;quotes&quot;" in text
    moved = tmp_path / "moved"
    corpus.root.rename(moved)
    assert main(["session", "export", str(path), "--html", str(out)]) == 1
    assert "pass --corpus DIR" in capsys.readouterr().err
    assert main(["session", "export", str(path), "--html", str(out), "--corpus", str(moved)]) == 0
