"""The colours of each row kind, shared by the comparison view and the reports (light theme)."""

from __future__ import annotations

from app.core.model import RowKind

ROW_TINT: dict[RowKind, str] = {
    RowKind.IDENTICAL: "#ffffff",
    RowKind.CHANGED: "#e9f1fc",
    RowKind.LEFT_ONLY: "#fcebea",
    RowKind.RIGHT_ONLY: "#e7f5e9",
    RowKind.BOILERPLATE: "#f1f1ee",
}
MARK: dict[RowKind, str] = {
    RowKind.IDENTICAL: "#9fb3c8",
    RowKind.CHANGED: "#4a86d6",
    RowKind.LEFT_ONLY: "#d9534f",
    RowKind.RIGHT_ONLY: "#3f9c55",
    RowKind.BOILERPLATE: "#b9b9b2",
}
MOVED_TINT = "#f1eafb"
MOVED_MARK = "#8a5cc7"
