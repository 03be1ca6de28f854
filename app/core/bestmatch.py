"""The article of a corpus that shares the most text with a given one (used by the GUI's "best match")."""

from __future__ import annotations

import math
from collections import Counter

from whoosh import query as wquery

from app.core.analysis import body_analyzer
from app.core.corpus import Corpus
from app.core.links import align_with_links
from app.core.model import Article
from app.core.reader import ReadError

TERMS = 15
CANDIDATES = 5


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


def best_match_article(corpus: Corpus, article: Article, candidates: int = CANDIDATES) -> str | None:
    """The id of the indexed article sharing the most body text with ``article`` (None if none does).

    The most distinctive terms find a few candidates; each is aligned with ``article`` and the
    one covering the largest share of its text wins (aligned with the pair's manual links and
    the paragraph marks, :func:`app.core.links.align_with_links`).
    """
    terms = distinctive_terms(corpus, article)
    if not terms:
        return None
    ix, _ = corpus.index.open()
    with ix.searcher() as searcher:
        hits = searcher.search(wquery.Or([wquery.Term("body", t) for t in terms]), limit=candidates + 1)
        ids = [h["id"] for h in hits if h["id"] != article.id][:candidates]
    best: tuple[float, str] | None = None
    data = corpus.userdata.refresh()
    for aid in ids:
        try:
            other = corpus.article(aid)
        except ReadError:
            continue
        # As the analyst aligned the pair: a not-a-match pair is not shared text, a manual link is.
        shared = align_with_links(corpus, article, other, data=data, ops=False).summary()
        if shared.shared_rows and (best is None or shared.left_shared_chars_pct > best[0]):
            best = (shared.left_shared_chars_pct, aid)
    return best[1] if best else None


def best_match(corpus: Corpus, article_id: str) -> str | None:
    """Like :func:`best_match_article` for an article of the corpus, named by id.

    Raises:
        ReadError: the article cannot be read.
    """
    return best_match_article(corpus, corpus.article(article_id))
