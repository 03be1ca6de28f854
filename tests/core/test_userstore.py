"""The SQLite user-data store: importing the JSON of before, versions and backups, damaged and
foreign files, newer stores, two writers at once, and the write guard's rules for SQLite files."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.core.reading.model import Article, Paragraph, Role
from app.core.reading.text import display_text, normalize
from app.core.storage import fsguard
from app.core.workspace import userstore
from app.core.workspace.links import LINK, ArticleKey, PairLinks, decision
from app.core.workspace.userdata import FORMAT_NAME, UserDataError, UserDataStore, text_hash

PARA = "The Kremlin said the talks would resume next week, according to people familiar with the plan."
OTHER = "A second paragraph of another story that the other analyst marked as content, long enough."


def _article(aid: str, texts: list[str]) -> Article:
    paragraphs = [Paragraph(n, display_text(t), normalize(t), 0, len(t), Role.BODY) for n, t in enumerate(texts)]
    return Article(id=aid, path=f"/t/{aid}", title=aid, paragraphs=paragraphs, text="\n\n".join(texts))


LEFT = _article("a.txt", [PARA, OTHER])
RIGHT = _article("b.txt", [OTHER, PARA])


def _v1(marks: dict[str, str]) -> dict[str, object]:
    return {"format": FORMAT_NAME, "version": 1,
            "marks": {f"{text_hash(t):016x}": {"kind": k, "text": t[:80], "marked": "2024-01-01T00:00:00+00:00"}
                      for t, k in marks.items()},
            "sources": {"rt.com": "RT"}, "thresholds": {"source_articles": 5}}


def _v2() -> dict[str, object]:
    doc = _v1({PARA: "boilerplate"})
    pair = PairLinks(ArticleKey.of(LEFT), ArticleKey.of(RIGHT), [decision(LINK, LEFT, 0, RIGHT, 1)], "2024-01-02")
    doc.update(version=2, links=[pair.to_json()], searches={"Talks": "kremlin AND talks"})
    return doc


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    return root


def _place_json(corpus: Path, doc: object) -> tuple[Path, bytes]:
    path = UserDataStore(corpus).json_path  # a store of nothing writes nothing
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(doc, indent=1).encode()
    path.write_bytes(raw)
    return path, raw


# ---------------------------------------------------------------------- the JSON of before


def test_a_version_1_file_is_imported_and_kept_as_a_backup(corpus: Path) -> None:
    path, raw = _place_json(corpus, _v1({PARA: "boilerplate", OTHER: "content"}))
    store = UserDataStore(corpus)
    assert store.problem is None
    assert store.data.mark_kind(text_hash(PARA)) == "boilerplate" and store.data.mark_kind(text_hash(OTHER)) == "content"
    assert store.data.sources == {"rt.com": "RT"} and store.data.thresholds == {"source_articles": 5}
    assert not path.exists()
    backup = path.with_name("userdata.v1.backup.json")
    assert backup.read_bytes() == raw  # the file as it was
    assert store.notice and backup.name in store.notice
    again = UserDataStore(corpus)  # opened again: the store alone, nothing imported twice
    assert again.data == store.data and again.problem is None
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT count(*) FROM marks").fetchone() == (2,)
    assert conn.execute("SELECT key FROM meta").fetchall() == [("imported userdata.json",)]
    conn.close()


def test_a_version_2_file_brings_its_links_and_searches(corpus: Path) -> None:
    _place_json(corpus, _v2())
    store = UserDataStore(corpus)
    assert store.problem is None
    [pair] = store.data.links
    assert pair.left == ArticleKey.of(LEFT) and [(m.kind, m.left.index, m.right.index) for m in pair.items] == [(LINK, 0, 1)]
    assert store.data.searches == {"Talks": "kremlin AND talks"}
    assert store.json_path.with_name("userdata.v2.backup.json").exists()
    assert UserDataStore(corpus).data.links == store.data.links


def test_a_json_file_written_after_the_move_is_merged_local_decisions_kept(corpus: Path) -> None:
    store = UserDataStore(corpus)
    store.mark(PARA, "content")
    _place_json(corpus, _v1({PARA: "boilerplate", OTHER: "boilerplate"}))  # an older Parallax, meanwhile
    merged = store.refresh()
    assert merged.mark_kind(text_hash(PARA)) == "content" and merged.mark_kind(text_hash(OTHER)) == "boilerplate"
    assert not store.json_path.exists() and store.json_path.with_name("userdata.v1.backup.json").exists()


def test_a_json_file_that_cannot_be_moved_still_applies(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _place_json(corpus, _v1({PARA: "boilerplate"}))

    def full(*args: object, **kwargs: object) -> sqlite3.Connection:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(userstore, "connect", full)
    store = UserDataStore(corpus)
    assert store.data.mark_kind(text_hash(PARA)) == "boilerplate"
    assert store.problem and "No space left" in store.problem and "\n" not in store.problem
    with pytest.raises(UserDataError, match="not saved"):
        store.mark(OTHER, "content")
    assert store.json_path.exists()


# ---------------------------------------------------------------------- versions


def test_an_older_store_is_backed_up_then_migrated(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = UserDataStore(corpus)
    store.mark(PARA, "boilerplate")
    store.close()

    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")

    monkeypatch.setattr(userstore, "MIGRATIONS", [*userstore.MIGRATIONS, add_notes])
    monkeypatch.setattr(userstore, "SCHEMA_VERSION", 2)
    migrated = UserDataStore(corpus)
    assert migrated.problem is None and migrated.data.mark_kind(text_hash(PARA)) == "boilerplate"
    backup = store.path.with_name("userdata.v1.backup.sqlite")
    assert migrated.notice and backup.name in migrated.notice
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA user_version").fetchone() == (2,)
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (0,)
    conn.close()
    assert fsguard.is_parallax_sqlite(backup)
    old = sqlite3.connect(backup)
    assert old.execute("PRAGMA user_version").fetchone() == (1,)
    assert old.execute("SELECT kind FROM marks").fetchall() == [("boilerplate",)]
    assert old.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
    old.close()
    migrated.close()
    assert UserDataStore(corpus).notice is None  # migrated once


def test_a_newer_store_is_read_but_never_changed(corpus: Path) -> None:
    store = UserDataStore(corpus)
    store.mark(PARA, "boilerplate")
    store.close()
    conn = sqlite3.connect(store.path)
    conn.execute(f"PRAGMA user_version = {userstore.SCHEMA_VERSION + 1}")
    conn.close()
    newer = UserDataStore(corpus)
    assert newer.problem and "newer Parallax" in newer.problem and "\n" not in newer.problem
    assert newer.data.mark_kind(text_hash(PARA)) == "boilerplate"  # what this version knows of it
    with pytest.raises(UserDataError, match="newer Parallax"):
        newer.mark(OTHER, "content")
    with pytest.raises(UserDataError, match="newer Parallax"):
        newer.unmark(PARA)
    newer.close()
    conn = sqlite3.connect(store.path)
    assert conn.execute("SELECT count(*) FROM marks").fetchone() == (1,)
    assert conn.execute("PRAGMA user_version").fetchone() == (userstore.SCHEMA_VERSION + 1,)
    conn.close()
    assert not list(store.path.parent.glob("*.backup.*"))


# ---------------------------------------------------------------------- damaged and foreign files


def _corrupt(path: Path) -> bytes:
    raw = bytearray(path.read_bytes())
    raw[100:len(raw)] = b"\xa5" * (len(raw) - 100)  # the header stays, the pages are gone
    path.write_bytes(bytes(raw))
    return bytes(raw)


@pytest.mark.parametrize("damage", ["garbage", "pages", "foreign"])
def test_a_damaged_store_is_set_aside_never_deleted(corpus: Path, damage: str) -> None:
    store = UserDataStore(corpus)
    store.mark(PARA, "boilerplate")
    store.close()
    for suffix in fsguard.SQLITE_COMPANIONS:
        assert not Path(str(store.path) + suffix).exists()  # closed cleanly: one file
    if damage == "garbage":
        store.path.write_bytes(b"this is not a database at all\n" * 40)
    elif damage == "pages":
        _corrupt(store.path)
    else:  # another program's database at this name: never written in
        store.path.unlink()
        other = sqlite3.connect(store.path)
        other.execute("CREATE TABLE mine (x)")
        other.execute("INSERT INTO mine VALUES ('the other program')")
        other.commit()
        other.close()
    content = store.path.read_bytes()
    damaged = UserDataStore(corpus)
    assert damaged.problem and "damaged" in damaged.problem and "\n" not in damaged.problem
    assert damaged.data.empty
    assert store.path.read_bytes() == content  # reading never writes
    damaged.mark(OTHER, "content")  # work goes on
    [aside] = store.path.parent.glob("userdata.damaged-*.sqlite")
    assert aside.read_bytes() == content
    assert damaged.notice and aside.name in damaged.notice
    fresh = UserDataStore(corpus)
    assert fresh.problem is None and fresh.data.mark_kind(text_hash(OTHER)) == "content"
    assert fresh.data.mark_kind(text_hash(PARA)) is None


def test_a_damaged_store_with_a_json_file_beside_it_imports_it_once_set_aside(corpus: Path) -> None:
    store = UserDataStore(corpus)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(b"garbage" * 100)
    _place_json(corpus, _v1({PARA: "boilerplate"}))
    damaged = UserDataStore(corpus)
    assert damaged.problem and "damaged" in damaged.problem and damaged.json_path.exists()
    damaged.mark(OTHER, "content")
    assert damaged.data.mark_kind(text_hash(PARA)) == "boilerplate"
    assert damaged.data.mark_kind(text_hash(OTHER)) == "content"


def test_a_fifo_in_place_of_the_json_file_is_not_read(corpus: Path) -> None:
    import os

    store = UserDataStore(corpus)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(store.json_path)
    opened: list[UserDataStore] = []
    reader = threading.Thread(target=lambda: opened.append(UserDataStore(corpus)), daemon=True)
    reader.start()
    reader.join(20)
    assert opened, "opening the store blocked on the FIFO"
    assert opened[0].problem and "not a regular file" in opened[0].problem and "\n" not in opened[0].problem


def test_a_link_in_place_of_the_store_is_never_opened_or_replaced(corpus: Path, tmp_path: Path) -> None:
    store = UserDataStore(corpus)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    secret = tmp_path / "elsewhere.sqlite"
    secret.write_bytes(b"not yours")
    store.path.symlink_to(secret)
    hostile = UserDataStore(corpus)
    assert hostile.problem and "not a regular file" in hostile.problem and "\n" not in hostile.problem
    with pytest.raises(UserDataError, match="not a regular file"):
        hostile.mark(PARA, "boilerplate")
    assert secret.read_bytes() == b"not yours" and store.path.is_symlink()


# ---------------------------------------------------------------------- writers


def test_one_change_is_one_small_transaction(corpus: Path) -> None:
    store = UserDataStore(corpus)
    for n in range(30):
        store.mark(f"{PARA} number {n}", "boilerplate")
    assert store._conn is not None
    before = store._conn.total_changes
    store.mark(OTHER, "content")
    assert store._conn.total_changes - before == 1  # one row, not the whole file
    before = store._conn.total_changes
    store.rename_source("rt.com", "RT")
    assert store._conn.total_changes - before == 1


def test_links_keep_their_rows_and_order(corpus: Path) -> None:
    from app.core.workspace.links import NOT_A_MATCH, edit_pair, with_decision

    store = UserDataStore(corpus)
    third = _article("c.txt", [PARA])
    edit_pair(store, LEFT, RIGHT, lambda items: with_decision(items, decision(LINK, LEFT, 0, RIGHT, 1)))
    edit_pair(store, LEFT, third, lambda items: with_decision(items, decision(LINK, LEFT, 0, third, 0)))
    assert store._conn is not None
    before = store._conn.total_changes
    edit_pair(store, LEFT, RIGHT, lambda items: with_decision(items, decision(NOT_A_MATCH, LEFT, 1, RIGHT, 0)))
    assert store._conn.total_changes - before == 1 + 1 + 2  # the pair's row, its old item, its two items
    again = UserDataStore(corpus).data
    assert again.links == store.data.links
    assert [p.right.id for p in again.links] == ["b.txt", "c.txt"]
    edit_pair(store, LEFT, RIGHT, lambda items: [])  # forgetting the first pair keeps the other
    assert [p.right.id for p in UserDataStore(corpus).data.links] == ["c.txt"]


def test_two_connections_both_keep_their_changes(corpus: Path) -> None:
    window, command_line = UserDataStore(corpus), UserDataStore(corpus)
    errors: list[BaseException] = []

    def marks(store: UserDataStore, side: str) -> None:
        try:
            for n in range(25):
                store.mark(f"{side} paragraph {n} of the story, with enough words in it", "boilerplate")
        except BaseException as exc:  # reported below, on the main thread
            errors.append(exc)

    threads = [threading.Thread(target=marks, args=(s, side)) for s, side in ((window, "left"), (command_line, "right"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(UserDataStore(corpus).data.marks) == 50
    assert window.refresh() == command_line.refresh()


def test_a_change_sees_what_another_connection_committed_just_before(corpus: Path) -> None:
    window = UserDataStore(corpus)
    window.mark(OTHER, "content")
    command_line = UserDataStore(corpus)  # both have the database open
    window.mark(PARA, "boilerplate")
    window.rename_source("rt.com", "RT")
    assert text_hash(PARA) not in command_line.data.marks  # not refreshed since
    assert command_line.unmark(PARA) is not None  # the change works on the store as it is now
    assert command_line.reset_source("RT") == {"rt.com"}
    assert set(window.refresh().marks) == {text_hash(OTHER)} and not window.data.sources


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork here")
def test_a_forked_child_opens_its_own_connection(corpus: Path) -> None:
    import os

    store = UserDataStore(corpus)
    store.mark(PARA, "boilerplate")
    parents = store._conn
    pid = os.fork()
    if pid == 0:  # the child: SQLite forbids using the parent's connection
        code = 3
        try:
            fresh = store._conn is None
            store.mark(OTHER, "content")
            code = 0 if fresh and store._conn is not parents else 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store._conn is parents and set(store.refresh().marks) == {text_hash(PARA), text_hash(OTHER)}


WRITER = """
import sys
from app.core.workspace.userdata import UserDataStore
store = UserDataStore(sys.argv[1])
for n in range(20):
    store.mark(f"process paragraph {n} of the story, with enough words in it", "content")
    store.rename_source(f"raw{n}", f"Outlet {n}")
"""


def test_two_processes_both_keep_their_changes(corpus: Path) -> None:
    here = UserDataStore(corpus)
    here.mark(PARA, "boilerplate")
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(corpus)])
    for n in range(20):
        here.mark(f"window paragraph {n} of the story, with enough words in it", "boilerplate")
    assert child.wait(timeout=60) == 0
    data = here.refresh()
    assert len(data.marks) == 41 and len(data.sources) == 20


# ---------------------------------------------------------------------- the write guard


def test_the_guard_knows_parallax_databases_and_their_companions(corpus: Path, tmp_path: Path) -> None:
    store = UserDataStore(corpus)
    store.mark(PARA, "boilerplate")
    wal = Path(str(store.path) + "-wal")
    assert wal.exists()  # open in WAL mode
    assert fsguard.made_by_parallax(store.path) and fsguard.made_by_parallax(wal)
    foreign = tmp_path / "mine.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    assert not fsguard.made_by_parallax(foreign)
    assert not fsguard.made_by_parallax(Path(str(foreign) + "-wal"))
    with pytest.raises(fsguard.WriteRefused, match="not a Parallax database"):
        fsguard.open_sqlite(foreign)
    with pytest.raises(fsguard.WriteRefused, match="not a Parallax database"):
        fsguard.open_sqlite(tmp_path / "notes.txt" if (tmp_path / "notes.txt").write_text("mine") else foreign)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    fsguard.register_corpus_root(corpus)
    with pytest.raises(fsguard.WriteRefused, match="inside the corpus"):
        fsguard.open_sqlite(corpus / "x.sqlite")
    assert not (corpus / "x.sqlite").exists()
    leftover = tmp_path / "gone.sqlite-wal"
    leftover.write_bytes(b"frames of a database that is gone")
    with pytest.raises(fsguard.WriteRefused, match="remain"):
        fsguard.open_sqlite(tmp_path / "gone.sqlite")
    assert not (tmp_path / "gone.sqlite").exists()


def test_a_reason_never_shows_python_or_sqlite_text() -> None:
    from app.core.workspace.userdata import UserDataError, _reason

    assert _reason(sqlite3.DatabaseError("file is not a database")) == "it is damaged or not a Parallax database"
    assert _reason(sqlite3.OperationalError("database is locked")) == "another Parallax is saving; try again"
    assert _reason(TypeError("'NoneType' object is not subscriptable")) == "its contents could not be read"
    assert _reason(UserDataError("marks.x: kind must be one of boilerplate, content")).startswith("marks.x")
    assert _reason(PermissionError(13, "Permission denied")) == "Permission denied"
