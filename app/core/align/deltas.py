"""Critical deltas: the changes inside matched paragraphs that alter what a text says.

For each ``changed`` row of an :class:`~app.core.reading.model.Alignment` the two sides are read as
tokens and sentences, and compared by what they carry rather than word by word:

- numbers and quantities (digits in any grouping, written-out numbers, scales, percentages,
  currencies, "dozens" / "hundreds"), compared by value, so "1,000" and "1000" are equal;
- dates and times (month and day, year, weekday, clock time, "last week");
- names (capitalised spans, known names), present or absent on the other side, so a
  reordered list of names is no change;
- quotations whose words changed, or whose speaker changed or was lost;
- attribution and reporting verbs, compared by class ("said" and "told" are both neutral,
  "claimed" is a claim, "reportedly" hearsay);
- negation (a negator added or removed) and hedging (a hedge or modal added or removed);
- whole sentences dropped or added inside the row, weighed by what they carry.

The word lists come from :mod:`app.core.align.deltarules`. Every regular expression here is linear:
no nested quantifier repeats over characters its neighbours can also match, and each side of a
row is cut to :data:`MAX_CHARS` before it is read.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, cast

from rapidfuzz import fuzz

from app.core.align.deltarules import Rules, default_rules
from app.core.align.wordops import levenshtein_opcodes
from app.core.reading.model import Alignment, Article, Paragraph, Row, RowKind

MAX_CHARS = 40_000  # of one side of a row; text past it is not searched for deltas


class DeltaKind(StrEnum):
    """What kind of meaning a delta changes (the panel, the reports and the JSON use these names)."""

    NUMBER = "number"
    DATE = "date"
    NAME = "name"
    QUOTE = "quote"
    ATTRIBUTION = "attribution"
    NEGATION = "negation"
    HEDGING = "hedging"
    SENTENCE = "sentence"


KIND_TITLE = {
    DeltaKind.NUMBER: "Number",
    DeltaKind.DATE: "Date",
    DeltaKind.NAME: "Name",
    DeltaKind.QUOTE: "Quote",
    DeltaKind.ATTRIBUTION: "Attribution",
    DeltaKind.NEGATION: "Negation",
    DeltaKind.HEDGING: "Hedging",
    DeltaKind.SENTENCE: "Sentence",
}

KIND_HELP = {
    DeltaKind.NUMBER: "a number or quantity changed, added or dropped (12 billion → 15 billion, "
                      "dozens → hundreds, percentages, currencies, written-out numbers)",
    DeltaKind.DATE: "a date or time changed, added or dropped (July 4 → July 5, last week → this week)",
    DeltaKind.NAME: "a person, place or organisation named on one side only",
    DeltaKind.QUOTE: "a quotation whose words changed, that lost or changed its attribution, "
                     "or that is no longer quoted",
    DeltaKind.ATTRIBUTION: "a reporting verb of another class (said → claimed, admitted, insisted; "
                           "according to → reportedly), or one added or dropped",
    DeltaKind.NEGATION: "a negation added or removed (will → will not)",
    DeltaKind.HEDGING: "a hedge or modal added or removed (is → may be, an added allegedly or so-called)",
    DeltaKind.SENTENCE: "a whole sentence dropped or added inside a matched paragraph, "
                        "ranked by what it carries (length, names, numbers)",
}

Span = tuple[int, int, int]  # (paragraph index, start, end) in that paragraph's display text


@dataclass(frozen=True, slots=True)
class Delta:
    """One critical change in a row.

    Attributes:
        kind: What it changes.
        row: Index of the row in ``Alignment.rows``.
        left: Where it is on the left (empty when it was added).
        right: Where it is on the right (empty when it was dropped).
        before: The left text ("" when added).
        after: The right text ("" when dropped).
        note: ``changed``, ``added``, ``dropped`` or a phrase for quotes
            (``lost its attribution``, ``attribution changed``, ``no longer quoted``...).
        weight: How much it carries (sentences: words, plus names and numbers); for ranking.
    """

    kind: DeltaKind
    row: int
    left: tuple[Span, ...] = ()
    right: tuple[Span, ...] = ()
    before: str = ""
    after: str = ""
    note: str = "changed"
    weight: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax compare --json``."""
        return {
            "kind": str(self.kind),
            "row": self.row,
            "note": self.note,
            "left": [list(s) for s in self.left],
            "right": [list(s) for s in self.right],
            "before": self.before,
            "after": self.after,
            "weight": round(self.weight, 1),
        }

    def describe(self) -> str:
        """One line: ``Number changed: 12 billion → 15 billion``."""
        head = f"{KIND_TITLE[self.kind]} {self.note}"
        if self.before and self.after:
            return f"{head}: {self.before} → {self.after}"
        return f"{head}: {self.before or self.after}"


# --------------------------------------------------------------------------- tokens

# Numbers (digits with inner separators), words (inner apostrophes and hyphens), or one other
# character. Each repeated group starts with a separator the group before cannot match: linear.
_TOKEN_RE = re.compile(r"\d+(?:[.,:]\d+)*|\w+(?:['\u2019\-]\w+)*|[^\w\s]")
_ORDINAL = frozenset({"st", "nd", "rd", "th", "го", "е", "я"})
_OPEN_QUOTES = {"\u201c": "\u201d", "\u00ab": "\u00bb", "\u201e": "\u201c", "\u2018": "\u2019", '"': '"'}
_ALL_QUOTES = frozenset("\u201c\u201d\u00ab\u00bb\u201e\u2018\u2019\u201f\"")
_SENTENCE_END = frozenset(".!?\u2026")
_CURRENCY_SYMBOLS = frozenset("$€£₽¥")
_CONNECTORS = frozenset({"of", "de", "la", "von", "van", "der", "al", "bin", "ibn", "del", "da", "di", "du", "le"})
_DETERMINERS = frozenset({"a", "an", "the", "his", "her", "their", "its", "our"})
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")
_LATIN_RE = re.compile("[A-Za-z]")
_YEAR_LEAD = frozenset({"in", "since", "by", "until", "till", "from", "between", "before", "after", "of",
                        "during", "early", "late", "mid", "throughout", "year", "в", "с", "до", "к", "от"})
_YEAR_STRONG = frozenset({"in", "since", "until", "till", "during", "throughout", "early", "late", "mid", "в", "с",
                          "до"})
_YEAR_RANGE = frozenset({"and", "to", "through", "-", "\u2013", "\u2014", "/", "и", "по"})
_YEAR_NEXT = frozenset({"and", "to", "when", "after", "before", "as", "but", "the", "a", "for", "until", "by",
                        "in", "on", "at", "with", "while", "that", "which", "или", "и", "по", "г"})
_YEAR_TAIL = frozenset({"year", "season", "election", "elections", "census", "olympics", "budget"})
_TIME_SUFFIX_RE = re.compile(r"\s?(a\.m\.|p\.m\.|am\b|pm\b|gmt\b|utc\b|bst\b|cet\b|msk\b|мск\b)", re.IGNORECASE)


@dataclass(slots=True)
class _Tok:
    text: str
    low: str
    pid: int
    start: int
    end: int
    kind: str  # "num", "word" or "sym"
    sent: int = 0
    quoted: bool = False
    used: bool = False  # taken by a date or number expression


@dataclass(slots=True)
class _Item:
    kind: DeltaKind
    key: object
    lo: int  # token range [lo, hi)
    hi: int


@dataclass(slots=True)
class _Quote:
    lo: int  # first token inside
    hi: int  # after the last token inside
    words: tuple[str, ...]
    speaker: frozenset[str] = frozenset()
    attribution: tuple[int, int] | None = None  # token range of "speaker verb"


@dataclass(slots=True)
class _Side:
    toks: list[_Tok]
    cyrillic: bool
    sentences: list[tuple[int, int]] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)
    quotes: list[_Quote] = field(default_factory=list)
    vocab: frozenset[str] = frozenset()

    def text(self, lo: int, hi: int) -> str:
        """The original text of tokens ``lo:hi`` (within one paragraph; across, joined by spaces)."""
        if lo >= hi:
            return ""
        out, run = [], [self.toks[lo]]
        for t in self.toks[lo + 1:hi]:
            if t.pid != run[-1].pid:
                out.append(run)
                run = []
            run.append(t)
        out.append(run)
        return " … ".join(self._para_text(r) for r in out)

    def _para_text(self, run: list[_Tok]) -> str:
        return self._texts[run[0].pid][run[0].start:run[-1].end]

    def spans(self, lo: int, hi: int) -> tuple[Span, ...]:
        """Character spans of tokens ``lo:hi``, one per paragraph."""
        out: list[Span] = []
        for t in self.toks[lo:hi]:
            if out and out[-1][0] == t.pid:
                out[-1] = (t.pid, out[-1][1], t.end)
            else:
                out.append((t.pid, t.start, t.end))
        return tuple(out)

    _texts: dict[int, str] = field(default_factory=dict)


def _low(text: str) -> str:
    return text.casefold().replace("\u2019", "'")


def _tokenise(paragraphs: Sequence[Paragraph]) -> _Side:
    toks: list[_Tok] = []
    texts: dict[int, str] = {}
    budget = MAX_CHARS
    cyr = lat = 0
    for p in paragraphs:
        text = p.text[:max(0, budget)]
        budget -= len(text)
        texts[p.index] = p.text
        for m in _TOKEN_RE.finditer(text):
            s = m.group()
            c = s[0]
            kind = "num" if c.isdigit() else "word" if c.isalnum() or c == "_" else "sym"
            toks.append(_Tok(s, _low(s), p.index, m.start(), m.end(), kind))
        head = text[:2000]
        cyr += len(_CYRILLIC_RE.findall(head))
        lat += len(_LATIN_RE.findall(head))
    side = _Side(toks, cyr > lat)
    side._texts = texts
    return side


def _sentences(side: _Side, rules: Rules) -> None:
    """Split tokens into sentences (never across paragraphs) and number them."""
    toks = side.toks
    sents: list[tuple[int, int]] = []
    start = 0
    n = len(toks)
    for i, t in enumerate(toks):
        last = i + 1 == n or toks[i + 1].pid != t.pid
        end_here = last
        if not last and t.kind == "sym" and t.text in _SENTENCE_END:
            j = i + 1
            while j < n and toks[j].pid == t.pid and (toks[j].text in _ALL_QUOTES or toks[j].text in ")]"):
                j += 1
            nxt = toks[j] if j < n and toks[j].pid == t.pid else None
            prev = toks[i - 1] if i > start else None
            abbrev = t.text == "." and prev is not None and prev.kind == "word" and (
                prev.low in rules.abbreviations or (len(prev.text) == 1 and prev.text.isupper()))
            if nxt is None:
                end_here = False  # the closers up to the paragraph end belong to this sentence
            elif j > i + 1 and not abbrev:
                # '."' then anything: the quote closes with the sentence.
                end_here = nxt.text[:1].isupper() or nxt.kind == "num" or nxt.text in _ALL_QUOTES
                if end_here:
                    sents.append((start, j))
                    start = j
                    continue
            else:
                end_here = not abbrev and (nxt.text[:1].isupper() or nxt.kind == "num"
                                           or nxt.text in _OPEN_QUOTES or nxt.text in "\u2014-")
        if end_here and i + 1 > start:
            sents.append((start, i + 1))
            start = i + 1
    if start < n:
        sents.append((start, n))
    for k, (lo, hi) in enumerate(sents):
        for t in toks[lo:hi]:
            t.sent = k
    side.sentences = sents


def _quotes(side: _Side) -> None:
    """Find quotations (an opening mark to its closing mark within a paragraph)."""
    toks = side.toks
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        closer = _OPEN_QUOTES.get(t.text) if t.kind == "sym" else None
        if closer is None or (t.text == "\u2018" and (i + 1 >= n or toks[i + 1].kind == "sym")):
            i += 1
            continue
        j = i + 1
        while j < n and toks[j].pid == t.pid and not (toks[j].text == closer or (
                t.text == '"' and toks[j].text == "\u201d") or (t.text == "\u201c" and toks[j].text == '"')):
            j += 1
        if j >= n or toks[j].pid != t.pid:
            i += 1
            continue
        words = tuple(w for x in toks[i + 1:j] if x.kind != "sym" for w in _uncontracted(x.low))
        for x in toks[i + 1:j]:
            x.quoted = True
        hi = j
        while hi > i + 1 and toks[hi - 1].kind == "sym":  # the comma before a closing mark
            hi -= 1
        if len(words) >= 3:
            side.quotes.append(_Quote(i + 1, hi, words))
        i = j + 1


# --------------------------------------------------------------------------- items


def _parse_number(text: str, cyrillic: bool) -> float | None:
    """Value of a digit token: ``1,000`` / ``1.000`` grouping or a decimal comma or point."""
    if ":" in text:
        return None
    commas, dots = text.count(","), text.count(".")
    groups = re.split(r"[.,]", text)
    grouped = len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and len(groups[0]) <= 3
    if commas and dots:  # 1,234.5 or 1.234,5: the last separator is the decimal one
        dec = "." if text.rfind(".") > text.rfind(",") else ","
        whole, _, frac = text.rpartition(dec)
        text = whole.replace("," if dec == "." else ".", "") + "." + frac
    elif commas:
        text = text.replace(",", "") if grouped and not (cyrillic and commas == 1) else text.replace(",", ".")
        if text.count(".") > 1:
            return None
    elif dots > 1:
        if not grouped:
            return None
        text = text.replace(".", "")
    try:
        return float(text)
    except ValueError:
        return None


def _fmt(value: float) -> str:
    return f"{value:.6g}"


class _Reader:
    """Finds dates, numbers, names, attributions, negators and hedges in one side's tokens."""

    def __init__(self, side: _Side, rules: Rules) -> None:
        self.side = side
        self.rules = rules
        self.toks = side.toks
        self.lows = [t.low for t in side.toks]

    def read(self, pair_lower: frozenset[str]) -> None:
        """Fill ``side.items`` (dates and numbers first: they claim their tokens)."""
        self._dates()
        self._numbers()
        self._names(pair_lower)
        self._marks()

    # --- dates

    def _capital_ok(self, t: _Tok) -> bool:
        """English month and weekday names count only capitalised ("march" is a verb)."""
        return not t.text.isascii() or t.text[:1].isupper()

    def _day(self, i: int) -> tuple[int, int] | None:
        """A day of the month at ``i``: (day, tokens taken incl. an ordinal suffix)."""
        if i >= len(self.toks) or self.toks[i].kind != "num" or not self.toks[i].text.isdigit():
            return None
        d = int(self.toks[i].text)
        if not 1 <= d <= 31:
            return None
        take = 1
        if i + 1 < len(self.toks) and self.lows[i + 1] in _ORDINAL and self.toks[i + 1].start == self.toks[i].end:
            take = 2
        return d, take

    def _year(self, i: int) -> int | None:
        if i < len(self.toks) and self.toks[i].kind == "num" and len(self.toks[i].text) == 4 \
                and self.toks[i].text.isdigit():
            y = int(self.toks[i].text)
            if 1800 <= y <= 2100:
                return y
        return None

    def _month(self, i: int) -> int | None:
        if i >= len(self.toks) or self.toks[i].kind != "word" or self.toks[i].used:
            return None
        hit = self.rules.months.match(self.lows, i)
        if hit is None or hit[0] != 1 or not self._capital_ok(self.toks[i]):
            return None
        if self.lows[i] == "may":  # the month: capitalised inside a sentence, or beside a day or a year
            near = self._day(i + 1) or self._year(i + 1) or (i > 0 and self._day(i - 1))
            first = i == 0 or self.toks[i - 1].sent != self.toks[i].sent or self.toks[i - 1].text in _OPEN_QUOTES
            if not near and (first or not self.toks[i].text[0].isupper()):
                return None
        return hit[1]

    def _take(self, kind: DeltaKind, key: object, lo: int, hi: int) -> None:
        for t in self.toks[lo:hi]:
            t.used = True
        self.side.items.append(_Item(kind, key, lo, hi))

    def _dates(self) -> None:
        toks, n = self.toks, len(self.toks)
        i = 0
        while i < n:
            if toks[i].used:
                i += 1
                continue
            hit = self.rules.relative.match(self.lows, i)
            if hit is not None:
                self._take(DeltaKind.DATE, "rel:" + hit[1], i, i + hit[0])
                i += hit[0]
                continue
            month = self._month(i)
            if month is not None:
                j, parts = i + 1, [f"m{month}"]
                day = self._day(j)
                if day:
                    parts.append(f"d{day[0]}")
                    j += day[1]
                if j < n and toks[j].text == "," and self._year(j + 1):
                    j += 1
                year = self._year(j)
                if year:
                    parts.append(f"y{year}")
                    j += 1
                self._take(DeltaKind.DATE, "-".join(parts), i, j)
                i = j
                continue
            day = self._day(i)
            if day and self._month(i + day[1]) is not None:
                j = i + day[1]
                month = self._month(j)
                parts = [f"m{month}", f"d{day[0]}"]
                j += 1
                if j < n and toks[j].text == ",":
                    j += 1 if self._year(j + 1) else 0
                year = self._year(j)
                if year:
                    parts.append(f"y{year}")
                    j += 1
                self._take(DeltaKind.DATE, "-".join(parts), i, j)
                i = j
                continue
            if toks[i].kind == "word" and self._capital_ok(toks[i]):
                wd = self.rules.weekdays.match(self.lows, i)
                if wd is not None and wd[0] == 1:
                    self._take(DeltaKind.DATE, f"wd{wd[1]}", i, i + 1)
                    i += 1
                    continue
            clock = self._clock(i)
            if clock is not None:
                key, j = clock
                self._take(DeltaKind.DATE, key, i, j)
                i = j
                continue
            year = self._year(i)
            if year and self._year_context(i):
                self._take(DeltaKind.DATE, f"y{year}", i, i + 1)
            i += 1

    def _clock(self, i: int) -> tuple[str, int] | None:
        t = self.toks[i]
        if t.kind != "num":
            return None
        text = self.side._texts[t.pid]
        m = _TIME_SUFFIX_RE.match(text, t.end, min(len(text), t.end + 8))
        hm = t.text.split(":") if ":" in t.text else [t.text.split(".")[0], t.text.split(".")[1]] \
            if t.text.count(".") == 1 and m else [t.text]
        if len(hm) > 2 or not all(x.isdigit() for x in hm):
            return None
        h, mins = int(hm[0]), int(hm[1]) if len(hm) == 2 else 0
        if len(hm) == 2 and (len(hm[1]) != 2 or h > 24 or mins > 59):
            return None
        if m is None and len(hm) == 1:
            return None
        if m is not None:
            suffix = m.group(1).casefold()
            if suffix.startswith("p") and h < 12:
                h += 12
            elif suffix.startswith("a") and h == 12:
                h = 0
            j = i + 1
            while j < len(self.toks) and self.toks[j].pid == t.pid and self.toks[j].start < m.end():
                j += 1
        else:
            j = i + 1
        return f"t{h:02d}:{mins:02d}", j

    def _year_context(self, i: int) -> bool:
        """A bare four-digit number is a year after "in", "since", "by"... or before "year"."""
        if self._quantity_follows(i + 1) or (i > 0 and self.toks[i - 1].text in _CURRENCY_SYMBOLS):
            return False
        before = self.lows[i - 1] if i > 0 else ""
        nxt = self.toks[i + 1] if i + 1 < len(self.toks) else None
        after = nxt.low if nxt is not None else ""
        if after in _YEAR_TAIL or after.startswith("год"):
            return True
        if before in _YEAR_STRONG:
            return True  # "stolen in 1991 had been found"
        if nxt is not None and nxt.kind == "word" and nxt.text[:1].islower() and after not in _YEAR_NEXT:
            return False  # "and 2000 pupils": a count
        if before in _YEAR_LEAD:
            return True
        # The second year of a range: 2015 and 2019, 2015-2019, from 2015 to 2019.
        return before in _YEAR_RANGE and any(self._year(k) for k in range(max(0, i - 4), i - 1))

    def _quantity_follows(self, i: int) -> bool:
        if i >= len(self.toks):
            return False
        return self.rules.scales.match(self.lows, i) is not None or self.rules.units.match(self.lows, i) is not None

    # --- numbers

    def _written(self, i: int) -> tuple[float, int] | None:
        """A run of number words at ``i`` ("twenty-five", "three hundred", "a dozen"): value, tokens."""
        total, current, j, seen = 0.0, 0.0, i, False
        n = len(self.toks)
        while j < n and self.toks[j].kind == "word" and not self.toks[j].used:
            parts = self.lows[j].split("-")
            values = [self.rules.numbers.match([p], 0) for p in parts]
            lead = 0
            while lead < len(values) and values[lead] is not None:
                lead += 1
            if lead == len(values) or (lead and not seen):  # "twenty-five", or "six-year-old"
                current += sum(v[1] for v in values[:lead] if v is not None)
                seen = True
                j += 1
                if lead < len(values):
                    break
            elif seen and len(parts) == 1 and (scaled := self.rules.scales.match(self.lows, j)) is not None:
                scale = scaled[1]
                if scale >= 1000:
                    total += (current or 1) * scale
                    current = 0.0
                else:
                    current = (current or 1) * scale
                j += 1
            elif seen and self.lows[j] == "and" and j + 1 < n and self.rules.numbers.match(self.lows, j + 1):
                j += 1
            else:
                break
        if not seen:
            led = self.rules.number_lead.match(self.lows, i) if i < n and self.toks[i].kind == "word" else None
            if led is not None and i + 1 < n:
                after = self.rules.scales.match(self.lows, i + 1) or (
                    self.rules.numbers.match(self.lows, i + 1) if self.lows[i + 1] == "dozen" else None)
                if after is not None:
                    return led[1] * after[1], 2
            return None
        return total + current, j - i

    def _numbers(self) -> None:
        toks, n, rules = self.toks, len(self.toks), self.rules
        i = 0
        while i < n:
            t = toks[i]
            if t.used:
                i += 1
                continue
            vague = rules.vague.match(self.lows, i) if t.kind == "word" else None
            if vague is not None:
                self._take(DeltaKind.NUMBER, "~" + vague[1], i, i + vague[0])
                i += vague[0]
                continue
            lo, unit = i, ""
            if t.kind == "sym" and t.text in _CURRENCY_SYMBOLS and i + 1 < n and toks[i + 1].kind in ("num", "word"):
                currency = rules.units.match(self.lows, i)
                unit = currency[1] if currency else t.text
                i += 1
                t = toks[i]
            value: float | None = None
            if t.kind == "num" and not t.used:
                value = _parse_number(t.text, self.side.cyrillic)
                j = i + 1
                if self.side.cyrillic:  # 1 000 000: groups of three after single spaces
                    while (j < n and toks[j].kind == "num" and len(toks[j].text) == 3 and toks[j].text.isdigit()
                           and toks[j].pid == t.pid and toks[j].start - toks[j - 1].end == 1 and value is not None):
                        value = value * 1000 + int(toks[j].text)
                        j += 1
            else:
                w = self._written(i)
                if w is not None:
                    value, j = w[0], i + w[1]
            if value is None:
                i = lo + 1
                continue
            while j < n and toks[j].pid == t.pid:
                scale = rules.scales.match(self.lows, j)
                if scale is None:
                    break
                if len(toks[j].text) == 1 and toks[j].start != toks[j - 1].end:
                    break  # "5 m" is five metres, not five million; "5m" is
                value *= scale[1]
                j += scale[0]
                if j < n and toks[j].text == "." and self.side.cyrillic:
                    j += 1
            if j < n and not unit:
                u = rules.units.match(self.lows, j)
                if u is not None:
                    unit = u[1]
                    j += u[0]
            self._take(DeltaKind.NUMBER, f"{_fmt(value)}|{unit}", lo, j)
            i = j

    # --- names

    def _names(self, pair_lower: frozenset[str]) -> None:
        toks, rules = self.toks, self.rules
        starts = {lo for lo, _ in self.side.sentences}
        # A word right after an opening quote or a colon starts a sentence too.
        for i, t in enumerate(toks):
            if t.kind == "sym" and (t.text in _OPEN_QUOTES or t.text in ":\u2014") and i + 1 < len(toks):
                starts.add(i + 1)
        i, n = 0, len(toks)
        while i < n:
            if not self._capitalised(i):
                i += 1
                continue
            j = i + 1
            while j < n and toks[j].pid == toks[i].pid:
                if self._capitalised(j):
                    j += 1
                elif self.lows[j] in _CONNECTORS and j + 1 < n and self._capitalised(j + 1):
                    j += 2
                else:
                    break
            words = list(range(i, j))
            if i in starts and (toks[i].low in rules.not_names or toks[i].low in pair_lower) \
                    and toks[i].low not in rules.known_names:
                words = words[1:]
            while words and (self.lows[words[0]] in rules.titles or self.lows[words[0]] in rules.not_names
                             or self.lows[words[0]] in _CONNECTORS):
                words = words[1:]
            if words:
                # Titles inside a name do not make it another name (Professor Kevin Mills / Prof Mills).
                key = tuple(_strip_possessive(self.lows[k]) for k in words
                            if self.lows[k] not in _CONNECTORS and self.lows[k] not in rules.titles) \
                    or tuple(_strip_possessive(self.lows[k]) for k in words)
                self.side.items.append(_Item(DeltaKind.NAME, key, words[0], words[-1] + 1))
            i = j

    def _capitalised(self, i: int) -> bool:
        t = self.toks[i]
        return t.kind == "word" and not t.used and t.text[:1].isupper() and t.text[:1].isalpha()

    # --- attribution, negation, hedging

    def _marks(self) -> None:
        rules, toks = self.rules, self.toks
        # A word inside a name is not a verb or a hedge (United States, Will Smith).
        named = {k for it in self.side.items if it.kind is DeltaKind.NAME for k in range(it.lo, it.hi)}
        i, n = 0, len(toks)
        while i < n:
            t = toks[i]
            if t.kind != "word" or t.used or i in named:
                i += 1
                continue
            hit = rules.attribution.match(self.lows, i)
            if hit is not None and not t.quoted:
                self.side.items.append(_Item(DeltaKind.ATTRIBUTION, hit[1], i, i + hit[0]))
                i += hit[0]
                continue
            if rules.negators.match(self.lows, i) is not None:
                self.side.items.append(_Item(DeltaKind.NEGATION, "neg", i, i + 1))
                stem = _uncontracted(t.low)
                if stem != (t.low,) and rules.hedges.match(stem, 0) is not None:  # couldn't
                    self.side.items.append(_Item(DeltaKind.HEDGING, "hedge", i, i + 1))
            elif rules.hedges.match(self.lows, i) is not None:
                h = rules.hedges.match(self.lows, i)
                self.side.items.append(_Item(DeltaKind.HEDGING, "hedge", i, i + h[0]))  # type: ignore[index]
                i += h[0]  # type: ignore[index]
                continue
            i += 1


_CONTRACTED = {"ca": "can", "wo": "will", "sha": "shall", "ai": "is"}


def _uncontracted(word: str) -> tuple[str, ...]:
    """``couldn't`` as ``("could", "not")``; any other word as itself."""
    if word.endswith("n't") and len(word) > 3:
        stem = word[:-3]
        return _CONTRACTED.get(stem, stem), "not"
    if word == "cannot":
        return "can", "not"
    return (word,)


def _strip_possessive(word: str) -> str:
    for suffix in ("'s", "'"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            return word[: -len(suffix)]
    return word


# --------------------------------------------------------------------------- quotes' speakers


def _speakers(side: _Side, rules: Rules) -> None:
    """Attribute each quotation: the reporting item nearest to it in its sentence, and who."""
    toks = side.toks
    attrs = [it for it in side.items if it.kind is DeltaKind.ATTRIBUTION]
    for q in side.quotes:
        first_sent, last_sent = toks[q.lo].sent, toks[q.hi - 1].sent
        near = [a for a in attrs if first_sent <= toks[a.lo].sent <= last_sent
                and (a.hi <= q.lo - 1 or a.lo > q.hi)]
        if not near:
            continue
        a = min(near, key=lambda a: q.lo - a.hi if a.hi <= q.lo else a.lo - q.hi)
        sent_lo, sent_hi = side.sentences[toks[a.lo].sent]
        if a.lo > q.hi:  # after the quote: "…," Putin said / "…," said a Kremlin source
            between = [k for k in range(q.hi + 1, a.lo) if toks[k].kind != "sym"]
            who = between[-4:] if between else _words_until_punct(toks, a.hi, sent_hi, 5)
        else:  # before it: Putin said: "…" / According to Putin, "…"
            if a.hi - a.lo > 1:  # a phrase ("according to"): the source follows it
                who = _words_until_punct(toks, a.hi, q.lo - 1, 5)
            else:
                who = list(reversed(_words_until_punct(toks, a.lo - 1, sent_lo - 1, 5, step=-1)))
        # Who, without titles: "Christine Lagarde told" and "Ms Lagarde said" name the same speaker.
        key = frozenset(_strip_possessive(toks[k].low) for k in who
                        if toks[k].low not in _DETERMINERS and toks[k].low not in rules.titles)
        q.speaker = key
        span = [*who, *range(a.lo, a.hi)]
        q.attribution = (min(span), max(span) + 1)


def _stem(word: str, cyrillic: bool) -> str:
    """Russian inflects names (Путин, Путина, Путину): compare all but the ending."""
    return word[: max(4, len(word) - 2)] if cyrillic and len(word) > 4 else word


def _has(side: _Side, word: str) -> bool:
    if word in side.vocab:
        return True
    if side.cyrillic and len(word) > 4:
        stem = _stem(word, True)
        return any(w.startswith(stem) for w in side.vocab)
    return False


def _name_key(item: _Item) -> tuple[str, ...]:
    """The words of a name item's key."""
    return cast("tuple[str, ...]", item.key)  # a NAME item's key is always its words


def _subsequence(short: tuple[str, ...], long: tuple[str, ...], cyrillic: bool) -> bool:
    """Whether ``short`` is a short form of ``long``: its words in order, ending on the same word
    (Putin / Vladimir Putin; but Japan is not Japan Meteorological Agency). By stem for Russian."""
    if not short or len(short) > len(long) or _stem(short[-1], cyrillic) != _stem(long[-1], cyrillic):
        return False
    it = iter(_stem(w, cyrillic) for w in long)
    return all(any(_stem(w, cyrillic) == x for x in it) for w in short)


def _words_until_punct(toks: list[_Tok], start: int, stop: int, limit: int, step: int = 1) -> list[int]:
    out: list[int] = []
    k = start
    while (k < stop if step > 0 else k > stop) and len(out) < limit:
        if toks[k].kind == "sym" or toks[k].quoted:
            break
        out.append(k)
        k += step
    return out


# --------------------------------------------------------------------------- comparing


class _Map:
    """Word-level opcodes between the kept tokens of the two sides, for locating and pairing.

    Lookups bisect the opcode starts of each side, so locating every item of a long row costs
    O(items log ops), not O(items * ops).
    """

    def __init__(self, left: _Side, right: _Side, lkeep: list[int], rkeep: list[int]) -> None:
        codes: dict[str, str] = {}

        def enc(side: _Side, keep: list[int]) -> str:
            return "".join(codes.setdefault(side.toks[k].low, chr(0x100 + len(codes))) for k in keep)

        self.lkeep, self.rkeep = lkeep, rkeep
        self.lpos = {k: n for n, k in enumerate(lkeep)}
        self.rpos = {k: n for n, k in enumerate(rkeep)}
        self.ops = levenshtein_opcodes(enc(left, lkeep), enc(right, rkeep))
        self._regions: list[tuple[int, int, int, int]] | None = None
        # Per side: the opcodes that cover tokens of that side, by their first position.
        self._starts: list[list[int]] = [[], []]
        self._index: list[list[int]] = [[], []]
        for n, (_tag, i1, i2, j1, j2) in enumerate(self.ops):
            for side, (lo, hi) in enumerate(((i1, i2), (j1, j2))):
                if lo < hi:
                    self._starts[side].append(lo)
                    self._index[side].append(n)

    def _pos(self, side: int, token: int) -> int:
        return (self.lpos if side == 0 else self.rpos).get(token, -1)

    def op_of(self, side: int, token: int) -> int:
        """The opcode holding ``token`` of one side (-1 when the token was not compared)."""
        pos = self._pos(side, token)
        if pos < 0:
            return -1
        k = bisect_right(self._starts[side], pos) - 1
        return self._index[side][k] if k >= 0 else len(self.ops) - 1

    def regions(self) -> list[tuple[int, int, int, int]]:
        """Runs of adjacent non-equal opcodes, as (i1, i2, j1, j2) in kept-token positions."""
        if self._regions is None:
            out: list[tuple[int, int, int, int]] = []
            prev_equal = True
            for tag, i1, i2, j1, j2 in self.ops:
                if tag == "equal":
                    prev_equal = True
                    continue
                if not prev_equal and out:
                    out[-1] = (out[-1][0], i2, out[-1][2], j2)
                else:
                    out.append((i1, i2, j1, j2))
                prev_equal = False
            self._regions = out
        return self._regions

    def region_of(self, side: int, token: int) -> int:
        """The region holding ``token``, -1 when it is in an equal stretch."""
        pos = self._pos(side, token)
        if pos < 0:
            return -1
        regions = self.regions()
        los = [r[0] if side == 0 else r[2] for r in regions]
        k = bisect_right(los, pos) - 1
        while k >= 0:
            i1, i2, j1, j2 = regions[k]
            lo, hi = (i1, i2) if side == 0 else (j1, j2)
            if lo <= pos < hi:
                return k
            if hi <= pos:
                return -1
            k -= 1  # an empty region starting at pos: look at the one before
        return -1

    def across(self, side: int, token: int) -> float:
        """Where ``token`` of one side falls on the other, in kept-token positions."""
        pos = self._pos(side, token)
        if pos < 0:
            return -1.0
        n = self.op_of(side, token)
        if n < 0:
            return float(len(self.rkeep if side == 0 else self.lkeep))
        tag, i1, i2, j1, j2 = self.ops[n]
        lo, olo, ohi = (i1, j1, j2) if side == 0 else (j1, i1, i2)
        if tag == "equal":
            return olo + pos - lo
        return (olo + ohi) / 2


def _pair(removed: list[_Item], added: list[_Item], m: _Map, limit: float = 30.0) -> list[tuple[_Item | None, _Item | None]]:
    """Pair removed left items with added right ones: same opcode first, then nearest."""
    cands = []
    right = [(b, m.op_of(1, b.lo), m.rpos.get(b.lo, 0)) for b in added]
    right.sort(key=lambda r: r[2])
    where = [r[2] for r in right]
    for a in removed:
        oa = m.op_of(0, a.lo)
        xa = m.across(0, a.lo)
        # Only the added items within ``limit`` positions, or in the same opcode, can pair.
        lo = bisect_right(where, xa - limit - 1)
        near = right[lo:bisect_right(where, xa + limit)]
        if oa >= 0:
            near += [r for r in right if r[1] == oa and abs(r[2] - xa) > limit]
        for b, ob, xb in near:
            d = 0.0 if oa == ob and oa >= 0 else abs(xa - xb) + 0.5
            if d <= limit:
                cands.append((d, id(a), id(b), a, b))
    cands.sort(key=lambda c: c[:1])
    done: set[int] = set()
    out: list[tuple[_Item | None, _Item | None]] = []
    for _d, ia, ib, a, b in cands:
        if ia in done or ib in done:
            continue
        done.update((ia, ib))
        out.append((a, b))
    out += [(a, None) for a in removed if id(a) not in done]
    out += [(None, b) for b in added if id(b) not in done]
    out.sort(key=lambda p: (p[0].lo if p[0] else m.across(1, p[1].lo) if p[1] else 0))
    return out


def _surplus(mine: list[_Item], theirs: list[_Item], m: _Map, side: int) -> list[_Item]:
    """Items whose key occurs more often on this side; those inside edited stretches first."""
    need = Counter(i.key for i in mine)
    need.subtract(Counter(i.key for i in theirs))
    out: list[_Item] = []
    for key, count in need.items():
        if count <= 0:
            continue
        group = [i for i in mine if i.key == key]
        group.sort(key=lambda i: (m.op_of(side, i.lo) < 0 or m.ops[m.op_of(side, i.lo)][0] == "equal", -i.lo))
        out += group[:count]
    return sorted(out, key=lambda i: i.lo)


class _RowComparer:
    def __init__(self, row_index: int, left: _Side, right: _Side, rules: Rules) -> None:
        self.row = row_index
        self.sides = (left, right)
        self.rules = rules
        self.out: list[Delta] = []

    def delta(self, kind: DeltaKind, a: tuple[int, int] | None, b: tuple[int, int] | None,
              note: str, weight: float = 1.0, before: str | None = None, after: str | None = None) -> None:
        left, right = self.sides
        self.out.append(Delta(
            kind, self.row,
            left.spans(*a) if a else (), right.spans(*b) if b else (),
            left.text(*a) if before is None and a else before or "",
            right.text(*b) if after is None and b else after or "",
            note, weight))

    def run(self) -> list[Delta]:
        left, right = self.sides
        dropped = self._sentences()
        lkeep = [k for k, t in enumerate(left.toks) if t.sent not in dropped[0]]
        rkeep = [k for k, t in enumerate(right.toks) if t.sent not in dropped[1]]
        m = _Map(left, right, lkeep, rkeep)
        lk, rk = set(lkeep), set(rkeep)
        items = [[i for i in s.items if i.lo in keep] for s, keep in ((left, lk), (right, rk))]
        for kind in (DeltaKind.NUMBER, DeltaKind.DATE, DeltaKind.ATTRIBUTION):
            self._counted(kind, items, m)
        self._names(items, m)
        self._quotes(lk, rk)
        for kind in (DeltaKind.NEGATION, DeltaKind.HEDGING):
            self._polarity(kind, items, m)
        return self.out

    # --- sentences

    def _sentences(self) -> tuple[set[int], set[int]]:
        """Report whole sentences found on one side only; returns their numbers per side."""
        left, right = self.sides
        dropped: tuple[set[int], set[int]] = (set(), set())
        for s, (mine, other) in enumerate(((left, right), (right, left))):
            if len(mine.sentences) < 2 and len(other.sentences) < 2:
                continue
            other_words = " ".join(t.low for t in other.toks if t.kind != "sym")
            other_set = other.vocab
            for n, (lo, hi) in enumerate(mine.sentences):
                words = [t.low for t in mine.toks[lo:hi] if t.kind != "sym"]
                if len(words) < 4:
                    continue
                content = [w for w in words if len(w) > 3]
                present = sum(1 for w in content if w in other_set) / max(1, len(content))
                if present >= 0.5:
                    continue
                if fuzz.partial_ratio(" ".join(words), other_words) >= 70:
                    continue
                dropped[s].add(n)
                carried = [i for i in mine.items if lo <= i.lo < hi]
                weight = len(words) + 4 * sum(1 for i in carried if i.kind in (DeltaKind.NAME, DeltaKind.NUMBER,
                                                                                DeltaKind.DATE)) \
                    + 3 * sum(1 for q in mine.quotes if lo <= q.lo < hi)
                if s == 0:
                    self.delta(DeltaKind.SENTENCE, (lo, hi), None, "dropped", weight)
                else:
                    self.delta(DeltaKind.SENTENCE, None, (lo, hi), "added", weight)
        return dropped

    # --- counted kinds

    def _counted(self, kind: DeltaKind, items: list[list[_Item]], m: _Map) -> None:
        mine = [[i for i in side if i.kind is kind] for side in items]
        removed = _surplus(mine[0], mine[1], m, 0)
        added = _surplus(mine[1], mine[0], m, 1)
        for a, b in _pair(removed, added, m):
            note = "changed" if a and b else "dropped" if a else "added"
            self.delta(kind, (a.lo, a.hi) if a else None, (b.lo, b.hi) if b else None, note)

    def _names(self, items: list[list[_Item]], m: _Map) -> None:
        left, right = self.sides

        names = ([_name_key(i) for i in left.items if i.kind is DeltaKind.NAME],
                 [_name_key(i) for i in right.items if i.kind is DeltaKind.NAME])

        def absent(item: _Item, other: _Side, their_names: list[tuple[str, ...]]) -> bool:
            key = _name_key(item)
            if all(_has(other, w) for w in key):
                return False  # reordered, moved, or no longer capitalised
            # A short or a long form of the same name (Putin / President Vladimir Putin).
            return not any(_subsequence(theirs, key, other.cyrillic) or _subsequence(key, theirs, other.cyrillic)
                           for theirs in their_names)

        removed, added, seen = [], [], set()
        for it in (i for i in items[0] if i.kind is DeltaKind.NAME):
            if absent(it, right, names[1]) and it.key not in seen:
                seen.add(it.key)
                removed.append(it)
        seen = set()
        for it in (i for i in items[1] if i.kind is DeltaKind.NAME):
            if absent(it, left, names[0]) and it.key not in seen:
                seen.add(it.key)
                added.append(it)
        for a, b in _pair(removed, added, m):
            note = "changed" if a and b else "dropped" if a else "added"
            self.delta(DeltaKind.NAME, (a.lo, a.hi) if a else None, (b.lo, b.hi) if b else None, note)

    def _polarity(self, kind: DeltaKind, items: list[list[_Item]], m: _Map) -> None:
        """Negators or hedges: report only a net change, at the edits that make it."""
        lit = [i for i in items[0] if i.kind is kind]
        rit = [i for i in items[1] if i.kind is kind]
        net = len(rit) - len(lit)
        if net == 0:
            return
        regions = m.regions()
        counts: dict[int, list[int]] = {}
        for s, group in ((0, lit), (1, rit)):
            for it in group:
                r = m.region_of(s, it.lo)
                if r >= 0:
                    counts.setdefault(r, [0, 0])[s] += 1
        wanted = abs(net)
        sign = 1 if net > 0 else -1
        for r, (nl, nr) in sorted(counts.items(), key=lambda kv: -sign * (kv[1][1] - kv[1][0])):
            diff = nr - nl
            if wanted <= 0 or diff * sign <= 0:
                continue
            i1, i2, j1, j2 = regions[r]
            # One side empty (will -> will not): show the neighbouring word as well; the word
            # after for hedges and Russian negators, which stand before their verb.
            after = kind is DeltaKind.HEDGING or self.sides[0].cyrillic
            if i1 == i2 or j1 == j2:
                if after and i2 < len(m.lkeep) and j2 < len(m.rkeep):
                    i2, j2 = i2 + 1, j2 + 1
                elif i1 > 0 and j1 > 0:
                    i1, j1 = i1 - 1, j1 - 1
            a = (m.lkeep[i1], m.lkeep[i2 - 1] + 1) if i2 > i1 else None
            b = (m.rkeep[j1], m.rkeep[j2 - 1] + 1) if j2 > j1 else None
            self.delta(kind, a, b, "added" if diff > 0 else "removed", float(abs(diff)))
            wanted -= abs(diff)

    # --- quotes

    def _quotes(self, lk: set[int], rk: set[int]) -> None:
        left, right = self.sides
        lq = [q for q in left.quotes if q.lo in lk]
        rq = [q for q in right.quotes if q.lo in rk]
        pairs: list[tuple[float, int, int]] = []
        for a, qa in enumerate(lq):
            for b, qb in enumerate(rq):
                score = fuzz.ratio(" ".join(qa.words), " ".join(qb.words))
                if score >= 55:
                    pairs.append((score, a, b))
        pairs.sort(reverse=True)
        used_l: set[int] = set()
        used_r: set[int] = set()
        for _score, a, b in pairs:
            if a in used_l or b in used_r:
                continue
            used_l.add(a)
            used_r.add(b)
            qa, qb = lq[a], rq[b]
            if qa.words != qb.words:
                self.delta(DeltaKind.QUOTE, (qa.lo, qa.hi), (qb.lo, qb.hi), "words changed", 2.0)
            sa, sb = qa.speaker, qb.speaker
            if sa and not sb:
                self.delta(DeltaKind.QUOTE, qa.attribution, (qb.lo, qb.hi), "lost its attribution", 3.0,
                           after="(no attribution)")
            elif sb and not sa:
                self.delta(DeltaKind.QUOTE, (qa.lo, qa.hi), qb.attribution, "gained an attribution", 2.0,
                           before="(no attribution)")
            elif sa and sb and not (sa <= sb or sb <= sa):
                self.delta(DeltaKind.QUOTE, qa.attribution, qb.attribution, "attribution changed", 3.0)
        for s, (quotes, used, other) in enumerate(((lq, used_l, right), (rq, used_r, left))):
            other_words = " ".join(t.low for t in other.toks if t.kind != "sym")
            for n, q in enumerate(quotes):
                if n in used:
                    continue
                unquoted = fuzz.partial_ratio(" ".join(q.words), other_words) >= 90
                if s == 0:
                    note = "no longer quoted" if unquoted else "dropped"
                    self.delta(DeltaKind.QUOTE, (q.lo, q.hi), None, note, 2.0)
                else:
                    note = "now quoted" if unquoted else "added"
                    self.delta(DeltaKind.QUOTE, None, (q.lo, q.hi), note, 2.0)


# --------------------------------------------------------------------------- entry points


def _prepare(paragraphs: Sequence[Paragraph], rules: Rules) -> _Side:
    side = _tokenise(paragraphs)
    _sentences(side, rules)
    _quotes(side)
    side.vocab = frozenset(_strip_possessive(t.low) for t in side.toks if t.kind != "sym")
    return side


def row_deltas(left: Sequence[Paragraph], right: Sequence[Paragraph], row: int = 0,
               rules: Rules | None = None) -> list[Delta]:
    """The critical deltas between two groups of paragraphs (one aligned row).

    Args:
        left: The row's left paragraphs, in reading order.
        right: Its right paragraphs.
        row: The row index written into each delta.
        rules: Word lists (default: the shipped ones with the user's additions).
    """
    rules = rules or default_rules()
    sides = (_prepare(left, rules), _prepare(right, rules))
    lower = frozenset(t.low for s in sides for t in s.toks if t.kind == "word" and t.text[:1].islower())
    for s in sides:
        _Reader(s, rules).read(lower)
        _speakers(s, rules)
    return _RowComparer(row, sides[0], sides[1], rules).run()


def compare_texts(left: str, right: str, rules: Rules | None = None) -> list[Delta]:
    """The critical deltas between two paragraphs of plain text (for tests and scripts)."""
    return row_deltas([_paragraph(0, left)], [_paragraph(0, right)], 0, rules)


def _paragraph(index: int, text: str) -> Paragraph:
    return Paragraph(index, text, text.casefold(), 0, len(text))


def deltas(alignment: Alignment, rules: Rules | None = None, rows: Iterable[int] | None = None) -> list[Delta]:
    """Every critical delta of an alignment's ``changed`` rows, in reading order.

    Args:
        alignment: The comparison.
        rules: Word lists (default: the shipped ones with the user's additions).
        rows: Only these row indexes (default: all).
    """
    rules = rules or default_rules()
    wanted = range(len(alignment.rows)) if rows is None else rows
    out: list[Delta] = []
    for n in wanted:
        row = alignment.rows[n]
        if row.kind is not RowKind.CHANGED:
            continue
        out += row_deltas(_side(alignment.left, row, 0), _side(alignment.right, row, 1), n, rules)
    return out


def _side(article: Article, row: Row, side: int) -> list[Paragraph]:
    return [article.paragraphs[i] for i in (row.left if side == 0 else row.right)]
