"""The comparison view's colours in one place: row kinds, word edits, bands, marks; and the themes."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from app.core.reading.model import Row, RowKind
from app.core.sessions.kindcolours import (
    KIND_LABEL,
    MARK,
    MARK_DARK,
    MOVED_MARK,
    MOVED_MARK_DARK,
    MOVED_TINT,
    ROW_TINT,
)

THEMES = ("system", "light", "dark")
# On a dark base each row is its kind's mark blended into the base: identical rows stay the
# base itself, the others take enough of their hue to be told apart (see the tests).
DARK_ROW_AMOUNT = {RowKind.IDENTICAL: 0.0, RowKind.CHANGED: 0.16, RowKind.LEFT_ONLY: 0.16,
                   RowKind.RIGHT_ONLY: 0.15, RowKind.BOILERPLATE: 0.10}

# The kind colours come from the core so reports and the view agree. On a dark base the row
# tints are blended in more faintly, the marks are lighter, and the word-edit colours are
# dark fills under light text (checked against WCAG AA in the tests).


def blend(base: QColor, tint: QColor, amount: float) -> QColor:
    """Mix ``tint`` into ``base``; ``amount`` 0 gives ``base``, 1 gives ``tint``."""
    a = max(0.0, min(1.0, amount))
    return QColor(
        round(base.red() + (tint.red() - base.red()) * a),
        round(base.green() + (tint.green() - base.green()) * a),
        round(base.blue() + (tint.blue() - base.blue()) * a),
    )


def luminance(colour: QColor) -> float:
    """WCAG relative luminance of ``colour``."""

    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.red()) + 0.7152 * channel(colour.green()) + 0.0722 * channel(colour.blue())


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def row_description(row: Row) -> str:
    """A row's kind in words, for tooltips: "changed, 92 % similar"."""
    text = KIND_LABEL[row.kind]
    if row.kind is RowKind.CHANGED and row.is_match:
        text += f", {row.score:.0f} % similar"
    if row.moved:
        text += ", moved"
    return text


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
    find: QColor
    find_current: QColor
    query_tick: QColor
    rows: dict[RowKind, QColor]
    marks: dict[RowKind, QColor]
    moved_row: QColor
    moved_mark: QColor
    dark: bool = False

    def row(self, kind: RowKind, moved: bool = False) -> QColor:
        """Background of a row of ``kind``."""
        return self.moved_row if moved and kind is not RowKind.BOILERPLATE else self.rows[kind]

    def mark(self, kind: RowKind, moved: bool = False) -> QColor:
        """Saturated colour for a row's edge strip, its overview mark and its band outline."""
        return self.moved_mark if moved else self.marks[kind]

    def band(self, kind: RowKind, moved: bool = False) -> QColor:
        """Translucent fill of a link-map band."""
        c = QColor(self.mark(kind, moved))
        c.setAlpha(80 if kind is RowKind.IDENTICAL and not moved else 150)
        return c


def colours(palette: QPalette | None = None) -> ViewColours:
    """The view colours derived from ``palette`` (the application's by default)."""
    pal = palette if palette is not None else QApplication.palette()
    base = pal.color(QPalette.ColorRole.Base)
    text = pal.color(QPalette.ColorRole.Text)
    dark = base.lightness() < 128
    strength = 0.22 if dark else 1.0

    def tint(hex_colour: str, amount: float = 1.0) -> QColor:
        return blend(base, QColor(hex_colour), amount * strength)

    highlight = pal.color(QPalette.ColorRole.Highlight)
    if dark:
        # Dark fills under the light text: each stays >= 4.5:1 against the text and is lighter
        # than the row behind it, so edits read at a glance.
        words = {"deleted": "#7a2d2b", "inserted": "#235c31", "replaced_left": "#6a3431",
                 "replaced_right": "#2d5a37", "query": "#6b5a12", "find": "#1f4f7a", "find_current": "#275d94"}
        word = {k: QColor(v) for k, v in words.items()}
        marks = {k: QColor(v) for k, v in MARK_DARK.items()}
        moved_mark = QColor(MOVED_MARK_DARK)
    else:
        word = {"deleted": tint("#f4b4b0"), "inserted": tint("#b5e2bd"), "replaced_left": tint("#f8cfcb"),
                "replaced_right": tint("#c9ebcf"), "query": tint("#ffe27a"), "find": QColor("#ffb65c"),
                "find_current": QColor("#ff8c1a")}
        marks = {k: QColor(v) for k, v in MARK.items()}
        moved_mark = QColor(MOVED_MARK)
    return ViewColours(
        base=base,
        text=text,
        dim_text=blend(text, base, 0.42 if dark else 0.5),
        gap=blend(base, text, 0.035),
        gap_hatch=blend(base, text, 0.09),
        separator=blend(base, text, 0.14 if dark else 0.10),
        current=highlight if not dark else QColor("#5aa0ff"),
        header=blend(base, pal.color(QPalette.ColorRole.Window), 0.7),
        strike=QColor("#b03a36") if not dark else QColor("#ff9d97"),
        rows=({k: blend(base, QColor(v), DARK_ROW_AMOUNT[k]) for k, v in MARK_DARK.items()} if dark
              else {k: tint(v) for k, v in ROW_TINT.items()}),
        marks=marks,
        moved_row=blend(base, moved_mark, 0.17) if dark else tint(MOVED_TINT),
        moved_mark=moved_mark,
        query_tick=QColor("#e0b400") if not dark else QColor("#f2cc4d"),
        dark=dark,
        **word,
    )


def dark_palette() -> QPalette:
    """A dark application palette (used with the Fusion style, which honours it everywhere)."""
    pal = QPalette()
    window, base, text = QColor("#2b2d30"), QColor("#1e1f22"), QColor("#e8e8e8")
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base),
        (QPalette.ColorRole.AlternateBase, QColor("#26282b")),
        (QPalette.ColorRole.ToolTipBase, QColor("#3c3f41")),
        (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, QColor("#8c8c8c")),
        (QPalette.ColorRole.Text, text),
        (QPalette.ColorRole.Button, QColor("#35373b")),
        (QPalette.ColorRole.ButtonText, text),
        (QPalette.ColorRole.BrightText, QColor("#ff6b68")),
        (QPalette.ColorRole.Highlight, QColor("#2f65ca")),
        (QPalette.ColorRole.HighlightedText, QColor("#ffffff")),
        (QPalette.ColorRole.Link, QColor("#6ea8ff")),
        (QPalette.ColorRole.Light, QColor("#45474b")),
        (QPalette.ColorRole.Midlight, QColor("#3a3c40")),
        (QPalette.ColorRole.Mid, QColor("#303236")),
        (QPalette.ColorRole.Dark, QColor("#18191b")),
        (QPalette.ColorRole.Shadow, QColor("#0d0d0e")),
    ):
        pal.setColor(role, colour)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return pal


def light_palette() -> QPalette:
    """A light application palette: Fusion's own."""
    style = QStyleFactory.create("Fusion")
    return style.standardPalette() if style is not None else QPalette()


_system_palette: QPalette | None = None


def system_is_dark() -> bool:
    """Whether the desktop asks for a dark colour scheme (Qt 6.5+), else whether its palette is dark."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if callable(scheme):
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    pal = _system_palette or QApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def apply_theme(theme: str, app: QApplication | None = None) -> str:
    """Apply ``"light"``, ``"dark"`` or ``"system"`` to the application; returns the one applied.

    Light and Dark use the Fusion style with a fixed palette, so they look the same on every
    desktop; System keeps the desktop's own palette, going dark when the desktop is dark.
    """
    global _system_palette
    if app is None:
        running = QApplication.instance()
        app = running if isinstance(running, QApplication) else None  # a widget application's
    theme = theme if theme in THEMES else "system"
    if app is None:
        return theme
    if _system_palette is None:
        _system_palette = QPalette(app.palette())
    if theme == "system":
        effective = "dark" if system_is_dark() and _system_palette.color(
            QPalette.ColorRole.Window).lightness() >= 128 else None
        app.setPalette(dark_palette() if effective == "dark" else _system_palette)
        if effective == "dark":
            app.setStyle("Fusion")
    else:
        app.setStyle("Fusion")
        app.setPalette(dark_palette() if theme == "dark" else light_palette())
    # The stylesheet's palette(...) colours are resolved when it is set: set it again.
    app.setStyleSheet(app.styleSheet())
    return theme

