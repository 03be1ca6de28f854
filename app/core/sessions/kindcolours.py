"""The colours of each row kind, shared by the comparison view, its legend and the reports."""

from __future__ import annotations

from app.core.reading.model import RowKind

ROW_TINT: dict[RowKind, str] = {
    RowKind.IDENTICAL: "#ffffff",
    RowKind.CHANGED: "#e3edfc",
    RowKind.LEFT_ONLY: "#fbe4e3",
    RowKind.RIGHT_ONLY: "#e0f3e3",
    RowKind.BOILERPLATE: "#efefeb",
}
MARK: dict[RowKind, str] = {
    RowKind.IDENTICAL: "#9fb3c8",
    RowKind.CHANGED: "#3f7fd6",
    RowKind.LEFT_ONLY: "#d9534f",
    RowKind.RIGHT_ONLY: "#3a9a50",
    RowKind.BOILERPLATE: "#a9a9a1",
}
# Lighter marks for a dark background: each keeps >= 3:1 against it (WCAG for UI graphics).
MARK_DARK: dict[RowKind, str] = {
    RowKind.IDENTICAL: "#8295aa",
    RowKind.CHANGED: "#5f9cf0",
    RowKind.LEFT_ONLY: "#f06c66",
    RowKind.RIGHT_ONLY: "#4fbf68",
    RowKind.BOILERPLATE: "#a39e8a",
}
MOVED_TINT = "#eee5fb"
MOVED_MARK = "#8a5cc7"
MOVED_MARK_DARK = "#b48cf0"
KIND_LABEL: dict[RowKind, str] = {
    RowKind.IDENTICAL: "identical",
    RowKind.CHANGED: "changed",
    RowKind.LEFT_ONLY: "left only",
    RowKind.RIGHT_ONLY: "right only",
    RowKind.BOILERPLATE: "boilerplate",
}
