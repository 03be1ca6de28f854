"""Word tokens of paragraphs as one character per word, and word-level edit operations."""

from __future__ import annotations

import functools
import re
import threading
from array import array
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, islice
from typing import cast

import numpy as np
from rapidfuzz.distance import Levenshtein

from app.core.reading.model import Paragraph, WordOp
from app.core.reading.text import WORD_RE, fold

# Word ids are encoded as one character each so that rapidfuzz compares word sequences with its
# string kernels; starting above Latin-1 keeps the codes clear of anything special.
_CODE_BASE = 0x100
_SURROGATES = range(0xD800, 0xE000)
_CODE_END = 0x110000


class VocabularyFull(RuntimeError):
    """Every character that can encode a word is taken."""


@dataclass(frozen=True, slots=True)
class Words:
    """A paragraph's word tokens, encoded with one :class:`Vocabulary`.

    Attributes:
        codes: One character per token (equal tokens, equal characters).
        starts: Offset of each token in the paragraph's display ``text``.
        ends: End offset of each token.
        unique: The distinct code points of ``codes``, sorted (for the candidate index).
    """

    codes: str
    starts: array[int]
    ends: array[int]
    unique: np.ndarray


class Vocabulary:
    """Maps word tokens to single characters, so a paragraph becomes a string of words.

    A vocabulary may also remember the :class:`Words` of the paragraph texts it has seen
    (``cache_size`` of them, oldest dropped first), so aligning the same article again does not
    tokenise it again. It is safe to share between threads.
    """

    __slots__ = ("_codes", "_lock", "_words", "_cache_size")

    def __init__(self, cache_size: int = 0) -> None:
        self._codes: dict[str, str] = {}
        self._lock = threading.Lock()
        self._words: dict[str, Words] = {}
        self._cache_size = cache_size

    def __len__(self) -> int:
        return len(self._codes)

    def _add(self, words: Collection[str]) -> None:
        """Give each of ``words`` (not yet known) the next free character; call under the lock."""
        first = len(self._codes) + _CODE_BASE
        if first >= _SURROGATES.start:
            first += len(_SURROGATES)
        stop = first + len(words)
        points: Iterable[int] = range(first, stop)
        if first < _SURROGATES.start < stop:  # step over the surrogates
            stop += len(_SURROGATES)
            points = chain(range(first, _SURROGATES.start), range(_SURROGATES.stop, stop))
        if stop > _CODE_END:
            raise VocabularyFull(f"no character left for {len(words)} more words")
        self._codes.update(zip(words, map(chr, points), strict=True))

    def encode(self, tokens: Sequence[str]) -> str:
        """The word string of ``tokens``: one character per token, equal tokens equal characters.

        Raises:
            VocabularyFull: no character is left for a new word.
        """
        codes = self._codes
        try:
            return "".join(map(codes.__getitem__, tokens))
        except KeyError:
            pass
        with self._lock:  # two threads must not hand out the same code
            self._add(set(tokens).difference(codes))
        return "".join(map(codes.__getitem__, tokens))

    def words(self, paragraphs: Sequence[Paragraph]) -> list[Words]:
        """The encoded tokens of each paragraph (remembered by text when the cache is on).

        Raises:
            VocabularyFull: no character is left for a new word.
        """
        cache = self._words
        out = [cache.get(p.text) for p in paragraphs]
        missing = list(dict.fromkeys(p.text for p, w in zip(paragraphs, out, strict=True) if w is None))
        if not missing:
            return cast("list[Words]", out)  # all were cached
        made = dict(zip(missing, self._make(missing), strict=True))
        if self._cache_size > 0:
            with self._lock:
                if len(cache) + len(made) > self._cache_size:  # drop the oldest quarter or more
                    drop = len(cache) + len(made) - self._cache_size + self._cache_size // 4
                    for old in list(islice(cache, drop)):
                        del cache[old]
                cache.update(made)
        return [made[p.text] if w is None else w for p, w in zip(paragraphs, out, strict=True)]

    def _make(self, texts: list[str]) -> list[Words]:
        """Tokenise and encode ``texts`` together: one numpy pass over all of them."""
        # Folding is character by character, so the joined texts fold as each text would.
        joined = _fold_same_length("\n".join(texts))  # a separator no token can cross
        batch = list(range(len(texts)))
        if len(joined) != sum(map(len, texts)) + len(texts) - 1 or not _plain_bmp(joined):
            folded = [_fold_same_length(t) for t in texts]
            batch = [n for n in batch if len(folded[n]) == len(texts[n]) and _plain_bmp(folded[n])]
            joined = "\n".join(folded[n] for n in batch)
        out: list[Words | None] = [None] * len(texts)
        if batch:
            points = np.frombuffer(joined.encode("utf-32-le"), np.uint32)
            keys, starts, ends = _tokenise(joined, points)
            codes = self.encode(keys)
            bases = np.cumsum([0] + [len(texts[n]) + 1 for n in batch])
            cuts = np.searchsorted(starts, bases)
            owner = np.repeat(np.arange(len(batch)), np.diff(cuts))
            uniques = _unique_per_part(codes, owner, len(batch))
            # Offsets into each paragraph, as arrays that index fast from Python.
            base = bases[owner]
            firsts = array("i", (starts - base).astype(np.int32).tobytes())
            lasts = array("i", (ends - base).astype(np.int32).tobytes())
            bounds = cuts.tolist()
            for k, n in enumerate(batch):
                lo, hi = bounds[k], bounds[k + 1]
                out[n] = Words(codes[lo:hi], firsts[lo:hi], lasts[lo:hi], uniques[k])
        for n, w in enumerate(out):
            if w is None:  # casefolding moved characters (ß, ligatures), or not plain BMP text
                keys, s, e = _tokens_of(texts[n], _fold_same_length(texts[n]))
                code = self.encode(keys)
                ids = np.frombuffer(code.encode("utf-32-le"), np.uint32)
                out[n] = Words(code, array("i", s), array("i", e), sorted_unique(ids)[0])
        return cast("list[Words]", out)  # every paragraph got its words above


def _plain_bmp(text: str) -> bool:
    """Whether ``text`` holds only Basic Multilingual Plane characters and no lone surrogate."""
    try:
        return len(text.encode("utf-16-le")) == 2 * len(text)
    except UnicodeEncodeError:
        return False


def sorted_unique(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values, sorted, and how often each occurs.

    Like ``np.unique(values, return_counts=True)``, which is many times slower on the small
    integer arrays used here.
    """
    values = np.sort(values)
    first = np.empty(len(values), dtype=bool)
    first[:1] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return values[starts], np.diff(starts, append=len(values))


def _unique_per_part(codes: str, owner: np.ndarray, parts: int) -> list[np.ndarray]:
    """Sorted distinct code points of each part of ``codes`` (``owner`` numbers each code's part)."""
    ids = np.frombuffer(codes.encode("utf-32-le"), np.uint32).astype(np.int64)
    stride = _CODE_END
    keys = sorted_unique(owner * stride + ids)[0]
    bounds = np.searchsorted(keys, np.arange(parts + 1, dtype=np.int64) * stride).tolist()
    values = (keys % stride).astype(np.uint32)
    return [values[bounds[k]:bounds[k + 1]] for k in range(parts)]


@functools.cache
def _word_table() -> np.ndarray:
    """Which characters of the Basic Multilingual Plane ``\\w`` matches (taken from ``re`` itself)."""
    bmp = "".join(map(chr, range(0x10000)))
    # Every non-word character (NUL and the surrogates among them) becomes NUL.
    plain = _NON_WORD_CHAR_RE.sub("\0", bmp)
    table: np.ndarray = np.frombuffer(plain.encode("utf-32-le"), np.uint32) != 0
    return table


def _tokenise(text: str, points: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The ``WORD_RE`` tokens of ``text`` with their start and end offsets.

    A token is a maximal run of word characters and of apostrophes or hyphens standing between
    two word characters, which is what ``WORD_RE`` matches, found here with array operations.

    Args:
        text: Text of Basic Multilingual Plane characters only.
        points: Its code points.
    """
    word = _word_table()[points]
    inside = word.copy()
    joiner = (points[1:-1] == ord("'")) | (points[1:-1] == ord("-"))
    inside[1:-1] |= joiner & word[:-2] & word[2:]
    edges = np.diff(inside.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    # Blank out everything between tokens and let str.split() cut the words out in C.
    spaced = np.where(inside, points, np.uint32(ord(" "))).tobytes().decode("utf-32-le")
    return spaced.split(), np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


# Shared by every alignment: an article aligned again (the GUI re-aligns on swap, the reuse
# finder aligns one article with many) is not tokenised again. About 1 kB per paragraph.
_CACHE_SIZE = 8192
# A fresh vocabulary replaces the shared one well before the code points run out.
_RENEW_AT = 1_000_000
_shared = Vocabulary(_CACHE_SIZE)
_shared_lock = threading.Lock()


def shared_vocabulary() -> Vocabulary:
    """The process-wide vocabulary with its paragraph cache (renewed when nearly full)."""
    global _shared
    if len(_shared) >= _RENEW_AT:
        with _shared_lock:
            if len(_shared) >= _RENEW_AT:
                _shared = Vocabulary(_CACHE_SIZE)
    return _shared


def clear_cache() -> None:
    """Forget every remembered paragraph and word (for timing cold runs, or to free memory)."""
    global _shared
    with _shared_lock:
        _shared = Vocabulary(_CACHE_SIZE)


_SAME_LENGTH_FOLD = (("\u2019", "'"), ("\u2018", "'"), ("\u02bc", "'"), ("\u2032", "'"),
                     ("\u2010", "-"), ("\u2011", "-"))
_SPLIT_RE = re.compile(f"({WORD_RE.pattern})", WORD_RE.flags)
_NON_WORD_CHAR_RE = re.compile(r"\W", WORD_RE.flags)


Tokens = tuple[list[str], list[int], list[int]]


def _fold_same_length(text: str) -> str:
    """Casefold ``text`` and fold apostrophe and hyphen variants (which change word tokens)."""
    # Full folding is slower and can move offsets.
    folded = text.casefold()
    for variant, plain in _SAME_LENGTH_FOLD:
        if variant in folded:
            folded = folded.replace(variant, plain)
    return folded


def _tokens_of(text: str, folded: str) -> Tokens:
    """:func:`tokens` of one text with the regular expression (``folded`` as made by ``_fold_same_length``)."""
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


def tokens(paragraph: Paragraph) -> Tokens:
    """Word tokens of a paragraph's display text.

    Returns:
        Matching keys (casefolded, apostrophes and hyphens folded), start offsets and end offsets.
    """
    return _tokens_of(paragraph.text, _fold_same_length(paragraph.text))


Part = tuple[int, Words]


Opcode = tuple[str, int, int, int, int]
"""``(tag, i1, i2, j1, j2)``: ``a[i1:i2]`` becomes ``b[j1:j2]``; tag ``equal``, ``replace``,
``delete`` or ``insert``."""


def levenshtein_opcodes(a: str, b: str) -> list[Opcode]:
    """rapidfuzz's Levenshtein opcodes turning ``a`` into ``b``, as plain tuples."""
    # as_list() returns tuples; rapidfuzz's stub says Opcode objects.
    return cast("list[Opcode]", Levenshtein.opcodes(a, b).as_list())


def _spans(parts: list[tuple[int, int, array[int], array[int]]], lo: int, hi: int) -> tuple[tuple[int, int, int], ...]:
    """Character ranges covering tokens ``lo:hi`` of ``parts`` read as one sequence, one per paragraph.

    ``parts`` holds ``(paragraph index, first token, starts, ends)`` with offsets into the text.
    """
    if len(parts) == 1:  # the usual 1:1 row
        pid, _, starts, ends = parts[0]
        return ((pid, starts[lo], ends[hi - 1]),) if lo < hi else ()
    out = []
    for pid, first, starts, ends in parts:
        s, e = max(lo, first), min(hi, first + len(starts))
        if s < e:
            out.append((pid, starts[s - first], ends[e - 1 - first]))
    return tuple(out)


def encoded_ops(left: Sequence[Part], right: Sequence[Part]) -> tuple[WordOp, ...]:
    """Word-level operations between two groups of encoded paragraphs.

    Args:
        left: ``(paragraph index, words)`` of the left group, in reading order.
        right: The same for the right group; both encoded with one vocabulary.

    Returns:
        As :func:`word_ops`.
    """
    a = left[0][1].codes if len(left) == 1 else "".join(w.codes for _, w in left)
    b = right[0][1].codes if len(right) == 1 else "".join(w.codes for _, w in right)
    changes = [op for op in levenshtein_opcodes(a, b) if op[0] != "equal"]
    if not changes:
        return ()
    sides = []
    for parts in (left, right):
        offsets, first = [], 0
        for pid, w in parts:
            offsets.append((pid, first, w.starts, w.ends))
            first += len(w.codes)
        sides.append(offsets)
    lpos, rpos = sides
    return tuple(WordOp(tag, _spans(lpos, i1, i2), _spans(rpos, j1, j2)) for tag, i1, i2, j1, j2 in changes)


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
    sides: list[list[Part]] = []
    empty = np.empty(0, np.uint32)
    for paragraphs, known in ((left, cache_l), (right, cache_r)):
        fresh = iter(vocab.words([p for p in paragraphs if p.index not in known]))
        parts: list[Part] = []
        for p in paragraphs:
            if p.index in known:
                k, s, e = known[p.index]
                parts.append((p.index, Words(vocab.encode(k), array("i", s), array("i", e), empty)))
            else:
                parts.append((p.index, next(fresh)))
        sides.append(parts)
    return encoded_ops(sides[0], sides[1])
