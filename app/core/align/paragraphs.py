"""Paragraph alignment of two articles: links, moves, splits and merges, boilerplate and word edits."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, fields

import numpy as np
from rapidfuzz import fuzz, process

from app.core.align.wordops import (
    Vocabulary,
    VocabularyFull,
    encoded_ops,
    shared_vocabulary,
    sorted_unique,
)
from app.core.reading.model import Alignment, Article, Paragraph, Role, Row, RowKind, WordOp

Boilerplate = Callable[[Paragraph], bool] | Collection[str] | None
Anchor = tuple[Sequence[int], Sequence[int]]  # left paragraph indexes, right paragraph indexes

_MANUAL_WEIGHT = 1e12  # more than the words of any article: an in-order manual link is never a move

_META_ROLES = (Role.CHROME, Role.BYLINE)


@dataclass(frozen=True, slots=True)
class AlignOptions:
    """Thresholds of :func:`align`; the defaults were chosen with ``bench/align_quality.py``.

    Similarities are rapidfuzz ``ratio`` values over word sequences (each word one symbol), so
    sharing vocabulary is not enough: the words must come in the same order.

    Attributes:
        min_score: Word-sequence similarity (0-100) a pair of paragraphs needs to be linked 1:1.
        min_containment: Share (0-1) of a shorter paragraph's words found in order in a longer
            one for it to count as a piece of it (split or merge).
        excerpt_containment: Containment that links a piece to a longer paragraph even when no
            other piece completes it (an excerpt); needs ``excerpt_words`` words.
        excerpt_words: Fewest words of such an excerpt.
        weak_words: Links whose shorter side has fewer words are kept only when in order.
        boilerplate_score: Similarity two chrome/byline paragraphs need to form a boilerplate row.
        max_group: Most paragraphs on one side of a split or merge.
        common_share: Words found in more than this share of a side's paragraphs are not used to
            find candidate pairs (they are still scored).
        ops: Compute word-level operations for ``changed`` rows.
    """

    min_score: float = 50.0
    min_containment: float = 0.6
    excerpt_containment: float = 0.85
    excerpt_words: int = 12
    weak_words: int = 5
    boilerplate_score: float = 85.0
    max_group: int = 3
    common_share: float = 0.05
    ops: bool = True


@dataclass(slots=True)
class _Group:
    """Linked paragraphs: ``sides[0]`` left indexes, ``sides[1]`` right indexes."""

    sides: tuple[list[int], list[int]]
    meta: bool
    score: float
    moved: bool = False
    manual: bool = False  # the analyst's link: held as it is, never grown, always kept

    @property
    def key(self) -> tuple[int, int]:
        return min(self.sides[0]), min(self.sides[1])


class _Side:
    """One article prepared for matching."""

    def __init__(self, article: Article, vocab: Vocabulary, is_boilerplate: Callable[[Paragraph], bool]):
        self.paragraphs = article.paragraphs
        # Tokens of the display text serve both matching and word marks (one tokenising pass,
        # remembered by the vocabulary across alignments).
        self.words = vocab.words(self.paragraphs)
        self.enc = [w.codes for w in self.words]
        self.meta = [p.role in _META_ROLES or is_boilerplate(p) for p in self.paragraphs]
        self.content = [i for i, m in enumerate(self.meta) if not m]
        self.metas = [i for i, m in enumerate(self.meta) if m]
        # Position among content paragraphs: pieces are adjacent when these differ by one,
        # even if an advert or a caption sits between them.
        self.cpos = {i: n for n, i in enumerate(self.content)}

    def joined(self, idx: Sequence[int]) -> str:
        if len(idx) == 1:
            return self.enc[idx[0]]
        return "".join(self.enc[i] for i in sorted(idx))


def _boilerplate_test(boilerplate: Boilerplate) -> Callable[[Paragraph], bool]:
    if boilerplate is None:
        return lambda p: False
    if callable(boilerplate):
        return boilerplate
    known = frozenset(boilerplate)
    return lambda p: p.norm in known


def _postings(side: _Side, idx: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Every (paragraph position in ``idx``, distinct word code) of these paragraphs, as two arrays."""
    uniq = [side.words[i].unique for i in idx]
    pos = np.repeat(np.arange(len(idx)), [len(u) for u in uniq])
    return pos, np.concatenate(uniq)


def _candidates(left: _Side, lidx: list[int], right: _Side, ridx: list[int],
                common_share: float) -> dict[tuple[int, int], float]:
    """Score the pairs that share enough uncommon words (an inverted index avoids the full matrix).

    A word is uncommon when it is in at most ``common_share`` of either side's paragraphs (at
    least 4). A pair is a candidate when the uncommon words it shares are at least 30 % of the
    uncommon words of its poorer paragraph. The index is built with numpy over word codes and the
    candidates are scored in one rapidfuzz call.

    Returns:
        ``{(i, j): ratio}`` for every candidate pair, plus every pair of equal word strings.
    """
    out: dict[tuple[int, int], float] = {}
    if lidx and ridx:
        lp, lw = _postings(left, lidx)
        rp, rw = _postings(right, ridx)
        size = int(max(lw.max(initial=0), rw.max(initial=0))) + 1
        ldf = np.bincount(lw, minlength=size)
        rdf = np.bincount(rw, minlength=size)
        llimit = max(4, common_share * len(lidx))
        rlimit = max(4, common_share * len(ridx))
        rare = (rdf > 0) & (rdf <= rlimit) & (ldf <= llimit)
        keep = rare[rw]
        rp, rw = rp[keep], rw[keep]
        rinf = np.bincount(rp, minlength=len(ridx))  # uncommon words of each right paragraph
        keep = rare[lw]
        lp, lw = lp[keep], lw[keep]
        linf = np.bincount(lp, minlength=len(lidx))
        # Join the two posting lists on the word: each left posting meets the right postings of
        # its word, found by binary search in the right postings sorted by word.
        order = np.argsort(rw, kind="stable")
        rw, rp = rw[order], rp[order]
        lo = np.searchsorted(rw, lw, "left")
        count = np.searchsorted(rw, lw, "right") - lo
        total = int(count.sum())
        if total:
            first = np.repeat(lo - (np.cumsum(count) - count), count)
            pairs = np.repeat(lp, count) * len(ridx) + rp[first + np.arange(total)]
            pairs, shared = sorted_unique(pairs)
            li, rj = np.divmod(pairs, len(ridx))
            ok = shared * 10 >= 3 * np.minimum(linf[li], rinf[rj])
            li, rj = li[ok].tolist(), rj[ok].tolist()
            lsel, rsel = [lidx[i] for i in li], [ridx[j] for j in rj]
            scores = process.cpdist([left.enc[i] for i in lsel], [right.enc[j] for j in rsel],
                                    scorer=fuzz.ratio, dtype=np.float64)
            out = dict(zip(zip(lsel, rsel, strict=True), scores.tolist(), strict=True))
    by_text: dict[str, list[int]] = {}
    for j in ridx:
        if right.enc[j]:
            by_text.setdefault(right.enc[j], []).append(j)
    for i in lidx:
        for j in by_text.get(left.enc[i], ()):
            out[(i, j)] = 100.0
    return out


def _containment(ratio: float, la: int, lb: int) -> float:
    """Share of the shorter string found in order in the longer, from their Indel ratio."""
    if not la or not lb:
        return 0.0
    return ratio * (la + lb) / 200.0 / min(la, lb)


def _pair_greedily(pairs: list[tuple[tuple[int, int], float]], left: _Side, right: _Side,
                   meta: bool, owner: tuple[dict[int, _Group], dict[int, _Group]]) -> None:
    """Link pairs 1:1, best first; ties go to the pair nearest the diagonal."""
    nl, nr = max(1, len(left.paragraphs)), max(1, len(right.paragraphs))
    pairs.sort(key=lambda p: (-p[1], abs(p[0][0] / nl - p[0][1] / nr)))
    for (i, j), score in pairs:
        if i in owner[0] or j in owner[1]:
            continue
        g = _Group(([i], [j]), meta, score)
        owner[0][i] = owner[1][j] = g


def _attach_pieces(cands: dict[tuple[int, int], float], sides: tuple[_Side, _Side],
                   owner: tuple[dict[int, _Group], dict[int, _Group]], opts: AlignOptions) -> None:
    """Grow links into 1:n and n:1 groups with the pieces of split or merged paragraphs."""
    pieces = []
    for (i, j), r in cands.items():
        la, lb = len(sides[0].enc[i]), len(sides[1].enc[j])
        c = _containment(r, la, lb)
        if c >= opts.min_containment and min(la, lb) >= opts.weak_words:
            # (containment, piece side, piece, whole)
            pieces.append((c, 0, i, j) if la <= lb else (c, 1, j, i))
    pieces.sort(reverse=True)
    for _ in range(opts.max_group):
        changed = False
        for _c, ps, piece, whole in pieces:
            if piece in owner[ps]:
                continue
            ws = 1 - ps
            g = owner[ws].get(whole)
            if g is None:
                g = _Group(([], []), False, 0.0)
                g.sides[ws].append(whole)
                g.sides[ps].append(piece)
                g.score = fuzz.ratio(sides[0].joined(g.sides[0]), sides[1].joined(g.sides[1]))
                owner[ws][whole] = owner[ps][piece] = g
                changed = True
                continue
            members = g.sides[ps]
            if len(members) >= opts.max_group or len(g.sides[ws]) > 1:
                continue
            cpos = sides[ps].cpos
            near = {cpos[m] for m in members}
            if cpos[piece] - 1 not in near and cpos[piece] + 1 not in near:
                continue
            grown = [*members, piece]
            trial = [g.sides[0], g.sides[1]]
            trial[ps] = grown
            score = fuzz.ratio(sides[0].joined(trial[0]), sides[1].joined(trial[1]))
            if score > g.score:
                members.append(piece)
                members.sort()
                g.score = score
                owner[ps][piece] = g
                changed = True
        if not changed:
            break


def _accept(g: _Group, sides: tuple[_Side, _Side], opts: AlignOptions) -> bool:
    """Whether a content group is evidence of shared text rather than chance."""
    if g.score >= opts.min_score:
        return True
    if len(g.sides[0]) == 1 and len(g.sides[1]) == 1:
        a, b = sides[0].enc[g.sides[0][0]], sides[1].enc[g.sides[1][0]]
        short = min(len(a), len(b))
        return short >= opts.excerpt_words and _containment(g.score, len(a), len(b)) >= opts.excerpt_containment
    return False


def _mark_moves(groups: list[_Group], sides: tuple[_Side, _Side]) -> None:
    """Flag groups outside the heaviest in-order chain (weighted LIS by words, O(n log n))."""
    groups.sort(key=lambda g: g.key)
    rights = [g.key[1] for g in groups]
    ranks = {r: n + 1 for n, r in enumerate(sorted(set(rights)))}
    size = len(ranks)
    tree = [(0.0, -1)] * (size + 1)  # Fenwick tree of (best chain weight, group) over right ranks
    prev = [-1] * len(groups)
    best: tuple[float, int] = (0.0, -1)
    for n, g in enumerate(groups):
        weight = 1.0 if g.meta else 1.0 + sum(len(sides[0].enc[i]) for i in g.sides[0])
        if g.manual:  # the analyst's links are the sync points: as many as can stand in order
            weight += _MANUAL_WEIGHT
        r = ranks[rights[n]]
        top, k = (0.0, -1), r - 1
        while k > 0:
            top = max(top, tree[k])
            k -= k & -k
        prev[n] = top[1]
        cur = (top[0] + weight, n)
        best = max(best, cur)
        k = r
        while k <= size:
            tree[k] = max(tree[k], cur)
            k += k & -k
    for g in groups:
        g.moved = True
    n = best[1]
    while n >= 0:
        groups[n].moved = False
        n = prev[n]


def _row(g: _Group, sides: tuple[_Side, _Side], opts: AlignOptions) -> Row:
    left, right = tuple(g.sides[0]), tuple(g.sides[1])
    if g.meta:
        return Row(left, right, RowKind.BOILERPLATE, g.moved, g.score)
    a, b = sides[0].joined(left), sides[1].joined(right)
    same = a == b if a or b else all(
        sides[0].paragraphs[i].norm == sides[1].paragraphs[j].norm for i in left for j in right)
    if same:
        return Row(left, right, RowKind.IDENTICAL, g.moved, 100.0)
    ops: tuple[WordOp, ...] = ()
    if opts.ops:
        ops = encoded_ops([(i, sides[0].words[i]) for i in left], [(j, sides[1].words[j]) for j in right])
    return Row(left, right, RowKind.CHANGED, g.moved, min(g.score, 99.99), ops)


def _rows(groups: list[_Group], sides: tuple[_Side, _Side], opts: AlignOptions) -> list[Row]:
    """Rows in reading order: in-order links as sync points, everything else between them.

    Unlinked paragraphs and moved groups take their left-side position; right-only paragraphs
    follow the left-only ones of the same gap.
    """
    nl, nr = len(sides[0].paragraphs), len(sides[1].paragraphs)
    owner: tuple[dict[int, _Group], dict[int, _Group]] = ({}, {})
    for g in groups:
        for s in (0, 1):
            for i in g.sides[s]:
                owner[s][i] = g
    rows: list[Row] = []
    done: set[int] = set()
    li = rj = 0

    def emit(g: _Group) -> None:
        if id(g) not in done:
            done.add(id(g))
            rows.append(_row(g, sides, opts))

    chain = [g for g in groups if not g.moved]
    for target in [*chain, None]:
        lstop, rstop = (nl, nr) if target is None else target.key
        while li < lstop:
            held = owner[0].get(li)
            if held is None:
                rows.append(Row((li,), (), RowKind.LEFT_ONLY))
            elif held.moved:
                emit(held)
            li += 1
        while rj < rstop:
            if rj not in owner[1]:
                rows.append(Row((), (rj,), RowKind.RIGHT_ONLY))
            rj += 1
        if target is not None:
            emit(target)
    for g in groups:  # a moved group's left side can only come after the last sync point
        emit(g)
    return rows


def align(left: Article, right: Article, *, boilerplate: Boilerplate = None,
          anchors: Sequence[Anchor] = (), forbidden: Collection[tuple[int, int]] = (),
          **options: object) -> Alignment:
    """Align two articles paragraph by paragraph.

    This is the bare aligner: a pair of a corpus is aligned with
    :func:`app.core.workspace.links.align_with_links`, which adds the analyst's manual links,
    not-a-match pairs and paragraph marks, so that every view and command agrees.

    Body and title paragraphs are linked to each other (1:1, or 1:n / n:1 for splits and merges);
    chrome and byline paragraphs, and paragraphs known to be boilerplate, only to each other, as
    ``boilerplate`` rows. Every paragraph of both sides appears in exactly one row.

    With ``anchors`` (the analyst's links) the alignment is cut at them, like the sync points of
    a diff viewer: each anchor is a row as given (anchors sharing a paragraph form one group),
    the anchors that stand in order split both articles into segments, and each segment is
    aligned on its own; paragraphs left unlinked in every segment may still pair across
    segments, as moves. ``forbidden`` pairs are never linked (neither 1:1 nor as pieces).

    Args:
        left: The left article.
        right: The right article.
        boilerplate: Paragraphs known to recur across the corpus: a predicate, or a collection
            of normalised texts (``Paragraph.norm``). They are treated like page chrome.
        anchors: ``(left indexes, right indexes)`` to hold as rows; indexes out of range are
            ignored. Recorded in ``options["anchors"]`` as the groups held.
        forbidden: ``(left index, right index)`` pairs never to link ("not a match").
        **options: Any field of :class:`AlignOptions`, overriding its default.

    Returns:
        The rows in reading order, with the options used.

    Raises:
        TypeError: an unknown option name.
    """
    names = {f.name for f in fields(AlignOptions)}
    unknown = set(options) - names
    if unknown:
        raise TypeError(f"unknown alignment option(s): {', '.join(sorted(unknown))}")
    opts = AlignOptions(**options)  # type: ignore[arg-type]
    test = _boilerplate_test(boilerplate)
    try:
        vocab = shared_vocabulary()
        sides = (_Side(left, vocab, test), _Side(right, vocab, test))
    except VocabularyFull:  # the shared one filled up under us: these two articles on their own
        vocab = Vocabulary()
        sides = (_Side(left, vocab, test), _Side(right, vocab, test))
    banned = frozenset((int(i), int(j)) for i, j in forbidden)
    manual = _anchor_groups(anchors, sides)
    held = ({i for g in manual for i in g.sides[0]}, {j for g in manual for j in g.sides[1]})

    groups: list[_Group] = list(manual)
    for lidx, ridx in _segments(manual, sides, held):
        groups += _link_content(sides, lidx, ridx, opts, banned, pieces=True)
    if manual:  # what no segment linked may still be a paragraph moved across an anchor
        linked = ({i for g in groups for i in g.sides[0]}, {j for g in groups for j in g.sides[1]})
        groups += _link_content(sides, [i for i in sides[0].content if i not in linked[0]],
                                [j for j in sides[1].content if j not in linked[1]], opts, banned,
                                pieces=False)

    metas = [i for i in sides[0].metas if i not in held[0]], [j for j in sides[1].metas if j not in held[1]]
    meta = _candidates(sides[0], metas[0], sides[1], metas[1], 1.0)
    meta_pairs = [(ij, r) for ij, r in meta.items() if r >= opts.boilerplate_score and ij not in banned]
    meta_owner: tuple[dict[int, _Group], dict[int, _Group]] = ({}, {})
    _pair_greedily(meta_pairs, sides[0], sides[1], True, meta_owner)
    groups += list(meta_owner[0].values())

    _mark_moves(groups, sides)
    groups = [g for g in groups if g.manual or not (g.moved and _weak(g, sides, opts))]
    used = asdict(opts)
    if manual or banned:
        used["anchors"] = [[list(g.sides[0]), list(g.sides[1])] for g in sorted(manual, key=lambda g: g.key)]
        used["forbidden"] = [list(ij) for ij in sorted(banned)]
    return Alignment(left, right, _rows(groups, sides, opts), options=used)


def _anchor_groups(anchors: Sequence[Anchor], sides: tuple[_Side, _Side]) -> list[_Group]:
    """The analyst's links as groups; links sharing a paragraph make one (a split or merge)."""
    counts = len(sides[0].paragraphs), len(sides[1].paragraphs)
    links = []
    for anchor in anchors:
        idx = tuple({int(i) for i in anchor[s] if 0 <= int(i) < counts[s]} for s in (0, 1))
        if idx[0] and idx[1]:
            links.append(idx)
    parent = list(range(len(links)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    seen: tuple[dict[int, int], dict[int, int]] = ({}, {})
    for k, idx in enumerate(links):
        for s in (0, 1):
            for i in idx[s]:
                parent[find(seen[s].setdefault(i, k))] = find(k)
    merged: dict[int, tuple[set[int], set[int]]] = {}
    for k, idx in enumerate(links):
        both = merged.setdefault(find(k), (set(), set()))
        both[0].update(idx[0])
        both[1].update(idx[1])
    groups = [_Group((sorted(lft), sorted(rgt)), False, 0.0, manual=True) for lft, rgt in merged.values()]
    for g in groups:
        g.score = fuzz.ratio(sides[0].joined(g.sides[0]), sides[1].joined(g.sides[1]))
    return groups


def _segments(manual: list[_Group], sides: tuple[_Side, _Side],
              held: tuple[set[int], set[int]]) -> list[tuple[list[int], list[int]]]:
    """The content paragraphs of each stretch between in-order anchors, left and right.

    Without anchors this is one segment: every content paragraph of both sides.
    """
    if not manual:
        return [(sides[0].content, sides[1].content)]
    chain = sorted(manual, key=lambda g: g.key)
    _mark_moves(chain, sides)
    cuts = [g.key for g in chain if not g.moved]
    bounds = [(0, 0), *cuts, (len(sides[0].paragraphs), len(sides[1].paragraphs))]
    out = []
    for (l0, r0), (l1, r1) in zip(bounds, bounds[1:], strict=False):
        lidx = [i for i in sides[0].content if l0 <= i < l1 and i not in held[0]]
        ridx = [j for j in sides[1].content if r0 <= j < r1 and j not in held[1]]
        if lidx and ridx:
            out.append((lidx, ridx))
    for g in chain:
        g.moved = False  # decided again with every group by the caller
    return out


def _link_content(sides: tuple[_Side, _Side], lidx: list[int], ridx: list[int], opts: AlignOptions,
                  banned: frozenset[tuple[int, int]], *, pieces: bool) -> list[_Group]:
    """Link content paragraphs ``lidx`` to ``ridx``: 1:1 best first, then split and merged pieces."""
    owner: tuple[dict[int, _Group], dict[int, _Group]] = ({}, {})
    cands = _candidates(sides[0], lidx, sides[1], ridx, opts.common_share)
    if banned:
        cands = {ij: r for ij, r in cands.items() if ij not in banned}
    one_to_one = [
        (ij, r) for ij, r in cands.items()
        if r >= opts.min_score or (r == 100.0 and sides[0].enc[ij[0]])
    ]
    _pair_greedily(one_to_one, sides[0], sides[1], False, owner)
    if pieces:
        _attach_pieces(cands, sides, owner, opts)
    groups = list({id(g): g for g in owner[0].values()}.values())
    return [g for g in groups if _accept(g, sides, opts)]


def _weak(g: _Group, sides: tuple[_Side, _Side], opts: AlignOptions) -> bool:
    """A link too short to trust unless it sits in order among the others."""
    return min(sum(len(sides[s].enc[i]) for i in g.sides[s]) for s in (0, 1)) < opts.weak_words
