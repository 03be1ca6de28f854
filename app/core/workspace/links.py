"""The analyst's manual alignment of two articles, remembered: links and "not a match" pairs.

A pair of articles is known by the exact hash of each article's words (so a renamed or moved
file keeps its links) and, failing that, by its corpus id (so an edited file keeps them too).
Each decision names its two paragraphs by the exact hash of their normalised text, the place
they had and their text. When the pair is opened again, each paragraph is found again:

- ``exact``: the same text at the same place;
- ``moved``: the same text elsewhere (the copy nearest the old place);
- ``text``: the text changed; the most similar paragraph (rapidfuzz ``ratio`` at least
  :data:`REANCHOR_SCORE`) takes the link, or else the paragraph that holds the old text or a
  large piece of it (a merge or a split: :data:`REANCHOR_CONTAINMENT`);
- ``stale``: nothing close enough. A stale decision is reported and kept in the user data (so
  an article put back as it was gets it again); it is never dropped silently.

The decisions live in the corpus's user data (:mod:`app.core.workspace.userdata`), apart from the index,
and travel in session files with it. This module does not import that one (it imports this):
what it needs of the user data and of the corpus it names as small protocols
(:class:`Decisions`, :class:`DecisionStore`, :class:`HasDecisions`), and the paragraph marks
are applied here (:func:`with_marks`, :func:`marked_boilerplate`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from rapidfuzz import fuzz, process

from app.core.reading.model import Paragraph, Role
from app.core.reuse.fingerprint import exact_hash
from app.core.workspace.userbase import UserDataError, now_iso

if TYPE_CHECKING:
    from app.core.reading.model import Alignment, Article
    from app.core.reuse.reusemap import ReuseOverrides

LINK = "link"
NOT_A_MATCH = "not"
KINDS = (LINK, NOT_A_MATCH)
# Chosen with bench/manual_links.py (re-anchoring table): ratio 65 plus containment finds 98 % of
# edited paragraphs again with 4 wrong in ~6,800; ratio 80 alone found 87 % with 2 wrong.
REANCHOR_SCORE = 65.0  # rapidfuzz ratio (0-100) an edited paragraph needs to keep its link
REANCHOR_CONTAINMENT = 0.9  # share of the shorter text found in order in the longer (merge, split)
REANCHOR_MIN_SHARE = 0.3  # the shorter of the two is at least this share of the longer
REANCHOR_MIN_CHARS = 40  # containment is not trusted on shorter texts
TEXT_KEEP = 4000  # characters of a paragraph's normalised text kept to find it again


class LinkError(Exception):
    """A link that cannot be made (bad paragraph numbers, no words); the message is one line."""


# The exact hash of a paragraph's words (a regex pass and blake2b: ~40 us), remembered: the same
# paragraphs are looked up again with every pair they are aligned in (marks, decisions).
paragraph_hash = lru_cache(maxsize=8192)(exact_hash)

_HASHES: dict[tuple[str, str, int], int] = {}  # (id, sha1 of the file, paragraphs) -> article_hash
_HASHES_KEPT = 4096


def article_hash(article: Article) -> int:
    """The key of an article's content: the exact hash of all its words, in order.

    Remembered by the file's SHA-1 when the article has one (hashing every word of a long
    article costs milliseconds, and the Related labels and the story look up a pair per copy).
    """
    if not article.content_hash:
        return exact_hash(" ".join(p.norm for p in article.paragraphs))
    key = (article.id, article.content_hash, len(article.paragraphs))
    found = _HASHES.get(key)
    if found is None:
        found = exact_hash(" ".join(p.norm for p in article.paragraphs))
        if len(_HASHES) >= _HASHES_KEPT:
            _HASHES.clear()
        _HASHES[key] = found
    return found


def _hex(h: int) -> str:
    return f"{h:016x}"


def _unhex(value: Any, where: str) -> int:
    try:
        return int(value, 16)
    except (TypeError, ValueError):
        raise UserDataError(f"{where}: '{str(value)[:20]}' is not a hash") from None


@dataclass(frozen=True, slots=True)
class ParaRef:
    """One paragraph of a decision: its text's exact hash, its place (0-based) and its text."""

    hash: int
    index: int
    text: str

    @classmethod
    def of(cls, article: Article, index: int) -> ParaRef:
        """The reference to paragraph ``index`` of ``article``."""
        p = article.paragraphs[index]
        return cls(exact_hash(p.norm), index, p.norm[:TEXT_KEEP])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"hash": _hex(self.hash), "index": self.index, "text": self.text}

    @classmethod
    def from_json(cls, data: Any, where: str) -> ParaRef:
        """Validate and read (raises ``UserDataError``)."""
        if not isinstance(data, dict):
            raise UserDataError(f"{where} must be an object")
        index, text = data.get("index"), data.get("text", "")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0 or not isinstance(text, str):
            raise UserDataError(f"{where}: index must be a whole number and text a string")
        return cls(_unhex(data.get("hash"), where), index, text[:TEXT_KEEP])


@dataclass(frozen=True, slots=True)
class ManualLink:
    """One decision: ``link`` (hold these two paragraphs together) or ``not`` (never link them)."""

    kind: str
    left: ParaRef
    right: ParaRef
    made: str = ""

    def flipped(self) -> ManualLink:
        """The same decision seen with the articles swapped."""
        return replace(self, left=self.right, right=self.left)

    def same_pair(self, other: ManualLink) -> bool:
        """True when both decisions are about the same two paragraph texts."""
        return (self.left.hash, self.right.hash) == (other.left.hash, other.right.hash)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "left": self.left.to_json(), "right": self.right.to_json(), "made": self.made}

    @classmethod
    def from_json(cls, data: Any, where: str) -> ManualLink:
        """Validate and read (raises ``UserDataError``)."""
        if not isinstance(data, dict) or data.get("kind") not in KINDS:
            raise UserDataError(f"{where}: kind must be one of {', '.join(KINDS)}")
        made = data.get("made", "")
        if not isinstance(made, str):
            raise UserDataError(f"{where}: made must be a string")
        return cls(data["kind"], ParaRef.from_json(data.get("left"), f"{where}.left"),
                   ParaRef.from_json(data.get("right"), f"{where}.right"), made)


@dataclass(frozen=True, slots=True)
class ArticleKey:
    """Which article a side was: its content hash, its corpus id and title when linked."""

    hash: int
    id: str
    title: str = ""

    @classmethod
    def of(cls, article: Article) -> ArticleKey:
        """The key of ``article`` as it is now."""
        return cls(article_hash(article), article.id, article.title[:200])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"hash": _hex(self.hash), "id": self.id, "title": self.title}

    @classmethod
    def from_json(cls, data: Any, where: str) -> ArticleKey:
        """Validate and read (raises ``UserDataError``)."""
        if not isinstance(data, dict) or not isinstance(data.get("id", ""), str) \
                or not isinstance(data.get("title", ""), str):
            raise UserDataError(f"{where} must be an object with a hash, an id and a title")
        return cls(_unhex(data.get("hash"), where), data.get("id", ""), data.get("title", ""))


@dataclass(slots=True)
class PairLinks:
    """Every decision about one pair of articles, in the order they were made."""

    left: ArticleKey
    right: ArticleKey
    items: list[ManualLink] = field(default_factory=list)
    changed: str = ""

    @property
    def key(self) -> str:
        """The pair's key: both content hashes."""
        return f"{_hex(self.left.hash)}:{_hex(self.right.hash)}"

    def flipped(self) -> PairLinks:
        """The pair seen with the articles swapped."""
        return PairLinks(self.right, self.left, [m.flipped() for m in self.items], self.changed)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (user-data files, sessions, ``links list --json``)."""
        return {"left": self.left.to_json(), "right": self.right.to_json(), "changed": self.changed,
                "items": [m.to_json() for m in self.items]}

    @classmethod
    def from_json(cls, data: Any, where: str) -> PairLinks:
        """Validate and read (raises ``UserDataError``)."""
        if not isinstance(data, dict) or not isinstance(data.get("items", []), list):
            raise UserDataError(f"{where} must be an object with a list of items")
        changed = data.get("changed", "")
        if not isinstance(changed, str):
            raise UserDataError(f"{where}.changed must be a string")
        items = [ManualLink.from_json(m, f"{where}.items[{n}]") for n, m in enumerate(data.get("items", []))]
        return cls(ArticleKey.from_json(data.get("left"), f"{where}.left"),
                   ArticleKey.from_json(data.get("right"), f"{where}.right"), items, changed)


class Decisions(Protocol):
    """What this module reads and changes of a corpus's user data (:class:`app.core.workspace.userdata.UserData`)."""

    links: list[PairLinks]

    def overrides(self) -> ReuseOverrides:
        """The paragraph marks and source names."""
        ...


class DecisionStore(Protocol):
    """Where the decisions are kept (:class:`app.core.workspace.userdata.UserDataStore`)."""

    def refresh(self) -> Decisions:
        """The decisions as they are now (read again when another process changed them)."""
        ...

    def change(self, edit: Callable[[Decisions], object]) -> object:
        """Apply ``edit`` to the current decisions and save them, in one transaction."""
        ...


class HasDecisions(Protocol):
    """A corpus, as far as aligning its pairs goes: its user-data store (:class:`app.core.workspace.corpus.Corpus`)."""

    @property
    def userdata(self) -> DecisionStore:
        """The corpus's user data."""
        ...


def find_pair(pairs: Sequence[PairLinks], left: Article, right: Article) -> tuple[int, bool] | None:
    """The stored pair for ``left`` and ``right``: its position and whether it is stored swapped.

    Content hashes are tried first (renames keep links), then each side by hash or corpus id
    (an edited article keeps them too).
    """
    if not pairs:
        return None
    lh, rh = article_hash(left), article_hash(right)
    for n, p in enumerate(pairs):
        if (p.left.hash, p.right.hash) == (lh, rh):
            return n, False
    for n, p in enumerate(pairs):
        if (p.left.hash, p.right.hash) == (rh, lh):
            return n, True

    def same(key: ArticleKey, h: int, a: Article) -> bool:
        return key.hash == h or bool(key.id and key.id == a.id)

    for n, p in enumerate(pairs):
        if same(p.left, lh, left) and same(p.right, rh, right):
            return n, False
    for n, p in enumerate(pairs):
        if same(p.left, rh, right) and same(p.right, lh, left):
            return n, True
    return None


def pair_for(data: Decisions, left: Article, right: Article) -> PairLinks | None:
    """The decisions about ``left`` and ``right`` as seen in this order (None when there are none)."""
    found = find_pair(data.links, left, right)
    if found is None:
        return None
    pair = data.links[found[0]]
    return pair.flipped() if found[1] else pair


# ---------------------------------------------------------------------- finding paragraphs again


@dataclass(frozen=True, slots=True)
class Resolved:
    """A decision placed on the articles as they are: paragraph indexes, or None when stale."""

    link: ManualLink
    left: int | None
    right: int | None
    how: str  # "exact", "moved", "text" or "stale"
    score: float = 100.0  # the weaker side's similarity to the paragraph it had

    @property
    def stale(self) -> bool:
        """True when a paragraph could not be found again."""
        return self.left is None or self.right is None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; paragraphs as 1-based ¶ numbers (``compare --json`` ``links``)."""
        return {
            "kind": self.link.kind,
            "left_para": None if self.left is None else self.left + 1,
            "right_para": None if self.right is None else self.right + 1,
            "was": [self.link.left.index + 1, self.link.right.index + 1],
            "how": self.how,
            "score": round(self.score, 1),
            "left_text": self.link.left.text[:80],
            "right_text": self.link.right.text[:80],
        }


_HOW_ORDER = ("exact", "moved", "text", "stale")


class _Finder:
    """Finds referenced paragraphs in one article (by hash, then by text)."""

    def __init__(self, article: Article, threshold: float) -> None:
        self.threshold = threshold
        self.norms = [p.norm for p in article.paragraphs]
        self.lengths = np.array([len(n) for n in self.norms], dtype=np.float32)
        self.by_hash: dict[int, list[int]] = {}
        for p in article.paragraphs:
            self.by_hash.setdefault(paragraph_hash(p.norm), []).append(p.index)

    def find(self, ref: ParaRef) -> tuple[int | None, str, float]:
        same = self.by_hash.get(ref.hash) if ref.hash else None
        if same:
            best = min(same, key=lambda i: (abs(i - ref.index), i))
            return best, "exact" if best == ref.index else "moved", 100.0
        if not ref.text or not self.norms:
            return None, "stale", 0.0
        ratios = process.cdist([ref.text], self.norms, scorer=fuzz.ratio, dtype=np.float32)[0]
        best = int(np.argmax(ratios))
        if ratios[best] >= self.threshold:
            return best, "text", float(ratios[best])
        # A merge or a split: the old text inside a longer paragraph, or a large piece of it.
        la, lb = len(ref.text), self.lengths
        short, long_ = np.minimum(la, lb), np.maximum(la, lb)
        contained = ratios * (la + lb) / 200.0 / np.maximum(short, 1)
        ok = (contained >= REANCHOR_CONTAINMENT) & (short >= REANCHOR_MIN_CHARS) \
            & (short >= REANCHOR_MIN_SHARE * long_)
        if not ok.any():
            return None, "stale", 0.0
        best = int(np.argmax(np.where(ok, contained * short, -1.0)))
        return best, "text", float(ratios[best])


def resolve(pair: PairLinks | None, left: Article, right: Article,
            threshold: float = REANCHOR_SCORE) -> list[Resolved]:
    """Place every decision of ``pair`` (seen in this order) on the articles as they are now."""
    if pair is None or not pair.items:
        return []
    finders = _Finder(left, threshold), _Finder(right, threshold)
    out = []
    for m in pair.items:
        li, lhow, ls = finders[0].find(m.left)
        rj, rhow, rs = finders[1].find(m.right)
        how = max(lhow, rhow, key=_HOW_ORDER.index)
        out.append(Resolved(m, li, rj, how, min(ls, rs)))
    return out


@dataclass(slots=True)
class Plan:
    """What the aligner is given for a pair: the anchors, the forbidden pairs, and the report."""

    anchors: list[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)
    forbidden: set[tuple[int, int]] = field(default_factory=set)
    resolved: list[Resolved] = field(default_factory=list)

    @property
    def stale(self) -> list[Resolved]:
        """The decisions whose paragraphs are gone."""
        return [r for r in self.resolved if r.stale]

    @property
    def reanchored(self) -> list[Resolved]:
        """The decisions found again only by similar text."""
        return [r for r in self.resolved if r.how == "text"]

    def describe(self) -> str:
        """One line for a status bar or the terminal ('' when there are no decisions)."""
        if not self.resolved:
            return ""
        links = sum(1 for r in self.resolved if r.link.kind == LINK and not r.stale)
        nots = sum(1 for r in self.resolved if r.link.kind == NOT_A_MATCH and not r.stale)
        parts = [f"{links} manual link{'' if links == 1 else 's'}"]
        if nots:
            parts.append(f"{nots} not-a-match")
        if self.reanchored:
            parts.append(f"{len(self.reanchored)} re-anchored by text (an article changed)")
        if self.stale:
            parts.append(f"{len(self.stale)} stale (paragraph no longer found; kept, not applied)")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``compare --json`` ``links``)."""
        return {"items": [r.to_dict() for r in self.resolved], "stale": len(self.stale),
                "reanchored": len(self.reanchored), "summary": self.describe()}


def plan(pair: PairLinks | None, left: Article, right: Article, threshold: float = REANCHOR_SCORE) -> Plan:
    """The anchors and forbidden pairs of ``pair`` on the articles as they are now.

    A later decision about the same two paragraphs wins over an earlier one (a link made after
    a "not a match" of the same pair holds, and the other way round).
    """
    out = Plan(resolved=resolve(pair, left, right, threshold))
    latest: dict[tuple[int, int], str] = {}
    for r in out.resolved:
        if not r.stale:
            latest[(r.left, r.right)] = r.link.kind  # type: ignore[index]
    for (i, j), kind in latest.items():
        if kind == LINK:
            out.anchors.append(((i,), (j,)))
        else:
            out.forbidden.add((i, j))
    return out


_FURNITURE_ROLES = (Role.CHROME, Role.BYLINE)


def with_marks(article: Article, content: Collection[int]) -> Article:
    """``article`` as the analyst marked it: a chrome or byline paragraph marked content is body.

    Roles are guessed from the page (:mod:`app.core.reading.roles`); the analyst's "content" mark wins
    over that guess as it wins over the learned boilerplate, so that the paragraph is aligned,
    labelled, counted and reported as content. ``article`` itself is left alone: a copy is
    returned when a paragraph's role changes, ``article`` when none does.

    Args:
        article: The article as read.
        content: Exact hashes of the paragraph texts marked content (``ReuseOverrides.content``).
    """
    if not content:
        return article
    paragraphs: list[Paragraph] | None = None
    for n, p in enumerate(article.paragraphs):
        if p.role in _FURNITURE_ROLES and paragraph_hash(p.norm) in content:
            if paragraphs is None:
                paragraphs = list(article.paragraphs)
            paragraphs[n] = replace(p, role=Role.BODY)
    return article if paragraphs is None else replace(article, paragraphs=paragraphs)


def marked_boilerplate(learned: Callable[[Paragraph], bool] | Collection[str] | None,
                       overrides: ReuseOverrides) -> Callable[[Paragraph], bool] | Collection[str] | None:
    """The aligner's boilerplate test with the analyst's marks laid over ``learned``.

    A paragraph marked content is never boilerplate, one marked boilerplate always is, whatever
    ``learned`` says (a reuse map built before the mark, or none). ``learned`` is a predicate or
    a collection of normalised texts, as :func:`app.core.align.paragraphs.align` takes it.
    """
    kept, forced = overrides.content, overrides.boilerplate
    if not (kept or forced):
        return learned
    known: Callable[[Paragraph], bool]
    if learned is None:
        def never(p: Paragraph) -> bool:
            return False

        known = never
    elif callable(learned):
        known = learned
    else:
        texts = frozenset(learned)

        def listed(p: Paragraph) -> bool:
            return p.norm in texts

        known = listed

    def test(p: Paragraph) -> bool:
        h = paragraph_hash(p.norm)
        if h in kept:
            return False
        return h in forced or known(p)

    return test


def align_pair(left: Article, right: Article, data: Decisions | None, *,
               boilerplate: Any = None, extra: Iterable[ManualLink] = (), stored: bool = True,
               aligner: Callable[..., Alignment] | None = None, **options: object) -> Alignment:
    """Align two articles as the analyst decided: with the pair's remembered links and
    not-a-match pairs, ``extra`` decisions, and the paragraph marks of ``data``.

    A paragraph marked content is body whatever its role (:func:`with_marks`)
    and never boilerplate; one marked boilerplate always is. The plan is recorded in
    ``alignment.options["links"]`` (:meth:`Plan.to_dict`).

    Args:
        left: The left article.
        right: The right article.
        data: The corpus's user data (None: no decisions, no marks).
        boilerplate: The learned boilerplate, as :func:`app.core.align.paragraphs.align` takes it.
        extra: Decisions applied after the stored ones.
        stored: False leaves the stored decisions out (``extra`` already holds them), marks still apply.
        aligner: Stands in for :func:`app.core.align.paragraphs.align` (it takes the same arguments).
        **options: Passed to the aligner.
    """
    # Start-up: `parallax index` imports this module (through the corpus) and never aligns.
    from app.core.align.paragraphs import align

    run = aligner or align

    if data is not None:
        overrides = data.overrides()
        left, right = with_marks(left, overrides.content), with_marks(right, overrides.content)
        boilerplate = marked_boilerplate(boilerplate, overrides)
    pair = pair_for(data, left, right) if data is not None and stored else None
    extra = list(extra)
    if extra:
        pair = PairLinks(ArticleKey.of(left), ArticleKey.of(right), [*(pair.items if pair else ()), *extra])
    p = plan(pair, left, right)
    result = run(left, right, boilerplate=boilerplate, anchors=p.anchors, forbidden=p.forbidden, **options)
    if p.resolved:
        result.options["links"] = p.to_dict()
    return result


def align_with_links(corpus: HasDecisions | None, left: Article, right: Article, *, boilerplate: Any = None,
                     data: Decisions | None = None, **options: Any) -> Alignment:
    """THE way to align a pair of a corpus: :func:`align_pair` with the corpus's user data.

    The window, ``compare``, session reports, Related labels, the Critical changes dock, the
    story view and best match all align through here, so that a link made by hand, a
    not-a-match pair and a paragraph mark count everywhere.

    Args:
        corpus: The open corpus (None: an article outside any corpus, no decisions).
        left: The left article.
        right: The right article.
        boilerplate: The learned boilerplate (default: none).
        data: The user data, when the caller has just read it (saves re-reading per pair).
        **options: ``extra``, ``stored``, ``aligner`` and the aligner's options (see :func:`align_pair`).
    """
    if data is None and corpus is not None:
        data = corpus.userdata.refresh()
    return align_pair(left, right, data, boilerplate=boilerplate, **options)


def manual_rows(alignment: Alignment) -> set[int]:
    """Indexes of the rows held by a manual link."""
    anchors = alignment.options.get("anchors") or []
    held = {(tuple(a[0]), tuple(a[1])) for a in anchors}
    return {n for n, r in enumerate(alignment.rows) if (r.left, r.right) in held}


# ---------------------------------------------------------------------- making decisions


def decision(kind: str, left: Article, li: int, right: Article, rj: int, made: str = "") -> ManualLink:
    """A decision about paragraph ``li`` of ``left`` and ``rj`` of ``right`` (0-based).

    Raises:
        LinkError: a paragraph out of range, or one without words to recognise it by.
    """
    if kind not in KINDS:
        raise LinkError(f"a decision is one of {', '.join(KINDS)}, not '{kind}'")
    for article, i, side in ((left, li, "left"), (right, rj, "right")):
        if not 0 <= i < len(article.paragraphs):
            raise LinkError(f"the {side} article has no paragraph ¶{i + 1} (it has {len(article.paragraphs)})")
        if not exact_hash(article.paragraphs[i].norm):
            raise LinkError(f"¶{i + 1} of the {side} article has no words to recognise it by")
    return ManualLink(kind, ParaRef.of(left, li), ParaRef.of(right, rj), made or now_iso())


def with_decision(items: Sequence[ManualLink], new: ManualLink) -> list[ManualLink]:
    """``items`` with ``new`` added; an earlier decision about the same two paragraphs goes."""
    return [m for m in items if not m.same_pair(new)] + [new]


def refreshed(items: Sequence[ManualLink], left: Article, right: Article) -> list[ManualLink]:
    """``items`` with every paragraph found again pointed at its current place and text
    (stale ones kept as they were), so that the next edit is found from here."""
    out = []
    for r in resolve(PairLinks(ArticleKey.of(left), ArticleKey.of(right), list(items)), left, right):
        if r.stale:
            out.append(r.link)
        else:
            out.append(replace(r.link, left=ParaRef.of(left, r.left), right=ParaRef.of(right, r.right)))  # type: ignore[arg-type]
    return out


def set_pair(data: Decisions, left: Article, right: Article, items: Sequence[ManualLink], when: str) -> None:
    """Make ``items`` (seen in this order) the decisions about ``left`` and ``right``; none: forget the pair."""
    found = find_pair(data.links, left, right)
    swapped = bool(found and found[1])
    if not items:
        if found is not None:
            del data.links[found[0]]
        return
    pair = PairLinks(ArticleKey.of(left), ArticleKey.of(right), list(items), when)
    stored = pair.flipped() if swapped else pair
    if found is None:
        data.links.append(stored)
    else:
        data.links[found[0]] = stored


def save_pair(store: DecisionStore, left: Article, right: Article, items: Sequence[ManualLink]) -> None:
    """Write the decisions about one pair, in one transaction on the current ones (``UserDataStore.change``).

    Raises:
        UserDataError: the change cannot be saved.
    """
    when = now_iso()
    store.change(lambda d: set_pair(d, left, right, items, when))


def edit_pair(store: DecisionStore, left: Article, right: Article,
              edit: Callable[[list[ManualLink]], list[ManualLink]]) -> tuple[list[ManualLink], list[ManualLink]]:
    """Apply ``edit`` to the pair's current decisions and save; returns (before, after).

    The decisions still found are first pointed at their current paragraphs.
    """
    before_pair = pair_for(store.refresh(), left, right)
    before = list(before_pair.items) if before_pair else []
    after = edit(refreshed(before, left, right))
    save_pair(store, left, right, after)
    return before, after
