"""The command line: JSON shapes, human output, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__
from app.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"parallax {__version__}"


def test_index_reports_then_is_a_no_op(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    (seeds_copy / "empty.md").write_bytes(b"")
    code, out, _ = run(capsys, "index", str(seeds_copy))
    assert code == 0
    assert out.count("added ") == 5
    assert "skipped  empty.md: empty file" in out
    code, out, _ = run(capsys, "index", str(seeds_copy), "--json")
    data = json.loads(out)
    assert data["added"] == [] and data["unchanged"] == 5
    assert data["skipped"] == [{"path": "empty.md", "reason": "empty file"}]


def test_search_json_default_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "Taiwan", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["query"] == "Taiwan" and data["total"] == 3
    assert {h["id"][:3] for h in data["hits"]} == {"001", "002", "004"}
    hit = data["hits"][0]
    assert set(hit) == {"id", "path", "title", "source", "author", "date", "score", "snippets",
                        "matches", "paragraphs", "title_marks",  # hit counts, places, title marks (issue 18 §3)
                        "copies", "same_text"}  # the other copies of the story (issue 14 §3)
    assert any("<b>Taiwan</b>" in s for s in hit["snippets"])


def test_search_limit_and_sort(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "alliance", "--limit", "2", "--sort", "date", "--json")
    data = json.loads(out)
    assert data["total"] == 4 and len(data["hits"]) == 2
    assert [h["date"] for h in data["hits"]] == ["2021-12-15", "2017-07-10"]


def test_articles_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "articles", "--json")
    articles = json.loads(out)["articles"]
    assert [a["id"][:3] for a in articles] == ["000", "001", "002", "003", "004"]
    assert articles[0]["source"] == "Global Research" and articles[0]["date"] == "2017-07-10"
    code, out, _ = run(capsys, "show", "003", "--json")
    article = json.loads(out)
    assert article["author"] == "John Ruehl"
    text = Path(article["path"]).read_text("utf-8")
    first = article["paragraphs"][0]
    assert set(first) == {"text", "start", "end", "role", "index", "number"}
    assert [(p["index"], p["number"]) for p in article["paragraphs"][:2]] == [(0, 1), (1, 2)]
    assert "Navalny" in text[article["paragraphs"][4]["start"]:article["paragraphs"][4]["end"]]
    # The text form numbers paragraphs ¶N from 1, as the window's gutter does.
    code, out, _ = run(capsys, "show", "003")
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert lines[0].startswith("[¶1 body ") and lines[4].startswith("[¶5 ") and "Navalny" in lines[4]
    assert not any(line.startswith("[0 ") for line in lines)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("search", '"unclosed phrase'), "Unbalanced quotes"),
        (("search", "alliance", "--corpus", "/no/such/folder"), "corpus folder not found"),
        (("show", "999"), "no article '999'"),
        (("show", "00"), "matches 5 articles"),
    ],
)
def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_python_dash_m_app_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "app", "search", "Navalny", "--json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] == 1


def test_core_never_imports_qt() -> None:
    code = (
        "import importlib, pkgutil, sys, app.core\n"
        "for m in pkgutil.iter_modules(app.core.__path__):\n"
        "    importlib.import_module('app.core.' + m.name)\n"
        "import app.cli; app.cli.build_parser()\n"
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'app.ui'))]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_gui_without_a_display_says_so(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    code, _, err = run(capsys, "gui")
    assert code == 1
    assert "no display found" in err and "Traceback" not in err


def test_compare_before_any_index_marks_the_folder_it_saves_fingerprints_in(capsys, tmp_path: Path) -> None:
    """compare saves reuse fingerprints without indexing: the folder must still carry the marker,
    or the next save (after the corpus changed) was refused as a foreign file."""
    import shutil

    from app.core.storage.fsguard import INDEX_MARKER
    from app.core.storage.paths import default_corpus, index_dir_for

    corpus = tmp_path / "corpus"
    shutil.copytree(default_corpus(), corpus)
    code, _out, err = run(capsys, "compare", "001", "004", "--corpus", str(corpus), "--text")
    assert code == 0, err
    folder = index_dir_for(corpus)
    assert (folder / INDEX_MARKER).is_file() and (folder / "parallax-reuse.npz").is_file()
    next(corpus.glob("002_*")).write_text("A new text.\n\nWith a second paragraph of its own.", "utf-8")
    code, _out, err = run(capsys, "compare", "001", "004", "--corpus", str(corpus), "--text")
    assert code == 0 and "not written by Parallax" not in err, err
