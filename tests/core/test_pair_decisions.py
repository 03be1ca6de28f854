"""The analyst's decisions count everywhere a pair is aligned (issues 17 and 14 leftovers).

- A manual link or a not-a-match pair changes the change label (Related), the critical deltas
  (the Critical changes dock), the story's coverage and collation, and best match: all of them
  align through :func:`app.core.workspace.links.align_with_links`.
- "Mark as content" makes a paragraph whose role is chrome or byline content in compare,
  pairs, related, the story and the reports.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.cli import main
from app.core.align.changes import analyse, pair_change
from app.core.align.deltas import DeltaKind
from app.core.align.paragraphs import align
from app.core.compare.story import build_story
from app.core.reading.model import Article, Paragraph, Role, RowKind
from app.core.reading.text import normalize
from app.core.reuse.reuseindex import build_map
from app.core.reuse.reusemap import ReuseOverrides
from app.core.workspace.corpus import Corpus
from app.core.workspace.links import (
    LINK,
    NOT_A_MATCH,
    align_with_links,
    decision,
    save_pair,
    set_pair,
)
from app.core.workspace.userdata import UserData, marked_boilerplate, text_hash, with_marks
from tests.core.test_story import story_articles
from tests.fixtures.prose import WIRE_STORIES

TITLE, STORY = WIRE_STORIES[0]
OTHER = WIRE_STORIES[1][1]
# A story paragraph the role guesser takes for a disclaimer ("views expressed … do not
# necessarily represent"): chrome, though it is part of the story.
CHROMEY = ("The views expressed by the ministry do not necessarily represent those of the union, the "
           "mediator said, adding that both sides had agreed to meet again in the spring to review the deal.")
REWRITTEN = ("Analysts put the cost of the walkout near 90 million dollars for every day the ships waited, "
             "hitting perishable goods such as coffee and flowers hardest.")


def _write(folder: Path, name: str, paragraphs: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(TITLE + "\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


# ---------------------------------------------------------------------- the core helpers


def _para(n: int, text: str, role: Role) -> Paragraph:
    return Paragraph(n, text, normalize(text), 0, len(text), role)


def test_with_marks_makes_marked_chrome_and_byline_body() -> None:
    art = Article("x", "/x", "x", paragraphs=[_para(0, "Menu Home News", Role.CHROME),
                                              _para(1, "By Marta Oyelaran, staff writer", Role.BYLINE),
                                              _para(2, STORY[0], Role.BODY),
                                              _para(3, CHROMEY, Role.CHROME)])
    marked = with_marks(art, {text_hash(CHROMEY), text_hash("By Marta Oyelaran, staff writer")})
    assert [p.role for p in marked.paragraphs] == [Role.CHROME, Role.BODY, Role.BODY, Role.BODY]
    assert [p.role for p in art.paragraphs] == [Role.CHROME, Role.BYLINE, Role.BODY, Role.CHROME]  # untouched
    assert with_marks(art, {text_hash(STORY[0])}) is art  # a body paragraph marked content: nothing to do
    assert with_marks(art, frozenset()) is art


def test_marked_boilerplate_lays_the_marks_over_the_learned_test() -> None:
    chrome, body = _para(0, CHROMEY, Role.CHROME), _para(1, STORY[0], Role.BODY)
    overrides = ReuseOverrides(boilerplate=frozenset({text_hash(STORY[0])}), content=frozenset({text_hash(CHROMEY)}))
    for learned in (lambda p: True, {chrome.norm, body.norm}, None):
        test = marked_boilerplate(learned, overrides)
        assert callable(test) and not test(chrome) and test(body)
    assert marked_boilerplate({"x"}, ReuseOverrides()) == {"x"}  # no marks: the learned test as it is


# ---------------------------------------------------------------------- manual links everywhere


@pytest.fixture
def linked_pair(tmp_path: Path) -> tuple[Corpus, Article, Article]:
    """left: the story; right: ¶3 with a changed number, ¶6 rewritten past the aligner's threshold."""
    right = list(STORY)
    right[1] = right[1].replace("11 percent", "15 percent")
    right[4] = REWRITTEN
    _write(tmp_path / "c", "left.txt", STORY)
    _write(tmp_path / "c", "right.txt", right)
    corpus = Corpus(tmp_path / "c")
    return corpus, corpus.resolve("left.txt"), corpus.resolve("right.txt")


def _number_deltas(alignment) -> list[tuple[str, str]]:
    return [(d.before, d.after) for d in analyse(alignment).deltas if d.kind is DeltaKind.NUMBER]


def test_a_not_a_match_changes_the_label_figures_and_the_deltas(linked_pair) -> None:
    corpus, left, right = linked_pair
    before = align_with_links(corpus, left, right)
    assert ("11 percent", "15 percent") in _number_deltas(before)
    label_before = pair_change(before)
    save_pair(corpus.userdata, left, right, [decision(NOT_A_MATCH, left, 2, right, 2)])  # ¶3 : ¶3
    after = align_with_links(corpus, left, right)
    assert ((2,), (2,)) not in {(r.left, r.right) for r in after.rows if r.is_match}
    assert ("11 percent", "15 percent") not in _number_deltas(after)
    label_after = pair_change(after)
    assert label_after.retained < label_before.retained - 10 and label_after.added > label_before.added + 10
    # The plain aligner knows nothing of it: the difference is the decision, not the texts.
    assert _number_deltas(align(left, right)) == _number_deltas(before)


def test_a_manual_link_brings_its_deltas(linked_pair) -> None:
    corpus, left, right = linked_pair
    assert not any("90" in after for _b, after in _number_deltas(align_with_links(corpus, left, right)))
    save_pair(corpus.userdata, left, right, [decision(LINK, left, 5, right, 5)])  # ¶6 : ¶6, rewritten
    after = align_with_links(corpus, left, right)
    assert ((5,), (5,)) in {(r.left, r.right) for r in after.rows}
    assert any("60 million" in b and "90 million" in a for b, a in _number_deltas(after))


def test_best_match_follows_the_decisions(tmp_path: Path) -> None:
    """Best match scores the reuse map's candidates and, for an article the map does not know,
    the index's candidates alike: with the pair's decisions."""
    from app.core.compare.bestmatch import best_match

    _write(tmp_path / "c", "a.txt", STORY)
    _write(tmp_path / "c", "b.txt", STORY)  # the full copy
    _write(tmp_path / "c", "c.txt", [*STORY[:3], *OTHER[:3]])  # half of it
    for n, (title, paragraphs) in enumerate(WIRE_STORIES[2:6]):  # so that the story's words are rare
        (tmp_path / "c" / f"z{n}.txt").write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", "utf-8")
    corpus = Corpus(tmp_path / "c")
    corpus.update_index()
    a, b = corpus.resolve("a.txt"), corpus.resolve("b.txt")
    unknown = replace(a, content_hash="edited since the map was built")  # candidates from the index
    assert best_match(corpus, "a.txt") == best_match(corpus, unknown) == "b.txt"
    save_pair(corpus.userdata, a, b, [decision(NOT_A_MATCH, a, i, b, i) for i in range(len(a.paragraphs))])
    assert best_match(corpus, "a.txt") == best_match(corpus, unknown) == "c.txt"


@pytest.fixture(scope="module")
def story_map():
    arts = story_articles()
    return arts, build_map(arts.values())


def test_the_story_holds_the_pairs_manual_links(story_map) -> None:
    arts, rmap = story_map
    origin, copy = arts["origin.txt"], arts["a.txt"]
    plain = build_story(rmap, arts.__getitem__, "b.txt")
    assert plain.base == "origin.txt"
    cover = {c.index: c for c in plain.coverage}
    data = UserData()
    # Not a match: the base's ¶3 and a.txt's ¶3; a link: the base's ¶6 held with a.txt's ¶7.
    set_pair(data, copy, origin, [decision(NOT_A_MATCH, copy, 2, origin, 2),
                                  decision(LINK, copy, 6, origin, 5)], "now")  # stored swapped: still found
    story = build_story(rmap, arts.__getitem__, "b.txt", userdata=data)
    after = {c.index: c for c in story.coverage}
    assert after[2].carried == cover[2].carried - 1
    missing = next(line for line in story.collation(2) if line.state == "missing")
    assert "a.txt" in missing.copies
    assert not any(line.state == "missing" for line in plain.collation(2))
    held = next(line for line in story.collation(5) if "a.txt" in line.copies)
    assert held.state == "variant" and held.text == copy.paragraphs[6].text
    assert next(line for line in plain.collation(5) if "a.txt" in line.copies).state == "identical"


# ---------------------------------------------------------------------- mark as content on chrome


@pytest.fixture
def chrome_corpus(tmp_path: Path) -> Path:
    body = [*STORY[:3], CHROMEY, *STORY[3:]]
    for name in ("a.txt", "b.txt"):
        _write(tmp_path / "c", name, body)
    _write(tmp_path / "c", "other.txt", OTHER)
    return tmp_path / "c"


def test_mark_as_content_makes_a_chrome_paragraph_content_everywhere(capsys: pytest.CaptureFixture[str],
                                                                     chrome_corpus: Path, tmp_path: Path) -> None:
    corpus = str(chrome_corpus)
    shown = _run(capsys, "show", "a.txt", "--corpus", corpus)
    para = next(p for p in shown["paragraphs"] if p["text"] == CHROMEY)
    assert para["role"] == "chrome" and para["number"] == 5

    def state() -> tuple[str, str, int, int, int]:
        data = _run(capsys, "compare", "a.txt", "b.txt", "--corpus", corpus)
        row = next(r for r in data["rows"] if para["index"] in r["left"])
        return (row["kind"], data["left"]["paragraphs"][para["index"]]["role"], data["shared"]["paragraphs"],
                _run(capsys, "pairs", "--corpus", corpus)["pairs"][0]["shared_paragraphs"],
                _run(capsys, "related", "a.txt", "--corpus", corpus)["related"][0]["shared_paragraphs"])

    kind, role, shared, pairs, related = state()
    assert (kind, role) == ("boilerplate", "chrome")
    marked = _run(capsys, "boilerplate", "mark", "a.txt", "--paragraph", str(para["number"]), "--as", "content",
                  "--corpus", corpus)["marked"]
    assert marked["hash"] == f"{text_hash(CHROMEY):016x}"
    assert state() == ("identical", "body", shared + 1, pairs + 1, related + 1)
    # The report counts it as content: a plain paragraph, not page furniture.
    report = tmp_path / "r.html"
    assert main(["compare", "a.txt", "b.txt", "--corpus", corpus, "--html", str(report)]) == 0
    html = report.read_text("utf-8")
    cut = html.index(CHROMEY[:40])
    assert 'class="meta-para"' not in html[html.rindex("<p", 0, cut):cut]
    # The core sees it the same way: the window's alignment and the story.
    c = Corpus(chrome_corpus)
    al = align_with_links(c, c.resolve("a.txt"), c.resolve("b.txt"), boilerplate=c.reuse_map().is_boilerplate_paragraph)
    assert next(r for r in al.rows if para["index"] in r.left).kind is RowKind.IDENTICAL
    story = build_story(c.reuse_map(), c.article, "a.txt", userdata=c.userdata.refresh())
    assert para["number"] in story.paragraph_numbers()  # a content paragraph of the story now
    # Unmarked: the page's role decides again.
    _run(capsys, "boilerplate", "unmark", "a.txt", "--paragraph", str(para["number"]), "--corpus", corpus)
    assert state()[:3] == ("boilerplate", "chrome", shared)
