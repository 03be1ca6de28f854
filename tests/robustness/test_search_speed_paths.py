"""The vectorised search path returns exactly what Whoosh's own collector returns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.core.search import fulltext as search_mod
from app.core.workspace.corpus import Corpus

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUERIES = [
    "alliance", "Taiwan", "alliances", "Navalni~", "Navaln*", "title:Putin", "author:Bhadrakumar",
    'source:"Global Research"', "Taiwan AND NOT Duran", "Navalny OR Tashkent",
    "(Navalny OR Tashkent) AND Lai", "the OR alliance", "russia AND china", "al*", "c?ina",
    "russia AND NOT (china OR Taiwan)", "Putin~2", "zzzunknown", "alliance OR zzzunknown",
    "Taiwan ANDNOT russia", "Taiwan ANDNOT Duran", "alliance ANDMAYBE Taiwan",
]


def _run(corpus: Corpus, query: str, **kw) -> tuple:
    r = corpus.search(query, **kw)
    return r.total, [(h.id, h.score, h.snippets) for h in r.hits]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    for f in SEEDS.iterdir():
        if f.is_file():
            shutil.copy2(f, root / f.name)
    c = Corpus(root, tmp_path_factory.mktemp("ix"))
    c.update_index()
    # A deletion and a re-added file leave deleted documents in the segments.
    victim = sorted(p for p in root.iterdir() if p.is_file())[0]
    victim.unlink()
    c.update_index()
    return c


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("sort", ["score", "date"])
@pytest.mark.parametrize("limit", [1, 2, 20, None])
def test_fast_path_matches_whoosh(corpus: Corpus, monkeypatch: pytest.MonkeyPatch, query: str,
                                  sort: str, limit: int | None) -> None:
    fast = _run(corpus, query, sort=sort, limit=limit)
    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    slow = _run(corpus, query, sort=sort, limit=limit)
    assert fast == slow


@pytest.mark.parametrize("query", ["alliance", "Navalny OR Tashkent", "(Navalny OR Tashkent) AND Lai"])
def test_fast_path_is_used(corpus: Corpus, monkeypatch: pytest.MonkeyPatch, query: str) -> None:
    def boom(*a, **k):
        raise AssertionError("fell back to Whoosh's collector")

    monkeypatch.setattr(search_mod, "_whoosh_page", boom)
    assert corpus.search(query, limit=2).total >= 1
    assert corpus.search(query, limit=2, sort="date").total >= 1


def test_highlight_marks_whole_words_only() -> None:
    text = "rock'n'roll x''china china's Chinas chinaware china"
    out = " ".join(search_mod.highlight_text(text, frozenset({"china"})))
    assert "<b>china</b>'s" not in out
    assert "<b>china's</b>" in out and out.count("<b>") == 4
    assert "chinaware" in out and "<b>chinaware" not in out


def test_every_match_inside_a_snippet_is_marked() -> None:
    # The third "alliance" lies in the context after the snippet's group of matches (too far
    # to join the group): it is shown, so it must be marked.
    text = ("The reason for this is not difficult to see. Alliances tend to get defined by their enemies. "
            "The Russian-Chinese alliance is clearly pitted against the other great alliance system of "
            "the modern world: that of the US and its allies.")
    out = search_mod.highlight_text(text, frozenset({"allianc"}), top=1)
    assert "great <b>alliance</b> system" in out[0]
    assert out[0].lower().count("allianc") == out[0].count("<b>")
