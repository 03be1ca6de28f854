"""Paragraph fingerprints for the reuse map: exact text hashes and sampled content-word shingles.

Every paragraph gets a 64-bit hash of its normalised word sequence (verbatim copies and
recurring boilerplate lines are found by equality). Body paragraphs also get a small set of
*fingerprints*: shingles of ``SHINGLE`` consecutive content words (stop words dropped, so that
"one of the most" style phrases every article shares never link two articles), hashed, of which
only those whose hash falls in one residue class modulo ``SAMPLE`` are kept, plus the two smallest
so that short paragraphs always have two (Broder's mod-sampling and bottom-k sketches). Two paragraphs that share
a passage share the same sampled shingles whatever else surrounds them, and a word-level edit
only removes the few shingles that cover the edited word, so lightly edited copies keep most of
their fingerprints. The share of fingerprints two paragraphs have in common estimates the
containment of the shorter in the longer.

Why not datasketch: its ``MinHash.update`` hashes one shingle per Python call (SHA-1), which is
minutes for the ~50 M shingles of a 100k-article corpus, its LSH keeps buckets in Python dicts
with no compact on-disk form, and MinHash estimates Jaccard similarity, which falls quickly for
paragraphs that were only partly copied. Mod-sampled shingles are a few lines of vectorised NumPy,
give containment directly, and store as two flat arrays that load in milliseconds.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from app.core.reading.model import Article, Role
from app.core.reading.text import words

FORMAT_VERSION = 3  # 3: the reader's norms changed (index SCHEMA_VERSION 4); 2: CJK one character a word
SHINGLE = 4  # content words per shingle
SAMPLE = 4  # keep shingles whose hash is 0 modulo SAMPLE (about one in four)
BOTTOM = 2  # and the smallest hashes of each paragraph
MIN_WORDS = 8  # fewer words: never a substantive paragraph (still counted for boilerplate)

ROLE_CODES = {Role.BODY: 0, Role.TITLE: 1, Role.BYLINE: 2, Role.CHROME: 3}

# English function words and the most frequent verbs: dropped before shingling.
_STOPWORDS_TEXT = """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't could couldn't did didn't do does doesn't doing
    don't down during each even ever few for from further had hadn't has hasn't have haven't having he
    he'd he'll he's her here here's hers herself him himself his how how's however i i'd i'll i'm i've
    if in into is isn't it it's its itself just let's like made make many may me might more most much
    must mustn't my myself never new no nor not now of off on once one only or other ought our ours
    ourselves out over own said same say says shall shan't she she'd she'll she's should shouldn't
    since so some still such than that that's the their theirs them themselves then there there's
    these they they'd they'll they're they've this those though through thus to too two under until
    up upon us very was wasn't we we'd we'll we're we've were weren't what what's when when's where
    where's whether which while who who's whom whose why why's will with within without won't would
    wouldn't yet you you'd you'll you're you've your yours yourself yourselves"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_MASK64 = (1 << 64) - 1
# Odd 64-bit multipliers, one per shingle position (from the SplitMix64 constants).
_POS_MULT = np.array(
    [0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93],
    dtype=np.uint64,
)[:SHINGLE]


class _WordHashes(dict[str, int]):
    """Stable 32-bit word hashes, memoised (``hash()`` differs between runs)."""

    def __missing__(self, word: str) -> int:
        value = zlib.crc32(word.encode("utf-8")) or 1
        self[word] = value
        return value


_WORD_HASH = _WordHashes()
# Per process: a short paragraph's norm -> (words, exact hash, content-word hashes when it has
# enough to shingle). Sites repeat their furniture in every article; cleared past the limit.
_MEMO_CHARS = 300
_MEMO_LIMIT = 50_000
_ROW_MEMO: dict[str, tuple[int, int, list[int] | tuple[int, ...]]] = {}


def exact_hash(norm: str) -> int:
    """The 64-bit hash of a normalised paragraph's word sequence (0 when it has no words)."""
    return _hash_words(words(norm))


def _hash_words(toks: list[str]) -> int:
    if not toks:
        return 0
    digest = hashlib.blake2b(" ".join(toks).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def mix64(h: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of a uint64 array: spreads every input bit over the whole word (wrapping)."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = h ^ (h >> np.uint64(31))
    return mixed


@dataclass(slots=True)
class ArticleMeta:
    """What the reuse map shows about an article without reading it."""

    id: str
    title: str = ""
    source: str = ""
    date: str = ""  # ISO date, empty when unknown
    content_hash: str = ""
    size: int = 0
    mtime_ns: int = 0


_ROW_FIELDS = ("row_art", "row_pidx", "row_role", "row_words", "row_chars", "row_exact", "row_nfp")


@dataclass(slots=True)
class Prints:
    """Columnar fingerprints of a set of articles.

    Rows are paragraphs, grouped by article in ``meta`` order; ``fp`` holds each row's sampled
    shingle hashes (``row_nfp`` of them), rows in order.
    """

    meta: list[ArticleMeta]
    row_art: np.ndarray  # int32 index into meta
    row_pidx: np.ndarray  # int32 paragraph index in the article
    row_role: np.ndarray  # uint8, see ROLE_CODES
    row_words: np.ndarray  # int32
    row_chars: np.ndarray  # int32 length of the display text
    row_exact: np.ndarray  # uint64, see exact_hash
    row_nfp: np.ndarray  # int32
    fp: np.ndarray  # uint64

    @classmethod
    def empty(cls) -> Prints:
        """No articles."""
        return cls([], *(np.zeros(0, dt) for dt in (np.int32, np.int32, np.uint8, np.int32,
                                                     np.int32, np.uint64, np.int32, np.uint64)))

    def __len__(self) -> int:
        return len(self.meta)

    def fp_rows(self) -> np.ndarray:
        """The row of every entry of ``fp``."""
        return np.repeat(np.arange(len(self.row_nfp), dtype=np.int64), self.row_nfp)

    def select(self, keep: np.ndarray) -> Prints:
        """The prints of the articles where the boolean per-article mask ``keep`` is true."""
        rows = keep[self.row_art]
        new_index = np.cumsum(keep, dtype=np.int64) - 1
        return Prints(
            [m for m, k in zip(self.meta, keep, strict=True) if k],
            row_art=new_index[self.row_art[rows]].astype(np.int32),
            fp=self.fp[np.repeat(rows, self.row_nfp)],
            **{f: getattr(self, f)[rows] for f in _ROW_FIELDS[1:]},
        )

    @staticmethod
    def concat(parts: Iterable[Prints]) -> Prints:
        """One ``Prints`` of several, articles in order."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return Prints.empty()
        if len(parts) == 1:
            return parts[0]
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        return Prints(
            [m for p in parts for m in p.meta],
            row_art=np.concatenate([p.row_art + np.int32(o) for p, o in zip(parts, offsets, strict=True)]),
            fp=np.concatenate([p.fp for p in parts]),
            **{f: np.concatenate([getattr(p, f) for p in parts]) for f in _ROW_FIELDS[1:]},
        )

    def to_bytes(self) -> bytes:
        """A versioned ``.npz`` image (metadata as JSON inside), for ``atomic_write_bytes``."""
        header = {"format_version": FORMAT_VERSION, "params": params(),
                  "meta": [list(asdict(m).values()) for m in self.meta]}
        buf = io.BytesIO()
        # The pure-Python encoder (iterencode) lets other threads run: json.dumps's C encoder
        # holds the GIL for the whole 100,000-article header and freezes the window.
        text = "".join(json.JSONEncoder().iterencode(header))
        np.savez(buf, header=np.frombuffer(text.encode("utf-8"), dtype=np.uint8),
                 fp=self.fp, **{f: getattr(self, f) for f in _ROW_FIELDS})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Prints:
        """Read :meth:`to_bytes` output.

        Raises:
            ValueError: the data is damaged or from another format or parameter set.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                header = _loads_header(z["header"].tobytes().decode("utf-8"), lambda m: ArticleMeta(*m))
                if header.get("format_version") != FORMAT_VERSION or header.get("params") != params():
                    raise ValueError("reuse fingerprints are from another version")
                prints = cls(header["meta"], fp=z["fp"],
                             **{f: z[f] for f in _ROW_FIELDS})
        except (OSError, KeyError, TypeError, zlib.error, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"reuse fingerprints cannot be read ({type(exc).__name__})") from exc
        if len(prints.row_art) and int(prints.row_art.max()) >= len(prints.meta):
            raise ValueError("reuse fingerprints are inconsistent")
        if int(prints.row_nfp.sum()) != len(prints.fp):
            raise ValueError("reuse fingerprints are inconsistent")
        return prints


_META_KEY = '"meta": ['  # as JSONEncoder writes the last key of the header (a string's quotes are escaped)


def _loads_header(text: str, item: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """``json.loads`` of a :meth:`Prints.to_bytes` header, its article list an entry at a time,
    each entry made into ``item(entry)`` as it is read when given.

    The C decoder holds the GIL through the whole list (0.25 s at 100,000 articles), and the
    map is loaded on a worker thread beside the window. Entries made into objects as they are
    read never all live at once as lists too: fewer objects for the full garbage collections,
    which hold the GIL as well (100k: two of 20 and 42 ms -> one of 16 ms).
    """
    at = text.find(_META_KEY)
    if at < 0:
        whole: dict[str, Any] = json.loads(text)
        if item is not None and isinstance(whole, dict) and isinstance(whole.get("meta"), list):
            whole["meta"] = [item(m) for m in whole["meta"]]
        return whole
    head = text[:at].rstrip()
    header: dict[str, Any] = json.loads((head[:-1] if head.endswith(",") else head) + "}")
    decoder = json.JSONDecoder()
    meta = []
    pos, end = at + len(_META_KEY), len(text)
    while True:
        while pos < end and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= end:
            raise ValueError("reuse fingerprints: the article list is cut short")
        if text[pos] == "]":
            break
        entry, pos = decoder.raw_decode(text, pos)
        meta.append(entry if item is None else item(entry))
    if text[pos + 1:].strip() != "}":
        raise ValueError("reuse fingerprints: unexpected data after the article list")
    header["meta"] = meta
    return header


def params() -> dict[str, Any]:
    """The parameters fingerprints depend on: stored files with other values are rebuilt."""
    stop = hashlib.sha1(" ".join(sorted(STOPWORDS)).encode()).hexdigest()[:12]
    return {"shingle": SHINGLE, "sample": SAMPLE, "bottom": BOTTOM, "stopwords": stop}


def meta_of(article: Article) -> ArticleMeta:
    """The :class:`ArticleMeta` of an article."""
    return ArticleMeta(article.id, article.title, article.source,
                       article.date.isoformat() if article.date else "",
                       article.content_hash, article.size, article.mtime_ns)


def fingerprint(articles: Iterable[Article]) -> Prints:
    """Fingerprint articles in one vectorised pass (call it on batches of a few hundred)."""
    metas: list[ArticleMeta] = []
    row_art: list[int] = []
    row_pidx: list[int] = []
    row_role: list[int] = []
    row_words: list[int] = []
    row_chars: list[int] = []
    row_exact: list[int] = []
    content: list[int] = []  # content-word hashes of the body rows, rows in order
    row_ncontent: list[int] = []
    wh = _WORD_HASH
    stop = STOPWORDS
    memo = _ROW_MEMO
    for a, article in enumerate(articles):
        metas.append(meta_of(article))
        for p in article.paragraphs:
            norm = p.norm
            row = memo.get(norm)
            if row is None:
                toks = words(norm)
                cw: list[int] | tuple[int, ...] = (
                    [wh[t] for t in toks if t not in stop] if len(toks) >= MIN_WORDS else ())
                row = (len(toks), _hash_words(toks), cw if len(cw) >= SHINGLE else ())
                if len(norm) <= _MEMO_CHARS:
                    if len(memo) >= _MEMO_LIMIT:
                        memo.clear()
                    memo[norm] = row
            row_art.append(a)
            row_pidx.append(p.index)
            row_role.append(ROLE_CODES[p.role])
            row_words.append(row[0])
            row_chars.append(len(p.text))
            row_exact.append(row[1])
            cw = row[2]
            if cw and p.role is Role.BODY:
                content.extend(cw)
                row_ncontent.append(len(cw))
            else:
                row_ncontent.append(0)
    nfp, fp = _sample_shingles(np.array(content, dtype=np.uint64), np.array(row_ncontent, dtype=np.int64))
    return Prints(
        metas,
        np.array(row_art, dtype=np.int32),
        np.array(row_pidx, dtype=np.int32),
        np.array(row_role, dtype=np.uint8),
        np.array(row_words, dtype=np.int32),
        np.array(row_chars, dtype=np.int32),
        np.array(row_exact, dtype=np.uint64),
        nfp,
        fp,
    )


def _sample_shingles(content: np.ndarray, ncontent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the count and the sorted distinct sampled shingle hashes of its content words."""
    nrows = len(ncontent)
    nsh = np.maximum(ncontent - (SHINGLE - 1), 0)
    if not nsh.sum():
        return np.zeros(nrows, np.int32), np.zeros(0, np.uint64)
    total = len(content)
    h = np.zeros(total - SHINGLE + 1, dtype=np.uint64)
    for j in range(SHINGLE):
        h += content[j: total - SHINGLE + 1 + j] * _POS_MULT[j]
    h = mix64(h)
    # Shingles starting in the last SHINGLE-1 words of a row would span two rows: drop them.
    starts = np.cumsum(ncontent) - ncontent
    sh_row = np.repeat(np.arange(nrows, dtype=np.int64), nsh)
    sh_pos = starts[sh_row] + (np.arange(len(sh_row)) - np.repeat(np.cumsum(nsh) - nsh, nsh))
    h = h[sh_pos]
    # Sort by (row, hash): the first BOTTOM of each row are kept whatever their residue.
    order = np.lexsort((h, sh_row))
    h, sh_row = h[order], sh_row[order]
    rank = np.arange(len(h)) - np.repeat(np.cumsum(nsh) - nsh, nsh)
    keep = (rank < BOTTOM) | ((h >> np.uint64(32)) % np.uint64(SAMPLE) == 0)
    keep[1:] &= (h[1:] != h[:-1]) | (sh_row[1:] != sh_row[:-1])  # a shingle repeated in a row
    nfp = np.bincount(sh_row[keep], minlength=nrows).astype(np.int32)
    return nfp, h[keep]
