"""Find and parse the publication dates that article pages state in many formats."""

from __future__ import annotations

import re
from datetime import date

# Month names and abbreviations (English, Russian in both cases, German, French, Spanish),
# written out rather than taken from dateparser: that library costs ~0.5 s to import.
_MONTH_NAMES = [
    "january jan январь января янв januar jänner janvier enero ene",
    "february feb февраль февраля фев февр februar février fevrier febrero",
    "march mar март марта мар märz maerz mars marzo",
    "april apr апрель апреля апр avril abril abr",
    "may май мая mai mayo",
    "june jun июнь июня июн juni juin junio",
    "july jul июль июля июл juli juillet julio",
    "august aug август августа авг août aout agosto ago",
    "september sep sept сентябрь сентября сен сент septembre septiembre setiembre",
    "october oct октябрь октября окт oktober okt octobre octubre",
    "november nov ноябрь ноября ноя нояб novembre noviembre",
    "december dec декабрь декабря дек dezember dez décembre decembre diciembre dic",
]
_MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"

_PATTERNS = [
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)-(?P<mon>[01]?\d)-(?P<day>[0-3]?\d)(?!\d)"),
    re.compile(r"\b" + _MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?,?\s+" + _YEAR + r"\b", re.I),
    # 15 December 2021, 15. Dezember 2021, 1er mars 2021, 15 de diciembre de 2021, 15 декабря 2021
    re.compile(r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?" + _MONTH
               + r",?\s+(?:de\s+)?" + _YEAR + r"\b", re.I),
    re.compile(r"\b(?P<year>(?:19|20)\d\d)/(?P<mon>[01]?\d)/(?P<day>[0-3]?\d)\b"),
    re.compile(r"\b(?P<day>[0-3]?\d)\.(?P<mon>[01]?\d)\.(?P<year>(?:19|20)\d\d)\b"),
    # 2021年12月15日 (Chinese, Japanese)
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)\s*年\s*(?P<mon>[01]?\d)\s*月\s*(?P<day>[0-3]?\d)\s*日"),
    # A line that is only a month and a year (декабрь 2021, December 2021, 2021年12月): the
    # first of the month. Not inside prose, where "in March 2020" dates nothing.
    re.compile(r"^\W*+(?:(?:published|updated|posted|date|опубликовано|обновлено|дата)\W*+)?" + _MONTH
               + r",?\s+(?:de\s+)?" + _YEAR + r"(?:\s*(?:г|года?)\b)?\W*$", re.I),
    re.compile(r"^\W*+(?P<year>(?:19|20)\d\d)\s*年\s*(?P<mon>[01]?\d)\s*月\W*$"),
]
# A date is stated near the start of what is given; a longer text is not searched to its end.
_SEARCH_CHARS = 2000


def find_date(text: str) -> tuple[date, int, int] | None:
    """Return the earliest-placed parseable date in ``text`` with its span, or ``None``."""
    best: tuple[date, int, int] | None = None
    text = text[:_SEARCH_CHARS]
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
        return date(int(groups["year"]), month, int(groups.get("day") or 1))
    except (ValueError, KeyError, TypeError):
        return None
