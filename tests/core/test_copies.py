"""Search hits carry the other copies of their story; --collapse lists each story once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.cli import main
from app.core.copies import group_hits
from app.core.model import Hit
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
