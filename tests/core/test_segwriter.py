"""The numpy segment writer writes what stock Whoosh's SegmentWriter writes, as Whoosh reads it."""

from __future__ import annotations

import functools
import random
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from app.core.engine import bulkindex, segwriter
from app.core.engine.analysis import TermTable, index_terms
from app.core.engine.index import INDEX_NAME, CorpusIndex, document_for, make_schema
from app.core.reading.reader import iter_corpus_files, read_article
from app.core.search.fulltext import search

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
WORDS = ["alliance", "treaty", "summit", "ferry", "strait", "cormorant", "harbour", "minister", "pipeline", "sanction", "grain", "corridor", "parliament", "envoy", "frigate", "tariff"]
STOP = ["the", "of", "and", "to", "in", "a", "is", "that"]


def _docs() -> list[dict]:
    """Seed articles plus generated documents that reach every encoding branch."""
    docs = [document_for(read_article(p, SEEDS)) for p in iter_corpus_files(SEEDS)]
    rng = random.Random(7)
    for i in range(300):  # a common term in > 128 documents: several blocks per term
        n = rng.randint(5, 120)
        body = " ".join(rng.choice(WORDS + STOP) for _ in range(n))
        docs.append({"id": f"g{i}", "path": f"g{i}.txt", "title": f"Title {rng.choice(WORDS)} {i}",
                     "source": rng.choice(["North Desk", "South Desk"]), "author": "Ann Lee",
                     "body": "The of " + body, "chrome": "Subscribe" if i % 3 else "", "npara": 3,
                     "date": datetime(2020, 1 + i % 12, 1 + i % 28)})
    # Distinct names and dates, most of them met once: the writer makes their terms itself.
    names = ["Ann Lee", "O'Brien", "D’Arcy-Smith", "王小明", "Мария Иванова", "ANNE marie", "J. R. R. Tolkien",
             "x_1 2nd", "—", "", "Lee Ann", "the Desk", "李 Wire", "Éric Zoé"]
    for i in range(80):
        docs.append({"id": f"n{i}", "path": f"n{i}.txt", "title": f"Name {i}", "npara": 1,
                     "source": rng.choice(names) + ("" if i % 3 else f" {i}"),
                     "author": f"{rng.choice(names)} {rng.choice(names)}".strip(), "body": rng.choice(WORDS),
                     "date": datetime(rng.choice([1901, 1969, 1970, 2024, 9999]), 1 + i % 12, 1 + i % 28,
                                      i % 24, i % 60, i % 60, i * 12_345 % 1_000_000)})
    docs.append({"id": "repeat", "path": "r.txt", "title": "Ferry ferry ferry",
                 "body": " ".join(["ferry"] * 300), "npara": 1})  # a value over 255 bytes
    docs.append({"id": "long", "path": "l.txt", "title": "Long",  # positions past 65,535
                 "body": " ".join(rng.choice(WORDS) for _ in range(70_000)), "npara": 1})
    docs.append({"id": "mixed", "path": "m.txt", "title": "多语言 заголовок",
                 "body": "Союзники подписали договор. 中国和俄罗斯的合作关系 the alliance's envoy", "npara": 1})
    docs.append({"id": "empty", "path": "e.txt", "title": "", "body": "", "npara": 0})
    docs.append({"id": "stops", "path": "s.txt", "title": "the of", "body": "the of and", "npara": 1})
    return docs


def _build(tmp: Path, cls: type, docs: list[dict]):
    tmp.mkdir()
    ix = FileStorage(str(tmp)).create_index(make_schema(), indexname=INDEX_NAME)
    writer = cls(ix)
    for doc in docs:
        writer.add_document(**doc)
    writer.commit()
    return FileStorage(str(tmp)).open_index(INDEX_NAME)


def _stats(info) -> tuple:
    return (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
            info.max_weight(), info.min_id(), info.max_id())


def _build_merged(tmp: Path, cls: type, docs: list[dict]):
    """Three segments, then merged into one (Whoosh stores merged lengths quantised)."""
    tmp.mkdir()
    ix = FileStorage(str(tmp)).create_index(make_schema(), indexname=INDEX_NAME)
    third = len(docs) // 3
    for part in (docs[:third], docs[third:2 * third], docs[2 * third:]):
        writer = cls(ix)
        for doc in part:
            writer.add_document(**doc)
        writer.commit(merge=False)
    assert len(ix._segments()) == 3
    cls(ix).commit(optimize=True)  # postings come back through the pool
    ix = FileStorage(str(tmp)).open_index(INDEX_NAME)
    assert len(ix._segments()) == 1
    return ix


@pytest.fixture(scope="module", params=["one segment", "merged segments", "sorted runs"])
def pair(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    docs = _docs()
    base = tmp_path_factory.mktemp("segwriter")
    old = segwriter._CHUNK_TOKENS, segwriter._MERGE_TERMS, segwriter._MERGE_BYTES
    segwriter._CHUNK_TOKENS = 500  # many encoding chunks, each ending on a term boundary
    segwriter._MERGE_TERMS, segwriter._MERGE_BYTES = 7, 3_000  # many merge steps too
    cls = segwriter.ArraySegmentWriter
    if request.param == "sorted runs":  # a run every ~2,000 tokens: terms in pieces across runs
        cls = functools.partial(segwriter.ArraySegmentWriter, run_tokens=2_000)
    try:
        build = _build_merged if request.param == "merged segments" else _build
        ours = build(base / "array", cls, docs)
    finally:
        segwriter._CHUNK_TOKENS, segwriter._MERGE_TERMS, segwriter._MERGE_BYTES = old
    # The reference is Whoosh's own writer as it ships, not a subclass of ours.
    return build(base / "whoosh", SegmentWriter, docs), ours, request.param


def test_same_terms_statistics_and_postings(pair: tuple) -> None:
    whoosh_ix, our_ix, kind = pair
    a, b = whoosh_ix.reader(), our_ix.reader()
    terms = list(a.all_terms())
    assert terms == list(b.all_terms()) and len(terms) > 1000
    checked_positions = blocks = split_blocks = 0
    for field, text in terms:
        assert _stats(a.term_info(field, text)) == _stats(b.term_info(field, text)), (field, text)
        ma, mb = a.postings(field, text), b.postings(field, text)
        while ma.is_active():
            assert mb.is_active()
            assert (ma.id(), ma.weight()) == (mb.id(), mb.weight()), (field, text)
            if kind == "sorted runs":
                # Blocks end where runs end too: each block's own summary must still hold.
                assert mb.block_max_weight() >= mb.weight() and mb.id() <= mb.block_max_id()
                split_blocks += mb.block_max_id() != ma.block_max_id()
            else:
                assert (ma.block_max_weight(), ma.block_min_length(), ma.block_max_length()) == (
                    mb.block_max_weight(), mb.block_min_length(), mb.block_max_length())
            if field in ("body", "title", "chrome", "source", "author"):
                assert ma.value_as("positions") == mb.value_as("positions"), (field, text)
                checked_positions += 1
            if ma.block_max_id() == ma.id():
                blocks += 1
            ma.next()
            mb.next()
        assert not mb.is_active()
    assert checked_positions > 5_000 and blocks > 1000
    assert (split_blocks > 1000) == (kind == "sorted runs")


def test_same_stored_fields_lengths_and_scores(pair: tuple) -> None:
    whoosh_ix, our_ix, _kind = pair
    with whoosh_ix.searcher() as a, our_ix.searcher() as b:
        assert list(a.all_stored_fields()) == list(b.all_stored_fields())
        for field in ("title", "body", "chrome"):
            assert a.reader().field_length(field) == b.reader().field_length(field)
            assert [a.reader().doc_field_length(d, field) for d in range(a.doc_count_all())] == \
                   [b.reader().doc_field_length(d, field) for d in range(b.doc_count_all())]
        from whoosh.qparser import QueryParser
        for q in ("ferry", '"alliance treaty"', "ferry AND NOT harbour", "договор", "俄罗斯", "envoy"):
            query = QueryParser("body", a.schema).parse(q)
            hits_a = [(h.docnum, round(h.score, 6)) for h in a.search(query, limit=None)]
            hits_b = [(h.docnum, round(h.score, 6)) for h in b.search(query, limit=None)]
            assert hits_a == hits_b and hits_a, q


def test_term_table_matches_index_terms() -> None:
    table = TermTable()
    texts = [p.read_text("utf-8") for p in SEEDS.glob("*.txt")]
    texts += ["The of alliance", "中国和俄罗斯 Союзники the", "", "the of", "don't China's ’s"]
    for text in texts:
        ids, positions = table.encode(text)
        got: dict[str, list[int]] = {}
        for tid, pos in zip(ids.tolist(), positions.tolist(), strict=True):
            got.setdefault(table.terms[tid], []).append(pos)
        assert got == index_terms(text), text[:40]


def test_length_bytes_match_whoosh() -> None:
    from whoosh.util.numeric import length_to_byte

    lengths = np.array([0, 1, 2, 7, 100, 1000, 12_345, 106_373, 106_374, 10**7])
    assert segwriter.length_bytes(lengths).tolist() == [length_to_byte(int(n)) for n in lengths]


def test_bulk_load_in_several_segments_searches_like_serial(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(60):
        (root / f"a{i:02d}.txt").write_text(
            f"Dispatch {i}\n\nThe envoy number {i} reached the harbour before the frigate.\n", "utf-8")
    bulk = CorpusIndex(root, tmp_path / "bulk")
    bulk.bulk_threshold, bulk.bulk_min_bytes, bulk.segment_tokens = 10, 0, 60
    bulk.update()
    ix, _ = bulk.open()
    assert len(ix._segments()) >= 6
    serial = CorpusIndex(root, tmp_path / "serial")
    serial.update()
    for q in ("envoy", '"envoy number 7"', "harbour AND NOT frigate", "dispatch"):
        got = sorted((h.id, round(h.score, 5)) for h in search(bulk, q, limit=None).hits)
        want = sorted((h.id, round(h.score, 5)) for h in search(serial, q, limit=None).hits)
        assert got == want, q


def test_small_updates_never_merge_bulk_segments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulkindex, "SMALL_SEGMENT", 4)
    root = tmp_path / "corpus"
    root.mkdir()
    for i in range(40):
        (root / f"a{i:02d}.txt").write_text(f"Note {i}\n\nThe grain corridor opened again today.\n", "utf-8")
    idx = CorpusIndex(root, tmp_path / "ix")
    idx.bulk_threshold, idx.bulk_min_bytes, idx.segment_tokens = 10, 0, 40
    idx.update()
    bulk_segments = {s.segid for s in idx.open()[0]._segments() if s.doc_count() >= 4}
    assert len(bulk_segments) >= 3
    for round_ in range(8):
        (root / f"new{round_}.txt").write_text(f"Update {round_}\n\nA tariff on grain.\n", "utf-8")
        idx = CorpusIndex(root, tmp_path / "ix")
        idx.update()
        segments = idx.open()[0]._segments()
        assert bulk_segments <= {s.segid for s in segments}  # bulk segments are kept as they are
        small = [s for s in segments if s.doc_count() < 4]
        assert len(small) <= 6  # small segments are folded together once there are six
        assert len(segments) <= len(bulk_segments) + 6
    assert search(idx, "tariff", limit=None).total == 8


@pytest.mark.parametrize("bound", [1, 300, 1 << 16, (1 << 16) + 1, 3_000_000])
def test_stable_order_is_numpys_stable_argsort(bound: int) -> None:
    rng = np.random.default_rng(bound)
    keys = rng.integers(0, bound, 50_000, dtype=np.int64).astype(np.int32)
    keys[:10] = bound - 1  # the largest key, and ties
    assert np.array_equal(segwriter._stable_order(keys, bound), np.argsort(keys, kind="stable"))


def test_every_field_of_an_article_goes_through_the_arrays(tmp_path: Path) -> None:
    # Ids, names and dates too: nothing is left for Whoosh's per-posting pool.
    ix = FileStorage(str(tmp_path)).create_index(make_schema(), indexname=INDEX_NAME)
    writer = segwriter.ArraySegmentWriter(ix)
    for doc in _docs():
        writer.add_document(**doc)
    assert not writer.pool.fieldnames and not writer.pool.current
    assert {"id", "date", "source", "author", "title", "body", "chrome"} <= set(writer._acc)
    writer.cancel()


def test_boosted_tokens_are_refused_rather_than_written_wrong(tmp_path: Path) -> None:
    from whoosh.analysis import DelimitedAttributeFilter, RegexTokenizer
    from whoosh.fields import TEXT, Schema

    schema = Schema(tagged=TEXT(analyzer=RegexTokenizer(r"\S+") | DelimitedAttributeFilter()))
    ix = FileStorage(str(tmp_path)).create_index(schema)
    writer = segwriter.ArraySegmentWriter(ix)
    writer.add_document(tagged="plain words")
    with pytest.raises(ValueError, match="boosted"):
        writer.add_document(tagged="heavy^2.0 words")
    writer.cancel()
