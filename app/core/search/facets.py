"""Facets of a search: counts by source, author, year, month and file type, and their filters.

Every indexed article gets a row of small integer codes (source, author, file type) read once
per index segment from its stored fields and kept with the segment's other cached arrays
(segments never change); dates come from the sortable date column the search already reads.
Counting the facets of a query is then a few ``np.bincount`` calls over its matches.

Counts are *disjunctive*, as in Datashare and Aleph: each facet is counted with the query and
every other facet's filter applied, not its own, so choosing one source still shows how many
hits the other sources would add. Sources are counted under the analyst's names for them.
Date bounds are inclusive; an undated article is left out of any date filter, and counted as
``undated``.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from app.core.engine.postings import Unsupported
from app.core.engine.searchstate import ReaderState, segment_key
from app.core.reading.model import Hit

FACETS = ("source", "author", "year", "month", "filetype")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class FacetFilter:
    """What the facets keep: chosen values (any of them) minus excluded ones, and a date range.

    Values are compared case-insensitively; sources by the analyst's name or the page's own.
    ``year`` values are ``"2024"``, ``month`` values ``"2024-03"``, file types ``"html"``.
    """

    include: dict[str, frozenset[str]] = field(default_factory=dict)
    exclude: dict[str, frozenset[str]] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def of(cls, *, include: dict[str, Iterable[str]] | None = None,
           exclude: dict[str, Iterable[str]] | None = None,
           date_from: date | None = None, date_to: date | None = None) -> FacetFilter:
        """A filter from plain collections (empty sets dropped)."""
        def norm(d: dict[str, Iterable[str]] | None) -> dict[str, frozenset[str]]:
            out = {}
            for k, vs in (d or {}).items():
                if k not in FACETS:
                    raise ValueError(f"unknown facet {k!r} (use {', '.join(FACETS)})")
                values = frozenset(v.casefold() for v in vs if v)
                if values:
                    out[k] = values
            return out
        return cls(norm(include), norm(exclude), date_from, date_to)

    @property
    def active(self) -> bool:
        """True when anything is filtered."""
        return bool(self.include or self.exclude or self.date_from or self.date_to)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"include": {k: sorted(v) for k, v in self.include.items()},
                "exclude": {k: sorted(v) for k, v in self.exclude.items()},
                "from": self.date_from.isoformat() if self.date_from else None,
                "to": self.date_to.isoformat() if self.date_to else None}


@dataclass(slots=True)
class FacetCounts:
    """Counts of one search's matches by facet value, most frequent first (months by date)."""

    counts: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    undated: int = 0
    matched: int = 0  # matches of the query before any facet filter
    kept: int = 0  # after every filter

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax search --facets --json``."""
        return {"matched": self.matched, "kept": self.kept, "undated": self.undated,
                **{k: [{"value": v, "count": n} for v, n in vs] for k, vs in self.counts.items()}}


class _Table:
    """Per-document facet codes of one searcher's documents (global docnums)."""

    def __init__(self, state: ReaderState) -> None:
        vocab: dict[str, dict[str, int]] = {"source": {}, "author": {}, "filetype": {}}
        cols: dict[str, list[np.ndarray]] = {k: [] for k in vocab}
        for leaf, _ in state.leaves:
            seg = _segment_table(state, leaf)
            for k in vocab:
                names, codes = seg[k]
                remap = np.array([vocab[k].setdefault(n, len(vocab[k])) for n in names] or [0], dtype=np.int32)
                cols[k].append(remap[codes])
        self.names = {k: list(v) for k, v in vocab.items()}
        self.codes = {k: np.concatenate(v) if v else np.zeros(0, np.int32) for k, v in cols.items()}
        ordinals = state.date_keys()
        self.dated = ordinals > 0
        days = np.where(self.dated, ordinals - _EPOCH_ORDINAL, 0).astype("datetime64[D]")
        self.ordinals = ordinals
        self.month = days.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
        self.year = days.astype("datetime64[Y]").astype(np.int64) + 1970


def _segment_table(state: ReaderState, leaf: Any) -> dict[str, tuple[list[str], np.ndarray]]:  # Whoosh's reader: untyped
    """(value names, per-document codes) of source, author and file type in one segment (cached)."""
    try:
        key: object = (segment_key(leaf), "facets")
    except Unsupported:
        key = None
    found: dict[str, tuple[list[str], np.ndarray]] | None = (
        state.caches.segment_array(key) if key is not None else None)
    if found is not None:
        return found
    n = leaf.doc_count_all()
    table: dict[str, tuple[dict[str, int], np.ndarray]] = {
        k: ({}, np.zeros(n, np.int32)) for k in ("source", "author", "filetype")}
    for i in range(n):
        if leaf.is_deleted(i):
            continue
        f = leaf.stored_fields(i)
        ext = os.path.splitext(f.get("id", ""))[1].lstrip(".").lower()
        for k, value in (("source", f.get("source") or ""), ("author", f.get("author") or ""),
                         ("filetype", {"htm": "html", "markdown": "md"}.get(ext, ext))):
            names, codes = table[k]
            codes[i] = names.setdefault(value, len(names))
    out = {k: (list(names), codes) for k, (names, codes) in table.items()}
    if key is not None:
        state.caches.keep_segment_array(key, out)
    return out


_tables: weakref.WeakKeyDictionary[ReaderState, _Table] = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def _table(state: ReaderState) -> _Table:
    with _tables_lock:
        t = _tables.get(state)
        if t is None:
            t = _tables[state] = _Table(state)
        return t


class Facets:
    """A search's facet request: pass :meth:`narrow` to ``Corpus.search``, read :attr:`result` after.

    Args:
        filters: What to keep.
        source_name: The analyst's name of a page's source (identity without one).
        top: Values listed per facet (months and years: all).
    """

    def __init__(self, filters: FacetFilter | None = None, source_name: Callable[[str], str] | None = None,
                 top: int = 50, *, order: str = "", limit: int | None = None) -> None:
        if order not in ("", "oldest", "source"):
            raise ValueError(f"unknown order {order!r}")
        self.filters = filters or FacetFilter()
        self.source_name = source_name or (lambda s: s)
        self.top = top
        # "oldest" or "source": only the first ``limit`` kept matches in that order are let through
        # (the search ranks no more than those); :meth:`order_hits` puts the page in that order.
        self.order = order
        self.limit = limit
        self.result = FacetCounts()

    def _labels(self, t: _Table, k: str) -> list[str]:
        names = t.names[k]
        if k == "source":
            return [self.source_name(n) if n else "" for n in names]
        return names

    def _value_mask(self, t: _Table, k: str, values: frozenset[str]) -> np.ndarray:
        """Per document: its ``k`` value is one of ``values``."""
        if k in ("year", "month"):
            keys = t.year if k == "year" else t.month
            wanted = []
            for v in values:
                try:
                    wanted.append(int(v) if k == "year" else
                                  int(np.datetime64(v, "M").astype(np.int64)))
                except ValueError:
                    continue
            return t.dated & np.isin(keys, wanted)
        names = t.names[k]
        labels = self._labels(t, k)
        hit = np.array([(lab.casefold() in values or raw.casefold() in values)
                        for raw, lab in zip(names, labels, strict=True)] or [False], dtype=bool)
        return hit[t.codes[k]]

    def _masks(self, t: _Table) -> dict[str, np.ndarray]:
        """Each filter as a mask over docnums (``"date"`` for the range)."""
        f = self.filters
        masks: dict[str, np.ndarray] = {}
        for k in FACETS:
            m = None
            if k in f.include:
                m = self._value_mask(t, k, f.include[k])
            if k in f.exclude:
                ex = ~self._value_mask(t, k, f.exclude[k])
                m = ex if m is None else m & ex
            if m is not None:
                masks[k] = m
        if f.date_from or f.date_to:
            m = t.dated.copy()
            if f.date_from:
                m &= t.ordinals >= f.date_from.toordinal()
            if f.date_to:
                m &= t.ordinals <= f.date_to.toordinal()
            masks["date"] = m
        return masks

    def narrow(self, state: ReaderState, ids: np.ndarray) -> np.ndarray:
        """Count the facets of the matches ``ids``; the mask over docnums of those every filter keeps."""
        t = _table(state)
        masks = self._masks(t)
        n = len(t.ordinals)
        allk = np.ones(n, dtype=bool)
        for m in masks.values():
            allk &= m
        res = FacetCounts(matched=len(ids))
        for k in FACETS:
            others = np.ones(len(ids), dtype=bool)
            for name, m in masks.items():
                if name != k and not (k in ("year", "month") and name in ("year", "month", "date")):
                    others &= m[ids]
            sel = ids[others]
            if k in ("year", "month"):
                sel = sel[t.dated[sel]]
                keys = (t.year if k == "year" else t.month)[sel]
                vals, cnt = np.unique(keys, return_counts=True)
                if k == "year":
                    res.counts[k] = [(str(v), int(c)) for v, c in zip(vals.tolist(), cnt.tolist(), strict=True)]
                else:
                    res.counts[k] = [(str(np.datetime64(int(v), "M")), int(c))
                                     for v, c in zip(vals.tolist(), cnt.tolist(), strict=True)]
                continue
            cnt = np.bincount(t.codes[k][sel], minlength=len(t.names[k]))
            merged: dict[str, int] = {}
            for lab, c in zip(self._labels(t, k), cnt.tolist(), strict=True):
                if c:
                    merged[lab] = merged.get(lab, 0) + c
            res.counts[k] = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0].casefold()))[: self.top]
        res.undated = int((~t.dated[ids[self._others_of(masks, ids, "date")]]).sum())
        res.kept = int(allk[ids].sum())
        self.result = res
        if self.order and self.limit is not None and res.kept > self.limit:
            kept = ids[allk[ids]]
            if self.order == "oldest":  # undated last
                key = np.where(t.dated[kept], t.ordinals[kept], np.iinfo(np.int64).max)
                first = kept[np.lexsort((kept, key))[: self.limit]]
            else:
                labels = self._labels(t, "source")
                rank = np.argsort(np.argsort([(lab or "\uffff").casefold() for lab in labels] or [""], kind="stable"))
                first = kept[np.lexsort((kept, -t.ordinals[kept], rank[t.codes["source"][kept]]))[: self.limit]]
            allk = np.zeros(n, dtype=bool)
            allk[first] = True
        return allk

    def order_hits(self, hits: Iterable[Hit]) -> list[Hit]:
        """A page of hits in this request's order (oldest first, undated last; or by source name, newest first)."""
        hits = list(hits)
        if self.order == "oldest":
            return sorted(hits, key=lambda h: (h.date is None, h.date or date.min, h.id))
        if self.order == "source":
            return sorted(hits, key=lambda h: (not h.source, self.source_name(h.source).casefold(),
                                               -(h.date or date.min).toordinal(), h.id))
        return hits

    @staticmethod
    def _others_of(masks: dict[str, np.ndarray], ids: np.ndarray, k: str) -> np.ndarray:
        keep = np.ones(len(ids), dtype=bool)
        for name, m in masks.items():
            if name not in (k, "year", "month"):
                keep &= m[ids]
        return keep


def parse_date(text: str, *, end: bool = False) -> date:
    """A bound of a date filter: ``2024-03-05``, ``2024-03`` or ``2024`` (a month or year bound
    covers the whole month or year: ``--to 2024-03`` includes March 31).

    Raises:
        ValueError: not such a date (the message says which forms are read).
    """
    text = text.strip()
    try:
        if len(text) == 4 and text.isdigit():
            return date(int(text), 12, 31) if end else date(int(text), 1, 1)
        if len(text) == 7 and text[4] == "-":
            y, m = int(text[:4]), int(text[5:])
            if end:
                nxt = date(y + (m == 12), m % 12 + 1, 1)
                return date.fromordinal(nxt.toordinal() - 1)
            return date(y, m, 1)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date: use YYYY-MM-DD, YYYY-MM or YYYY") from None
