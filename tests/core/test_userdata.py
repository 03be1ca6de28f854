"""The per-corpus user-data store: where it lives, what it holds, damaged files, merging, the map."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.core.reuse.fingerprint import exact_hash
from app.core.reuse.reusemap import Thresholds
from app.core.storage.fsguard import SQLITE_APPLICATION_ID
from app.core.storage.paths import index_dir_for
from app.core.workspace.corpus import Corpus
from app.core.workspace.userdata import (
    FORMAT_NAME,
    FORMAT_VERSION,
    UserData,
    UserDataError,
    UserDataStore,
    text_hash,
    userdata_dir_for,
)
from app.core.workspace.userstore import SCHEMA_VERSION

S000, S001, S002, S004 = ("000_121b9dbdb0afe2a7.txt", "001_65ba17bf70f94427.txt",
                          "002_eea9ff17f26105a2.txt", "004_a59c947b104b591b.txt")
PARA = "The Kremlin said the talks would resume next week, according to people familiar with the plan."


@pytest.fixture
def store(tmp_path: Path) -> UserDataStore:
    (tmp_path / "corpus").mkdir()
    return UserDataStore(tmp_path / "corpus")


def test_lives_beside_the_index_folder_never_inside_it(tmp_path: Path) -> None:
    root = tmp_path / "My corpus"
    root.mkdir()
    folder = userdata_dir_for(root)
    index = index_dir_for(root)
    assert folder.name == index.name  # keyed the same way by the corpus folder
    assert not folder.is_relative_to(index) and not index.is_relative_to(folder)
    assert not folder.is_relative_to(root.resolve())  # never inside the corpus
    other = tmp_path / "other"
    other.mkdir()
    assert userdata_dir_for(other) != folder


def _sql(path: Path, query: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_mark_is_saved_in_the_sqlite_store_and_read_back(store: UserDataStore) -> None:
    mark = store.mark(PARA, "boilerplate")
    assert store.path.name == "userdata.sqlite"
    assert _sql(store.path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert _sql(store.path, "PRAGMA application_id") == [(SQLITE_APPLICATION_ID,)]
    assert _sql(store.path, "PRAGMA journal_mode") == [("wal",)]
    assert _sql(store.path, "SELECT hash, kind, text FROM marks") == [(f"{mark.hash:016x}", "boilerplate", PARA[:80])]
    again = UserDataStore(store.corpus_root)
    assert again.problem is None
    assert again.data.marks == {mark.hash: mark}
    assert mark.text == PARA[:80] and mark.marked
    # The display and the normalised form of a text give the same key, the one the reuse map uses.
    assert mark.hash == text_hash(PARA.upper().replace(",", " ,")) == exact_hash(PARA.casefold())
    # The JSON form, as session files carry it, is unchanged.
    data = again.data.to_json()
    assert data["format"] == FORMAT_NAME and data["version"] == FORMAT_VERSION
    assert list(data["marks"].values())[0]["kind"] == "boilerplate"


def test_overrides_and_unmark(store: UserDataStore) -> None:
    store.mark(PARA, "boilerplate")
    store.mark("Another paragraph of the body text, with enough words to count.", "content")
    ov = store.data.overrides()
    assert ov.boilerplate == {text_hash(PARA)}
    assert ov.content == {text_hash("Another paragraph of the body text, with enough words to count.")}
    store.mark(PARA, "content")  # marking again replaces the kind
    assert store.data.mark_kind(text_hash(PARA)) == "content"
    assert store.unmark(PARA) is not None
    assert store.unmark(PARA) is None
    assert text_hash(PARA) not in store.data.marks


def test_bad_marks_are_refused(store: UserDataStore) -> None:
    with pytest.raises(UserDataError, match="boilerplate, content"):
        store.mark(PARA, "furniture")
    with pytest.raises(UserDataError, match="no words"):
        store.mark(" — ", "boilerplate")
    assert not store.path.exists()


def test_every_change_rereads_the_file(store: UserDataStore) -> None:
    other = UserDataStore(store.corpus_root)  # the window and the command line, say
    store.mark(PARA, "boilerplate")
    other.rename_source("rt.com", "RT")
    assert store.refresh().sources == {"rt.com": "RT"}
    assert text_hash(PARA) in other.data.marks


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe\x00", b'{"format": "parallax-userdata", "version": 1, '
                                     b'"marks": {"zz": {"kind": "boilerplate"}}}', b'[1, 2]',
                                     b'{"format": "parallax-userdata", "version": 1, "sources": {"a": ""}}'])
def test_a_damaged_json_file_is_reported_then_set_aside_never_written_over(store: UserDataStore,
                                                                           content: bytes) -> None:
    store.json_path.parent.mkdir(parents=True, exist_ok=True)
    store.json_path.write_bytes(content)
    damaged = UserDataStore(store.corpus_root)
    assert damaged.problem is not None and "damaged" in damaged.problem
    assert "\n" not in damaged.problem
    assert damaged.data.empty  # nothing of it is applied
    assert store.json_path.read_bytes() == content  # reading never writes
    assert not store.path.exists()  # nor starts a store
    damaged.mark(PARA, "boilerplate")
    kept = list(store.path.parent.glob("userdata.damaged-*.json"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert damaged.notice and kept[0].name in damaged.notice
    assert not store.json_path.exists()
    assert UserDataStore(store.corpus_root).data.mark_kind(text_hash(PARA)) == "boilerplate"


def test_a_newer_json_file_is_left_alone(store: UserDataStore) -> None:
    store.json_path.parent.mkdir(parents=True, exist_ok=True)
    content = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION + 1, "marks": {}}).encode()
    store.json_path.write_bytes(content)
    newer = UserDataStore(store.corpus_root)
    assert newer.problem and "newer Parallax" in newer.problem
    with pytest.raises(UserDataError, match="newer Parallax"):
        newer.mark(PARA, "content")
    assert store.json_path.read_bytes() == content
    assert list(store.path.parent.iterdir()) == [store.json_path]  # no store started beside it


def test_sources_rename_merge_reset(store: UserDataStore) -> None:
    known = {"rt.com", "RT News", "tass.ru", "Global Research"}
    assert store.rename_source("rt.com", "RT", known) == {"rt.com"}
    assert store.data.source("rt.com") == "RT"
    store.merge_sources(["RT", "RT News"], "Russia Today", known)
    assert store.data.sources == {"rt.com": "Russia Today", "RT News": "Russia Today"}
    store.rename_source("Russia Today", "RT", known)  # renaming an analyst's name renames the merge
    assert set(store.data.sources.values()) == {"RT"}
    with pytest.raises(UserDataError, match="no source named"):
        store.rename_source("bbc.co.uk", "BBC", known)
    with pytest.raises(UserDataError, match="empty"):
        store.rename_source("tass.ru", "  ", known)
    store.rename_source("tass.ru", "TASS", known)
    assert store.reset_source("RT") == {"rt.com", "RT News"}
    assert store.data.sources == {"tass.ru": "TASS"}
    assert store.reset_source("tass.ru") == {"tass.ru"}  # a raw name resets too
    assert store.data.sources == {}


def test_thresholds_are_checked_and_defaults_not_stored(store: UserDataStore) -> None:
    store.set_thresholds({"source_articles": "5", "min_containment": 0.5})
    assert store.data.reuse_thresholds() == Thresholds(source_articles=5, min_containment=0.5)
    store.set_thresholds({"source_articles": Thresholds().source_articles})
    assert "source_articles" not in store.data.thresholds
    for name, value in (("nope", 1), ("source_articles", "2.5"), ("source_articles", 0),
                        ("min_containment", 1.5), ("min_containment", "x")):
        with pytest.raises(UserDataError):
            store.set_thresholds({name: value})
    assert store.data.thresholds == {"min_containment": 0.5}
    store.reset_thresholds()
    assert store.data.reuse_thresholds() == Thresholds()


def test_merge_takes_what_is_new_and_keeps_local_decisions(store: UserDataStore) -> None:
    store.mark(PARA, "content")
    store.rename_source("rt.com", "RT")
    incoming = UserData()
    incoming.marks = dict(UserDataStore(store.corpus_root).data.marks)
    incoming.marks[text_hash(PARA)] = type(incoming.marks[text_hash(PARA)])(
        text_hash(PARA), "boilerplate", PARA[:80], "2020-01-01T00:00:00+00:00")
    other_para = "A second paragraph of another story that the other analyst marked as content."
    incoming.marks[text_hash(other_para)] = type(incoming.marks[text_hash(PARA)])(
        text_hash(other_para), "boilerplate", other_para, "2020-01-01T00:00:00+00:00")
    incoming.sources = {"rt.com": "Russia Today", "tass.ru": "TASS"}
    incoming.thresholds = {"source_articles": 4}
    report = store.merge(incoming)
    assert (report.marks, report.sources, report.thresholds) == (1, 1, 1)
    assert len(report.kept_local) == 2
    assert store.data.mark_kind(text_hash(PARA)) == "content"  # never silently replaced
    assert store.data.sources == {"rt.com": "RT", "tass.ru": "TASS"}
    assert "Added" in report.describe()
    files = sorted(store.path.parent.iterdir())
    stamps = [(f.stat().st_mtime_ns, f.stat().st_size) for f in files]
    assert not store.merge(incoming).changed
    assert sorted(store.path.parent.iterdir()) == files  # nothing new: nothing written
    assert [(f.stat().st_mtime_ns, f.stat().st_size) for f in files] == stamps


def test_json_round_trip() -> None:
    data = UserData()
    data.sources = {"a": "b"}
    data.thresholds = {"max_postings": 80}
    back = UserData.from_json(json.loads(json.dumps(data.to_json())))
    assert back == data


# ---------------------------------------------------------------------- with the reuse map


def _body(corpus: Corpus, aid: str, start: str) -> str:
    return next(p.text for p in corpus.article(aid).paragraphs if p.text.startswith(start))


def _learned_boilerplate(corpus: Corpus, aid: str) -> list[str]:
    test = corpus.reuse_map().is_boilerplate_paragraph
    return [p.text for p in corpus.article(aid).paragraphs if test(p)]


def test_the_map_applies_marks_and_a_rebuild_keeps_them(seeds_copy: Path) -> None:
    corpus = Corpus(seeds_copy)
    corpus.update_index()
    shared = {(r.id) for r in corpus.reuse_map().related(S001)}
    assert shared == {S004}
    learned = _learned_boilerplate(corpus, S000)
    assert learned, "the seeds' publisher boilerplate is learned"
    body = next(p for p in corpus.article(S001).body if len(p.text.split()) > 12)
    corpus.userdata.mark(body.text, "boilerplate")
    corpus.userdata.mark(learned[0], "content")
    assert corpus.reuse_map().overrides == corpus.userdata.data.overrides()
    assert corpus.reuse_map().overrides.boilerplate == {exact_hash(body.norm)}
    assert corpus.reuse_map().is_boilerplate_paragraph(body)
    assert learned[0] not in _learned_boilerplate(corpus, S000)

    # The index folder is wiped (a rebuild empties it): the marks are elsewhere and still apply.
    index_dir = corpus.index.index_dir
    corpus.index.close()
    shutil.rmtree(index_dir)
    rebuilt = Corpus(seeds_copy)
    report = rebuilt.update_index()
    assert report.added  # really rebuilt from nothing
    assert rebuilt.reuse_map().overrides.boilerplate == {exact_hash(body.norm)}
    assert rebuilt.reuse_map().overrides.content == {text_hash(learned[0])}
    assert rebuilt.reuse_map().is_boilerplate_paragraph(body)
    assert learned[0] not in _learned_boilerplate(rebuilt, S000)


def test_a_corrupt_index_is_rebuilt_and_marks_still_apply(seeds_copy: Path) -> None:
    corpus = Corpus(seeds_copy)
    corpus.update_index()
    body = next(p for p in corpus.article(S004).body if len(p.text.split()) > 12)
    corpus.userdata.mark(body.text, "boilerplate")
    corpus.index.close()
    for f in corpus.index.index_dir.iterdir():
        if f.is_file() and f.name.endswith(".toc"):  # Whoosh's table of contents: unreadable
            f.write_bytes(b"garbage")
    again = Corpus(seeds_copy)
    assert again.update_index().rebuilt_reason
    assert again.reuse_map().overrides.boilerplate == {exact_hash(body.norm)}
    assert again.reuse_map().is_boilerplate_paragraph(body)


def test_source_names_apply_to_the_listing(seeds_copy: Path) -> None:
    corpus = Corpus(seeds_copy)
    corpus.update_index()
    raw = next(a.source for a in corpus.listing() if a.source)
    corpus.userdata.rename_source(raw, "Renamed outlet")
    assert "Renamed outlet" in {a.source for a in corpus.listing()}
    assert raw not in {a.source for a in corpus.listing()}
    assert corpus.reuse_map().overrides.source(raw) == "Renamed outlet"
    members = [m for c in corpus.reuse_map().clusters() for m in c.members]
    assert raw not in {m.source for m in members}


# ---------------------------------------------------------------------- sessions


def test_a_session_carries_the_corpus_decisions_and_merges_them_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.sessions.session import Session, load_session, save_session
    from app.core.workspace.userdata import apply_session_userdata, session_userdata

    root = tmp_path / "corpus"
    root.mkdir()
    here = UserDataStore(root)
    here.mark(PARA, "boilerplate")
    here.rename_source("rt.com", "RT")
    session = Session(corpus=str(root), userdata=session_userdata(root))
    save_session(session, tmp_path / "s.parallax")
    carried = load_session(tmp_path / "s.parallax", check=False).session.userdata
    assert carried is not None and carried["format"] == FORMAT_NAME

    # Another machine: its own data folder, with a decision of its own that differs.
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(tmp_path / "elsewhere"))
    there = UserDataStore(root)
    assert there.data.empty
    there.rename_source("rt.com", "Russia Today")
    message, added = apply_session_userdata(root, carried)
    assert added and message and "1 mark" in message and "1 conflict" in message
    merged = UserDataStore(root).data
    assert merged.mark_kind(text_hash(PARA)) == "boilerplate"
    assert merged.sources == {"rt.com": "Russia Today"}  # the local name is kept
    assert apply_session_userdata(root, carried)[1] is False  # nothing new the second time
    assert apply_session_userdata(root, {"format": "other"})[0].startswith("The session's marks")


def test_a_session_without_decisions_has_no_userdata(tmp_path: Path) -> None:
    from app.core.sessions.session import Session
    from app.core.workspace.userdata import session_userdata

    (tmp_path / "c").mkdir()
    assert session_userdata(tmp_path / "c") is None
    assert "userdata" not in Session(corpus=str(tmp_path / "c")).to_dict()
