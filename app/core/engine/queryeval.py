"""Vectorised evaluation of Whoosh queries: exact hit sets, estimated scores, phrase checks.

Whoosh scores and counts every matching document in Python, a few microseconds each: a word
found in 98 % of 100k articles costs about a second, and a phrase of two such words several.
This module reads the postings with numpy (:mod:`app.core.engine.postings`), evaluates the query's
boolean structure with sorted-array set operations (which gives the exact hit count) and
computes every document's BM25F score with Whoosh's formula. Phrases are checked on the
positions of the documents that hold all their words, rarest word first.

Scores are Whoosh's own where the arithmetic is the same (one term, or the sum of two), and
within rounding of them otherwise; :mod:`app.core.engine.searchpage` lets Whoosh score the few
documents that can reach the page, so the page and its scores are exactly Whoosh's.
Query types not covered raise :class:`Unsupported` and go through Whoosh's collector.
"""

from __future__ import annotations

import logging
import re
import time
from bisect import bisect_left
from dataclasses import dataclass
from math import log
from typing import Any, overload

import numpy as np
from whoosh import query as wquery
from whoosh import scoring

from app.core.engine.postings import TermPostings, Unsupported, read_positions
from app.core.engine.searchstate import ReaderState, segment_key

_log = logging.getLogger(__name__)  # math.log is ``log`` here
__all__ = ["Evaluation", "Evaluator", "Timeout", "TooWide", "Unsupported", "every_field"]

# An Or of this many clauses is evaluated by Whoosh with an array matcher (Or.TOO_MANY_CLAUSES).
_TOO_MANY_CLAUSES = wquery.Or.TOO_MANY_CLAUSES
# Below this many documents in a segment, Whoosh evaluates a wide Or with an array matcher.
_SMALL_SEGMENT = 5000
# Terms of a pattern read at a time, between checks of the deadline.
_READ_CHUNK = 256
# A pattern is refused when reading its expansions would take longer than this: about 100 µs
# per term and segment, and 0.3 µs per posting.
_PATTERN_SECONDS = 1.5


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


class Evaluator:
    """Evaluates a query over every segment of a :class:`ReaderState`."""

    def __init__(self, state: ReaderState, context: Any = None, deadline: float | None = None) -> None:
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
        # By id of a pattern query: its words in each segment, and their postings in all.
        self._expanded: dict[int, tuple[list[list[bytes]], int]] = {}
        # By id of the query object: the segment docnums holding each evaluated phrase, and each
        # pattern's expansions with their (global) documents in every segment.
        self.phrases: dict[int, dict[str, np.ndarray]] = {}
        self.patterns: dict[int, dict[str, list[tuple[bytes, np.ndarray, int]]]] = {}

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
                ids = ids[self.has_field(q.fieldname)[ids]]
            return Evaluation(ids, np.full(len(ids), float(q.boost)))
        if kind is wquery.Not:
            return self._not(q, within)
        if kind in (wquery.Prefix, wquery.Wildcard):
            if every_field(q) is not None:  # Whoosh matches these as Every(field)
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
        if type(q) in (wquery.Prefix, wquery.Wildcard) and every_field(q) is None and q.fieldname in self.schema:
            self._expansions(q)
            return float(self._expanded[id(q)][1])
        try:
            return float(q.estimate_size(self.state.reader))
        except Exception as exc:
            _log.debug("no size estimate for %r (%s: %s): counted as every document", str(q),
                      type(exc).__name__, exc)
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

    def has_field(self, field: str) -> np.ndarray:
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

    def _btext(self, field: str, text: Any) -> bytes | None:
        if field not in self.schema:
            return None
        try:
            btext: bytes = self.schema[field].to_bytes(text)
            return btext
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
            local = local_docs(within, offset, leaf.doc_count_all())
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
        scores: np.ndarray = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        return scores

    def _live(self, ids: np.ndarray, scores: np.ndarray, exact: bool) -> Evaluation:
        mask = self.state.alive()
        if mask is not None:
            keep = mask[ids]
            ids, scores = ids[keep], scores[keep]
        return Evaluation(ids, scores, exact)

    def _pattern(self, q: wquery.PatternQuery, within: np.ndarray | None) -> Evaluation:
        """A prefix or wildcard, scored segment by segment as Whoosh's MultiTerm.matcher does."""
        field = q.fieldname
        if field not in self.schema or not self.schema[field].scorable:
            raise Unsupported("pattern")
        found: list[tuple[Any, int, np.ndarray | None, list[bytes], list[TermPostings]]] = []
        df: dict[bytes, int] = {}
        expansions = self._expansions(q)
        for (leaf, offset), words in zip(self.state.leaves, expansions, strict=True):
            if words:
                local = local_docs(within, offset, leaf.doc_count_all())
                tps: list[TermPostings] = []
                for at in range(0, len(words), _READ_CHUNK):  # a wide pattern reads a lot: check the time
                    self._check()
                    tps += map(_present, self.state.postings_of(leaf, field, words[at:at + _READ_CHUNK], local))
                found.append((leaf, offset, local, words, tps))
                for w, tp in zip(words, tps, strict=True):
                    df[w] = df.get(w, 0) + int(tp.sizes.sum())
        # Whoosh's idf (WeightingModel.idf) from the index-wide document frequency.
        idf = {w: log(self.state.doc_count / (n + 1)) + 1 for w, n in df.items()}
        ids_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        exact = True
        per_segment = self.patterns[id(q)] = {}
        for leaf, offset, local, words, tps in found:
            pairs = [_restrict(tp, local) for tp in tps]
            sizes = [len(ids) for ids, _ in pairs]
            ids = np.concatenate([ids for ids, _ in pairs]).astype(np.int64)
            scores = self._bm25(field, None, np.concatenate([w for _, w in pairs]).astype(np.float64),
                                self.state.lengths(leaf, field)[ids],
                                np.repeat([idf[w] for w in words], sizes))
            glob = ids + offset
            per_segment[segment_key(leaf)] = list(zip(words, np.split(glob, np.cumsum(sizes)[:-1]),
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
        found = self._expanded.get(id(q))
        if found is None:
            pairs = [self._expand(leaf, q) for leaf, _ in self.state.leaves]
            words = [w for w, _ in pairs]
            cost = sum(map(len, words)) * 100e-6
            postings = 0
            if cost <= _PATTERN_SECONDS:
                postings = sum(n if n is not None else sum(leaf.doc_frequency(q.fieldname, w) for w in ws)
                               for (leaf, _), (ws, n) in zip(self.state.leaves, pairs, strict=True))
                cost += postings * 0.3e-6
            if cost > _PATTERN_SECONDS:
                shown = q.text + "*" if type(q) is wquery.Prefix else q.text
                count = len({w for ws in words for w in ws})
                raise TooWide(f"'{shown}' matches too many words ({count:,}) to search quickly; "
                              "make it longer or more specific.")
            found = self._expanded[id(q)] = (words, postings)
        return found[0]

    def _expand(self, leaf: Any, q: wquery.PatternQuery) -> tuple[list[bytes], int | None]:
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
        return bool(kind == wquery.Or.ARRAY_MATCHER)

    # ------------------------------------------------------------------ phrases

    def _phrase(self, q: wquery.Phrase, within: np.ndarray | None) -> Evaluation:
        """Documents holding the words at consecutive positions, scored as the sum of the words."""
        field = q.fieldname
        if q.slop != 1 or field not in self.schema:
            raise Unsupported("phrase")
        maybe = [self._btext(field, w) for w in q.words]
        btexts = [b for b in maybe if b is not None]
        if len(btexts) < len(maybe) or any((field, b) not in self.state.reader for b in btexts):
            return _EMPTY
        ids_parts: list[np.ndarray] = []
        score_parts: list[np.ndarray] = []
        verified = self.phrases[id(q)] = {}
        for leaf, offset in self.state.leaves:
            local = local_docs(within, offset, leaf.doc_count_all())
            found = self._phrase_docs(leaf, offset, field, btexts, local)
            if found is None or not len(found):
                continue
            verified[segment_key(leaf)] = found
            # Whoosh scores a phrase as the intersection of its words (repeated words count twice).
            score = np.zeros(len(found))
            for b in btexts:
                tp = _present(self.state.postings(leaf, field, b, found))
                idx = np.searchsorted(tp.ids, found)
                score = score + self._bm25(field, b, tp.weights[idx].astype(np.float64),
                                           self.state.lengths(leaf, field)[found])
            ids_parts.append(found + offset)
            score_parts.append(score)
        if not ids_parts:
            return _EMPTY
        res = Evaluation(np.concatenate(ids_parts), np.concatenate(score_parts), len(btexts) <= 2)
        return self._boost(res, q.boost)

    def _phrase_docs(self, leaf: Any, offset: int, field: str, btexts: list[bytes],
                     within: np.ndarray | None) -> np.ndarray | None:
        """Segment docnums (among ``within``, if given) where ``btexts`` stand at consecutive positions."""
        df = {b: leaf.doc_frequency(field, b) for b in btexts}
        if not all(df.values()):
            return None
        # The rarest word's documents are the candidates; the other words are read only there,
        # and their positions only for the documents still in the running.
        order = sorted(df, key=df.__getitem__)
        docs = within
        tps: dict[bytes, TermPostings] = {}
        for b in order:
            tp = tps[b] = _present(self.state.postings(leaf, field, b, docs))
            ids, _ = _restrict(tp, docs)
            docs = ids.astype(np.int64)
            if not len(docs):
                return docs
        if docs is None:  # a phrase of no words
            return None
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


@overload
def local_docs(within: np.ndarray, offset: int, count: int) -> np.ndarray: ...
@overload
def local_docs(within: None, offset: int, count: int) -> None: ...
@overload
def local_docs(within: np.ndarray | None, offset: int, count: int) -> np.ndarray | None: ...
def local_docs(within: np.ndarray | None, offset: int, count: int) -> np.ndarray | None:
    """The part of the sorted global docnums ``within`` in a segment, as segment docnums."""
    if within is None:
        return None
    lo, hi = np.searchsorted(within, [offset, offset + count])
    local: np.ndarray = within[lo:hi] - offset
    return local


def _present(tp: TermPostings | None) -> TermPostings:
    """The postings of a term the segment's lexicon lists (absent ones mean an odd reader)."""
    if tp is None:
        raise Unsupported("a listed term without postings")
    return tp


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


def every_field(q: wquery.Query) -> str | None:
    """The field of a query Whoosh matches as Every(field): ``field:*`` or an empty prefix."""
    kind = type(q)
    if kind is wquery.Every:
        return q.fieldname if q.fieldname not in (None, "", "*") else None
    if kind is wquery.Prefix and q.text == "" or kind is wquery.Wildcard and q.text == "*":
        field: str | None = q.fieldname
        return field
    return None
