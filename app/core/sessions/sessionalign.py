"""A session's tabs turned back into alignments: articles re-read from disk and aligned."""

from __future__ import annotations

from app.core.align.paragraphs import align
from app.core.reading.model import Alignment, Article
from app.core.reading.reader import ReadError, read_article
from app.core.sessions.report import ReportSection
from app.core.sessions.session import ArticleRef, LoadedSession, Session, TabState
from app.core.storage.boundary import BoundaryError
from app.core.workspace.corpus import Corpus
from app.core.workspace.links import align_with_links


def tab_article(ref: ArticleRef, corpus: Corpus) -> Article:
    """The article a tab refers to, read from the session's corpus only.

    Raises:
        ReadError: the file is gone or unreadable, or the reference is not a file of the
            corpus (an absolute path, ``../..``, a link leading out of it); such a file is
            never opened.
    """
    try:
        path = ref.location(corpus.root, follow_links_outside=corpus.follow_links_outside)
    except BoundaryError as exc:
        raise ReadError(str(exc)) from exc
    return read_article(path, corpus.root)


def tab_alignment(tab: TabState, corpus: Corpus) -> Alignment:
    """Read and align a tab's two articles, with the corpus's boilerplate (learned, and the
    analyst's marks) and the pair's manual links, as the window and ``compare`` use them.

    Raises:
        ReadError: an article is gone or unreadable.
    """
    left, right = tab_article(tab.left, corpus), tab_article(tab.right, corpus)
    return align_with_links(corpus, left, right, boilerplate=corpus.reuse_map().is_boilerplate_paragraph,
                            aligner=align)


def session_sections(loaded: LoadedSession, corpus: Corpus | None = None, *,
                     follow_links_outside: bool = False) -> tuple[list[ReportSection], list[str]]:
    """Report sections for every tab that can open, and a message per tab left out.

    Args:
        loaded: The session and its problems (see :func:`app.core.sessions.session.load_session`).
        corpus: The session's corpus, if already open (else opened from ``session.corpus``).
        follow_links_outside: For a corpus opened here: accept links pointing out of it.

    Returns:
        The sections in tab order, and the messages (problems included).
    """
    session: Session = loaded.session
    messages = loaded.messages()
    skip = loaded.unavailable_tabs()
    if corpus is None and not loaded.corpus_missing:
        corpus = Corpus(session.corpus, follow_links_outside=follow_links_outside)
    sections = []
    for i, tab in enumerate(session.tabs):
        if i in skip or corpus is None:
            messages.append(f"Tab {i + 1} ({tab.title or tab.left.id}) left out of the report.")
            continue
        try:
            alignment = tab_alignment(tab, corpus)
        except ReadError as exc:
            messages.append(f"Tab {i + 1} left out of the report: {exc}")
            continue
        sections.append(ReportSection(alignment, list(tab.notes), tab.comparison_note, tab.title))
    return sections, messages
