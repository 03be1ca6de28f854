"""The comparison view's colours in one place: row kinds, word edits, bands, marks."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.core.kindcolours import MARK, MOVED_MARK, MOVED_TINT, ROW_TINT
from app.core.model import RowKind

# The kind colours come from the core so reports and the view agree; on a dark base the
# tints are blended more faintly.


def blend(base: QColor, tint: QColor, amount: float) -> QColor:
    """Mix ``tint`` into ``base``; ``amount`` 0 gives ``base``, 1 gives ``tint``."""
    a = max(0.0, min(1.0, amount))
    return QColor(
        round(base.red() + (tint.red() - base.red()) * a),
        round(base.green() + (tint.green() - base.green()) * a),
        round(base.blue() + (tint.blue() - base.blue()) * a),
    )


@dataclass(frozen=True, slots=True)
class ViewColours:
    """Every colour the panes, the link map and the overview ruler paint with."""

    base: QColor
    text: QColor
    dim_text: QColor
    gap: QColor
    gap_hatch: QColor
    separator: QColor
    current: QColor
    header: QColor
    deleted: QColor
    inserted: QColor
    replaced_left: QColor
    replaced_right: QColor
    strike: QColor
    query: QColor
    rows: dict[RowKind, QColor]
    marks: dict[RowKind, QColor]
    moved_row: QColor
    moved_mark: QColor

    def row(self, kind: RowKind, moved: bool = False) -> QColor:
        """Background of a row of ``kind``."""
        return self.moved_row if moved and kind is not RowKind.BOILERPLATE else self.rows[kind]

    def mark(self, kind: RowKind, moved: bool = False) -> QColor:
        """Saturated colour for a row's edge strip, its overview mark and its band outline."""
        return self.moved_mark if moved else self.marks[kind]

    def band(self, kind: RowKind, moved: bool = False) -> QColor:
        """Translucent fill of a link-map band."""
        c = QColor(self.mark(kind, moved))
        c.setAlpha(45 if kind is RowKind.IDENTICAL and not moved else 90)
        return c


def colours(palette: QPalette | None = None) -> ViewColours:
    """The view colours derived from ``palette`` (the application's by default)."""
    pal = palette if palette is not None else QApplication.palette()
    base = pal.color(QPalette.ColorRole.Base)
    text = pal.color(QPalette.ColorRole.Text)
    dark = base.lightness() < 128
    strength = 0.18 if dark else 1.0

    def tint(hex_colour: str, amount: float = 1.0) -> QColor:
        return blend(base, QColor(hex_colour), amount * strength)

    highlight = pal.color(QPalette.ColorRole.Highlight)
    return ViewColours(
        base=base,
        text=text,
        dim_text=blend(text, base, 0.5),
        gap=blend(base, text, 0.035),
        gap_hatch=blend(base, text, 0.09),
        separator=blend(base, text, 0.10),
        current=highlight,
        header=blend(base, pal.color(QPalette.ColorRole.Window), 0.7),
        deleted=tint("#f4b4b0"),
        inserted=tint("#b5e2bd"),
        replaced_left=tint("#f8cfcb"),
        replaced_right=tint("#c9ebcf"),
        strike=QColor("#b03a36") if not dark else QColor("#ff8a84"),
        query=tint("#ffe27a"),
        rows={k: tint(v) for k, v in ROW_TINT.items()},
        marks={k: QColor(v) for k, v in MARK.items()},
        moved_row=tint(MOVED_TINT),
        moved_mark=QColor(MOVED_MARK),
    )
