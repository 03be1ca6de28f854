"""Where else does this passage appear: every article carrying a passage, verbatim or edited.

The passage (an article paragraph, or any text) is cut into the same content-word shingles the
reuse map samples (:mod:`app.core.reuse.fingerprint`), *all* of them rather than a sample, and each
one is looked up in the corpus's fingerprint hashes, kept sorted (``np.searchsorted``). A
paragraph holding the passage holds its sampled shingles whatever surrounds it, and an edit
only removes the few shingles that cover the edited word, so edited versions are found where a
phrase query would miss them. Candidates are then read and compared word by word with
rapidfuzz (the passage against the stretch of the candidate it aligns with): the similarity
ranks them and the word operations say what differs. Identical candidate texts are compared
once (their paragraphs' exact hashes are equal), so a story carried 500 times costs a few reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz.distance import Levenshtein

from app.core.align.wordops import Vocabulary, levenshtein_opcodes
from app.core.reading.model import Article, Paragraph
from app.core.reading.reader import ReadError
from app.core.reading.text import normalize, words
from app.core.reuse.fingerprint import (
    _POS_MULT,
    _WORD_HASH,
    SAMPLE,
    SHINGLE,
    STOPWORDS,
    Prints,
    mix64,
)
from app.core.storage.atomic import atomic_write_bytes

if TYPE_CHECKING:
    from app.core.workspace.corpus import Corpus

MIN_SIMILARITY = 0.5  # word-sequence similarity below this is another text on the same topic
MAX_COMPARED = 120  # distinct candidate texts read and compared; the rest are estimated


class PassageError(ValueError):
    """The passage cannot be looked up (too short, or no such paragraph)."""


class DamagedTable(RuntimeError):
    """A stored sorted table that passed its header check holds rows the fingerprints lack."""


def passage_shingles(text: str) -> np.ndarray:
    """Every distinct shingle hash of ``text``'s content words (as :func:`fingerprint` hashes them)."""
    cw = [_WORD_HASH[t] for t in words(normalize(text)) if t not in STOPWORDS]
    if len(cw) < SHINGLE:
        return np.zeros(0, np.uint64)
    content = np.array(cw, dtype=np.uint64)
    n = len(content) - SHINGLE + 1
    h = np.zeros(n, dtype=np.uint64)
    for j in range(SHINGLE):
        h += content[j: j + n] * _POS_MULT[j]
    return np.unique(mix64(h))


LOOKUP_FILE = "parallax-passages.bin"  # beside the fingerprint file, in the index folder
LOOKUP_VERSION = 1
_MAGIC = b"PRLXPSG1"


class PassageLookup:
    """The corpus's fingerprint hashes, sorted, with the row each one comes from.

    Built once per :class:`Prints` (an argsort: 0.3 s for 10k articles, seconds for 100k), then
    every lookup is a pair of binary searches per shingle. The sorted table is also kept in a
    file beside the fingerprints (:func:`lookup_of` with a ``store``), so that a process that
    answers one lookup, as ``parallax versions`` does, maps it instead of sorting again.
    """

    def __init__(self, prints: Prints, table: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.prints = prints
        self.keys, self.rows = table if table is not None else _sorted_table(prints)[1:]
        self.index = {m.id: i for i, m in enumerate(prints.meta)}
        self._art_row_start = np.searchsorted(prints.row_art, np.arange(len(prints.meta) + 1))

    def rows_holding(self, shingles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding any of ``shingles``, and how many of them each holds."""
        if not len(shingles) or not len(self.keys):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        lo = np.searchsorted(self.keys, shingles, "left")
        hi = np.searchsorted(self.keys, shingles, "right")
        n = hi - lo
        if not n.sum():
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        starts = np.repeat(lo - np.cumsum(n) + n, n)
        found = self.rows[starts + np.arange(int(n.sum()))]
        if found.min() < 0 or found.max() >= len(self.prints.row_art):
            raise DamagedTable("the stored passage table does not fit the fingerprints")
        rows, counts = np.unique(found, return_counts=True)
        return rows.astype(np.int64), counts

    def row_of(self, aid: str, paragraph: int) -> int | None:
        """The row of paragraph index ``paragraph`` of article ``aid`` (None when not fingerprinted)."""
        i = self.index.get(aid)
        if i is None:
            return None
        lo, hi = int(self._art_row_start[i]), int(self._art_row_start[i + 1])
        hit = np.flatnonzero(self.prints.row_pidx[lo:hi] == paragraph)
        return lo + int(hit[0]) if len(hit) else None


@dataclass(frozen=True, slots=True)
class PassageChange:
    """One word-level difference between the passage and a version of it.

    Attributes:
        tag: ``replace``, ``delete`` (words of the passage missing here) or ``insert`` (words added here).
        passage: The passage's words (empty for an insert).
        version: This version's words (empty for a delete).
        spans: Where ``version``'s words are: ``(paragraph index, start, end)`` in the display text.
    """

    tag: str
    passage: str
    version: str
    spans: tuple[tuple[int, int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"tag": self.tag, "passage": self.passage, "version": self.version,
                "spans": [list(s) for s in self.spans]}


@dataclass(frozen=True, slots=True)
class PassageMatch:
    """An article carrying the passage.

    Attributes:
        paragraphs: The paragraph indexes (0-based) holding it.
        similarity: Word-sequence similarity of the passage and this version (1.0 verbatim).
        text: This version's wording of the passage.
        changes: What differs from the passage; None when the version was not compared
            (its similarity is then the fingerprint estimate).
        same_text_as: The article this one was compared through (same paragraph text), if any.
    """

    id: str
    title: str
    source: str
    date: str
    paragraphs: tuple[int, ...]
    similarity: float
    text: str = ""
    changes: tuple[PassageChange, ...] | None = ()
    same_text_as: str = ""
    marks: tuple[tuple[int, int], ...] = ()  # the changed words' ranges in ``text``

    @property
    def identical(self) -> bool:
        """True when this version has the passage word for word."""
        return self.changes is not None and not self.changes

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``paragraphs`` 1-based, as the window's ¶ numbers)."""
        return {
            "id": self.id, "title": self.title, "source": self.source, "date": self.date or None,
            "paragraphs": [p + 1 for p in self.paragraphs], "similarity": round(self.similarity, 4),
            "identical": self.identical, "compared": self.changes is not None, "text": self.text,
            "changes": None if self.changes is None else [c.to_dict() for c in self.changes],
            "marks": [list(m) for m in self.marks],
        }


@dataclass(slots=True)
class PassageResult:
    """Every other article carrying a passage, most similar first."""

    passage: str
    origin: str = ""  # the article the passage was taken from ("" for free text)
    origin_paragraph: int | None = None  # its 0-based paragraph index
    shingles: int = 0
    matches: list[PassageMatch] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax versions --json``."""
        return {
            "passage": self.passage, "origin": self.origin or None,
            "origin_paragraph": None if self.origin_paragraph is None else self.origin_paragraph + 1,
            "shingles": self.shingles, "count": len(self.matches),
            "identical": sum(m.identical for m in self.matches),
            "matches": [m.to_dict() for m in self.matches],
        }


def _runs(pidx: np.ndarray, counts: np.ndarray) -> list[tuple[int, int, int]]:
    """Contiguous runs of rows (gap of at most one paragraph): ``(first, last, hits)`` positions."""
    out = []
    start = 0
    for k in range(1, len(pidx) + 1):
        if k == len(pidx) or pidx[k] - pidx[k - 1] > 2:
            out.append((start, k - 1, int(counts[start:k].sum())))
            start = k
    return out


def _compare(vocab: Vocabulary, passage: Paragraph, parts: Sequence[Paragraph]
             ) -> tuple[float, str, tuple[PassageChange, ...], tuple[tuple[int, int], ...]]:
    """Similarity, the aligned wording, the changes of ``parts`` against the passage, and where
    the changed words are in the wording."""
    pw = vocab.words([passage])[0]
    ws = vocab.words(list(parts))
    a = pw.codes
    b = "".join(w.codes for w in ws)
    where: list[tuple[int, int, int]] = [(p.index, s, e) for p, w in zip(parts, ws, strict=True)
                                         for s, e in zip(w.starts, w.ends, strict=True)]
    blocks = [op for op in levenshtein_opcodes(a, b) if op[0] == "equal"]
    if not blocks or not a:
        return 0.0, "", (), ()
    # The stretch of the candidate the passage aligns with, widened by the passage's words
    # before the first and after the last equal block (an edited first or last word).
    lo = max(0, blocks[0][3] - blocks[0][1])
    hi = min(len(b), blocks[-1][4] + (len(a) - blocks[-1][2]))
    window = b[lo:hi]
    sim = Levenshtein.normalized_similarity(a, window)
    ptoks = [passage.text[s:e] for s, e in zip(pw.starts, pw.ends, strict=True)]
    texts = {p.index: p.text for p in parts}
    vtoks = [texts[i][s:e] for i, s, e in where]

    def spans(j1: int, j2: int) -> tuple[tuple[int, int, int], ...]:
        got: dict[int, tuple[int, int]] = {}
        for i, s, e in where[lo + j1: lo + j2]:
            s0, _ = got.get(i, (s, e))
            got[i] = (s0, e)
        return tuple((i, s, e) for i, (s, e) in got.items())

    changes = tuple(
        PassageChange(tag, " ".join(ptoks[i1:i2]), " ".join(vtoks[lo + j1: lo + j2]), spans(j1, j2))
        for tag, i1, i2, j1, j2 in levenshtein_opcodes(a, window) if tag != "equal")
    first, last = where[lo], where[hi - 1]
    pieces: list[str] = []
    base: dict[int, int] = {}  # paragraph -> its offset in the wording, less where its piece starts
    length = 0
    for i in sorted(texts):
        if first[0] <= i <= last[0]:
            s0 = first[1] if i == first[0] else 0
            piece = texts[i][s0:(last[2] if i == last[0] else None)]
            if pieces:
                length += 2
            base[i] = length - s0
            pieces.append(piece)
            length += len(piece)
    marks = tuple((s + base[i], e + base[i]) for c in changes for i, s, e in c.spans if i in base)
    return sim, "\n\n".join(pieces), changes, marks


def find_versions(lookup: PassageLookup, text: str, load: Callable[[str], Article | None], *,
                  origin: str = "", origin_paragraph: int | None = None,
                  min_similarity: float = MIN_SIMILARITY, limit: int | None = None) -> PassageResult:
    """Every article (other than ``origin``) carrying ``text``, verbatim or edited, most similar first.

    Args:
        lookup: The corpus's sorted fingerprints.
        text: The passage.
        load: Reads an article by id (None when it cannot be read).
        origin: The article the passage comes from, left out of the answer.
        origin_paragraph: Its paragraph index, for the answer only.
        min_similarity: Versions less similar than this are another text.
        limit: At most this many matches.

    Raises:
        PassageError: the passage has too few content words to be looked up.
    """
    shingles = passage_shingles(text)
    if not len(shingles):
        raise PassageError("the passage is too short to look up: select at least a sentence")
    result = PassageResult(text, origin, origin_paragraph, len(shingles))
    rows, counts = lookup.rows_holding(shingles)
    if not len(rows):
        return result
    p = lookup.prints
    # Sampled shingles of the passage: what a version holding it verbatim would hold.
    expected = max(2, int(((shingles >> np.uint64(32)) % np.uint64(SAMPLE) == 0).sum()))
    need = 1 if expected <= 2 else 2
    arts = p.row_art[rows]
    origin_i = lookup.index.get(origin, -1)
    # Per article, its best run of neighbouring rows.
    bounds = np.flatnonzero(np.diff(arts, prepend=-1, append=-1))
    best: list[tuple[int, np.ndarray, int]] = []  # (hits, rows, article)
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        a = int(arts[s])
        if a == origin_i or counts[s:e].sum() < need:
            continue
        r = rows[s:e]
        pidx = p.row_pidx[r]
        first, last, hits = max(_runs(pidx, counts[s:e]), key=lambda t: t[2])
        if hits >= need:
            best.append((hits, r[first:last + 1], a))
    best.sort(key=lambda t: -t[0])
    vocab = Vocabulary()
    qpara = Paragraph(-1, text, "", 0, len(text))
    compared: dict[tuple[int, ...], tuple[str, float, str, tuple[PassageChange, ...], int,
                                          tuple[tuple[int, int], ...]]] = {}
    matches: list[PassageMatch] = []
    for hits, r, a in best:
        meta = p.meta[a]
        key = tuple(int(x) for x in p.row_exact[r])
        pidx = tuple(int(x) for x in p.row_pidx[r])
        if key not in compared and len(compared) < MAX_COMPARED:
            article = load(meta.id)
            if article is not None and all(0 <= i < len(article.paragraphs) for i in pidx):
                parts = [article.paragraphs[i] for i in range(pidx[0], pidx[-1] + 1)]
                sim, wording, changes, marks = _compare(vocab, qpara, parts)
                compared[key] = (meta.id, sim, wording, changes, pidx[0], marks)
        if key in compared:
            via, sim, wording, changes, via_first, marks = compared[key]
            if sim < min_similarity:
                continue
            if via != meta.id:  # same paragraph texts: the spans hold, the paragraph numbers are this article's
                shift = pidx[0] - via_first
                changes = tuple(PassageChange(c.tag, c.passage, c.version,
                                              tuple((i + shift, s0, e0) for i, s0, e0 in c.spans))
                                for c in changes)
            matches.append(PassageMatch(meta.id, meta.title, meta.source, meta.date, pidx, sim, wording,
                                        changes, "" if via == meta.id else via, marks))
        else:
            estimate = min(1.0, hits / expected)
            if estimate >= min_similarity:
                matches.append(PassageMatch(meta.id, meta.title, meta.source, meta.date, pidx, estimate,
                                            changes=None))
    matches.sort(key=lambda m: (-m.similarity, m.date or "9999", m.id))
    result.matches = matches[:limit] if limit else matches
    return result


def paragraph_passage(article: Article, number: int) -> Paragraph:
    """Paragraph ``number`` (1-based, as the window's ¶N) of ``article``.

    Raises:
        PassageError: no such paragraph.
    """
    if not 1 <= number <= len(article.paragraphs):
        raise PassageError(f"{article.id} has no paragraph {number} (it has {len(article.paragraphs)})")
    return article.paragraphs[number - 1]



def _header(prints: Prints, stamp: list[int]) -> dict[str, Any]:
    """What a stored table must have been made from to serve ``prints``."""
    return {"version": LOOKUP_VERSION, "prints": list(stamp), "hashes": len(prints.fp),
            "rows": len(prints.row_art), "articles": len(prints.meta), "byteorder": sys.byteorder}


def _offset(header_bytes: int) -> int:
    """Where the arrays start: after the magic, the header's length and the header, 8-aligned."""
    return -(-(16 + header_bytes) // 8) * 8


def _sorted_table(prints: Prints, header: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The file image of the sorted table, and its hashes and rows (views of that image)."""
    head = json.dumps(header or {}).encode()
    off = _offset(len(head))
    n = len(prints.fp)
    image = np.zeros(off + 12 * n, np.uint8)
    image[:8] = np.frombuffer(_MAGIC, np.uint8)
    image[8:16] = np.array([len(head)], "<u8").view(np.uint8)
    image[16:16 + len(head)] = np.frombuffer(head, np.uint8)
    keys = image[off:off + 8 * n].view(np.uint64)
    rows = image[off + 8 * n:].view(np.int32)
    order = np.argsort(prints.fp)  # equal hashes in any order: their rows are counted, not ranked
    np.take(prints.fp, order, out=keys)
    np.take(np.repeat(np.arange(len(prints.row_nfp), dtype=np.int32), prints.row_nfp), order, out=rows)
    return image, keys, rows


def _read_table(path: Path, header: dict[str, Any]) -> tuple[np.ndarray, np.ndarray] | None:
    """The hashes and rows of the table stored at ``path`` when it was made as ``header`` says."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
            if len(head) != 16 or head[:8] != _MAGIC:
                return None
            size = int(np.frombuffer(head[8:], "<u8")[0])
            if size > 1 << 20 or json.loads(fh.read(size)) != header:
                return None
            off, n = _offset(size), header["hashes"]
            if os.fstat(fh.fileno()).st_size != off + 12 * n:
                return None
            if os.name == "nt":  # a mapped file could be neither replaced nor deleted there
                fh.seek(off)
                data = np.fromfile(fh, np.uint8, 12 * n)
            else:  # mapped: only the pages the binary searches touch are read
                data = np.memmap(fh, np.uint8, "r", off, (12 * n,)) if n else np.zeros(0, np.uint8)
    except (OSError, ValueError):
        return None
    return data[:8 * n].view(np.uint64), data[8 * n:].view(np.int32)


_lookup_lock = threading.Lock()
_lookup: tuple[Prints, PassageLookup] | None = None


def lookup_of(prints: Prints, store: tuple[Path, list[int] | None] | None = None, *,
              fresh: bool = False) -> PassageLookup:
    """The :class:`PassageLookup` of ``prints`` (the last one built is kept while they are current).

    Args:
        prints: The corpus's fingerprints.
        store: The table's file and the stamp of the fingerprint file ``prints`` are (None when
            they are not yet written): a table stored for that stamp is read instead of sorting,
            and a table sorted here is stored for it. Only a cache: failing to write it is silent.
        fresh: Sort again and replace the stored table (it was found damaged).
    """
    global _lookup
    with _lookup_lock:
        if _lookup is not None and _lookup[0] is prints and not fresh:
            return _lookup[1]
        path, stamp = store if store is not None else (None, None)
        table = None
        if path is not None and stamp is not None:
            header = _header(prints, stamp)
            table = _read_table(path, header) if not fresh else None
            if table is None:
                image, keys, rows = _sorted_table(prints, header)
                table = keys, rows
                with contextlib.suppress(OSError):  # refused or failed: the next process sorts again
                    atomic_write_bytes(path, image.data)
                    # Mapped, the table is the page cache's to keep rather than this process's memory.
                    table = _read_table(path, header) or table
                del image, keys, rows
        lookup = PassageLookup(prints, table)
        _lookup = (prints, lookup)
        return lookup


def corpus_lookup(corpus: Corpus, *, fresh: bool = False) -> PassageLookup:
    """The passage lookup of ``corpus``'s fingerprints, up to date with its files."""
    reuse = corpus.reuse
    prints = reuse.current_prints()
    return lookup_of(prints, (reuse.path.with_name(LOOKUP_FILE), reuse.stored_stamp()), fresh=fresh)


def corpus_versions(corpus: Corpus, *, aid: str = "", paragraph: int | None = None, text: str = "",
                    min_similarity: float = MIN_SIMILARITY, limit: int | None = None) -> PassageResult:
    """:func:`find_versions` in a corpus: of paragraph ``paragraph`` (1-based) of ``aid``, or of ``text``.

    Raises:
        PassageError: no such paragraph, or a passage too short to look up.
        ReadError: ``aid`` cannot be read.
    """
    origin = aid  # left out of the answer (an id the corpus lacks leaves nothing out)
    index = None
    if aid and paragraph is not None:
        article = corpus.article(aid)
        origin = article.id
        para = paragraph_passage(article, paragraph)
        text, index = para.text, para.index
    if not text.strip():
        raise PassageError("give a paragraph number or a passage of text")
    lookup = corpus_lookup(corpus)

    def load(other: str) -> Article | None:
        try:
            return corpus.article(other)
        except ReadError:
            return None

    try:
        return find_versions(lookup, text, load, origin=origin, origin_paragraph=index,
                             min_similarity=min_similarity, limit=limit)
    except DamagedTable:
        return find_versions(corpus_lookup(corpus, fresh=True), text, load, origin=origin,
                             origin_paragraph=index, min_similarity=min_similarity, limit=limit)
