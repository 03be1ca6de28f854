"""Hostile queries get one clear message or sensible results, quickly, and never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.core.corpus import Corpus
from app.core.search import QueryError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    c = Corpus(SEEDS, tmp_path_factory.mktemp("ix"))
    c.update_index()
    return c


HOSTILE = [
    '"', '"Shanghai', 'Shanghai"', '"a" "b', "(", ")", "((alliance)", "alliance))", "(()",
    "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "NOT NOT", "alliance NOT", "AND OR NOT",
    "x" * 10_000, "alliance " * 1_200, "a* " * 300, "*", "?", "**", "*?*", "*:*",
    ".*", "^foo$", "[a-z]+", "a|b", r"\d+", "(?i)x", "a{2,}", "\\", '"\\"', "%", "~", "alliance~9",
    "nosuchfield:alliance", "Title:Putin", "a:b:c", "title:", ":", "::", "date:abc", "date:[2020 TO",
    "[a TO z]", "{", "}", "^", "-", "+", "&&", "||", "!", "中", "Москва", "\x00", "\u202e", "🦊",
]


@pytest.mark.parametrize("query", HOSTILE, ids=lambda q: repr(q[:20]))
def test_hostile_query_is_answered_or_refused_clearly(corpus: Corpus, query: str) -> None:
    t0 = time.perf_counter()
    try:
        result = corpus.search(query)
    except QueryError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
        assert len(message) < 200
    else:
        assert result.total >= 0 and len(result.hits) <= 20
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("x" * 10_000, "too long"),
        ('"unclosed phrase', "Unbalanced quotes"),
        ("(alliance", "never closed"),
        ("OR", "needs a term"),
        ("alliance~9", "at most 2 edits"),
        ("nosuchfield:alliance", "Unknown field 'nosuchfield:'"),
        ("::", "no searchable terms"),
    ],
)
def test_specific_messages(corpus: Corpus, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        corpus.search(query)


def test_sensible_results(corpus: Corpus) -> None:
    assert corpus.search("*", limit=None).total == 5  # wildcard only: everything
    assert corpus.search("Title:Putin").total == corpus.search("title:Putin").total == 2
    assert corpus.search(".*").total == 0  # regex syntax is not a regex: no crash, no match
    assert corpus.search("NOT alliance", limit=None).total == 1


def test_query_time_limit(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.search as search_module

    monkeypatch.setattr(search_module, "SEARCH_SECONDS", 0.0)
    with pytest.raises(QueryError, match="took longer"):
        corpus.search("*", limit=None)
