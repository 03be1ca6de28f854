"""Word-level edit operations between two groups of paragraphs, for marking changed words."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from itertools import accumulate

from rapidfuzz.distance import Levenshtein

from app.core.model import Paragraph, WordOp
from app.core.text import WORD_RE, fold

# Word ids are encoded as one character each so that rapidfuzz compares word sequences with its
# string kernels; starting above Latin-1 keeps the codes clear of anything special.
_CODE_BASE = 0x100
_SURROGATES = range(0xD800, 0xE000)


class Vocabulary:
    """Maps word tokens to single characters, so a paragraph becomes a string of words."""

    __slots__ = ("_codes",)

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}

    def _code(self, word: str) -> str:
        n = len(self._codes) + _CODE_BASE
        if n >= _SURROGATES.start:
            n += len(_SURROGATES)
        code = chr(n)
        self._codes[word] = code
        return code

    def encode(self, tokens: Sequence[str]) -> str:
        """The word string of ``tokens``: one character per token, equal tokens equal characters."""
        codes = self._codes
        for t in set(tokens).difference(codes):
            self._code(t)
        return "".join(map(codes.__getitem__, tokens))


_SAME_LENGTH_FOLD = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u2032", "'"),
                     ("\u2010", "-"), ("\u2011", "-"))
_SPLIT_RE = re.compile(f"({WORD_RE.pattern})", WORD_RE.flags)


Tokens = tuple[list[str], list[int], list[int]]


def tokens(paragraph: Paragraph) -> Tokens:
    """Word tokens of a paragraph's display text.

    Returns:
        Matching keys (casefolded, apostrophes and hyphens folded), start offsets and end offsets.
    """
    text = paragraph.text
    # Only apostrophes and hyphens change word tokens; full folding is slower and can move offsets.
    folded = text.casefold()
    for variant, plain in _SAME_LENGTH_FOLD:
        if variant in folded:
            folded = folded.replace(variant, plain)
    if len(folded) != len(text):  # casefolding moved characters (ß, ligatures): word by word
        keys, starts, ends = [], [], []
        for m in WORD_RE.finditer(text):
            keys.append(fold(m.group()).casefold())
            starts.append(m.start())
            ends.append(m.end())
        return keys, starts, ends
    # split() alternates separators and words, so running lengths give every word's span.
    parts = _SPLIT_RE.split(folded)
    offsets = list(accumulate(map(len, parts)))
    return parts[1::2], offsets[0:-1:2], offsets[1::2]


def _spans(pids: list[int], starts: list[int], ends: list[int], lo: int, hi: int) -> tuple[tuple[int, int, int], ...]:
    """Character ranges covering tokens ``lo:hi``, one range per paragraph they fall in."""
    out: list[tuple[int, int, int]] = []
    for k in range(lo, hi):
        if out and out[-1][0] == pids[k]:
            out[-1] = (pids[k], out[-1][1], ends[k])
        else:
            out.append((pids[k], starts[k], ends[k]))
    return tuple(out)


def word_ops(left: Sequence[Paragraph], right: Sequence[Paragraph], vocab: Vocabulary | None = None,
             cache: tuple[Mapping[int, Tokens], Mapping[int, Tokens]] | None = None) -> tuple[WordOp, ...]:
    """Word-level operations turning the left paragraphs into the right ones.

    The paragraphs of each side are read as one word sequence (a split or merged paragraph is
    compared as a whole); words are matched case- and typography-insensitively.

    Args:
        left: The left group, in reading order.
        right: The right group, in reading order.
        vocab: A vocabulary to reuse between calls (saves re-encoding common words).
        cache: :func:`tokens` of paragraphs already tokenised: a ``(left, right)`` pair of
            mappings by paragraph index.

    Returns:
        ``replace``, ``delete`` and ``insert`` operations with character spans into each
        paragraph's display ``text``; equal stretches are omitted.
    """
    vocab = vocab or Vocabulary()
    cache_l, cache_r = cache or ({}, {})
    seqs = []
    for paragraphs, known in ((left, cache_l), (right, cache_r)):
        keys: list[str] = []
        pids: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        for p in paragraphs:
            k, s, e = known[p.index] if p.index in known else tokens(p)
            keys += k
            starts += s
            ends += e
            pids += [p.index] * len(k)
        seqs.append((vocab.encode(keys), pids, starts, ends))
    (a, *lpos), (b, *rpos) = seqs
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(a, b):
        if tag != "equal":
            ops.append(WordOp(tag, _spans(*lpos, i1, i2), _spans(*rpos, j1, j2)))
    return tuple(ops)
