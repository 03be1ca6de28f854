"""What kind of change a comparison is, in an analyst's terms: one label per pair, finer ones per row.

The labels are defined here and only here; the status bar, the tab tooltip, Related, the
reports and ``compare --json`` all show these names and these descriptions.

Pair labels (first that applies, in this order):

- **verbatim**: no word of the content differs (whitespace, quotes, markdown and case may);
- **partial**, when nothing at all is shared;
- **rewritten**: the matched paragraphs are, on average, less than :data:`REWRITTEN_BELOW`
  similar word for word;
- **edited**, when at most :data:`SMALL` % is lost and at most that much is new;
- **trimmed**: content removed, at most :data:`SMALL` % of the copy new;
- **expanded**: content added, at most :data:`SMALL` % of the source lost;
- **partial**: less than :data:`PARTIAL_BELOW` % of the source retained, or less than that share
  of the copy taken from the source: only part of one side is shared;
- **edited**: everything else: small word changes, perhaps a paragraph added or dropped.

The two figures are word counts of the body: ``retained`` is the % of the source's (left's)
words found unchanged in the copy, ``added`` the % of the copy's (right's) words not in the
source. Boilerplate and page furniture are not counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.core.align.deltarules import Rules
from app.core.align.deltas import Delta, DeltaKind, deltas
from app.core.reading.model import Alignment, Article, Role, RowKind
from app.core.reading.text import WORD_RE


class PairLabel(StrEnum):
    """The one label of a comparison."""

    VERBATIM = "verbatim"
    TRIMMED = "trimmed"
    EXPANDED = "expanded"
    EDITED = "edited"
    REWRITTEN = "rewritten"
    PARTIAL = "partial"


class RowLabel(StrEnum):
    """A finer label of one changed row (a row can have several)."""

    WORDING = "wording"
    NUMBERS = "numbers"
    NAMES = "names"
    QUOTES = "quotes"
    ATTRIBUTION = "attribution"
    NEGATION = "negation"
    HEDGING = "hedging"


PAIR_LABEL_HELP = {
    PairLabel.VERBATIM: "only whitespace, quotes, markdown or case differ",
    PairLabel.TRIMMED: "content removed, nothing added",
    PairLabel.EXPANDED: "content added, nothing removed",
    PairLabel.EDITED: "small word changes",
    PairLabel.REWRITTEN: "low similarity on matched paragraphs",
    PairLabel.PARTIAL: "only part of one side is shared",
}

ROW_LABEL_HELP = {
    RowLabel.WORDING: "words changed, none of the kinds below",
    RowLabel.NUMBERS: "a number, quantity, date or time changed, added or dropped",
    RowLabel.NAMES: "a person, place or organisation named on one side only",
    RowLabel.QUOTES: "a quotation's words or its attribution changed",
    RowLabel.ATTRIBUTION: "a reporting verb changed class (said → claimed), or was added or dropped",
    RowLabel.NEGATION: "a negation added or removed",
    RowLabel.HEDGING: "a hedge or modal added or removed (is → may be, allegedly)",
}

# Which row label each delta kind gives its row; a dropped or added sentence is wording.
ROW_LABEL_OF = {
    DeltaKind.NUMBER: RowLabel.NUMBERS,
    DeltaKind.DATE: RowLabel.NUMBERS,
    DeltaKind.NAME: RowLabel.NAMES,
    DeltaKind.QUOTE: RowLabel.QUOTES,
    DeltaKind.ATTRIBUTION: RowLabel.ATTRIBUTION,
    DeltaKind.NEGATION: RowLabel.NEGATION,
    DeltaKind.HEDGING: RowLabel.HEDGING,
    DeltaKind.SENTENCE: RowLabel.WORDING,
}

SMALL = 0.5  # % of words: "nothing added" / "nothing removed" allows this much (a word or two)
PARTIAL_BELOW = 50.0  # % of one side shared
REWRITTEN_BELOW = 70.0  # mean word-sequence similarity (0-100) of the matched rows

_ORDER = list(RowLabel)


@dataclass(frozen=True, slots=True)
class PairChange:
    """The label of a comparison and its two figures.

    Attributes:
        label: The pair label.
        retained: % of the source's body words found unchanged in the copy.
        added: % of the copy's body words that are not in the source.
        similarity: Mean word-sequence similarity (0-100) of the matched rows, by words.
    """

    label: PairLabel
    retained: float
    added: float
    similarity: float

    def brief(self) -> str:
        """``edited · 96 % words kept · 4 % new``: the status bar's form (:meth:`describe` in full)."""
        return f"{self.label} · {self.retained:.0f} % words kept · {self.added:.0f} % new"

    def describe(self) -> str:
        """``edited · 96 % of the source's words unchanged · 4 % of the copy's words new``.

        Words, not the shared figure's characters of shared paragraphs: an edited paragraph
        counts as shared there, and only its unchanged words count here.
        """
        return (f"{self.label} · {self.retained:.0f} % of the source's words unchanged"
                f" · {self.added:.0f} % of the copy's words new")

    def help(self) -> str:
        """What the label means, for a tooltip."""
        return f"{self.label}: {PAIR_LABEL_HELP[self.label]}"


@dataclass(slots=True)
class Changes:
    """Everything this module says about one comparison.

    Attributes:
        pair: The pair label and figures.
        rows: Finer labels of each changed row, by row index (only changed rows appear).
        deltas: The critical deltas, in reading order.
    """

    pair: PairChange
    rows: dict[int, tuple[RowLabel, ...]] = field(default_factory=dict)
    deltas: list[Delta] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The fields ``parallax compare --json`` adds: label, retained, added, deltas."""
        return {
            "label": str(self.pair.label),
            "retained": round(self.pair.retained, 1),
            "added": round(self.pair.added, 1),
            "deltas": [d.to_dict() for d in self.deltas],
        }


def _count(text: str, spans: Sequence[tuple[int, int]] = ()) -> int:
    if not spans:
        return sum(1 for _ in WORD_RE.finditer(text))
    return sum(sum(1 for _ in WORD_RE.finditer(text, s, e)) for s, e in spans)


def _is_content(article: Article, indexes: Sequence[int]) -> bool:
    return any(article.paragraphs[i].role is Role.BODY for i in indexes)


def pair_change(alignment: Alignment) -> PairChange:
    """The pair label with its figures (no deltas needed; a few ms for 200 paragraphs)."""
    left_total = right_total = left_lost = right_new = 0
    sim_weight = sim_sum = 0.0
    left, right = alignment.left, alignment.right
    for row in alignment.rows:
        if row.kind is RowKind.BOILERPLATE:
            continue
        lbody = [i for i in row.left if left.paragraphs[i].role is Role.BODY]
        rbody = [j for j in row.right if right.paragraphs[j].role is Role.BODY]
        lw = sum(_count(left.paragraphs[i].text) for i in lbody)
        rw = sum(_count(right.paragraphs[j].text) for j in rbody)
        left_total += lw
        right_total += rw
        if row.kind is RowKind.LEFT_ONLY:
            left_lost += lw
        elif row.kind is RowKind.RIGHT_ONLY:
            right_new += rw
        elif row.kind is RowKind.CHANGED:
            lb, rb = set(lbody), set(rbody)
            for op in row.ops:
                if op.tag in ("delete", "replace"):
                    left_lost += sum(_count(left.paragraphs[p].text, [(s, e)]) for p, s, e in op.left if p in lb)
                if op.tag in ("insert", "replace"):
                    right_new += sum(_count(right.paragraphs[p].text, [(s, e)]) for p, s, e in op.right if p in rb)
        if row.is_match and (lw or rw):
            sim_weight += lw + rw
            sim_sum += (lw + rw) * (100.0 if row.kind is RowKind.IDENTICAL else row.score)
    retained = 100.0 * (left_total - left_lost) / left_total if left_total else 0.0
    added = 100.0 * right_new / right_total if right_total else 0.0
    similarity = sim_sum / sim_weight if sim_weight else 0.0
    return PairChange(_label(left_total, right_total, left_lost, right_new, retained, added, similarity),
                      retained, added, similarity)


def _label(left_total: int, right_total: int, lost: int, new: int, retained: float, added: float,
           similarity: float) -> PairLabel:
    if lost == 0 and new == 0:
        return PairLabel.VERBATIM
    if not similarity:  # nothing matched at all
        return PairLabel.PARTIAL
    if similarity < REWRITTEN_BELOW:
        return PairLabel.REWRITTEN
    removed = 100.0 - retained
    if added <= SMALL and removed <= SMALL:
        return PairLabel.EDITED
    if added <= SMALL:
        return PairLabel.TRIMMED
    if removed <= SMALL:
        return PairLabel.EXPANDED
    if retained < PARTIAL_BELOW or 100.0 - added < PARTIAL_BELOW:
        return PairLabel.PARTIAL
    return PairLabel.EDITED


def row_labels(alignment: Alignment, found: Sequence[Delta]) -> dict[int, tuple[RowLabel, ...]]:
    """The finer labels of each changed row: from its deltas, ``wording`` when it has none."""
    by_row: dict[int, set[RowLabel]] = {}
    for d in found:
        by_row.setdefault(d.row, set()).add(ROW_LABEL_OF[d.kind])
    out: dict[int, tuple[RowLabel, ...]] = {}
    for n, row in enumerate(alignment.rows):
        if row.kind is not RowKind.CHANGED:
            continue
        labels = by_row.get(n) or {RowLabel.WORDING}
        out[n] = tuple(sorted(labels, key=_ORDER.index))
    return out


def analyse(alignment: Alignment, rules: Rules | None = None) -> Changes:
    """The pair label, row labels and critical deltas of a comparison.

    A placeholder side (an article shown alone) gives no deltas.
    """
    pair = pair_change(alignment)
    found = deltas(alignment, rules) if alignment.left.id and alignment.right.id else []
    return Changes(pair, row_labels(alignment, found), found)
