"""Row geometry shared by both panes: each row is as tall as its taller side, so rows line up."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

ROW_PADDING = 13  # vertical padding above and below a row's text
COLLAPSED_HEIGHT = 7  # a hidden boilerplate row stays visible as a thin strip
MIN_ROW_HEIGHT = 28


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
            collapsed: True for rows shown as a thin strip (hidden boilerplate).
        """
        heights = []
        for n, (a, b) in enumerate(zip(left, right, strict=True)):
            if n < len(collapsed) and collapsed[n]:
                heights.append(COLLAPSED_HEIGHT)
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
