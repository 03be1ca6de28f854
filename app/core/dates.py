"""Find and parse the publication dates that article pages state in many formats."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

_PATTERNS = [
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<mon>[01]?\d)-(?P<day>[0-3]?\d)(?!\d)"),
    re.compile(_MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+(?P<year>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)/(?P<mon>[01]?\d)/(?P<day>[0-3]?\d)\b"),
    re.compile(r"\b(?P<day>[0-3]?\d)\.(?P<mon>[01]?\d)\.(?P<year>(?:19|20)\d\d)\b"),
]


def find_date(text: str) -> tuple[date, int, int] | None:
    """Return the earliest-placed parseable date in ``text`` with its span, or ``None``."""
    best: tuple[date, int, int] | None = None
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            parsed = _build(m)
            if parsed and (best is None or m.start() < best[1]):
                best = (parsed, m.start(), m.end())
                break
    return best


def parse_date(text: str) -> date | None:
    """Parse a date stated anywhere in ``text`` (ISO timestamps included)."""
    found = find_date(text)
    return found[0] if found else None


def _build(m: re.Match[str]) -> date | None:
    groups = m.groupdict()
    try:
        month = int(groups["mon"]) if groups.get("mon") else _MONTHS[groups["month"].lower().rstrip(".")]
        return date(int(groups["year"]), month, int(groups["day"]))
    except (ValueError, KeyError, TypeError):
        return None
