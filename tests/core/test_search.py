"""Search on the seed expectations, the query language, snippets and malformed queries."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.search.fulltext import QueryError, term_matcher
from app.core.workspace.corpus import Corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    c = Corpus(Path(__file__).resolve().parents[2] / "seeds", tmp_path_factory.mktemp("ix"))
    c.update_index()
    return c


def ids(corpus: Corpus, query: str, **kw) -> set[str]:
    return {h.id[:3] for h in corpus.search(query, limit=None, **kw).hits}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("alliance", {"000", "001", "002", "004"}),
        ("Taiwan", {"001", "002", "004"}),
        ('"Shanghai Cooperation"', {"001", "004"}),
        ("Navalny", {"003"}),
        ("alliances", {"000", "001", "002", "004"}),  # stemming
        ("Navalni~", {"003"}),  # fuzzy
        ("Navaln*", {"003"}),  # wildcard
        ("title:Putin", {"001", "004"}),
        ('source:"Global Research"', {"000", "002"}),
        ("author:Bhadrakumar", {"002"}),
        ("Taiwan AND NOT Duran", {"002", "004"}),
        ("Navalny OR Tashkent", {"001", "003", "004"}),
        ("(Navalny OR Tashkent) AND Lai", {"003"}),
        ('"Shanghai Cooperation" AND NOT title:Putin', set()),
    ],
)
def test_queries(corpus: Corpus, query: str, expected: set[str]) -> None:
    assert ids(corpus, query) == expected


def test_hit_fields_and_snippets(corpus: Corpus) -> None:
    result = corpus.search("Navalny")
    assert result.total == 1
    hit = result.hits[0]
    assert hit.title.startswith("The US-Russia summit")
    assert hit.author == "John Ruehl"
    assert hit.date is not None and hit.date.isoformat() == "2021-06-20"
    assert hit.score > 0
    assert any("<b>Navalny</b>" in s for s in hit.snippets)
    data = result.to_dict()
    assert set(data) == {"query", "total", "hits"}
    assert set(data["hits"][0]) == {"id", "path", "title", "source", "author", "date", "score", "snippets",
                                    "matches", "paragraphs", "title_marks"}  # hit counts, places, title marks (issue 18 §3)


def test_snippets_escape_html_and_mark_stems(corpus: Corpus) -> None:
    hit = corpus.search("alliances").hits[0]
    joined = " ".join(hit.snippets)
    assert "<b>alliance</b>" in joined.lower() or "<b>alliances</b>" in joined.lower()
    assert "<script" not in joined


def test_sort_by_date(corpus: Corpus) -> None:
    hits = corpus.search("alliance", sort="date").hits
    dated = [h.date for h in hits if h.date]
    assert dated == sorted(dated, reverse=True)
    assert [h.date for h in hits][-1] is None  # undated last
    assert all(0 < h.score < 1000 for h in hits)  # real relevance scores, not sort keys


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('"Shanghai Cooperation', "Unbalanced quotes"),
        ("(alliance OR Taiwan", "never closed"),
        ("alliance)", "no matching"),
        ("AND alliance", "needs a term"),
        ("alliance OR", "needs a term"),
        ("alliance AND OR Taiwan", "two operators"),
        ("nosuchfield:alliance", "Unknown field"),
        ("title:", "needs a term after the colon"),
        ("x" * 10_000, "too long"),
        ("   ", "Type something"),
    ],
)
def test_malformed_queries(corpus: Corpus, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        corpus.search(query)


def test_wildcard_only_matches_everything(corpus: Corpus) -> None:
    assert corpus.search("*", limit=None).total == 5


def test_term_matcher() -> None:
    m = term_matcher('alliance AND Taiw* NOT China "Shanghai Cooperation" source:Global')
    assert m("Alliances") and m("Taiwanese") and m("Shanghai") and m("cooperation")
    assert not m("China") and not m("Global") and not m("Russia")
    twice = term_matcher("NOT NOT alliance OR <Taiwan> NOT NOT NOT China")
    assert twice("alliance") and twice("Taiwan") and not twice("China")


@pytest.mark.parametrize("query", ["allian*", "a?liance", "allince~"])
def test_pattern_and_fuzzy_hits_mark_their_words_in_snippets(corpus: Corpus, query: str) -> None:
    result = corpus.search(query)
    assert result.total >= 4
    assert all(any("<b>Alliance</b>" in s or "<b>alliance</b>" in s for s in h.snippets)
               for h in result.hits if h.snippets)
