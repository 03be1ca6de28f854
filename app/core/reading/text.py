"""Text normalisation shared by the reader, the index and the aligner."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left

# Folding table: typographic variants that republishing sites swap freely.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"', "\u2039": "'", "\u203a": "'",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u00ad": None, "\u200b": None, "\u200c": None,
        "\u200d": None, "\ufeff": None, "\u00a0": " ", "\u2009": " ", "\u202f": " ",
        "\u2026": "...",
    }
)

# Article text is untrusted: every pattern here runs in linear time. A label or target stops at
# the next bracket (possessively), so a run of openers without closers is not rescanned from each.
_MD_IMAGE = re.compile(r"!\[([^\[\]]*+)\]\([^()\[\]]*+\)")
_MD_LINK = re.compile(r"\[([^\[\]]*+)\]\((?:[^()\[\]]++|\([^()\[\]]*+\))*+\)")
_MD_REF_LINK = re.compile(r"\[([^\[\]]++)\]\[[^\[\]]*+\]")
# Emphasis openers; closers are looked up in sorted position lists (see _strip_emphasis), not
# searched for lazily, which was quadratic on a line of unclosed "*a" openers.
_EMPH_OPENER = re.compile(r"[*_]")
_EMPH_CLOSER = {d: re.compile(r"(?<=\S)" + re.escape(d)) for d in ("*", "**", "***", "_", "__", "___")}
# The run lengths to try, longest first, for an opening run of 1, 2 or 3 (index), given which
# of the longer delimiters have a closer somewhere in the text (key).
_TRIES: dict[tuple[int, ...], list[tuple[int, ...]]] = {
    longer: [(), *(tuple(k for k in (*longer, 1) if k <= run) for run in (1, 2, 3))]
    for longer in ((), (2,), (3,), (3, 2))
}
_EMPH_WINDOW = 64  # characters searched for a closer before the sorted positions are built
_ALNUM = re.compile(r"[^\W_]")
_MD_CODE = re.compile(r"`([^`]*)`")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+", re.MULTILINE)
_MD_QUOTE = re.compile(r"^\s{0,3}>\s?", re.MULTILINE)
_MD_BULLET = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+", re.MULTILINE)
# Applied to whitespace-collapsed text only: "\s*-" rescanned a long run of spaces from each of them.
_DASH_SPACING = re.compile(r" ?- ?- ?| - ")

# Word tokens for matching: letters/digits runs, keeping inner apostrophes and hyphens.
WORD_RE = re.compile(r"\w+(?:['\-]\w+)*", re.UNICODE)


# Any markdown at all: the characters inline markup needs (substring tests are several times
# faster than a character class), then a line opening as a list item.
_MD_CHARS = "[*_`#>"
_MD_LINE_START = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s", re.MULTILINE)
# A list item's opening, once a line's leading whitespace is stripped.
_MD_ITEM = re.compile(r"(?:[-*+]|\d{1,3}[.)])\s")


def _has_md_char(text: str) -> bool:
    # Unrolled: a generator over _MD_CHARS cost more than the tests on a short paragraph.
    return ("[" in text or "*" in text or "_" in text or "`" in text or "#" in text
            or ">" in text)


def strip_markdown(text: str) -> str:
    """Return ``text`` with inline markdown markup removed (links keep their label)."""
    if not _has_md_char(text) and not _MD_LINE_START.search(text):
        return text  # plain prose: skip the costly patterns
    # Each pattern needs its literal (a substring test costs a tenth of a search that fails): a
    # file of short one-line paragraphs spent a third of its time in searches that found nothing.
    if "](" in text:
        if "![" in text:
            text = _MD_IMAGE.sub(r"\1", text)
        text = _MD_LINK.sub(r"\1", text)
    if "][" in text:
        text = _MD_REF_LINK.sub(r"\1", text)
    if "`" in text:
        text = _MD_CODE.sub(r"\1", text)
    # Without a letter or digit there is nothing to emphasise ("* * *" rules, runs of stars).
    if ("*" in text or "_" in text) and _ALNUM.search(text):
        for _ in range(2):  # nested emphasis such as ***x*** or **_x_**
            text = _strip_emphasis(text)
    if "#" in text:
        text = _MD_HEADING.sub("", text)
    if ">" in text:
        text = _MD_QUOTE.sub("", text)
    text = _MD_BULLET.sub("", text)
    return text


def _strip_emphasis(text: str) -> str:
    """``re.sub(r"(\\*{1,3}|_{1,3})(?=\\S)(.+?)(?<=\\S)\\1", r"\\2", text)`` in O(n log n).

    The lazy pattern scanned to the end of the line from every opener that has no closer; here
    the first closer after an opener (the delimiter, preceded by a non-space, before the next
    newline) is looked for in a short window, then by bisection in the sorted positions of
    each delimiter (built only when a window is not enough).
    """
    n = len(text)
    closers: dict[str, list[int]] = {}

    def closer_after(delim: str, lo: int, hi: int) -> int:
        found = closers.get(delim)
        if found is None:
            pattern = re.compile(r"(?<=\S)(?=" + re.escape(delim) + ")")
            found = closers[delim] = [m.start() for m in pattern.finditer(text)]
        k = bisect_left(found, lo)
        return found[k] if k < len(found) and found[k] < hi else -1

    # A closer of "**" or "***" is a closer of "*" too: a character with none cannot pair.
    usable = [ch for ch in "*_" if ch in text and _EMPH_CLOSER[ch].search(text)]
    if not usable:
        return text
    # Nor can a delimiter with no closer anywhere ("**a **b" has none for "**"): the run
    # lengths to try, longest first, for each character and length of its opening run.
    tries = {ch: _TRIES[tuple(k for k in (3, 2) if ch * k in text and _EMPH_CLOSER[ch * k].search(text))]
             for ch in usable}
    out: list[str] = []
    last = pos = 0
    line_end = -1  # the end of the line holding the current opener's text
    for m in _EMPH_OPENER.finditer(text):
        o = m.start()
        if o < pos:
            continue
        ch = text[o]
        if ch not in tries:
            continue
        run = 1
        while run < 3 and o + run < n and text[o + run] == ch:
            run += 1
        for k in tries[ch][run]:
            c = o + k
            if c >= n or text[c].isspace():
                continue
            if c > line_end:  # openers come in order, and o+1..o+run hold no newline
                line_end = text.find("\n", c)
                line_end = n if line_end < 0 else line_end
            delim = ch * k
            window = min(line_end, c + _EMPH_WINDOW)
            q = text.find(delim, c + 1, window + k - 1)
            if q < 0 or q >= line_end or text[q - 1].isspace():
                # The first delimiter is no closer, or there is none nearby.
                q = -1 if q < 0 and window == line_end else closer_after(delim, c + 1, line_end)
            if q >= 0:
                out.append(text[last:o])
                out.append(text[c:q])
                last = pos = q + k
                break
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def fold(text: str) -> str:
    """Fold typographic quotes, dashes and invisible characters to plain ASCII forms."""
    if text.isascii():
        return text  # every character the table folds is outside ASCII
    text = text.translate(_FOLD)
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def collapse_ws(text: str) -> str:
    """Collapse every whitespace run to one space and strip the ends."""
    # str.split() and the regex \s use the same Unicode whitespace test; split/join is 2x faster.
    return " ".join(text.split())


def display_text(raw: str) -> str:
    """Readable text of a raw paragraph: markdown markup removed, whitespace collapsed."""
    return collapse_ws(strip_markdown(raw))


def normalize(text: str) -> str:
    """Matching form of a paragraph: markup removed, typography folded, spaces collapsed, casefolded."""
    return _norm_stripped(strip_markdown(text))


def _norm_stripped(stripped: str) -> str:
    return _norm_folded(fold(stripped))


def _norm_folded(folded: str) -> str:
    folded = collapse_ws(folded)
    if "-" in folded:
        folded = collapse_ws(_DASH_SPACING.sub(" - ", folded))
    return folded.casefold()


def display_and_norm(raw: str, markdown: bool = True) -> tuple[str, str]:
    """Both :func:`display_text` and :func:`normalize` of ``raw``, stripping markdown once.

    ``markdown=False`` says the caller knows ``raw`` holds no markdown.
    """
    stripped = strip_markdown(raw) if markdown else raw
    shown = collapse_ws(stripped)
    folded = fold(stripped)
    if folded == stripped and "-" not in shown:
        return shown, shown.casefold()  # collapse_ws(stripped) already: no second split
    return shown, _norm_folded(folded)


def has_markdown(text: str) -> bool:
    """Whether :func:`strip_markdown` could change any part of ``text`` (a paragraph may start
    at any indentation, so any line opening as a list item counts)."""
    # The same answer as re.search(r"[[*_`#>]", text) or re.search(r"(?m)^\s*(?:[-*+]|\d{1,3}[.)])\s",
    # text), about ten times faster on plain prose: the item pattern is tried only on lines
    # that open like one, not at every offset.
    if _has_md_char(text):
        return True
    lines = text.split("\n")  # re's "^" knows no other line break
    last = len(lines) - 1
    for i, line in enumerate(lines):
        s = line.lstrip()
        # The newline that ends a line is the whitespace an item may end with.
        if s and (s[0] in "-*+" or s[0].isdecimal()) and _MD_ITEM.match(s if i == last else s + "\n"):
            return True
    return False


# Chinese and Japanese characters (Hangul is written with spaces between words, so not here).
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK = re.compile(f"[{CJK_CHARS}]")
_CJK_SPLIT = re.compile(f"([{CJK_CHARS}])")
# Characters that are neither whitespace nor visible: a file of only these holds no text.
_VISIBLE = re.compile(r"[^\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad\u034f\u180e]")


def has_visible_text(text: str) -> bool:
    """Whether ``text`` holds anything but whitespace and invisible (zero-width) characters."""
    return _VISIBLE.search(text) is not None


def cjk_count(text: str) -> int:
    """Number of Chinese and Japanese characters in ``text``."""
    return 0 if text.isascii() else len(_CJK.findall(text))


def word_count(text: str) -> int:
    """Words in ``text``, counting Chinese and Japanese (written without spaces) as one word
    per two characters, rounded up: the measure every length decision about text uses."""
    if text.isascii():
        return len(text.split())
    cjk = len(_CJK.findall(text))
    if not cjk:
        return len(text.split())
    return len(_CJK.sub(" ", text).split()) + (cjk + 1) // 2


def words(text: str) -> list[str]:
    """Word tokens of already-normalised text (each Chinese or Japanese character is one)."""
    toks = WORD_RE.findall(text)
    if text.isascii() or not _CJK.search(text):
        return toks
    out: list[str] = []
    for tok in toks:
        if _CJK.search(tok):
            out.extend(t for t in _CJK_SPLIT.split(tok) if t)
        else:
            out.append(tok)
    return out


def word_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the word tokens in ``text`` (any form, not only normalised)."""
    return [m.span() for m in WORD_RE.finditer(text)]
