"""Whoosh analyzers: Unicode words, CJK bigrams, English and Russian stemming, picked per token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from whoosh.analysis import (
    CompositeAnalyzer,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.analysis.filters import STOP_WORDS
from whoosh.fields import TEXT
from whoosh.formats import Positions
from whoosh.lang import stemmer_for_language

from app.core.engine import stemmer, tokenarrays

# Words: runs of letters/digits; apostrophes inside words kept ("don't"), hyphens split words.
TOKEN_PATTERN = r"\w+(?:['’]\w+)*"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_TOKEN = re.compile(TOKEN_PATTERN)
# Per-process cache of raw token -> analysed terms; cleared when it grows past this size.
_TERM_CACHE_LIMIT = 400_000
_term_cache: dict[str, tuple[tuple[str, ...], int, int]] = {}
_SINGLE_POSITION: dict[int, bytes] = {}


@lru_cache(maxsize=1)
def _stemmers() -> tuple:
    return stemmer_for_language("en"), stemmer_for_language("ru")


@lru_cache(maxsize=200_000)
def stem_word(word: str) -> str:
    """Stem one lowercased word with the stemmer of its script (Latin → English, Cyrillic → Russian)."""
    if word.isascii():
        return stemmer.stem(word)  # Whoosh's English stemmer, with cheaper suffix searches
    if _CYRILLIC.search(word):
        return _stemmers()[1](word)
    return word


class CJKBigramFilter(Filter):
    """Split runs of CJK characters into overlapping bigrams (a lone character stays a unigram).

    Chinese and Japanese have no spaces, so a bigram index lets a query term of any length
    match as a phrase of its bigrams.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        pos_shift = 0
        for t in tokens:
            text = t.text
            if not _CJK.search(text):
                if t.positions:
                    t.pos += pos_shift
                yield t
                continue
            base_pos = t.pos + pos_shift if t.positions else 0
            start_char = getattr(t, "startchar", 0)
            pieces: list[tuple[str, int]] = []
            last = 0
            for m in _CJK_RUN.finditer(text):
                if m.start() > last:
                    pieces.append((text[last:m.start()], last))
                run = m.group()
                if len(run) == 1:
                    pieces.append((run, m.start()))
                else:
                    pieces.extend((run[i:i + 2], m.start() + i) for i in range(len(run) - 1))
                last = m.end()
            if last < len(text):
                pieces.append((text[last:], last))
            for k, (piece, offset) in enumerate(pieces):
                t.text = piece
                if t.positions:
                    t.pos = base_pos + k
                if t.chars:
                    t.startchar = start_char + offset
                    t.endchar = t.startchar + len(piece)
                yield t
            pos_shift += len(pieces) - 1


class MultiLangStemFilter(Filter):
    """Stem each token with the stemmer for its script; CJK and other scripts pass unchanged."""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped:
                text = t.text
                if "’" in text or "'" in text:
                    text = text.replace("’", "'")
                    if text.endswith("'s"):  # possessive: "china's" finds "china"
                        text = text[:-2]
                t.text = stem_word(text)
            yield t


def body_analyzer() -> Any:
    """Analyzer for article text: tokenise, CJK bigrams, lowercase, English stop words, stem."""
    return (RegexTokenizer(TOKEN_PATTERN) | CJKBigramFilter() | LowercaseFilter()
            | StopFilter(minsize=1) | MultiLangStemFilter())


def name_analyzer() -> CompositeAnalyzer:
    """Analyzer for names and sources: tokenise and lowercase, no stemming or stop words."""
    return RegexTokenizer(TOKEN_PATTERN) | CJKBigramFilter() | LowercaseFilter()


def _analyse_token(raw: str) -> tuple[tuple[str, ...], int, int]:
    """One raw token through the body analyzer: (kept terms, pieces before the first kept, pieces)."""
    pieces = [t.text for t in CJKBigramFilter()(_raw_tokens(raw))] if _CJK.search(raw) else [raw]
    kept: list[str] = []
    lead = 0
    for piece in pieces:
        low = piece.lower()
        if low in STOP_WORDS:
            if not kept:
                lead += 1
            continue
        if "’" in low or "'" in low:
            low = low.replace("’", "'")
            if low.endswith("'s"):
                low = low[:-2]
        kept.append(stem_word(low))
    return tuple(kept), lead, len(pieces)


def _raw_tokens(raw: str) -> Iterator[Token]:
    t = Token(positions=True, chars=False)
    t.text, t.pos = raw, 0
    yield t


def token_terms(raw: str) -> tuple[str, ...]:
    """The terms :func:`body_analyzer` makes of one raw token (``TOKEN_PATTERN`` match), cached."""
    entry = _term_cache.get(raw)
    if entry is None:
        if len(_term_cache) > _TERM_CACHE_LIMIT:
            _term_cache.clear()
        entry = _term_cache[raw] = _analyse_token(raw)
    return entry[0]


def token_spans(text: str) -> Iterator[re.Match]:
    """The raw tokens of ``text`` as regex matches (the body analyzer's tokenizer)."""
    return _TOKEN.finditer(text)


def index_terms(text: str) -> dict[str, list[int]]:
    """Terms of ``text`` with their positions, exactly as :func:`body_analyzer` produces them.

    The indexing hot path: one regex pass and a cached per-token analysis instead of a chain
    of per-token generator filters (several times faster on large corpora).
    """
    cache = _term_cache
    if len(cache) > _TERM_CACHE_LIMIT:
        cache.clear()
    out: dict[str, list[int]] = {}
    pos = -1  # position of the next kept term, once the first has been seen
    skipped = 0  # pieces before the first kept term: Whoosh's StopFilter keeps that offset
    for raw in _TOKEN.findall(text):
        entry = cache.get(raw)
        if entry is None:
            entry = cache[raw] = _analyse_token(raw)
        kept = entry[0]
        if not kept:
            if pos < 0:
                skipped += entry[2]
            continue
        if pos < 0:
            pos = skipped + entry[1]
        for term in kept:
            found = out.get(term)
            if found is None:
                out[term] = [pos]
            else:
                found.append(pos)
            pos += 1
    return out


class FastText(TEXT):
    """A TEXT field analysed by :func:`body_analyzer` that indexes through :func:`index_terms`.

    Queries and highlighting use the analyzer as usual; only indexing takes the fast path,
    which produces the same terms and positions (tests prove it).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(analyzer=body_analyzer(), **kwargs)

    def index(self, value, **kwargs):
        """(term bytes, frequency, weight, encoded positions) for each distinct term."""
        fmt = self.format
        if not isinstance(value, str) or type(fmt) is not Positions:
            yield from super().index(value, **kwargs)
            return
        boost = fmt.field_boost
        encode = fmt.encode
        single = _SINGLE_POSITION
        for term, poses in index_terms(value).items():
            n = len(poses)
            if n == 1 and poses[0] < 65_536:  # most terms occur once: reuse their encoded value
                vbytes = single.get(poses[0])
                if vbytes is None:
                    vbytes = single[poses[0]] = encode(poses)
            else:
                vbytes = encode(poses)
            yield term.encode("utf-8"), n, n * boost, vbytes


class TermTable:
    """Term ids for one segment being written, and the body analyzer's output as arrays.

    Each distinct raw token is analysed once (:func:`_analyse_token`); after that a document
    is tokenised and looked up as arrays (:mod:`app.core.engine.tokenarrays`). Terms and positions
    are exactly those of :func:`index_terms` (tests prove it).
    """

    _STOP = -1
    _MULTI = -2  # in the hash table: a token that makes several terms (CJK runs)

    def __len__(self) -> int:
        """Distinct raw tokens and chunks seen (a measure of the table's memory)."""
        return len(self._codes) + len(self._chunks) + len(self._hashed)

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        # raw token -> term id (>= 0), _STOP (no term, one position piece), or None (other shapes)
        self._codes: dict[str, int | None] = {}
        # whitespace-delimited chunk -> the codes of its raw tokens
        self._chunks: dict[str, tuple[int | None, ...]] = {}
        self._hashed = tokenarrays.HashCodes()
        # short whole text -> its encoding: a site's page chrome repeats in all its articles
        # (1,500 short articles: 161 distinct chrome texts)
        self._texts: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def term_id(self, term: str) -> int:
        """The id of ``term``, assigned on first sight."""
        tid = self.ids.get(term)
        if tid is None:
            tid = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return tid

    def _code(self, raw: str) -> int | None:
        code = self._codes.get(raw, _UNSEEN)
        if code is not _UNSEEN:
            return code
        if raw.isascii() and "'" not in raw:
            # What _analyse_token makes of it, without its general steps: no CJK, no apostrophe.
            low = raw.lower()
            code = self._STOP if low in STOP_WORDS else self.term_id(stem_word(low))
            self._codes[raw] = code
            return code
        kept, lead, pieces = _analyse_token(raw)
        if len(kept) == 1 and lead == 0 and pieces == 1:
            code = self.term_id(kept[0])
        elif not kept and pieces == 1:
            code = self._STOP
        else:
            code = None  # CJK runs and other multi-term tokens: the general path
        self._codes[raw] = code
        return code

    def encode(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, positions) of the terms of ``text``, in token order (read-only arrays)."""
        if len(text) < _SHORT_TEXT:
            if len(text) > _MEMO_TEXT:
                return self._encode_chunks(text)
            texts = self._texts
            found = texts.get(text)
            if found is None:
                # Titles, bylines, page chrome: the array path's fixed cost (some forty numpy
                # calls) is more than looking up a few dozen words one by one.
                found = self._encode_chunks(text)
                found[0].setflags(write=False)  # shared by every document of this text
                found[1].setflags(write=False)
                if len(texts) >= _MEMO_TEXTS:
                    texts.clear()
                texts[text] = found
            return found
        toks = tokenarrays.tokens(text)
        if toks is None:
            return self._encode_chunks(text)
        if not len(toks.hashes):
            return _NO_IDS, _NO_IDS
        hashed = self._hashed
        codes = hashed.lookup(toks.hashes)
        missing = np.flatnonzero(codes == tokenarrays.MISSING)
        if len(missing):
            new, first, inverse = np.unique(toks.hashes[missing], return_index=True, return_inverse=True)
            at = missing[first]
            code, multi = self._code, self._MULTI
            found = np.asarray([multi if c is None else c
                                for c in map(code, map(text.__getitem__, map(slice, toks.starts[at].tolist(),
                                                                              toks.ends[at].tolist())))],
                               dtype=np.int32)
            hashed.insert_many(new, found)
            # What a second lookup would give: a probe round costs some ten numpy calls, and a
            # text's lookup takes as many rounds as its longest probe.
            codes[missing] = found[inverse]
        if (codes == self._MULTI).any():
            return self._general(text)
        return self._positions(codes)

    @staticmethod
    def _positions(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        kept = np.flatnonzero(arr >= 0)
        if not len(kept):
            return _NO_IDS, _NO_IDS
        # Stop words before the first term still count as positions (Whoosh's StopFilter).
        positions = np.arange(kept[0], kept[0] + len(kept), dtype=np.int32)
        return arr[kept], positions

    def _encode_chunks(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`encode` through dictionaries of whitespace-delimited chunks (exact; cheaper than
        the arrays for short texts, dearer for long ones)."""
        # No token spans whitespace (\w and the joining apostrophes never are whitespace), so
        # the text is cut with str.split() and each distinct chunk ("word," "U.S.") is
        # tokenised once: one dictionary lookup per chunk instead of a regex match per token.
        chunks = text.split()
        get = self._chunks.get
        entries = list(map(get, chunks))
        if None in entries:
            self._learn_chunks(set(chunks).difference(self._chunks))
            entries = list(map(get, chunks))
        codes = list(chain.from_iterable(entries))
        if None in codes:
            return self._general(text)
        return self._positions(np.array(codes, dtype=np.int32))

    def _learn_chunks(self, new: set[str]) -> None:
        """Add the codes of the raw tokens of every chunk in ``new`` to the chunk table.

        A small corpus meets most of its words once: this is a short load's largest cost
        after reading. The common shapes, a plain ASCII word with or without ASCII punctuation
        around it ("word", "word," "(word)"), are coded here in line; the rest through
        :meth:`_code` one regex token at a time.
        """
        known, codes, ids, terms = self._chunks, self._codes, self.ids, self.terms
        code, stop, unseen, strip = self._code, self._STOP, _UNSEEN, _ASCII_PUNCT
        for chunk in new:
            if chunk.isascii():
                # Stripped of characters that are never word characters, an alphanumeric core
                # is the chunk's only token (an apostrophe joins only two word characters).
                raw = chunk if chunk.isalnum() else chunk.strip(strip)
                if raw.isalnum():
                    c = codes.get(raw, unseen)
                    if c is unseen:
                        low = raw.lower()
                        if low in STOP_WORDS:
                            c = stop
                        else:
                            term = stem_word(low)
                            c = ids.get(term)
                            if c is None:
                                c = ids[term] = len(terms)
                                terms.append(term)
                        codes[raw] = c
                    known[chunk] = (c,)
                    continue
            known[chunk] = tuple(map(code, _TOKEN.findall(chunk)))

    def _general(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        terms = index_terms(text)
        if not terms:
            return _NO_IDS, _NO_IDS
        ids = np.concatenate([np.full(len(p), self.term_id(t), dtype=np.int32) for t, p in terms.items()])
        positions = np.concatenate([np.asarray(p, dtype=np.int32) for p in terms.values()])
        return ids, positions


_NO_IDS = np.zeros(0, dtype=np.int32)
_UNSEEN = object()
# ASCII characters no word contains (\\w is letters, digits and "_"; an apostrophe only joins).
_ASCII_PUNCT = "".join(c for c in map(chr, range(128)) if not re.match(r"\w", c))
# Texts shorter than this (in characters) are encoded word by word (see TermTable.encode):
# the array path costs two hash-table lookups of several probe rounds each, and a short
# load learns most of its words. 1,500 short articles (their texts of 2,000-4,000
# characters): 161 ms by arrays, 109 ms word by word; 1,500 normal ones alike both ways.
_SHORT_TEXT = 4000
# Texts up to this long have their encoding remembered, up to this many of them.
_MEMO_TEXT = 600
_MEMO_TEXTS = 20_000
