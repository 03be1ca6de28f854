"""The body analyzer's tokenizer (``\\w+(?:['’]\\w+)*``) as numpy array operations, for the indexing hot path.

A document's text becomes an array of code points; the tokens of ``TOKEN_PATTERN`` (runs of
word characters, joined by an apostrophe between two word characters) are found with array
comparisons, and each token is identified by a 64-bit polynomial hash of its code points and
length. :class:`HashCodes` maps those hashes to codes with an open-addressing table probed
as whole arrays. Python then touches only tokens never seen before: per document that is a
handful of dictionary operations instead of one regex match and one lookup per token.

The hash is not checked against the token's text on a hit; two distinct tokens of at most
``MAX_TOKEN`` characters share a hash with a probability near 2**-60, far below any other
source of error. Longer tokens, characters beyond the Basic Multilingual Plane and very
long texts are left to the exact dictionary path (:meth:`tokens` returns ``None``).
"""

from __future__ import annotations

import re

import numpy as np

MAX_TOKEN = 64
MAX_CHARS = 1 << 22
MISSING = np.int32(-(2**31))
_EMPTY = np.int32(-(2**31) + 1)
_BASE = np.uint64(0x9E3779B97F4A7C15 | 1)
_LEN_MIX = np.uint64(0xC2B2AE3D27D4EB4F)
_APOSTROPHES = (0x27, 0x2019)
_MIX = 0xBF58476D1CE4E5B9
_U64 = (1 << 64) - 1


def _powers() -> np.ndarray:
    out = np.ones(MAX_TOKEN, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(1, MAX_TOKEN):
            out[i] = out[i - 1] * _BASE
    return out


_POW = _powers()


# ``\\w`` of Python's re for each BMP code point, filled in blocks of _BLOCK code points as
# texts need them: the whole table takes 5 ms to build, a tenth of a small indexing run of
# ASCII text.
_BLOCK_BITS = 11
_WORD = np.zeros(0x10000, dtype=bool)
_BUILT = np.zeros(0x10000 >> _BLOCK_BITS, dtype=bool)


def _build_block(block: int) -> None:
    lo = block << _BLOCK_BITS
    # One substitution over the block: asking the engine one character at a time cost a
    # small indexing run 12 ms.
    marked = re.sub(r"\W", "\0", "".join(map(chr, range(lo, lo + (1 << _BLOCK_BITS)))))
    _WORD[lo:lo + (1 << _BLOCK_BITS)] = np.frombuffer(marked.encode("utf-32-le", "surrogatepass"),
                                                      dtype="<u4") != 0
    if not block:
        _WORD[0] = re.match(r"\w", "\0") is not None
    _BUILT[block] = True


def _word_table(cps: np.ndarray, top: int) -> np.ndarray:
    """The word-character table, with the blocks of every code point of ``cps`` (at most ``top``) built."""
    if top >> _BLOCK_BITS:
        blocks = np.unique(cps[cps >= 1 << _BLOCK_BITS] >> _BLOCK_BITS)
        for block in blocks[~_BUILT[blocks]].tolist():
            _build_block(block)
    if not _BUILT[0]:
        _build_block(0)
    return _WORD


def _word_chars() -> np.ndarray:
    """``\\w`` of Python's re for every BMP code point (asked of the regex engine itself)."""
    for block in np.flatnonzero(~_BUILT).tolist():
        _build_block(block)
    return _WORD


class Tokens:
    """The tokens of one text: start and end offsets and hashes."""

    __slots__ = ("starts", "ends", "hashes")

    def __init__(self, starts: np.ndarray, ends: np.ndarray, hashes: np.ndarray) -> None:
        self.starts = starts
        self.ends = ends
        self.hashes = hashes


def tokens(text: str) -> Tokens | None:
    """The ``TOKEN_PATTERN`` tokens of ``text`` with their hashes; ``None`` when out of scope."""
    if len(text) > MAX_CHARS:
        return None
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    if not len(cps):
        return Tokens(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint64))
    top = int(cps.max())
    if top > 0xFFFF:
        return None
    tok = _word_table(cps, top)[cps]
    if len(cps) > 2:
        apos = (cps[1:-1] == _APOSTROPHES[0]) | (cps[1:-1] == _APOSTROPHES[1])
        if apos.any():
            tok[1:-1] |= apos & tok[:-2] & tok[2:]
    edges = np.diff(tok.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    if not len(starts):
        return Tokens(starts, ends, np.zeros(0, np.uint64))
    lens = ends - starts
    if int(np.max(lens)) > MAX_TOKEN:
        return None
    first = np.zeros(len(starts), dtype=np.int64)
    np.cumsum(lens[:-1], out=first[1:])
    inner = np.arange(int(first[-1] + lens[-1])) - np.repeat(first, lens)
    chars = cps[tok].astype(np.uint64)
    hashes = np.add.reduceat(chars * _POW[inner], first)  # uint64 arithmetic wraps silently
    hashes ^= lens.astype(np.uint64) * _LEN_MIX
    return Tokens(starts, ends, hashes)


class HashCodes:
    """An open-addressing table from token hashes to int32 codes, probed with arrays."""

    def __init__(self, bits: int = 16) -> None:
        self._reset(bits)

    def _reset(self, bits: int) -> None:
        self._keys = np.zeros(1 << bits, dtype=np.uint64)
        self._vals = np.full(1 << bits, _EMPTY, dtype=np.int32)
        self._mask = (1 << bits) - 1
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def _slots(self, hashes: np.ndarray) -> np.ndarray:
        # Mix the bits first: a polynomial hash's low bits depend only on the low bits of
        # the characters. (uint64 array arithmetic wraps silently.)
        x = hashes ^ (hashes >> np.uint64(31))
        x = x * np.uint64(_MIX)
        x ^= x >> np.uint64(29)
        slots: np.ndarray = (x & np.uint64(self._mask)).astype(np.int64)
        return slots

    def _slot(self, key: int) -> int:
        """:meth:`_slots` of one hash, in Python integers."""
        x = key ^ (key >> 31)
        x = (x * _MIX) & _U64
        x ^= x >> 29
        return x & self._mask

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The code of every hash (:data:`MISSING` where absent)."""
        out = np.full(len(hashes), MISSING, dtype=np.int32)
        slots = self._slots(hashes)
        pending = np.arange(len(hashes))
        keys, vals, mask = self._keys, self._vals, self._mask
        while len(pending):
            s = slots[pending]
            v = vals[s]
            filled = v != _EMPTY
            hit = filled & (keys[s] == hashes[pending])
            out[pending[hit]] = v[hit]
            more = filled & ~hit
            pending = pending[more]
            slots[pending] = (s[more] + 1) & mask
        return out

    def insert(self, key: int, code: int) -> None:
        """Add one hash (not present yet) with its code."""
        if (self.count + 1) * 2 > len(self._keys):
            self._grow()
        mask = self._mask
        slot = self._slot(key)
        vals = self._vals
        while vals[slot] != _EMPTY:
            slot = (slot + 1) & mask
        self._keys[slot] = key
        self._vals[slot] = code
        self.count += 1

    def insert_many(self, keys: np.ndarray, codes: np.ndarray) -> None:
        """Add distinct hashes (none present yet) with their codes, probing as whole arrays.

        Keys that want the same free slot in one round: the first takes it, the others
        probe on, so every key stays reachable from its home slot through filled ones.
        """
        if not len(keys):
            return
        while (self.count + len(keys)) * 2 > len(self._keys):
            self._grow()
        mask = self._mask
        slots = self._slots(keys)
        pending = np.arange(len(keys))
        vals, table = self._vals, self._keys
        while len(pending):
            s = slots[pending]
            free = vals[s] == _EMPTY
            # Among the keys at a free slot, the first for each slot wins it.
            cand = pending[free]
            won_slots, first = np.unique(s[free], return_index=True)
            winners = cand[first]
            table[won_slots] = keys[winners]
            vals[won_slots] = codes[winners]
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slots[pending] = (slots[pending] + 1) & mask
        self.count += len(keys)

    def _grow(self) -> None:
        filled = self._vals != _EMPTY
        keys, vals = self._keys[filled], self._vals[filled]
        bits = (len(self._keys) * 2).bit_length() - 1
        self._reset(bits)
        self.insert_many(keys, vals)
