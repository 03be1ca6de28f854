"""What the vectorised search path reads from one open Whoosh searcher, and keeps between queries.

Segments never change once written, so decoded postings, field lengths, dates and term lists
are kept by segment (:class:`Caches`, one per corpus) and survive a reopened searcher; a
:class:`ReaderState` adds what belongs to one searcher (its deletions, its vocabulary).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from datetime import date
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from app.core.engine.postings import (
    LRU,
    BlockPositions,
    TermPostings,
    Unsupported,
    read_terms,
    term_frequencies,
)

__all__ = ["Caches", "ReaderState", "segment_key"]

log = logging.getLogger(__name__)
_LOWEST_DATE = -(2**40)  # below every ordinal, and safe to negate
_BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
# Microseconds per day in Whoosh's datetime columns (counted from datetime.min).
_DAY_US = 86_400_000_000


class Caches:
    """What evaluations of one index keep between queries, keyed by segment (segments never change)."""

    def __init__(self, postings_bytes: int = 96 << 20, blocks_bytes: int = 32 << 20) -> None:
        self.postings: LRU[TermPostings] = LRU(postings_bytes)
        self.blocks: LRU[BlockPositions] = LRU(blocks_bytes)
        self.per_segment: dict[Hashable, Any] = {}

    def segment_array(self, key: Hashable) -> Any:
        """A cached per-segment array or table (lengths, date keys, terms): of the type kept
        under ``key``."""
        return self.per_segment.get(key)

    def keep_segment_array(self, key: Hashable, arr: object) -> None:
        """Cache per-segment data; merged-away segments are forgotten once too many pile up."""
        if len(self.per_segment) > 512:
            self.per_segment.clear()
        self.per_segment[key] = arr


def segment_key(leaf: Any) -> str:  # Whoosh's segment reader: untyped
    """A name for a segment reader's segment, stable across searchers."""
    try:
        return str(leaf.segment().segment_id())
    except AttributeError:
        raise Unsupported("not a segment reader") from None


class ReaderState:
    """One open searcher and the per-segment data the evaluator reads from it."""

    def __init__(self, searcher: Any, caches: Caches) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        self.caches = caches
        self.doc_count = searcher.doc_count_all()
        self._alive: np.ndarray | None = None
        self._dates: np.ndarray | None = None
        self._vocab: dict[str, tuple[list[bytes], np.ndarray, np.ndarray]] = {}
        self._near: dict[tuple[str, str, int, int], list[str]] = {}

    def postings(self, leaf: Any, field: str, btext: bytes,
                 docs: np.ndarray | None = None) -> TermPostings | None:
        """The postings of a term in one segment (cached); with ``docs`` (sorted segment
        docnums), at least those of the blocks that can hold them."""
        return self.postings_of(leaf, field, [btext], docs)[0]

    def postings_of(self, leaf: Any, field: str, btexts: list[bytes],
                    docs: np.ndarray | None = None) -> list[TermPostings | None]:
        """:meth:`postings` of several terms (those not cached are read together)."""
        seg = segment_key(leaf)
        out: list[TermPostings | None] = []
        missing: list[int] = []
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

    def terms(self, leaf: Any, field: str) -> tuple[list[bytes], np.ndarray]:
        """The sorted terms of ``field`` in one segment and their document frequencies (cached)."""
        key = (segment_key(leaf), "terms", field)
        found: tuple[list[bytes], np.ndarray] | None = self.caches.segment_array(key)
        if found is None:
            found = term_frequencies(leaf, field)
            self.caches.keep_segment_array(key, found)
        return found

    def lengths(self, leaf: Any, field: str) -> np.ndarray:
        """Field lengths of every document of a segment, as Whoosh's scorer reads them."""
        key = (segment_key(leaf), "len", field)
        arr: np.ndarray | None = self.caches.segment_array(key)
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

    def _leaf_dates(self, leaf: Any) -> np.ndarray:
        key = (segment_key(leaf), "date")
        cached: np.ndarray | None = self.caches.segment_array(key)
        if cached is not None:
            return cached
        n = leaf.doc_count_all()
        arr = np.full(n, _LOWEST_DATE, dtype=np.int64)
        col = leaf.column_reader("date", translate=False) \
            if "date" in leaf.schema and leaf.has_column("date") else None
        if col is not None and getattr(col, "_typecode", None) == "Q" and getattr(col, "_fixedlen", None) == 8:
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
                    words.update(self.terms(leaf, field)[0])
                except Unsupported as exc:
                    log.debug("vocabulary of %s: Whoosh's lexicon instead of the term file (%s)", field, exc)
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
