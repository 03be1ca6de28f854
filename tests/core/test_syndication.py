"""The reuse model on a generated multi-outlet corpus: wire stories carried by 2 to 50 outlets.

Issue 14: a republished story stays content whatever its fan-out, each outlet's furniture is
boilerplate, pairs and related list every copy, the origin is the earliest dated copy, the
analyst's overrides win, and every view gives the same "shared" figure.
"""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from app.cli import main
from app.core.align.paragraphs import align
from app.core.reading.model import Article, Paragraph, Role, RowKind
from app.core.reading.reader import read_corpus
from app.core.reading.text import normalize
from app.core.reuse.fingerprint import exact_hash
from app.core.reuse.reuseindex import build_map, fingerprint_all
from app.core.reuse.reusemap import ReuseMap, ReuseOverrides, Thresholds, shared_figure
from tests.fixtures.syndication import Syndication, build_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Syndication, dict[str, Article]]:
    syn = build_corpus(tmp_path_factory.mktemp("syndication") / "corpus")
    return syn, {a.id: a for a in read_corpus(syn.root).articles}


@pytest.fixture(scope="module")
def rmap(corpus: tuple[Syndication, dict[str, Article]]) -> ReuseMap:
    return build_map(corpus[1].values())


def _tags(syn: Syndication, article: Article) -> list[tuple | None]:
    """The truth tag of each paragraph the reader gave (None: the title and datelines)."""
    doc = syn.docs[article.id]
    by_norm = {normalize(t): tag for t, tag in zip(doc.paragraphs, doc.tags, strict=True)}
    return [by_norm.get(p.norm) for p in article.paragraphs]


def _linked_share(syn: Syndication, x: Article, y: Article, predicate) -> float:
    """Share of the wire paragraphs both copies carry that ``align`` links as content, k to k."""
    tx, ty = _tags(syn, x), _tags(syn, y)
    pos_y = {t[2]: j for j, t in enumerate(ty) if t and t[0] == "story"}
    wanted = {(i, pos_y[t[2]]) for i, t in enumerate(tx) if t and t[0] == "story" and t[2] in pos_y}
    rows = align(x, y, boilerplate=predicate).rows
    linked = {(i, j) for r in rows if r.kind in (RowKind.IDENTICAL, RowKind.CHANGED) for i in r.left for j in r.right}
    return len(wanted & linked) / len(wanted)


def test_fixture_is_a_multi_outlet_corpus(corpus: tuple[Syndication, dict[str, Article]]) -> None:
    syn, articles = corpus
    assert len(syn.outlets) >= 20 and len(articles) == len(syn.docs)
    fanouts = sorted(len(s.copies) for s in syn.stories)
    assert fanouts[0] == 2 and fanouts[-1] == 50
    assert any(d.html for d in syn.docs.values()) and any(not d.html for d in syn.docs.values())
    assert any(d.edits for d in syn.docs.values() if d.story is not None)
    assert all(sum(1 for d in syn.docs.values() if d.outlet == o.name and d.story is None) >= 3
               for o in syn.outlets)


@pytest.mark.parametrize("fanout", [12, 20, 30, 50])
def test_compare_links_the_story_body_as_content_whatever_the_fanout(
        corpus: tuple[Syndication, dict[str, Article]], rmap: ReuseMap, fanout: int) -> None:
    syn, articles = corpus
    (story,) = [s for s in syn.stories if len(s.copies) == fanout]
    rng = random.Random(fanout)
    for other in rng.sample(story.copies[1:], 3):
        x, y = articles[story.copies[0]], articles[other]
        assert _linked_share(syn, x, y, rmap.is_boilerplate_paragraph) >= 0.97
        assert not any(rmap.is_boilerplate_paragraph(p)
                       for p, t in zip(x.paragraphs, _tags(syn, x), strict=True) if t and t[0] == "story")


def test_pairs_find_every_copy_pair_and_nothing_else(corpus: tuple[Syndication, dict[str, Article]],
                                                     rmap: ReuseMap) -> None:
    syn, _ = corpus
    truth = syn.copy_pairs()
    found = {(p.a, p.b) for p in rmap.iter_pairs()}
    assert len(found & truth) / len(truth) >= 0.97
    assert len(found & truth) / len(found) >= 0.99
    assert rmap.pair_count() == len(found)


def test_related_lists_every_other_copy(corpus: tuple[Syndication, dict[str, Article]], rmap: ReuseMap) -> None:
    syn, _ = corpus
    for story in syn.stories:
        for aid in (story.copies[0], story.copies[-1]):
            assert {r.id for r in rmap.related(aid)} == set(story.copies) - {aid}
            assert set(rmap.copies(aid)) == set(story.copies) - {aid}


def test_each_outlets_furniture_is_boilerplate(corpus: tuple[Syndication, dict[str, Article]],
                                               rmap: ReuseMap) -> None:
    syn, articles = corpus
    total = found = 0
    kinds: dict[str, int] = {}
    for article in articles.values():
        for p, t in zip(article.paragraphs, _tags(syn, article), strict=True):
            if t and t[0] == "furniture":
                total += 1
                if rmap.is_boilerplate_paragraph(p) or p.role is not Role.BODY:
                    found += 1
                else:
                    kinds[str(t[1])] = kinds.get(str(t[1]), 0) + 1
    assert total > 1000 and found / total >= 0.95, kinds
    # The long disclaimer names the outlet, so it differs between outlets: learned per outlet.
    for outlet in syn.outlets[:10]:
        assert rmap.is_boilerplate(normalize(outlet.disclaimer))


def test_own_stories_share_nothing(corpus: tuple[Syndication, dict[str, Article]], rmap: ReuseMap) -> None:
    syn, _ = corpus
    own = [d.id for d in syn.docs.values() if d.story is None]
    assert all(rmap.related(aid) == [] for aid in own)


def test_likely_origin_is_the_earliest_dated_copy_html_dates_included(
        corpus: tuple[Syndication, dict[str, Article]], rmap: ReuseMap) -> None:
    syn, articles = corpus
    for story in syn.stories:
        cluster = rmap.cluster_of(story.copies[0])
        assert cluster is not None and {m.id for m in cluster.members} == set(story.copies)
        assert (cluster.origin, cluster.reason) == (story.origin, story.origin_reason)
    # The HTML copies are dated from their meta published time or <time datetime> only.
    html = [d for d in syn.docs.values() if d.html and d.story is not None]
    assert html and all(articles[d.id].date == d.day for d in html)


def test_a_tie_or_missing_dates_are_stated(corpus: tuple[Syndication, dict[str, Article]]) -> None:
    syn, articles = corpus
    story = next(s for s in syn.stories if len(s.copies) == 6)
    first, second, *rest = [articles[a] for a in story.copies]
    tie = build_map([first, replace(second, date=first.date), *rest])
    cluster = tie.cluster_of(first.id)
    assert cluster.origin is None and cluster.reason.startswith("tie between")
    undated = build_map([replace(a, date=None) for a in (first, second, *rest)])
    assert undated.cluster_of(first.id).reason == "no dates"
    some = build_map([replace(first, date=None), second, *rest])
    c = some.cluster_of(first.id)
    assert c.origin != first.id and c.reason.endswith("1 undated")


def test_versions_group_identical_copies(corpus: tuple[Syndication, dict[str, Article]], rmap: ReuseMap) -> None:
    syn, _ = corpus
    story = next(s for s in syn.stories if len(s.copies) == 50)
    versions = rmap.versions(story.copies[0])
    assert sorted(a for v in versions for a in v) == sorted(story.copies)
    # Scrape-style text copies are left out: the reader takes their navigation line for the title
    # and their title line for a body paragraph, which makes their text another version.
    style = {o.name: o.style for o in syn.outlets}
    verbatim = [a for a in story.copies if not syn.docs[a].edits and style[syn.docs[a].outlet] != "scrape"]
    assert len(verbatim) >= 10
    ref = verbatim[0]
    (group,) = [v for v in versions if ref in v]
    assert set(verbatim) <= set(group)
    assert set(rmap.duplicates(ref)) == set(group) - {ref}
    assert len(versions) < len(story.copies)


def test_a_frequent_fingerprint_still_links_its_copies(corpus: tuple[Syndication, dict[str, Article]]) -> None:
    """With only 4 postings compared all with all, the 50 copies are still linked through hubs."""
    syn, articles = corpus
    story = next(s for s in syn.stories if len(s.copies) == 50)
    small = ReuseMap(fingerprint_all(articles.values()), Thresholds(max_postings=4))
    assert {r.id for r in small.related(story.copies[0])} == set(story.copies) - {story.copies[0]}
    x, y = articles[story.copies[0]], articles[story.copies[7]]
    assert _linked_share(syn, x, y, small.is_boilerplate_paragraph) >= 0.97


def test_overrides_force_boilerplate_and_content(corpus: tuple[Syndication, dict[str, Article]],
                                                 rmap: ReuseMap) -> None:
    syn, articles = corpus
    story = next(s for s in syn.stories if len(s.copies) == 12)
    a, b = story.copies[0], story.copies[1]
    outlet = next(o for o in syn.outlets if o.name == syn.docs[a].outlet)
    first_story_para = next(p for p, t in zip(articles[a].paragraphs, _tags(syn, articles[a]), strict=True)
                            if t and t[0] == "story")
    prints = rmap.prints
    marked = ReuseMap(prints, overrides=ReuseOverrides(
        boilerplate=frozenset({exact_hash(first_story_para.norm)}),
        content=frozenset({exact_hash(normalize(outlet.disclaimer))})))
    assert marked.is_boilerplate_paragraph(first_story_para) and not rmap.is_boilerplate_paragraph(first_story_para)
    assert not marked.is_boilerplate(normalize(outlet.disclaimer))
    assert marked.shared(a, b).paragraphs < rmap.shared(a, b).paragraphs
    renamed = ReuseMap(prints, overrides=ReuseOverrides(source_alias={articles[a].source: "Renamed"}))
    assert renamed.article(a).source == "Renamed"


def test_shared_figure_is_the_same_in_every_command(corpus: tuple[Syndication, dict[str, Article]],
                                                    seeds_copy: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    syn, _ = corpus
    story = next(s for s in syn.stories if len(s.copies) == 20)
    cases = [(str(seeds_copy), "001_65ba17bf70f94427.txt", "004_a59c947b104b591b.txt"),
             (str(syn.root), story.copies[0], story.copies[5]),
             (str(syn.root), story.copies[3], story.copies[11])]
    for root in {c[0] for c in cases}:
        assert main(["index", root]) == 0
    capsys.readouterr()
    for root, a, b in cases:
        assert main(["compare", a, b, "--corpus", root, "--json"]) == 0
        fig = json.loads(capsys.readouterr().out)["shared"]
        want = (fig["paragraphs"], fig["pct_a"], fig["pct_b"])
        assert fig["paragraphs"] > 0
        assert main(["related", a, "--corpus", root, "--json"]) == 0
        (rel,) = [r for r in json.loads(capsys.readouterr().out)["related"] if r["id"] == b]
        assert (rel["shared_paragraphs"], rel["pct_here"], rel["pct_there"]) == want
        assert main(["pairs", "--corpus", root, "--json"]) == 0
        pairs = json.loads(capsys.readouterr().out)["pairs"]
        (pair,) = [p for p in pairs if {p["a"], p["b"]} == {a, b}]
        got = pair["shared"] if pair["a"] == a else {**pair["shared"], "pct_a": pair["pct_b"], "pct_b": pair["pct_a"]}
        assert (pair["shared_paragraphs"], got["pct_a"], got["pct_b"]) == want
        report = tmp_path / f"{len(a)}.html"
        assert main(["compare", a, b, "--corpus", root, "--html", str(report)]) == 0
        capsys.readouterr()
        assert f"{fig['paragraphs']} shared paragraph" in report.read_text("utf-8")
    # The seeds keep their figure: the 30 body paragraphs of 001 found in 004 (the title is not counted).
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["shared"]["paragraphs"] == 30 and out["summary"]["shared_rows"] == 31


def test_pairs_json_streams_one_document_and_jsonl_lines(corpus: tuple[Syndication, dict[str, Article]],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    syn, _ = corpus
    assert main(["pairs", "--corpus", str(syn.root), "--json"]) == 0
    pairs = json.loads(capsys.readouterr().out)["pairs"]
    assert {(p["a"], p["b"]) for p in pairs} == syn.copy_pairs()
    assert main(["pairs", "--corpus", str(syn.root), "--jsonl", "--min-shared", "5"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines and all(p["shared_paragraphs"] >= 5 for p in lines)


def test_alignment_figure_matches_the_map_on_copies(corpus: tuple[Syndication, dict[str, Article]],
                                                    rmap: ReuseMap) -> None:
    """Counted on the aligned rows, the figure agrees with the map's on copies of a story."""
    syn, articles = corpus
    story = next(s for s in syn.stories if len(s.copies) == 30)
    for other in story.copies[1:8]:
        al = align(articles[story.copies[0]], articles[other], boilerplate=rmap.is_boilerplate_paragraph)
        assert shared_figure(al).paragraphs == rmap.shared(story.copies[0], other).paragraphs
        assert shared_figure(al, rmap) == rmap.shared(story.copies[0], other)


def test_unrelated_outlets_stories_of_one_day_do_not_pair() -> None:
    """A paragraph of two different sources' stories stays reuse even when the rest differs."""
    rng = random.Random(2)
    words = ["harbour", "council", "ferry", "budget", "winter", "school", "bridge", "market", "river"]

    def para(n: int) -> str:
        return " ".join(rng.choice(words) + str(rng.randint(0, 999)) for _ in range(n)).capitalize() + "."

    quote = para(40)
    a = Article(id="a", path="a", title="a", source="One", date=date(2024, 1, 1), paragraphs=[])
    a = replace(a, paragraphs=[Paragraph(i, t, normalize(t), 0, 0, Role.BODY)
                               for i, t in enumerate([para(50), quote, para(50)])])
    b = replace(a, id="b", path="b", source="Two", paragraphs=[
        Paragraph(i, t, normalize(t), 0, 0, Role.BODY) for i, t in enumerate([para(50), para(50), quote])])
    m = build_map([a, b])
    assert not m.is_boilerplate(normalize(quote)) and m.shared("a", "b").paragraphs == 1
