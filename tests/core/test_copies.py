"""Search hits carry the other copies of their story; --collapse lists each story once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.cli import main
from app.core.reading.model import Hit
from app.core.reuse.copies import group_hits
from tests.fixtures.syndication import Syndication, build_corpus


def _hit(aid: str) -> Hit:
    return Hit(aid, aid, aid, "", "", date(2024, 1, 1), 1.0)


def test_group_hits_folds_later_copies_under_the_best_hit() -> None:
    story = {"a": ["b", "c"], "b": ["a", "c"], "c": ["a", "b"]}
    groups = group_hits([_hit(x) for x in "axbyc"], lambda aid: story.get(aid, []))
    assert [g.hit.id for g in groups] == ["a", "x", "y"]
    assert groups[0].copies == ("b", "c") and groups[0].folded == ("b", "c")
    assert groups[1].copies == () and groups[1].folded == ()


@pytest.fixture(scope="module")
def syndication(tmp_path_factory: pytest.TempPathFactory) -> Syndication:
    return build_corpus(tmp_path_factory.mktemp("copies") / "corpus", outlets=20, fanouts=(12, 6, 2), own=1)


def _search(capsys: pytest.CaptureFixture[str], syn: Syndication, query: str, *extra: str) -> dict:
    code = main(["search", query, "--corpus", str(syn.root), "--limit", "100", "--json", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_search_json_hits_carry_their_copies(capsys: pytest.CaptureFixture[str], syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    result = _search(capsys, syndication, f'"{story.title}"')
    hits = [h for h in result["hits"] if h["id"] in story.copies]
    assert len(hits) >= len(story.copies) // 2
    for hit in hits:
        assert set(hit["copies"]) == set(story.copies) - {hit["id"]}
        assert set(hit["same_text"]) <= set(hit["copies"])
    others = [h for h in result["hits"] if h["id"] not in story.copies]
    assert all(not set(h["copies"]) & set(story.copies) for h in others)


def test_collapse_lists_each_story_once(capsys: pytest.CaptureFixture[str], syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    flat = _search(capsys, syndication, f'"{story.title}"')
    collapsed = _search(capsys, syndication, f'"{story.title}"', "--collapse")
    assert collapsed["collapsed"] is True
    of_story = [h for h in collapsed["hits"] if h["id"] in story.copies]
    assert len(of_story) == 1
    [lead] = of_story
    assert lead["id"] == next(h["id"] for h in flat["hits"] if h["id"] in story.copies)  # the best hit
    assert set(lead["folded"]) == {h["id"] for h in flat["hits"] if h["id"] in story.copies} - {lead["id"]}
    assert len(lead["copies"]) == len(story.copies) - 1
    code = main(["search", f'"{story.title}"', "--corpus", str(syndication.root), "--collapse"])
    out = capsys.readouterr().out
    assert code == 0 and f"+{len(story.copies) - 1} copies" in out


def test_search_json_without_copies_is_unchanged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("Alone\n\nA single article about the harbour and nothing else.\n")
    result = _search(capsys, Syndication(tmp_path / "c", [], {}, []), "harbour")
    assert [h["copies"] for h in result["hits"]] == [[]]


def test_related_json_groups_the_copies_by_version(capsys: pytest.CaptureFixture[str],
                                                   syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    aid = story.copies[0]
    code = main(["related", aid, "--corpus", str(syndication.root), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert set(data["copies"]) == set(story.copies) - {aid}
    versions = data["versions"]
    assert sorted(x for v in versions for x in v) == sorted(story.copies)  # every copy in one version
    assert [len(v) for v in versions] == sorted((len(v) for v in versions), reverse=True)
    code = main(["related", aid, "--corpus", str(syndication.root)])
    assert f"{len(story.copies)} copies, {len(versions)} version" in capsys.readouterr().out


class _MapBuilds:
    """Counts the reuse maps built (``search --json`` should read the saved table instead)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import app.core.reuse.reuseindex as reuseindex

        self.count = 0
        real = reuseindex.ReuseMap

        def counted(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(reuseindex, "ReuseMap", counted)


def _story_search(capsys: pytest.CaptureFixture[str], syn: Syndication, story: object) -> dict:
    return _search(capsys, syn, f'"{story.title}"')  # type: ignore[attr-defined]


@pytest.fixture
def small_syndication(tmp_path: Path) -> Syndication:
    return build_corpus(tmp_path / "corpus", outlets=8, fanouts=(6, 3), own=1, html_share=0.0)


def test_search_json_reads_the_saved_copies_table(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  small_syndication: Syndication) -> None:
    from app.core.workspace.corpus import Corpus

    syn = small_syndication
    story = max(syn.stories, key=lambda s: len(s.copies))
    builds = _MapBuilds(monkeypatch)
    first = _story_search(capsys, syn, story)
    assert builds.count == 1 and first["copies_source"] == "map"
    assert Corpus(syn.root).reuse.clusters_path.is_file()
    again = _story_search(capsys, syn, story)
    assert builds.count == 1, "the second search built the map again instead of reading the table"
    assert again["copies_source"] == "map"
    assert [(h["id"], h["copies"], h["same_text"]) for h in again["hits"]] == \
        [(h["id"], h["copies"], h["same_text"]) for h in first["hits"]]
    hit = next(h for h in again["hits"] if h["id"] in story.copies)
    assert set(hit["copies"]) == set(story.copies) - {hit["id"]}
    rmap = Corpus(syn.root).reuse_map()
    for h in again["hits"]:  # the table answers as the map does
        assert h["copies"] == (rmap.copies(h["id"]) if h["id"] in rmap else [])
        assert h["same_text"] == (rmap.duplicates(h["id"]) if h["id"] in rmap else [])


def test_a_new_mark_makes_the_table_stale(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                          small_syndication: Syndication) -> None:
    from app.core.workspace.corpus import Corpus

    syn = small_syndication
    story = max(syn.stories, key=lambda s: len(s.copies))
    _story_search(capsys, syn, story)
    builds = _MapBuilds(monkeypatch)
    corpus = Corpus(syn.root)
    assert corpus.copies_table(build=False)[1] == "map"
    corpus.userdata.mark("A paragraph the analyst calls boilerplate from now on, wherever it recurs.",
                         "boilerplate")
    assert Corpus(syn.root).copies_table(build=False)[1] == "exact"  # stale: not used
    assert _story_search(capsys, syn, story)["copies_source"] == "map"
    assert builds.count == 1  # built once for the new mark, then saved
    _story_search(capsys, syn, story)
    assert builds.count == 1


def test_the_table_is_rebuilt_after_an_index_change(capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    small_syndication: Syndication) -> None:
    syn = small_syndication
    story = max(syn.stories, key=lambda s: len(s.copies))
    _story_search(capsys, syn, story)
    source = syn.root / story.copies[0]
    extra = source.with_name("reprint-" + source.name)
    extra.write_bytes(source.read_bytes())  # one more copy of the story
    new_id = extra.relative_to(syn.root).as_posix()
    builds = _MapBuilds(monkeypatch)
    result = _story_search(capsys, syn, story)
    assert builds.count == 1 and result["copies_source"] == "map"
    hit = next(h for h in result["hits"] if h["id"] == story.copies[0])
    assert new_id in hit["copies"] and new_id in hit["same_text"]


def test_without_a_current_table_exact_copies_are_said_so(small_syndication: Syndication) -> None:
    from app.core.workspace.corpus import Corpus

    syn = small_syndication
    story = max(syn.stories, key=lambda s: len(s.copies))
    corpus = Corpus(syn.root)
    corpus.update_index()
    table, source = corpus.copies_table(build=False)
    assert source == "exact"
    assert set(table.copies(story.copies[0])) <= set(story.copies)  # only copies, never another story
