"""Full-text queries over a :class:`CorpusIndex`: query language, hits, highlighted snippets."""

from __future__ import annotations

import html
import logging
import re
import threading
import time
import traceback
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import numpy as np
from whoosh import collectors, qparser
from whoosh import query as wquery
from whoosh.matching import AndNotMatcher

from app.core.engine import release
from app.core.engine.analysis import _CJK, TOKEN_PATTERN, body_analyzer, token_terms
from app.core.engine.index import CorpusIndex
from app.core.engine.queryeval import Timeout, TooWide
from app.core.engine.searchpage import fast_page as _fast_page
from app.core.engine.searchstate import Caches, ReaderState
from app.core.reading.model import Article, Hit, Role, SearchResult

log = logging.getLogger(__name__)
MAX_QUERY_CHARS = 1000
MAX_FUZZY_EDITS = 2
# A query that runs longer than this is stopped (e.g. many wildcards over a huge corpus).
SEARCH_SECONDS = 10.0
_WORD = re.compile(TOKEN_PATTERN)
# English words whose stem does not start with their first two letters (the stemmer's exceptions).
_IRREGULAR_STEMS = frozenset({"dying", "lying", "tying"})
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Where the tokenizer's left-to-right scan starts a word.
_TOKEN_START = re.compile(r"(?<!\w)(?<!\w['’])\w")
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


# Outside phrases: a comparison right after a field name (date:>2017) is a range; any other
# angle bracket is text, as in <alliance> or <b>x</b> pasted from HTML.
_COMPARISON = re.compile(r"(?:(?<![\w\"])([A-Za-z_]\w*:))?(<=|>=|=<|=>|<|>)")
# <alliance>, <b>, </b>: brackets closed before any space are a tag or a quoted word, not a range.
_TAG = re.compile(r"<(/?[^\s<>]*)>")
# NOT as Whoosh's parser reads it (after a start, a space or a bracket, before a space), twice.
_DOUBLE_NOT = re.compile(r"(?:^|(?<=[\s()]))NOT\s+NOT(?=\s)")


_DATE_HELP = ("date: takes a year, a month or a day, as in date:2017, date:2017-07 "
              "or date:[2017 TO 2019].")
_NO_TERMS = "The query has no searchable terms (only stop words or punctuation?)."


def _is_date_error(exc: BaseException) -> bool:
    """Whether Whoosh failed on a value of the date field (in its DATETIME type's date parsing)."""
    return "parseable date" in str(exc) or any(
        "date" in frame.f_code.co_name for frame, _ in traceback.walk_tb(exc.__traceback__))


def _plain_text(text: str) -> str:
    """``text`` with what Whoosh's parser misreads rewritten to what the user meant.

    ``NOT NOT x`` is ``x``, and angle brackets that do not compare a field (``date:>2017``) are
    spaces, as the analyzer would drop them from a word anyway. Phrases are kept as they are.
    """

    def outside(part: str) -> str:
        part = _TAG.sub(lambda m: ("" if part[m.start() - 1:m.start()] == ":" else " ")
                        + m.group(1) + " ", part)
        part = _COMPARISON.sub(lambda m: m.group(0) if m.group(1) and m.group(1)[:-1].lower()
                               in KNOWN_FIELDS else (m.group(1) or "") + " ", part)
        return _DOUBLE_NOT.sub(" ", part)

    pieces = re.split(r'("[^"]*")', text)
    return "".join(p if i % 2 else outside(p) for i, p in enumerate(pieces))


def parse(index: CorpusIndex, text: str) -> wquery.Query:
    """Parse ``text`` in the Whoosh query language (AND/OR/NOT, phrases, wildcards, fields, ``term~``)."""
    text = _plain_text(validate(text))
    if not text.strip():
        raise QueryError(_NO_TERMS)
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
    except Exception as exc:
        raise QueryError(_DATE_HELP if _is_date_error(exc) else
                         "Could not read the query: check its operators, brackets and field "
                         'names, or put unusual characters inside "quotes".') from exc
    if q is wquery.NullQuery or isinstance(q, type(wquery.NullQuery)):
        raise QueryError(_NO_TERMS)
    return q


class SearchSession:
    """One open Whoosh searcher kept between queries, and what the fast path caches.

    Opening a searcher costs several milliseconds, and the fast path keeps per-segment data
    (field lengths, decoded postings) that only stays valid with its segments. The searcher is
    reopened when the index has a new generation. Queries take turns: a Whoosh searcher reads
    its files through shared handles.
    """

    def __init__(self, index: CorpusIndex) -> None:
        self.index = index
        self.caches = Caches()
        self._lock = threading.Lock()
        self._ix = None
        self._state: ReaderState | None = None

    @contextmanager
    def reading(self) -> Iterator[ReaderState]:
        """The current searcher's state, held for the duration of the ``with`` block."""
        with self._lock:
            ix, _ = self.index.open()
            state = self._state
            if state is None or ix is not self._ix or not state.searcher.up_to_date():
                if state is not None:
                    self._state = None
                    state.searcher.close()
                state = ReaderState(ix.searcher(), self.caches)
                self._state, self._ix = state, ix
            yield state

    def close(self) -> None:
        """Close the searcher (the next query opens a new one)."""
        with self._lock:
            if self._state is not None:
                self._state.searcher.close()
            self._state = self._ix = None


def search(
    index: CorpusIndex,
    text: str,
    *,
    limit: int | None = 20,
    sort: str = "score",
    snippets: bool = True,
    load_article: Callable[[str, str], Article | None] | None = None,
    session: SearchSession | None = None,
    narrow: Callable[[ReaderState, np.ndarray], np.ndarray] | None = None,
) -> SearchResult:
    """Run a query and return hits with highlighted snippets.

    Args:
        index: the corpus index (opened, created or rebuilt as needed).
        text: the query in the Whoosh query language.
        limit: page size (``None`` for all hits).
        sort: ``"score"`` (best first) or ``"date"`` (newest first).
        snippets: whether to build highlighted snippets (reads the hit files).
        load_article: ``(id, path) -> Article`` used to get the text for snippets.
        session: the open searcher to use (a temporary one when ``None``).
        narrow: given the searcher's state and every matching docnum, a boolean mask over
            docnums of those to keep (facet filters, :mod:`app.core.search.facets`); ``total`` counts
            the kept ones.
    """
    if sort not in ("score", "date"):
        raise QueryError(f"Unknown sort order '{sort}' (use score or date).")
    q = parse(index, text)
    active = SearchSession(index) if session is None else session
    try:
        total, page, terms = _run(active, q, limit, sort, snippets, narrow)
    finally:
        if active is not session:
            active.close()
    hits = []
    for fields, score in page:
        snips: tuple[str, ...] = ()
        places: tuple[int, ...] = ()
        count = 0
        if snippets:
            snips, count, places = _snippets_and_places(fields, terms, load_article)
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
                matches=count,
                paragraphs=places,
            )
        )
    return SearchResult(query=text, total=total, hits=tuple(hits))


def _run(session: SearchSession, q: wquery.Query, limit: int | None, sort: str,
         snippets: bool, narrow: Callable[[ReaderState, np.ndarray], np.ndarray] | None = None,
         ) -> tuple[int, list[tuple[dict[str, Any], float]], frozenset[str]]:
    """(total, [(stored fields, score)] of the page, body terms to mark in snippets)."""
    deadline = time.monotonic() + SEARCH_SECONDS
    with session.reading() as state:
        searcher = state.searcher
        q = _expand_fuzzy(q, state)
        # No terms=True: recording matched terms per document defeats Whoosh's top-k skipping;
        # snippets get the query's (expanded) terms instead.
        collector = searcher.collector(limit=None if sort == "date" else limit)
        fast = None
        if release.fast():
            try:
                collector.prepare(searcher, q, searcher.context())
                fast = _fast_page(state, q, limit, sort, collector.context, deadline, narrow)
            except Timeout:
                raise QueryError(_too_long()) from None
            except TooWide as exc:
                raise QueryError(str(exc)) from None
            except Exception as exc:
                # A failure, not a query the fast path does not cover (those return None and
                # log why): Whoosh's collector still answers, and the cause is kept.
                log.warning("search fast path failed for %r (%s: %s); Whoosh's collector runs it",
                            str(q), type(exc).__name__, exc, exc_info=True)
        if fast is not None:
            total = fast[0]
            page = [(searcher.stored_fields(d), s) for d, s in fast[1]]
        else:
            if narrow is not None:  # every match, for the facets, then only the kept ones are collected
                every = np.fromiter(searcher.docs_for_query(_exact_and_not(q)), dtype=np.int64)
                every.sort()
                allow = frozenset(np.flatnonzero(narrow(state, every)).tolist())
                collector = searcher.collector(limit=None if sort == "date" else limit)
            else:
                allow = None
            total, page = _whoosh_page(searcher, q, limit, sort, _DeadlineCollector(collector, deadline, allow))
        return total, page, _query_terms(searcher, q) if snippets else frozenset()


def _too_long() -> str:
    return f"The query took longer than {SEARCH_SECONDS:.0f} s; make it more specific (fewer wildcards)."


class _DeadlineCollector(collectors.WrappingCollector):
    """Whoosh's ``TimeLimitCollector`` without its timer thread: the clock is read between matches.

    ``TimeLimitCollector`` starts a non-daemon ``threading.Timer`` per search and cancels it
    only when the collection finishes normally: every other path left a thread that kept the
    process alive for the whole time limit after its search was done.
    """

    def __init__(self, child: collectors.Collector, deadline: float, allow: frozenset[int] | None = None) -> None:
        super().__init__(child)
        self.deadline = deadline
        self.allow = allow  # global docnums to collect (facet filters); None: every match

    def collect_matches(self) -> None:
        """Collect the child's matches, raising ``TimeLimit`` once the deadline has passed."""
        child = self.child
        clock = time.monotonic
        deadline = self.deadline
        if clock() > deadline:
            raise collectors.TimeLimit
        allow = self.allow
        for sub_docnum in child.matches():
            if clock() > deadline:
                raise collectors.TimeLimit
            if allow is None or child.offset + sub_docnum in allow:
                child.collect(sub_docnum)


class _AndNotMatcher(AndNotMatcher):
    """Whoosh's ``AndNotMatcher``, which skips the excluded documents before the first one too.

    Whoosh's own checks its first document against the excluded side only when that side also
    starts there: ``Taiwan ANDNOT russia`` returned the first Taiwan article, which has russia.
    """

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class _AndNot(wquery.AndNot):
    """``a ANDNOT b`` matched by :class:`_AndNotMatcher`."""

    def matcher(self, searcher: Any, context: Any = None) -> _AndNotMatcher:
        """As ``AndNot.matcher``, with the corrected matcher."""
        return _AndNotMatcher(self.a.matcher(searcher, context),
                              self.b.matcher(searcher, searcher.boolean_context()))


def _exact_and_not(q: wquery.Query) -> wquery.Query:
    """``q`` with every ``ANDNOT`` matched by :class:`_AndNot`."""
    if type(q) is wquery.AndNot:
        return _AndNot(_exact_and_not(q.a), _exact_and_not(q.b))
    return q if q.is_leaf() else q.apply(_exact_and_not)


def _whoosh_page(searcher: Any, q: wquery.Query, limit: int | None, sort: str,
                 timed: _DeadlineCollector) -> tuple[int, list[tuple[dict[str, Any], float]]]:
    """(total, [(stored fields, score)]) by Whoosh's own collector (under the time limit)."""
    q = _exact_and_not(q)
    try:
        # Date order keeps real relevance scores: rank every hit, then order by date with
        # undated articles last (Whoosh's sortedby would replace scores by sort keys).
        searcher.search_with_collector(q, timed)
        results = timed.results()
        total = len(results)
    except collectors.TimeLimit:
        raise QueryError(_too_long()) from None
    except OSError:
        raise  # the disk, not the query: reported as such by the callers
    except Exception as exc:
        raise QueryError(_DATE_HELP if _is_date_error(exc) else
                         "The query could not be run: try it with fewer operators or wildcards.") from exc
    ordered = list(results)
    if sort == "date":
        ordered.sort(key=lambda h: (h.get("date") or datetime.min, h.score or 0.0), reverse=True)
        ordered = ordered[:limit] if limit else ordered
    return total, [(hit.fields(), float(hit.score or 0.0)) for hit in ordered]


def _expand_fuzzy(q: wquery.Query, state: ReaderState) -> wquery.Query:
    """Replace fuzzy terms by the index terms within their edit distance.

    Whoosh computes each candidate's distance in Python (seconds on a large vocabulary);
    rapidfuzz does the same comparison in C.
    """
    if isinstance(q, wquery.FuzzyTerm):
        try:
            near = state.near_terms(q.fieldname, q.text, q.maxdist, q.prefixlength)
        except Exception:
            return q
        if not near:
            return wquery.NullQuery
        return wquery.Or([wquery.Term(q.fieldname, w, boost=q.boost) for w in near])
    if q.is_leaf():
        return q
    return q.apply(lambda sub: _expand_fuzzy(sub, state))


def _query_terms(searcher: Any, q: wquery.Query) -> frozenset[str]:
    """The body-field terms a query can match (wildcards and fuzzy terms expanded)."""
    try:
        # existing_terms expands wildcards and fuzzy terms but can miss plain ones: take both.
        reader = searcher.reader()
        found = set(q.iter_all_terms(phrases=True))
        found |= q.existing_terms(reader, phrases=True, expand=True)
        # existing_terms keeps one field per expanded word (title's, when a query spans
        # title and body): expand the body's patterns and fuzzy terms directly.
        for leaf in q.leaves():
            if getattr(leaf, "fieldname", None) == "body" and hasattr(leaf, "expanded_terms"):
                found.update(leaf.expanded_terms(reader))
    except Exception:
        return frozenset()
    return frozenset(t.decode("utf-8") if isinstance(t, bytes) else str(t)
                     for field, t in found if field == "body")


def highlight_text(text: str, terms: frozenset[str], *, top: int = 3, surround: int = 60,
                   maxchars: int = 220, spans: list[tuple[int, int]] | None = None) -> list[str]:
    """Up to ``top`` HTML snippets of ``text`` around words whose terms are in ``terms``.

    Words are matched through the index analyzer (so stems match) with one regex pass and
    cached token analysis: far cheaper than re-running Whoosh's highlighter on a long body.
    Matched words are wrapped in ``<b>``; everything else is HTML-escaped.
    """
    if not terms:
        return []
    if spans is None:
        spans = _marked_spans(text, terms)
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
        # Matches in the context around the group are marked too, not shown plain.
        marks = spans[bisect_left(spans, (start, -1)):bisect_right(spans, (end, end))]
        marks = [m for m in marks if m[1] <= end]
        pieces, pos = [], start
        for s, e in marks:
            pieces.append(html.escape(text[pos:s], quote=False))
            pieces.append("<b>" + html.escape(text[s:e], quote=False) + "</b>")
            pos = e
        pieces.append(html.escape(text[pos:end], quote=False))
        out.append(" ".join("".join(pieces).split()))
    return out


@lru_cache(maxsize=64)
def _initial_tokens(initials: str) -> re.Pattern[str]:
    """A regex for the tokens of ``TOKEN_PATTERN`` that start with one of ``initials``."""
    first = "[" + re.escape(initials) + "]"
    # The look-behinds put the match at a token start, as the tokenizer's left-to-right scan would.
    return re.compile(first + r"(?<!\w" + first + r")(?<!\w['’]" + first + r")\w*(?:['’]\w+)*")


def _marked_spans(text: str, terms: frozenset[str]) -> list[tuple[int, int]]:
    """Spans of the tokens of ``text`` that the body analyzer turns into one of ``terms``."""
    if _CJK.search(text):  # CJK words become bigrams: their terms need not start like them
        return [m.span() for m in _WORD.finditer(text) if not terms.isdisjoint(token_terms(m.group()))]
    # Stemming is most of the cost, and a word whose first two characters are ASCII keeps them
    # in its term (but for the English stemmer's irregular words): other such words are skipped.
    heads = {t[:2] for t in terms}
    heads |= {t for t in terms if len(t) == 1}

    def may_match(word: str) -> bool:
        if word[:2].isascii():
            low = word[:2].lower()
            if low not in heads and low[:1] not in heads and word.lower() not in _IRREGULAR_STEMS:
                return False
        return not terms.isdisjoint(token_terms(word))

    initials = "".join(sorted({c for h in heads if h[:1].isascii() for c in (h[0], h[0].upper())}))
    found = list(_initial_tokens(initials).finditer(text)) if initials else []
    if not text.isascii():
        # Words with a non-ASCII character among their first two are always analysed.
        starts = {s for m in _NON_ASCII.finditer(text) for s in (m.start(), m.start() - 1)
                  if s >= 0 and _TOKEN_START.match(text, s)}
        found += [m for m in (_WORD.match(text, s) for s in starts) if m is not None]
    return sorted({m.span() for m in found if may_match(m.group())})


ArticleLoader = Callable[[str, str], Article | None]


def _snippets_and_places(fields: dict[str, Any], terms: frozenset[str], load_article: ArticleLoader | None,
                         ) -> tuple[tuple[str, ...], int, tuple[int, ...]]:
    """The snippets of a hit, how many words the terms matched and in which paragraphs (1-based)."""
    article = None
    if load_article is not None:
        try:
            article = load_article(fields["id"], fields.get("path", ""))
        except Exception:
            article = None
    if article is None:
        return (), 0, ()
    shown = [p for p in article.paragraphs if p.role is not Role.CHROME]
    body = "\n".join(p.text for p in shown)
    spans = _marked_spans(body, terms) if terms else []
    starts, pos = [], 0
    for p in shown:
        starts.append(pos)
        pos += len(p.text) + 1
    places = tuple(sorted({shown[bisect_right(starts, s) - 1].index + 1 for s, _ in spans}))
    out = highlight_text(body, terms, spans=spans)
    if not out:
        lead = next((p.text for p in article.body), body)[:220]
        out.append(html.escape(lead, quote=False) + ("…" if len(lead) == 220 else ""))
    return tuple(out), len(spans), places


def _snippets(fields: dict[str, Any], terms: frozenset[str], load_article: ArticleLoader | None) -> tuple[str, ...]:
    article = None
    if load_article is not None:
        try:
            article = load_article(fields["id"], fields.get("path", ""))
        except Exception:
            article = None
    if article is None:
        return ()
    body = "\n".join(p.text for p in article.paragraphs if p.role is not Role.CHROME)
    out = highlight_text(body, terms)
    if not out:
        lead = next((p.text for p in article.body), body)[:220]
        out.append(html.escape(lead, quote=False) + ("…" if len(lead) == 220 else ""))
    return tuple(out)


_TERM_TOKEN = re.compile(r"(?:(?P<field>[A-Za-z_]\w*):)?(?P<term>\"[^\"]*\"|[^\s()\"]+)")


def term_matcher(text: str) -> Callable[[str], bool]:
    """A predicate telling whether a word of displayed text matches a term of the query.

    Used by views to highlight query terms: words are compared after the same stemming the
    index uses, ``pre*`` wildcards match by prefix, and NOT-ed terms are not highlighted.
    Works on any string, even one the parser would reject.
    """

    analyzer = body_analyzer()
    stems: set[str] = set()
    prefixes: list[str] = []
    negate = False
    for m in _TERM_TOKEN.finditer(text):
        term = m.group("term")
        field = (m.group("field") or "").lower()
        if term in ("AND", "OR", "ANDMAYBE"):
            continue
        if term in ("NOT", "ANDNOT"):
            negate = not negate  # NOT NOT x is x
            continue
        if term.startswith("-"):
            negate = True
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
