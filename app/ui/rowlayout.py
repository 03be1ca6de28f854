"""Row geometry shared by both panes: each row is as tall as its taller side, so rows line up."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.reading.model import Row

ROW_PADDING = 13  # vertical padding above and below a row's text
COLLAPSED_HEIGHT = 20  # a run of hidden boilerplate rows shows as one labelled strip
MIN_ROW_HEIGHT = 28
BOTH, LEFT, RIGHT = "both", "left", "right"


def paragraph_label(paras: tuple[int, ...]) -> str:
    """``¶5`` or ``¶5–6``: 1-based paragraph numbers as shown in the gutter and the badges."""
    if not paras:
        return ""
    lo, hi = min(paras) + 1, max(paras) + 1
    return f"¶{lo}" if lo == hi else f"¶{lo}–{hi}"


@dataclass(frozen=True, slots=True)
class ReadingPlan:
    """Where each side of each row is drawn, so that both panes read in their own article's order.

    A row is drawn in one *slot* (a horizontal band shared by both panes) except a moved row:
    its left paragraphs stay in a slot at their place in the left article and its right ones in
    another slot at their place in the right article, the opposite cell of each left empty.

    Attributes:
        slots: ``(row, part)`` top to bottom; ``part`` is ``"both"``, ``"left"`` or ``"right"``
            (the side whose paragraphs the slot shows).
        left_slot: Row index -> slot showing its left side.
        right_slot: Row index -> slot showing its right side.
    """

    slots: tuple[tuple[int, str], ...]
    left_slot: tuple[int, ...]
    right_slot: tuple[int, ...]

    def slot_of(self, row: int, side: str) -> int:
        """The slot showing ``side`` of ``row``."""
        return (self.left_slot if side == LEFT else self.right_slot)[row]

    def shows(self, slot: int, side: str) -> bool:
        """Whether ``slot`` shows ``side``'s paragraphs of its row."""
        return self.slots[slot][1] in (BOTH, side)


def reading_plan(rows: Sequence[Row]) -> ReadingPlan:
    """Slots for ``rows`` (in the aligner's order: the left article's order, moved rows included).

    The right half of each moved row goes right after the slot holding the right paragraph
    that precedes it in the right article, so the right pane reads ¶5, 6, 7, 8 and not 8, 6, 7.
    """
    slots: list[tuple[int, str]] = []
    halves: list[int] = []
    for n, row in enumerate(rows):
        if row.moved and row.left and row.right:
            slots.append((n, LEFT))
            halves.append(n)
        else:
            slots.append((n, BOTH))
    for n in sorted(halves, key=lambda k: min(rows[k].right)):
        first = min(rows[n].right)
        after = -1
        for s, (r, part) in enumerate(slots):
            if part != LEFT and rows[r].right and max(rows[r].right) < first:
                after = s  # the last slot whose right paragraphs come before this group
        if after < 0:  # the group opens the right article: before the first right paragraph
            at = next((s for s, (r, part) in enumerate(slots) if part != LEFT and rows[r].right), len(slots))
        else:
            at = after + 1
        slots.insert(at, (n, RIGHT))
    left_slot = [0] * len(rows)
    right_slot = [0] * len(rows)
    for s, (r, part) in enumerate(slots):
        if part != RIGHT:
            left_slot[r] = s
        if part != LEFT:
            right_slot[r] = s
    return ReadingPlan(tuple(slots), tuple(left_slot), tuple(right_slot))


class RowLayout:
    """Tops and heights of the rows of one comparison, in content (unscrolled) coordinates."""

    __slots__ = ("heights", "tops", "total")

    def __init__(self, heights: Sequence[int] = ()) -> None:
        self.heights: list[int] = list(heights)
        self.tops: list[int] = []
        y = 0
        for h in self.heights:
            self.tops.append(y)
            y += h
        self.total = y

    @classmethod
    def from_sides(
        cls,
        left: Sequence[int],
        right: Sequence[int],
        collapsed: Sequence[bool] = (),
    ) -> RowLayout:
        """Rows sized to the taller of the two sides' text heights plus padding.

        Args:
            left: Text height of each row's left cell (0 when the side is empty).
            right: Text height of each row's right cell.
            collapsed: True for hidden rows (boilerplate). A run of them shows as one strip:
                the first is :data:`COLLAPSED_HEIGHT` tall, the others have no height.
        """
        heights = []
        for n, (a, b) in enumerate(zip(left, right, strict=True)):
            if n < len(collapsed) and collapsed[n]:
                heights.append(0 if n and collapsed[n - 1] else COLLAPSED_HEIGHT)
            else:
                heights.append(max(MIN_ROW_HEIGHT, max(a, b) + 2 * ROW_PADDING))
        return cls(heights)

    def __len__(self) -> int:
        return len(self.heights)

    def span(self, row: int) -> tuple[int, int]:
        """``(top, bottom)`` of ``row`` in content coordinates."""
        top = self.tops[row]
        return top, top + self.heights[row]

    def row_at(self, y: float) -> int:
        """The row containing content offset ``y`` (clamped to the first/last row), -1 if empty."""
        if not self.tops:
            return -1
        return max(0, min(len(self.tops) - 1, bisect_right(self.tops, y) - 1))

    def rows_between(self, top: float, bottom: float) -> range:
        """Indexes of the rows intersecting the content band ``[top, bottom)``."""
        if not self.tops:
            return range(0)
        first = self.row_at(top)
        last = self.row_at(max(top, bottom - 1))
        return range(first, last + 1)


def sync_point(src: RowLayout, dst: RowLayout, y: float) -> float:
    """Map content offset ``y`` of ``src`` to the matching offset of ``dst``.

    As Meld's ``calc_syncpoint`` does, find the aligned row containing ``y`` and keep the same
    fraction of the way through that row on the other side, so that unequal row heights (or
    different headers folded into the first row) still scroll in step.
    """
    if not len(src) or len(src) != len(dst):
        return y
    row = src.row_at(y)
    top, bottom = src.span(row)
    frac = 0.0 if bottom == top else (y - top) / (bottom - top)
    frac = max(0.0, min(1.0, frac)) if row < len(src) - 1 else max(0.0, frac)
    dtop, dbottom = dst.span(row)
    return dtop + frac * (dbottom - dtop)
