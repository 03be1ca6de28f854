"""The story view: one story across all its copies, who changed what, and when it spread.

A *story* is the reuse cluster of an article (:meth:`app.core.reuse.reusemap.ReuseMap.cluster_of`). Its
**base** is the likely origin unless the analyst picks another copy (when the dates cannot tell
an origin, the article asked for is the base, and the story says why). Every copy is aligned
with the base once (:func:`app.core.workspace.links.align_pair`: the map's boilerplate excluded, the pair's
manual links and not-a-match pairs held); from those
alignments come:

- **coverage** of each base content paragraph: how many copies carry it, identical or changed,
  and their mean word-sequence similarity to it;
- the **copies list**: outlet (the analyst's source names), date, change label and % retained
  (:func:`app.core.align.changes.pair_change`), version family (:meth:`ReuseMap.versions`);
- the **collation** of one base paragraph: its reading in every copy, aligned word by word
  (rapidfuzz opcodes over word tokens), identical readings collapsed into one line with their count;
- the **variants table** (the apparatus): every place where a copy's reading differs from the
  base, each reading with the copies carrying it and the delta kinds of
  :mod:`app.core.align.deltas` (``wording`` when none applies; ``omitted`` and ``added`` for whole
  paragraphs);
- the **spread**: copies by date, and derivation edges. An *edit* is a word-level change of a
  copy against the origin (or an added paragraph). A copy that shares edits with a copy
  published earlier probably took the text from it: the edge names the shared edits and the
  lag. Same-day or undated pairs sharing edits are listed as *links of unknown direction*;
  nothing is guessed. The sources give dates without times, so lags are in days.

Paragraph numbers: ``index`` is the 0-based position in the base article's paragraphs (JSON
only); ``number`` and the ``¶N`` labels are 1-based, as the window's gutter and ``parallax show``
number them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date as Date
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz

from app.core.align.changes import pair_change
from app.core.align.deltarules import Rules
from app.core.align.deltas import Delta, DeltaKind, row_deltas
from app.core.align.wordops import Vocabulary, levenshtein_opcodes, tokens
from app.core.reading.model import Alignment, Article, Paragraph, Role, RowKind
from app.core.reading.reader import ReadError
from app.core.reuse.reusemap import ReuseMap
from app.core.storage import fsguard
from app.core.storage.atomic import atomic_write_text
from app.core.workspace.links import align_pair
from app.core.workspace.userdata import with_marks

if TYPE_CHECKING:
    from pathlib import Path

    from app.core.workspace.userdata import UserData

OMITTED = "omitted"
ADDED = "added"
WORDING = "wording"
# Every kind a variant can carry, in the order the filters list them.
VARIANT_KINDS: tuple[str, ...] = (*(str(k) for k in DeltaKind), WORDING, OMITTED, ADDED)
SORT_KEYS = ("date", "similarity", "outlet")
# Version family colours (timeline marks, copies list, reports), told apart on light and dark.
FAMILY_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22")


class StoryError(ValueError):
    """The story cannot be built as asked (a one-line message for the user)."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of a collation line: ``equal`` (copy text), ``replace``, ``delete`` or ``insert``."""

    tag: str
    base: str
    copy: str


@dataclass(frozen=True, slots=True)
class StoryCopy:
    """One member of the story, as the copies list shows it.

    Attributes:
        id: Article id.
        title: Its title.
        outlet: Its source, under the analyst's name for it.
        date: ISO date, "" when unknown.
        role: ``base`` or ``copy``.
        label: Change label against the base ("base" for the base, "unreadable" when the file failed).
        retained: % of the base's body words found unchanged in this copy.
        added: % of this copy's body words not in the base.
        similarity: Mean word-sequence similarity (0-100) of the matched paragraphs.
        family: Number of its version (0: the largest group of copies with the same text).
        problem: Why the copy could not be read ("" when it was).
    """

    id: str
    title: str
    outlet: str
    date: str
    role: str
    label: str
    retained: float = 100.0
    added: float = 0.0
    similarity: float = 100.0
    family: int = 0
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``parallax story --json``)."""
        return {"id": self.id, "title": self.title, "outlet": self.outlet, "date": self.date or None,
                "role": self.role, "label": self.label, "retained": round(self.retained, 1),
                "added": round(self.added, 1), "similarity": round(self.similarity, 1),
                "family": self.family, **({"problem": self.problem} if self.problem else {})}


@dataclass(frozen=True, slots=True)
class Coverage:
    """How the copies carry one base paragraph."""

    index: int  # 0-based, in the base article's paragraphs
    text: str
    copies: int  # copies other than the base
    identical: int
    changed: int
    missing: int
    similarity: float  # mean over the copies carrying it (100 when none does)

    @property
    def carried(self) -> int:
        """Copies carrying the paragraph, changed or not."""
        return self.identical + self.changed

    @property
    def number(self) -> int:
        """1-based paragraph number (the window's ¶N)."""
        return self.index + 1

    def describe(self) -> str:
        """``¶3: 28 of 29 copies carry it (4 changed, mean similarity 97 %)``."""
        return (f"¶{self.number}: {self.carried} of {self.copies} copies carry it "
                f"({self.changed} changed, mean similarity {self.similarity:.0f} %)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"index": self.index, "number": self.number, "carried": self.carried,
                "identical": self.identical, "changed": self.changed, "missing": self.missing,
                "similarity": round(self.similarity, 1), "text": self.text}


@dataclass(frozen=True, slots=True)
class CollationLine:
    """The reading of one base paragraph shared by one or more copies."""

    state: str  # "base", "identical", "variant" or "missing"
    copies: tuple[str, ...]
    outlets: tuple[str, ...]
    segments: tuple[Segment, ...] = ()
    similarity: float = 100.0

    @property
    def text(self) -> str:
        """The reading as the copies print it."""
        return "".join(s.copy for s in self.segments)

    def describe(self) -> str:
        """``17 outlets, identical`` / ``2 outlets`` / ``3 outlets lack this paragraph``."""
        n = len(self.copies)
        who = self.outlets[0] if n == 1 else f"{n} outlets"
        if self.state == "base":
            return f"base: {who}"
        if self.state == "identical":
            return f"{who}, identical"
        if self.state == "missing":
            return f"{who} {'lacks' if n == 1 else 'lack'} this paragraph"
        return f"{who}, {self.similarity:.0f} % similar"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"state": self.state, "copies": list(self.copies), "outlets": list(self.outlets),
                "similarity": round(self.similarity, 1), "text": self.text,
                "segments": [[s.tag, s.base, s.copy] for s in self.segments if s.tag != "equal"]}


@dataclass(frozen=True, slots=True)
class VariantReading:
    """One reading of a variant place and the copies that carry it."""

    text: str
    copies: tuple[str, ...]
    outlets: tuple[str, ...]
    kinds: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"text": self.text, "copies": list(self.copies), "outlets": list(self.outlets),
                "kinds": list(self.kinds)}


@dataclass(frozen=True, slots=True)
class Variant:
    """A place of the base where at least one copy reads otherwise (an apparatus entry).

    ``start``/``end`` are word positions in the base paragraph (``start == end``: an insertion
    before that word; a whole-paragraph entry spans all its words).
    """

    paragraph: int  # 0-based index in the base article
    start: int
    end: int
    base: str
    readings: tuple[VariantReading, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind of its readings, in :data:`VARIANT_KINDS` order."""
        found = {k for r in self.readings for k in r.kinds}
        return tuple(k for k in VARIANT_KINDS if k in found)

    @property
    def copies(self) -> int:
        """How many copies read otherwise here."""
        return sum(len(r.copies) for r in self.readings)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"index": self.paragraph, "number": self.paragraph + 1, "start": self.start,
                "end": self.end, "base": self.base, "kinds": list(self.kinds),
                "readings": [r.to_dict() for r in self.readings]}


@dataclass(frozen=True, slots=True)
class Edge:
    """A derivation: ``child`` probably took its text from ``parent`` (directed) or, when the
    dates cannot tell which came first, the two share edits the origin lacks (``directed`` False)."""

    parent: str
    child: str
    edits: tuple[str, ...]
    days: int | None  # child's date minus parent's; None when one is undated
    evidence: str
    directed: bool = True

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"parent": self.parent, "child": self.child, "directed": self.directed,
                "shared_edits": list(self.edits), "days_later": self.days, "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class TimelineMark:
    """One copy on the spread timeline."""

    id: str
    outlet: str
    date: str  # "" when undated (drawn apart, never placed by guess)
    family: int
    role: str  # "origin", "base", "copy" ("origin" wins when the base is the origin)
    parent: str | None  # the copy it derives from (None: from the origin or unknown)


@dataclass(slots=True)
class _Reading:
    """A copy's reading of one base paragraph."""

    text: str
    codes: str
    starts: list[int]
    ends: list[int]
    merged: bool  # the copy's row joins this paragraph with others


@dataclass(slots=True)
class _Against:
    """One copy aligned with a reference text: its readings of each reference paragraph."""

    readings: dict[int, _Reading]  # reference paragraph index -> reading (absent: the copy lacks it)
    added: list[tuple[int, _Reading]]  # (reference paragraph it follows, -1 at the start), reading
    label: str
    retained: float
    added_pct: float
    similarity: float


def _parse_date(text: str) -> Date | None:
    try:
        return Date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


class _Text:
    """The content paragraphs of a reference article, tokenised."""

    def __init__(self, article: Article, rmap: ReuseMap, vocab: Vocabulary) -> None:
        self.article = article
        title = article.title.casefold().strip()
        self.indexes = [p.index for p in article.paragraphs
                        if p.role is Role.BODY and not rmap.is_boilerplate_paragraph(p)
                        and p.text.casefold().strip() != title]
        self.words = {i: _words(article.paragraphs[i].text, vocab) for i in self.indexes}


def _words(text: str, vocab: Vocabulary) -> _Reading:
    keys, starts, ends = tokens(Paragraph(0, text, "", 0, len(text)))
    return _Reading(text, vocab.encode(keys), list(starts), list(ends), False)


def _against(ref: _Text, copy: Article, rmap: ReuseMap, vocab: Vocabulary, data: UserData | None) -> _Against:

    # The pair as the analyst aligned it: its manual links and not-a-match pairs hold here too.
    alignment = align_pair(ref.article, copy, data, boilerplate=rmap.is_boilerplate_paragraph)
    copy = alignment.right  # with the analyst's content marks applied
    change = pair_change(_furniture_apart(alignment, rmap))
    wanted = set(ref.indexes)
    readings: dict[int, _Reading] = {}
    added: list[tuple[int, _Reading]] = []
    last = -1
    for row in alignment.rows:
        if row.kind is RowKind.BOILERPLATE:
            continue
        mine = [i for i in row.left if i in wanted]
        body = [j for j in row.right if copy.paragraphs[j].role is Role.BODY]
        if mine and row.is_match and body:
            text = " ".join(copy.paragraphs[j].text for j in body)
            reading = _words(text, vocab)
            reading.merged = len(row.left) > 1
            for i in mine:
                readings[i] = reading
        elif not row.left and body and row.kind is RowKind.RIGHT_ONLY:
            for j in body:
                para = copy.paragraphs[j]
                if not rmap.is_boilerplate_paragraph(para) and para.text.casefold().strip() != copy.title.casefold().strip():
                    added.append((last, _words(para.text, vocab)))
        if mine:
            last = max(mine)
    return _Against(readings, added, str(change.label), change.retained, change.added, change.similarity)


def _furniture_apart(alignment: Alignment, rmap: ReuseMap) -> Alignment:
    """The alignment with unmatched furniture rows (an outlet's disclaimer on one side only)
    counted as boilerplate, so that the change label measures the story, not the page."""
    test = rmap.is_boilerplate_paragraph
    rows = []
    for row in alignment.rows:
        if row.kind in (RowKind.LEFT_ONLY, RowKind.RIGHT_ONLY):
            paras = [alignment.left.paragraphs[i] for i in row.left] + [alignment.right.paragraphs[j] for j in row.right]
            if all(test(p) or p.role is not Role.BODY for p in paras):
                row = replace(row, kind=RowKind.BOILERPLATE)
        rows.append(row)
    return Alignment(alignment.left, alignment.right, rows, alignment.options)


def _opcodes(a: str, b: str) -> list[tuple[str, int, int, int, int]]:
    """The changed stretches of two word strings, neighbouring ones joined ("more than" -> "over"
    is one place, not a replace and a delete)."""
    out: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in levenshtein_opcodes(a, b):
        if tag == "equal":
            continue
        if out and out[-1][2] == i1 and out[-1][4] == j1:
            _t, p1, _p2, q1, _q2 = out.pop()
            i1, j1 = p1, q1
            tag = "replace" if i2 > i1 and j2 > j1 else tag
        out.append((tag, i1, i2, j1, j2))
    return out


def _stretch(r: _Reading, lo: int, hi: int) -> str:
    """Display text of words ``lo:hi`` of a reading ("" when empty)."""
    return r.text[r.starts[lo]:r.ends[hi - 1]] if lo < hi else ""


def _segments(base: _Reading, copy: _Reading) -> tuple[Segment, ...]:
    """The copy's text cut into equal and changed stretches against the base (covering all of it)."""
    out: list[Segment] = []
    changed = _opcodes(base.codes, copy.codes)
    ops: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for tag, i1, i2, j1, j2 in changed:  # the equal stretches between the (joined) changes
        if i1 > i or j1 > j:
            ops.append(("equal", i, i1, j, j1))
        ops.append((tag, i1, i2, j1, j2))
        i, j = i2, j2
    if i < len(base.codes) or j < len(copy.codes):
        ops.append(("equal", i, len(base.codes), j, len(copy.codes)))
    for n, (tag, i1, i2, j1, j2) in enumerate(ops):
        # Each stretch runs to the next word's start, so spaces and punctuation go with it.
        c_lo = 0 if n == 0 else (copy.starts[j1] if j1 < len(copy.starts) else len(copy.text))
        c_hi = len(copy.text) if n == len(ops) - 1 else (copy.starts[j2] if j2 < len(copy.starts) else len(copy.text))
        if tag == "equal":
            out.append(Segment("equal", "", copy.text[c_lo:c_hi]))
            continue
        b_text = _stretch(base, i1, i2)
        c_text = copy.text[c_lo:c_hi]
        if tag == "delete":
            # Keep the separator that follows in the copy as plain text.
            out.append(Segment("delete", b_text, ""))
            if c_text:
                out.append(Segment("equal", "", c_text))
        else:
            out.append(Segment(tag, b_text, c_text))
    if not ops and copy.text:
        out.append(Segment("equal", "", copy.text))
    return tuple(out)


@dataclass(slots=True)
class Story:
    """One story across its copies (build it with :func:`build_story`)."""

    asked: str
    base: str
    origin: str | None
    origin_reason: str
    base_reason: str
    copies: list[StoryCopy]
    coverage: list[Coverage]
    edges: list[Edge]
    notes: list[str]  # statements about dates, unreadable copies and what could not be told
    _base_text: _Text = field(repr=False)
    _readings: dict[str, _Against] = field(repr=False)
    _outlets: dict[str, str] = field(repr=False)
    _rules: Rules | None = field(default=None, repr=False)
    _delta_cache: dict[tuple[int, str], list[Delta]] = field(default_factory=dict, repr=False)
    _variants: list[Variant] | None = field(default=None, repr=False)
    _by_id: dict[str, StoryCopy] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ copies

    @property
    def size(self) -> int:
        """Members of the story, the base included."""
        return len(self.copies)

    def copy(self, aid: str) -> StoryCopy:
        """The member with id ``aid``.

        Raises:
            KeyError: not a member.
        """
        for c in self.copies:
            if c.id == aid:
                return c
        raise KeyError(aid)

    def sorted_copies(self, by: str = "date") -> list[StoryCopy]:
        """The members sorted by ``date`` (undated last), ``similarity`` (most similar first) or ``outlet``.

        Raises:
            StoryError: an unknown sort key.
        """
        if by == "date":
            return sorted(self.copies, key=lambda c: (not c.date, c.date, c.outlet.casefold(), c.id))
        if by == "similarity":
            return sorted(self.copies, key=lambda c: (c.role != "base", -c.retained, -c.similarity, c.id))
        if by == "outlet":
            return sorted(self.copies, key=lambda c: (c.outlet.casefold(), c.date or "9999", c.id))
        raise StoryError(f"unknown sort {by!r}: use one of {', '.join(SORT_KEYS)}")

    def paragraph_numbers(self) -> list[int]:
        """The 1-based numbers of the base's content paragraphs."""
        return [i + 1 for i in self._base_text.indexes]

    # ------------------------------------------------------------------ collation

    def collation(self, index: int) -> list[CollationLine]:
        """Base paragraph ``index`` (0-based) in every copy, identical readings collapsed.

        The base comes first, then the identical copies, the variant readings (most carried
        first) and the copies lacking the paragraph.

        Raises:
            StoryError: ``index`` is not a content paragraph of the base.
        """
        base = self._base_text.words.get(index)
        if base is None:
            raise StoryError(f"¶{index + 1} is not a content paragraph of the base "
                             f"(content paragraphs: {_ranges(self.paragraph_numbers())})")
        groups: dict[str, list[str]] = {}
        readings: dict[str, _Reading] = {}
        missing: list[str] = []
        for c in self.copies:
            if c.role == "base" or c.problem:
                continue
            r = self._readings[c.id].readings.get(index)
            if r is None:
                missing.append(c.id)
                continue
            groups.setdefault(r.codes, []).append(c.id)
            readings.setdefault(r.codes, r)
        out = [CollationLine("base", (self.base,), (self._outlets[self.base],),
                             (Segment("equal", "", base.text),))]
        same = groups.pop(base.codes, [])
        if same:
            out.append(CollationLine("identical", tuple(same), self._names(same), (Segment("equal", "", base.text),)))
        for codes, ids in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[1][0])):
            r = readings[codes]
            out.append(CollationLine("variant", tuple(ids), self._names(ids), _segments(base, r),
                                     fuzz.ratio(base.codes, r.codes)))
        if missing:
            out.append(CollationLine("missing", tuple(missing), self._names(missing)))
        return out

    def _names(self, ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(self._outlets[i] for i in ids)

    # ------------------------------------------------------------------ variants

    def _kinds_of(self, index: int, base: _Reading, reading: _Reading,
                  ops: list[tuple[str, int, int, int, int]]) -> list[tuple[str, ...]]:
        """The delta kinds of each op of one reading (``wording`` for an op no delta touches)."""
        key = (index, reading.codes)
        found = self._delta_cache.get(key)
        if found is None:
            left = [Paragraph(0, base.text, base.text.casefold(), 0, len(base.text))]
            right = [Paragraph(0, reading.text, reading.text.casefold(), 0, len(reading.text))]
            found = row_deltas(left, right, 0, self._rules)
            self._delta_cache[key] = found
        out = []
        for _tag, i1, i2, j1, j2 in ops:
            b_lo, b_hi = (base.starts[i1], base.ends[i2 - 1]) if i1 < i2 else (-1, -1)
            c_lo, c_hi = (reading.starts[j1], reading.ends[j2 - 1]) if j1 < j2 else (-1, -1)
            kinds = set()
            for d in found:
                if any(s < b_hi and e > b_lo for _p, s, e in d.left) or \
                        any(s < c_hi and e > c_lo for _p, s, e in d.right):
                    kinds.add(str(d.kind))
            out.append(tuple(k for k in VARIANT_KINDS if k in kinds) or (WORDING,))
        return out

    def variants(self, kind: str | None = None) -> list[Variant]:
        """The apparatus: every place where a copy reads otherwise, in base order.

        Args:
            kind: Only the places with a reading of this kind (one of :data:`VARIANT_KINDS`).

        Raises:
            StoryError: an unknown kind.
        """
        if kind is not None and kind not in VARIANT_KINDS:
            raise StoryError(f"unknown variant kind {kind!r}: use one of {', '.join(VARIANT_KINDS)}")
        if self._variants is None:
            self._variants = self._build_variants()
        if kind is None:
            return list(self._variants)
        out = []
        for v in self._variants:
            readings = tuple(r for r in v.readings if kind in r.kinds)
            if readings:
                out.append(Variant(v.paragraph, v.start, v.end, v.base, readings))
        return out

    def _build_variants(self) -> list[Variant]:
        places: dict[tuple[int, int, int], dict[str, tuple[str, list[str], set[str]]]] = {}
        base_of: dict[tuple[int, int, int], str] = {}
        members = [c for c in self.copies if c.role != "base" and not c.problem]
        for index in self._base_text.indexes:
            base = self._base_text.words[index]
            by_codes: dict[str, list[str]] = {}
            readings: dict[str, _Reading] = {}
            lacking = []
            for c in members:
                r = self._readings[c.id].readings.get(index)
                if r is None:
                    lacking.append(c.id)
                elif r.codes != base.codes:
                    by_codes.setdefault(r.codes, []).append(c.id)
                    readings.setdefault(r.codes, r)
            for codes, ids in by_codes.items():
                r = readings[codes]
                ops = _opcodes(base.codes, r.codes)
                for (tag, i1, i2, j1, j2), kinds in zip(ops, self._kinds_of(index, base, r, ops), strict=True):
                    key = (index, i1, i2)
                    base_of[key] = _stretch(base, i1, i2)
                    text = _stretch(r, j1, j2) if tag != "delete" else ""
                    slot = places.setdefault(key, {}).setdefault(r.codes[j1:j2], (text, [], set()))
                    slot[1].extend(ids)
                    slot[2].update(kinds)
            if lacking:
                key = (index, 0, len(base.codes))
                base_of[key] = base.text
                slot = places.setdefault(key, {}).setdefault("\0omitted", ("", [], set()))
                slot[1].extend(lacking)
                slot[2].add(OMITTED)
        for c in members:
            for after, r in self._readings[c.id].added:
                key = (after, -1, -1)  # after base paragraph ``after``; -1 words: a paragraph
                base_of[key] = ""
                slot = places.setdefault(key, {}).setdefault("\0added" + r.codes, (r.text, [], set()))
                slot[1].append(c.id)
                slot[2].add(ADDED)
        out = []
        for key in sorted(places, key=lambda k: (k[0], k[1] < 0, k[1], k[2])):
            choices = []
            for text, holders, marks in places[key].values():
                ids = sorted(set(holders), key=self._order)
                choices.append(VariantReading(text, tuple(ids), self._names(ids),
                                              tuple(k for k in VARIANT_KINDS if k in marks)))
            choices.sort(key=lambda r: (-len(r.copies), r.text))
            index, start, end = key
            out.append(Variant(index, max(start, 0), max(end, 0), base_of[key], tuple(choices)))
        return out

    def _order(self, aid: str) -> tuple[bool, str, str]:
        if len(self._by_id) != len(self.copies):
            self._by_id.update((c.id, c) for c in self.copies)
        c = self._by_id[aid]
        return (not c.date, c.date, c.id)

    def variants_csv(self, kind: str | None = None) -> str:
        """The variants table as CSV text: one line per reading (¶ is 1-based)."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["paragraph", "words", "base", "reading", "kinds", "copies", "outlets", "ids"])
        for v in self.variants(kind):
            where = _words_label(v)
            for r in v.readings:
                w.writerow([f"¶{v.paragraph + 1}" if v.paragraph >= 0 else "start", where, _csv_safe(v.base),
                            _csv_safe(r.text if r.text or OMITTED not in r.kinds else "(paragraph absent)"),
                            " ".join(r.kinds), len(r.copies), _csv_safe("; ".join(r.outlets)),
                            _csv_safe(" ".join(r.copies))])
        return buf.getvalue()

    # ------------------------------------------------------------------ spread

    def timeline(self) -> list[TimelineMark]:
        """One mark per copy, by date (undated last, kept apart)."""
        parent = {e.child: e.parent for e in self.edges if e.directed}
        marks = []
        for c in self.sorted_copies("date"):
            role = "origin" if c.id == self.origin else c.role
            marks.append(TimelineMark(c.id, c.outlet, c.date, c.family, role, parent.get(c.id)))
        return marks

    # ------------------------------------------------------------------ output

    def summary(self) -> str:
        """``31 copies in 4 versions; base x (likely origin: earliest dated)``."""
        families = len({c.family for c in self.copies})
        return (f"{self.size} cop{'ies' if self.size != 1 else 'y'} in {families} "
                f"version{'s' if families != 1 else ''}; base {self.base} ({self.base_reason})")

    def to_dict(self, *, variants: bool = True) -> dict[str, Any]:
        """``parallax story --json``: members, base, coverage, variants, derivation edges."""
        data = {
            "id": self.asked, "base": self.base, "base_reason": self.base_reason,
            "origin": self.origin, "origin_reason": self.origin_reason,
            "paragraph_numbers": "index is 0-based; number is 1-based, the ¶N of the window and of parallax show",
            "members": [c.to_dict() for c in self.sorted_copies("date")],
            "coverage": [c.to_dict() for c in self.coverage],
            "edges": [e.to_dict() for e in self.edges],
            "notes": list(self.notes),
        }
        if variants:
            data["variants"] = [v.to_dict() for v in self.variants()]
        return data


def _words_label(v: Variant) -> str:
    """Where a variant sits in its paragraph, in 1-based words: ``7``, ``7-9``, ``before 7``."""
    if ADDED in v.kinds and not v.base:
        return "new paragraph"
    if OMITTED in v.kinds:
        return "whole paragraph"
    if v.end == v.start:
        return f"before word {v.start + 1}"
    return f"word {v.start + 1}" if v.end == v.start + 1 else f"words {v.start + 1}-{v.end}"


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _ranges(numbers: Sequence[int]) -> str:
    if not numbers:
        return "none"
    out, lo, prev = [], numbers[0], numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(f"¶{lo}" if lo == prev else f"¶{lo}–{prev}")
        if n is not None:
            lo = prev = n
    return ", ".join(out)


# ---------------------------------------------------------------------- derivation


def _edits(ref: _Text, against: _Against) -> dict[str, str]:
    """A copy's edits against the reference: key -> description."""
    out: dict[str, str] = {}
    for index, r in against.readings.items():
        base = ref.words[index]
        if r.codes == base.codes:
            continue
        for tag, i1, i2, j1, j2 in _opcodes(base.codes, r.codes):
            key = f"{index}:{i1}:{i2}:{r.codes[j1:j2]}"
            before, after = _stretch(base, i1, i2), _stretch(r, j1, j2)
            what = {"replace": f"“{before}” → “{after}”", "delete": f"“{before}” dropped",
                    "insert": f"“{after}” added"}[tag]
            out[key] = f"¶{index + 1} {_short(what)}"
    for _after, r in against.added:
        out[f"+{r.codes}"] = f"added paragraph “{_short(r.text, 40)}”"
    return out


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _days(a: str, b: str) -> int | None:
    da, db = _parse_date(a), _parse_date(b)
    return None if da is None or db is None else (db - da).days


def _derive(members: list[StoryCopy], edits: dict[str, dict[str, str]], root: str) -> tuple[list[Edge], list[str]]:
    """Derivation edges from shared edits (module docstring); notes on what could not be told."""
    edges: list[Edge] = []
    notes: list[str] = []
    by_id = {c.id: c for c in members}

    def name(aid: str) -> str:
        c = by_id[aid]
        return f"{c.outlet} ({c.date or 'undated'})"

    seen_links: set[tuple[str, str]] = set()
    for child in sorted(members, key=lambda c: (not c.date, c.date, c.id)):
        mine = edits.get(child.id) or {}
        if child.id == root or not mine:
            continue
        earlier: list[tuple[int, str, list[str]]] = []
        for other, theirs in edits.items():
            if other == child.id or other == root or not theirs:
                continue
            shared = sorted(set(mine) & set(theirs))
            if not shared:
                continue
            days = _days(by_id[other].date, child.date)
            if days is not None and days > 0:
                earlier.append((len(shared), other, shared))
            elif (min(other, child.id), max(other, child.id)) not in seen_links:
                seen_links.add((min(other, child.id), max(other, child.id)))
                descr = [mine[k] for k in shared]
                why: str | None
                if days is None:
                    undated = [by_id[x].outlet for x in (other, child.id) if not by_id[x].date]
                    why = f"{' and '.join(undated)} undated: which came first is unknown"
                else:
                    why = "published the same day: which took from which is unknown" if days == 0 else None
                if why is None:
                    continue  # the other is later; the edge is found from its side
                a, b = sorted((other, child.id))
                edges.append(Edge(a, b, tuple(descr), days if days is not None else None,
                                  f"{name(a)} and {name(b)} share {_edits_phrase(len(shared))} "
                                  f"the origin lacks; {why}",
                                  directed=False))
        if not earlier:
            continue
        best = max(n for n, _o, _s in earlier)
        top = [e for e in earlier if e[0] == best]
        # Among equal candidates the earliest holder of the edits probably introduced them.
        top.sort(key=lambda e: (by_id[e[1]].date, e[1]))
        _n, parent, shared = top[0]
        days = _days(by_id[parent].date, child.date)
        evidence = (f"shares {_edits_phrase(len(shared))} with {name(parent)} that the origin lacks, "
                    f"published {_lag(days)} later")
        if len(top) > 1:
            others = ", ".join(name(e[1]) for e in top[1:4]) + (" …" if len(top) > 4 else "")
            evidence += f"; as many with {others}, published later, so the earliest is taken as the source"
        edges.append(Edge(parent, child.id, tuple(mine[k] for k in shared), days, evidence))
    return edges, notes


def _edits_phrase(n: int) -> str:
    return f"{n} edit{'s' if n != 1 else ''}"


def _lag(days: int | None) -> str:
    if days is None:
        return "an unknown time"
    return f"{days} day{'s' if days != 1 else ''}"


# ---------------------------------------------------------------------- building


def build_story(rmap: ReuseMap, load: Callable[[str], Article], aid: str, base: str | None = None,
                *, rules: Rules | None = None, progress: Callable[[int, int], None] | None = None,
                should_cancel: Callable[[], bool] | None = None, userdata: UserData | None = None) -> Story:
    """The story of article ``aid``: its reuse cluster lined up against a base.

    Args:
        rmap: The corpus reuse map.
        load: Reads an article by id (``Corpus.article``); a :class:`ReadError` marks that copy
            unreadable, the others are still shown.
        aid: Any member of the story.
        base: The member to use as base (default: the likely origin; without one, ``aid``).
        rules: Delta word lists (default: the shipped ones).
        progress: Called with (copies done, copies) while aligning.
        should_cancel: Polled between copies; True stops with :class:`StoryError`.
        userdata: The corpus's user data (``Corpus.userdata.refresh()``): each copy is aligned
            with the base with the pair's manual links and not-a-match pairs. The map's
            content marks apply with or without it (a chrome paragraph marked content is body).

    Raises:
        StoryError: ``aid`` or ``base`` is not in the map or not in the story; the base cannot be read;
            cancelled.
    """
    if aid not in rmap:
        raise StoryError(f"{aid} is not in the reuse map (is it indexed?)")
    cluster = rmap.cluster_of(aid)
    if cluster is None:
        ids = [aid]
        origin, origin_reason = None, "shares text with no other article"
    else:
        ids = [m.id for m in cluster.members]
        origin, origin_reason = cluster.origin, cluster.reason
    if base is not None:
        if base not in ids:
            raise StoryError(f"{base} is not a copy of this story")
        base_reason = "likely origin" if base == origin else "chosen as base"
    elif origin is not None:
        base, base_reason = origin, "likely origin"
    else:
        base, base_reason = aid, f"the article asked for (no likely origin: {origin_reason})"
    vocab = Vocabulary()
    read = load
    content = rmap.overrides.content
    if content:

        def read(x: str) -> Article:
            return with_marks(load(x), content)

    try:
        base_article = read(base)
    except ReadError as exc:
        raise StoryError(f"the base {base} cannot be read: {exc}") from exc
    ref = _Text(base_article, rmap, vocab)
    root = origin or base
    root_text = ref
    if root != base:
        try:
            root_text = _Text(read(root), rmap, vocab)
        except ReadError:
            root_text = None  # type: ignore[assignment]
    families = {x: k for k, group in enumerate(rmap.versions(aid)) for x in group}
    outlets = {x: rmap.article(x).source or "(no source)" for x in ids}
    copies: list[StoryCopy] = []
    readings: dict[str, _Against] = {}
    edits: dict[str, dict[str, str]] = {}
    notes: list[str] = []
    for n, x in enumerate(ids):
        if should_cancel is not None and should_cancel():
            raise StoryError("cancelled")
        meta = rmap.article(x)
        if x == base:
            copies.append(StoryCopy(x, meta.title, outlets[x], meta.date, "base", "base",
                                    family=families.get(x, 0)))
            if root == base:
                edits[x] = {}
            elif root_text is not None:
                edits[x] = _edits(root_text, _against(root_text, base_article, rmap, vocab, userdata))
            continue
        try:
            article = read(x)
        except ReadError as exc:
            copies.append(StoryCopy(x, meta.title, outlets[x], meta.date, "copy", "unreadable",
                                    0.0, 0.0, 0.0, families.get(x, 0), str(exc)))
            notes.append(f"{x} could not be read: {exc}")
            continue
        got = _against(ref, article, rmap, vocab, userdata)
        readings[x] = got
        copies.append(StoryCopy(x, meta.title, outlets[x], meta.date, "copy", got.label, got.retained,
                                got.added_pct, got.similarity, families.get(x, 0)))
        if root_text is not None:
            edits[x] = _edits(root_text, got) if root_text is ref else \
                _edits(root_text, _against(root_text, article, rmap, vocab, userdata)) if x != root else {}
        if progress is not None:
            progress(n + 1, len(ids))
    coverage = []
    live = [c for c in copies if c.role != "base" and not c.problem]
    for index in ref.indexes:
        b = ref.words[index]
        same = changed = 0
        sims = []
        for c in live:
            r = readings[c.id].readings.get(index)
            if r is None:
                continue
            if r.codes == b.codes:
                same += 1
                sims.append(100.0)
            else:
                changed += 1
                sims.append(fuzz.ratio(b.codes, r.codes))
        coverage.append(Coverage(index, b.text, len(live), same, changed, len(live) - same - changed,
                                 sum(sims) / len(sims) if sims else 100.0))
    undated = [c.id for c in copies if not c.date]
    if undated:
        notes.append(f"{len(undated)} undated: {', '.join(undated[:5])}{' …' if len(undated) > 5 else ''}"
                     " (kept apart on the timeline; no derivation is inferred from their place)")
    by_day: dict[str, list[str]] = {}
    for c in copies:
        if c.date:
            by_day.setdefault(c.date, []).append(c.id)
    tied = {d: v for d, v in by_day.items() if len(v) > 1}
    if tied:
        notes.append(f"{sum(len(v) for v in tied.values())} copies share a date with another on "
                     f"{len(tied)} day{'s' if len(tied) != 1 else ''} (the sources give no times: "
                     "their order that day is unknown)")
    if root_text is None:
        notes.append(f"the origin {root} cannot be read: no derivation is inferred")
        edges: list[Edge] = []
    else:
        edges, more = _derive(copies, edits, root)
        notes += more
        if root != origin:
            notes.append(f"derivation is read against the base {base}: {origin_reason}")
    return Story(aid, base, origin, origin_reason, base_reason, copies, coverage, edges, notes,
                 ref, readings, outlets, rules)


def write_variants_csv(story: Story, path: str, *, kind: str | None = None,
                       inputs: Iterable[Path | str] = ()) -> int:
    """Write the variants table as CSV through the write guard; returns the number of readings.

    Raises:
        app.core.storage.fsguard.WriteRefused: a corpus file, an input, or a file Parallax did not write.
        OSError: the write failed (nothing partial is left).
    """

    fsguard.check_write(path, inputs=inputs)
    text = story.variants_csv(kind)
    atomic_write_text(path, text)
    return text.count("\n") - 1
