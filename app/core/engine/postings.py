"""Whoosh W3 posting lists read into numpy arrays: document numbers, weights and positions.

Whoosh decodes a posting block by unpickling all of it, positions included, which costs about
a microsecond per posting, most of it for the positions. Counting and ranking need only the
document numbers and weights, which open each block: they are decompressed alone and read
with numpy. Positions are decoded only for the blocks a phrase needs. A block laid out in a
way this module does not expect is decoded by unpickling it whole, as Whoosh does.
"""

from __future__ import annotations

import io
import pickle
import struct
import zlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from enum import IntEnum
from itertools import chain
from typing import Any, Generic, NamedTuple, TypeVar

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermsReader
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.formats import Positions
from whoosh.reading import TermNotFound
from whoosh.system import _INT_SIZE

__all__ = ["LRU", "BlockWeights", "TermPostings", "Unsupported", "read_positions", "read_term", "read_terms", "term_frequencies"]

# Pickle opcodes of the block layout written by Whoosh's W3PostingsWriter (protocol 2).
_PROTO, _MARK, _TUPLE, _TUPLE1, _TUPLE3 = 0x80, 0x28, 0x74, 0x85, 0x87
_BININT1, _BININT2, _BININT, _BINFLOAT, _NONE = 0x4B, 0x4D, 0x4A, 0x47, 0x4E
_BINPUT, _LONG_BINPUT, _STOP = 0x71, 0x72, 0x2E
_INT = struct.Struct("!i")
# Where W3TermInfo keeps the document frequency (struct "!BfIBBfII": flags, weight, then it).
_DF_AT = 5
_DOUBLE = struct.Struct(">d")
# Runs of opcodes to compare a whole block's ids or weights against at once.
_OPS1, _OPS2, _FLOATS = bytes([_BININT1]) * 4096, bytes([_BININT2]) * 4096, bytes([_BINFLOAT]) * 4096


class Unsupported(Exception):
    """The postings are not in a form this module reads (e.g. another codec)."""


class BlockWeights(IntEnum):
    """How a posting block's weights are pickled (Parallax's segment writer writes the same
    kinds, as numpy arrays of these values)."""

    NONE = 0  # ``None``: every weight 1.0
    ONE = 1  # one float for the whole block
    FLOATS = 2  # a tuple of floats
    BYTES = 3  # a tuple of one-byte ints (Parallax's segment writer)


class HeadLayout(NamedTuple):
    """Where a block pickle's ids and weights lie (see :func:`_scan_head`)."""

    first: int  # the first document number
    width: int  # bytes of each delta (1 or 2); 0 when ``at`` lists the deltas themselves
    at: int | list[int]  # offset of the first delta's opcode, or the deltas
    weights: BlockWeights
    value: float | int  # the one weight (ONE, 1.0 for NONE), or the offset of the first one


class Unpickled(NamedTuple):
    """A block's absolute ids and weights, from unpickling it whole."""

    ids: np.ndarray
    weights: np.ndarray


class _Walk(NamedTuple):
    """The heads of one term's blocks to decode, and its block table (every block, as lists:
    see :class:`TermPostings`; one flat tuple, as there is one per term read)."""

    texts: list[bytes]
    layouts: list[HeadLayout | Unpickled]
    counts: list[int]
    decoded: list[int]  # the decoded blocks' indexes in the table
    sizes: list[int]
    maxids: list[int]
    heads: list[int]
    data: list[int]
    ends: list[int]
    comps: list[int]

    def table(self) -> tuple[list[int], ...]:
        """The block table's columns, in :class:`TermPostings` order."""
        return self[4:]


_V = TypeVar("_V")


@dataclass(frozen=True, slots=True, eq=False)
class TermPostings:
    """One term's postings in one segment, all of them or those of some blocks.

    The block table covers every block: its posting count ``sizes[k]``, last document number
    ``maxids[k]``, the file offsets of its header ``heads[k]`` and data ``data[k]`` (which ends
    at ``ends[k]``) and its compression level. ``ids`` (segment document numbers, ascending,
    deleted documents included) and ``weights`` (as Whoosh reads them; float32 on disk, so
    stored exactly) hold the postings of the decoded blocks, block ``k`` from ``starts[k]``
    (-1 for a block not decoded).
    """

    ids: np.ndarray
    weights: np.ndarray
    starts: np.ndarray
    sizes: np.ndarray
    maxids: np.ndarray
    heads: np.ndarray
    data: np.ndarray
    ends: np.ndarray
    comps: np.ndarray

    @property
    def complete(self) -> bool:
        """Whether every block is decoded."""
        return len(self.ids) == int(self.sizes.sum())

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (for cache budgets)."""
        return int(self.ids.nbytes + self.weights.nbytes + 7 * 8 * len(self.starts))

    def blocks_of(self, docs: np.ndarray) -> np.ndarray:
        """The block that would hold each of the sorted document numbers ``docs``."""
        return np.searchsorted(self.maxids, docs)

    def covers(self, docs: np.ndarray) -> bool:
        """Whether every block that can hold one of ``docs`` is decoded."""
        blocks = self.blocks_of(docs)
        return bool(np.all(self.starts[blocks[blocks < len(self.starts)]] >= 0))


class LRU(Generic[_V]):
    """A least-recently-used cache bounded by a total cost (bytes, postings, ...)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._items: OrderedDict[Hashable, tuple[_V, int]] = OrderedDict()
        self._cost = 0

    def get(self, key: Hashable) -> _V | None:
        """The cached value for ``key``, or ``None``."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: Hashable, value: _V, cost: int) -> None:
        """Cache ``value``; the least recently used entries go once the budget is exceeded."""
        old = self._items.pop(key, None)
        if old is not None:
            self._cost -= old[1]
        if cost > self.budget:
            return
        self._items[key] = (value, cost)
        self._cost += cost
        while self._cost > self.budget:
            _, (_, c) = self._items.popitem(last=False)
            self._cost -= c

    def clear(self) -> None:
        """Drop everything."""
        self._items.clear()
        self._cost = 0


def _terms_reader(leaf: Any) -> W3TermsReader:
    terms = getattr(leaf, "_terms", None)
    if type(terms) is not W3TermsReader:
        raise Unsupported("not a W3 segment")
    return terms


def term_frequencies(leaf: Any, field: str) -> tuple[list[bytes], np.ndarray]:
    """The terms of ``field`` in a segment, sorted, and their document frequencies.

    Whoosh's lexicon iterator reads the terms file a record at a time (about 10 µs a term).
    The file holds sorted ``(key length, value length, key, value)`` records, keys being the
    field number (2 bytes, big-endian) and the term, values the term info (its document
    frequency a big-endian uint32 at byte 5), and an array of the records' offsets.
    """
    terms = _terms_reader(leaf)
    tindex = terms._tindex
    fieldnum = terms._fieldmap.get(field)
    kind = tindex.extras.get("indextype") if type(tindex) is OrderedHashReader else None
    if kind not in ("B", "H", "i", "I", "q"):
        raise Unsupported("terms file")
    start = tindex.closest_key_pos(struct.pack("!H", fieldnum)) if fieldnum is not None and tindex.indexlen \
        else None
    if start is None:
        return [], np.zeros(0, dtype=np.int64)
    end = tindex.closest_key_pos(struct.pack("!H", fieldnum + 1)) if fieldnum < 0xFFFF else None
    end = tindex.endofdata if end is None else end
    dbfile = tindex.dbfile
    offsets = np.frombuffer(dbfile.get(tindex.indexbase, tindex.indexlen * tindex.indexsize),
                            dtype=">" + kind).astype(np.int64)
    offsets = offsets[(offsets >= start) & (offsets < end)] - start
    data = dbfile.get(start, end - start)
    raw = np.frombuffer(data, dtype=np.uint8)
    keylen = raw[offsets[:, None] + np.arange(4)].view(">i4").ravel().astype(np.int64)
    values = offsets + 8 + keylen
    df = raw[values[:, None] + _DF_AT + np.arange(4)].view(">u4").ravel().astype(np.int64)
    return [data[s:e] for s, e in zip((offsets + 10).tolist(), values.tolist(), strict=True)], df


def read_term(leaf: Any, field: str, btext: bytes, docs: np.ndarray | None = None) -> TermPostings | None:
    """The postings of ``field:btext`` in segment reader ``leaf`` (``None`` when absent).

    With ``docs`` (sorted segment docnums) much fewer than the term's postings, only the blocks
    that can hold them are decoded; the block headers are read either way.
    """
    return read_terms(leaf, field, [btext], docs)[0]


def read_terms(leaf: Any, field: str, btexts: list[bytes],
               docs: np.ndarray | None = None) -> list[TermPostings | None]:
    """:func:`read_term` for several terms, their blocks gathered together."""
    terms = _terms_reader(leaf)
    walks = [_walk(terms, field, btext, docs) for btext in btexts]
    texts = [t for w in walks if w for t in w.texts]
    layouts = [lay for w in walks if w for lay in w.layouts]
    counts = [c for w in walks if w for c in w.counts]
    all_ids, all_weights = _assemble(texts, layouts, counts) if counts else (np.zeros(0), np.zeros(0))
    ids, weights = all_ids.astype(np.int32), all_weights.astype(np.float32)
    out: list[TermPostings | None] = []
    at = 0
    for w in walks:
        if w is None:
            out.append(None)
            continue
        decoded_counts, decoded = w.counts, w.decoded
        total = sum(decoded_counts)
        sizes = w.sizes
        starts = np.full(len(sizes), -1, dtype=np.int64)
        starts[decoded] = np.cumsum(decoded_counts) - np.asarray(decoded_counts, dtype=np.int64)
        out.append(TermPostings(ids[at:at + total], weights[at:at + total], starts,
                                *(np.asarray(col, dtype=np.int64) for col in w.table())))
        at += total
    return out


def _walk(terms: W3TermsReader, field: str, btext: bytes, docs: np.ndarray | None) -> _Walk | None:
    """One term's block table, and the heads of the blocks to decode (``None`` if absent)."""
    try:
        info = terms.term_info(field, btext)
    except TermNotFound:
        return None
    if info.is_inlined():  # Whoosh cannot write these any more (W3TermInfo lacks set_inline)
        raise Unsupported("inlined postings")
    offset, length = info.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes leaves the length in a 1-tuple
        (length,) = length
    buf = terms._postfile.get(offset, length)
    if buf[:4] != WHOOSH3_HEADER_MAGIC:
        raise Unsupported("posting header")
    wanted = docs.tolist() if docs is not None and 4 * len(docs) < info.doc_frequency() else None
    stream = io.BytesIO(buf)
    sizes: list[int] = []
    maxids: list[int] = []
    heads: list[int] = []
    data: list[int] = []
    ends: list[int] = []
    comps: list[int] = []
    texts: list[bytes] = []
    layouts: list[HeadLayout | Unpickled] = []
    counts: list[int] = []
    decoded: list[int] = []
    p, j = 4, 0
    while True:
        (blen,) = _INT.unpack_from(buf, p)
        last = blen < 0
        stream.seek(p + 4)
        # The block info (count, last id, max weight, compression, lengths) is a small pickle.
        n, maxid, _maxw, comp, _minlen, _maxlen = pickle.load(stream)
        dstart, dend = stream.tell(), p + 4 + abs(blen)
        if wanted is not None:
            while j < len(wanted) and wanted[j] <= (maxids[-1] if maxids else -1):
                j += 1
        if wanted is None or j < len(wanted) and wanted[j] <= maxid:
            # ids then weights (9 bytes each) open the block: only those are read. Deltas of one
            # or two bytes (3 with their opcode) fit; anything wider is unpickled whole below.
            need = 12 * n + 32
            head = zlib.decompressobj().decompress(memoryview(buf)[dstart:dend], need) if comp \
                else buf[dstart:dstart + need]
            layout = _scan_head(head, n)
            if layout is None:
                whole = zlib.decompress(buf[dstart:dend]) if comp else buf[dstart:dend]
                layouts.append(_unpickled_head(pickle.loads(whole), n))
            else:
                layouts.append(layout)
            texts.append(head)
            counts.append(n)
            decoded.append(len(sizes))
        sizes.append(n)
        maxids.append(maxid)
        heads.append(offset + p)
        data.append(offset + dstart)
        ends.append(offset + dend)
        comps.append(comp)
        p = dend
        if last or p >= len(buf):
            break
    return _Walk(texts, layouts, counts, decoded, sizes, maxids, heads, data, ends, comps)


def _unpickled_head(data: tuple[Any, ...], n: int) -> Unpickled:
    """Ids and weights from an unpickled block tuple, exactly as Whoosh's matcher reads them."""
    ids = np.cumsum(np.asarray(data[0], dtype=np.int64))
    w = data[1]
    if w is None:
        weights = np.ones(n, dtype=np.float64)
    elif isinstance(w, float):
        weights = np.full(n, w, dtype=np.float64)
    else:
        weights = np.asarray(w, dtype=np.float64)
    return Unpickled(ids, weights)


def _scan_head(raw: bytes, n: int) -> HeadLayout | None:
    """Where the ids and weights lie at the start of a block pickle (``None`` if laid out otherwise).

    The block is ``(ids, weights, values)`` pickled with protocol 2 opcodes: the ids tuple holds
    the first document number then deltas; the weights are ``None``, one float, or a tuple of
    floats (or, from Parallax's segment writer, of one-byte ints). Whoosh writes tuples of up
    to three items with TUPLE1-3, Parallax's segment writer with MARK ... TUPLE; both are read.
    Deltas of mixed widths come as a list in place of their offset (width 0).
    """
    size = len(raw)
    if size < 4 or raw[0] != _PROTO or raw[1] != 2:
        return None
    p = 2
    close = _TUPLE1 + n - 1 if n <= 3 else _TUPLE
    if raw[p] == _MARK:
        close = _TUPLE
        p += 1
    elif n > 3:
        return None
    # The first id may be any width; the deltas after it usually all take one or two bytes.
    first, p = _int_at(raw, p)
    if first is None:
        return None
    rest, width = n - 1, 1
    at: int | list[int] = p
    if rest:
        if p + 2 * rest <= size and raw[p:p + 2 * rest:2] == _OPS1[:rest]:
            width, p = 1, p + 2 * rest
        elif p + 3 * rest <= size and raw[p:p + 3 * rest:3] == _OPS2[:rest]:
            width, p = 2, p + 3 * rest
        else:  # deltas of mixed widths: read one by one
            deltas: list[int] = []
            append = deltas.append
            for _ in range(rest):
                if p + 3 >= size:  # the tuple's end must follow: a cut head is unpickled whole
                    return None
                op = raw[p]
                if op == _BININT1:
                    append(raw[p + 1])
                    p += 2
                elif op == _BININT2:
                    append(raw[p + 1] | raw[p + 2] << 8)
                    p += 3
                else:
                    value, p = _int_at(raw, p)
                    if value is None:
                        return None
                    append(value)
            at, width = deltas, 0
    if p >= size or raw[p] != close:
        return None
    p = _skip_put(raw, p + 1)
    if p >= size:
        return None
    op = raw[p]
    if op == _NONE:
        return HeadLayout(first, width, at, BlockWeights.NONE, 1.0)
    if op == _MARK:
        close, p = _TUPLE, p + 1
        end = p + 2 * n
        if raw[p:p + 1] == b"K":  # Parallax's one-byte int weights
            if end >= size or raw[end] != close or raw[p:end:2] != _OPS1[:n]:
                return None
            return HeadLayout(first, width, at, BlockWeights.BYTES, p)
    elif op == _BINFLOAT and n > 1 and raw[p + 9:p + 10] == b"G":
        close = _TUPLE1 + n - 1 if n <= 3 else -1
    elif op == _BINFLOAT and p + 9 <= size:
        return HeadLayout(first, width, at, BlockWeights.ONE, _DOUBLE.unpack_from(raw, p + 1)[0])
    else:
        return None
    end = p + 9 * n
    if end >= size or raw[end] != close or raw[p:end:9] != _FLOATS[:n]:
        return None
    return HeadLayout(first, width, at, BlockWeights.FLOATS, p)


def _assemble(texts: list[bytes], layouts: list[HeadLayout | Unpickled], sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The ids and weights of every block, gathered from the block heads with a few numpy calls."""
    nblocks = len(sizes)
    n = np.asarray(sizes, dtype=np.int64)
    total = int(n.sum())
    out_start = np.cumsum(n) - n
    ids = np.zeros(total, dtype=np.int64)
    weights = np.ones(total, dtype=np.float64)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=nblocks)
    base = np.cumsum(lens) - lens
    blob = np.frombuffer(b"".join(texts), dtype=np.uint8)
    scanned: list[tuple[int, HeadLayout]] = []
    read_deltas: list[bool] = []
    for k in range(nblocks):
        layout = layouts[k]
        lo = int(out_start[k])
        if isinstance(layout, Unpickled):  # already arrays (ids are absolute)
            ids[lo:lo + sizes[k]] = np.diff(layout.ids, prepend=0)
            weights[lo:lo + sizes[k]] = layout.weights
            continue
        read = not layout.width
        if read:  # deltas of mixed widths, already read
            ids[lo + 1:lo + sizes[k]] = layout.at
            layout = layout._replace(width=1, at=0)
        scanned.append((k, layout))
        read_deltas.append(read)
    if scanned:
        sk = np.asarray([k for k, _ in scanned], dtype=np.int64)
        first, width, at, wkind, wval = (np.asarray(col) for col in zip(*(lay for _, lay in scanned), strict=True))
        ids[out_start[sk]] = first
        rest = n[sk] - 1
        # Blocks whose deltas were read one by one have nothing left to gather.
        rest[np.asarray(read_deltas, dtype=bool)] = 0
        # Deltas: the byte (or little-endian pair) after each opcode, ``width + 1`` bytes apart.
        j = np.arange(int(rest.sum())) - np.repeat(np.cumsum(rest) - rest, rest)
        step = np.repeat(width.astype(np.int64) + 1, rest)
        src = np.repeat(base[sk] + at.astype(np.int64) + 1, rest) + step * j
        delta = blob[src].astype(np.int64)
        wide = step == 3
        delta[wide] |= blob[src[wide] + 1].astype(np.int64) << 8
        ids[np.repeat(out_start[sk] + 1, rest) + j] = delta
        # Weights: one value for the block, or the 8 big-endian bytes after each BINFLOAT.
        one = wkind == BlockWeights.ONE
        weights[np.repeat(out_start[sk[one]], n[sk[one]]) + _ranges(n[sk[one]])] = np.repeat(wval[one], n[sk[one]])
        many = wkind == BlockWeights.FLOATS
        if many.any():
            cnt = n[sk[many]]
            src = np.repeat(base[sk[many]] + wval[many].astype(np.int64) + 1, cnt) + 9 * _ranges(cnt)
            dest = np.repeat(out_start[sk[many]], cnt) + _ranges(cnt)
            # Doubles 9 bytes apart: read through strided views, one per starting offset mod 9.
            phase = src % 9
            for r in np.unique(phase).tolist():
                at_r = phase == r
                view = np.ndarray(((len(blob) - r - 8) // 9 + 1,), dtype=">f8", buffer=blob, offset=r, strides=(9,))
                weights[dest[at_r]] = view[(src[at_r] - r) // 9]
        small = wkind == BlockWeights.BYTES
        if small.any():
            cnt = n[sk[small]]
            src = np.repeat(base[sk[small]] + wval[small].astype(np.int64) + 1, cnt) + 2 * _ranges(cnt)
            weights[np.repeat(out_start[sk[small]], cnt) + _ranges(cnt)] = blob[src]
    # Each block's first id is absolute, the others deltas: a cumulative sum restarted per block.
    csum: np.ndarray = np.cumsum(ids)
    return csum - np.repeat(csum[out_start] - ids[out_start], n), weights


def _ranges(counts: np.ndarray) -> np.ndarray:
    """``0 .. c-1`` for each count ``c``, concatenated."""
    counts = np.asarray(counts, dtype=np.int64)
    out: np.ndarray = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return out


def _int_at(raw: bytes, p: int) -> tuple[int | None, int]:
    """One pickled int at ``p`` and the offset after it (``None`` if it is not one)."""
    size = len(raw)
    op = raw[p] if p < size else 0
    if op == _BININT1 and p + 2 <= size:
        return raw[p + 1], p + 2
    if op == _BININT2 and p + 3 <= size:
        return raw[p + 1] | raw[p + 2] << 8, p + 3
    if op == _BININT and p + 5 <= size:
        return int.from_bytes(raw[p + 1:p + 5], "little", signed=True), p + 5
    return None, p


def _skip_put(raw: bytes, p: int) -> int:
    """Offset after an optional memo put at ``p``."""
    if p < len(raw):
        if raw[p] == _BINPUT:
            return p + 2
        if raw[p] == _LONG_BINPUT:
            return p + 5
    return p


# One decoded block's positions: the count per posting, and the positions.
BlockPositions = tuple[np.ndarray, np.ndarray]


def _blocks_positions(postfile: Any, tp: TermPostings, blocks: list[int]) -> list[BlockPositions]:
    """Positions of every posting of the given blocks: per block, (count per posting, positions)."""
    values: list[bytes] = []
    sizes: list[int] = []
    for k in blocks:
        start, end = int(tp.data[k]), int(tp.ends[k])
        raw = postfile.get(start, end - start)
        if tp.comps[k]:
            raw = zlib.decompress(raw)
        vals = pickle.loads(raw)[2]
        if not isinstance(vals, tuple) or not vals:
            raise Unsupported("values")
        values.extend(vals)
        sizes.append(len(vals))
    lists = _position_deltas(values)
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    # Positions are delta-coded within each posting: a cumulative sum restarted per posting.
    total = np.cumsum(deltas)
    first = np.cumsum(counts) - counts
    base = np.zeros(len(counts), dtype=np.int64)
    some = counts > 0
    base[some] = total[first[some]] - deltas[first[some]]
    positions = total - np.repeat(base, counts)
    cuts = np.cumsum(sizes)[:-1]
    per_block = np.split(counts, cuts)
    pos_cuts = np.cumsum([int(c.sum()) for c in per_block])[:-1]
    return list(zip(per_block, np.split(positions, pos_cuts), strict=True))


def _position_deltas(values: list[bytes]) -> list[list[int]]:
    """The position deltas of each encoded value (Positions format: a count, then a pickled list)."""
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    joined = b"".join(values)
    a = np.frombuffer(joined, dtype=np.uint8)
    ends = np.cumsum(sizes)
    starts = ends - sizes
    # Every value is "count, PROTO 2, <list>, STOP": cut each down to its list opcodes and
    # unpickle them all at once as one list of lists.
    if np.all(sizes > _INT_SIZE + 3) and np.all(a[starts + _INT_SIZE] == _PROTO) \
            and np.all(a[starts + _INT_SIZE + 1] == 2) and np.all(a[ends - 1] == _STOP):
        keep = np.ones(len(a), dtype=bool)
        keep[(starts[:, None] + np.arange(_INT_SIZE + 2)).ravel()] = False
        keep[ends - 1] = False
        lists: list[list[int]] = pickle.loads(b"\x80\x02(" + a[keep].tobytes() + b"l.")
        if len(lists) == len(values):
            return lists
    loads = pickle.loads
    return [loads(v[_INT_SIZE:] if v.endswith(b".") else v[_INT_SIZE:] + b".") for v in values]


def read_positions(leaf: Any, field: str, tp: TermPostings, docs: np.ndarray,
                   cache: LRU[BlockPositions] | None = None, key: Hashable = None) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the term in ``docs`` (sorted segment docnums, all in ``tp.ids``).

    Returns ``(doc, position)`` as two parallel int64 arrays, ordered by document then position.
    ``cache`` keeps decoded blocks between calls under ``key`` (which names the term).
    """
    if type(leaf.schema[field].format) is not Positions:
        raise Unsupported("positions format")
    if not len(docs):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    idx = np.searchsorted(tp.ids, docs)
    blocks = tp.blocks_of(docs)
    postfile = _terms_reader(leaf)._postfile
    wanted = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
    wanted_blocks = blocks[wanted].tolist()
    parts: list[BlockPositions | None] = [cache.get((key, k)) if cache is not None else None
                                          for k in wanted_blocks]
    missing = [i for i, found in enumerate(parts) if found is None]
    if missing:
        decoded = _blocks_positions(postfile, tp, [wanted_blocks[i] for i in missing])
        for i, found in zip(missing, decoded, strict=True):
            parts[i] = found
            if cache is not None:
                cache.put((key, wanted_blocks[i]), found, found[0].nbytes + found[1].nbytes)
    got = [part for part in parts if part is not None]  # every one by now
    counts = np.concatenate([c for c, _ in got])
    positions = np.concatenate([p for _, p in got])
    # Where each wanted block's postings start in ``counts``, and each posting's place there.
    sizes = np.fromiter((len(c) for c, _ in got), dtype=np.int64, count=len(got))
    block_base = np.cumsum(sizes) - sizes
    rank = np.cumsum(np.r_[True, blocks[1:] != blocks[:-1]]) - 1
    sel = block_base[rank] + idx - tp.starts[blocks]
    offsets = np.cumsum(counts) - counts
    n = counts[sel]
    # Gather each selected posting's run of positions.
    run = np.repeat(offsets[sel] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
    return np.repeat(docs.astype(np.int64), n), positions[run]
