"""Full-text queries over a :class:`CorpusIndex`: query language, hits, highlighted snippets."""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable
from datetime import date, datetime
from math import log

import numpy as np
from rapidfuzz.distance import DamerauLevenshtein
from whoosh import collectors, qparser, scoring
from whoosh import query as wquery
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util.numeric import byte_to_length

from app.core.analysis import TOKEN_PATTERN, token_terms
from app.core.index import CorpusIndex
from app.core.model import Article, Hit, Role, SearchResult

MAX_QUERY_CHARS = 1000
MAX_FUZZY_EDITS = 2
# A query that runs longer than this is stopped (e.g. many wildcards over a huge corpus).
SEARCH_SECONDS = 10.0
_WORD = re.compile(TOKEN_PATTERN)
DEFAULT_FIELDS = ("title", "body")
KNOWN_FIELDS = ("title", "body", "source", "author", "date", "id", "chrome")
_FIELD_RE = re.compile(r"(?<![\w\"])([A-Za-z_]\w*):(?=\S)")
_OPERATOR = re.compile(r"^(AND|OR|NOT|ANDNOT|ANDMAYBE)$")


class QueryError(ValueError):
    """A query that cannot be run; the message is one line meant for the user."""


def validate(text: str) -> str:
    """Check a query string for mistakes the Whoosh parser would silently misread.

    Returns the stripped query. Raises :class:`QueryError` with a readable message.
    """
    text = text.strip()
    if not text:
        raise QueryError("Type something to search for.")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long ({len(text):,} characters; the limit is {MAX_QUERY_CHARS:,}).")
    if text.count('"') % 2:
        raise QueryError('Unbalanced quotes: a phrase needs a closing ".')
    depth = 0
    in_phrase = False
    for ch in text:
        if ch == '"':
            in_phrase = not in_phrase
        elif not in_phrase and ch == "(":
            depth += 1
        elif not in_phrase and ch == ")":
            depth -= 1
            if depth < 0:
                raise QueryError("Unbalanced parentheses: a ')' has no matching '('.")
    if depth:
        raise QueryError("Unbalanced parentheses: a '(' is never closed.")
    words = text.replace("(", " ").replace(")", " ").split()
    if words and (_OPERATOR.match(words[0]) and words[0] != "NOT" or _OPERATOR.match(words[-1])):
        raise QueryError(f"'{words[0] if _OPERATOR.match(words[0]) else words[-1]}' needs a term on both sides.")
    for a, b in zip(words, words[1:], strict=False):
        if _OPERATOR.match(a) and _OPERATOR.match(b) and b != "NOT":
            raise QueryError(f"'{a} {b}': two operators in a row.")
    outside = re.sub(r'"[^"]*"', " phrase ", text)
    for m in _FIELD_RE.finditer(outside):
        if m.group(1).lower() not in KNOWN_FIELDS:
            raise QueryError(
                f"Unknown field '{m.group(1)}:'. Fields: {', '.join(KNOWN_FIELDS)}."
            )
    if re.search(r"(?<![\w\"])[A-Za-z_]\w*:\s*$", outside) or re.search(r"\b\w+:\s+(AND|OR|\))", outside):
        raise QueryError("A field name needs a term after the colon, as in title:alliance.")
    for m in re.finditer(r"\S~(\d+)", outside):
        if int(m.group(1)) > MAX_FUZZY_EDITS:
            raise QueryError(f"Fuzzy matching allows at most {MAX_FUZZY_EDITS} edits (as in Navalni~2).")
    # Field names are case-sensitive to Whoosh; "Title:" would silently match nothing.
    return _FIELD_RE.sub(lambda m: m.group(1).lower() + ":" if m.group(1).lower() in KNOWN_FIELDS
                         else m.group(0), text)


def parse(index: CorpusIndex, text: str) -> wquery.Query:
    """Parse ``text`` in the Whoosh query language (AND/OR/NOT, phrases, wildcards, fields, ``term~``)."""
    text = validate(text)
    ix, _ = index.open()
    if not text.strip("*? "):
        # Only wildcards: every document. Expanding "*" over every term would take minutes.
        return wquery.Every()
    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), ix.schema, fieldboosts={"title": 2.0})
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    try:
        q = parser.parse(text)
    except Exception as exc:  # noqa: BLE001 - the parser has many failure modes; all are user input
        raise QueryError(f"Could not read the query: {exc}") from exc
    if q is wquery.NullQuery or isinstance(q, type(wquery.NullQuery)):
        raise QueryError("The query has no searchable terms (only stop words or punctuation?).")
    return q


def search(
    index: CorpusIndex,
    text: str,
    *,
    limit: int | None = 20,
    sort: str = "score",
    snippets: bool = True,
    load_article: Callable[[str, str], Article | None] | None = None,
) -> SearchResult:
    """Run a query and return hits with highlighted snippets.

    Args:
        index: the corpus index (opened, created or rebuilt as needed).
        text: the query in the Whoosh query language.
        limit: page size (``None`` for all hits).
        sort: ``"score"`` (best first) or ``"date"`` (newest first).
        snippets: whether to build highlighted snippets (reads the hit files).
        load_article: ``(id, path) -> Article`` used to get the text for snippets.
    """
    if sort not in ("score", "date"):
        raise QueryError(f"Unknown sort order '{sort}' (use score or date).")
    q = parse(index, text)
    ix, _ = index.open()
    with ix.searcher() as searcher:
        q = _expand_fuzzy(q, searcher.reader())
        # No terms=True: recording matched terms per document defeats Whoosh's top-k skipping;
        # snippets get the query's (expanded) terms instead.
        collector = searcher.collector(limit=None if sort == "date" else limit)
        timed = collectors.TimeLimitCollector(collector, timelimit=SEARCH_SECONDS, use_alarm=False)
        page: list[tuple[dict, float]] = []
        try:
            timed.prepare(searcher, q, searcher.context())
            fast = _fast_page(searcher, q, limit, sort, collector.context)
        except Exception:  # noqa: BLE001 - the fast path is an optimisation only
            fast = None
        if fast is not None:
            total = fast[0]
            page = [(searcher.stored_fields(d), s) for d, s in fast[1]]
        else:
            total, page = _whoosh_page(searcher, q, limit, sort, timed)
        terms = _query_terms(searcher, q) if snippets else frozenset()
        hits = []
        for fields, score in page:
            snips: tuple[str, ...] = ()
            if snippets:
                snips = _snippets(fields, terms, load_article)
            d = fields.get("date")
            hits.append(
                Hit(
                    id=fields["id"],
                    path=fields.get("path", ""),
                    title=fields.get("title", ""),
                    source=fields.get("source", ""),
                    author=fields.get("author", ""),
                    date=d.date() if isinstance(d, datetime) else d if isinstance(d, date) else None,
                    score=float(score or 0.0),
                    snippets=snips,
                )
            )
        return SearchResult(query=text, total=total, hits=tuple(hits))


def _whoosh_page(searcher, q: wquery.Query, limit: int | None, sort: str,  # noqa: ANN001
                 timed: collectors.TimeLimitCollector) -> tuple[int, list[tuple[dict, float]]]:
    """(total, [(stored fields, score)]) by Whoosh's own collector (under the time limit)."""
    try:
        # Date order keeps real relevance scores: rank every hit, then order by date with
        # undated articles last (Whoosh's sortedby would replace scores by sort keys).
        searcher.search_with_collector(q, timed)
        results = timed.results()
        total = len(results)
    except collectors.TimeLimit:
        raise QueryError(
            f"The query took longer than {SEARCH_SECONDS:.0f} s; make it more specific (fewer wildcards)."
        ) from None
    except Exception as exc:  # noqa: BLE001
        raise QueryError(f"The query could not be run: {' '.join(str(exc).split())}") from exc
    ordered = list(results)
    if sort == "date":
        ordered.sort(key=lambda h: (h.get("date") or datetime.min, h.score or 0.0), reverse=True)
        ordered = ordered[:limit] if limit else ordered
    return total, [(hit.fields(), float(hit.score or 0.0)) for hit in ordered]


_VOCAB: dict[tuple, list[str]] = {}


def _vocabulary(reader, field: str) -> list[str]:  # noqa: ANN001
    """The sorted terms of ``field``, cached per index generation (reading them is slow)."""
    key = (tuple(sorted(str(getattr(r, "_segment", id(r))) for r, _ in reader.leaf_readers())), field)
    vocab = _VOCAB.get(key)
    if vocab is None:
        if len(_VOCAB) > 8:
            _VOCAB.clear()
        vocab = _VOCAB[key] = sorted(b.decode("utf-8") for b in reader.lexicon(field))
    return vocab


def _expand_fuzzy(q: wquery.Query, reader) -> wquery.Query:  # noqa: ANN001
    """Replace fuzzy terms by the index terms within their edit distance.

    Whoosh computes each candidate's distance in Python (seconds on a large vocabulary);
    rapidfuzz does the same comparison in C.
    """
    if isinstance(q, wquery.FuzzyTerm):
        field, text, maxdist = q.fieldname, q.text, q.maxdist
        try:
            vocab = _vocabulary(reader, field)
        except Exception:  # noqa: BLE001 - unknown field etc.: let Whoosh handle it
            return q
        prefix = text[: q.prefixlength]
        lo = bisect.bisect_left(vocab, prefix)
        hi = bisect.bisect_left(vocab, prefix + "\U0010ffff") if prefix else len(vocab)
        words = vocab[lo:hi]
        near = [w for w in words
                if DamerauLevenshtein.distance(w, text, score_cutoff=maxdist) <= maxdist]
        if not near:
            return wquery.NullQuery
        return wquery.Or([wquery.Term(field, w, boost=q.boost) for w in near])
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _expand_fuzzy(sub, reader))


def _query_terms(searcher, q: wquery.Query) -> frozenset[str]:  # noqa: ANN001
    """The body-field terms a query can match (wildcards and fuzzy terms expanded)."""
    try:
        # existing_terms expands wildcards and fuzzy terms but can miss plain ones: take both.
        found = set(q.iter_all_terms(phrases=True))
        found |= q.existing_terms(searcher.reader(), phrases=True, expand=True)
    except Exception:  # noqa: BLE001 - no snippet marks is better than no result
        return frozenset()
    return frozenset(t.decode("utf-8") if isinstance(t, bytes) else str(t)
                     for field, t in found if field == "body")


def highlight_text(text: str, terms: frozenset[str], *, top: int = 3, surround: int = 60,
                   maxchars: int = 220) -> list[str]:
    """Up to ``top`` HTML snippets of ``text`` around words whose terms are in ``terms``.

    Words are matched through the index analyzer (so stems match) with one regex pass and
    cached token analysis: far cheaper than re-running Whoosh's highlighter on a long body.
    Matched words are wrapped in ``<b>``; everything else is HTML-escaped.
    """
    if not terms:
        return []
    # Analyse each distinct word once, then find only the matching words with one regex
    # (its look-arounds reproduce the tokenizer's word boundaries).
    forms = [w for w in set(_WORD.findall(text)) if not terms.isdisjoint(token_terms(w))]
    if not forms:
        return []
    forms.sort(key=len, reverse=True)
    marks = re.compile(r"(?<!\w)(?<!\w['’])(?:" + "|".join(map(re.escape, forms)) + r")(?!\w|['’]\w)")
    spans = [m.span() for m in marks.finditer(text)]
    if not spans:
        return []
    frags: list[tuple[int, int, int, list[tuple[int, int]]]] = []
    i = 0
    while i < len(spans):
        start = max(0, spans[i][0] - surround)
        j = i + 1
        while j < len(spans) and spans[j][1] + surround - start <= maxchars:
            j += 1
        end = min(len(text), spans[j - 1][1] + surround)
        frags.append((j - i, start, end, spans[i:j]))
        i = j
    best = sorted(sorted(frags, key=lambda f: -f[0])[:top], key=lambda f: f[1])
    out = []
    for _, start, end, marks in best:
        if start > 0:  # do not cut a word in half at either end
            space = text.find(" ", start, marks[0][0])
            start = space + 1 if space >= 0 else start
        if end < len(text):
            space = text.rfind(" ", marks[-1][1], end)
            end = space if space >= 0 else end
        pieces, pos = [], start
        for s, e in marks:
            pieces.append(html.escape(text[pos:s], quote=False))
            pieces.append("<b>" + html.escape(text[s:e], quote=False) + "</b>")
            pos = e
        pieces.append(html.escape(text[pos:end], quote=False))
        out.append(" ".join("".join(pieces).split()))
    return out


def _snippets(fields: dict, terms: frozenset[str], load_article) -> tuple[str, ...]:  # noqa: ANN001
    article = None
    if load_article is not None:
        try:
            article = load_article(fields["id"], fields.get("path", ""))
        except Exception:  # noqa: BLE001 - a file that vanished still gets a hit, just no snippet
            article = None
    if article is None:
        return ()
    body = "\n".join(p.text for p in article.paragraphs if p.role is not Role.CHROME)
    out = highlight_text(body, terms)
    if not out:
        lead = next((p.text for p in article.body), body)[:220]
        out.append(html.escape(lead, quote=False) + ("…" if len(lead) == 220 else ""))
    return tuple(out)


# ---------------------------------------------------------------- vectorised fast path
#
# Whoosh scores and counts every matching document in Python, a few microseconds each: a
# word found in 98 % of 100k articles costs about a second, and its date order five. The
# fast path reads the posting blocks of each term into numpy arrays, evaluates the query's
# boolean structure with sorted-array set operations (an exact hit count for free) and
# estimates every BM25F score with the same formula. Only the few documents that can reach
# the requested page are then scored by Whoosh's own matchers, so the page, its order and
# its scores are exactly what Whoosh's collector returns. Query types it does not cover
# (phrases, ranges, NOT alone, ...) and any estimate that disagrees with Whoosh go the
# ordinary way.

_MAX_RESCORE = 3000  # more candidates than this (massive ties) use Whoosh's own collector
_REL_TOL = 1e-9


class _Unsupported(Exception):
    """The fast path does not cover this query; use Whoosh's collector."""


_BYTE_LENGTHS: np.ndarray | None = None
_LEAF_CACHE: dict[tuple, np.ndarray] = {}


def _leaf_key(leaf) -> str:  # noqa: ANN001
    return str(getattr(leaf, "_segment", id(leaf)))


def _lengths(leaf, field: str) -> np.ndarray:  # noqa: ANN001
    """Field lengths of every document of a segment, as Whoosh's scorer reads them."""
    global _BYTE_LENGTHS
    key = (_leaf_key(leaf), "len", field)
    arr = _LEAF_CACHE.get(key)
    if arr is None:
        if _BYTE_LENGTHS is None:
            _BYTE_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
        n = leaf.doc_count_all()
        col = leaf._perdoc._cached_reader(_lenfield(field), LENGTHS_COLUMN)
        if col is None:
            raise _Unsupported(field)
        raw = np.fromiter((col[i] for i in range(n)), dtype=np.uint8, count=n)
        arr = _BYTE_LENGTHS[raw]
        if len(_LEAF_CACHE) > 256:
            _LEAF_CACHE.clear()
        _LEAF_CACHE[key] = arr
    return arr


def _live(leaf) -> np.ndarray | None:  # noqa: ANN001
    """Sorted deleted docnums of a segment (``None`` when it has none)."""
    if not leaf.has_deletions():
        return None
    dead = leaf.deleted_docs_set
    dead = dead() if callable(dead) else dead
    key = (_leaf_key(leaf), "deleted", len(dead))
    arr = _LEAF_CACHE.get(key)
    if arr is None:
        arr = _LEAF_CACHE[key] = np.array(sorted(dead), dtype=np.int64)
    return arr


class _Evaluator:
    """Numpy evaluation of a query: sorted global docnums and estimated scores."""

    def __init__(self, searcher) -> None:  # noqa: ANN001
        self.searcher = searcher
        self.reader = searcher.reader()
        self.leaves = list(self.reader.leaf_readers())
        w = searcher.weighting
        if type(w) is not scoring.BM25F or w.use_final or w._field_B:
            raise _Unsupported("weighting")
        self.K1, self.B = w.K1, w.B
        self.doc_count = searcher.doc_count_all()

    def term(self, field: str, btext: bytes, boost: float, constant: bool) -> tuple:
        """Docnums and scores of one term (BM25F, or its weight when ``constant``)."""
        schema = self.searcher.schema
        if field not in schema or (field, btext) not in self.reader:
            return _EMPTY
        if not constant and not schema[field].scorable:
            raise _Unsupported(field)
        ids_parts, w_parts, len_parts = [], [], []
        for leaf, offset in self.leaves:
            if (field, btext) not in leaf:
                continue
            m = leaf.postings(field, btext)
            inner = getattr(m, "child", m)
            if not hasattr(inner, "_read_ids"):
                raise _Unsupported("postings")
            while inner.is_active():
                inner._read_ids()
                inner._read_weights()
                ids = np.asarray(inner._ids, dtype=np.int64)
                ws = np.asarray(inner._weights, dtype=np.float64)
                if not constant:
                    len_parts.append(_lengths(leaf, field)[ids])
                ids_parts.append(ids + offset)
                w_parts.append(ws)
                inner._next_block()
        if not ids_parts:
            return _EMPTY
        ids = np.concatenate(ids_parts)
        tf = np.concatenate(w_parts)
        if constant:
            score = tf
        else:
            fl = np.concatenate(len_parts)
            idf = log(self.doc_count / (self.searcher.doc_frequency(field, btext) + 1)) + 1
            avgfl = self.searcher.avg_field_length(field) or 1
            K1, B = self.K1, self.B
            score = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        keep = self._alive(ids)
        if keep is not None:
            ids, score = ids[keep], score[keep]
        if boost != 1.0:
            score = score * boost
        return ids, score

    def _alive(self, ids: np.ndarray) -> np.ndarray | None:
        dead_parts = []
        for leaf, offset in self.leaves:
            dead = _live(leaf)
            if dead is not None:
                dead_parts.append(dead + offset)
        if not dead_parts:
            return None
        return ~np.isin(ids, np.concatenate(dead_parts))

    def eval(self, q: wquery.Query, constant: bool = False) -> tuple:
        """(sorted unique global docnums, estimated scores) of ``q``."""
        if q is wquery.NullQuery or isinstance(q, type(wquery.NullQuery)):
            return _EMPTY
        if type(q) is wquery.Term:
            field = q.fieldname
            if field not in self.searcher.schema:
                return _EMPTY
            try:
                btext = self.searcher.schema[field].to_bytes(q.text)
            except ValueError:
                return _EMPTY
            if getattr(q, "minquality", None):
                raise _Unsupported("minquality")
            return self.term(field, btext, q.boost, constant)
        if type(q) in (wquery.Prefix, wquery.Wildcard):
            # Whoosh scores expanded patterns in ways the estimate does not model, so the
            # vectorised attempt was always thrown away for them: go straight to Whoosh.
            if type(q) is wquery.Wildcard or q.constantscore or q.text == "":
                raise _Unsupported("pattern")
            words = [w for w in q._btexts(self.reader) if w]
            subs = [self.term(q.fieldname, w, 1.0, constant or q.constantscore) for w in words]
            if len(subs) == 1:
                ids, sc = subs[0]
                return (ids, sc * q.boost) if q.boost != 1.0 else (ids, sc)
            return self._union(subs, q.boost)
        if type(q) is wquery.Or:
            if q.minmatch or q.scale:
                raise _Unsupported("or options")
            subs = [s for s in q.subqueries]
            if any(isinstance(s, wquery.Not) for s in subs):
                raise _Unsupported("not inside or")
            if len(subs) == 1:
                return self._boosted(self.eval(subs[0], constant), q.boost)
            return self._union([self.eval(s, constant) for s in subs], q.boost)
        if type(q) is wquery.And:
            pos = [s for s in q.subqueries if not isinstance(s, wquery.Not)]
            neg = [s.query for s in q.subqueries if isinstance(s, wquery.Not)]
            if not pos:
                raise _Unsupported("only negative")
            if len(pos) == 1:
                ids, sc = self._boosted(self.eval(pos[0], constant), q.boost)
            else:
                ids, sc = self._intersect([self.eval(s, constant) for s in pos], q.boost)
            for s in neg:
                nid, _ = self.eval(s, True)
                keep = ~np.isin(ids, nid, assume_unique=True)
                ids, sc = ids[keep], sc[keep]
            return ids, sc
        if type(q) is wquery.AndNot:
            ids, sc = self._boosted(self.eval(q.a, constant), q.boost)
            nid, _ = self.eval(q.b, True)
            keep = ~np.isin(ids, nid, assume_unique=True)
            return ids[keep], sc[keep]
        raise _Unsupported(type(q).__name__)

    @staticmethod
    def _boosted(res: tuple, boost: float) -> tuple:
        return res if boost == 1.0 else (res[0], res[1] * boost)

    @staticmethod
    def _union(subs: list[tuple], boost: float) -> tuple:
        subs = [s for s in subs if len(s[0])]
        if not subs:
            return _EMPTY
        ids = np.concatenate([s[0] for s in subs])
        sc = np.concatenate([s[1] for s in subs])
        uniq, inv = np.unique(ids, return_inverse=True)
        total = np.zeros(len(uniq), dtype=np.float64)
        np.add.at(total, inv, sc)
        return uniq, (total * boost if boost != 1.0 else total)

    @staticmethod
    def _intersect(subs: list[tuple], boost: float) -> tuple:
        ids, sc = subs[0]
        for oid, osc in subs[1:]:
            common, ia, ib = np.intersect1d(ids, oid, assume_unique=True, return_indices=True)
            ids, sc = common, sc[ia] + osc[ib]
        return ids, (sc * boost if boost != 1.0 else sc)


_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def _date_keys(leaf) -> np.ndarray:  # noqa: ANN001
    """Per-document date sort keys of a segment (undated documents get the lowest key)."""
    key = (_leaf_key(leaf), "date")
    arr = _LEAF_CACHE.get(key)
    if arr is None:
        n = leaf.doc_count_all()
        lowest = -(2**40)  # below every ordinal, and safe to negate
        vals = np.full(n, lowest, dtype=np.int64)
        for i in range(n):
            d = leaf.stored_fields(i).get("date") if not leaf.is_deleted(i) else None
            if isinstance(d, date):  # datetime included
                vals[i] = d.toordinal()
        arr = _LEAF_CACHE[key] = vals
    return arr


def _exact_scores(searcher, q: wquery.Query, docnums: np.ndarray, context) -> dict[int, float]:  # noqa: ANN001
    """Whoosh's own scores of ``docnums`` (sorted global numbers), via each segment's matcher."""
    out: dict[int, float] = {}
    for sub, offset in searcher.leaf_searchers():
        n = sub.doc_count_all()
        local = docnums[(docnums >= offset) & (docnums < offset + n)] - offset
        if not len(local):
            continue
        m = q.matcher(sub, context)
        for d in local.tolist():
            if not m.is_active():
                break
            m.skip_to(d)
            if m.is_active() and m.id() == d:
                out[offset + d] = float(m.score())
    return out


def _fast_page(searcher, q: wquery.Query, limit: int | None, sort: str,  # noqa: ANN001
               context) -> tuple[int, list[tuple[int, float]]] | None:
    """(exact total, [(docnum, score)] of the page) by the vectorised path, or ``None``."""
    try:
        ids, est = _Evaluator(searcher).eval(q)
    except _Unsupported:
        return None
    total = len(ids)
    if not total:
        return 0, []
    if sort == "date":
        dates = np.concatenate([_date_keys(leaf) for leaf, _ in searcher.reader().leaf_readers()])
        dk = dates[ids]
        if limit is not None and total > limit:
            order = np.lexsort((ids, -est, -dk))
            keep = dk >= dk[order[limit - 1]]
            ids, est, dk = ids[keep], est[keep], dk[keep]
    elif limit is not None and total > limit:
        order = np.lexsort((ids, -est))
        kth = est[order[limit - 1]]
        keep = est >= kth - _REL_TOL * max(1.0, abs(kth))
        ids, est = ids[keep], est[keep]
    if len(ids) > _MAX_RESCORE:
        return None
    exact = _exact_scores(searcher, q, ids, context)
    if len(exact) != len(ids):
        return None
    scores = np.array([exact[d] for d in ids.tolist()], dtype=np.float64)
    if np.any(np.abs(scores - est) > _REL_TOL * np.maximum(1.0, np.abs(est))):
        return None  # the estimate does not model this query: let Whoosh rank it
    order = np.lexsort((ids, -scores, -dk)) if sort == "date" else np.lexsort((ids, -scores))
    if limit is not None:
        order = order[:limit]
    return total, [(int(ids[i]), float(scores[i])) for i in order]


_TERM_TOKEN = re.compile(r"(?:(?P<field>[A-Za-z_]\w*):)?(?P<term>\"[^\"]*\"|[^\s()\"]+)")


def term_matcher(text: str) -> Callable[[str], bool]:
    """A predicate telling whether a word of displayed text matches a term of the query.

    Used by views to highlight query terms: words are compared after the same stemming the
    index uses, ``pre*`` wildcards match by prefix, and NOT-ed terms are not highlighted.
    Works on any string, even one the parser would reject.
    """
    from app.core.analysis import body_analyzer

    analyzer = body_analyzer()
    stems: set[str] = set()
    prefixes: list[str] = []
    negate = False
    for m in _TERM_TOKEN.finditer(text):
        term = m.group("term")
        field = (m.group("field") or "").lower()
        if term in ("AND", "OR", "ANDMAYBE"):
            continue
        if term in ("NOT", "ANDNOT") or term.startswith("-"):
            negate = True
            if term.startswith("-") and len(term) > 1:
                continue
            continue
        if negate:
            negate = False
            continue
        if field and field not in ("title", "body", "chrome"):
            continue
        term = term.strip('"').rstrip("~0123456789").rstrip("~")
        if "*" in term or "?" in term:
            head = re.split(r"[*?]", term, maxsplit=1)[0].lower()
            if len(head) >= 2:
                prefixes.append(head)
            continue
        stems.update(t.text for t in analyzer(term))

    def matches(word: str) -> bool:
        low = word.lower()
        if any(low.startswith(p) for p in prefixes):
            return True
        if not stems:
            return False
        return any(t.text in stems for t in analyzer(word))

    return matches
