"""The first page of a query: candidates from the vectorised evaluation, scored by Whoosh.

:mod:`app.core.engine.queryeval` gives every hit and an estimate of its score. The documents that
can reach the page are then scored by Whoosh's own matchers, so the page, its order and its
scores are exactly what Whoosh's collector returns (when it scores every hit: its top-k
shortcut can miss the best documents, see the tests). The query is first rewritten so that
those matchers go straight to the candidates: phrases the evaluator checked, patterns through
the expansions that hold a candidate, ``field:*`` from the length columns.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

import numpy as np
from whoosh import query as wquery
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.binary import IntersectionMatcher
from whoosh.matching.combo import CombinationMatcher
from whoosh.matching.mcore import ListMatcher, NullMatcher, ReadTooFar
from whoosh.matching.wrappers import WrappingMatcher
from whoosh.searching import SearchContext
from whoosh.util import make_binary_tree

from app.core.engine.postings import Unsupported
from app.core.engine.queryeval import Evaluator, every_field, local_docs
from app.core.engine.searchstate import ReaderState, segment_key

log = logging.getLogger(__name__)

__all__ = ["MAX_RESCORE", "fast_page", "scoring_query"]


def scoring_query(evaluator: Evaluator, q: wquery.Query, docs: np.ndarray) -> wquery.Query:
    """``q`` rewritten to score the sorted global docnums ``docs`` exactly as ``q`` does, faster.

    Evaluated phrases become :class:`VerifiedPhrase`; patterns match only through the
    expansions that hold one of ``docs`` (see :class:`_NarrowedPattern`).
    """
    local = _by_segment(evaluator.state, docs)

    def swap(node: wquery.Query) -> wquery.Query:
        if type(node) is wquery.Or:
            return _SparseOr(node.subqueries, local, boost=node.boost, minmatch=node.minmatch,
                             scale=node.scale)
        field = every_field(node)
        if field is not None:
            return _FieldEvery(field, boost=node.boost, mask=evaluator.has_field(field), state=evaluator.state)
        found = evaluator.phrases.get(id(node)) if type(node) is wquery.Phrase else None
        if found is not None:
            return VerifiedPhrase(node, found, evaluator.state)
        expansions = evaluator.patterns.get(id(node)) if type(node) in _NARROWED else None
        if expansions is not None:
            return _NARROWED[type(node)](node, {seg: ({w for w, ids, _ in ex if _meets(ids, docs)},
                                                       {w: n for w, _, n in ex})
                                                 for seg, ex in expansions.items()}, local)
        return node

    return q.accept(swap)


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

    def matcher(self, searcher: Any, context: Any = None) -> Any:
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


class _OverDocs:
    """Matcher methods for a matcher that stops only at documents of the sorted list
    ``self._docs`` (``self._i`` is where it stands); ``_find`` moves to the next match from there."""

    _docs: list[int]
    _i: int

    def _find(self) -> None:
        raise NotImplementedError

    def is_active(self) -> bool:
        return self._i < len(self._docs)

    def next(self) -> None:
        self._i += 1
        self._find()

    def skip_to(self, id: int) -> None:
        if self.is_active() and id > self._docs[self._i]:
            self._i = bisect_left(self._docs, id, self._i)
            self._find()

    def supports_block_quality(self) -> bool:
        return False

    def replace(self, minquality: float = 0) -> _OverDocs:
        return self


class _Listed(_OverDocs, WrappingMatcher):
    """Matches the documents of a sorted list that its child matches, skipping straight to each."""

    def __init__(self, child: Any, docs: list[int]) -> None:
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


def _meets(ids: np.ndarray, docs: np.ndarray) -> bool:
    """Whether two sorted arrays share a value."""
    if not len(ids) or not len(docs):
        return False
    at = np.searchsorted(docs, ids)
    return bool(np.any(docs[np.minimum(at, len(docs) - 1)] == ids))


class _NarrowedPattern(wquery.PatternQuery):
    """A prefix or wildcard that scores some documents as Whoosh does, without opening every
    expansion: the expansions holding none of them get an empty matcher.

    Whoosh sums the expansions' scores along a tree it builds from their document frequencies,
    so the tree, and the order of the additions, stays the same; an empty matcher adds nothing
    to the documents of the others.
    """

    def __init__(self, pattern: wquery.PatternQuery, segments: dict[str, tuple[set[bytes], dict[bytes, int]]],
                 local: dict[str, list[int]]) -> None:
        super().__init__(pattern.fieldname, pattern.text, boost=pattern.boost,
                         constantscore=pattern.constantscore)
        # By segment: the expansions to match, and every expansion (in order) with its
        # document frequency; a segment without expansions is absent.
        self.segments = segments
        self.local = local

    def estimate_size(self, ixreader: Any) -> int:
        """MultiTerm.estimate_size, from the document frequencies already read."""
        return sum(self.segments.get(segment_key(ixreader), ((), {}))[1].values())

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """MultiTerm.matcher with stand-ins for the expansions that do not matter."""
        reader = searcher.reader()
        # The expansions in their order (Whoosh's _btexts), as the evaluator found them.
        relevant, df = self.segments.get(segment_key(reader), ((), {}))
        qs = [wquery.Term(self.fieldname, w) if w in relevant else _Absent(self.fieldname, w, n)
              for w, n in df.items()]
        if not qs:
            return NullMatcher()
        if len(qs) == 1:
            return qs[0].matcher(searcher, context)
        if self.constantscore:
            context = context.set(weighting=None) if context else SearchContext(weighting=None)
        return _SparseOr(qs, self.local, boost=self.boost).matcher(searcher, context)


class _NarrowedPrefix(_NarrowedPattern, wquery.Prefix):
    pass


class _NarrowedWildcard(_NarrowedPattern, wquery.Wildcard):
    pass


_NARROWED: dict[type, type[_NarrowedPattern]] = {wquery.Prefix: _NarrowedPrefix, wquery.Wildcard: _NarrowedWildcard}


def _by_segment(state: ReaderState, docs: np.ndarray) -> dict[str, list[int]]:
    """The sorted global docnums ``docs`` as segment docnums, by segment key."""
    return {segment_key(leaf): local_docs(docs, offset, leaf.doc_count_all()).tolist()
            for leaf, offset in state.leaves}


class _SparseOr(wquery.Or):
    """An OR that scores only the candidates where Whoosh would pre-load every posting.

    For a segment under 5,000 documents (and more than two clauses) Whoosh's OR reads and
    scores every posting of every clause into an array. The sums are the same when each
    candidate is added up clause by clause in the same order, which is what
    :class:`_SparseUnionMatcher` does; elsewhere Whoosh's own matcher is kept.
    """

    def __init__(self, subqueries: list[wquery.Query], local: dict[str, list[int]], **kwargs: Any) -> None:
        super().__init__(subqueries, **kwargs)
        self.local = local

    def _matcher(self, subs: list[wquery.Query], searcher: Any, context: Any) -> Any:
        needs_current = context.needs_current if context else True
        if self.matcher_type != self.AUTO_MATCHER or (
                len(subs) < self.TOO_MANY_CLAUSES
                and (needs_current or self.scale or len(subs) == 2 or searcher.doc_count_all() > 5000)):
            return super()._matcher(subs, searcher, context)
        scored = context.weighting is not None if context else True
        return _SparseUnionMatcher([sub.matcher(searcher, context) for sub in subs],
                                   self.local.get(segment_key(searcher.reader()), []),
                                   boost=self.boost, scored=scored)


class _SparseUnionMatcher(_OverDocs, CombinationMatcher):
    """Whoosh's ArrayUnionMatcher restricted to a sorted list of documents.

    A document matches when its summed score is positive; the clauses' ``score() * boost``
    are added in clause order from 0.0 (1.0 in all when unscored), as the array does.
    """

    def __init__(self, submatchers: list[Any], docs: list[int], boost: float = 1.0, scored: bool = True) -> None:
        super().__init__(submatchers, boost=boost)
        self._docs = docs
        self._scored = scored
        self._i = 0
        self._score = 0.0
        self._find()

    def _find(self) -> None:
        docs, subs, boost, scored = self._docs, self._submatchers, self._boost, self._scored
        while self._i < len(docs):
            d = docs[self._i]
            total = 0.0
            for m in subs:
                if m.is_active() and m.id() < d:
                    m.skip_to(d)
                if m.is_active() and m.id() == d:
                    total = total + m.score() * boost if scored else 1.0
            if total > 0:
                self._score = total
                return
            self._i += 1

    def id(self) -> int:
        return self._docs[self._i]

    def score(self) -> float:
        return self._score

    def supports(self, astype: str) -> bool:
        return False

    def copy(self) -> _SparseUnionMatcher:
        return _SparseUnionMatcher([m.copy() for m in self._submatchers], self._docs[self._i:],
                                   self._boost, self._scored)


class _FieldEvery(wquery.Every):
    """Every(field) with the documents the evaluator found: Whoosh's matcher gathers the postings
    of every term of the field first, here a length column tells them."""

    def __init__(self, fieldname: str, boost: float, mask: np.ndarray, state: ReaderState) -> None:
        super().__init__(fieldname, boost=boost)
        self.mask, self.state = mask, state

    def matcher(self, searcher: Any, context: Any = None) -> Any:
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

    def __init__(self, fieldname: str, text: bytes, df: int) -> None:
        super().__init__(fieldname, text)
        self.df = df

    def estimate_size(self, ixreader: Any) -> int:
        """Term.estimate_size (the document frequency), already known."""
        return self.df

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """An empty matcher."""
        return NullMatcher()


# More candidates than this (massive near-ties) are left to Whoosh's own collector.
MAX_RESCORE = 3000
_REL_TOL = 1e-9


def fast_page(state: ReaderState, q: wquery.Query, limit: int | None, sort: str, context: Any,
              deadline: float | None = None,
              narrow: Callable[[ReaderState, np.ndarray], np.ndarray] | None = None,
              ) -> tuple[int, list[tuple[int, float]]] | None:
    """(exact total, [(global docnum, score)] of the page) by the vectorised path, or ``None``.

    The page is what Whoosh's collector returns: ordered by score (ties by docnum), or by date
    then score for ``sort="date"``, with Whoosh's own scores. ``None`` means the query is not
    covered (or its estimates disagree with Whoosh) and should go through Whoosh's collector.
    Raises :class:`Timeout` past ``deadline``.
    """
    evaluator = Evaluator(state, context, deadline)
    try:
        res = evaluator.eval(q)
    except Unsupported as exc:
        _fallback(q, f"not covered: {exc}")
        return None
    ids, est = res.ids, res.scores
    if narrow is not None:  # facet filters: ``narrow`` sees every match, keeps some (a mask over docnums)
        keep = narrow(state, ids)[ids]
        ids, est = ids[keep], est[keep]
    total = len(ids)
    if not total:
        return 0, []
    dk = state.date_keys()[ids] if sort == "date" else None
    if limit is not None and total > limit:
        keep = _candidates(ids, est, dk, limit, res.exact)
        ids, est = ids[keep], est[keep]
        dk = dk[keep] if dk is not None else None
    if len(ids) > MAX_RESCORE:
        _fallback(q, f"{len(ids):,} candidates to rescore (more than {MAX_RESCORE:,})")
        return None
    exact = _exact_scores(state, scoring_query(evaluator, q, ids), ids, context)
    if len(exact) != len(ids):
        _fallback(q, f"Whoosh's matchers scored {len(exact):,} of {len(ids):,} candidates")
        return None
    scores = np.array([exact[d] for d in ids.tolist()], dtype=np.float64)
    if res.exact and not np.array_equal(scores, est):
        # Claimed bit-identical but is not: the candidate choice may be off, let Whoosh rank.
        _fallback(q, "scores claimed exact differ from Whoosh's")
        return None
    if np.any(np.abs(scores - est) > _REL_TOL * np.maximum(1.0, np.abs(est))):
        _fallback(q, "the score estimate does not model this query")
        return None
    order = np.lexsort((ids, -scores, -dk)) if dk is not None else np.lexsort((ids, -scores))
    if limit is not None:
        order = order[:limit]
    return total, [(int(ids[i]), float(scores[i])) for i in order]


def _fallback(q: wquery.Query, reason: str) -> None:
    """Log why ``q`` goes to Whoosh's collector instead (the caller then returns None)."""
    log.debug("search fast path falls back to Whoosh's collector for %r: %s", str(q), reason)


def _candidates(ids: np.ndarray, est: np.ndarray, dk: np.ndarray | None, limit: int,
                exact: bool) -> np.ndarray:
    """A mask of the documents that can reach the first ``limit`` places."""
    if dk is None:
        # The limit-th best estimate (ties by docnum), without sorting every hit.
        kth = float(np.partition(est, len(est) - limit)[len(est) - limit])
        if not exact:
            return est >= kth - _REL_TOL * max(1.0, abs(kth))
        keep = est > kth
        tied = np.flatnonzero(est == kth)[:limit - int(keep.sum())]  # ids ascending
        keep[tied] = True
        return keep
    order = np.lexsort((ids, -est, -dk))
    last = order[limit - 1]
    # Newer than the last place's date: certainly in. On its date: only by score.
    bound = int(dk[last])
    keep = dk > bound
    same = dk == bound
    if exact:
        keep[order[:limit]] = True
        return keep
    kth = float(est[last])
    near: np.ndarray = keep | same & (est >= kth - _REL_TOL * max(1.0, abs(kth)))
    return near


def _exact_scores(state: ReaderState, q: wquery.Query, docnums: np.ndarray, context: Any) -> dict[int, float]:
    """Whoosh's own scores of ``docnums`` (sorted global numbers), via each segment's matcher."""
    out: dict[int, float] = {}
    for sub, offset in state.searcher.leaf_searchers():
        local = local_docs(docnums, offset, sub.doc_count_all())
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


def _jump_blocks(m: Any, state: ReaderState, leaf: Any, docs: np.ndarray) -> None:
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


def _patch_leaf(m: Any, state: ReaderState, leaf: Any, docs: np.ndarray) -> None:
    term = getattr(m, "_term", None)
    if not term:
        return
    try:
        tp = state.postings(leaf, term[0], term[1], docs)
    except Unsupported as exc:
        log.debug("scoring %r: Whoosh's matcher reads its own blocks (%s)", term, exc)
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
