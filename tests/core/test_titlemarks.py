"""`title:` hits mark the title: the words the query's title terms match, not those under NOT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.search.titlemarks import marked_title_html, title_spans
from app.core.workspace.corpus import Corpus

TITLE = "Sanctions on Taiwan: the trade war widens"


def _marked(title: str, query: str) -> list[str]:
    return [title[s:e] for s, e in title_spans(title, query)]


@pytest.mark.parametrize(("query", "words"), [
    ("title:sanctioned", ["Sanctions"]),  # stems, as the index compares them
    ("title:TAIWAN", ["Taiwan"]),
    ("taiwan", ["Taiwan"]),  # a plain term searches the title too
    ('title:"trade war"', ["trade", "war"]),
    ('title:"war trade"', []),  # a phrase marks only words standing in a row
    ("title:sanc*", ["Sanctions"]),
    ("title:t?iwan", ["Taiwan"]),
    ("title:taiwn~1", ["Taiwan"]),
    ("title:taiwn", []),
    ("body:taiwan", []),  # the body alone
    ("source:taiwan", []),
    ("taiwan NOT trade", ["Taiwan"]),
    ("NOT taiwan", []),
    ("title:trade ANDNOT title:war", ["trade"]),
    ("title:war OR title:widen", ["war", "widens"]),
    ("*", []),
    ("(((", []),  # does not parse: nothing marked, no error
    ("", []),
])
def test_title_words_matched_by_the_query(query: str, words: list[str]) -> None:
    assert _marked(TITLE, query) == words


def test_marked_title_is_escaped_html() -> None:
    title = "<Taiwan> & the <b>trade</b> war"
    html = marked_title_html(title, title_spans(title, "title:taiwan title:war"))
    assert html == "&lt;<b>Taiwan</b>&gt; &amp; the &lt;b&gt;trade&lt;/b&gt; <b>war</b>"


def test_search_json_carries_the_title_marks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text(f"{TITLE}\n\nThe war over trade with Taiwan widened on Monday.\n", encoding="utf-8")
    (root / "b.txt").write_text("Harbour news\n\nShips at the harbour were fewer; the quay is closing.\n", encoding="utf-8")
    corpus = Corpus(root, tmp_path / "ix")
    corpus.update_index()
    hits = {h.id: h for h in corpus.search("title:taiwan OR trade OR body:harbour").hits}
    assert hits["a.txt"].title == TITLE
    assert [TITLE[s:e] for s, e in hits["a.txt"].title_marks] == ["Taiwan", "trade"]
    assert hits["b.txt"].title_marks == () and "harbour" in hits["b.txt"].title.lower()
    capsys.readouterr()
    assert main(["search", "title:trade", "--json", "--corpus", str(root), "--index", str(tmp_path / "ix")]) == 0
    data = json.loads(capsys.readouterr().out)
    (hit,) = data["hits"]
    assert hit["id"] == "a.txt" and hit["title_marks"] == [[TITLE.index("trade"), TITLE.index("trade") + 5]]


def test_search_text_output_brackets_the_title_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text("Trade \x1b[31m war widens\n\nThe war over trade with Taiwan widened on Monday.\n",
                                encoding="utf-8")
    capsys.readouterr()
    assert main(["search", "title:widen", "--corpus", str(root), "--index", str(tmp_path / "ix")]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "a.txt" in line]
    assert line.endswith(" war [widens]")
    assert "\x1b" not in out  # the title's escape sequence is made harmless, marks are brackets
