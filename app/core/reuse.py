"""The corpus reuse map: learned boilerplate, article pairs sharing text, clusters and likely origins.

Built from :class:`app.core.fingerprint.Prints` (see that module for the fingerprints) in a few
vectorised passes, never by comparing all pairs of articles:

1. **Boilerplate is learned from recurrence**, independently of the reader's roles. Paragraphs
   are grouped by exact normalised text; a group is boilerplate when its paragraphs occur in

   - at least ``source_articles`` (3) articles of one source, or
   - at least ``max(corpus_min, corpus_share × articles)`` articles (3, or 1 % of the corpus)
     when the text is chrome-like (below), or at least ``corpus_body_min`` (10) of them whatever
     it is: in a small corpus a story republished by three sites is reuse, not boilerplate, or
   - at least 2 articles of one source when the text is chrome-like in one of them (the reader
     did not call it body, or it has fewer than ``MIN_WORDS`` words). This is the small-corpus
     rule: in the five seeds the Global Research footer occurs in the only two articles of that
     source. A long body paragraph in two articles of *different* sources is reuse, never this.

   Articles without a known source never count as "one source". Near-duplicate recurrence is
   caught the same way on fingerprints: a paragraph at least half of whose fingerprints occur in
   boilerplate-many articles (rule 1, or rule 2 without the chrome test) is boilerplate too (footers with a varying date).
2. **Substantive paragraphs** are body paragraphs of ``MIN_WORDS`` words or more that are not
   boilerplate. Two of them, in different articles, *match* when they have the same text, or when
   they share at least 2 fingerprints covering ``min_containment`` of the shorter one's (a single
   shared shingle is too weak: boilerplate variants across sources share one). Fingerprints found in more than ``max_postings``
   paragraphs are not used to find candidates (so a passage syndicated to more articles than
   that is only found when copied verbatim).
3. **Pairs** are articles with at least one matching paragraph; each side reports how many of its
   paragraphs match and their share of its body characters (boilerplate excluded from both).
4. **Clusters** are connected groups of pairs; the likely origin is the earliest dated member, and
   a tie or missing dates are stated in ``Cluster.reason`` instead of guessed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from rapidfuzz import fuzz, process

from app.core.fingerprint import MIN_WORDS, ArticleMeta, Prints, exact_hash
from app.core.model import Paragraph, Role
from app.core.reader import ReadError

if TYPE_CHECKING:
    from app.core.corpus import Corpus


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The rules of the module docstring, with their defaults."""

    source_articles: int = 3
    corpus_share: float = 0.01
    corpus_min: int = 3
    corpus_body_min: int = 10
    near_boilerplate_share: float = 0.5
    min_containment: float = 0.3
    max_postings: int = 64
    max_exact_group: int = 500

    DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "source_articles": "articles of one source a paragraph must recur in before it can be that source's furniture",
        "corpus_share": "share of the corpus a short or chrome-like line must recur in to be site-wide furniture",
        "corpus_min": "fewest articles a short or chrome-like line must recur in to be site-wide furniture",
        "corpus_body_min": "fewest articles a body paragraph must recur in before its co-occurrence is tested",
        "near_boilerplate_share": "share of a paragraph's fingerprints in furniture that makes it furniture too",
        "min_containment": "share of the shorter paragraph's fingerprints two paragraphs must share to match",
        "max_postings": "paragraphs a fingerprint may be in and still find candidates on its own",
        "max_exact_group": "copies of one text compared pairwise; larger groups are linked as one cluster",
    }


_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ReuseOverrides:
    """The analyst's decisions, applied on top of the learned model.

    ``boilerplate`` and ``content`` hold :func:`app.core.fingerprint.exact_hash` values of
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

    def describe(self) -> str:
        """One line: ``31 shared paragraphs · 84 % of left text · 91 % of right text``."""
        s = "" if self.paragraphs == 1 else "s"
        return (f"{self.paragraphs} shared paragraph{s} · {self.pct_a:.0f} % of left text"
                f" · {self.pct_b:.0f} % of right text")

    def to_dict(self) -> dict:
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

    @property
    def shared(self) -> int:
        """Shared paragraphs (the smaller side's count, so that a split paragraph counts once)."""
        return min(self.shared_a, self.shared_b)

    def to_dict(self) -> dict:
        """JSON-ready form used by ``parallax pairs --json``."""
        return {"a": self.a, "b": self.b, "shared_paragraphs": self.shared,
                "shared_a": self.shared_a, "shared_b": self.shared_b,
                "pct_a": round(self.pct_a, 1), "pct_b": round(self.pct_b, 1)}


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

    def to_dict(self) -> dict:
        """JSON-ready form used by ``parallax related --json``."""
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date or None,
                "shared_paragraphs": self.shared_paragraphs, "shared_here": self.shared_here,
                "shared_there": self.shared_there, "pct_here": round(self.pct_here, 1),
                "pct_there": round(self.pct_there, 1)}


@dataclass(frozen=True, slots=True)
class ClusterMember:
    """One article of a cluster."""

    id: str
    title: str
    source: str
    date: str

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date or None}


@dataclass(frozen=True, slots=True)
class Cluster:
    """Articles that are copies or partial copies of one another, oldest first, undated last."""

    members: tuple[ClusterMember, ...]
    origin: str | None  # None when the dates cannot tell
    reason: str  # "earliest dated", "earliest dated; 2 undated", "tie between …", "no dates"
    pairs: int = 0

    def to_dict(self) -> dict:
        """JSON-ready form used by ``parallax clusters --json``."""
        return {"members": [m.to_dict() for m in self.members], "origin": self.origin,
                "reason": self.reason, "pairs": self.pairs}


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal values in a sorted array."""
    if not len(sorted_keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return starts, np.diff(np.r_[starts, len(sorted_keys)])


def _pairs_within(keys: np.ndarray, items: np.ndarray, max_group: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of ``items`` that share a key, for keys held by 2..``max_group`` items."""
    order = np.argsort(keys, kind="stable")
    starts, sizes = _runs(keys[order])
    items = items[order]
    entry_size = np.repeat(sizes, sizes)
    entry_pos = np.arange(len(items)) - np.repeat(starts, sizes)
    idx = np.flatnonzero((entry_size >= 2) & (entry_size <= max_group))
    out_a, out_b = [np.zeros(0, items.dtype)], [np.zeros(0, items.dtype)]
    d = 1
    while len(idx):
        idx = idx[entry_pos[idx] + d < entry_size[idx]]
        out_a.append(items[idx])
        out_b.append(items[idx + d])
        d += 1
    return np.concatenate(out_a), np.concatenate(out_b)


def _distinct(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(a, b)`` pairs, sorted, with how often each occurred."""
    if not len(a):
        return a, b, np.zeros(0, np.int64)
    o = np.lexsort((b, a))
    a, b = a[o], b[o]
    first = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    return a[first], b[first], np.diff(np.r_[first, len(a)])


class ReuseMap:
    """Boilerplate, pairs and clusters of one set of fingerprinted articles (immutable)."""

    def __init__(self, prints: Prints, thresholds: Thresholds | None = None,
                 overrides: ReuseOverrides | None = None) -> None:
        self.prints = prints
        self.thresholds = th = thresholds or Thresholds()
        self.overrides = overrides or ReuseOverrides()
        self.meta: list[ArticleMeta] = prints.meta
        self._pos = {m.id: i for i, m in enumerate(self.meta)}
        n = len(self.meta)
        self.boilerplate_threshold = max(th.corpus_min, math.ceil(th.corpus_share * n))
        sources = sorted({m.source for m in self.meta if m.source})
        code = {s: i for i, s in enumerate(sources)}
        self._src = np.array([code.get(m.source, -1) for m in self.meta], dtype=np.int64)
        self.row_boilerplate = self._learn_boilerplate()
        p = prints
        body = (p.row_role == 0) & ~self.row_boilerplate
        self.body_chars = np.bincount(p.row_art[body], weights=p.row_chars[body], minlength=n)
        self.substantive = body & (p.row_words >= MIN_WORDS)
        self.boilerplate_hashes: frozenset[int] = frozenset(
            int(h) for h in np.unique(p.row_exact[self.row_boilerplate & (p.row_exact != 0)]))
        self.row_a, self.row_b = self._match_rows()
        self._build_pairs()
        self._by_article: dict[int, list[int]] | None = None

    # ------------------------------------------------------------------ boilerplate

    def _recurring(self, keys: np.ndarray, arts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per distinct key: articles holding it, most articles of one source holding it; inverse."""
        uniq, inv = np.unique(keys, return_inverse=True)
        g, a, _ = _distinct(inv.astype(np.int64), arts.astype(np.int64))
        n_art = np.bincount(g, minlength=len(uniq))
        src = self._src[a]
        known = src >= 0
        gs, _, counts = _distinct(g[known], src[known])
        max_src = np.zeros(len(uniq), np.int64)
        np.maximum.at(max_src, gs, counts)
        return n_art, max_src, inv

    def _learn_boilerplate(self) -> np.ndarray:
        p, th = self.prints, self.thresholds
        bp = np.zeros(len(p.row_art), dtype=bool)
        rows = np.flatnonzero(p.row_exact != 0)
        if not len(rows):
            return bp
        n_art, max_src, inv = self._recurring(p.row_exact[rows], p.row_art[rows])
        chrome_like = np.zeros(len(n_art), dtype=bool)
        cl_rows = (p.row_role[rows] != 0) | (p.row_words[rows] < MIN_WORDS)
        chrome_like[inv[cl_rows]] = True
        many = n_art >= self.boilerplate_threshold
        group_bp = ((many & (chrome_like | (n_art >= th.corpus_body_min)))
                    | (max_src >= th.source_articles) | ((max_src >= 2) & chrome_like))
        bp[rows] = group_bp[inv]
        if len(p.fp):
            fp_rows = p.fp_rows()
            n_art, max_src, inv = self._recurring(p.fp, p.row_art[fp_rows])
            many = n_art >= max(self.boilerplate_threshold, th.corpus_body_min)
            common = (many | (max_src >= th.source_articles))[inv]
            share = np.bincount(fp_rows, weights=common, minlength=len(bp)) / np.maximum(p.row_nfp, 1)
            bp |= (p.row_nfp > 0) & (share >= th.near_boilerplate_share)
        return bp

    def is_boilerplate(self, norm_text: str) -> bool:
        """True when a normalised paragraph text was learned as boilerplate."""
        return exact_hash(norm_text) in self.boilerplate_hashes

    def is_boilerplate_paragraph(self, paragraph: Paragraph) -> bool:
        """Predicate for ``app.core.align.align(..., boilerplate=...)``."""
        return exact_hash(paragraph.norm) in self.boilerplate_hashes

    def boilerplate_count(self) -> int:
        """Number of distinct boilerplate texts."""
        return len(self.boilerplate_hashes)

    # ------------------------------------------------------------------ matching

    def _match_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Matching substantive paragraphs (global row numbers), each pair once, ``a < b``."""
        p, th = self.prints, self.thresholds
        sub = np.flatnonzero(self.substantive)
        ea, eb = _pairs_within(p.row_exact[sub], sub, th.max_exact_group)
        fp_rows = p.fp_rows()
        keep = self.substantive[fp_rows]
        fa, fb = _pairs_within(p.fp[keep], fp_rows[keep], th.max_postings)
        lo, hi = np.minimum(fa, fb), np.maximum(fa, fb)
        lo, hi, shared = _distinct(lo, hi)
        small = np.minimum(p.row_nfp[lo], p.row_nfp[hi]).astype(np.float64)
        contain = shared / np.maximum(small, 1)
        ok = (shared >= 2) & (contain >= th.min_containment)
        a = np.concatenate([np.minimum(ea, eb), lo[ok]])
        b = np.concatenate([np.maximum(ea, eb), hi[ok]])
        a, b, _ = _distinct(a, b)
        other = p.row_art[a] != p.row_art[b]
        return a[other], b[other]

    def _build_pairs(self) -> None:
        p = self.prints
        n = max(len(self.meta), 1)
        a, b = self.row_a, self.row_b
        swap = p.row_art[a] > p.row_art[b]
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        key = p.row_art[a].astype(np.int64) * n + p.row_art[b]
        self._link_key, self._link_a, self._link_b = key, a, b
        self.pair_keys = np.unique(key)
        sides = []
        for rows in (a, b):
            k, r, _ = _distinct(key, rows)
            slot = np.searchsorted(self.pair_keys, k)
            count = np.bincount(slot, minlength=len(self.pair_keys))
            chars = np.bincount(slot, weights=p.row_chars[r], minlength=len(self.pair_keys))
            sides.append((count, chars))
        self.pair_a = (self.pair_keys // n).astype(np.int64)
        self.pair_b = (self.pair_keys % n).astype(np.int64)
        (self.shared_a, chars_a), (self.shared_b, chars_b) = sides
        self.pct_a = 100.0 * chars_a / np.maximum(self.body_chars[self.pair_a], 1)
        self.pct_b = 100.0 * chars_b / np.maximum(self.body_chars[self.pair_b], 1)

    def _pair(self, k: int) -> Pair:
        a, b = self.meta[self.pair_a[k]].id, self.meta[self.pair_b[k]].id
        sa, sb = int(self.shared_a[k]), int(self.shared_b[k])
        pa, pb = min(100.0, float(self.pct_a[k])), min(100.0, float(self.pct_b[k]))
        return Pair(a, b, sa, sb, pa, pb) if a < b else Pair(b, a, sb, sa, pb, pa)

    # ------------------------------------------------------------------ queries

    def __contains__(self, aid: str) -> bool:
        return aid in self._pos

    def article(self, aid: str) -> ArticleMeta:
        """The stored metadata of an article.

        Raises:
            KeyError: the article is not in the map.
        """
        return self.meta[self._pos[aid]]

    def pairs(self, min_shared: int = 1) -> list[Pair]:
        """Article pairs sharing at least ``min_shared`` paragraphs, most shared first."""
        shared = np.minimum(self.shared_a, self.shared_b)
        ks = np.flatnonzero(shared >= max(min_shared, 1))
        pairs = [self._pair(int(k)) for k in ks]
        pairs.sort(key=lambda q: (-q.shared, -max(q.pct_a, q.pct_b), q.a, q.b))
        return pairs

    def related(self, aid: str) -> list[RelatedArticle]:
        """Articles sharing text with ``aid``, best first (an unknown id has none)."""
        i = self._pos.get(aid)
        if i is None:
            return []
        if self._by_article is None:
            index: dict[int, list[int]] = {}
            for k, (x, y) in enumerate(zip(self.pair_a.tolist(), self.pair_b.tolist(), strict=True)):
                index.setdefault(x, []).append(k)
                index.setdefault(y, []).append(k)
            self._by_article = index
        out = []
        for k in self._by_article.get(i, []):
            q = self._pair(k)
            here_is_a = q.a == aid
            other = self.meta[self._pos[q.b if here_is_a else q.a]]
            out.append(RelatedArticle(
                other.id, other.title, other.source, other.date, q.shared,
                q.shared_a if here_is_a else q.shared_b, q.shared_b if here_is_a else q.shared_a,
                q.pct_a if here_is_a else q.pct_b, q.pct_b if here_is_a else q.pct_a))
        out.sort(key=lambda r: (-r.shared_paragraphs, -r.pct_here, r.id))
        return out

    def links(self, aid: str, other: str) -> list[tuple[int, int]]:
        """Matching paragraph indexes ``(in aid, in other)`` of two articles."""
        i, j = self._pos.get(aid), self._pos.get(other)
        if i is None or j is None or i == j:
            return []
        n = max(len(self.meta), 1)
        lo, hi = min(i, j), max(i, j)
        sel = self._link_key == lo * n + hi
        pidx = self.prints.row_pidx
        pa, pb = pidx[self._link_a[sel]].tolist(), pidx[self._link_b[sel]].tolist()
        return sorted(zip(pa, pb, strict=True) if i == lo else zip(pb, pa, strict=True))

    def clusters(self, min_shared: int = 1) -> list[Cluster]:
        """Connected groups of articles sharing text, largest first."""
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            root = x
            while parent.get(root, root) != root:
                root = parent[root]
            while parent.get(x, x) != root:
                parent[x], x = root, parent[x]
            return root

        shared = np.minimum(self.shared_a, self.shared_b)
        ks = np.flatnonzero(shared >= max(min_shared, 1))
        for x, y in zip(self.pair_a[ks].tolist(), self.pair_b[ks].tolist(), strict=True):
            rx, ry = find(x), find(y)
            if rx != ry:
                parent[max(rx, ry)] = min(rx, ry)
        groups: dict[int, list[int]] = {}
        for x in {v for k in ks for v in (int(self.pair_a[k]), int(self.pair_b[k]))}:
            groups.setdefault(find(x), []).append(x)
        npairs: dict[int, int] = {}
        for x in self.pair_a[ks].tolist():
            npairs[find(x)] = npairs.get(find(x), 0) + 1
        out = [self._cluster(sorted(g), npairs.get(r, 0)) for r, g in groups.items()]
        out.sort(key=lambda c: (-len(c.members), c.members[0].date or "9999", c.members[0].id))
        return out

    def _cluster(self, members: list[int], npairs: int) -> Cluster:
        metas = [self.meta[i] for i in members]
        metas.sort(key=lambda m: (not m.date, m.date, m.id))
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

    def shared(self, a: str, b: str) -> SharedFigure:
        """What ``a`` and ``b`` share: the one figure every view shows (zero when nothing)."""
        i, j = self._pos.get(a), self._pos.get(b)
        if i is None or j is None or i == j:
            return SharedFigure(a, b)
        n = max(len(self.meta), 1)
        k = int(np.searchsorted(self.pair_keys, min(i, j) * n + max(i, j)))
        if k >= len(self.pair_keys) or self.pair_keys[k] != min(i, j) * n + max(i, j):
            return SharedFigure(a, b)
        q = self._pair(k)
        fig = SharedFigure(q.a, q.b, q.shared, q.shared_a, q.shared_b, q.pct_a, q.pct_b)
        return fig if q.a == a else fig.swapped()

    def cluster_of(self, aid: str) -> Cluster | None:
        """The cluster holding ``aid`` (None when it shares nothing)."""
        for c in self.clusters():
            if any(m.id == aid for m in c.members):
                return c
        return None

    def copies(self, aid: str) -> list[str]:
        """The other articles carrying the same story (same cluster), oldest first, undated last."""
        c = self.cluster_of(aid)
        return [] if c is None else [m.id for m in c.members if m.id != aid]

    def versions(self, aid: str) -> list[list[str]]:
        """The story's copies grouped by version, each group sorted, largest first (aid's included)."""
        c = self.cluster_of(aid)
        if c is None:
            return [[aid]] if aid in self._pos else []
        return [sorted(m.id for m in c.members)]

    def duplicates(self, aid: str) -> list[str]:
        """The other articles whose body text is the same version as ``aid``'s."""
        for group in self.versions(aid):
            if aid in group:
                return [x for x in group if x != aid]
        return []

    def summary(self) -> dict:
        """Headline figures."""
        return {"articles": len(self.meta), "pairs": len(self.pair_keys),
                "boilerplate_texts": self.boilerplate_count(),
                "boilerplate_threshold": self.boilerplate_threshold}


def best_match(corpus: Corpus, aid: str, *, candidates: int = 3, min_score: float = 60.0) -> str | None:
    """The article sharing the most text with ``aid``, or None.

    The map's best few candidates are checked on their paragraph texts with rapidfuzz (word
    sequences compared with ``fuzz.ratio``), so that the answer reflects the texts as they are now.
    """
    reuse = corpus.reuse_map()
    related = reuse.related(aid)[:max(candidates, 1)]
    if not related:
        return None
    test: Callable[[Paragraph], bool] = reuse.is_boilerplate_paragraph
    mine = [p.norm for p in corpus.article(aid).paragraphs
            if p.role is Role.BODY and not test(p) and len(p.norm.split()) >= MIN_WORDS]
    best, best_count = related[0].id, 0
    for rel in related:
        try:
            other = corpus.article(rel.id)
        except ReadError:
            continue
        theirs = [p.norm for p in other.paragraphs if p.role is Role.BODY and not test(p)]
        if not mine or not theirs:
            continue
        scores = process.cdist(mine, theirs, scorer=fuzz.ratio, dtype=np.uint8)
        matched = int((scores.max(axis=1) >= min_score).sum())
        if matched > best_count:
            best, best_count = rel.id, matched
    return best
