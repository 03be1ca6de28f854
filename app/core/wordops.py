"""Word-level edit operations between two groups of paragraphs, for marking changed words."""

from __future__ import annotations

from collections.abc import Sequence

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


def _tokens(paragraph: Paragraph) -> list[tuple[str, int, int]]:
    """Matching key and character span of each word of a paragraph's display text."""
    return [(fold(m.group()).casefold(), m.start(), m.end()) for m in WORD_RE.finditer(paragraph.text)]


def _spans(tokens: list[tuple[int, int, int]], lo: int, hi: int) -> tuple[tuple[int, int, int], ...]:
    """Character ranges covering tokens ``lo:hi``, one range per paragraph they fall in."""
    out: list[tuple[int, int, int]] = []
    for pidx, start, end in tokens[lo:hi]:
        if out and out[-1][0] == pidx:
            out[-1] = (pidx, out[-1][1], end)
        else:
            out.append((pidx, start, end))
    return tuple(out)


def word_ops(left: Sequence[Paragraph], right: Sequence[Paragraph]) -> tuple[WordOp, ...]:
    """Word-level operations turning the left paragraphs into the right ones.

    The paragraphs of each side are read as one word sequence (a split or merged paragraph is
    compared as a whole); words are matched case- and typography-insensitively.

    Args:
        left: The left group, in reading order.
        right: The right group, in reading order.

    Returns:
        ``replace``, ``delete`` and ``insert`` operations with character spans into each
        paragraph's display ``text``; equal stretches are omitted.
    """
    vocab = Vocabulary()
    lkeys: list[str] = []
    rkeys: list[str] = []
    lspans: list[tuple[int, int, int]] = []
    rspans: list[tuple[int, int, int]] = []
    for paragraphs, keys, spans in ((left, lkeys, lspans), (right, rkeys, rspans)):
        for p in paragraphs:
            for key, start, end in _tokens(p):
                keys.append(key)
                spans.append((p.index, start, end))
    a, b = vocab.encode(lkeys), vocab.encode(rkeys)
    ops: list[WordOp] = []
    for tag, i1, i2, j1, j2 in Levenshtein.opcodes(a, b):
        if tag == "equal":
            continue
        ops.append(WordOp(tag, _spans(lspans, i1, i2), _spans(rspans, j1, j2)))
    return tuple(ops)
