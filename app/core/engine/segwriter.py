"""A Whoosh segment writer that builds the postings of analysed text with numpy.

Whoosh's own writer sends every posting through Python several times (a pool tuple, a sort,
a merge of sorted runs, an ``add_posting`` call): about 15 µs per posting, and an article has
about 900 of them. Here a document becomes two arrays (term ids and positions, see
:class:`~app.core.engine.analysis.TermTable`). The tokens held are sorted once and encoded as
posting blocks into a run file (every ``run_tokens`` tokens, and when the segment is
flushed); the flush then writes each term's blocks from all runs one after the other.

The files are Whoosh's W3 format and Whoosh's reader reads them: the same terms, term
statistics, document numbers, weights and positions as Whoosh's writer produces, and for a
segment written in one run the same block boundaries (the tests compare the two). Three
details differ, all within the format: posting values and block data are written with other
valid pickle opcodes; whole weights below 256 are pickled as ints (Whoosh's scorers give the
same scores for 2 as for 2.0, and it is 2 bytes a posting instead of 9); and blocks are
stored uncompressed (each block records its compression). zlib costs 30-90 µs per block
here, more than everything else together.
"""

from __future__ import annotations

import array
import copy
import ctypes
import ctypes.util
import functools
import hashlib
import operator
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from typing import Any, BinaryIO, NamedTuple

import numpy as np
from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3PerDocWriter, _lenfield
from whoosh.fields import DATETIME
from whoosh.formats import Existence, Positions
from whoosh.system import pack_byte, pack_ushort
from whoosh.util.numeric import _length_byte_cache, byte_to_length, length_to_byte

from app.core.engine.analysis import _CJK, _TOKEN, FastText, TermTable, name_analyzer
from app.core.engine.bulkindex import LeanSegmentWriter
from app.core.engine.postings import BlockWeights

# Tokens encoded per step when the postings are written (bounds the flush's extra memory).
_CHUNK_TOKENS = 1 << 18
_TERMINFO = struct.Struct("!BfIBBfII")
_INT = struct.Struct("!i")  # whoosh.system.pack_int
# Terms and posting bytes written per step when runs are merged (bounds its memory).
_MERGE_TERMS = 4096
_MERGE_BYTES = 32 << 20
# Distinct name and date values whose term ids are remembered (see _analysed).
_SMALL_VALUES = 20_000
_KV_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables: key and value lengths
_LENGTH_CACHE = np.asarray(_length_byte_cache, dtype=np.int64)
_PICKLE_LIST = np.frombuffer(b"\x80\x02](", dtype=np.uint8)
_ZERO_POSITION = np.zeros(1, dtype=np.int32)
_ZERO_POSITION.flags.writeable = False


class TermStats(NamedTuple):
    """W3TermInfo's statistics, one array entry per term."""

    weight: np.ndarray
    df: np.ndarray  # document frequency
    minl: np.ndarray  # min and max length byte
    maxl: np.ndarray
    maxw: np.ndarray  # max weight
    minid: np.ndarray  # first and last document
    maxid: np.ndarray

    def part(self, lo: int, hi: int) -> TermStats:
        """The statistics of terms ``lo:hi``."""
        return TermStats(*(a[lo:hi] for a in self))


class SortedPostings(NamedTuple):
    """One field's held tokens sorted by (term text, document, position), as postings."""

    field: Any  # the Whoosh field
    term_ids: np.ndarray  # the term ids in text order
    pterm: np.ndarray  # each posting's term (an index into term_ids), document and frequency
    pdoc: np.ndarray
    freq: np.ndarray
    deltas: np.ndarray  # the position deltas, restarting at each posting
    doc_lb: np.ndarray  # the documents' length bytes


# A chunk of encoded postings: its bytes, where each term starts, and where each term's last
# block's size field is (from the term's start).
Chunk = tuple[bytes, list[int], list[int]]


class _Accumulator:
    """The analysed tokens of one field for the documents of the segment."""

    __slots__ = ("docs", "counts", "ids", "positions")

    def __init__(self) -> None:
        self.docs: list[int] = []
        self.counts: list[int] = []
        self.ids: list[np.ndarray] = []
        self.positions: list[np.ndarray] = []

    def add(self, docnum: int, ids: np.ndarray, positions: np.ndarray) -> None:
        self.docs.append(docnum)
        self.counts.append(len(ids))
        self.ids.append(ids)
        self.positions.append(positions)


def length_bytes(lengths: np.ndarray) -> np.ndarray:
    """Whoosh's one-byte field lengths (``length_to_byte``) for an array of lengths."""
    out = np.searchsorted(_LENGTH_CACHE, lengths, side="left")
    return np.minimum(out, 255).astype(np.uint8)


def _int_items(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pickle opcodes for non-negative ints below 2**31: rows of 5 bytes and their used lengths."""
    n = len(values)
    rows = np.empty((n, 5), dtype=np.uint8)
    small = values < 256
    mid = ~small & (values < 65536)
    rows[:, 0] = np.where(small, ord("K"), np.where(mid, ord("M"), ord("J")))
    rows[:, 1:] = values.astype("<u4").view(np.uint8).reshape(n, 4)
    lens = np.where(small, 2, np.where(mid, 3, 5)).astype(np.uint8)
    return rows, lens


def _flatten(rows: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The first ``lens[i]`` bytes of every row, concatenated."""
    keep = np.arange(rows.shape[1], dtype=np.uint8) < lens[:, None]
    return rows.reshape(-1)[keep.reshape(-1)]


def _offsets(lens: np.ndarray) -> np.ndarray:
    out = np.zeros(len(lens) + 1, dtype=np.int64)
    np.cumsum(lens, out=out[1:], dtype=np.int64)
    return out


def _values_stream(freq: np.ndarray, deltas: np.ndarray) -> tuple[bytes, list[int]]:
    """Every posting's value as a pickled ``bytes`` item, and the offset where each one starts.

    A value is Whoosh's Positions encoding: the frequency (4 bytes) and the pickled list of
    position deltas.
    """
    npost, ntok = len(freq), len(deltas)
    tok_rows, tok_lens = _int_items(deltas)
    tokstart = np.zeros(npost, dtype=np.int64)
    np.cumsum(freq[:-1], out=tokstart[1:])
    vlen = 10 + np.add.reduceat(tok_lens, tokstart, dtype=np.int64)
    short = vlen <= 255
    pre = np.zeros((npost, 13), dtype=np.uint8)
    fbytes = freq.astype(">u4").view(np.uint8).reshape(npost, 4)
    # SHORT_BINBYTES (C, 1-byte length) or BINBYTES (B, 4-byte length), then the value's head.
    pre[:, 0] = np.where(short, ord("C"), ord("B"))
    lbytes = vlen.astype("<u4").view(np.uint8).reshape(npost, 4)
    pre[short, 1] = lbytes[short, 0]
    pre[short, 2:6] = fbytes[short]
    pre[short, 6:10] = _PICKLE_LIST
    long_ = ~short
    pre[long_, 1:5] = lbytes[long_]
    pre[long_, 5:9] = fbytes[long_]
    pre[long_, 9:13] = _PICKLE_LIST
    items = np.zeros((ntok + 2 * npost, 13), dtype=np.uint8)
    ilen = np.empty(ntok + 2 * npost, dtype=np.uint8)
    first = tokstart + 2 * np.arange(npost)
    items[first] = pre
    ilen[first] = np.where(short, 10, 13)
    tok_at = np.arange(ntok) + 2 * np.repeat(np.arange(npost), freq) + 1
    items[tok_at, :5] = tok_rows
    ilen[tok_at] = tok_lens
    end = first + 1 + freq
    items[end, 0] = ord("e")  # APPENDS
    items[end, 1] = ord(".")
    ilen[end] = 2
    offsets = _offsets(ilen)
    starts = offsets[first].tolist()
    starts.append(int(offsets[-1]))
    return _flatten(items, ilen).tobytes(), starts


# A term's row in the term index: W3TermInfo (flags, weight, document frequency, min and max
# length bytes, max weight, first and last document; struct "!BfIBBfII"), then the posting
# list's offset and length (pack_long, pack_int).
_TERM_ROW = np.dtype([("flags", "u1"), ("weight", ">f4"), ("df", ">u4"), ("minl", "u1"),
                      ("maxl", "u1"), ("maxw", ">f4"), ("minid", ">u4"), ("maxid", ">u4"),
                      ("offset", ">i8"), ("length", ">i4")])
_HASH_SLOT = np.dtype([("hash", ">u4"), ("pos", ">i8")])  # whoosh.filedb.filetables._pointer
_MAGIC = np.frombuffer(WHOOSH3_HEADER_MAGIC, dtype=np.uint8)
_md5 = functools.partial(hashlib.md5, usedforsecurity=False)
_digest = operator.methodcaller("digest")


def _add_terms(tindex: Any, keys: list[bytes], stats: TermStats, offsets: np.ndarray,
               lengths: np.ndarray) -> None:
    """``OrderedHashWriter.add`` for many keys at once; the records are the same bytes.

    ``stats`` are the W3TermInfo statistics by key (weight, document frequency, min and max
    length byte, max weight, first and last document); ``offsets`` and ``lengths`` place each
    key's posting list. The hashes (md5, the writer's hash type) are kept as arrays for
    :func:`_write_hash_tables`: one Python tuple per key in Whoosh's buckets cost more than
    writing the key.
    """
    n = len(keys)
    if not n:
        return
    if keys[0] <= tindex.lastkey or not all(map(operator.lt, keys, keys[1:])):
        raise ValueError(f"keys must increase: {tindex.lastkey!r}..{keys[0]!r}")
    weight, df, minl, maxl, maxw, minid, maxid = stats
    rows = np.zeros(n, dtype=_TERM_ROW)
    rows["weight"], rows["df"], rows["minl"], rows["maxl"] = weight, df, minl, maxl
    rows["maxw"], rows["minid"], rows["maxid"] = maxw, minid, maxid
    rows["offset"], rows["length"] = offsets, lengths
    vsize = _TERM_ROW.itemsize
    klen = np.fromiter(map(len, keys), dtype=np.int64, count=n)
    local = _offsets(klen + (_KV_LENGTHS.size + vsize))
    blob = np.empty(int(local[-1]), dtype=np.uint8)
    heads = np.empty((n, 2), dtype=">i4")
    heads[:, 0], heads[:, 1] = klen, vsize
    at_head = local[:-1, None] + np.arange(_KV_LENGTHS.size)
    at_value = (local[:-1] + _KV_LENGTHS.size + klen)[:, None] + np.arange(vsize)
    is_key = np.ones(len(blob), dtype=bool)
    is_key[at_head] = False
    is_key[at_value] = False
    blob[at_head] = heads.view(np.uint8).reshape(n, _KV_LENGTHS.size)
    blob[at_value] = rows.view(np.uint8).reshape(n, vsize)
    blob[is_key] = np.frombuffer(b"".join(keys), dtype=np.uint8)
    dbfile = tindex.dbfile
    positions = local[:-1] + dbfile.tell()
    dbfile.write(blob.data)
    index = tindex.index  # a GrowableArray: widened first when the positions need it
    last = int(positions[-1])
    if isinstance(index.array, array.array):
        try:
            array.array(index.array.typecode, [last])
        except OverflowError:
            index._retype(last)
    index.array.extend(positions.tolist())
    # md5_hash: the digest's last four bytes, big-endian.
    digests = np.frombuffer(b"".join(map(_digest, map(_md5, keys))), dtype=">u4").reshape(n, 4)
    tindex._array_hashes.append((digests[:, 3].astype(np.uint64), positions))
    tindex.lastkey = keys[-1]


def _write_hash_tables(tindex: Any) -> None:  # Whoosh's OrderedHashWriter
    """``HashWriter._write_hashes`` for keys added by :func:`_add_terms` and by Whoosh.

    The same 256 tables of twice as many slots as keys, each key in the first free slot from
    ``(hash >> 8) % slots`` on, so Whoosh's reader finds every key; keys that want one slot
    are placed in another order than Whoosh's, which the reader does not depend on.
    """
    hashes = [h for h, _p in tindex._array_hashes]
    places = [p for _h, p in tindex._array_hashes]
    for entries in tindex.buckets:
        if entries:
            hashes.append(np.array([h for h, _p in entries], dtype=np.uint64))
            places.append(np.array([p for _h, p in entries], dtype=np.int64))
    h = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
    pos = np.concatenate(places) if places else np.zeros(0, dtype=np.int64)
    bucket = (h & np.uint64(255)).astype(np.int64)
    nslots = 2 * np.bincount(bucket, minlength=256)
    base = _offsets(nslots)
    table = np.zeros(int(base[-1]), dtype=_HASH_SLOT)
    if len(h):
        size = nslots[bucket]
        slot = ((h >> np.uint64(8)) % size.astype(np.uint64)).astype(np.int64)
        filled = np.zeros(len(table), dtype=bool)
        pending = np.arange(len(h))
        while len(pending):
            at = base[bucket[pending]] + slot[pending]
            free = ~filled[at]
            won, first = np.unique(at[free], return_index=True)
            winners = pending[free][first]
            filled[won] = True
            table["hash"][won] = h[winners]
            table["pos"][won] = pos[winners]
            placed = np.zeros(len(h), dtype=bool)
            placed[winners] = True
            pending = pending[~placed[pending]]
            slot[pending] = (slot[pending] + 1) % size[pending]
    dbfile = tindex.dbfile
    start = dbfile.tell()
    tindex.directory.extend(zip((start + _HASH_SLOT.itemsize * base[:-1]).tolist(), nslots.tolist(),
                                strict=True))
    dbfile.write(table.tobytes())


def _with_headers(data: bytes, term_off: np.ndarray, last_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Encoded terms (:func:`_encode_postings` chunks) as posting lists: each one headed by
    Whoosh's magic, its last block marked final (a negative size). Returns the bytes and
    where each term starts in them."""
    src = np.frombuffer(data, dtype=np.uint8)
    k = len(term_off)
    start = term_off + 4 * np.arange(k)
    out = np.empty(len(src) + 4 * k, dtype=np.uint8)
    heads = start[:, None] + np.arange(4)
    body = np.ones(len(out), dtype=bool)
    body[heads] = False
    out[body] = src
    out[heads] = _MAGIC
    sizes = (start + 4 + last_off)[:, None] + np.arange(4)
    out[sizes] = (-out[sizes].view(">i4")).astype(">i4").view(np.uint8)  # arithmetic is native-endian
    return out, start


class ArraySegmentWriter(LeanSegmentWriter):
    """A segment writer whose indexed fields go through numpy arrays instead of Whoosh's pool.

    :class:`FastText` fields are analysed by the term table; other fields with positions
    (names) and unboosted fields without (ids, dates: Whoosh's Existence format) by their
    own analyzer, remembered per repeated value. Fields of other formats still go through
    Whoosh's pool. Per-document, per-field and per-token boosts are not supported (Parallax
    uses none). :attr:`tokens` counts the analysed tokens held in memory,
    :attr:`segment_tokens` all those of the segment. With ``run_tokens`` the held tokens are
    set aside as a sorted run on disk whenever they reach that many, which bounds the memory
    however large the segment grows.
    """

    def __init__(self, ix: Any, table: TermTable | None = None, *, run_tokens: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        # A table handed on from the previous segment keeps its analysed tokens warm.
        self.table = table if table is not None else TermTable()
        self.tokens = 0
        self.segment_tokens = 0
        # Past this many held tokens they are sorted, encoded and set aside on disk (a run).
        self.run_tokens = run_tokens
        self._acc: dict[str, _Accumulator] = {}
        self._encoded: dict[tuple[str, object], tuple[np.ndarray, np.ndarray]] = {}
        self._runs: dict[str, list[_Run]] = {}
        # Next to the index (a system temp folder may be in memory); the files are anonymous.
        self._run_dir = getattr(self.storage, "folder", None) or None
        self._blocklimit = int(getattr(self.codec, "_blocklimit", 128))
        if getattr(self.codec, "_inlinelimit", 1) > 1:
            raise ValueError("ArraySegmentWriter needs a codec that does not inline postings")
        # Fields Whoosh writes here (other formats, boosted fields) get uncompressed blocks
        # too: zlib cost more per block than the rest of writing it.
        codec = getattr(self.fieldwriter, "_codec", None)
        if getattr(codec, "_compression", 0):
            self.fieldwriter._codec = copy.copy(codec)
            self.fieldwriter._codec._compression = 0
        plain = {name for name, field in self.schema.items()
                 if field.indexed and not field.vector and not field.separate_spelling()}
        # Positions fields: the FastText ones are encoded by the term table, others (names) by
        # their analyzer. Existence fields (ids, dates) hold no positions: each term counts
        # once; NUMERIC gives every such posting weight 1.0, so only an unboosted one is taken.
        self._arrays = {
            name for name in plain
            if type(self.schema[name].format) is Positions and self.schema[name].scorable
        }
        self._existence = {
            name for name in plain
            if type(self.schema[name].format) is Existence and not self.schema[name].scorable
            and self.schema[name].format.field_boost == 1.0
        }
        self._arrays |= self._existence
        if type(self.perdocwriter) is W3PerDocWriter:
            self.perdocwriter.add_field = self._record_w3()
        # The term index's hash tables are written from arrays (see _add_terms).
        tindex = self.fieldwriter._tindex
        tindex._array_hashes = []
        tindex._write_hashes = functools.partial(_write_hash_tables, tindex)
        # Existence fields whose one term is the value itself (IDs): no analyzer run per document.
        self._whole = {name for name in self._existence
                       if type(getattr(self.schema[name], "analyzer", None)) is IDTokenizer}
        # Names and dates whose terms _quick makes itself (Parallax's name analyzer, Whoosh's
        # DATETIME with tiers).
        names = name_analyzer()
        self._names = {name for name in self._arrays - self._existence
                       if not isinstance(self.schema[name], FastText)
                       and getattr(self.schema[name], "analyzer", None) == names}
        self._dates = {name for name in self._existence
                       if type(self.schema[name]) is DATETIME and self.schema[name].shift_step}

    def _record_w3(self) -> Any:
        """``W3PerDocWriter.add_field`` plus the length bookkeeping of
        :class:`~app.core.engine.bulkindex.LeanSegmentWriter`, with each field's length column writer
        looked up once: through Whoosh's layers that was four calls a field a document, 2 % of
        a short load. The columns get the same values."""
        perdoc = self.perdocwriter
        known = self._lengths.known
        colwriters, fieldlengths = perdoc._colwriters, perdoc._fieldlengths
        lencols: dict[str, Any] = {}
        quantised: dict[int, tuple[int, int]] = {}  # length -> (length byte, length read back)

        def record(fieldname: str, fieldobj: Any, value: Any, length: int) -> None:
            if value is not None:
                perdoc._storedfields[fieldname] = value
            if length:
                found = quantised.get(length)
                if found is None:
                    lb = length_to_byte(length)
                    found = quantised[length] = (lb, byte_to_length(lb))
                lengths = known.get(fieldname)
                if lengths is None:
                    lengths = known[fieldname] = {}
                lengths[self.docnum] = found[1]
                column = lencols.get(fieldname)
                if column is None:
                    name = _lenfield(fieldname)
                    if name not in colwriters:
                        perdoc._create_column(name, LENGTHS_COLUMN)
                    column = lencols[fieldname] = colwriters[name]
                column.add(perdoc._docnum, found[0])
                fieldlengths[fieldname] += length

        return record

    def add_document(self, **fields: Any) -> None:
        """Add one document (the fields of :func:`~app.core.engine.index.document_for`)."""
        if any(name.startswith("_") for name in fields):
            raise ValueError("boosts and _stored_ values are not supported here")
        self._check_state()
        schema = self.schema
        perdoc = self.perdocwriter
        docnum = self.docnum
        add_post = self.pool.add
        names = sorted(fields)
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                encoded = None
                if name in self._arrays:
                    if isinstance(field, FastText):
                        encoded = self.table.encode(value) if isinstance(value, str) else None
                    else:
                        encoded = self._analysed(name, field, value)
                if encoded is not None:
                    ids, positions = encoded
                    if len(ids):
                        acc = self._acc.get(name)
                        if acc is None:
                            acc = self._acc[name] = _Accumulator()
                        acc.add(docnum, ids, positions)
                        self.tokens += len(ids)
                        self.segment_tokens += len(ids)
                    length = len(ids) if name not in self._existence else 0
                elif field.indexed:
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        add_post((name, tbytes, docnum, weight, vbytes))
                perdoc.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdoc.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1
        if self.run_tokens is not None and self.tokens >= self.run_tokens:
            self.spill()

    def _term_codec(self, name: str) -> str:
        """How the field's term bytes are held as table strings: Latin-1 keeps any bytes (dates
        are binary) and sorts them as bytes; text terms are UTF-8."""
        return "latin-1" if name in self._existence else "utf-8"

    def _analysed(self, name: str, field: Any, value: object) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, positions) of a value of a field the term table does not analyse (names,
        ids, dates).

        Built from ``field.index(value)``, so the terms, counts and positions are Whoosh's;
        an Existence field's terms get one dummy position each.
        """
        if name in self._whole and isinstance(value, str):
            # IDTokenizer's one token is the value, as UTF-8 bytes (held as Latin-1, see _term_codec).
            return (np.array([self.table.term_id(value.encode("utf-8").decode("latin-1"))], dtype=np.int32),
                    _ZERO_POSITION)
        key = (name, value)
        cached = not field.unique and isinstance(value, (str, int, float, date))
        found = self._encoded.get(key) if cached else None
        if found is not None:
            return found
        quick = self._quick(name, field, value)
        if quick is not None:
            term_id = self.table.term_id
            found = (np.fromiter(map(term_id, quick[0]), dtype=np.int32, count=len(quick[0])), quick[1])
            if cached:
                if len(self._encoded) >= _SMALL_VALUES:
                    self._encoded.clear()
                self._encoded[key] = found
            return found
        existence = name in self._existence
        fmt = field.format
        boost = fmt.field_boost
        ids: list[int] = []
        positions: list[int] = []
        term_id = self.table.term_id
        codec = self._term_codec(name)
        for tbytes, _freq, weight, vbytes in field.index(value):
            poses = [0] if existence else fmt.decode_positions(vbytes)
            if weight != len(poses) * boost or poses != sorted(poses):
                # The arrays hold weights as frequencies times the field boost, positions in order.
                raise ValueError(f"field {name!r}: boosted or unordered tokens are not supported here")
            ids.extend([term_id(tbytes.decode(codec))] * len(poses))
            positions.extend(poses)
        # Whoosh's field length counts tokens; the arrays are grouped by term, which keeps it.
        found = (np.asarray(ids, dtype=np.int32), np.asarray(positions, dtype=np.int32))
        if cached:
            if len(self._encoded) >= _SMALL_VALUES:
                self._encoded.clear()
            self._encoded[key] = found
        return found

    def _quick(self, name: str, field: Any, value: object) -> tuple[list[str], np.ndarray] | None:
        """(term strings, positions) of a name or a date as ``field.index(value)`` makes them,
        without Whoosh's analyzer chain; None for other fields and values.

        Names and dates are mostly distinct in a small corpus: through Whoosh, a date cost
        70 µs (eight tiers, each converted again) and a name 100 µs, a tenth of a short
        article's load. Tokens are in text order, not grouped by term: the postings are
        sorted by term, then position, either way (tests compare the postings with Whoosh's).
        """
        if name in self._names and isinstance(value, str) and not _CJK.search(value):
            # name_analyzer: the regex tokens, lowercased (CJKBigramFilter leaves others as they are).
            terms = [t.lower() for t in _TOKEN.findall(value)]
            return terms, np.arange(len(terms), dtype=np.int32)
        if name in self._dates and type(value) is datetime:
            # NUMERIC.index: one term per tier, the shift byte then the sortable value shifted.
            first = field.to_bytes(value, 0)
            sortable = field._struct.unpack(first[1:])[0]
            pack = field._struct.pack
            tiers = [first] + [pack_byte(shift) + pack(sortable >> shift)
                               for shift in range(field.shift_step, field.bits, field.shift_step)]
            return [t.decode("latin-1") for t in tiers], np.zeros(len(tiers), dtype=np.int32)
        return None

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        self._lengths.fallback = pdr
        lengths = self._lengths if pdr else None
        fw = self.fieldwriter
        pending = sorted(set(self._acc) | set(self._runs))
        for name, items in groupby(self.pool.iter_postings(), key=itemgetter(0)):
            while pending and pending[0] < name:
                self._write_arrays(pending.pop(0))
            if name in self._arrays:
                # Postings of merged segments (add_reader) join the arrays.
                self._absorb(name, items)
                if pending and pending[0] == name:
                    pending.pop(0)
                if name in self._acc or name in self._runs:
                    self._write_arrays(name)
                continue
            fw.add_postings(self.schema, lengths, items)
        for name in pending:
            self._write_arrays(name)
        fw.close()
        if pdr:
            pdr.close()

    def _absorb(self, name: str, items: Iterable[tuple[str, bytes, int, float, bytes | None]]) -> None:
        """Add pool postings of an array field (from merged segments) to its arrays.

        ``add_reader`` numbers merged documents after every added one, and the pool yields
        them by term, then document; regrouped by document they extend the arrays in order.
        """
        fmt = self.schema[name].format
        term_id = self.table.term_id
        existence = name in self._existence
        codec = self._term_codec(name)
        by_doc: dict[int, tuple[list[int], list[int]]] = {}
        for _, btext, docnum, _weight, vbytes in items:
            poses = [0] if existence else fmt.decode_positions(vbytes)
            ids, positions = by_doc.setdefault(docnum, ([], []))
            ids.extend([term_id(btext.decode(codec))] * len(poses))
            positions.extend(poses)
        if not by_doc:
            return
        acc = self._acc.get(name)
        if acc is None:
            acc = self._acc[name] = _Accumulator()
        if acc.docs and min(by_doc) <= acc.docs[-1]:
            raise RuntimeError("merged documents must follow the added ones")
        for docnum in sorted(by_doc):
            ids, positions = by_doc[docnum]
            acc.add(docnum, np.asarray(ids, dtype=np.int32), np.asarray(positions, dtype=np.int32))

    # ------------------------------------------------------------------ postings

    def _sorted(self, name: str) -> SortedPostings:
        """Sort the field's held tokens by (term text, document, position), as postings."""
        acc = self._acc.pop(name)
        field = self.schema[name]
        terms = self.table.terms
        counts = np.asarray(acc.counts, dtype=np.int64)
        docs = np.asarray(acc.docs, dtype=np.int64)
        doc_lb = np.zeros(self.docnum + 1, dtype=np.uint8)
        if name not in self._existence:  # Whoosh records no field lengths for those postings
            doc_lb[docs] = length_bytes(counts)
        tids = np.concatenate(acc.ids)
        acc.ids = []
        present = np.flatnonzero(np.bincount(tids, minlength=len(terms)))
        # Python orders str by code point, which is the UTF-8 byte order Whoosh's keys need.
        order = sorted(range(len(present)), key=[terms[i] for i in present.tolist()].__getitem__)
        rank = np.zeros(len(terms), dtype=np.int32)
        rank[present[order]] = np.arange(len(order), dtype=np.int32)
        term_ids = present[order].astype(np.int32)
        del order, present
        ranks = rank[tids]
        del tids, rank
        o = _stable_order(ranks, len(term_ids))
        ranks = ranks[o]
        tokdoc = np.repeat(docs.astype(np.int32), counts)[o]
        positions = np.concatenate(acc.positions)
        acc.positions = []
        positions = positions[o]
        del o
        n = len(ranks)
        brk = np.ones(n, dtype=bool)
        np.not_equal(ranks[1:], ranks[:-1], out=brk[1:])
        brk[1:] |= tokdoc[1:] != tokdoc[:-1]
        pstart = np.flatnonzero(brk)
        del brk
        pterm = ranks[pstart]
        del ranks
        pdoc = tokdoc[pstart]
        del tokdoc
        # Positions become deltas, restarting at each posting.
        deltas = np.empty_like(positions)
        deltas[0] = positions[0]
        np.subtract(positions[1:], positions[:-1], out=deltas[1:])
        deltas[pstart] = positions[pstart]
        del positions
        freq = np.diff(np.append(pstart, n)).astype(np.int32)
        del pstart
        return SortedPostings(field, term_ids, pterm, pdoc, freq, deltas, doc_lb)

    def _write_arrays(self, name: str) -> None:
        """Write the field's postings: the tokens still held become a last run, then the runs
        are merged (one run is written out as it is)."""
        if name not in self._runs:
            self._write_direct(name)
            return
        if name in self._acc:
            self._spill_field(name)
        runs = self._runs.pop(name)
        try:
            self._merge_runs(name, runs)
        finally:
            for r in runs:  # closed on failure too (disk full): the anonymous run files go at once
                r.file.close()

    def _write_direct(self, name: str) -> None:
        """Write the field's held tokens as its postings, with no run set aside before (a
        segment of one run: no temporary file, read back and copied term by term)."""
        field, term_ids, pterm, pdoc, freq, deltas, doc_lb = self._sorted(name)
        stats, chunks = _encode_postings(field, pterm, pdoc, freq, deltas, doc_lb, self._blocklimit,
                                         values=name not in self._existence)
        del pterm, pdoc, freq, deltas
        fw = self.fieldwriter
        fw.start_field(name, field)
        prefix = pack_ushort(fw._fieldid)
        codec = self._term_codec(name)
        terms = self.table.terms
        postfile = fw._postfile
        t = 0
        for data, term_off, last_off in chunks:
            out, starts = _with_headers(data, np.asarray(term_off, dtype=np.int64),
                                        np.asarray(last_off, dtype=np.int64))
            base = postfile.tell()
            postfile.write(out.data)
            t_end = t + len(starts)
            _add_terms(fw._tindex, [prefix + terms[i].encode(codec) for i in term_ids[t:t_end].tolist()],
                       stats.part(t, t_end), base + starts, np.diff(np.append(starts, len(out))))
            t = t_end
        fw.finish_field()

    # ------------------------------------------------------------------ sorted runs

    def spill(self) -> None:
        """Encode the held tokens as sorted runs on disk, to be merged into this segment's postings."""
        for name in sorted(self._acc):
            self._spill_field(name)
        self.tokens = 0
        _trim_heap()

    def _spill_field(self, name: str) -> None:
        field, term_ids, pterm, pdoc, freq, deltas, doc_lb = self._sorted(name)
        stats, chunks = _encode_postings(field, pterm, pdoc, freq, deltas, doc_lb, self._blocklimit,
                                         values=name not in self._existence)
        del pterm, pdoc, freq, deltas
        f = tempfile.TemporaryFile(dir=self._run_dir)  # noqa: SIM115 - kept open for the merge
        starts, lasts = [], []
        size = 0
        for data, term_off, last_off in chunks:
            f.write(data)
            starts.append(np.asarray(term_off, dtype=np.int64) + size)
            lasts.extend(last_off)
            size += len(data)
        f.flush()
        starts.append(np.asarray([size], dtype=np.int64))
        # Runs are held until the segment is written, a few dozen bytes for each term of each:
        # narrow types halve that (hundreds of megabytes by the end of a large load).
        weight, df, minl, maxl, maxw, first_id, last_id = stats
        compact = TermStats(weight, df.astype(np.int32), minl.astype(np.uint8), maxl.astype(np.uint8),
                   maxw.astype(np.float32), first_id.astype(np.int32), last_id.astype(np.int32))
        self._runs.setdefault(name, []).append(
            _Run(term_ids, np.concatenate(starts), _narrow(np.asarray(lasts, dtype=np.int64)), compact, f))

    def _merge_runs(self, name: str, runs: list[_Run]) -> None:
        """Write the field's postings from its runs: each term's pieces in run (document) order.

        A run holds each of its terms' postings as whole blocks, none marked final; a term's
        posting list is the concatenation of its pieces, with its very last block marked
        final. Term statistics are added up (weights are sums of integer frequencies, exact
        in any order).
        """
        field = self.schema[name]
        terms = self.table.terms
        order = sorted(np.unique(np.concatenate([r.terms for r in runs])).tolist(), key=terms.__getitem__)
        nterms = len(order)
        rank = np.zeros(len(terms), dtype=np.int64)
        rank[order] = np.arange(nterms)
        # Statistics by term, added up run by run (a run holds a term once): memory by term,
        # not by piece.
        ranks = [rank[r.terms] for r in runs]
        del rank
        term_bytes = np.full(nterms, 4, dtype=np.int64)  # the posting-list header, then the pieces
        weight, df = np.zeros(nterms), np.zeros(nterms, dtype=np.int64)
        minl, maxl = np.full(nterms, 255, dtype=np.int64), np.zeros(nterms, dtype=np.int64)
        maxw = np.zeros(nterms)
        minid, maxid = np.full(nterms, -1, dtype=np.int64), np.zeros(nterms, dtype=np.int64)
        for r, rr in zip(runs, ranks, strict=True):
            w, n, lo_l, hi_l, mw, first_id, last_id = r.stats
            term_bytes[rr] += np.diff(r.bounds)
            weight[rr] += w
            df[rr] += n
            minl[rr] = np.minimum(minl[rr], lo_l)
            maxl[rr] = np.maximum(maxl[rr], hi_l)
            maxw[rr] = np.maximum(maxw[rr], mw)
            unset = minid[rr] < 0
            minid[rr[unset]] = first_id[unset]
            maxid[rr] = last_id  # runs follow each other: the last one holding the term wins
        fw = self.fieldwriter
        fw.start_field(name, field)
        prefix = pack_ushort(fw._fieldid)
        postfile = fw._postfile
        fds = [r.file.fileno() for r in runs]
        codec = self._term_codec(name)
        # Steps of whole terms and about _MERGE_BYTES of postings, read run by run with one
        # contiguous read each (a run holds its terms in the same order). The pieces of a
        # step are listed only for that step: for every term of every run at once they would
        # take hundreds of megabytes.
        bounds = _steps(term_bytes, _MERGE_BYTES, _MERGE_TERMS)
        for t, t_end in zip(bounds[:-1], bounds[1:], strict=True):
            spans = [np.searchsorted(rr, [t, t_end]).tolist() for rr in ranks]
            pr = np.concatenate([rr[a:b] for rr, (a, b) in zip(ranks, spans, strict=True)])
            prun = np.concatenate([np.full(b - a, k, dtype=np.int64) for k, (a, b) in enumerate(spans)])
            pstart = np.concatenate([r.bounds[a:b] for r, (a, b) in zip(runs, spans, strict=True)])
            pend = np.concatenate([r.bounds[a + 1:b + 1] for r, (a, b) in zip(runs, spans, strict=True)])
            plast = np.concatenate([r.lasts[a:b] for r, (a, b) in zip(runs, spans, strict=True)]).astype(np.int64)
            o = np.lexsort((prun, pr))
            pr, step_runs, pstart, pend, plast = pr[o], prun[o], pstart[o], pend[o], plast[o]
            plen = pend - pstart
            gstart = np.flatnonzero(np.r_[True, pr[1:] != pr[:-1]])
            gend = np.append(gstart[1:], len(pr))
            lo = {k: int(r.bounds[a]) for k, (r, (a, b)) in enumerate(zip(runs, spans, strict=True)) if b > a}
            views = {k: memoryview(os.pread(fds[k], int(runs[k].bounds[spans[k][1]]) - lo[k], lo[k]))
                     for k in lo}
            prun_l, plen_l = step_runs.tolist(), plen.tolist()
            pstart_l, plast_l = pstart.tolist(), plast.tolist()
            gstart_l, gend_l = gstart.tolist(), gend.tolist()
            buf = bytearray(int(term_bytes[t:t_end].sum()))
            pos = 0
            term_off: list[int] = []
            for g in range(t_end - t):
                term_off.append(pos)
                buf[pos:pos + 4] = WHOOSH3_HEADER_MAGIC
                pos += 4
                for i in range(gstart_l[g], gend_l[g]):
                    k = prun_l[i]
                    start = pstart_l[i] - lo[k]
                    n = plen_l[i]
                    buf[pos:pos + n] = views[k][start:start + n]
                    pos += n
                # Runs mark no block final: the term's last block is its last piece's last one.
                at = pos - plen_l[i] + plast_l[i]
                _INT.pack_into(buf, at, -_INT.unpack_from(buf, at)[0])
            term_off.append(pos)
            del views
            base = postfile.tell()
            postfile.write(buf)
            del buf
            offsets = np.asarray(term_off, dtype=np.int64)
            _add_terms(fw._tindex, [prefix + terms[order[g]].encode(codec) for g in range(t, t_end)],
                       TermStats(weight, df, minl, maxl, maxw, minid, maxid).part(t, t_end),
                       base + offsets[:-1], np.diff(offsets))
        fw.finish_field()
        for r in runs:
            r.file.close()

    def cancel(self) -> None:
        """Drop the held tokens and runs, then Whoosh's cancel."""
        for runs in self._runs.values():
            for r in runs:
                r.file.close()
        self._runs.clear()
        self._acc.clear()
        super().cancel()


class _Run:
    """One field's postings from a run of documents, encoded as blocks in a temporary file.

    ``terms`` are term ids in text order; term ``k``'s blocks are the bytes
    ``bounds[k]:bounds[k + 1]``, the size field of its final block ``lasts[k]`` bytes into
    them; ``stats`` are the term statistics (weight, document frequency, min and max length
    bytes, max weight, first and last document).
    """

    __slots__ = ("terms", "bounds", "lasts", "stats", "file")

    def __init__(self, terms: np.ndarray, bounds: np.ndarray, lasts: np.ndarray, stats: TermStats,
                 file: BinaryIO) -> None:
        self.terms, self.bounds, self.lasts, self.stats, self.file = terms, bounds, lasts, stats, file


def _narrow(values: np.ndarray) -> np.ndarray:
    """Non-negative ``values`` as uint32 when they fit."""
    return values.astype(np.uint32) if not len(values) or int(values.max()) < 1 << 32 else values


def _trim_heap() -> None:
    """Hand freed heap memory back to the system.

    glibc keeps freed blocks under 32 MB in the process heap, so after sorting a run a
    worker would stay hundreds of megabytes larger than what it uses.
    """
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - only glibc has it
        except (OSError, AttributeError):
            _LIBC = False
    if isinstance(_LIBC, ctypes.CDLL):
        _LIBC.malloc_trim(0)


_LIBC: ctypes.CDLL | bool | None = None  # libc once looked up (False: no malloc_trim here)


def _stable_order(keys: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for non-negative int keys below ``bound``.

    numpy sorts keys of 16 bits or fewer with a radix sort; wider keys take a merge sort
    several times slower. Two stable 16-bit passes (low half, then high half) give the same
    order.
    """
    if bound <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if bound > 1 << 32:
        return np.argsort(keys, kind="stable")
    o = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    return o[np.argsort((keys[o] >> 16).astype(np.uint16), kind="stable")]


def _steps(sizes: np.ndarray, max_bytes: int, max_items: int) -> list[int]:
    """Boundaries cutting ``sizes`` into runs of at most ``max_items`` items and about
    ``max_bytes`` (at least one item each)."""
    ends = np.cumsum(sizes)
    bounds = [0]
    n = len(sizes)
    while bounds[-1] < n:
        t = bounds[-1]
        base = int(ends[t - 1]) if t else 0
        cut = int(np.searchsorted(ends, base + max_bytes, side="right"))
        bounds.append(min(n, t + max_items, max(t + 1, cut)))
    return bounds


def _encode_postings(field: Any, pterm: np.ndarray, pdoc: np.ndarray, freq: np.ndarray,
                     deltas: np.ndarray, doc_lb: np.ndarray, bl: int, *,
                     values: bool = True) -> tuple[TermStats, Iterator[Chunk]]:
    """Whoosh W3 posting blocks of sorted postings: (term statistics, chunks).

    With ``values=False`` (an Existence field) blocks hold no values (``None``, as Whoosh
    writes them) and ``deltas`` are not read.

    Statistics are arrays by term: weight, document frequency, min and max length byte, max
    weight, first and last document. Chunks are ``(bytes, offsets, last offsets)`` for about
    :data:`_CHUNK_TOKENS` tokens of whole terms: each term's blocks start at its offset, the
    size field of its last block is at its last offset (relative to the term's start). No
    block is marked final and no posting-list header is written: :meth:`_merge_runs` does both.
    """
    boost = float(field.format.field_boost)
    npost = len(pdoc)
    tfirst = np.flatnonzero(np.r_[True, pterm[1:] != pterm[:-1]])
    tend = np.append(tfirst[1:], npost)
    df = tend - tfirst
    # Blocks: every term's postings in runs of at most ``bl``.
    nb = (df + bl - 1) // bl
    bterm = np.repeat(np.arange(len(tfirst)), nb)
    first_block = np.zeros(len(tfirst), dtype=np.int64)
    np.cumsum(nb[:-1], out=first_block[1:])
    bstart = tfirst[bterm] + (np.arange(len(bterm)) - first_block[bterm]) * bl
    bend = np.minimum(bstart + bl, tend[bterm])
    w32 = (freq * boost).astype(np.float32)
    plb = doc_lb[pdoc]
    # Per term: Whoosh's W3TermInfo statistics.
    stats = TermStats(np.add.reduceat(w32, tfirst, dtype=np.float64),
             df.astype(np.int64),
             np.minimum.reduceat(plb, tfirst).astype(np.int64),
             np.maximum.reduceat(plb, tfirst).astype(np.int64),
             np.maximum.reduceat(freq, tfirst) * boost,
             pdoc[tfirst].astype(np.int64),
             pdoc[tend - 1].astype(np.int64))
    # Per block: the info tuple and how its weights are minified.
    b_n = bend - bstart
    b_last = pdoc[bend - 1].astype(np.int64)
    b_maxw = np.maximum.reduceat(freq, bstart) * boost
    b_minl = np.minimum.reduceat(plb, bstart)
    b_maxl = np.maximum.reduceat(plb, bstart)
    del plb
    wmin = np.minimum.reduceat(w32, bstart)
    wmax = np.maximum.reduceat(w32, bstart)
    # Whole weights below 256 (every weight when the boost is whole: frequencies times it) are
    # written as one-byte ints, 2 bytes each instead of a float's 9; scores are unchanged, as
    # Whoosh's scorers only multiply and add them with floats.
    small_ints = (wmax < 256) & bool(float(boost).is_integer() and boost >= 0)
    b_wkind = np.where(wmin != wmax, np.where(small_ints, BlockWeights.BYTES, BlockWeights.FLOATS),
                       np.where(wmin == 1.0, BlockWeights.NONE, BlockWeights.ONE))
    has_floats = bool((b_wkind == BlockWeights.FLOATS).any())
    has_ints = bool((b_wkind == BlockWeights.BYTES).any())
    b_wval = wmin.astype(np.float64)
    b_first = np.r_[True, bterm[1:] != bterm[:-1]]
    b_final = np.r_[bterm[1:] != bterm[:-1], True]
    del wmin, wmax, bterm, bend, first_block
    # Document ids are delta-encoded within each block (the first one absolute).
    id_deltas = pdoc.copy()
    id_deltas[1:] -= pdoc[:-1]
    id_deltas[bstart] = pdoc[bstart]
    term_tok = np.zeros(len(tfirst) + 1, dtype=np.int64)
    np.cumsum(np.add.reduceat(freq, tfirst, dtype=np.int64), out=term_tok[1:])

    def chunks() -> Iterator[Chunk]:
        nterms = len(tfirst)
        t = 0
        b = 0
        while t < nterms:
            # A chunk of whole terms, about _CHUNK_TOKENS tokens.
            limit = term_tok[t] + _CHUNK_TOKENS
            t_end = min(nterms, max(t + 1, int(np.searchsorted(term_tok, limit, side="right")) - 1))
            pa = int(tfirst[t])
            pb = int(tfirst[t_end]) if t_end < nterms else npost
            ta, tb = int(term_tok[t]), int(term_tok[t_end])
            b_end = int(np.searchsorted(bstart, pb))
            blk = slice(b, b_end)
            voff: list[int] | np.ndarray
            if values:
                vals, voff = _values_stream(freq[pa:pb], deltas[ta:tb])
            else:
                vals, voff = b"", np.zeros(pb - pa + 1, dtype=np.int64)
            id_rows, id_lens = _int_items(id_deltas[pa:pb])
            ids = _flatten(id_rows, id_lens)
            ioff = _offsets(id_lens)
            del id_rows, id_lens
            floats = ints = _NO_BYTES
            if has_floats:
                wrows = np.empty((pb - pa, 9), dtype=np.uint8)
                wrows[:, 0] = ord("G")  # BINFLOAT
                wrows[:, 1:] = w32[pa:pb].astype(">f8").view(np.uint8).reshape(-1, 8)
                floats = wrows.reshape(-1)
            if has_ints:
                krows = np.empty((pb - pa, 2), dtype=np.uint8)
                krows[:, 0] = ord("K")  # BININT1 (rows of blocks that use floats are not read)
                krows[:, 1] = np.minimum(w32[pa:pb], 255).astype(np.uint8)
                ints = krows.reshape(-1)
            data, starts = _blocks(bstart[blk] - pa, b_n[blk], b_last[blk], b_maxw[blk], b_minl[blk],
                                   b_maxl[blk], b_wkind[blk], b_wval[blk], ids, ioff, floats, ints,
                                   vals, np.asarray(voff, dtype=np.int64), values)
            del vals, ids, floats, ints
            term_off = starts[b_first[blk]]
            last_off = starts[b_final[blk]] - term_off
            yield data, term_off.tolist(), last_off.tolist()
            b = b_end
            t = t_end

    return stats, chunks()


# Bytes every block shares: the pickle protocol header, the info tuple's end, the data's end.
_CONST = np.frombuffer(b"\x80\x02(" + b"t\x87.", dtype=np.uint8)
_C_PROTO, _C_END = (0, 3), (3, 3)
_NO_BYTES = np.zeros(0, dtype=np.uint8)


def _blocks(a: np.ndarray, n: np.ndarray, last: np.ndarray, maxw: np.ndarray,
            minl: np.ndarray, maxl: np.ndarray, kind: np.ndarray, wval: np.ndarray, ids: np.ndarray,
            ioff: np.ndarray, floats: np.ndarray, ints: np.ndarray, vals: bytes, voff: np.ndarray,
            values: bool) -> tuple[bytes, np.ndarray]:
    """W3 posting blocks, one after the other: each one's size, pickled info and pickled data
    ``(ids, weights, values)``; returns the bytes and where each block starts.

    Block ``k`` holds the postings ``a[k]:a[k] + n[k]`` of the streams: ``ids`` (pickled ints,
    posting ``i`` from ``ioff[i]``), ``floats`` / ``ints`` (9 / 2 bytes a posting) and ``vals``
    (from ``voff[i]``). Its weights are ``kind`` (:class:`~app.core.engine.postings.BlockWeights`):
    NONE all 1.0, ONE all ``wval``, FLOATS each a float, BYTES each a small int. The info is what ``pickle.dumps(info, 2)`` writes, the data
    the layout :mod:`app.core.engine.postings` reads; the bytes are gathered in one numpy step
    instead of being joined block by block (a few microseconds a block, and a short article
    has about a hundred blocks of a single posting).
    """
    nb = len(a)
    e = a + n
    # Fixed-width rows of each block's own bytes; each piece is a (start, length) in `src`.
    n_rows, n_lens = _int_items(n)
    l_rows, l_lens = _int_items(last)
    g_rows = np.empty((nb, 9), dtype=np.uint8)
    g_rows[:, 0] = ord("G")
    g_rows[:, 1:] = maxw.astype(">f8").view(np.uint8).reshape(nb, 8)
    # 0 (compression), min and max length bytes, then TUPLE, BINPUT 0, STOP.
    tail_rows = np.empty((nb, 10), dtype=np.uint8)
    tail_rows[:] = np.frombuffer(b"K\x00K\x00K\x00tq\x00.", dtype=np.uint8)
    tail_rows[:, 3], tail_rows[:, 5] = minl, maxl
    # After the ids: TUPLE, then the weights' opening (None, one float, or MARK).
    w_rows = np.zeros((nb, 10), dtype=np.uint8)
    w_rows[:, 0] = ord("t")
    w_rows[:, 1] = np.where(kind == BlockWeights.NONE, ord("N"), np.where(kind == BlockWeights.ONE, ord("G"), ord("(")))
    w_rows[:, 2:] = wval.astype(">f8").view(np.uint8).reshape(nb, 8)
    w_lens = np.where(kind == BlockWeights.ONE, 10, 2)
    # After the weights: their TUPLE (a list of them), then MARK for the values, or None and
    # the data tuple's end when there are none.
    listed = (kind == BlockWeights.FLOATS) | (kind == BlockWeights.BYTES)
    v_rows = np.zeros((nb, 4), dtype=np.uint8)
    rest = np.frombuffer(b"(" if values else b"N\x87.", dtype=np.uint8)
    v_rows[listed, 0] = ord("t")
    v_rows[listed, 1:1 + len(rest)] = rest
    v_rows[~listed, :len(rest)] = rest
    v_lens = listed + len(rest)
    head = np.empty(nb, dtype=">i4")  # the block's size, filled in below
    sources = [_CONST, head.view(np.uint8).reshape(-1), n_rows.reshape(-1), l_rows.reshape(-1),
               g_rows.reshape(-1), tail_rows.reshape(-1), w_rows.reshape(-1), v_rows.reshape(-1),
               ids, floats, ints, np.frombuffer(vals, dtype=np.uint8)]
    base = _offsets(np.array([len(x) for x in sources], dtype=np.int64))
    rows = np.arange(nb, dtype=np.int64)
    zero = np.zeros(nb, dtype=np.int64)
    w_src = np.where(kind == BlockWeights.FLOATS, base[9] + 9 * a, base[10] + 2 * a)
    w_len = np.where(kind == BlockWeights.FLOATS, 9 * n, np.where(kind == BlockWeights.BYTES, 2 * n, 0))
    pieces = [  # (start in the sources, length), in block order
        (base[1] + 4 * rows, zero + 4),                      # size
        (zero + base[0] + _C_PROTO[0], zero + 3),            # info: PROTO 2, MARK
        (base[2] + 5 * rows, n_lens), (base[3] + 5 * rows, l_lens), (base[4] + 9 * rows, zero + 9),
        (base[5] + 10 * rows, zero + 10),
        (zero + base[0] + _C_PROTO[0], zero + 3),            # data: PROTO 2, MARK
        (base[8] + ioff[a], ioff[e] - ioff[a]),              # ids
        (base[6] + 10 * rows, w_lens), (w_src, w_len),       # weights
        (base[7] + 4 * rows, v_lens),
    ]
    if values:
        pieces += [(base[11] + voff[a], voff[e] - voff[a]), (zero + base[0] + _C_END[0], zero + 3)]
    starts = np.stack([p[0] for p in pieces], axis=1)
    lens = np.stack([p[1] for p in pieces], axis=1).astype(np.int64)
    block_len = lens.sum(axis=1)
    head[:] = block_len - 4
    src = np.concatenate(sources)
    flat_starts, flat_lens = starts.reshape(-1), lens.reshape(-1)
    out_at = _offsets(flat_lens)
    total = int(out_at[-1])
    index = np.arange(total, dtype=np.int64)
    index += np.repeat(flat_starts - out_at[:-1], flat_lens)
    return src[index].tobytes(), _offsets(block_len)[:-1]
