"""The Help menu's pages: About, Keyboard Shortcuts (built from the actions) and Query Syntax."""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence

from app.core.versions import component_versions

# Gestures no action carries, listed with the actions' shortcuts.
EXTRA_SHORTCUTS = (
    ("Find in the comparison (a pane has focus)", "Ctrl+F, then Enter / F3"),
    ("Open on the right", "Ctrl+double-click"),
    ("Open in a new tab", "Middle-click, Ctrl+click"),
    ("Show or hide the search preview (the results have focus)", "Space"),
)

QUERY_EXAMPLES = (
    ("alliance", "articles containing the word (any form: alliances, allied…)"),
    ('"Shanghai Cooperation"', "the exact phrase"),
    ("Taiwan AND NOT China", "AND, OR, NOT and parentheses combine terms"),
    ("allince~", "fuzzy: words within one edit"),
    ("pipe*", "prefix: words starting with pipe"),
    ("title:Putin", "one field: title, body, source, author, date, id, chrome"),
    ("date:>2024-01-01", "dates compare with > < >= <="),
)

QUERY_SYNTAX_HTML = (
    "<p>Type in the search field (Ctrl+K). Words are matched in titles and bodies; titles count double.</p>"
    "<table cellspacing=4>"
    + "".join(f"<tr><td><code>{html.escape(q)}</code></td><td>{html.escape(d)}</td></tr>" for q, d in QUERY_EXAMPLES)
    + "</table>"
)


def about_html() -> str:
    """The Help > About text: what Parallax is and the versions it runs on."""
    versions = component_versions(qt_version=qVersion(), pyside_version=pyside_version)
    details = "<br>".join(f"{html.escape(k)} {html.escape(v)}" for k, v in versions.items())
    return (f"<b>Parallax {html.escape(versions['Parallax'])}</b><br>Search a folder of articles "
            f"and compare republished texts side by side. Works offline.<br><br><small>{details}</small>")


def shortcuts_html(actions: Iterable[QAction]) -> str:
    """The Help > Keyboard Shortcuts page: every action with a shortcut, once, and the gestures."""
    rows = []
    seen = set()
    for action in actions:
        keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
        name = action.text().replace("&", "").rstrip("…")
        if keys and name not in seen:
            seen.add(name)
            rows.append(f"<tr><td>{html.escape(name)}</td><td><b>{html.escape(keys)}</b></td></tr>")
    rows += [f"<tr><td>{html.escape(a)}</td><td><b>{html.escape(b)}</b></td></tr>" for a, b in EXTRA_SHORTCUTS]
    return "<table cellspacing=4>" + "".join(sorted(rows)) + "</table>"
