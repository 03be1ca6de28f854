"""Vectorised evaluation of Whoosh queries: exact hit sets, estimated scores, phrase checks.

Whoosh scores and counts every matching document in Python, a few microseconds each: a word
found in 98 % of 100k articles costs about a second, and a phrase of two such words several.
This module reads the postings with numpy (:mod:`app.core.postings`), evaluates the query's
boolean structure with sorted-array set operations (which gives the exact hit count) and
computes every document's BM25F score with Whoosh's formula. Phrases are checked on the
positions of the documents that hold all their words, rarest word first.

Scores are Whoosh's own where the arithmetic is the same (one term, or the sum of two), and
within rounding of them otherwise; :func:`app.core.search.search` lets Whoosh score the few
documents that can reach the page, so the page and its scores are exactly Whoosh's.
Query types not covered raise :class:`Unsupported` and go through Whoosh's collector.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from math import log

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh import query as wquery
from whoosh import scoring
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.binary import IntersectionMatcher
from whoosh.matching.mcore import ListMatcher, NullMatcher, ReadTooFar
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.searching import SearchContext
from whoosh.util import make_binary_tree
from whoosh.util.numeric import byte_to_length

from app.core.postings import (
    LRU,
    TermPostings,
    Unsupported,
    field_terms,
    read_positions,
    read_terms,
    term_frequencies,
)

__all__ = ["Caches", "Evaluation", "Evaluator", "ReaderState", "Timeout", "TooWide", "Unsupported"]

# An Or of this many clauses is evaluated by Whoosh with an array matcher (Or.TOO_MANY_CLAUSES).
_TOO_MANY_CLAUSES = wquery.Or.TOO_MANY_CLAUSES
# Below this many documents in a segment, Whoosh evaluates a wide Or with an array matcher.
_SMALL_SEGMENT = 5000
_LOWEST_DATE = -(2**40)  # below every ordinal, and safe to negate
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
# Terms of a pattern read at a time, between checks of the deadline.
_READ_CHUNK = 256
# A pattern is refused when reading its expansions would take longer than this: about 100 µs
# per term and segment, and 0.3 µs per posting.
_PATTERN_SECONDS = 1.5
# Microseconds per day in Whoosh's datetime columns (counted from datetime.min).
_DAY_US = 86_400_000_000


class Timeout(Exception):
    """The evaluation ran past its deadline."""


class TooWide(Exception):
    """A wildcard or prefix matches too many words to search in time (the message is user-facing)."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Matching documents (sorted global docnums) with their scores.

    ``exact`` tells that the scores are computed with Whoosh's own arithmetic, so they are
    bit-identical to what its matchers return; otherwise they agree to rounding only.
    """

    ids: np.ndarray
    scores: np.ndarray
    exact: bool = True


_EMPTY = Evaluation(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


class Caches:
    """What evaluations of one index keep between queries, keyed by segment (segments never change)."""

    def __init__(self, postings_bytes: int = 96 << 20, blocks_bytes: int = 32 << 20) -> None:
        self.postings = LRU(postings_bytes)
        self.blocks = LRU(blocks_bytes)
        self.per_segment: dict[Hashable, object] = {}

    def segment_array(self, key: Hashable):  # noqa: ANN201 - what was kept under ``key``
        """A cached per-segment array or table (lengths, date keys, terms)."""
        return self.per_segment.get(key)

    def keep_segment_array(self, key: Hashable, arr: object) -> None:
        """Cache per-segment data; merged-away segments are forgotten once too many pile up."""
        if len(self.per_segment) > 512:
            self.per_segment.clear()
        self.per_segment[key] = arr


def segment_key(leaf) -> str:  # noqa: ANN001
    """A name for a segment reader's segment, stable across searchers."""
    try:
        return str(leaf.segment().segment_id())
    except AttributeError:
        raise Unsupported("not a segment reader") from None


class ReaderState:
    """One open searcher and the per-segment data the evaluator reads from it."""

    def __init__(self, searcher, caches: Caches) -> None:  # noqa: ANN001
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        self.caches = caches
        self.doc_count = searcher.doc_count_all()
        self._alive: np.ndarray | None = None
        self._dates: np.ndarray | None = None
        self._vocab: dict[str, tuple[list[bytes], np.ndarray, np.ndarray]] = {}
        self._near: dict[tuple, list[str]] = {}

    def postings(self, leaf, field: str, btext: bytes,  # noqa: ANN001
                 docs: np.ndarray | None = None) -> TermPostings | None:
        """The postings of a term in one segment (cached); with ``docs`` (sorted segment
        docnums), at least those of the blocks that can hold them."""
        return self.postings_of(leaf, field, [btext], docs)[0]

    def postings_of(self, leaf, field: str, btexts: list[bytes],  # noqa: ANN001
                    docs: np.ndarray | None = None) -> list[TermPostings | None]:
        """:meth:`postings` of several terms (those not cached are read together)."""
        seg = segment_key(leaf)
        out: list[TermPostings | None] = []
        missing = []
        for btext in btexts:
            found = self.caches.postings.get((seg, field, btext))
            if found is not None and not (found.complete or docs is not None and found.covers(docs)):
                found = None
            if found is None:
                missing.append(len(out))
            out.append(found)
        if missing:
            for i, fresh in zip(missing, read_terms(leaf, field, [btexts[i] for i in missing], docs), strict=True):
                out[i] = fresh
                if fresh is not None:
                    self.caches.postings.put((seg, field, btexts[i]), fresh, fresh.nbytes)
        return out

    def terms(self, leaf, field: str) -> tuple[list[bytes], np.ndarray]:  # noqa: ANN001
        """The sorted terms of ``field`` in one segment and their document frequencies (cached)."""
        key = (segment_key(leaf), "terms", field)
        found = self.caches.segment_array(key)
        if found is None:
            found = term_frequencies(leaf, field)
            self.caches.keep_segment_array(key, found)
        return found

    def lengths(self, leaf, field: str) -> np.ndarray:  # noqa: ANN001
        """Field lengths of every document of a segment, as Whoosh's scorer reads them."""
        key = (segment_key(leaf), "len", field)
        arr = self.caches.segment_array(key)
        if arr is None:
            n = leaf.doc_count_all()
            col = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
            if col is None:
                raise Unsupported(field)
            raw = np.zeros(n, dtype=np.uint8)
            count = min(n, col._count)
            if getattr(col, "_fixedlen", None) == 1:
                raw[:count] = np.frombuffer(col._dbfile.get(col._basepos, count), dtype=np.uint8)
            else:
                raw[:count] = [col[i] for i in range(count)]
            arr = _BYTE_LENGTHS[raw]
            self.caches.keep_segment_array(key, arr)
        return arr

    def alive(self) -> np.ndarray | None:
        """A mask over global docnums, False for deleted documents (``None`` without deletions)."""
        if self._alive is None:
            mask = np.ones(self.doc_count, dtype=bool)
            dead = False
            for leaf, offset in self.leaves:
                if leaf.has_deletions():
                    gone = np.fromiter(leaf.deleted_docs_set, dtype=np.int64)
                    mask[gone + offset] = False
                    dead = dead or bool(len(gone))
            self._alive = mask if dead else np.zeros(0, dtype=bool)
        return self._alive if len(self._alive) else None

    def live_ids(self) -> np.ndarray:
        """Every live global docnum."""
        mask = self.alive()
        return np.arange(self.doc_count, dtype=np.int64) if mask is None else np.flatnonzero(mask)

    def date_keys(self) -> np.ndarray:
        """Per-document date sort keys (day ordinals; undated documents get the lowest key)."""
        if self._dates is None:
            self._dates = np.concatenate([self._leaf_dates(leaf) for leaf, _ in self.leaves]) \
                if self.leaves else np.zeros(0, dtype=np.int64)
        return self._dates

    def _leaf_dates(self, leaf) -> np.ndarray:  # noqa: ANN001
        key = (segment_key(leaf), "date")
        arr = self.caches.segment_array(key)
        if arr is not None:
            return arr
        n = leaf.doc_count_all()
        arr = np.full(n, _LOWEST_DATE, dtype=np.int64)
        col = None
        if "date" in leaf.schema and leaf.has_column("date"):
            col = leaf.column_reader("date", translate=False)
        if getattr(col, "_typecode", None) == "Q" and getattr(col, "_fixedlen", None) == 8:
            # The sortable date column holds microseconds since datetime.min; a missing date
            # is the column default.
            count = min(n, col._count)
            raw = np.frombuffer(col._dbfile.get(col._basepos, 8 * count), dtype=">u8")
            dated = raw != np.uint64(col._default)
            arr[:count][dated] = (raw[dated] // _DAY_US).astype(np.int64) + 1
        else:
            for i in range(n):
                d = leaf.stored_fields(i).get("date") if not leaf.is_deleted(i) else None
                if isinstance(d, date):  # datetime included
                    arr[i] = d.toordinal()
        self.caches.keep_segment_array(key, arr)
        return arr

    def vocabulary(self, field: str) -> tuple[list[bytes], np.ndarray, np.ndarray]:
        """The distinct terms of ``field`` in the whole index (unordered), their byte lengths, and
        whether each is ASCII."""
        found = self._vocab.get(field)
        if found is None:
            words: set[bytes] = set()
            for leaf, _ in self.leaves:
                try:
                    words.update(field_terms(leaf, field))
                except Unsupported:
                    words.update(leaf.lexicon(field))
            vocab = list(words)
            found = self._vocab[field] = (vocab, np.fromiter(map(len, vocab), dtype=np.int64, count=len(vocab)),
                                          np.fromiter(map(bytes.isascii, vocab), dtype=bool, count=len(vocab)))
        return found

    def near_terms(self, field: str, text: str, maxdist: int, prefixlength: int = 0) -> list[str]:
        """The terms of ``field`` within ``maxdist`` Damerau-Levenshtein edits of ``text``, sorted.

        Only terms starting with the first ``prefixlength`` characters of ``text`` count.
        """
        key = (field, text, maxdist, prefixlength)
        near = self._near.get(key)
        if near is None:
            near = self._near_terms(field, text, maxdist, text[:prefixlength].encode("utf-8"))
            if len(self._near) > 256:
                self._near.clear()
            self._near[key] = near
        return near

    def _near_terms(self, field: str, text: str, maxdist: int, prefix: bytes) -> list[str]:
        vocab, sizes, ascii_ = self.vocabulary(field)
        # An edit changes the length by one at most: only terms close in length can match. An
        # ASCII term's byte length is its length, any other's between its length and 4 times it.
        size = len(text)
        close = np.where(ascii_, np.abs(sizes - size) <= maxdist, (sizes >= size - maxdist) & (sizes <= 4 * (size + maxdist)))
        as_bytes = close & ascii_ if text.isascii() else np.zeros(len(vocab), dtype=bool)
        plain = [vocab[i] for i in np.flatnonzero(as_bytes).tolist()]
        other = [vocab[i] for i in np.flatnonzero(close & ~as_bytes).tolist()]
        if prefix:
            plain = [w for w in plain if w.startswith(prefix)]
            other = [w for w in other if w.startswith(prefix)]
        distance = DamerauLevenshtein.distance
        # ASCII compared as bytes: the same edits as on the decoded text.
        found = [w.decode("ascii") for w, _, _ in process.extract(text.encode("ascii") if text.isascii() else text,
                                                                   plain, scorer=distance, score_cutoff=maxdist,
                                                                   limit=None)] if plain else []
        found += [w for w, _, _ in process.extract(text, [w.decode("utf-8") for w in other], scorer=distance,
                                                   score_cutoff=maxdist, limit=None)]
        return sorted(found)


class Evaluator:
    """Evaluates a query over every segment of a :class:`ReaderState`."""

    def __init__(self, state: ReaderState, context=None, deadline: float | None = None) -> None:  # noqa: ANN001
        self.state = state
        self.searcher = state.searcher
        self.schema = state.searcher.schema
        w = self.searcher.weighting
        if type(w) is not scoring.BM25F or w.use_final or w._field_B:
            raise Unsupported("weighting")
        self.K1, self.B = w.K1, w.B
        self.needs_current = bool(getattr(context, "needs_current", False))
        self.deadline = deadline
        self._avgfl: dict[str, float] = {}
        self._expanded: dict[int, list[list[bytes]]] = {}
        # By id of the query object: the segment docnums holding each evaluated phrase, and each
        # pattern's expansions with their (global) documents in every segment.
        self.phrases: dict[int, dict[str, np.ndarray]] = {}
        self.patterns: dict[int, dict[str, list[tuple[bytes, np.ndarray, int]]]] = {}

    def scoring_query(self, q: wquery.Query, docs: np.ndarray) -> wquery.Query:
        """``q`` rewritten to score the sorted global docnums ``docs`` exactly as ``q`` does, faster.

        Evaluated phrases become :class:`VerifiedPhrase`; patterns match only through the
        expansions that hold one of ``docs`` (see :class:`_NarrowedPattern`).
        """
        def swap(node: wquery.Query) -> wquery.Query:
            field = _every_field(node)
            if field is not None:
                return _FieldEvery(field, boost=node.boost, mask=self._has_field(field), state=self.state)
            found = self.phrases.get(id(node)) if type(node) is wquery.Phrase else None
            if found is not None:
                return VerifiedPhrase(node, found, self.state)
            expansions = self.patterns.get(id(node)) if type(node) in _NARROWED else None
            if expansions is not None:
                return _NARROWED[type(node)](node, {seg: ({w for w, ids, _ in ex if _meets(ids, docs)},
                                                           {w: n for w, _, n in ex})
                                                     for seg, ex in expansions.items()})
            return node

        return q.accept(swap)

    # ------------------------------------------------------------------ queries

    def eval(self, q: wquery.Query, within: np.ndarray | None = None) -> Evaluation:
        """The documents matching ``q`` with their scores.

        With ``within`` (sorted global docnums), only documents among those are returned, and
        postings are read only where they can hold them.
        """
        self._check()
        if q is wquery.NullQuery or isinstance(q, type(wquery.NullQuery)):
            return _EMPTY
        kind = type(q)
        if kind is wquery.Term:
            return self._term_query(q, within)
        if kind is wquery.Every:
            ids = self.state.live_ids() if within is None else self._live_only(within)
            if q.fieldname not in (None, "", "*"):
                ids = ids[self._has_field(q.fieldname)[ids]]
            return Evaluation(ids, np.full(len(ids), float(q.boost)))
        if kind is wquery.Not:
            return self._not(q, within)
        if kind in (wquery.Prefix, wquery.Wildcard):
            if _every_field(q) is not None:  # Whoosh matches these as Every(field)
                return self.eval(wquery.Every(q.fieldname, boost=q.boost), within)
            return self._pattern(q, within)
        if kind is wquery.Phrase:
            return self._phrase(q, within)
        if kind is wquery.Or:
            if q.minmatch or q.scale:
                raise Unsupported("or options")
            if len(q.subqueries) == 1:
                return self.eval(q.subqueries[0], within)
            return self._boost(self._union([self.eval(s, within) for s in q.subqueries]), q.boost)
        if kind is wquery.And:
            if len(q.subqueries) == 1:
                return self.eval(q.subqueries[0], within)
            # The smallest part first; the others only where it matched.
            parts = []
            for sub in sorted(q.subqueries, key=self._size):
                parts.append(self.eval(sub, within))
                within = parts[-1].ids
            return self._boost(self._intersect(parts), q.boost)
        if kind is wquery.AndNot:
            a = self.eval(q.a, within)
            b = self.eval(q.b, a.ids)
            keep = ~np.isin(a.ids, b.ids, assume_unique=True)
            return self._boost(Evaluation(a.ids[keep], a.scores[keep], a.exact), q.boost)
        if kind is wquery.AndMaybe:
            a = self.eval(q.a, within)
            b = self.eval(q.b, a.ids)
            _, ia, ib = np.intersect1d(a.ids, b.ids, assume_unique=True, return_indices=True)
            scores = a.scores.copy()
            scores[ia] += b.scores[ib]
            return self._boost(Evaluation(a.ids, scores, a.exact and b.exact), q.boost)
        raise Unsupported(kind.__name__)

    def _check(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Timeout

    def _size(self, q: wquery.Query) -> float:
        """Whoosh's estimate of how many documents ``q`` matches (NOT and unknowns last)."""
        if isinstance(q, wquery.Not):
            return float("inf")
        if type(q) in (wquery.Prefix, wquery.Wildcard) and _every_field(q) is None and q.fieldname in self.schema:
            return float(sum(leaf.doc_frequency(q.fieldname, w)
                             for (leaf, _), words in zip(self.state.leaves, self._expansions(q), strict=True)
                             for w in words))
        try:
            return float(q.estimate_size(self.state.reader))
        except Exception:  # noqa: BLE001 - an estimate only orders the work
            return float(self.state.doc_count)

    @staticmethod
    def _boost(res: Evaluation, boost: float) -> Evaluation:
        # Whoosh multiplies the combined score by the boost: the same single rounding here.
        return res if boost == 1.0 else Evaluation(res.ids, res.scores * boost, res.exact)

    def _not(self, q: wquery.Not, within: np.ndarray | None) -> Evaluation:
        # Whoosh's InverseMatcher gives every document it matches a score of 1.
        ids = self.state.live_ids() if within is None else self._live_only(within)
        inner = self.eval(q.query, ids)
        ids = ids[~np.isin(ids, inner.ids, assume_unique=True)]
        return Evaluation(ids, np.ones(len(ids)))

    def _has_field(self, field: str) -> np.ndarray:
        """A mask over global docnums of the documents with a term in ``field``.

        Whoosh's Every(field) gathers the postings of every term of the field: the documents
        whose length in the field is not zero.
        """
        if field not in self.schema or not self.schema[field].scorable:
            raise Unsupported("every in an unscored field")
        return np.concatenate([self.state.lengths(leaf, field) > 0 for leaf, _ in self.state.leaves])

    def _live_only(self, ids: np.ndarray) -> np.ndarray:
        mask = self.state.alive()
        return ids if mask is None else ids[mask[ids]]

    @staticmethod
    def _union(parts: list[Evaluation]) -> Evaluation:
        exact = len(parts) <= 2 and all(p.exact for p in parts)
        parts = [p for p in parts if len(p.ids)]
        if not parts:
            return _EMPTY
        if len(parts) == 1:
            return Evaluation(parts[0].ids, parts[0].scores, exact)
        ids = np.concatenate([p.ids for p in parts])
        scores = np.concatenate([p.scores for p in parts])
        uniq, inv = np.unique(ids, return_inverse=True)
        total = np.zeros(len(uniq), dtype=np.float64)
        np.add.at(total, inv, scores)
        return Evaluation(uniq, total, exact)

    @staticmethod
    def _intersect(parts: list[Evaluation]) -> Evaluation:
        exact = len(parts) <= 2 and all(p.exact for p in parts)
        parts = sorted(parts, key=lambda p: len(p.ids))
        ids, scores = parts[0].ids, parts[0].scores
        for p in parts[1:]:
            ids, ia, ib = np.intersect1d(ids, p.ids, assume_unique=True, return_indices=True)
            scores = scores[ia] + p.scores[ib]
        return Evaluation(ids, scores, exact)

    # ------------------------------------------------------------------ terms

    def _btext(self, field: str, text) -> bytes | None:  # noqa: ANN001
        if field not in self.schema:
            return None
        try:
            return self.schema[field].to_bytes(text)
        except ValueError:
            return None

    def _term_query(self, q: wquery.Term, within: np.ndarray | None) -> Evaluation:
        if getattr(q, "minquality", None):
            raise Unsupported("minquality")
        btext = self._btext(q.fieldname, q.text)
        if btext is None or (q.fieldname, btext) not in self.state.reader:
            return _EMPTY
        return self._boost(self._term(q.fieldname, btext, within), q.boost)

    def _term(self, field: str, btext: bytes, within: np.ndarray | None) -> Evaluation:
        """BM25F scores of one term over every segment (only for ``within`` if given)."""
        if not self.schema[field].scorable:
            raise Unsupported(field)
        ids_parts, score_parts = [], []
        for leaf, offset in self.state.leaves:
            local = _local(within, offset, leaf.doc_count_all())
            if local is not None and not len(local):
                continue
            self._check()
            tp = self.state.postings(leaf, field, btext, local)
            if tp is None:
                continue
            ids, weights = _restrict(tp, local)
            ids_parts.append(ids.astype(np.int64) + offset)
            score_parts.append(self._bm25(field, btext, weights.astype(np.float64),
                                          self.state.lengths(leaf, field)[ids]))
        if not ids_parts:
            return _EMPTY
        return self._live(np.concatenate(ids_parts), np.concatenate(score_parts), True)

    def _bm25(self, field: str, btext: bytes | None, tf: np.ndarray, fl: np.ndarray,
              idf: float | np.ndarray | None = None) -> np.ndarray:
        # Whoosh's scoring.bm25 with the searcher's idf and average length, operation for operation.
        if idf is None:
            idf = self.searcher.idf(field, btext)
        avgfl = self._avgfl.get(field)
        if avgfl is None:
            avgfl = self._avgfl[field] = self.searcher.avg_field_length(field) or 1
        K1, B = self.K1, self.B
        return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))

    def _live(self, ids: np.ndarray, scores: np.ndarray, exact: bool) -> Evaluation:
        mask = self.state.alive()
        if mask is not None:
            keep = mask[ids]
            ids, scores = ids[keep], scores[keep]
        return Evaluation(ids, scores, exact)

    def _pattern(self, q: wquery.PatternQuery, within: np.ndarray | None) -> Evaluation:
        """A prefix or wildcard, scored segment by segment as Whoosh's MultiTerm.matcher does."""
        field = q.fieldname
        if q.text in ("", "*") or field not in self.schema or not self.schema[field].scorable:
            raise Unsupported("pattern")
        found = []
        df: dict[bytes, int] = {}
        expansions = self._expansions(q)
        for (leaf, offset), words in zip(self.state.leaves, expansions, strict=True):
            if words:
                local = _local(within, offset, leaf.doc_count_all())
                tps = []
                for at in range(0, len(words), _READ_CHUNK):  # a wide pattern reads a lot: check the time
                    self._check()
                    tps += self.state.postings_of(leaf, field, words[at:at + _READ_CHUNK], local)
                found.append((leaf, offset, local, words, tps))
                for w, tp in zip(words, tps, strict=True):
                    df[w] = df.get(w, 0) + int(tp.sizes.sum())
        # Whoosh's idf (WeightingModel.idf) from the index-wide document frequency.
        idf = {w: log(self.state.doc_count / (n + 1)) + 1 for w, n in df.items()}
        ids_parts, score_parts = [], []
        exact = True
        expansions = self.patterns[id(q)] = {}
        for leaf, offset, local, words, tps in found:
            pairs = [_restrict(tp, local) for tp in tps]
            sizes = [len(ids) for ids, _ in pairs]
            ids = np.concatenate([ids for ids, _ in pairs]).astype(np.int64)
            scores = self._bm25(field, None, np.concatenate([w for _, w in pairs]).astype(np.float64),
                                self.state.lengths(leaf, field)[ids],
                                np.repeat([idf[w] for w in words], sizes))
            glob = ids + offset
            expansions[segment_key(leaf)] = list(zip(words, np.split(glob, np.cumsum(sizes)[:-1]),
                                                     [int(tp.sizes.sum()) for tp in tps], strict=True))
            if len(words) == 1:
                res = Evaluation(glob, scores)  # a single expansion is matched as a plain term, without the boost
            elif self._array_union(len(words), leaf.doc_count_all()):
                # Whoosh's array matcher: constant-score patterns count 1 per document.
                if not q.constantscore:
                    raise Unsupported("scored array union")
                uniq = np.unique(glob)
                res = Evaluation(uniq, np.ones(len(uniq)))
            else:
                uniq, inv = np.unique(glob, return_inverse=True)
                total = np.zeros(len(uniq))
                np.add.at(total, inv, scores)
                res = self._boost(Evaluation(uniq, total, len(words) <= 2), q.boost)
            res = self._live(res.ids, res.scores, res.exact)
            ids_parts.append(res.ids)
            score_parts.append(res.scores)
            exact = exact and res.exact
        if not ids_parts:
            return _EMPTY
        return Evaluation(np.concatenate(ids_parts), np.concatenate(score_parts), exact)

    def _expansions(self, q: wquery.PatternQuery) -> list[list[bytes]]:
        """The words a pattern expands to in each segment; refused if reading them would be slow."""
        key = id(q)
        found = self._expanded.get(key)
        if found is None:
            pairs = [self._expand(leaf, q) for leaf, _ in self.state.leaves]
            found = self._expanded[key] = [words for words, _ in pairs]
            cost = sum(map(len, found)) * 100e-6
            if cost <= _PATTERN_SECONDS:
                postings = sum(n if n is not None else sum(leaf.doc_frequency(q.fieldname, w) for w in words)
                               for (leaf, _), (words, n) in zip(self.state.leaves, pairs, strict=True))
                cost += postings * 0.3e-6
            if cost > _PATTERN_SECONDS:
                shown = q.text + "*" if type(q) is wquery.Prefix else q.text
                count = len({w for words in found for w in words})
                raise TooWide(f"'{shown}' matches too many words ({count:,}) to search quickly; "
                              "make it longer or more specific.")
        return found

    def _expand(self, leaf, q: wquery.PatternQuery) -> tuple[list[bytes], int | None]:  # noqa: ANN001
        """PatternQuery._btexts in one segment, and the expansions' postings when known.

        Whoosh reads the terms one at a time from the pattern's literal prefix on: for a short
        prefix (most of the field), the segment's term list is read in one go instead.
        """
        kind = type(q)
        prefix = q.text if kind is wquery.Prefix else q._find_prefix(q.text)
        if len(prefix) >= 3:
            return [w for w in q._btexts(leaf) if w], None
        field = self.schema[q.fieldname]
        words, df = self.state.terms(leaf, q.fieldname)
        start = field.to_bytes(prefix) if prefix else b""
        lo = bisect_left(words, start)
        hi = bisect_left(words, start + b"\xff", lo) if start else len(words)  # no UTF-8 byte is 0xff
        if kind is wquery.Prefix:
            keep = [i for i in range(lo, hi) if words[i]]
        else:
            match = re.compile(q._get_pattern()).match
            keep = [i for i in range(lo, hi) if words[i] and match(field.from_bytes(words[i]))]
        return [words[i] for i in keep], int(df[keep].sum())

    def _array_union(self, clauses: int, docs: int) -> bool:
        """Whether Whoosh's Or picks its array matcher (Or._matcher) over a segment of ``docs``."""
        kind = wquery.Or.matcher_type
        if kind == wquery.Or.AUTO_MATCHER:
            return clauses >= _TOO_MANY_CLAUSES or not self.needs_current and clauses > 2 and docs <= _SMALL_SEGMENT
        if kind not in (wquery.Or.DEFAULT_MATCHER, wquery.Or.ARRAY_MATCHER):
            raise Unsupported("or matcher type")
        return kind == wquery.Or.ARRAY_MATCHER

    # ------------------------------------------------------------------ phrases

    def _phrase(self, q: wquery.Phrase, within: np.ndarray | None) -> Evaluation:
        """Documents holding the words at consecutive positions, scored as the sum of the words."""
        field = q.fieldname
        if q.slop != 1 or field not in self.schema:
            raise Unsupported("phrase")
        btexts = [self._btext(field, w) for w in q.words]
        if any(b is None or (field, b) not in self.state.reader for b in btexts):
            return _EMPTY
        ids_parts, score_parts = [], []
        verified = self.phrases[id(q)] = {}
        for leaf, offset in self.state.leaves:
            local = _local(within, offset, leaf.doc_count_all())
            found = self._phrase_docs(leaf, offset, field, btexts, local)
            if found is None or not len(found):
                continue
            verified[segment_key(leaf)] = found
            # Whoosh scores a phrase as the intersection of its words (repeated words count twice).
            score = np.zeros(len(found))
            for b in btexts:
                tp = self.state.postings(leaf, field, b, found)
                idx = np.searchsorted(tp.ids, found)
                score = score + self._bm25(field, b, tp.weights[idx].astype(np.float64),
                                           self.state.lengths(leaf, field)[found])
            ids_parts.append(found + offset)
            score_parts.append(score)
        if not ids_parts:
            return _EMPTY
        res = Evaluation(np.concatenate(ids_parts), np.concatenate(score_parts), len(btexts) <= 2)
        return self._boost(res, q.boost)

    def _phrase_docs(self, leaf, offset: int, field: str, btexts: list[bytes],  # noqa: ANN001
                     within: np.ndarray | None) -> np.ndarray | None:
        """Segment docnums (among ``within``, if given) where ``btexts`` stand at consecutive positions."""
        df = {b: leaf.doc_frequency(field, b) for b in btexts}
        if not all(df.values()):
            return None
        # The rarest word's documents are the candidates; the other words are read only there,
        # and their positions only for the documents still in the running.
        order = sorted(df, key=df.get)
        docs = within
        tps = {}
        for b in order:
            tp = tps[b] = self.state.postings(leaf, field, b, docs)
            ids, _ = _restrict(tp, docs)
            docs = ids.astype(np.int64)
            if not len(docs):
                return docs
        mask = self.state.alive()
        if mask is not None:
            docs = docs[mask[docs + offset]]
        starts: np.ndarray | None = None
        seg = segment_key(leaf)
        for b in order:
            if not len(docs):
                break
            self._check()
            d, pos = read_positions(leaf, field, tps[b], docs, self.state.caches.blocks, (seg, field, b))
            for i, word in enumerate(btexts):
                if word != b:
                    continue
                # The phrase starts at p when this word stands at p + i.
                keep = pos >= i
                keys = (d[keep] << 32) | (pos[keep] - i)  # sorted: by document, then position
                starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
            docs = _distinct_sorted(starts >> 32) if starts is not None else docs[:0]
        return docs.astype(np.int64)


def _local(within: np.ndarray | None, offset: int, count: int) -> np.ndarray | None:
    """The part of the sorted global docnums ``within`` in a segment, as segment docnums."""
    if within is None:
        return None
    lo, hi = np.searchsorted(within, [offset, offset + count])
    return within[lo:hi] - offset


def _restrict(tp: TermPostings, docs: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The ids and weights of ``tp`` (for ``docs`` only, if given)."""
    if docs is None:
        if not tp.complete:
            raise Unsupported("partial postings")
        return tp.ids, tp.weights
    at = np.searchsorted(tp.ids, docs)
    hit = at < len(tp.ids)
    hit[hit] = tp.ids[at[hit]] == docs[hit]
    return tp.ids[at[hit]], tp.weights[at[hit]]


def _distinct_sorted(a: np.ndarray) -> np.ndarray:
    """The distinct values of a sorted array."""
    if not len(a):
        return a
    return a[np.r_[True, a[1:] != a[:-1]]]


class VerifiedPhrase(wquery.Phrase):
    """A phrase whose documents the evaluator found: matched as the intersection of its words,
    stopping only at those documents.

    Whoosh's phrase matcher scores a document as that same intersection of its words, but
    finds the documents by walking the positions of every document holding all the words,
    from the first: scoring a page with it would repeat the whole phrase search.
    """

    def __init__(self, phrase: wquery.Phrase, docs: dict[str, np.ndarray], state: ReaderState) -> None:
        super().__init__(phrase.fieldname, phrase.words, slop=phrase.slop, boost=phrase.boost,
                         char_ranges=phrase.char_ranges)
        self.docs = docs
        self.state = state

    def matcher(self, searcher, context=None):  # noqa: ANN001, ANN201 - Whoosh's Query API
        """The words' intersection as Phrase.matcher builds it, without the span check."""
        leaf = searcher.reader()
        found = self.docs.get(segment_key(leaf))
        if found is None or not len(found):
            return NullMatcher()
        field = searcher.schema[self.fieldname]
        ms = [wquery.Term(self.fieldname, field.to_bytes(w)).matcher(searcher, context) for w in self.words]
        for m in ms:
            _jump_blocks(m, self.state, leaf, found)
        m = _Listed(make_binary_tree(IntersectionMatcher, ms), found.tolist())
        return WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class _Listed(WrappingMatcher):
    """Matches the documents of a sorted list that its child matches, skipping straight to each."""

    def __init__(self, child, docs: list[int]) -> None:  # noqa: ANN001
        super().__init__(child)
        self._docs = docs
        self._i = 0
        self._find()

    def _find(self) -> None:
        child, docs = self.child, self._docs
        while self._i < len(docs) and child.is_active():
            d = docs[self._i]
            if child.id() < d:
                child.skip_to(d)
                if not child.is_active():
                    break
            if child.id() == d:
                return
            self._i = bisect_left(docs, child.id(), self._i)
        self._i = len(docs)

    def is_active(self) -> bool:  # noqa: D102 - Whoosh's Matcher API
        return self._i < len(self._docs)

    def next(self) -> None:  # noqa: D102
        self._i += 1
        self._find()

    def skip_to(self, id: int) -> None:  # noqa: A002, D102
        if self.is_active() and id > self._docs[self._i]:
            self._i = bisect_left(self._docs, id, self._i)
            self._find()

    def supports_block_quality(self) -> bool:  # noqa: D102
        return False

    def replace(self, minquality: float = 0) -> _Listed:  # noqa: D102
        return self


def _meets(ids: np.ndarray, docs: np.ndarray) -> bool:
    """Whether two sorted arrays share a value."""
    if not len(ids) or not len(docs):
        return False
    at = np.searchsorted(docs, ids)
    return bool(np.any(docs[np.minimum(at, len(docs) - 1)] == ids))


class _NarrowedPattern:
    """A prefix or wildcard that scores some documents as Whoosh does, without opening every
    expansion: the expansions holding none of them get an empty matcher.

    Whoosh sums the expansions' scores along a tree it builds from their document frequencies,
    so the tree, and the order of the additions, stays the same; an empty matcher adds nothing
    to the documents of the others.
    """

    def __init__(self, pattern: wquery.PatternQuery, segments: dict[str, tuple[set[bytes], dict[bytes, int]]]) -> None:
        super().__init__(pattern.fieldname, pattern.text, boost=pattern.boost,
                         constantscore=pattern.constantscore)
        # By segment: the expansions to match, and every expansion's document frequency.
        self.segments = segments

    def estimate_size(self, ixreader) -> int:  # noqa: ANN001 - Whoosh's Query API
        """MultiTerm.estimate_size, from the document frequencies already read."""
        found = self.segments.get(segment_key(ixreader))
        return sum(found[1].values()) if found is not None else super().estimate_size(ixreader)

    def matcher(self, searcher, context=None):  # noqa: ANN001, ANN201 - Whoosh's Query API
        """MultiTerm.matcher with stand-ins for the expansions that do not matter."""
        reader = searcher.reader()
        relevant, df = self.segments.get(segment_key(reader), ((), {}))
        qs = [wquery.Term(self.fieldname, w) if w in relevant else _Absent(self.fieldname, w, df.get(w))
              for w in self._btexts(reader) if w]
        if not qs:
            return NullMatcher()
        if len(qs) == 1:
            return qs[0].matcher(searcher, context)
        if self.constantscore:
            context = context.set(weighting=None) if context else SearchContext(weighting=None)
        return wquery.Or(qs, boost=self.boost).matcher(searcher, context)


class _NarrowedPrefix(_NarrowedPattern, wquery.Prefix):
    pass


class _NarrowedWildcard(_NarrowedPattern, wquery.Wildcard):
    pass


_NARROWED: dict[type, type] = {wquery.Prefix: _NarrowedPrefix, wquery.Wildcard: _NarrowedWildcard}


def _every_field(q: wquery.Query) -> str | None:
    """The field of a query Whoosh matches as Every(field): ``field:*`` or an empty prefix."""
    kind = type(q)
    if kind is wquery.Every:
        return q.fieldname if q.fieldname not in (None, "", "*") else None
    if kind is wquery.Prefix and q.text == "" or kind is wquery.Wildcard and q.text == "*":
        return q.fieldname
    return None


class _FieldEvery(wquery.Every):
    """Every(field) with the documents the evaluator found: Whoosh's matcher gathers the postings
    of every term of the field first, here a length column tells them."""

    def __init__(self, fieldname: str, boost: float, mask: np.ndarray, state: ReaderState) -> None:
        super().__init__(fieldname, boost=boost)
        self.mask, self.state = mask, state

    def matcher(self, searcher, context=None):  # noqa: ANN001, ANN201 - Whoosh's Query API
        """The ListMatcher Every.matcher builds, from the same documents."""
        reader = searcher.reader()
        offset = next(off for leaf, off in self.state.leaves if leaf is reader)
        span = slice(offset, offset + reader.doc_count_all())
        alive = self.state.alive()
        docs = self.mask[span] if alive is None else self.mask[span] & alive[span]
        return ListMatcher(np.flatnonzero(docs).tolist(), all_weights=self.boost)


class _Absent(wquery.Term):
    """A term that keeps its place (its document frequency) in a tree of matchers, matching nothing.

    Whoosh orders the tree by document frequency alone: equal frequencies keep their order
    whatever the matchers' classes, as its matchers compare equal or unordered.
    """

    def __init__(self, fieldname: str, text: bytes, df: int | None) -> None:
        super().__init__(fieldname, text)
        self.df = df

    def estimate_size(self, ixreader) -> int:  # noqa: ANN001 - Whoosh's Query API
        """Term.estimate_size (the document frequency), already known."""
        return self.df if self.df is not None else super().estimate_size(ixreader)

    def matcher(self, searcher, context=None):  # noqa: ANN001, ANN201 - Whoosh's Query API
        """An empty matcher."""
        return NullMatcher()


# ---------------------------------------------------------------------- the page

# More candidates than this (massive near-ties) are left to Whoosh's own collector.
MAX_RESCORE = 3000
_REL_TOL = 1e-9


def fast_page(state: ReaderState, q: wquery.Query, limit: int | None, sort: str, context,  # noqa: ANN001
              deadline: float | None = None) -> tuple[int, list[tuple[int, float]]] | None:
    """(exact total, [(global docnum, score)] of the page) by the vectorised path, or ``None``.

    The page is what Whoosh's collector returns: ordered by score (ties by docnum), or by date
    then score for ``sort="date"``, with Whoosh's own scores. ``None`` means the query is not
    covered (or its estimates disagree with Whoosh) and should go through Whoosh's collector.
    Raises :class:`Timeout` past ``deadline``.
    """
    evaluator = Evaluator(state, context, deadline)
    try:
        res = evaluator.eval(q)
    except Unsupported:
        return None
    ids, est = res.ids, res.scores
    total = len(ids)
    if not total:
        return 0, []
    dk = state.date_keys()[ids] if sort == "date" else None
    if limit is not None and total > limit:
        keep = _candidates(ids, est, dk, limit, res.exact)
        ids, est = ids[keep], est[keep]
        dk = dk[keep] if dk is not None else None
    if len(ids) > MAX_RESCORE:
        return None
    exact = _exact_scores(state, evaluator.scoring_query(q, ids), ids, context)
    if len(exact) != len(ids):
        return None
    scores = np.array([exact[d] for d in ids.tolist()], dtype=np.float64)
    if res.exact and not np.array_equal(scores, est):
        # Claimed bit-identical but is not: the candidate choice may be off, let Whoosh rank.
        return None
    if np.any(np.abs(scores - est) > _REL_TOL * np.maximum(1.0, np.abs(est))):
        return None  # the estimate does not model this query: let Whoosh rank it
    order = np.lexsort((ids, -scores, -dk)) if dk is not None else np.lexsort((ids, -scores))
    if limit is not None:
        order = order[:limit]
    return total, [(int(ids[i]), float(scores[i])) for i in order]


def _candidates(ids: np.ndarray, est: np.ndarray, dk: np.ndarray | None, limit: int,
                exact: bool) -> np.ndarray:
    """A mask of the documents that can reach the first ``limit`` places."""
    if dk is None:
        # The limit-th best estimate (ties by docnum), without sorting every hit.
        kth = np.partition(est, len(est) - limit)[len(est) - limit]
        if not exact:
            return est >= kth - _REL_TOL * max(1.0, abs(kth))
        keep = est > kth
        tied = np.flatnonzero(est == kth)[:limit - int(keep.sum())]  # ids ascending
        keep[tied] = True
        return keep
    order = np.lexsort((ids, -est, -dk))
    last = order[limit - 1]
    # Newer than the last place's date: certainly in. On its date: only by score.
    keep = dk > dk[last]
    same = dk == dk[last]
    if exact:
        keep[order[:limit]] = True
        return keep
    kth = est[last]
    return keep | same & (est >= kth - _REL_TOL * max(1.0, abs(kth)))


def _exact_scores(state: ReaderState, q: wquery.Query, docnums: np.ndarray, context) -> dict[int, float]:  # noqa: ANN001
    """Whoosh's own scores of ``docnums`` (sorted global numbers), via each segment's matcher."""
    out: dict[int, float] = {}
    for sub, offset in state.searcher.leaf_searchers():
        n = sub.doc_count_all()
        local = docnums[(docnums >= offset) & (docnums < offset + n)] - offset
        if not len(local):
            continue
        m = q.matcher(sub, context)
        _jump_blocks(m, state, sub.reader(), local)
        for d in local.tolist():
            if not m.is_active():
                break
            m.skip_to(d)
            if m.is_active() and m.id() == d:
                out[offset + d] = float(m.score())
    return out


def _jump_blocks(m, state: ReaderState, leaf, docs: np.ndarray) -> None:  # noqa: ANN001
    """Let the term matchers in ``m`` skip straight to a block instead of reading every header,
    and take the ids and weights of the blocks holding ``docs`` (sorted segment docnums) from
    the postings already decoded.

    Whoosh's matcher walks the block headers one by one to skip ahead, which for a word in
    every document is most of the cost of scoring a page. The block table read by the
    vectorised path tells which block holds a document.
    """
    seen: set[int] = set()
    stack = [m]
    while stack:
        cur = stack.pop()
        if id(cur) in seen:
            continue
        seen.add(id(cur))
        if type(cur) is W3LeafMatcher:
            _patch_leaf(cur, state, leaf, docs)
            continue
        for name in ("child", "a", "b"):
            sub = getattr(cur, name, None)
            if sub is not None:
                stack.append(sub)
        for name in ("_submatchers", "ms", "_matchers"):
            stack.extend(getattr(cur, name, None) or ())


def _patch_leaf(m, state: ReaderState, leaf, docs: np.ndarray) -> None:  # noqa: ANN001
    term = getattr(m, "_term", None)
    if not term:
        return
    try:
        tp = state.postings(leaf, term[0], term[1], docs)
    except Unsupported:
        return
    if tp is None or not len(tp.heads) or int(tp.heads[0]) != getattr(m, "_baseoffset", None):
        return
    maxids = tp.maxids.tolist()
    heads = tp.heads.tolist()
    block_at = {d: k for k, d in enumerate(tp.data.tolist()) if tp.starts[k] >= 0}
    starts, sizes = tp.starts.tolist(), tp.sizes.tolist()

    def skip_to(targetid: int) -> None:
        if not m.is_active():
            raise ReadTooFar
        if targetid <= m.id():
            return
        if targetid > m._maxid:
            k = bisect_left(maxids, targetid)
            if k >= len(heads):
                m._atend = True
                return
            m._goto(heads[k])
        while m.is_active() and m.id() < targetid:
            m.next()

    # The block's ids and weights are already decoded: the values Whoosh would unpickle
    # (Python ints, and the float32 weights as floats).
    def read_ids() -> None:
        k = block_at.get(m._dataoffset)
        if k is None:
            W3LeafMatcher._read_ids(m)
        else:
            m._ids = tp.ids[starts[k]:starts[k] + sizes[k]].tolist()

    def read_weights() -> None:
        k = block_at.get(m._dataoffset)
        if k is None:
            W3LeafMatcher._read_weights(m)
        else:
            m._weights = tp.weights[starts[k]:starts[k] + sizes[k]].astype(np.float64).tolist()

    m._read_ids = read_ids
    m._read_weights = read_weights
    m.skip_to = skip_to
