"""Manual alignment: anchors hold, the rest aligns around them, "not a match" holds, links are
found again after an edit or reported stale, and the user data keeps them apart from the index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.core.align.paragraphs import align
from app.core.reading.model import Article, Paragraph, Role
from app.core.reading.text import display_text, normalize
from app.core.workspace.links import (
    LINK,
    NOT_A_MATCH,
    LinkError,
    PairLinks,
    align_pair,
    decision,
    edit_pair,
    manual_rows,
    pair_for,
    plan,
    with_decision,
)
from app.core.workspace.userdata import (
    FORMAT_VERSION,
    UserData,
    UserDataStore,
    apply_session_userdata,
)
from tests.fixtures.prose import WIRE_STORIES

STORY = WIRE_STORIES[0][1]  # six paragraphs of agency copy
OTHER = WIRE_STORIES[1][1]


def article(aid: str, texts: list[str], title: str = "") -> Article:
    """An article from paragraph texts."""
    paragraphs, pos = [], 0
    for n, raw in enumerate(texts):
        paragraphs.append(Paragraph(n, display_text(raw), normalize(raw), pos, pos + len(raw), Role.BODY))
        pos += len(raw) + 2
    return Article(id=aid, path=f"/t/{aid}", title=title or aid, paragraphs=paragraphs,
                   text="\n\n".join(texts))


def pairs(alignment) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    """The matched rows as (left, right) index tuples."""
    return {(r.left, r.right) for r in alignment.rows if r.is_match}


def every_paragraph_once(alignment) -> bool:
    left = sorted(i for r in alignment.rows for i in r.left)
    right = sorted(j for r in alignment.rows for j in r.right)
    return left == list(range(len(alignment.left.paragraphs))) and right == list(range(len(alignment.right.paragraphs)))


LEFT = article("a.txt", STORY)
# The copy: the same story with an unrelated paragraph inserted after ¶2, and ¶5 dropped.
RIGHT = article("b.txt", [STORY[0], STORY[1], OTHER[0], STORY[2], STORY[3], STORY[5]])


# ---------------------------------------------------------------------- the aligner with anchors

ANCHOR_CASES = [
    # (name, anchors, forbidden, rows that must be there, rows that must not)
    ("no decisions: the automatic alignment", [], [],
     {((0,), (0,)), ((1,), (1,)), ((2,), (3,)), ((3,), (4,)), ((5,), (5,))}, set()),
    ("a link the aligner would not make holds", [((4,), (2,))], [],
     {((4,), (2,)), ((0,), (0,)), ((1,), (1,)), ((5,), (5,))}, set()),
    ("an anchor re-aligns around it: the paragraphs before it stay linked in order",
     [((1,), (2,))], [], {((1,), (2,)), ((0,), (0,)), ((5,), (5,))}, {((1,), (1,))}),
    ("two links sharing a paragraph make one group (a split held by hand)",
     [((2,), (3,)), ((2,), (4,))], [], {((2,), (3, 4))}, {((3,), (4,))}),
    ("not a match: the pair is never linked", [], [(2, 3)], {((0,), (0,)), ((3,), (4,))}, {((2,), (3,))}),
    ("not a match wins over an identical text", [], [(0, 0)], {((1,), (1,))}, {((0,), (0,))}),
    ("anchor and not-a-match together", [((4,), (2,))], [(5, 5)], {((4,), (2,))}, {((5,), (5,))}),
    ("out-of-range anchors are ignored", [((40,), (1,)), ((1,), (-1,))], [], {((1,), (1,))}, set()),
]


@pytest.mark.parametrize(("name", "anchors", "forbidden", "present", "absent"), ANCHOR_CASES,
                         ids=[c[0] for c in ANCHOR_CASES])
def test_anchors(name: str, anchors, forbidden, present, absent) -> None:
    result = align(LEFT, RIGHT, anchors=anchors, forbidden=forbidden)
    got = pairs(result)
    assert present <= got, f"{name}: missing {present - got}"
    assert not (absent & got), f"{name}: unexpected {absent & got}"
    assert every_paragraph_once(result)


def test_an_anchor_cuts_the_alignment_into_segments() -> None:
    """With ¶2 (left) held to the inserted paragraph, the left paragraphs after it can only pair
    with right paragraphs after it, in order; the ones before it with the ones before."""
    result = align(LEFT, RIGHT, anchors=[((2,), (2,))])
    got = pairs(result)
    assert ((2,), (2,)) in got
    assert ((3,), (4,)) in got and ((0,), (0,)) in got and ((1,), (1,)) in got
    held = next(n for n, r in enumerate(result.rows) if (r.left, r.right) == ((2,), (2,)))
    assert not result.rows[held].moved
    assert manual_rows(result) == {held}
    assert result.options["anchors"] == [[[2], [2]]]


def test_crossing_links_hold_as_moves() -> None:
    result = align(LEFT, RIGHT, anchors=[((0,), (5,)), ((5,), (0,))])
    got = pairs(result)
    assert {((0,), (5,)), ((5,), (0,))} <= got
    moved = [r for r in result.rows if (r.left, r.right) in {((0,), (5,)), ((5,), (0,))}]
    assert sum(r.moved for r in moved) == 1  # one of them stands in order, the other is a move
    assert every_paragraph_once(result)


def test_a_move_across_an_anchor_is_still_found() -> None:
    left = article("l", [STORY[0], STORY[1], STORY[2], STORY[3]])
    right = article("r", [STORY[3], STORY[1], OTHER[2], STORY[0], STORY[2]])
    result = align(left, right, anchors=[((1,), (2,))])
    got = pairs(result)
    assert ((1,), (2,)) in got
    assert ((3,), (0,)) in got  # before the anchor on the right, after it on the left: a move
    assert next(r for r in result.rows if (r.left, r.right) == ((3,), (0,))).moved


def test_without_decisions_the_alignment_is_unchanged() -> None:
    assert align(LEFT, RIGHT).rows == align(LEFT, RIGHT, anchors=[], forbidden=[]).rows
    assert "anchors" not in align(LEFT, RIGHT).options


# ---------------------------------------------------------------------- found again, or stale


def _pair_with(*made: tuple[str, int, int], left: Article = LEFT, right: Article = RIGHT) -> PairLinks:
    from app.core.workspace.links import ArticleKey

    items = [decision(kind, left, i, right, j) for kind, i, j in made]
    return PairLinks(ArticleKey.of(left), ArticleKey.of(right), items)


EDIT_CASES = [
    # (name, new left texts, expected left index of the link's paragraph, how)
    ("unchanged", STORY, 4, "exact"),
    ("a paragraph inserted before it: same text elsewhere", [OTHER[3], *STORY], 5, "moved"),
    ("its wording edited: found by similar text",
     [*STORY[:4], STORY[4].replace("about 60 million", "roughly 65 million"), STORY[5]], 4, "text"),
    ("merged with the next paragraph: found inside the merged one",
     [*STORY[:4], STORY[4] + " " + STORY[5]], 4, "text"),
    ("split in two: found at the larger piece",
     [*STORY[:4], *STORY[4].split(", with ", 1), STORY[5]], 5, "text"),
    ("rewritten beyond recognition: stale", [*STORY[:4], OTHER[4], STORY[5]], None, "stale"),
    ("deleted: stale", [*STORY[:4], STORY[5]], None, "stale"),
]


@pytest.mark.parametrize(("name", "texts", "where", "how"), EDIT_CASES, ids=[c[0] for c in EDIT_CASES])
def test_links_found_again_after_an_edit(name: str, texts: list[str], where: int | None, how: str) -> None:
    pair = _pair_with((LINK, 4, 2))
    edited = article("a.txt", texts)
    p = plan(pair, edited, RIGHT)
    (r,) = p.resolved
    assert (r.left, r.how) == (where, how), name
    if where is None:
        assert p.anchors == [] and p.stale == [r]
        assert "1 stale" in p.describe()
    else:
        assert p.anchors == [((where,), (2,))]
        result = align_pair(edited, RIGHT, UserData(links=[pair]))
        assert ((where,), (2,)) in pairs(result)
        assert result.options["links"]["stale"] == 0


def test_a_stale_link_is_kept_in_the_user_data(tmp_path: Path) -> None:
    store = UserDataStore(tmp_path, tmp_path / "ud.sqlite")
    edit_pair(store, LEFT, RIGHT, lambda items: with_decision(items, decision(LINK, LEFT, 4, RIGHT, 2)))
    edited = article("a.txt", [*STORY[:4], STORY[5]])
    result = align_pair(edited, RIGHT, UserDataStore(tmp_path, tmp_path / "ud.sqlite").data)
    assert result.options["links"]["stale"] == 1
    assert result.options["links"]["items"][0]["how"] == "stale"
    # A later change on the edited pair keeps the stale decision, and the original text gets it back.
    edit_pair(store, edited, RIGHT, lambda items: with_decision(items, decision(NOT_A_MATCH, edited, 0, RIGHT, 0)))
    data = UserDataStore(tmp_path, tmp_path / "ud.sqlite").data
    assert len(data.links) == 1 and len(data.links[0].items) == 2
    assert ((4,), (2,)) in pairs(align_pair(LEFT, RIGHT, data))


def test_a_later_decision_about_the_same_paragraphs_wins() -> None:
    items = with_decision([decision(LINK, LEFT, 4, RIGHT, 2)], decision(NOT_A_MATCH, LEFT, 4, RIGHT, 2))
    assert [m.kind for m in items] == [NOT_A_MATCH]
    p = plan(_pair_with((NOT_A_MATCH, 4, 2)), LEFT, RIGHT)
    assert p.forbidden == {(4, 2)} and not p.anchors


@pytest.mark.parametrize(("i", "j", "message"), [(9, 0, "no paragraph ¶10"), (0, -1, "no paragraph ¶0")])
def test_bad_paragraph_numbers(i: int, j: int, message: str) -> None:
    with pytest.raises(LinkError, match=message):
        decision(LINK, LEFT, i, RIGHT, j)


# ---------------------------------------------------------------------- kept by content, apart from the index


def test_found_by_content_after_a_rename_and_by_id_after_an_edit() -> None:
    data = UserData(links=[_pair_with((LINK, 4, 2))])
    renamed = article("moved/elsewhere.txt", STORY)
    assert pair_for(data, renamed, RIGHT) is not None
    edited = article("a.txt", [OTHER[3], *STORY])
    assert pair_for(data, edited, RIGHT) is not None
    assert pair_for(data, article("c.txt", OTHER), RIGHT) is None


def test_swapped_pair_sees_its_links_swapped() -> None:
    data = UserData(links=[_pair_with((LINK, 4, 2))])
    result = align_pair(RIGHT, LEFT, data)
    assert ((2,), (4,)) in pairs(result)


def test_user_data_round_trip_and_version(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "ud.sqlite"
    store = UserDataStore(tmp_path, path)
    edit_pair(store, LEFT, RIGHT, lambda items: with_decision(items, decision(LINK, LEFT, 4, RIGHT, 2)))
    edit_pair(store, LEFT, RIGHT, lambda items: with_decision(items, decision(NOT_A_MATCH, LEFT, 0, RIGHT, 0)))
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT seq, kind FROM link_items ORDER BY seq").fetchall() == [(0, LINK), (1, NOT_A_MATCH)]
    conn.close()
    again = UserDataStore(tmp_path, path).data
    assert again.links == store.data.links
    raw = again.to_json()  # the exchange form sessions carry
    assert raw["version"] == FORMAT_VERSION == 2
    assert [m["kind"] for m in raw["links"][0]["items"]] == [LINK, NOT_A_MATCH]
    # A version-1 file (before links) is still read: imported beside the links already stored.
    (tmp_path / "userdata.json").write_text(json.dumps({"format": "parallax-userdata", "version": 1, "marks": {}}))
    assert UserDataStore(tmp_path, path).data.links == again.links
    assert (tmp_path / "userdata.v1.backup.json").exists()


def test_damaged_links_are_reported_not_applied(tmp_path: Path) -> None:
    path = tmp_path / "userdata.json"
    path.write_text(json.dumps({"format": "parallax-userdata", "version": 2, "links": [{"items": "x"}]}))
    store = UserDataStore(tmp_path, tmp_path / "ud.sqlite")
    assert store.problem and "links[0]" in store.problem
    assert not store.data.links and not (tmp_path / "ud.sqlite").exists()


def test_session_carries_links_and_merge_keeps_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(tmp_path / "data"))
    elsewhere = UserData(links=[_pair_with((LINK, 4, 2), (NOT_A_MATCH, 0, 0))])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    local = UserDataStore(corpus)
    edit_pair(local, LEFT, RIGHT, lambda items: with_decision(items, decision(LINK, LEFT, 0, RIGHT, 0)))
    message, added = apply_session_userdata(corpus, elsewhere.to_json())
    assert added and "1 manual link" in (message or "")
    merged = UserDataStore(corpus).data
    kinds = {(m.left.index, m.right.index): m.kind for m in merged.links[0].items}
    assert kinds == {(0, 0): LINK, (4, 2): LINK}  # the local link stays; the other's new one is taken


# ---------------------------------------------------------------------- the command line


def _compare_json(capsys: pytest.CaptureFixture[str], corpus: Path, *extra: str) -> dict:
    from app.cli import main

    assert main(["compare", "001", "004", "--corpus", str(corpus), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _rows(data: dict) -> set[tuple[tuple[int, ...], tuple[int, ...]]]:
    return {(tuple(r["left"]), tuple(r["right"])) for r in data["rows"] if r["left"] and r["right"]}


def test_cli_link_unlink_not_a_match_and_save(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    from app.cli import main

    plain = _compare_json(capsys, seeds_copy)
    assert ((5,), (3,)) not in _rows(plain) and ((9,), (3,)) in _rows(plain)
    # --link 6:4 is ¶6 (index 5) with ¶4 (index 3); this run only.
    once = _compare_json(capsys, seeds_copy, "--link", "6:4")
    assert ((5,), (3,)) in _rows(once) and once["links"]["items"][0]["left_para"] == 6
    assert "links" not in _compare_json(capsys, seeds_copy)  # nothing was saved
    # Saved, with a not-a-match and an unlink by the right ¶ number.
    saved = _compare_json(capsys, seeds_copy, "--link", "6:4", "--not-a-match", "10:4", "--unlink", ":2",
                          "--save-links")
    assert ((5,), (3,)) in _rows(saved) and ((4,), (1,)) not in _rows(saved)
    again = _compare_json(capsys, seeds_copy)  # remembered
    assert _rows(again) == _rows(saved)
    assert main(["links", "list", "--corpus", str(seeds_copy), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(m["kind"], m["left"]["number"], m["right"]["number"]) for m in listed["pairs"][0]["items"]] == [
        (LINK, 6, 4), (NOT_A_MATCH, 10, 4), (NOT_A_MATCH, 5, 2)]
    # The text rendering says so too.
    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), "--text"]) == 0
    assert "manual: 1 manual link · 2 not-a-match" in capsys.readouterr().out
    assert main(["links", "clear", "001", "004", "--corpus", str(seeds_copy)]) == 0
    assert "Cleared 3 manual decisions" in capsys.readouterr().out
    assert _rows(_compare_json(capsys, seeds_copy)) == _rows(plain)


def test_cli_links_survive_an_index_rebuild(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    from app.core.workspace.corpus import Corpus

    _compare_json(capsys, seeds_copy, "--link", "6:4", "--save-links")
    corpus = Corpus(seeds_copy)
    corpus.update_index()
    index_dir = corpus.index.index_dir
    corpus.index.close()
    shutil.rmtree(index_dir)  # what a rebuild does to the index folder
    assert Corpus(seeds_copy).update_index().added  # really rebuilt from nothing
    assert ((5,), (3,)) in _rows(_compare_json(capsys, seeds_copy))


@pytest.mark.parametrize(("argv", "message"), [
    (("--link", "6"), "--link takes LEFT:RIGHT"),
    (("--link", "0:4"), "1-based"),
    (("--link", "600:4"), "no paragraph ¶600"),
    (("--unlink", "1"), "is not in a linked row"),
    (("--not-a-match", "a:b"), "1-based"),
])
def test_cli_bad_specs_are_one_line(capsys: pytest.CaptureFixture[str], seeds_copy: Path,
                                    argv: tuple[str, ...], message: str) -> None:
    from app.cli import main

    assert main(["compare", "001", "004", "--corpus", str(seeds_copy), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_session_report_applies_the_links(seeds_copy: Path) -> None:
    from app.core.sessions.session import ArticleRef, TabState
    from app.core.sessions.sessionalign import tab_alignment
    from app.core.workspace.corpus import Corpus

    corpus = Corpus(seeds_copy)
    left, right = corpus.resolve("001"), corpus.resolve("004")
    edit_pair(corpus.userdata, left, right, lambda items: with_decision(items, decision(LINK, left, 5, right, 3)))
    tab = TabState(ArticleRef.from_article(left, seeds_copy), ArticleRef.from_article(right, seeds_copy))
    assert ((5,), (3,)) in pairs(tab_alignment(tab, corpus))
