"""Facets: counts by source (the analyst's names), author, year, month and file type; filters."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import app.core.search.fulltext as search_mod
from app.cli import main
from app.core.search.facets import FacetFilter, Facets, parse_date
from app.core.workspace.corpus import Corpus

BODY = "The ferry strike closed the harbour for a third day as talks with the operator stalled again."


def _md(root: Path, name: str, source: str, author: str, day: str, extra: str = "") -> None:
    meta = "".join(f"{k}: {v}\n" for k, v in (("source", source), ("author", author), ("date", day)) if v)
    (root / f"{name}.md").write_text(f"---\ntitle: {name}\n{meta}---\n\n{BODY} {extra}\n", encoding="utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("facets") / "corpus"
    root.mkdir()
    _md(root, "a1", "Harbour Post", "Ann Lee", "2024-03-01")
    _md(root, "a2", "Harbour Post", "Ann Lee", "2024-03-31")
    _md(root, "a3", "harbour-post.example", "Bo Chan", "2024-04-01")  # renamed to Harbour Post below
    _md(root, "b1", "Coast Daily", "Bo Chan", "2023-12-31")
    _md(root, "b2", "Coast Daily", "", "", "undated")
    _md(root, "c1", "Coast Daily", "Cy Dunn", "2024-03-15", "nothing about ferries")
    (root / "h1.html").write_text(
        "<html><head><title>h1</title><meta property='og:site_name' content='Bay Times'>"
        "<meta property='article:published_time' content='2024-04-10'></head>"
        f"<body><article><p>{BODY}</p></article></body></html>", encoding="utf-8")
    (root / "other.md").write_text("---\ntitle: other\nsource: Coast Daily\n---\n\nThe council met.\n",
                                   encoding="utf-8")
    c = Corpus(root, root.parent / "ix")
    c.update_index()
    c.userdata.rename_source("harbour-post.example", "Harbour Post", ["harbour-post.example"])
    return c


def _run(corpus: Corpus, query: str = "ferry", **kw) -> tuple[list[str], Facets]:
    facets = Facets(FacetFilter.of(**kw), corpus.userdata.refresh().source)
    result = corpus.search(query, limit=None, snippets=False, narrow=facets.narrow)
    return sorted(h.id for h in result.hits), facets


def test_counts_by_analyst_source_author_month_and_type(corpus: Corpus) -> None:
    ids, f = _run(corpus)
    assert len(ids) == 7 and f.result.matched == 7 and f.result.kept == 7  # "other" does not match
    c = f.result.counts
    assert dict(c["source"]) == {"Harbour Post": 3, "Coast Daily": 3, "Bay Times": 1}  # renamed merged in
    assert dict(c["author"]) == {"Ann Lee": 2, "Bo Chan": 2, "Cy Dunn": 1, "": 2}
    assert dict(c["month"]) == {"2023-12": 1, "2024-03": 3, "2024-04": 2}
    assert dict(c["year"]) == {"2023": 1, "2024": 5}
    assert dict(c["filetype"]) == {"md": 6, "html": 1}
    assert f.result.undated == 1


def test_date_bounds_are_inclusive_and_leave_undated_out(corpus: Corpus) -> None:
    ids, f = _run(corpus, date_from=date(2024, 3, 1), date_to=date(2024, 3, 31))
    assert ids == ["a1.md", "a2.md", "c1.md"]
    assert f.result.undated == 1  # counted, not kept
    ids, _ = _run(corpus, date_from=date(2024, 4, 1))
    assert ids == ["a3.md", "h1.html"]
    assert parse_date("2024-03", end=True) == date(2024, 3, 31) and parse_date("2024") == date(2024, 1, 1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date("March")


def test_filters_combine_with_the_query_and_each_other(corpus: Corpus) -> None:
    ids, f = _run(corpus, include={"source": ["harbour post"]})
    assert ids == ["a1.md", "a2.md", "a3.md"]  # the analyst's name takes the raw one with it
    # Disjunctive: the source facet still counts the other sources; the others are narrowed.
    assert dict(f.result.counts["source"])["Coast Daily"] == 3
    assert dict(f.result.counts["author"]) == {"Ann Lee": 2, "Bo Chan": 1}
    ids, _ = _run(corpus, include={"source": ["Coast Daily"]}, exclude={"author": ["Cy Dunn"]})
    assert ids == ["b1.md", "b2.md"]
    ids, _ = _run(corpus, "ferries AND NOT undated", include={"filetype": ["md"]}, date_to=date(2024, 3, 31))
    assert ids == ["a1.md", "a2.md", "b1.md", "c1.md"]


def test_whoosh_path_filters_the_same(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, f1 = _run(corpus, include={"source": ["Coast Daily"]}, date_from=date(2024, 1, 1))
    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    slow, f2 = _run(corpus, include={"source": ["Coast Daily"]}, date_from=date(2024, 1, 1))
    assert fast == slow == ["c1.md"] and f1.result.counts == f2.result.counts


def test_cli_facets_json_and_filters(capsys: pytest.CaptureFixture[str], corpus: Corpus) -> None:
    base = ["--corpus", str(corpus.root), "--index", str(corpus.index.index_dir)]
    assert main(["search", "ferry", *base, "--facets", "--json", "--source", "Harbour Post",
                 "--from", "2024-03", "--to", "2024-03"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(h["id"] for h in data["hits"]) == ["a1.md", "a2.md"] and data["total"] == 2
    assert data["facets"]["undated"] == 0 and data["filters"]["from"] == "2024-03-01"  # b2 is Coast Daily
    assert {v["value"]: v["count"] for v in data["facets"]["source"]} == {"Harbour Post": 2, "Coast Daily": 1}
    assert main(["search", "ferry", *base, "--from", "soon"]) == 1
    err = capsys.readouterr().err
    assert "is not a date" in err and "Traceback" not in err
    assert main(["search", "ferry", *base, "--json"]) == 0
    assert "facets" not in json.loads(capsys.readouterr().out)


def test_oldest_and_source_orders_pick_the_first_of_every_match(corpus: Corpus) -> None:
    facets = Facets(FacetFilter(), corpus.userdata.refresh().source, order="oldest", limit=2)
    result = corpus.search("ferry", limit=2, sort="date", snippets=False, narrow=facets.narrow)
    assert [h.id for h in facets.order_hits(result.hits)] == ["b1.md", "a1.md"]
    assert facets.result.kept == 7  # the real count, though only two are ranked
    facets = Facets(FacetFilter(), corpus.userdata.refresh().source, order="source", limit=2)
    result = corpus.search("ferry", limit=2, sort="date", snippets=False, narrow=facets.narrow)
    assert [h.id for h in facets.order_hits(result.hits)] == ["h1.html", "c1.md"]  # Bay Times, then Coast Daily newest


def test_hits_count_their_matches_and_name_their_paragraphs(corpus: Corpus) -> None:
    result = corpus.search("ferry OR harbour", limit=None)
    hit = next(h for h in result.hits if h.id == "a1.md")
    article = corpus.article("a1.md")
    body = next(p for p in article.paragraphs if "ferry" in p.text)
    assert hit.matches == 2 and hit.paragraphs == (body.index + 1,)  # "ferry" and "harbour", one ¶
    assert hit.to_dict()["paragraphs"] == [body.index + 1]


def test_saved_searches_are_user_data_and_merge_from_sessions(tmp_path: Path) -> None:
    from app.core.workspace.userdata import (
        UserData,
        UserDataError,
        UserDataStore,
        apply_session_userdata,
    )

    root = tmp_path / "corpus"
    root.mkdir()
    store = UserDataStore(root)
    store.save_search("  Ferry   strike ", 'ferry AND "harbour board"')
    assert UserDataStore(root).data.searches == {"Ferry strike": 'ferry AND "harbour board"'}
    with pytest.raises(UserDataError, match="name and a query"):
        store.save_search("empty", "  ")
    carried = UserData(searches={"Ferry strike": "other", "Quay": "quay~1"}).to_json()
    message, added = apply_session_userdata(root, carried)
    assert added and "1 saved search" in message and "kept this machine's choice" in message
    assert UserDataStore(root).data.searches == {"Ferry strike": 'ferry AND "harbour board"', "Quay": "quay~1"}
    store = UserDataStore(root)
    store.delete_search("Quay")
    assert list(UserDataStore(root).data.searches) == ["Ferry strike"]
