"""File names that are not UTF-8 (bytes such as b"caf\\xe9.txt" on Linux): indexed, shown escaped,
stored as valid text (index, manifest, JSON, sessions) and opened by id, prefix or path."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.core.sessions.session import Session, TabState, load_session, save_session
from app.core.storage.boundary import id_to_path, name_to_id
from app.core.workspace.corpus import Corpus
from tests.fixtures import statestore

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="needs a file system whose names are bytes")

CAFE = os.fsdecode(b"caf\xe9.txt")  # Latin-1 bytes: not UTF-8
FOLDER = os.fsdecode(b"d\xefr")
NOTE = os.fsdecode(b"n\xf6te.md")
BODY = ("The {0} headline names a place in town\n\nA body paragraph about the {0}, written in a file "
        "whose name is not UTF-8, long enough to be the body of an article.\n")


@pytest.fixture
def corpus(seeds_copy: Path) -> Path:
    (seeds_copy / CAFE).write_text(BODY.format("cafe"), "utf-8")
    (seeds_copy / FOLDER).mkdir()
    (seeds_copy / FOLDER / NOTE).write_text(BODY.format("note"), "utf-8")
    return seeds_copy


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_escaping_round_trips() -> None:
    assert name_to_id(CAFE) == "caf\\xe9.txt"
    assert name_to_id("café.txt") == "café.txt" and name_to_id("a\\b.txt") == "a\\b.txt"
    odd = os.fsdecode(b"x\\\xff.txt")  # a backslash next to an undecodable byte
    assert name_to_id(odd) == "x\\\\\\xff.txt"
    assert id_to_path(Path("/c"), name_to_id(odd)) == Path("/c") / odd


def test_index_articles_show_and_json(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ix = ["--corpus", str(corpus), "--index", str(tmp_path / "ix")]
    status, out, err = _run(capsys, "index", str(corpus), "--index", str(tmp_path / "ix"))
    assert status == 0, err
    assert "added    caf\\xe9.txt" in out and "added    d\\xefr/n\\xf6te.md" in out
    assert "internal error" not in err
    status, out, _ = _run(capsys, "index", str(corpus), "--index", str(tmp_path / "ix"))
    assert "0 added, 0 updated, 0 removed, 0 skipped, 7 unchanged" in out  # the manifest kept them
    assert "caf\\xe9.txt" in statestore.rows(tmp_path / "ix", "files")

    status, out, _ = _run(capsys, "articles", *ix)
    assert "caf\\xe9.txt" in out and "d\\xefr/n\\xf6te.md" in out and "d\\xefr" in out
    for ref in ("caf\\xe9.txt", "caf", str(corpus / CAFE)):
        status, out, err = _run(capsys, "show", ref, *ix)
        assert status == 0 and "body paragraph about the cafe" in out, (ref, err)
    status, out, _ = _run(capsys, "show", "caf", *ix, "--json")
    data = json.loads(out)
    assert data["id"] == "caf\\xe9.txt" and data["path"] == str(corpus / CAFE)  # exact, via \udce9
    status, out, _ = _run(capsys, "articles", *ix, "--json")
    ids = {a["id"] for a in json.loads(out)["articles"]}
    assert {"caf\\xe9.txt", "d\\xefr/n\\xf6te.md"} <= ids
    status, out, _ = _run(capsys, "search", "cafe", *ix)
    assert status == 0 and "caf\\xe9.txt" in out
    status, out, err = _run(capsys, "compare", "caf", "d\\xefr/n", "--corpus", str(corpus), "--json")
    assert status == 0, err
    assert json.loads(out)["left"]["id"] == "caf\\xe9.txt"


def test_sessions_and_reports_keep_such_articles(corpus: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from app.core.align.paragraphs import align

    c = Corpus(corpus)
    tab = TabState.for_alignment(align(c.resolve("caf"), c.resolve("001")), c.root, "cafe")
    assert tab.left.id == "caf\\xe9.txt" and tab.left.path is None
    path = save_session(Session(str(c.root), [tab]), tmp_path / "s.parallax")
    loaded = load_session(path)
    assert loaded.ok and loaded.session.tabs[0].left.id == "caf\\xe9.txt"
    out = tmp_path / "report.html"
    assert main(["session", "export", str(path), "--html", str(out)]) == 0
    assert "body paragraph about the cafe" in out.read_text("utf-8")


def test_corpus_folder_whose_name_is_not_utf8(seeds_copy: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    odd = tmp_path / os.fsdecode(b"corpus-\xe9")
    seeds_copy.rename(odd)
    status, out, err = _run(capsys, "index", str(odd))
    assert status == 0 and "5 added" in out and "corpus-\\xe9" in out, err
    status, out, err = _run(capsys, "index", str(odd))
    assert "5 unchanged" in out
    c = Corpus(odd)
    tab = TabState.for_alignment(align_two(c), c.root, "odd")
    path = save_session(Session(str(c.root), [tab]), tmp_path / "odd.parallax")
    assert load_session(path).ok


def align_two(c: Corpus):
    from app.core.align.paragraphs import align

    return align(c.resolve("001"), c.resolve("004"))


def test_a_clash_between_an_escaped_and_a_real_name_is_skipped(seeds_copy: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (seeds_copy / CAFE).write_text(BODY.format("cafe"), "utf-8")
    (seeds_copy / "caf\\xe9.txt").write_text(BODY.format("literal"), "utf-8")
    status, out, _ = _run(capsys, "index", str(seeds_copy), "--index", str(tmp_path / "ix"))
    assert status == 0
    assert "skipped  caf\\xe9.txt: its escaped name is also another file's name" in out
    assert Corpus(seeds_copy).article("caf\\xe9.txt").title.startswith("The literal headline")
