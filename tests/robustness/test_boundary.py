"""The corpus boundary: links out of the corpus are skipped (unless asked), session references
never leave the session's corpus, and neither is ever read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.reading.reader import ReadError
from app.core.sessions.session import load_session, save_session
from app.core.sessions.sessionalign import session_sections
from app.core.workspace.corpus import Corpus

SECRET = "root:x:0:0:SECRET-LINE-FROM-OUTSIDE:/root:/bin/bash"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the corpus holding a 'secret' article and a folder of articles."""
    folder = tmp_path / "outside"
    (folder / "folder").mkdir(parents=True)
    (folder / "secret.txt").write_text(f"{SECRET}\n\nThe secret file has a second paragraph of text.\n", "utf-8")
    (folder / "folder" / "elsewhere.txt").write_text(
        "Elsewhere headline\n\nAn article kept in a folder outside the corpus, linked into it.\n", "utf-8")
    return folder


@pytest.fixture
def linked(seeds_copy: Path, outside: Path) -> Path:
    """The seed corpus with links out of it (a file, a folder) and links that stay inside it."""
    (seeds_copy / "passwd.txt").symlink_to(outside / "secret.txt")
    (seeds_copy / "linked-folder").symlink_to(outside / "folder", target_is_directory=True)
    (seeds_copy / "sub").mkdir()
    (seeds_copy / "sub" / "inside.txt").symlink_to(seeds_copy / "001_65ba17bf70f94427.txt")
    (seeds_copy / "sub" / "loop").symlink_to(seeds_copy, target_is_directory=True)
    return seeds_copy


def _index(corpus: Path, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / "index.json"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["index", str(corpus), "--index", str(tmp_path / "ix"), "--json", *extra]) == 0
    out.write_text(buf.getvalue(), "utf-8")
    return json.loads(buf.getvalue())


def test_links_out_of_the_corpus_are_skipped_with_the_reason(linked: Path, tmp_path: Path) -> None:
    report = _index(linked, tmp_path)
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    assert skipped["passwd.txt"] == "link points outside the corpus"
    assert skipped["linked-folder/"] == "link points outside the corpus"
    assert "sub/inside.txt" in report["added"]  # a link inside the corpus keeps working
    assert "passwd.txt" not in report["added"] and not any(a.startswith("linked-folder") for a in report["added"])
    assert any(reason == "symbolic link loop" for reason in skipped.values())


def test_cli_lists_the_skipped_links_and_show_refuses_them(linked: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(linked), "--index", str(tmp_path / "ix")]) == 0
    out = capsys.readouterr().out
    assert "skipped  passwd.txt: link points outside the corpus" in out
    assert "skipped  linked-folder/: link points outside the corpus" in out
    for ref in ("passwd.txt", str(linked / "passwd.txt"), "linked-folder/elsewhere.txt"):
        assert main(["show", ref, "--corpus", str(linked), "--index", str(tmp_path / "ix")]) == 1
        captured = capsys.readouterr()
        assert SECRET not in captured.out + captured.err and "Elsewhere" not in captured.out
        assert "link points outside the corpus" in captured.err or "no article" in captured.err
    assert main(["search", "SECRET", "--corpus", str(linked), "--index", str(tmp_path / "ix")]) == 0
    assert "passwd" not in capsys.readouterr().out


def test_follow_links_outside_reads_them_when_asked(linked: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    report = _index(linked, tmp_path, "--follow-links-outside")
    assert {"passwd.txt", "linked-folder/elsewhere.txt"} <= set(report["added"])
    assert main(["show", "passwd.txt", "--corpus", str(linked), "--index", str(tmp_path / "ix"),
                 "--follow-links-outside"]) == 0
    assert "SECRET-LINE" in capsys.readouterr().out
    # The next index without the option forgets them again.
    report = _index(linked, tmp_path)
    assert {"passwd.txt", "linked-folder/elsewhere.txt"} <= set(report["removed"])


@pytest.mark.parametrize("command", [["articles"], ["search", "alliance"], ["related", "001"], ["clusters"],
                                     ["pairs"], ["compare", "001", "004"]])
def test_every_corpus_command_takes_the_option(command: list[str], linked: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    index = [] if command[0] == "compare" else ["--index", str(tmp_path / "ix")]
    assert main([*command, "--corpus", str(linked), *index, "--follow-links-outside", "--json"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("aid", ["../outside/secret.txt", "../../etc/passwd", "/etc/passwd", "passwd.txt",
                                 "sub/../../outside/secret.txt", ".hidden.txt", ""])
def test_corpus_article_refuses_ids_outside_the_corpus(aid: str, linked: Path) -> None:
    corpus = Corpus(linked)
    with pytest.raises(ReadError) as exc:
        corpus.article(aid)
    assert SECRET not in str(exc.value) and "\n" not in str(exc.value)
    assert corpus.article("sub/inside.txt").title  # inside links still open


# --- sessions ----------------------------------------------------------------------------------


def _hostile_session(corpus: Path, tmp_path: Path, left: dict, right: dict) -> Path:
    path = tmp_path / "hostile.parallax"
    path.write_text(json.dumps({
        "format": "parallax-session", "format_version": 1, "corpus": str(corpus), "active_tab": 0,
        "query": "", "tabs": [
            {"title": "evil", "left": left, "right": right, "notes": []},
            {"title": "fine", "left": {"id": "001_65ba17bf70f94427.txt", "hash": ""},
             "right": {"id": "004_a59c947b104b591b.txt", "hash": ""}, "notes": []},
        ],
    }), "utf-8")
    return path


REFS = {
    "dotdot id": {"id": "../../../../../../../../../../etc/passwd", "hash": ""},
    "dotdot to a text file": {"id": "../outside/secret.txt", "hash": ""},
    "absolute path": {"id": "passwd", "hash": "", "path": "/etc/passwd"},
    "absolute text file": {"id": "secret.txt", "hash": "", "path": "OUTSIDE/secret.txt"},
    "absolute id": {"id": "/etc/passwd", "hash": ""},
    "link out of the corpus": {"id": "passwd.txt", "hash": ""},
}


@pytest.mark.parametrize("case", sorted(REFS))
def test_session_references_outside_the_corpus_are_reported_and_never_read(
        case: str, linked: Path, outside: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    ref = {k: v.replace("OUTSIDE", str(outside)) if isinstance(v, str) else v for k, v in REFS[case].items()}
    path = _hostile_session(linked, tmp_path, {"id": "001_65ba17bf70f94427.txt", "hash": ""}, ref)
    opened: list[str] = []
    real_open = __import__("os").open

    def spy(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("os.open", spy)
    loaded = load_session(path)
    assert [(p.tab, p.side) for p in loaded.outside_articles] == [(0, "right")]
    assert loaded.unavailable_tabs() == {0}
    assert any("session refers to an article outside its corpus" in m for m in loaded.messages())
    sections, messages = session_sections(loaded)
    assert [s.title for s in sections] == ["fine"]
    assert not any("passwd" in f or "secret" in f for f in opened), opened
    monkeypatch.undo()

    report = tmp_path / "report.html"
    assert main(["session", "export", str(path), "--html", str(report)]) == 0
    err = capsys.readouterr().err
    assert "session refers to an article outside its corpus" in err
    text = report.read_text("utf-8")
    assert SECRET not in text and "root:x:0:0" not in text
    assert main(["session", "show", str(path)]) == 0
    assert "session refers to an article outside its corpus" in capsys.readouterr().err


def test_session_keeps_a_followed_link_by_its_id(linked: Path, tmp_path: Path) -> None:
    from app.core.align.paragraphs import align
    from app.core.sessions.session import Session, TabState

    corpus = Corpus(linked, follow_links_outside=True)
    tab = TabState.for_alignment(align(corpus.article("passwd.txt"), corpus.resolve("001")), corpus.root)
    assert tab.left.id == "passwd.txt" and tab.left.path is None
    path = save_session(Session(str(corpus.root), [tab]), tmp_path / "followed.parallax")
    assert load_session(path, follow_links_outside=True).ok
    assert [p.id for p in load_session(path).outside_articles] == ["passwd.txt"]
