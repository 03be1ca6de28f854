"""A corpus folder with its index: the facade the CLI and the GUI use."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from app.core.engine.index import READ_ERRORS, CorpusIndex, IndexReport, Progress
from app.core.reading.model import Article, SearchResult
from app.core.reading.reader import ReadError, read_article
from app.core.reuse.copies import ExactCopies
from app.core.reuse.reuseindex import CopiesTable, ReuseIndex
from app.core.reuse.reusemap import ReuseMap
from app.core.search.fulltext import QueryError, SearchSession, search
from app.core.search.titlemarks import with_title_marks
from app.core.storage.boundary import (
    BoundaryError,
    check_id,
    corpus_file,
    display,
    id_to_path,
    name_to_id,
    relative_id,
)
from app.core.storage.paths import default_corpus
from app.core.workspace.userdata import UserDataStore

if TYPE_CHECKING:
    import numpy as np

    from app.core.engine.searchstate import ReaderState

_T = TypeVar("_T")

__all__ = ["ArticleInfo", "Corpus", "ReadError", "default_corpus", "resolve_article"]


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """What a list of articles shows without parsing files."""

    id: str
    path: str
    title: str
    source: str
    author: str
    date: date | None
    paragraphs: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id, "path": self.path, "title": self.title, "source": self.source,
            "author": self.author, "date": self.date.isoformat() if self.date else None,
            "paragraph_count": self.paragraphs,
        }


class Corpus:
    """One corpus folder: its articles (parsed on demand, cached) and its index."""

    def __init__(self, root: Path | str | None = None, index_dir: Path | str | None = None,
                 cache_size: int = 64, *, follow_links_outside: bool = False) -> None:
        self.root = Path(root).resolve() if root else default_corpus().resolve()
        self.follow_links_outside = follow_links_outside
        self.index = CorpusIndex(self.root, index_dir)
        self.index.follow_links_outside = follow_links_outside
        self.reuse = ReuseIndex(self.index)
        self.index.listeners.append(self.reuse)
        self.userdata = UserDataStore(self.root)  # the analyst's marks and names: outside the index
        self._cache: OrderedDict[str, Article] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._search = SearchSession(self.index)
        weakref.finalize(self, self._search.close)

    @property
    def name(self) -> str:
        """The corpus folder's name."""
        return self.root.name

    def update_index(self, progress: Callable[[Progress], None] | None = None,
                     should_cancel: Callable[[], bool] | None = None) -> IndexReport:
        """Bring the index up to date (see :meth:`CorpusIndex.update`)."""
        report = self.index.update(progress, should_cancel)
        with self._lock:
            self._cache.clear()
        return report

    def reuse_map(self) -> ReuseMap:
        """The corpus reuse map (pairs, clusters, learned boilerplate), up to date with the files
        and with the analyst's marks, source names and thresholds."""
        data = self.userdata.refresh()
        self.reuse.configure(data.reuse_thresholds(), data.overrides())
        return self.reuse.map()

    def copies_table(self, *, build: bool = True) -> tuple[CopiesTable | ExactCopies, str]:
        """The copies of every story for search hits, without building the map when a saved
        table is current: ``(table, "map")``. Otherwise the map is built once (and its table
        saved) when ``build``; else, or when memory runs out, the exact copies from the stored
        fingerprints: ``(ExactCopies, "exact")``.
        """
        data = self.userdata.refresh()
        self.reuse.configure(data.reuse_thresholds(), data.overrides())
        table = self.reuse.copies_table()
        if table is not None:
            return table, "map"
        if build:
            try:
                rmap = self.reuse.map()
                return self.reuse.copies_table() or CopiesTable.of_map(rmap, {}), "map"
            except MemoryError:
                pass

        return ExactCopies(self.reuse.current_prints()), "exact"

    def article(self, aid: str) -> Article:
        """The parsed article with id ``aid`` (cached while the file is unchanged).

        Raises:
            ReadError: the file is gone or cannot be read, or ``aid`` does not name a file
                inside the corpus (``../x``, an absolute path, a link pointing out of it).
        """
        path = self.file_of(aid)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError as exc:
            raise ReadError(f"{display(aid)}: {exc.strerror or exc}") from exc
        with self._lock:
            cached = self._cache.get(aid)
            if cached is not None and cached.mtime_ns == mtime:
                self._cache.move_to_end(aid)
                return cached
        article = read_article(path, self.root)
        with self._lock:
            self._cache[aid] = article
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return article

    def file_of(self, aid: str) -> Path:
        """The file of article ``aid``, inside the corpus after resolving links.

        Raises:
            ReadError: ``aid`` is not an id of this corpus or leads out of it.
        """
        try:
            return corpus_file(self.root, aid, follow_links_outside=self.follow_links_outside)
        except BoundaryError as exc:
            raise ReadError(str(exc)) from exc

    def contains(self, aid: str) -> bool:
        """True when ``aid`` names an existing file of this corpus (inside it, links resolved)."""
        try:
            return self.file_of(aid).is_file()
        except (ReadError, OSError):
            return False

    def _load_for_snippet(self, aid: str, path: str) -> Article | None:
        try:
            return self.article(aid)
        except ReadError:
            return None

    def search(self, query: str, *, limit: int | None = 20, sort: str = "score",
               snippets: bool = True,
               narrow: Callable[[ReaderState, np.ndarray], np.ndarray] | None = None) -> SearchResult:
        """Search the index (see :func:`app.core.search.fulltext.search`; ``narrow``: facet filters); each
        hit says which words of its title the query matched (``title_marks``)."""

        return with_title_marks(self._reading(
            lambda: search(self.index, query, limit=limit, sort=sort, snippets=snippets,
                           load_article=self._load_for_snippet, session=self._search, narrow=narrow)))

    def _reading(self, read: Callable[[], _T]) -> _T:
        """Run ``read``; when it fails on damaged index bytes (checksums differ), rebuild and read again."""
        try:
            return read()
        except QueryError:
            raise
        except READ_ERRORS as exc:
            if not self.index.recover(exc):
                raise
        self.update_index()
        return read()

    def listing(self) -> list[ArticleInfo]:
        """Every indexed article's metadata, read from the index (no file is parsed)."""
        return self._reading(self._listing)

    def _listing(self) -> list[ArticleInfo]:
        ix, _ = self.index.open()
        out = []
        names = self.userdata.refresh()  # sources as the analyst renamed them
        with ix.searcher() as s:
            for fields in s.all_stored_fields():
                d = fields.get("date")
                out.append(ArticleInfo(
                    id=fields["id"], path=fields.get("path", ""), title=fields.get("title", ""),
                    source=names.source(fields.get("source", "")), author=fields.get("author", ""),
                    date=d.date() if isinstance(d, datetime) else None,
                    paragraphs=int(fields.get("npara", 0)),
                ))
        out.sort(key=lambda a: a.id)
        return out

    def ids(self) -> list[str]:
        """Ids of every supported file in the folder (from the file system, not the index)."""
        found, _ = self.index.scan()
        return sorted(found)

    def resolve(self, ref: str) -> Article:
        """An article from an id, a unique id prefix (``001``), or a file path.

        A path that lies inside the corpus folder is read as that corpus article (so a link
        pointing out of the corpus is refused); a path elsewhere is the user's own file.

        Raises:
            ReadError: nothing or more than one article matches, the file cannot be read, or
                the reference leads out of the corpus.
        """
        try:
            lexical: Path | None = id_to_path(self.root, check_id(ref))
        except BoundaryError:
            lexical = None
        if lexical is not None and lexical.is_file():
            return self.article(ref)  # refused if it is a link out of the corpus
        candidate = Path(ref)
        if candidate.is_file():
            rel = relative_id(candidate, self.root)
            if rel is not None:
                return self.article(rel)
            try:
                inside = candidate.resolve().relative_to(self.root)
                return self.article("/".join(name_to_id(p) for p in inside.parts))
            except ValueError:
                return read_article(candidate, candidate.parent)
        ids = self.ids()
        matches = [i for i in ids if i.startswith(ref) or i.rsplit("/", 1)[-1].startswith(ref)]
        if len(matches) == 1:
            return self.article(matches[0])
        if not matches:
            raise ReadError(f"no article '{display(ref)}' in {display(str(self.root))}")
        shown = ", ".join(matches[:5]) + (" …" if len(matches) > 5 else "")
        raise ReadError(f"'{display(ref)}' matches {len(matches)} articles: {shown}")


def resolve_article(ref: str, corpus_root: Path | str | None = None, *,
                    follow_links_outside: bool = False) -> Article:
    """Resolve ``ref`` (id, unique id prefix, or path) against a corpus folder (default: seeds)."""
    return Corpus(corpus_root, follow_links_outside=follow_links_outside).resolve(ref)
