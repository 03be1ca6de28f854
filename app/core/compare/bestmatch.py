"""Best match: the article of a corpus that shares the most text with a given one (the GUI's Ctrl+B)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import numpy as np
from rapidfuzz import fuzz, process
from whoosh import query as wquery

from app.core.engine.analysis import body_analyzer
from app.core.reading.model import Article, Paragraph, Role, RowKind
from app.core.reading.reader import ReadError
from app.core.reuse.fingerprint import MIN_WORDS
from app.core.workspace.corpus import Corpus
from app.core.workspace.links import align_with_links, pair_for
from app.core.workspace.userdata import UserData

TERMS = 15
CANDIDATES = 3
MIN_SCORE = 60.0


def distinctive_terms(corpus: Corpus, article: Article, count: int = TERMS) -> list[str]:
    """The article's body terms (index form) that are frequent in it and rare in the corpus.

    Terms found in no other indexed article cannot lead to one and are left out, as are
    terms found in more than half the corpus.
    """
    analyzer = body_analyzer()
    tf = Counter(t.text for p in article.body for t in analyzer(p.text))
    ix, _ = corpus.index.open()
    with ix.searcher() as searcher:
        n = max(1, searcher.doc_count())
        own = 1 if searcher.document_number(id=article.id) is not None else 0
        scored = []
        for term, freq in tf.items():
            df = searcher.doc_frequency("body", term)
            if df - own < 1 or df > max(2, n // 2):
                continue
            scored.append((freq * math.log(1 + n / df), term))
    scored.sort(reverse=True)
    return [term for _, term in scored[:count]]


def _indexed_candidates(corpus: Corpus, article: Article, count: int) -> list[str]:
    """The indexed articles best matching ``article``'s most distinctive terms."""
    terms = distinctive_terms(corpus, article)
    if not terms:
        return []
    ix, _ = corpus.index.open()
    with ix.searcher() as searcher:
        hits = searcher.search(wquery.Or([wquery.Term("body", t) for t in terms]), limit=count + 1)
        return [h["id"] for h in hits if h["id"] != article.id][:count]


def _carried(article: Article, other: Article, wanted: list[Paragraph], data: UserData,
             boilerplate: Callable[[Paragraph], bool], min_score: float, corpus: Corpus) -> int:
    """How many of ``wanted`` (``article``'s substantive body paragraphs) ``other`` carries."""
    if data.links and pair_for(data, article, other) is not None:
        # A pair aligned by hand: its links and not-a-match decisions say what is shared.
        rows = align_with_links(corpus, article, other, data=data, boilerplate=boilerplate, ops=False).rows
        linked = {i for r in rows if r.kind in (RowKind.IDENTICAL, RowKind.CHANGED) for i in r.left}
        return sum(1 for p in wanted if p.index in linked)
    theirs = [p.norm for p in other.paragraphs if p.role is Role.BODY and not boilerplate(p)]
    if not wanted or not theirs:
        return 0
    scores = process.cdist([p.norm for p in wanted], theirs, scorer=fuzz.ratio, dtype=np.uint8)
    return int((scores.max(axis=1) >= min_score).sum())


def best_match(corpus: Corpus, article: Article | str, *, candidates: int = CANDIDATES,
               min_score: float = MIN_SCORE) -> str | None:
    """The id of the article sharing the most text with ``article`` (an article or an id), or None.

    The candidates are the reuse map's closest related articles when the map holds ``article``
    (they share passages with it), else, for a file the map does not know (outside the corpus,
    or changed since), the indexed articles that best match its most distinctive terms. Each
    candidate is scored by how many of ``article``'s substantive body paragraphs it carries:
    paragraphs compared with rapidfuzz (``fuzz.ratio`` >= ``min_score``), or, for a pair the
    analyst aligned by hand, the paragraphs its links hold. The highest count wins; when none
    counts, the map's closest related article (None for a file the map does not know).

    Raises:
        ReadError: ``article`` is an id whose file cannot be read.
    """
    if isinstance(article, str):
        article = corpus.article(article)
    rmap = corpus.reuse_map()
    known = bool(article.id) and article.id in rmap and rmap.article(article.id).content_hash == article.content_hash
    count = max(candidates, 1)
    ids = [r.id for r in rmap.related(article.id)[:count]] if known else _indexed_candidates(corpus, article, count)
    if not ids:
        return None
    boilerplate = rmap.is_boilerplate_paragraph
    wanted = [p for p in article.paragraphs
              if p.role is Role.BODY and not boilerplate(p) and len(p.norm.split()) >= MIN_WORDS]
    data = corpus.userdata.refresh()
    best, best_count = (ids[0] if known else None), 0
    for aid in ids:
        try:
            other = corpus.article(aid)
        except ReadError:
            continue
        matched = _carried(article, other, wanted, data, boilerplate, min_score, corpus)
        if matched > best_count:
            best, best_count = aid, matched
    return best
