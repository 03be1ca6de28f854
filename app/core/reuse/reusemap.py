"""The corpus reuse map: learned boilerplate, copies and versions, pairs, clusters and likely origins.

Built from :class:`app.core.reuse.fingerprint.Prints` (see that module for the fingerprints) in a few
vectorised passes, never by comparing all pairs of articles:

1. **Boilerplate is what an outlet repeats around different stories**, decided by co-occurrence,
   never by how many articles a paragraph is in. Every recurring *unit* (an exact normalised
   paragraph text, or a fingerprint, found in two articles or more) is tested on a
   few of the articles holding it (``sample_holders``, picked by a fixed hash of the article so
   that units with the same holders are tested on the same articles), pair by pair. A pair is a
   pair of *copies* when one of the two shares at least ``copy_overlap`` of its text with the
   other (its paragraphs found in the other verbatim or by fingerprints). A unit is **content**
   when at least ``copies_share`` of the tested holders are a copy of another tested holder, and
   at least ``copy_pairs_share`` of the tested pairs are copies: the articles holding it also
   share their other paragraphs, they are one story (an original, its copies, and a partial copy
   are still one story; a random handful of a site-wide footer's articles is not). Otherwise it recurs around different stories and
   is **furniture** when

   - it is in at least ``source_articles`` (3) articles (an outlet's nav line, disclaimer, footer,
     "related stories" widget; a network-wide disclaimer whose outlet name varies; a site-wide
     "Share this" line), or
   - it is in exactly 2 articles of one known source, or is chrome-like (a role other than body,
     or fewer than ``MIN_WORDS`` words): the seeds' Global Research footer is in the only two
     articles of that source, which share nothing else.

   A long body paragraph in just two articles of different sources is reuse (a quote), never
   furniture. A paragraph at least ``near_boilerplate_share`` of whose recurring fingerprints
   (2 or more) are furniture is furniture too (footers with a varying date or outlet name). The analyst's :class:`ReuseOverrides` are
   applied last: a paragraph marked content is never boilerplate, one marked boilerplate always.
2. **Substantive paragraphs** are body paragraphs of ``MIN_WORDS`` words or more that are not
   boilerplate. Two of them *match* when they have the same text, or share at least 2
   fingerprints covering ``min_containment`` of the shorter one's. Matching paragraphs form
   **paragraph groups** (connected components). Equal texts are linked to one member of their
   group, and a fingerprint held by more than ``max_postings`` paragraphs is compared with
   ``hubs`` of them only (picked by the same fixed hash), never dropped: a story carried 500
   times is 500 links, not 124,750.
3. **Two articles share** the paragraph groups both hold. :meth:`ReuseMap.shared` is the one
   figure of what they share (:class:`SharedFigure`): the number of those groups (a split or
   merged paragraph counts once), the paragraphs of each side in them, and the share of each
   side's body characters they cover (boilerplate excluded). Every view and command shows it.
4. **Versions and copies.** A cluster is a connected group of articles sharing text; its
   members are the *copies* of the story. Members with the same substantive text (normalised
   paragraph for paragraph) are one *version*. Pairs are listed by streaming the clusters, so
   that the pairs of a story with many copies are never all held in memory.
5. **Likely origin** is the cluster's earliest dated member (dates from the text or the HTML
   published time, as the reader gives them); a tie or missing dates are stated in
   ``Cluster.reason`` instead of guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from app.core.reading.model import Alignment, Article, Paragraph, Role, RowKind
from app.core.reading.text import normalize
from app.core.reuse.fingerprint import MIN_WORDS, ArticleMeta, Prints, exact_hash, mix64


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The rules of the module docstring, with their defaults."""

    source_articles: int = 3
    copy_overlap: float = 0.5
    copies_share: float = 0.5
    copy_pairs_share: float = 0.15
    sample_holders: int = 8
    near_boilerplate_share: float = 0.5
    min_containment: float = 0.3
    max_postings: int = 16
    hubs: int = 4

    DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "source_articles": "fewest articles a paragraph must recur in, around different stories, to be "
                           "furniture (2 are enough within one source)",
        "copy_overlap": "share of an article's text found in another that makes the two copies of one story",
        "copies_share": "share of the tested articles holding a recurring paragraph that must be a copy "
                        "of another tested holder for it to stay content",
        "copy_pairs_share": "share of the tested pairs of holders that must be copies for it to stay content",
        "sample_holders": "articles holding a recurring paragraph that are tested, pair by pair",
        "near_boilerplate_share": "share of a paragraph's fingerprints in furniture that makes it furniture too",
        "min_containment": "share of the shorter paragraph's fingerprints two paragraphs must share to match",
        "max_postings": "paragraphs a fingerprint may be in and still be compared all with all "
                        "(more: compared with a few hub paragraphs)",
        "hubs": "hub paragraphs a frequent fingerprint's paragraphs are compared with",
    }


_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ReuseOverrides:
    """The analyst's decisions, applied on top of the learned model.

    ``boilerplate`` and ``content`` hold :func:`app.core.reuse.fingerprint.exact_hash` values of
    normalised paragraph texts; ``content`` wins over both the model and ``boilerplate``.
    ``source_alias`` maps a raw source name to the analyst's name (rename or merge).
    """

    boilerplate: frozenset[int] = frozenset()
    content: frozenset[int] = frozenset()
    source_alias: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def source(self, raw: str) -> str:
        """The analyst's name of a raw source name."""
        return self.source_alias.get(raw, raw)


@dataclass(frozen=True, slots=True)
class SharedFigure:
    """THE one definition of what two articles share (issue 14 §6).

    ``paragraphs`` counts the links between the two articles' content paragraphs, a split or
    merged paragraph counting once (connected groups of linked paragraphs); ``paragraphs_a`` /
    ``paragraphs_b`` are the paragraphs of each side in those links; ``pct_a`` / ``pct_b`` the
    share (0-100) of each side's body characters they cover, boilerplate excluded.
    """

    a: str
    b: str
    paragraphs: int = 0
    paragraphs_a: int = 0
    paragraphs_b: int = 0
    pct_a: float = 0.0
    pct_b: float = 0.0

    def swapped(self) -> SharedFigure:
        """The same figure seen from ``b``."""
        return SharedFigure(self.b, self.a, self.paragraphs, self.paragraphs_b, self.paragraphs_a,
                            self.pct_b, self.pct_a)

    def describe(self, a: str = "left text", b: str = "right text") -> str:
        """One line: ``30 shared paragraphs · 64 % of left text · 100 % of right text``."""
        s = "" if self.paragraphs == 1 else "s"
        return f"{self.paragraphs} shared paragraph{s} · {self.pct_a:.0f} % of {a} · {self.pct_b:.0f} % of {b}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``shared`` object of compare, related and pairs output)."""
        return {"a": self.a, "b": self.b, "paragraphs": self.paragraphs,
                "paragraphs_a": self.paragraphs_a, "paragraphs_b": self.paragraphs_b,
                "pct_a": round(self.pct_a, 1), "pct_b": round(self.pct_b, 1)}


@dataclass(frozen=True, slots=True)
class Pair:
    """Two articles sharing substantive text; ``a`` sorts before ``b``."""

    a: str
    b: str
    shared_a: int  # paragraphs of a found in b
    shared_b: int
    pct_a: float  # share (0-100) of a's body characters found in b, boilerplate excluded
    pct_b: float
    groups: int = -1  # paragraph groups both hold (the shared figure); -1: min(shared_a, shared_b)

    @property
    def shared(self) -> int:
        """Shared paragraphs: :attr:`SharedFigure.paragraphs` (a split paragraph counts once)."""
        return self.groups if self.groups >= 0 else min(self.shared_a, self.shared_b)

    @property
    def figure(self) -> SharedFigure:
        """The pair's :class:`SharedFigure`."""
        return SharedFigure(self.a, self.b, self.shared, self.shared_a, self.shared_b, self.pct_a, self.pct_b)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax pairs --json``."""
        return {"a": self.a, "b": self.b, "shared_paragraphs": self.shared,
                "shared_a": self.shared_a, "shared_b": self.shared_b,
                "pct_a": round(self.pct_a, 1), "pct_b": round(self.pct_b, 1),
                "shared": self.figure.to_dict()}


@dataclass(frozen=True, slots=True)
class RelatedArticle:
    """An article sharing text with a given one."""

    id: str
    title: str
    source: str
    date: str
    shared_paragraphs: int
    shared_here: int  # paragraphs of the given article found in this one
    shared_there: int
    pct_here: float  # share of the given article's body found in this one
    pct_there: float

    def figure(self, here: str) -> SharedFigure:
        """The :class:`SharedFigure` of ``here`` (the given article) and this one."""
        return SharedFigure(here, self.id, self.shared_paragraphs, self.shared_here, self.shared_there,
                            self.pct_here, self.pct_there)

    def to_dict(self, here: str = "") -> dict[str, Any]:
        """JSON-ready form used by ``parallax related --json`` (``shared`` when ``here`` is given)."""
        out: dict[str, Any] = {"id": self.id, "title": self.title, "source": self.source, "date": self.date or None,
               "shared_paragraphs": self.shared_paragraphs, "shared_here": self.shared_here,
               "shared_there": self.shared_there, "pct_here": round(self.pct_here, 1),
               "pct_there": round(self.pct_there, 1)}
        if here:
            out["shared"] = self.figure(here).to_dict()
        return out


@dataclass(frozen=True, slots=True)
class ClusterMember:
    """One article of a cluster."""

    id: str
    title: str
    source: str
    date: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date or None}


@dataclass(frozen=True, slots=True)
class Cluster:
    """Articles that are copies or partial copies of one another, oldest first, undated last."""

    members: tuple[ClusterMember, ...]
    origin: str | None  # None when the dates cannot tell
    reason: str  # "earliest dated", "earliest dated; 2 undated", "tie between …", "no dates"
    pairs: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax clusters --json``."""
        return {"members": [m.to_dict() for m in self.members], "origin": self.origin,
                "reason": self.reason, "pairs": self.pairs}


_CHUNK = 1 << 18  # elements per numpy call that holds the GIL (about a millisecond each)


# The map is built on a worker thread next to the window. Most numpy calls release the GIL, but
# ``repeat``, ``bincount``, ``ufunc.at`` and a ``cumsum`` that changes the dtype (so also
# ``np.unique(..., return_inverse=True)``) hold it throughout: at 100,000 articles one of them
# froze the window for 365 ms. These take their input a chunk at a time.


def _repeat(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.repeat(values, counts)`` for 1-D arrays, a chunk of output at a time."""
    counts = np.asarray(counts)
    if int(counts.sum()) <= _CHUNK:
        return np.repeat(values, counts)
    ends = np.cumsum(counts.astype(np.int64, copy=False))
    total = int(ends[-1])
    out = np.empty(total, dtype=np.asarray(values).dtype)
    cuts = np.searchsorted(ends, np.arange(_CHUNK, total, _CHUNK), side="right")
    lo = 0
    for hi in [*np.unique(cuts).tolist(), len(counts)]:
        if hi > lo:
            start = int(ends[lo - 1]) if lo else 0
            out[start:int(ends[hi - 1])] = np.repeat(values[lo:hi], counts[lo:hi])
            lo = hi
    return out


def _bincount(x: np.ndarray, weights: np.ndarray | None = None, minlength: int = 0) -> np.ndarray:
    """``np.bincount``, a chunk at a time (weights here are whole numbers: the sums are exact)."""
    if len(x) <= _CHUNK:
        return np.bincount(x, weights, minlength)
    size = max(minlength, int(x.max()) + 1)
    out: np.ndarray = np.zeros(size, dtype=np.int64 if weights is None else np.float64)
    for s in range(0, len(x), _CHUNK):
        np.add(out, np.bincount(x[s:s + _CHUNK], None if weights is None else weights[s:s + _CHUNK], size), out=out)
    return out


def _cumsum(x: np.ndarray) -> np.ndarray:
    """``np.cumsum`` as int64 (converted first: a converting ``cumsum`` holds the GIL)."""
    return np.cumsum(x.astype(np.int64, copy=False))


def _unique_inverse(x: np.ndarray, first: bool = False) -> tuple[np.ndarray, ...]:
    """``np.unique(x, return_inverse=True)`` of a 1-D array (``first``: also ``return_index``)."""
    order = np.argsort(x, kind="stable" if first else None)
    sx = x[order]
    new = np.empty(len(x), dtype=bool)
    new[:1] = True
    np.not_equal(sx[1:], sx[:-1], out=new[1:])
    inv = np.empty(len(x), dtype=np.int64)
    inv[order] = _cumsum(new) - 1
    uniq = sx[new]
    return (uniq, order[new], inv) if first else (uniq, inv)


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values in a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return starts, np.diff(np.r_[starts, len(sorted_keys)])


def _pairs_within(keys: np.ndarray, items: np.ndarray, max_group: int,
                  presorted: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of ``items`` that share a key, for keys held by 2..``max_group`` items
    (``presorted``: ``keys`` are sorted already)."""
    if presorted:
        starts, sizes = _runs(keys)
    else:
        order = np.argsort(keys)
        starts, sizes = _runs(keys[order])
        items = items[order]
        del order
    entry_size = _repeat(sizes.astype(np.int32), sizes)
    entry_pos = (np.arange(len(items)) - _repeat(starts, sizes)).astype(np.int32)
    del starts, sizes
    idx = np.flatnonzero((entry_size >= 2) & (entry_size <= max_group))
    out_a, out_b = [np.zeros(0, items.dtype)], [np.zeros(0, items.dtype)]
    d = 1
    while len(idx):
        idx = idx[entry_pos[idx] + d < entry_size[idx]]
        out_a.append(items[idx])
        out_b.append(items[idx + d])
        d += 1
    return np.concatenate(out_a), np.concatenate(out_b)


def _hub_pairs(keys: np.ndarray, items: np.ndarray, rank: np.ndarray, min_group: int,
               hubs: int) -> tuple[np.ndarray, np.ndarray]:
    """For keys held by more than ``min_group`` items: each item paired with the ``hubs`` lowest-ranked."""
    order = np.lexsort((rank, keys))
    starts, sizes = _runs(keys[order])
    big_run = sizes > min_group
    starts, sizes = starts[big_run], sizes[big_run]
    # Only the entries of big runs: their position in ``order`` and their run's start.
    sel, pos_in = _expand(starts, sizes)
    first = starts[sel]
    entry_pos = pos_in - first
    items = items[order]
    del order
    out_a, out_b = [np.zeros(0, items.dtype)], [np.zeros(0, items.dtype)]
    for h in range(hubs):
        m = entry_pos > h
        out_a.append(items[first[m] + h])
        out_b.append(items[pos_in[m]])
    return np.concatenate(out_a), np.concatenate(out_b)


def _distinct(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(a, b)`` pairs, sorted, with how often each occurred."""
    if not len(a):
        return a, b, np.zeros(0, np.int64)
    if min(int(a.min()), int(b.min())) >= 0 and max(int(a.max()), int(b.max())) < 2**31:
        key = _pair_keys([(a, b)], ordered=True)
        return _distinct_keys(key, a.dtype, b.dtype)
    o = np.lexsort((b, a))
    a, b = a[o], b[o]
    first = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    return a[first], b[first], np.diff(np.r_[first, len(a)])


def _pair_keys(parts: list[tuple[np.ndarray, np.ndarray]], ordered: bool = False) -> np.ndarray:
    """One int64 key ``a << 32 | b`` per pair of non-negative values below 2**31, the parts one
    after the other (``ordered``: as given; else the smaller of each pair first).

    Filled in place: sorting one array of keys takes a third of the memory of ``lexsort`` and
    the two reordered arrays.
    """
    key = np.empty(sum(len(a) for a, _ in parts), dtype=np.int64)
    at = 0
    for a, b in parts:
        out = key[at:at + len(a)]
        if ordered:
            out[:] = a
        else:
            np.minimum(a, b, out=out)
        out <<= 32
        out |= b if ordered else np.maximum(a, b)
        at += len(a)
    return key


def _distinct_keys(key: np.ndarray, a_type: np.dtype, b_type: np.dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_distinct` of pairs packed by :func:`_pair_keys` (``key`` is sorted in place)."""
    if not len(key):
        return np.zeros(0, a_type), np.zeros(0, b_type), np.zeros(0, np.int64)
    key.sort()
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[first, len(key)])
    key = key[first]
    return (key >> 32).astype(a_type), (key & 0xFFFFFFFF).astype(b_type), counts


def _expand(starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges ``[start, start + length)``: the range number and the value of every element."""
    lengths = lengths.astype(np.int64)
    total = int(lengths.sum())
    owner = _repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    offset = _repeat(starts.astype(np.int64) - (np.cumsum(lengths) - lengths), lengths)
    return owner, offset + np.arange(total, dtype=np.int64)


def _isin(keys: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """``np.isin`` by sorting and binary search (numpy's hash-based one is several times slower here)."""
    if not len(pool) or not len(keys):
        return np.zeros(len(keys), dtype=bool)
    pool = np.sort(pool)
    order = np.argsort(keys)
    idx = np.minimum(np.searchsorted(pool, keys[order]), len(pool) - 1)
    out = np.empty(len(keys), dtype=bool)
    out[order] = pool[idx] == keys[order]
    return out


def _rank(x: np.ndarray) -> np.ndarray:
    """A fixed pseudo-random order of integers (the same ids always in the same order)."""
    return mix64(x.astype(np.uint64) + np.uint64(0x632BE59BD9B4E019))


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of ``n`` nodes and edges ``(a, b)``: each node's smallest member."""
    lab = np.arange(n, dtype=np.int64)
    if not len(a):
        return lab
    a, b = a.astype(np.int64, copy=False), b.astype(np.int64, copy=False)
    while True:
        m = np.minimum(lab[a], lab[b])
        new = lab.copy()
        for s in range(0, len(a), _CHUNK):  # ufunc.at holds the GIL
            np.minimum.at(new, a[s:s + _CHUNK], m[s:s + _CHUNK])
            np.minimum.at(new, b[s:s + _CHUNK], m[s:s + _CHUNK])
        while True:  # pointer jumping: every node straight to its current root
            nxt = new[new]
            if np.array_equal(nxt, new):
                break
            new = nxt
        if np.array_equal(new, lab):
            return lab
        lab = new


class ReuseMap:
    """Boilerplate, copies, pairs and clusters of one set of fingerprinted articles (immutable)."""

    def __init__(self, prints: Prints, thresholds: Thresholds | None = None,
                 overrides: ReuseOverrides | None = None) -> None:
        self.prints = p = prints
        self.thresholds = thresholds or Thresholds()
        self.overrides = ov = overrides or ReuseOverrides()
        self.meta: list[ArticleMeta] = prints.meta
        if ov.source_alias:
            self.meta = [replace(m, source=ov.source(m.source)) if m.source in ov.source_alias else m
                         for m in prints.meta]
        self._pos = {m.id: i for i, m in enumerate(self.meta)}
        n = len(self.meta)
        sources = sorted({m.source for m in self.meta if m.source})
        code = {s: i for i, s in enumerate(sources)}
        self._src = np.array([code.get(m.source, -1) for m in self.meta], dtype=np.int64)
        self._art_row_start = np.searchsorted(p.row_art, np.arange(n + 1)).astype(np.int64)
        row_fp_end = _cumsum(p.row_nfp)
        nbot = np.minimum(p.row_nfp, 2).astype(np.int64)  # each row's two smallest fingerprints
        bot_row, bot = _expand(row_fp_end - p.row_nfp, nbot)
        self._bot_row = bot_row.astype(np.int32)
        self._bot_fp = p.fp[bot]
        del bot_row, bot, row_fp_end
        self._art_bot_start = np.r_[0, np.cumsum(nbot)][self._art_row_start]
        self.row_boilerplate = self._learn_boilerplate()
        role_body = p.row_role == 0
        if ov.content or ov.boilerplate:
            if ov.content:
                marked = np.isin(p.row_exact, np.array(sorted(ov.content), np.uint64))
                self.row_boilerplate &= ~marked
                role_body |= marked  # marked content: body whatever role the page suggested
            if ov.boilerplate:
                self.row_boilerplate |= np.isin(p.row_exact, np.array(sorted(ov.boilerplate), np.uint64))
        # A body paragraph repeating the article's own title (a scrape's title line) is its title.
        title_hash = np.array([exact_hash(normalize(m.title)) for m in prints.meta], dtype=np.uint64)
        is_title = (p.row_exact == title_hash[p.row_art]) if n else np.zeros(0, dtype=bool)
        body = role_body & ~self.row_boilerplate & ~is_title
        self.body_chars = _bincount(p.row_art[body], weights=p.row_chars[body], minlength=n)
        self.substantive = body & (p.row_words >= MIN_WORDS)
        self.boilerplate_hashes: frozenset[int] = frozenset(
            int(h) for h in np.unique(p.row_exact[self.row_boilerplate & (p.row_exact != 0)]))
        self.row_group = self._group_rows()
        self._index_groups()
        self._version = self._version_keys()
        self._clusters: dict[int, list[Cluster]] = {}
        self._cluster_index: np.ndarray | None = None

    # ------------------------------------------------------------------ boilerplate

    def _learn_boilerplate(self) -> np.ndarray:
        """Per row: furniture by co-occurrence (module docstring, rule 1)."""
        p, th = self.prints, self.thresholds
        bp = np.zeros(len(p.row_art), dtype=bool)
        # The recurring fingerprints' rows and units, sorted by value, for _group_rows.
        self._rec_rows = self._rec_units = np.zeros(0, dtype=np.int32)
        rows = np.flatnonzero(p.row_exact != 0)
        if not len(rows):
            return bp
        ex_uniq, ex_inv = _unique_inverse(p.row_exact[rows])
        n_ex = len(ex_uniq)
        fp_rows = self._fp_row
        # Fingerprint units: only the values found twice or more (most are found once), numbered
        # compactly, with the fingerprint entries holding them.
        order = np.argsort(p.fp)
        sf = p.fp[order]
        new_value = sf[1:] != sf[:-1]
        del sf
        rec = np.zeros(len(order), dtype=bool)  # entries whose value is found twice or more
        rec[1:] = ~new_value
        rec[:-1] |= ~new_value
        unit_start = np.ones(len(order), dtype=bool)
        unit_start[1:] = new_value
        del new_value
        unit_start = unit_start[rec]
        fp_idx = order[rec]
        del order, rec
        fp_unit = (_cumsum(unit_start) - 1).astype(np.int32)
        n_units = n_ex + int(unit_start.sum())
        del unit_start
        chrome = np.zeros(n_units, dtype=bool)
        chrome[ex_inv[(p.row_role[rows] != 0) | (p.row_words[rows] < MIN_WORDS)]] = True
        # Distinct (unit, article) as one sorted int64 key, the article by its place in the fixed
        # pseudo-random order of holders (``_rank``): sorted, a unit's holders come lowest-ranked
        # first with no second sort.
        n = max(len(self.meta), 1)
        by_rank = np.argsort(_rank(np.arange(n))).astype(np.int32)
        rank_of = np.empty(n, dtype=np.int64)
        rank_of[by_rank] = np.arange(n)
        fp_row_rec = fp_rows[fp_idx]
        del fp_idx, fp_rows
        self.__dict__.pop("_fp_row_cache", None)
        self._rec_rows, self._rec_units = fp_row_rec, fp_unit
        key = np.empty(len(rows) + len(fp_unit), dtype=np.int64)
        head, tail = key[:len(rows)], key[len(rows):]
        head[:] = ex_inv
        head *= n
        head += rank_of[p.row_art[rows]]
        tail[:] = fp_unit
        tail += n_ex
        tail *= n
        tail += rank_of[p.row_art[fp_row_rec]]
        del head, tail, rank_of
        key.sort()
        key = key[np.r_[True, key[1:] != key[:-1]]]
        g = (key // n).astype(np.int32)
        key %= n
        a = by_rank[key]
        del key, by_rank
        n_art = _bincount(g, minlength=n_units)
        keep = n_art[g] >= 2
        g, a = g[keep], a[keep]
        furniture = np.zeros(n_units, dtype=bool)
        if len(g):
            # A few holders per unit (the lowest in a fixed pseudo-random order), each pair of them tested.
            starts, sizes = _runs(g)
            pos = np.arange(len(g)) - _repeat(starts, sizes)
            k = max(th.sample_holders, 2)
            keep = pos < k
            g, a, pos = g[keep], a[keep].astype(np.int64), pos[keep]
            starts, sizes = _runs(g)
            # Units with the same tested holders (the paragraphs of one story, the lines of one
            # outlet's furniture) are tested once: a signature of the holder list.
            h = mix64(a.astype(np.uint64) ^ _rank(pos))
            sig = np.bitwise_xor.reduceat(h, starts) ^ _rank(sizes)
            _, rep, sig_inv = _unique_inverse(sig, first=True)
            del h, sig
            run_unit = g[starts]
            rep_run = np.zeros(len(starts), dtype=bool)
            rep_run[rep] = True
            keep = _repeat(rep_run, sizes)
            s_of = _repeat(sig_inv, sizes)[keep]  # signature of each kept entry
            a, pos = a[keep], pos[keep]
            n_sig = len(rep)
            size = _repeat(sizes, sizes)[keep]
            ex, ey = [], []
            for d in range(1, k):
                e = np.flatnonzero(pos + d < size)
                ex.append(e)
                ey.append(e + d)
            ex_, ey_ = np.concatenate(ex), np.concatenate(ey)
            n = max(len(self.meta), 1)
            upair, pinv = _unique_inverse(np.minimum(a[ex_], a[ey_]) * n + np.maximum(a[ex_], a[ey_]))
            copies = self._copies(upair // n, upair % n)[pinv]
            sx, sy = self._src[a[ex_]], self._src[a[ey_]]
            same = (sx >= 0) & (sx == sy)
            us = s_of[ex_]
            npairs = np.maximum(_bincount(us, minlength=n_sig), 1)
            same_share = _bincount(us, weights=same, minlength=n_sig) / npairs
            pair_share = _bincount(us, weights=copies, minlength=n_sig) / npairs
            # Share of the tested holders that are a copy of another tested holder.
            has_copy = np.zeros(len(a), dtype=bool)
            has_copy[ex_[copies]] = True
            has_copy[ey_[copies]] = True
            copy_share = _bincount(s_of, weights=has_copy, minlength=n_sig) / np.maximum(
                _bincount(s_of, minlength=n_sig), 1)
            content_sig = (copy_share >= th.copies_share) & (pair_share >= th.copy_pairs_share)
            furniture_sig = ~content_sig & (same_share >= 0.5)
            content = np.ones(n_units, dtype=bool)
            content[run_unit] = content_sig[sig_inv]
            lean = np.zeros(n_units, dtype=bool)
            lean[run_unit] = furniture_sig[sig_inv]
            tested = np.zeros(n_units, dtype=bool)
            tested[run_unit] = sizes >= 2
            furniture = tested & ~content & (chrome | lean | (n_art >= th.source_articles))
        bp[rows] = furniture[:n_ex][ex_inv]
        if len(p.fp):
            # Over the paragraph's recurring fingerprints: the ones naming the outlet or a year
            # recur too little to be tested, and must not save a network-wide footer.
            n_common = _bincount(fp_row_rec[furniture[n_ex:][fp_unit]], minlength=len(bp))
            n_recurring = _bincount(fp_row_rec[(n_art[n_ex:] >= 2)[fp_unit]], minlength=len(bp))
            bp |= (n_recurring >= 2) & (n_common >= th.near_boilerplate_share * n_recurring)
        return bp

    def _copies(self, px: np.ndarray, py: np.ndarray, chunk: int = 500_000) -> np.ndarray:
        """Per article pair: True when one of the two shares ``copy_overlap`` of its text with the other."""
        out = np.zeros(len(px), dtype=bool)
        rs, bs = self._art_row_start, self._art_bot_start
        cost = (np.diff(rs)[px] + np.diff(rs)[py] + np.diff(bs)[px] + np.diff(bs)[py]).astype(np.int64)
        bounds = np.searchsorted(np.cumsum(cost), np.arange(chunk, int(cost.sum()) + chunk, chunk))
        lo = 0
        for hi in [*bounds.tolist(), len(px)]:
            hi = max(hi + 1, lo + 1) if hi < len(px) else len(px)
            if lo >= len(px):
                break
            x, y = px[lo:hi], py[lo:hi]
            ox, tx = self._found_in(x, y)
            oy, ty = self._found_in(y, x)
            share = np.maximum(ox / np.maximum(tx, 1), oy / np.maximum(ty, 1))
            out[lo:hi] = share >= self.thresholds.copy_overlap
            lo = hi
        return out

    def _found_in(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per pair k: characters of ``x[k]``'s paragraphs found in ``y[k]``, and all its characters.

        A paragraph is found when its text is in ``y[k]``, or one of its two smallest fingerprints
        (a min-hash sketch of it, kept by light edits) is among those of ``y[k]``'s paragraphs.
        """
        p = self.prints
        rs, bs = self._art_row_start, self._art_bot_start
        ox, rx = _expand(rs[x], rs[x + 1] - rs[x])
        oy, ry = _expand(rs[y], rs[y + 1] - rs[y])
        obx, bx = _expand(bs[x], bs[x + 1] - bs[x])
        oby, by = _expand(bs[y], bs[y + 1] - bs[y])
        # Keys salted by pair: one sorted join answers every pair at once.
        hit = _isin(np.concatenate([p.row_exact[rx] ^ _rank(ox), self._bot_fp[bx] ^ _rank(obx)]),
                    np.concatenate([p.row_exact[ry] ^ _rank(oy), self._bot_fp[by] ^ _rank(oby)]))
        found = hit[:len(rx)] & (p.row_exact[rx] != 0)
        # Entry of rx holding each fingerprint: the rows of one article are consecutive in rx.
        base = np.cumsum(rs[x + 1] - rs[x]) - (rs[x + 1] - rs[x])
        where = base[obx] + (self._bot_row[bx] - rs[x][obx])
        found[where[hit[len(rx):]]] = True
        chars = p.row_chars[rx].astype(np.float64) * (p.row_words[rx] > 0)
        return (_bincount(ox, weights=chars * found, minlength=len(x)),
                _bincount(ox, weights=chars, minlength=len(x)))

    @property
    def _fp_row(self) -> np.ndarray:
        try:
            cached: np.ndarray = self.__dict__["_fp_row_cache"]
            return cached
        except KeyError:
            pass
        nfp = self.prints.row_nfp
        rows = _repeat(np.arange(len(nfp), dtype=np.int32), nfp)  # Prints.fp_rows, as int32
        self.__dict__["_fp_row_cache"] = rows
        return rows

    def is_boilerplate(self, norm_text: str) -> bool:
        """True when a normalised paragraph text is boilerplate (learned or marked)."""
        return exact_hash(norm_text) in self.boilerplate_hashes

    def is_boilerplate_paragraph(self, paragraph: Paragraph) -> bool:
        """Predicate for ``app.core.align.paragraphs.align(..., boilerplate=...)``."""
        return exact_hash(paragraph.norm) in self.boilerplate_hashes

    def boilerplate_count(self) -> int:
        """Number of distinct boilerplate texts."""
        return len(self.boilerplate_hashes)

    # ------------------------------------------------------------------ matching

    def _group_rows(self) -> np.ndarray:
        """Per row: its paragraph group (a row number; -1 for rows that are not substantive)."""
        p, th = self.prints, self.thresholds
        sub = np.flatnonzero(self.substantive)
        local = np.full(len(p.row_art), -1, dtype=np.int32)
        local[sub] = np.arange(len(sub), dtype=np.int32)
        ex = p.row_exact[sub]
        order = np.argsort(ex, kind="stable")
        starts, sizes = _runs(ex[order])
        ea, eb = order, _repeat(order[starts], sizes)
        # The fingerprints of substantive rows found twice or more, sorted by value, as furniture
        # learning left them: fingerprint units for keys, no second sort of the fingerprints.
        keep = self.substantive[self._rec_rows]
        keys, items = self._rec_units[keep], local[self._rec_rows[keep]]
        del keep
        self._rec_rows = self._rec_units = np.zeros(0, dtype=np.int32)
        # Fingerprints held by one paragraph link nothing: dropped before pairing (most of them).
        starts, sizes = _runs(keys)
        shared_fp = _repeat(sizes >= 2, sizes)
        keys, items = keys[shared_fp], items[shared_fp]
        del shared_fp, starts, sizes
        fa, fb = _pairs_within(keys, items, th.max_postings, presorted=True)
        ha, hb = _hub_pairs(keys, items, _rank(p.row_art[sub][items]), th.max_postings, max(th.hubs, 1))
        del keys, items
        key = _pair_keys([(fa, fb), (ha, hb)])
        del fa, fb, ha, hb
        lo, hi, shared = _distinct_keys(key, np.dtype(np.int32), np.dtype(np.int32))
        del key
        nfp = p.row_nfp[sub]
        small = np.minimum(nfp[lo], nfp[hi]).astype(np.float64)
        ok = (shared >= 2) & (shared / np.maximum(small, 1) >= th.min_containment)
        art = p.row_art[sub]
        ok &= art[lo] != art[hi]
        labels = _components(len(sub), np.concatenate([ea, lo[ok]]), np.concatenate([eb, hi[ok]]))
        out = np.full(len(p.row_art), -1, dtype=np.int64)
        out[sub] = labels
        return out

    def _index_groups(self) -> None:
        """Article -> groups and group -> articles tables of the groups held by two articles or more."""
        p = self.prints
        n = len(self.meta)
        sub = np.flatnonzero(self.row_group >= 0)
        grp, art = self.row_group[sub], p.row_art[sub].astype(np.int64)
        g, a, _ = _distinct(grp, art)
        holders = _bincount(g, minlength=int(grp.max(initial=-1)) + 1)
        keep = holders[grp] >= 2
        sub, grp, art = sub[keep], grp[keep], art[keep]
        self._srow, self._srow_grp, self._srow_art = sub, grp, art  # rows are in article order
        self._srow_start = np.searchsorted(art, np.arange(n + 1))
        # (article, group) entries with the rows and characters of the article in the group.
        key_a, key_g, rows = _distinct(art, grp)
        o = np.lexsort((grp, art))
        first = np.r_[0, np.cumsum(rows)[:-1]] if len(rows) else np.zeros(0, np.int64)
        chars = np.add.reduceat(p.row_chars[sub[o]].astype(np.float64), first) if len(rows) else np.zeros(0)
        self._ag_art, self._ag_grp, self._ag_rows, self._ag_chars = key_a, key_g, rows, chars
        self._ag_start = np.searchsorted(key_a, np.arange(n + 1))
        o = np.argsort(key_g, kind="stable")
        self._ga_grp, self._ga_art = key_g[o], key_a[o]
        self._ga_rows, self._ga_chars = rows[o], chars[o]

    def _version_keys(self) -> np.ndarray:
        """Per article: a hash of its substantive paragraphs in order (0 when it has none)."""
        p = self.prints
        sub = np.flatnonzero(self.substantive)
        out = np.zeros(len(self.meta), dtype=np.uint64)
        if not len(sub):
            return out
        art = p.row_art[sub].astype(np.int64)
        starts, sizes = _runs(art)
        pos = (np.arange(len(sub)) - _repeat(starts, sizes)).astype(np.uint64)
        h = mix64(p.row_exact[sub] ^ _rank(pos))
        out[art[starts]] = np.bitwise_xor.reduceat(h, starts) | np.uint64(1)
        return out

    def _shared_with(self, i: int) -> tuple[np.ndarray, ...]:
        """Articles sharing a group with article ``i``: ids, groups, rows here/there, chars here/there."""
        s, e = self._ag_start[i], self._ag_start[i + 1]
        grps = self._ag_grp[s:e]
        if not len(grps):
            z = np.zeros(0, np.int64)
            return z, z, z, z, z.astype(np.float64), z.astype(np.float64)
        gs = np.searchsorted(self._ga_grp, grps, "left")
        ge = np.searchsorted(self._ga_grp, grps, "right")
        own, idx = _expand(gs, ge - gs)
        other = self._ga_art[idx]
        mask = other != i
        own, idx, other = own[mask], idx[mask], other[mask]
        uo, inv = np.unique(other, return_inverse=True)
        m = len(uo)
        return (uo, _bincount(inv, minlength=m),
                _bincount(inv, weights=self._ag_rows[s:e][own], minlength=m).astype(np.int64),
                _bincount(inv, weights=self._ga_rows[idx], minlength=m).astype(np.int64),
                _bincount(inv, weights=self._ag_chars[s:e][own], minlength=m),
                _bincount(inv, weights=self._ga_chars[idx], minlength=m))

    # ------------------------------------------------------------------ queries

    def __contains__(self, aid: str) -> bool:
        return aid in self._pos

    def article(self, aid: str) -> ArticleMeta:
        """The stored metadata of an article.

        Raises:
            KeyError: the article is not in the map.
        """
        return self.meta[self._pos[aid]]

    def _pct(self, chars: np.ndarray | float, i: np.ndarray | int) -> np.ndarray:
        pct: np.ndarray = np.minimum(100.0, 100.0 * chars / np.maximum(self.body_chars[i], 1))
        return pct

    def shared(self, a: str, b: str) -> SharedFigure:
        """What ``a`` and ``b`` share: the one figure every view shows (zero when nothing)."""
        i, j = self._pos.get(a), self._pos.get(b)
        if i is None or j is None or i == j:
            return SharedFigure(a, b)
        uo, groups, rows_here, rows_there, chars_here, chars_there = self._shared_with(i)
        k = int(np.searchsorted(uo, j))
        if k >= len(uo) or uo[k] != j:
            return SharedFigure(a, b)
        return SharedFigure(a, b, int(groups[k]), int(rows_here[k]), int(rows_there[k]),
                            float(self._pct(chars_here[k], i)), float(self._pct(chars_there[k], j)))

    def iter_pairs(self, min_shared: int = 1, clusters: Iterable[Cluster] | None = None) -> Iterator[Pair]:
        """Article pairs sharing at least ``min_shared`` paragraphs, streamed cluster by cluster.

        Only one article's pairs are held at a time: a story carried 500 times yields its 124,750
        pairs one by one. ``clusters`` limits them to those clusters (default: all, largest first).
        """
        for cluster in self.clusters() if clusters is None else clusters:
            for m in cluster.members:
                yield from self._pairs_of(self._pos[m.id], min_shared, upper=True)

    def _pairs_of(self, i: int, min_shared: int, upper: bool) -> Iterator[Pair]:
        uo, groups, rh, rt, ch, ct = self._shared_with(i)
        ph, pt = self._pct(ch, i), self._pct(ct, uo)
        me = self.meta[i].id
        for k in np.flatnonzero(groups >= max(min_shared, 1)).tolist():
            other = self.meta[int(uo[k])].id
            if upper and other < me:
                continue
            g, sh, st = int(groups[k]), int(rh[k]), int(rt[k])
            if me < other:
                yield Pair(me, other, sh, st, float(ph[k]), float(pt[k]), g)
            else:
                yield Pair(other, me, st, sh, float(pt[k]), float(ph[k]), g)

    def pairs(self, min_shared: int = 1) -> list[Pair]:
        """Article pairs sharing at least ``min_shared`` paragraphs, most shared first (held in memory)."""
        pairs = list(self.iter_pairs(min_shared))
        pairs.sort(key=lambda q: (-q.shared, -max(q.pct_a, q.pct_b), q.a, q.b))
        return pairs

    def pair_count(self, min_shared: int = 1) -> int:
        """How many pairs :meth:`iter_pairs` yields, counted without building them."""
        if min_shared <= 1:
            # Each cluster counted its pairs when it was made: 5 s at 100,000 articles not spent
            # again (the graph asks for it on the worker thread as the window fills).
            return sum(c.pairs for c in self.clusters())
        total = 0
        for c in self.clusters():
            for m in c.members:
                groups = self._shared_with(self._pos[m.id])[1]
                total += int((groups >= max(min_shared, 1)).sum())
        return total // 2

    def related(self, aid: str) -> list[RelatedArticle]:
        """Articles sharing text with ``aid``, best first (an unknown id has none)."""
        i = self._pos.get(aid)
        if i is None:
            return []
        uo, groups, rh, rt, ch, ct = self._shared_with(i)
        ph, pt = self._pct(ch, i), self._pct(ct, uo)
        out = []
        for k in range(len(uo)):
            other = self.meta[int(uo[k])]
            out.append(RelatedArticle(other.id, other.title, other.source, other.date, int(groups[k]),
                                      int(rh[k]), int(rt[k]), float(ph[k]), float(pt[k])))
        out.sort(key=lambda r: (-r.shared_paragraphs, -r.pct_here, r.id))
        return out

    def links(self, aid: str, other: str) -> list[tuple[int, int]]:
        """Matching paragraph indexes ``(in aid, in other)`` of two articles (every pair of a group)."""
        i, j = self._pos.get(aid), self._pos.get(other)
        if i is None or j is None or i == j:
            return []
        pidx = self.prints.row_pidx
        si, sj = slice(self._srow_start[i], self._srow_start[i + 1]), slice(self._srow_start[j], self._srow_start[j + 1])
        gi, gj = self._srow_grp[si], self._srow_grp[sj]
        ri, rj = self._srow[si], self._srow[sj]
        out: list[tuple[int, int]] = []
        for g in np.intersect1d(gi, gj).tolist():
            for x in ri[gi == g].tolist():
                out.extend((int(pidx[x]), int(pidx[y])) for y in rj[gj == g].tolist())
        return sorted(out)

    # ------------------------------------------------------------------ clusters

    def clusters(self, min_shared: int = 1) -> list[Cluster]:
        """Connected groups of articles sharing text, largest first."""
        min_shared = max(min_shared, 1)
        if min_shared in self._clusters:
            return self._clusters[min_shared]
        n = len(self.meta)
        if min_shared == 1:
            # Each group's holders linked to its first holder: articles sharing a group are joined.
            starts, sizes = _runs(self._ga_grp)
            a = self._ga_art
            b = _repeat(a[starts], sizes) if len(starts) else a
            labels = _components(n, a, b)
        else:
            pa, pb = [], []
            for c in self.clusters(1):
                for m in c.members:
                    i = self._pos[m.id]
                    uo, counts = self._shared_with(i)[:2]
                    sel = uo[counts >= min_shared]
                    pa.append(np.full(len(sel), i, np.int64))
                    pb.append(sel)
            labels = _components(n, np.concatenate([np.zeros(0, np.int64), *pa]),
                                 np.concatenate([np.zeros(0, np.int64), *pb]))
        size = _bincount(labels, minlength=n)
        members = np.flatnonzero(size[labels] >= 2)
        groups: dict[int, list[int]] = {}
        for x, r in zip(members.tolist(), labels[members].tolist(), strict=True):
            groups.setdefault(r, []).append(x)
        out = [self._cluster(g, min_shared) for g in groups.values()]
        out.sort(key=lambda c: (-len(c.members), c.members[0].date or "9999", c.members[0].id))
        self._clusters[min_shared] = out
        if min_shared == 1:
            # Numbered here, where the clusters are made (a worker thread in the window):
            # the first copies or versions lookup would otherwise number 40,000 members on
            # the GUI thread (0.1 s at 100,000 articles).
            self._cluster_number()
        return out

    def _cluster(self, members: list[int], min_shared: int) -> Cluster:
        metas = [self.meta[i] for i in members]
        metas.sort(key=lambda m: (not m.date, m.date, m.id))
        npairs = sum(int((self._shared_with(i)[1] >= min_shared).sum()) for i in members) // 2
        people = tuple(ClusterMember(m.id, m.title, m.source, m.date) for m in metas)
        dated = [m for m in metas if m.date]
        undated = len(metas) - len(dated)
        if not dated:
            return Cluster(people, None, "no dates", npairs)
        first = [m for m in dated if m.date == dated[0].date]
        if len(first) > 1:
            names = ", ".join(m.id for m in first)
            return Cluster(people, None, f"tie between {names} ({dated[0].date})", npairs)
        reason = "earliest dated" + (f"; {undated} undated" if undated else "")
        return Cluster(people, dated[0].id, reason, npairs)

    def _cluster_number(self) -> np.ndarray:
        if self._cluster_index is None:
            idx = np.full(len(self.meta), -1, dtype=np.int64)
            for k, c in enumerate(self.clusters()):
                idx[[self._pos[m.id] for m in c.members]] = k
            self._cluster_index = idx
        return self._cluster_index

    def copies_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What ``copies`` and ``duplicates`` answer, as arrays over ``meta`` (for a saved table).

        Returns:
            ``members``: article positions, cluster after cluster, each cluster oldest first;
            ``starts``: where each cluster begins in ``members`` (one more entry: the end);
            ``version``: each article's version key (equal within a cluster: same version).
        """
        clusters = self.clusters()
        members = np.fromiter((self._pos[m.id] for c in clusters for m in c.members), dtype=np.int32)
        sizes = np.fromiter((len(c.members) for c in clusters), dtype=np.int64, count=len(clusters))
        starts = np.concatenate([np.zeros(1, np.int64), np.cumsum(sizes)]).astype(np.int32)
        _, version = np.unique(np.asarray(self._version), return_inverse=True)
        return members, starts, version.astype(np.int32).reshape(-1)

    def cluster_of(self, aid: str) -> Cluster | None:
        """The cluster holding ``aid`` (None when it shares nothing)."""
        i = self._pos.get(aid)
        if i is None:
            return None
        k = int(self._cluster_number()[i])
        return None if k < 0 else self.clusters()[k]

    def copies(self, aid: str) -> list[str]:
        """The other articles carrying the same story (same cluster), oldest first, undated last."""
        c = self.cluster_of(aid)
        return [] if c is None else [m.id for m in c.members if m.id != aid]

    def versions(self, aid: str) -> list[list[str]]:
        """The story's copies grouped by version (same substantive text), each group sorted,
        largest first (``aid``'s own group included; an article sharing nothing is its own version)."""
        c = self.cluster_of(aid)
        if c is None:
            return [[aid]] if aid in self._pos else []
        by_key: dict[int, list[str]] = {}
        for m in c.members:
            by_key.setdefault(int(self._version[self._pos[m.id]]), []).append(m.id)
        groups = [sorted(g) for g in by_key.values()]
        groups.sort(key=lambda g: (-len(g), g[0]))
        return groups

    def duplicates(self, aid: str) -> list[str]:
        """The other articles whose substantive text is the same version as ``aid``'s."""
        for group in self.versions(aid):
            if aid in group:
                return [x for x in group if x != aid]
        return []

    def summary(self) -> dict[str, Any]:
        """Headline figures."""
        return {"articles": len(self.meta), "pairs": self.pair_count(),
                "clusters": len(self.clusters()), "boilerplate_texts": self.boilerplate_count()}


def shared_figure(alignment: Alignment, rmap: ReuseMap | None = None) -> SharedFigure:
    """THE shared figure of a comparison (status bar, ``compare``, reports).

    The reuse map's :meth:`ReuseMap.shared` when both articles are in the map, so that a pair
    shows the same figure in every view; otherwise the same definition counted on the aligned
    rows: content rows holding a substantive body paragraph (``MIN_WORDS`` words or more) on
    each side, and the share of each side's body characters, boilerplate rows excluded.
    """
    a, b = alignment.left, alignment.right
    if (rmap is not None and a.id and b.id and a.id in rmap and b.id in rmap
            and rmap.article(a.id).content_hash == a.content_hash
            and rmap.article(b.id).content_hash == b.content_hash):
        return rmap.shared(a.id, b.id)

    def substantive(article: Article, i: int) -> bool:
        para = article.paragraphs[i]
        return para.role is Role.BODY and len(para.norm.split()) >= MIN_WORDS

    rows = [r for r in alignment.rows if r.kind in (RowKind.IDENTICAL, RowKind.CHANGED)
            and any(substantive(a, i) for i in r.left) and any(substantive(b, j) for j in r.right)]
    left = {i for r in rows for i in r.left if substantive(a, i)}
    right = {j for r in rows for j in r.right if substantive(b, j)}
    excluded = [{i for r in alignment.rows if r.kind is RowKind.BOILERPLATE for i in (r.left, r.right)[s]}
                for s in (0, 1)]

    def pct(article: Article, found: set[int], skip: set[int]) -> float:
        body = [p for p in article.paragraphs if p.role is Role.BODY and p.index not in skip]
        total = sum(len(p.text) for p in body)
        return min(100.0, 100.0 * sum(len(p.text) for p in body if p.index in found) / total) if total else 0.0

    return SharedFigure(a.id, b.id, len(rows), len(left), len(right),
                        pct(a, left, excluded[0]), pct(b, right, excluded[1]))
