"""Alignment engine: table-driven cases, seed pairs, generated transformations and invariants."""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from app.core.align.paragraphs import AlignOptions, _candidates, _Side, align
from app.core.align.wordops import (
    Vocabulary,
    VocabularyFull,
    Words,
    clear_cache,
    shared_vocabulary,
    tokens,
    word_ops,
)
from app.core.reading.model import Article, Paragraph, Role, RowKind
from app.core.reading.reader import read_article
from app.core.reading.text import display_text, normalize

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
sys.path.insert(0, str(ROOT / "bench"))

from gen_copies import TRANSFORMS, load_pool, make_case  # noqa: E402

P1 = ("Russia and China signed more than twenty agreements worth almost twelve billion dollars "
      "during the visit, reflecting what both call the most balanced relationship in the world.")
P2 = ("The G20 meeting in Hamburg brought the most anticipated encounter of the year, between "
      "Donald Trump and Vladimir Putin, after months of tension over Syria.")
P3 = ("Analysts in Beijing expect the two leaders to coordinate their positions on North Korea "
      "before the summit, and to oppose any military attempt to change events there.")
P4 = ("A separate report on the regional economy found that grain exports had fallen sharply "
      "over the winter because of poor harvests and high transport costs.")
P2_EDITED = ("The G20 summit in Hamburg brought the most awaited encounter of the year, between "
             "Donald Trump and Vladimir Putin, after many months of tension over Syria.")
P1_A, P1_B = ("Russia and China signed more than twenty agreements worth almost twelve billion dollars "
              "during the visit,", "reflecting what both call the most balanced relationship in the world.")
SAME_TOPIC = ("Putin and Xi met in Moscow, where the leaders of Russia and China discussed the G20 summit, "
              "North Korea and Syria, and the balanced relationship between the two countries.")


def article(aid: str, *texts: str | tuple[str, Role]) -> Article:
    """An article from raw paragraph texts (a ``(text, role)`` pair sets the role)."""
    paragraphs, pos = [], 0
    for n, item in enumerate(texts):
        raw, role = item if isinstance(item, tuple) else (item, Role.BODY)
        paragraphs.append(Paragraph(n, display_text(raw), normalize(raw), pos, pos + len(raw), role))
        pos += len(raw) + 2
    return Article(id=aid, path=f"/t/{aid}", title=aid, paragraphs=paragraphs,
                   text="\n\n".join(t if isinstance(t, str) else t[0] for t in texts))


def links(result) -> list[tuple[tuple[int, ...], tuple[int, ...], str, bool]]:
    return [(r.left, r.right, str(r.kind), r.moved) for r in result.rows if r.is_match]


CASES = [
    # name, left paragraphs, right paragraphs, expected linked rows (left, right, kind, moved)
    ("verbatim", [P1, P2, P3], [P1, P2, P3],
     [((0,), (0,), "identical", False), ((1,), (1,), "identical", False), ((2,), (2,), "identical", False)]),
    ("markdown and typography noise", [f"**{P1[:20]}**{P1[20:]}", P2.replace("'", "’")],
     [P1.upper(), f"> {P2}"], [((0,), (0,), "identical", False), ((1,), (1,), "identical", False)]),
    ("word edits", [P1, P2], [P1, P2_EDITED],
     [((0,), (0,), "identical", False), ((1,), (1,), "changed", False)]),
    ("split in two", [P1, P2], [P1_A, P1_B, P2],
     [((0,), (0, 1), "identical", False), ((1,), (2,), "identical", False)]),
    ("two merged into one", [P1, P2, P3], [P1 + " " + P2, P3],
     [((0, 1), (0,), "identical", False), ((2,), (1,), "identical", False)]),
    ("reordered", [P1, P2, P3], [P2, P3, P1],
     [((0,), (2,), "identical", True), ((1,), (0,), "identical", False), ((2,), (1,), "identical", False)]),
    ("deleted and inserted", [P1, P2, P3], [P1, P4, P3],
     [((0,), (0,), "identical", False), ((2,), (2,), "identical", False)]),
    ("same topic, different text", [P1, P2, P3], [SAME_TOPIC], []),
    ("chrome only links to chrome", [("Share this article", Role.CHROME), P1],
     [("Follow us", Role.CHROME), ("Share this article", Role.CHROME), P1],
     [((0,), (1,), "boilerplate", False), ((1,), (2,), "identical", False)]),
    ("short moved chrome is not linked", [("Share this article", Role.CHROME), P1],
     [P1, ("Share this article", Role.CHROME)], [((1,), (0,), "identical", False)]),
    ("chrome never links to body", [("Share this article on social media now", Role.CHROME)],
     ["Share this article on social media now"], []),
]


@pytest.mark.parametrize(("name", "left", "right", "expected"), CASES, ids=[c[0] for c in CASES])
def test_table(name: str, left: list, right: list, expected: list) -> None:
    result = align(article("l", *left), article("r", *right))
    assert links(result) == expected


def test_split_in_three_and_merge_of_three() -> None:
    parts = ["The first sentence of a long paragraph talks about the summit in Moscow today.",
             "The second sentence explains what the two presidents agreed on trade and energy.",
             "The third sentence quotes a spokesman who praised the spirit of the talks."]
    whole = " ".join(parts)
    assert links(align(article("l", whole), article("r", *parts))) == [((0,), (0, 1, 2), "identical", False)]
    assert links(align(article("l", *parts), article("r", whole))) == [((0, 1, 2), (0,), "identical", False)]


def test_rows_follow_reading_order_of_both_sides() -> None:
    result = align(article("l", P1, P4, P3), article("r", P1, P2, P3))
    assert [(r.left, r.right, str(r.kind)) for r in result.rows] == [
        ((0,), (0,), "identical"), ((1,), (), "left_only"), ((), (1,), "right_only"), ((2,), (2,), "identical")]


def test_word_ops_mark_changed_words() -> None:
    result = align(article("l", P2), article("r", P2_EDITED))
    (row,) = result.rows
    left, right = result.left.paragraphs[0].text, result.right.paragraphs[0].text
    marked = [(op.tag, [left[s:e] for _, s, e in op.left], [right[s:e] for _, s, e in op.right]) for op in row.ops]
    assert marked == [("replace", ["meeting"], ["summit"]), ("replace", ["anticipated"], ["awaited"]),
                      ("insert", [], ["many"])]


def test_word_ops_across_a_split() -> None:
    a = article("l", "one two three four")
    b = article("r", "one two", "three five four")
    (op,) = word_ops(a.paragraphs, b.paragraphs)
    assert op.tag == "insert" and op.right == ((1, 6, 10),)


@pytest.mark.parametrize("left, right", [((), ()), ((P1,), ()), ((), (P1,))])
def test_empty_articles(left: tuple, right: tuple) -> None:
    result = align(article("l", *left), article("r", *right))
    assert [(r.left, r.right) for r in result.rows] == [((0,), ())] * len(left) + [((), (0,))] * len(right)
    assert result.summary().shared_rows == 0


def test_one_paragraph_articles() -> None:
    assert links(align(article("l", P1), article("r", P1))) == [((0,), (0,), "identical", False)]
    assert links(align(article("l", P1), article("r", P4))) == []


def test_identical_articles_link_everything() -> None:
    seed = read_article(SEEDS / "000_121b9dbdb0afe2a7.txt")
    result = align(seed, seed)
    assert all(r.is_match and not r.moved for r in result.rows)
    assert result.summary().left_shared_chars_pct == pytest.approx(100.0)


def test_seeds_001_004_same_body_different_chrome() -> None:
    left = read_article(SEEDS / "001_65ba17bf70f94427.txt")
    right = read_article(SEEDS / "004_a59c947b104b591b.txt")
    result = align(left, right)
    shared = [r for r in result.rows if r.is_match]
    assert len(shared) == 31
    assert all(r.kind is RowKind.IDENTICAL and not r.moved for r in shared)
    # Nothing after the article (comments, "Latest" teasers, donation widgets) is linked.
    last = max(i for r in shared for i in r.left)
    assert left.paragraphs[last].text.startswith("That the duel between these two great alliances")
    assert result.summary().right_shared_chars_pct == pytest.approx(100.0)


def test_seeds_000_002_disclaimer_despite_markdown() -> None:
    left = read_article(SEEDS / "000_121b9dbdb0afe2a7.txt")
    right = read_article(SEEDS / "002_eea9ff17f26105a2.txt")
    result = align(left, right)
    rows = {(r.left, r.right): r for r in result.rows if r.is_match}
    disclaimer = [k for k in rows if left.paragraphs[k[0][0]].text.startswith("Disclaimer:")]
    assert len(disclaimer) == 1
    assert right.paragraphs[disclaimer[0][1][0]].text.startswith("Disclaimer:")
    assert rows[disclaimer[0]].kind in (RowKind.IDENTICAL, RowKind.BOILERPLATE)
    known = {left.paragraphs[disclaimer[0][0][0]].norm}
    result = align(left, right, boilerplate=known)
    assert result.summary().shared_rows == 0
    assert any(r.kind is RowKind.BOILERPLATE and r.left == disclaimer[0][0] for r in result.rows)


@pytest.mark.parametrize("known", [{normalize(P4)}, frozenset({normalize(P4)}), lambda p: p.norm == normalize(P4)])
def test_known_boilerplate(known: object) -> None:
    result = align(article("l", P1, P4), article("r", P1, f"**{P4}**", P2), boilerplate=known)
    assert links(result) == [((0,), (0,), "identical", False), ((1,), (1,), "boilerplate", False)]
    assert result.summary().shared_rows == 1


def test_unrelated_seeds_share_nothing() -> None:
    for a, b in (("000", "003"), ("002", "003"), ("003", "004"), ("000", "004")):
        left = read_article(next(SEEDS.glob(f"{a}_*")))
        right = read_article(next(SEEDS.glob(f"{b}_*")))
        assert align(left, right).summary().shared_rows == 0, (a, b)


def test_options() -> None:
    assert links(align(article("l", P2), article("r", P2_EDITED), min_score=99.5)) == [
        ((0,), (0,), "changed", False)]  # still an excerpt: nearly all words in order
    result = align(article("l", P2), article("r", P2_EDITED), min_score=99.5, excerpt_containment=1.01)
    assert links(result) == []
    assert result.options["min_score"] == 99.5
    assert result.options["weak_words"] == AlignOptions().weak_words
    without_ops = align(article("l", P2), article("r", P2_EDITED), ops=False)
    assert without_ops.rows[0].kind is RowKind.CHANGED and without_ops.rows[0].ops == ()
    with pytest.raises(TypeError, match="no_such_option"):
        align(article("l", P1), article("r", P1), no_such_option=1)


POOL = load_pool()


@pytest.mark.parametrize("transform", [t for t in TRANSFORMS if t != "mixed"])
def test_generated_transformations(transform: str) -> None:
    rng = random.Random(TRANSFORMS.index(transform))
    for _ in range(3):
        case = make_case(transform, rng, POOL, 12)
        result = align(case.left, case.right)
        got = {(i, j) for r in result.rows if r.kind is not RowKind.BOILERPLATE for i in r.left for j in r.right}
        assert got <= case.links
        assert len(got) >= 0.9 * len(case.links)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 7), max_size=12),
    st.lists(st.integers(0, 7), max_size=12),
    st.lists(st.sampled_from([Role.BODY, Role.BODY, Role.CHROME, Role.BYLINE]), min_size=24, max_size=24),
)
def test_every_paragraph_in_exactly_one_row(lpick: list[int], rpick: list[int], roles: list[Role]) -> None:
    texts = [P1, P2, P3, P4, P1_A, P1_B, SAME_TOPIC, "Share"]
    left = article("l", *[(texts[k], roles[n]) for n, k in enumerate(lpick)])
    right = article("r", *[(texts[k], roles[12 + n]) for n, k in enumerate(rpick)])
    result = align(left, right)
    assert sorted(i for r in result.rows for i in r.left) == list(range(len(lpick)))
    assert sorted(j for r in result.rows for j in r.right) == list(range(len(rpick)))
    for r in result.rows:
        assert 0 <= r.score <= 100
        kinds = {left.paragraphs[i].is_body for i in r.left} | {right.paragraphs[j].is_body for j in r.right}
        if r.is_match and r.kind is not RowKind.BOILERPLATE:
            assert kinds == {True}


# --- the fast paths: numpy tokeniser, paragraph cache, vectorised candidate index ---

TRICKY = ["", "word", "don't stop", "'quoted' -dash- a--b a-'b x'y-z", "well-known co-op's", "__init__ 3-4",
          "Straße ﬁne İstanbul", "ΣΊΣΥΦΟΣ σς", "emoji 😀 here", "e\u0301te caf\u00e9", "中文 ＡＢＣ",
          "soft\u00adhyphen zero\u200bwidth", "curly ’ ‘ʼ′ ‐‑ quotes", "tab\tand\nnewline", "lone \ud800 surrogate"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("ab Z9_'-’‐.,\nßﬁİσ😀é\u0301中\u00ad")), max_size=30),
                min_size=1, max_size=8))
def test_batched_tokeniser_matches_the_regex(texts: list[str]) -> None:
    check_words(texts)


def test_batched_tokeniser_edge_cases() -> None:
    check_words(TRICKY)
    check_words(TRICKY[:-1])  # without the surrogate the batch goes through numpy
    for text in TRICKY[:-1]:
        check_words([text])


def check_words(texts: list[str]) -> None:
    vocab = Vocabulary()
    paragraphs = [Paragraph(n, t, t, 0, len(t)) for n, t in enumerate(texts)]
    for p, w in zip(paragraphs, vocab.words(paragraphs), strict=True):
        keys, starts, ends = tokens(p)
        assert (w.codes, list(w.starts), list(w.ends)) == (vocab.encode(keys), starts, ends), p.text
        assert list(w.unique) == sorted({ord(c) for c in w.codes})


def test_vocabulary_codes_skip_surrogates() -> None:
    vocab = Vocabulary()
    words = [f"w{n}" for n in range(0xD800 - 0x100 - 3)]
    vocab.encode(words)
    codes = vocab.encode([f"x{n}" for n in range(10)])
    assert len(set(codes)) == 10 and all(not 0xD800 <= ord(c) < 0xE000 for c in codes)
    codes.encode("utf-32-le")  # no surrogate slipped in


def test_repeated_alignment_uses_the_cache() -> None:
    case = make_case("mixed", random.Random(5), POOL, 20)
    clear_cache()
    first = align(case.left, case.right)
    again = align(case.left, case.right)
    assert again.rows == first.rows
    vocab = shared_vocabulary()
    assert vocab.words(case.left.paragraphs) == vocab.words(case.left.paragraphs)
    assert all(a is b for a, b in zip(vocab.words(case.left.paragraphs), vocab.words(case.left.paragraphs),
                                      strict=True))
    swapped = align(case.right, case.left)
    assert sorted((r.right, r.left) for r in swapped.rows if r.is_match) == sorted(
        (r.left, r.right) for r in first.rows if r.is_match)


def test_full_shared_vocabulary_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    class Full(Vocabulary):
        def words(self, paragraphs: Sequence[Paragraph]) -> list[Words]:
            raise VocabularyFull("full")

    expected = align(article("l", P1, P2), article("r", P1, P2_EDITED)).rows
    monkeypatch.setattr("app.core.align.paragraphs.shared_vocabulary", lambda: Full())
    assert align(article("l", P1, P2), article("r", P1, P2_EDITED)).rows == expected


def test_word_ops_with_known_tokens() -> None:
    a, b = article("l", P2), article("r", P2_EDITED)
    known = ({0: tokens(a.paragraphs[0])}, {0: tokens(b.paragraphs[0])})
    assert word_ops(a.paragraphs, b.paragraphs, Vocabulary(), known) == word_ops(a.paragraphs, b.paragraphs)


def reference_candidates(left: list[str], right: list[str], share: float) -> dict[tuple[int, int], float]:
    """The candidate rule spelled out with Python sets (the numpy index must agree)."""
    lsets, rsets = [set(s) for s in left], [set(s) for s in right]
    ldf = Counter(w for s in lsets for w in s)
    rdf = Counter(w for s in rsets for w in s)
    llimit, rlimit = max(4, share * len(left)), max(4, share * len(right))
    rare = {w for w, n in rdf.items() if n <= rlimit and ldf[w] <= llimit}
    out = {}
    for i, a in enumerate(lsets):
        for j, b in enumerate(rsets):
            shared = len(a & b & rare)
            if shared and shared * 10 >= 3 * min(len(a & rare), len(b & rare)):
                out[(i, j)] = fuzz.ratio(left[i], right[j])
        for j, b in enumerate(right):
            if b and b == left[i]:
                out[(i, j)] = 100.0
    return out


@pytest.mark.parametrize("transform", ["edit_30", "split", "mixed", "unrelated"])
def test_candidate_index_matches_the_rule(transform: str) -> None:
    case = make_case(transform, random.Random(11), POOL, 40)
    vocab = Vocabulary()
    sides = [_Side(a, vocab, lambda p: False) for a in (case.left, case.right)]
    got = _candidates(sides[0], sides[0].content, sides[1], sides[1].content, 0.05)
    enc = [[s.enc[i] for i in s.content] for s in sides]
    want = reference_candidates(enc[0], enc[1], 0.05)
    assert {(sides[0].content.index(i), sides[1].content.index(j)): r for (i, j), r in got.items()} == want


def test_threads_share_the_vocabulary_safely() -> None:
    cases = [make_case(t, random.Random(n), POOL, 25) for n, t in enumerate(["edit_15", "split", "mixed", "noise"] * 3)]
    expected = [align(c.left, c.right).rows for c in cases]
    clear_cache()
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda c: align(c.left, c.right).rows, cases))
    assert got == expected
