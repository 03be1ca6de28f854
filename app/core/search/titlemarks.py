"""Where a query matched a hit's title: the title words its title-field terms accept.

A plain term searches the title as well as the body (the parser's default fields), so it is a
title hit too when the title has the word; ``title:`` terms search the title alone. Terms under
NOT are not marked. Words are compared as the index stores them (the title field's analyzer:
stems, lower case), so ``title:sanctions`` marks "Sanctioned"; prefixes, wildcards and
``term~N`` are matched against the same stems, and a phrase marks its words only where they
stand in a row.
"""

from __future__ import annotations

import html
from dataclasses import replace
from fnmatch import fnmatchcase
from functools import lru_cache

from rapidfuzz.distance import Levenshtein
from whoosh import qparser
from whoosh import query as wquery

from app.core.engine.analysis import token_spans, token_terms
from app.core.engine.index import make_schema
from app.core.reading.model import SearchResult
from app.core.search.fulltext import DEFAULT_FIELDS, QueryError, validate

FIELD = "title"


@lru_cache(maxsize=1)
def _parser() -> qparser.MultifieldParser:

    parser = qparser.MultifieldParser(list(DEFAULT_FIELDS), make_schema())
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.GtLtPlugin())
    return parser


def _positive_leaves(q: wquery.Query, out: list[wquery.Query]) -> None:
    """The leaves of ``q`` that are not negated (under NOT, or the right side of ANDNOT)."""
    if isinstance(q, wquery.Not):
        return
    if isinstance(q, wquery.AndNot):
        _positive_leaves(q.a, out)
        return
    if q.is_leaf():
        out.append(q)
        return
    for child in q.children():
        _positive_leaves(child, out)


@lru_cache(maxsize=64)
def title_terms(query: str) -> tuple[wquery.Query, ...]:
    """The positive title-field leaves of ``query`` (empty when it does not parse)."""

    try:
        q = _parser().parse(validate(query))
    except (QueryError, Exception):  # an unreadable query just marks nothing (the search says why)
        return ()
    leaves: list[wquery.Query] = []
    _positive_leaves(q, leaves)
    return tuple(leaf for leaf in leaves if getattr(leaf, "fieldname", None) == FIELD)


def _accepts(leaf: wquery.Query, terms: tuple[str, ...]) -> bool:
    """Whether a one-word leaf accepts a word analysed into ``terms``."""
    if isinstance(leaf, wquery.FuzzyTerm):
        pre = leaf.text[:leaf.prefixlength]
        return any(t.startswith(pre) and Levenshtein.distance(t, leaf.text, score_cutoff=leaf.maxdist)
                   <= leaf.maxdist for t in terms)
    if isinstance(leaf, wquery.Prefix):
        return any(t.startswith(leaf.text) for t in terms)
    if isinstance(leaf, wquery.Wildcard):
        return any(fnmatchcase(t, leaf.text) for t in terms)
    if isinstance(leaf, wquery.Term | wquery.Variations):
        return leaf.text in terms
    return False


def title_spans(title: str, query: str) -> tuple[tuple[int, int], ...]:
    """Character spans ``(start, end)`` of the words of ``title`` that ``query`` matched."""
    leaves = title_terms(query)
    if not leaves or not title:
        return ()
    words = [(m.span(), token_terms(m.group())) for m in token_spans(title)]
    words = [(span, terms) for span, terms in words if terms]  # stop words hold no position
    marked: set[int] = set()
    for leaf in leaves:
        if isinstance(leaf, wquery.Phrase):
            want = list(leaf.words)
            for i in range(len(words) - len(want) + 1):
                if want and all(w in words[i + k][1] for k, w in enumerate(want)):
                    marked.update(range(i, i + len(want)))
        elif not isinstance(leaf, wquery.Every):
            marked.update(i for i, (_, terms) in enumerate(words) if _accepts(leaf, terms))
    return tuple(words[i][0] for i in sorted(marked))


def marked_title_html(title: str, spans: tuple[tuple[int, int], ...], open_tag: str = "<b>",
                      close_tag: str = "</b>") -> str:
    """``title`` HTML-escaped with each span wrapped in ``open_tag``/``close_tag`` (as snippets mark terms)."""
    out, pos = [], 0
    for s, e in spans:
        if s < pos:
            continue
        out.append(html.escape(title[pos:s], quote=False))
        out.append(open_tag + html.escape(title[s:e], quote=False) + close_tag)
        pos = e
    out.append(html.escape(title[pos:], quote=False))
    return "".join(out)


def with_title_marks(result: SearchResult) -> SearchResult:
    """``result`` with each hit's ``title_marks`` set: the words of its title the query matched."""
    if not title_terms(result.query):
        return result
    hits = tuple(replace(h, title_marks=title_spans(h.title, result.query)) for h in result.hits)
    return replace(result, hits=hits)
