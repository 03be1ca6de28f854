"""The vectorised search path against plain Whoosh on a generated corpus.

The index has segments written in different ways (the bulk indexer's numpy writer, small
uncompressed blocks, a compound segment, Whoosh's default) and deleted documents in several
of them. Every query runs twice, once with the fast path and once with
Whoosh's collector alone, and the hit count, page order and scores must be identical.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wquery
from whoosh.codec.whoosh3 import W3Codec
from whoosh.matching import wrappers
from whoosh.writing import SegmentWriter

from app.core.engine import postings, queryeval, searchpage, searchstate
from app.core.engine.analysis import token_terms
from app.core.engine.index import document_for
from app.core.reading.reader import read_article
from app.core.search import fulltext as search_mod
from app.core.workspace.corpus import Corpus

COMMON = ["alliance", "china", "russia", "energy", "trade", "talks", "border", "summit", "minister",
          "pipeline", "leaders", "meeting"]
STOP = ["the", "of", "and", "in", "a"]
PHRASES = ["xi the alliance", "energy energy", "trade talks trade", "border summit", "minister of energy",
           "new york new york"]
SOURCES = ["wire", "daily", "herald"]
AUTHORS = ["Anna Dubois", "Li Wei", "Omar Haddad"]


def _rare(rng: random.Random) -> str:
    return "".join(rng.choice(["za", "ve", "kro", "lin", "pax", "dul", "mi", "tor"]) for _ in range(3))


def _article(rng: random.Random, n: int) -> str:
    lines = ["---", f"title: {' '.join(rng.choice(COMMON + ['energy talks']) for _ in range(3)).title()}"]
    if rng.random() < 0.8:
        lines.append(f"author: {rng.choice(AUTHORS)}")
    lines.append(f"source: {rng.choice(SOURCES)}")
    if rng.random() < 0.75:  # some articles stay undated: they sort last by date
        lines.append(f"date: 20{rng.randint(10, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    lines += ["---", ""]
    topic = rng.sample(COMMON, 5)  # so that every common word is missing from some articles
    for _ in range(rng.randint(2, 6)):
        words = []
        for _ in range(rng.randint(15, 60)):
            r = rng.random()
            if r < 0.08:
                words.append(rng.choice(PHRASES))
            elif r < 0.3:
                words.append(rng.choice(STOP))
            elif r < 0.85:
                words.append(topic[min(int(rng.expovariate(0.5)), len(topic) - 1)])
            else:
                words.append(_rare(rng))
        lines += [" ".join(words).capitalize() + ".", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("generated")
    rng = random.Random(20240611)
    paths = []
    for i in range(330):
        path = root / f"a{i:03d}.md"
        path.write_text(_article(rng, i), "utf-8")
        paths.append(path)
    hidden = root.parent / f"{root.name}-later"
    hidden.mkdir()
    later = []
    for p in paths[150:]:  # indexed below by other writers, not by update_index
        later.append(p.rename(hidden / p.name))
    c = Corpus(root, tmp_path_factory.mktemp("ix"))
    c.index.bulk_threshold, c.index.bulk_min_bytes = 50, 0  # the first segments come from the bulk workers' writer
    c.index.run_tokens = 3_000  # merged from several sorted runs: blocks end where runs end
    c.update_index()
    for p in later:
        p.rename(root / p.name)
    ix, _ = c.index.open()
    # Small uncompressed blocks; then a compound segment; then Whoosh's default.
    for codec, batch, compound in [(W3Codec(blocklimit=8, compression=0), later[:70], False),
                                   (W3Codec(blocklimit=16), later[70:130], True),
                                   (None, later[130:], False)]:
        writer = SegmentWriter(ix, codec=codec, compound=compound)
        for p in batch:
            writer.add_document(**document_for(read_article(root / p.name, root)))
        writer.commit(merge=False)
    writer = ix.writer()
    # Deletions in every segment but the last, among them the last document of a segment.
    for i in [*range(0, 280, 7), 279]:
        writer.delete_by_term("id", f"a{i:03d}.md")
    writer.commit(merge=False)
    return c


QUERIES = [
    # terms
    "alliance", "china", "pipeline", "zzzabsent", "alliance OR zzzabsent", "meeting",
    # phrases: stop words inside, repeated words, three and four words, title field, no match
    '"xi the alliance"', '"energy energy"', '"trade talks trade"', '"border summit"', '"minister of energy"',
    '"new york new york"', '"york new"', '"summit border"', '"talks trade talks"', 'title:"energy talks"',
    '"china zzzabsent"', '"alliance"',
    # booleans
    "alliance AND energy", "alliance AND NOT energy", "NOT alliance", "alliance OR NOT energy",
    "(alliance OR china) AND NOT (energy AND talks)", "alliance ANDNOT china", "alliance ANDMAYBE china",
    "((alliance OR border) AND (china OR trade)) OR summit", "alliance OR china OR summit OR pipeline",
    '"xi the alliance" OR pipeline', 'china AND NOT "energy energy"', '"border summit" AND "xi the alliance"',
    "NOT (china OR russia OR energy)",
    # patterns
    "al*", "en*", "a*", "*ance", "tr?de", "s?mmit OR border", "pipelin*", "za*", "*kro*", "*e*", "*i*",
    # fields
    "title:china", 'author:"Anna Dubois"', "source:wire", "source:wire AND title:energy", "title:ener*",
    # fuzzy and everything
    "allaince~1", "enrgy~2", "*", "title:*", "author:*", "alliance AND author:*", "NOT author:*",
]


def _run(corpus: Corpus, query: str, **kw) -> tuple:
    r = corpus.search(query, snippets=False, **kw)
    return r.total, [(h.id, h.score) for h in r.hits]


def _live_ids(corpus: Corpus) -> set[str]:
    ix, _ = corpus.index.open()
    with ix.searcher() as s:
        return {f["id"] for f in s.all_stored_fields()}


# The reference is Whoosh scoring every hit (limit=None), without deleted documents, because of
# two Whoosh bugs the fast path does not copy:
# - its top-k shortcut (block quality skipping) can miss the best documents, as with
#   "alliance AND energy" at limit 3 (whoosh-community/whoosh#413);
# - NOT can return a deleted document: InverseMatcher skips deleted documents only while the
#   negated term still has postings in the segment.


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("sort", ["score", "date"])
@pytest.mark.parametrize("limit", [1, 3, 20, None])
def test_same_as_whoosh(corpus: Corpus, monkeypatch: pytest.MonkeyPatch, query: str, sort: str,
                        limit: int | None) -> None:
    fast = _run(corpus, query, sort=sort, limit=limit)
    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    live = _live_ids(corpus)
    _, every = _run(corpus, query, sort=sort, limit=None)
    every = [hit for hit in every if hit[0] in live]
    assert fast == (len(every), every[:limit] if limit else every)


@pytest.mark.parametrize("query", ["*e*", "*i*", "a*", "title:*e*", "*e* AND NOT pipeline"])
def test_wide_patterns_summed_like_whoosh(corpus: Corpus, monkeypatch: pytest.MonkeyPatch, query: str) -> None:
    # Large segments sum a pattern's expansions along Whoosh's weighted tree of matchers (small
    # ones count 1 per document): force the tree here, where every segment is small.
    monkeypatch.setattr(wquery.Or, "matcher_type", wquery.Or.DEFAULT_MATCHER)

    def boom(*a, **k):
        raise AssertionError("fell back to Whoosh's collector")

    with monkeypatch.context() as m:
        m.setattr(search_mod, "_whoosh_page", boom)
        fast = _run(corpus, query, limit=5)
    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    _, every = _run(corpus, query, limit=None)
    assert fast[1] == every[:5]


def _shape(m) -> object:
    """A matcher tree as nested pairs of the terms at its leaves (None for a stand-in)."""
    from whoosh.matching import UnionMatcher
    from whoosh.matching.wrappers import FilterMatcher

    if isinstance(m, UnionMatcher):
        return (_shape(m.a), _shape(m.b))
    leaf = m.child if isinstance(m, FilterMatcher) else m
    if type(m) is wrappers.WrappingMatcher:
        return ("boost", _shape(m.child))
    term = getattr(leaf, "_term", None)
    return term[1] if term and leaf.is_active() else None


def _same_tree(real: object, mine: object, keep: set[bytes]) -> bool:
    """Same nesting, the kept terms at the same leaves, stand-ins at the others."""
    if isinstance(real, tuple):
        return isinstance(mine, tuple) and len(real) == len(mine) and all(
            _same_tree(a, b, keep) for a, b in zip(real, mine, strict=True))
    if real == "boost":
        return mine == "boost"
    return mine == real if real in keep else mine is None


@pytest.mark.parametrize("pattern", ["*e*", "*i*", "a*", "title:*e*"])
def test_narrowed_pattern_keeps_whoosh_tree(corpus: Corpus, monkeypatch: pytest.MonkeyPatch, pattern: str) -> None:
    monkeypatch.setattr(wquery.Or, "matcher_type", wquery.Or.DEFAULT_MATCHER)
    q = search_mod.parse(corpus.index, pattern)
    q = next(sub for sub in ([q] if not q.subqueries else q.subqueries) if isinstance(sub, wquery.PatternQuery)) \
        if hasattr(q, "subqueries") else q
    with corpus._search.reading() as state:
        for sub, _ in state.searcher.leaf_searchers():
            words = [w for w in q._btexts(sub.reader()) if w]
            if len(words) < 4:
                continue
            keep = set(words[::3])
            df = {w: sub.reader().doc_frequency(q.fieldname, w) for w in words}
            narrowed = searchpage._NARROWED[type(q)](q, {searchstate.segment_key(sub.reader()): (keep, df)}, {})
            assert narrowed.estimate_size(sub.reader()) == q.estimate_size(sub.reader())
            context = state.searcher.context()
            real, mine = _shape(q.matcher(sub, context)), _shape(narrowed.matcher(sub, context))

            assert _same_tree(real, mine, keep)


@pytest.mark.parametrize("pattern", ["a*", "*e*", "*ance", "tr?de", "s?mmit", "pipelin*", "*", "z*", "al*", "minister*"])
def test_pattern_expansions_as_whoosh(corpus: Corpus, pattern: str) -> None:
    with corpus._search.reading() as state:
        ev = queryeval.Evaluator(state)
        for field in ("title", "body"):
            q = wquery.Wildcard(field, pattern).normalize()
            if not isinstance(q, wquery.PatternQuery):
                continue
            for leaf, _ in state.leaves:
                words, postings_count = ev._expand(leaf, q)
                assert words == [w for w in q._btexts(leaf) if w]
                if postings_count is not None:
                    assert postings_count == sum(leaf.doc_frequency(field, w) for w in words)


def test_too_wide_pattern_is_refused_quickly(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queryeval, "_PATTERN_SECONDS", 0.003)
    with pytest.raises(search_mod.QueryError, match="'\\*e\\*' matches too many words"):
        corpus.search("*e*")
    assert corpus.search("pipelin*").total  # a narrow one still runs


def test_whoosh_not_can_return_a_deleted_document(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    # Why the reference above drops deleted documents.
    live = _live_ids(corpus)
    fast = {w: {h.id for h in corpus.search(f"NOT body:{w}", limit=None, snippets=False).hits} for w in COMMON}
    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    slow = {w: {h.id for h in corpus.search(f"NOT body:{w}", limit=None, snippets=False).hits} for w in COMMON}
    for w in COMMON:
        assert fast[w] <= live
        assert slow[w] & live == fast[w]
    assert any(slow[w] - live for w in COMMON)


def test_queries_have_hits(corpus: Corpus) -> None:
    # A comparison of two empty results would prove nothing.
    empty = {q for q in QUERIES if not corpus.search(q, limit=1, snippets=False).total}
    assert empty <= {"zzzabsent", '"china zzzabsent"', '"summit border"'}


@pytest.mark.parametrize("query", [q for q in QUERIES if q not in ("alliance ANDMAYBE china",)])
@pytest.mark.parametrize("sort", ["score", "date"])
def test_fast_path_is_used(corpus: Corpus, monkeypatch: pytest.MonkeyPatch, query: str, sort: str) -> None:
    def boom(*a, **k):
        raise AssertionError("fell back to Whoosh's collector")

    monkeypatch.setattr(search_mod, "_whoosh_page", boom)
    corpus.search(query, limit=20, sort=sort, snippets=False)


def test_snippets_same_as_whoosh_path(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = corpus.search('"xi the alliance" OR pipeline', limit=5)
    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    slow = corpus.search('"xi the alliance" OR pipeline', limit=5)
    assert fast == slow
    assert any("<b>" in s for h in fast.hits for s in h.snippets)


def test_index_has_the_intended_shape(corpus: Corpus) -> None:
    ix, _ = corpus.index.open()
    with ix.searcher() as s:
        leaves = [leaf for leaf, _ in s.reader().leaf_readers()]
        assert len(leaves) >= 4
        assert sum(leaf.has_deletions() for leaf in leaves) == len(leaves) - 1
        assert any(leaf.segment().is_compound() for leaf in leaves)
        assert s.doc_count_all() == 330


def test_postings_read_as_whoosh_reads_them(corpus: Corpus) -> None:
    ix, _ = corpus.index.open()
    seen_plain = seen_compressed = 0
    with ix.searcher() as s:
        for leaf, _ in s.reader().leaf_readers():
            for field in ("title", "body", "author", "source"):
                fmt = leaf.schema[field].format
                words, df = postings.term_frequencies(leaf, field)
                assert words == list(leaf.lexicon(field))
                assert df.tolist() == [leaf.doc_frequency(field, w) for w in words]
                for btext in leaf.lexicon(field):
                    m = leaf._terms.matcher(field, btext, fmt)
                    ids, weights, positions = [], [], []
                    while m.is_active():
                        ids.append(m.id())
                        weights.append(m.weight())
                        positions.append(fmt.decode_positions(m.value()))
                        m.next()
                    tp = postings.read_term(leaf, field, btext)
                    assert tp.ids.tolist() == ids
                    assert tp.weights.astype(float).tolist() == weights
                    some = tp.ids[::3]
                    docs, pos = postings.read_positions(leaf, field, tp, some)
                    expected = [(d, p) for d, ps in zip(ids[::3], positions[::3], strict=True) for p in ps]
                    assert list(zip(docs.tolist(), pos.tolist(), strict=True)) == expected
                    seen_plain += 0 in tp.comps
                    seen_compressed += 0 not in tp.comps
    assert seen_plain and seen_compressed  # uncompressed and compressed blocks were both read


def test_terms_read_together_as_one_by_one(corpus: Corpus) -> None:
    ix, _ = corpus.index.open()
    with ix.searcher() as s:
        for leaf, _ in s.reader().leaf_readers():
            words = list(leaf.lexicon("body"))[::7] + [b"zzzabsent"]
            together = postings.read_terms(leaf, "body", words)
            assert together[-1] is None
            for word, tp in zip(words[:-1], together, strict=False):
                alone = postings.read_term(leaf, "body", word)
                assert np.array_equal(tp.ids, alone.ids) and np.array_equal(tp.weights, alone.weights)
                assert np.array_equal(tp.starts, alone.starts) and np.array_equal(tp.heads, alone.heads)


def test_partial_postings_decode_only_the_blocks_asked_for(corpus: Corpus) -> None:
    ix, _ = corpus.index.open()
    partial = 0
    with ix.searcher() as s:
        for leaf, _ in s.reader().leaf_readers():
            for btext in leaf.lexicon("body"):
                full = postings.read_term(leaf, "body", btext)
                docs = full.ids[::9][:3].astype(np.int64)
                if 4 * len(docs) >= len(full.ids):
                    continue
                tp = postings.read_term(leaf, "body", btext, docs)
                assert tp.covers(docs) and np.array_equal(tp.maxids, full.maxids)
                decoded = np.flatnonzero(tp.starts >= 0)
                partial += len(decoded) < len(tp.starts)
                expected = np.concatenate([full.ids[full.starts[k]:full.starts[k] + full.sizes[k]] for k in decoded])
                assert np.array_equal(tp.ids, expected)
                ids, weights = queryeval._restrict(tp, docs)
                assert np.array_equal(ids, docs) and np.array_equal(weights, full.weights[::9][:3])
                absent = np.setdiff1d(np.arange(int(docs[-1]) + 1), full.ids).astype(np.int64)
                absent = absent[tp.starts[tp.blocks_of(absent)] >= 0]  # in decoded blocks, not postings
                assert len(queryeval._restrict(tp, absent)[0]) == 0
    assert partial  # some terms were read in part


def _pickled_int(i: int) -> bytes:
    if i < 256:
        return b"K" + bytes([i])
    return b"M" + i.to_bytes(2, "little") if i < 65536 else b"J" + i.to_bytes(4, "little")


def test_block_heads_of_every_layout() -> None:
    # Whoosh's own layout (TUPLE1-3, memo puts) and the bulk writer's (MARK ... TUPLE), with ids
    # of mixed widths and weights of every kind.
    import pickle

    cases = [((5, 1, 300, 2, 70000), None), ((0, 1, 1, 1), 2.0), ((3, 4), (1.0, 3.0)), ((7,), None),
             ((1, 2, 3, 4, 5), (1.0, 2.0, 3.0, 4.0, 5.0)), ((9, 300, 300, 300), 1.5), ((70000, 3), 4.0),
             ((2, 1, 1), (1.0, 2.0, 2.0)), ((40000,), 3.0), ((3, 4), (1, 3)), ((1, 2, 3, 4, 5), (1, 2, 2, 7, 255))]
    raws = []
    for ids, weights in cases:
        if not (isinstance(weights, tuple) and isinstance(weights[0], int)):  # Whoosh writes floats only
            raws.append(pickle.dumps((ids, weights, ()), 2))
        mark = b"\x80\x02(" + b"".join(_pickled_int(i) for i in ids) + b"t"
        if weights is None:
            w = b"N"
        elif isinstance(weights, float):
            w = pickle.dumps(weights, 2)[2:-1]
        else:
            w = b"(" + b"".join(pickle.dumps(x, 2)[2:-1] for x in weights) + b"t"
        raws.append(mark + w + b"(t\x87.")
    scanned = 0
    whoosh_and_ours = [c for c in cases for _ in range(1 if isinstance(c[1], tuple) and isinstance(c[1][0], int) else 2)]
    for (ids, weights), raw in zip(whoosh_and_ours, raws, strict=True):
        n = len(ids)
        layout = postings._scan_head(raw, n)
        scanned += layout is not None
        layout = layout if layout is not None else postings._unpickled_head(pickle.loads(raw), n)
        got_ids, got_w = postings._assemble([raw], [layout], [n])
        assert got_ids.tolist() == np.cumsum(ids).tolist()
        w = [1.0] * n if weights is None else [weights] * n if isinstance(weights, float) else list(weights)
        assert got_w.tolist() == w
    assert scanned == len(raws)  # no layout of either writer needs the unpickling
    odd = pickle.dumps(([4, 1, 2, 3], None, ()), 2)  # a list, not a tuple: unpickled whole
    assert postings._scan_head(odd, 4) is None
    got_ids, got_w = postings._assemble([odd], [postings._unpickled_head(pickle.loads(odd), 4)], [4])
    assert got_ids.tolist() == [4, 5, 7, 10] and got_w.tolist() == [1.0] * 4


def test_searcher_is_reused_and_refreshed(tmp_path: Path) -> None:
    root = tmp_path / "c"
    root.mkdir()
    (root / "one.txt").write_text("Title one\n\nThe alliance met today in the capital city of the land.\n", "utf-8")
    c = Corpus(root, tmp_path / "ix")
    c.update_index()
    assert c.search("alliance").total == 1
    with c._search.reading() as state:
        first = state.searcher
    assert c.search("capital").total == 1
    with c._search.reading() as state:
        assert state.searcher is first  # not reopened between queries
    (root / "two.txt").write_text("Title two\n\nAnother alliance formed in a different capital.\n", "utf-8")
    c.update_index()
    assert c.search("alliance").total == 2  # a new generation is seen
    with c._search.reading() as state:
        assert state.searcher is not first
    assert first.is_closed


def test_fuzzy_expansion_is_every_term_within_the_distance(tmp_path: Path) -> None:
    from rapidfuzz.distance import DamerauLevenshtein

    root = tmp_path / "c"
    root.mkdir()
    (root / "a.txt").write_text("Title a\n\nThe naïve café in Москва met the naive cafe owner and the cafés.\n", "utf-8")
    (root / "b.txt").write_text("Title b\n\nA cage, a face, a safe place: Москве and москвы, nave and knave.\n", "utf-8")
    c = Corpus(root, tmp_path / "ix")
    c.update_index()
    with c._search.reading() as state:
        every = sorted({w.decode() for leaf, _ in state.leaves for w in leaf.lexicon("body")})
        for text, dist in [("naive", 1), ("naïve", 1), ("cafe", 1), ("café", 2), ("москва", 1), ("москв", 2),
                           ("nave", 2), ("zzz", 1)]:
            expected = [w for w in every if DamerauLevenshtein.distance(w, text) <= dist]
            assert state.near_terms("body", text, dist) == expected, text
        assert state.near_terms("body", "cafe", 1, prefixlength=2) == [w for w in every if w.startswith("ca")
                                                                        and DamerauLevenshtein.distance(w, "cafe") <= 1]
    assert c.search("naive~1").total == 1 and c.search("москва~1").total == 2


def test_phrase_with_repeated_words_needs_every_occurrence(corpus: Corpus) -> None:
    hits = corpus.search('"new york new york"', limit=None, snippets=False).total
    pairs = corpus.search('"new york"', limit=None, snippets=False).total
    assert 0 < hits <= pairs


def test_evaluator_marks_sums_of_many_parts_inexact(corpus: Corpus) -> None:
    with corpus._search.reading() as state:
        ev = queryeval.Evaluator(state)
        two = ev.eval(search_mod.parse(corpus.index, "alliance"))  # title OR body: two parts
        many = ev.eval(search_mod.parse(corpus.index, "alliance OR china OR summit"))
    assert two.exact and not many.exact


@pytest.mark.parametrize("word", ["Russia's", "dying", "lying", "tying", "running", "Generously", "skies",
                                  "news", "o'neil", "Agreed", "yes", "ugly", "China’s"])
def test_highlight_finds_what_the_analyzer_finds(word: str) -> None:
    terms = frozenset(token_terms(word))
    text = f"Before {word} after, and {word.upper()} again; unrelated words: runner nothing."
    expected = [m.span() for m in search_mod._WORD.finditer(text)
                if not terms.isdisjoint(token_terms(m.group()))]
    assert search_mod._marked_spans(text, terms) == expected
    assert search_mod._marked_spans(text + " ✓", terms) == expected  # the non-ASCII route


def test_highlight_matches_brute_force_on_mixed_text() -> None:
    pieces = ["Russia", "russia's", "Russia’s", "RUSSIAN", "rush", "ru", "dying", "die", "o'neil", "O’Neil",
              "naïve", "naive", "Москва", "москвы", "ёлка", "елка", "İstanbul", "istanbul", "Kelvin", "x''russia",
              "rock'n'roll", "’russia", "—", "ÉTÉ", "été", "a", "the", "yes", "ye", "4th", "中华人民", "t’s", "Ürün"]
    rng = random.Random(11)
    for _ in range(400):
        words = [rng.choice(pieces) for _ in range(rng.randint(1, 12))]
        text = "".join(w + rng.choice([" ", "-", "’", "'", ", ", "", "  "]) for w in words)
        terms = frozenset(t for w in rng.sample(pieces, 3) for t in token_terms(w))
        expected = [m.span() for m in search_mod._WORD.finditer(text)
                    if not terms.isdisjoint(token_terms(m.group()))]
        assert search_mod._marked_spans(text, terms) == expected, (text, terms)


def test_english_stems_keep_the_first_two_letters() -> None:
    # The highlighter skips ASCII words whose first two letters no stem in the query starts with.
    from whoosh.lang.snowball.english import EnglishStemmer

    from app.core.engine.analysis import stem_word

    special = EnglishStemmer._EnglishStemmer__special_words
    assert {w for w, s in special.items() if not w.startswith(s[:2])} == search_mod._IRREGULAR_STEMS
    rng = random.Random(3)
    letters = "aeiouy" * 3 + "bcdfghjklmnpqrstvwxz"
    endings = ["", "ing", "ingly", "ed", "edly", "ies", "ied", "s", "ly", "ational", "ness", "eed", "y", "e",
               "li", "bli", "ogi", "'s", "'", "ization", "fulness", "iviti"]
    for _ in range(40_000):
        w = "".join(rng.choice(letters) for _ in range(rng.randint(1, 9))) + rng.choice(endings)
        stem = stem_word(w)
        assert w.startswith(stem[:2]) or w in search_mod._IRREGULAR_STEMS, (w, stem)


def test_bulk_blocks_are_read_without_unpickling(corpus: Corpus) -> None:
    # The segment writer's one-byte int weights are among the layouts the block scanner reads.
    ix, _ = corpus.index.open()
    kinds: set = set()
    with ix.searcher() as s:
        for leaf, _ in s.reader().leaf_readers():
            terms = postings._terms_reader(leaf)
            for btext in leaf.lexicon("body"):
                _texts, layouts, *_ = postings._walk(terms, "body", btext, None)
                kinds.update(layout[3] if len(layout) == 5 else "unpickled" for layout in layouts)
    assert 3 in kinds and "unpickled" not in kinds
