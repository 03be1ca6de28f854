"""Session files (``.parallax``): open comparisons, their view state and notes, as versioned JSON."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.reading.model import Alignment, Article, Row
from app.core.reading.reader import SUPPORTED_SUFFIXES
from app.core.storage.atomic import atomic_write_json
from app.core.storage.boundary import (
    BoundaryError,
    check_id,
    corpus_file,
    display,
    id_to_path,
    real,
    relative_id,
)

FORMAT_VERSION = 1
SUFFIX = ".parallax"
FORMAT_NAME = "parallax-session"
# A session holds tabs and notes: far below this. Larger files are refused, not read.
MAX_SESSION_BYTES = 64 * 1024 * 1024
# Article files hashed to check a session are read up to this size (the reader's limit).
MAX_ARTICLE_BYTES = 64 * 1024 * 1024
# View state and paragraph indexes are clamped to what Qt's 32-bit ints hold.
MAX_INDEX = 2**31 - 1
OUTSIDE_MESSAGE = "session refers to an article outside its corpus"

# Upgrades from version N to N + 1, applied in turn to files older than FORMAT_VERSION.
# Each takes the parsed JSON of version N and returns the JSON of version N + 1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class SessionError(Exception):
    """A session file that cannot be opened; the message is one line, fit for a dialog."""


def now_iso() -> str:
    """The current UTC time as an ISO 8601 string with seconds precision."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def file_hash(path: Path | str) -> str:
    """The sha1 of a file's bytes: the same value as ``Article.content_hash``.

    Raises:
        OSError: the file cannot be read, is not a regular file (a pipe would never end), or
            is larger than an article can be.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"not a regular file: {display(os.fspath(path))}")
        if st.st_size > MAX_ARTICLE_BYTES:
            raise OSError(f"too large: {display(os.fspath(path))}")
        digest = hashlib.sha1()
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        os.close(fd)


@dataclass(slots=True)
class Note:
    """An analyst's note on one aligned row.

    The row is keyed by the paragraph indexes on both sides rather than by its position, so a
    note stays with its paragraphs when the alignment is recomputed (see :func:`note_rows`).
    """

    left: list[int]
    right: list[int]
    text: str
    created: str = field(default_factory=now_iso)
    modified: str = ""

    @classmethod
    def for_row(cls, row: Row, text: str) -> Note:
        """A new note on ``row``."""
        return cls(left=list(row.left), right=list(row.right), text=text)

    def edit(self, text: str) -> None:
        """Replace the text and stamp the modification time."""
        self.text = text
        self.modified = now_iso()

    def matches(self, row: Row) -> bool:
        """True when ``row`` links exactly this note's paragraphs."""
        return tuple(self.left) == row.left and tuple(self.right) == row.right

    def overlap(self, row: Row) -> int:
        """How many of this note's paragraphs ``row`` contains (either side)."""
        return len(set(self.left) & set(row.left)) + len(set(self.right) & set(row.right))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"left": list(self.left), "right": list(self.right), "text": self.text,
                "created": self.created, "modified": self.modified}


@dataclass(slots=True)
class ArticleRef:
    """Which article a tab shows: its corpus id, or an absolute ``path`` for a file outside the corpus."""

    id: str
    content_hash: str
    path: str | None = None

    @classmethod
    def from_article(cls, article: Article, corpus_root: Path | str | None) -> ArticleRef:
        """A reference to a parsed :class:`~app.core.reading.model.Article` (path kept if outside the corpus).

        A corpus article reached through a link pointing out of the corpus keeps its id.
        """
        path = Path(article.path).resolve()
        if corpus_root is not None:
            root = Path(corpus_root).resolve()
            rel = relative_id(path, root)
            if rel is not None:
                return cls(rel, article.content_hash)
            try:
                linked = id_to_path(root, check_id(article.id))
                if os.path.lexists(linked) and real(linked) == real(path):
                    return cls(article.id, article.content_hash)
            except (BoundaryError, OSError):
                pass
        return cls(article.id, article.content_hash, str(path))

    def location(self, corpus_root: Path | str, *, follow_links_outside: bool = False) -> Path:
        """The corpus file this reference points to.

        Raises:
            BoundaryError: the reference is not a file of the corpus (an absolute ``path``,
                ``../..``, a link leading out of it).
        """
        aid = relative_id(self.path, corpus_root) if self.path else self.id
        shown = display(self.path or self.id)
        # Only what the corpus walk would list: a supported file below the corpus folder.
        if aid is None or Path(aid).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise BoundaryError(f"{OUTSIDE_MESSAGE}: {shown}")
        try:
            return corpus_file(corpus_root, aid, follow_links_outside=follow_links_outside)
        except BoundaryError as exc:
            raise BoundaryError(f"{OUTSIDE_MESSAGE}: {shown}") from exc

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "hash": self.content_hash,
                "path": display(self.path) if self.path is not None else None}


@dataclass(slots=True)
class TabState:
    """One open comparison: its two articles, its view state and its notes."""

    left: ArticleRef
    right: ArticleRef
    title: str = ""
    scroll: int = 0
    current_row: int | None = None
    hide_boilerplate: bool = False
    query: str = ""
    notes: list[Note] = field(default_factory=list)
    comparison_note: str = ""

    @classmethod
    def for_alignment(cls, alignment: Alignment, corpus_root: Path | str | None, title: str = "") -> TabState:
        """A new tab showing ``alignment``'s two articles (view state at its defaults)."""
        return cls(ArticleRef.from_article(alignment.left, corpus_root),
                   ArticleRef.from_article(alignment.right, corpus_root), title=title)

    def note_for(self, row: Row) -> Note | None:
        """The note keyed to exactly ``row``'s paragraphs, if any."""
        return next((n for n in self.notes if n.matches(row)), None)

    def set_note(self, row: Row, text: str) -> Note | None:
        """Add, edit or (with blank ``text``) remove the note on ``row``; returns the note kept."""
        note = self.note_for(row)
        if not text.strip():
            if note is not None:
                self.notes.remove(note)
            return None
        if note is None:
            note = Note.for_row(row, text)
            self.notes.append(note)
        else:
            note.edit(text)
        return note

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "title": self.title,
            "left": self.left.to_dict(),
            "right": self.right.to_dict(),
            "scroll": self.scroll,
            "current_row": self.current_row,
            "hide_boilerplate": self.hide_boilerplate,
            "query": self.query,
            "comparison_note": self.comparison_note,
            "notes": [n.to_dict() for n in self.notes],
        }


@dataclass(slots=True)
class Session:
    """Everything a ``.parallax`` file holds. ``path`` and ``modified`` are not saved."""

    corpus: str
    tabs: list[TabState] = field(default_factory=list)
    active_tab: int = 0
    query: str = ""
    format_version: int = FORMAT_VERSION
    userdata: dict[str, Any] | None = None  # the corpus's marks and source names (app.core.workspace.userdata)
    stories: list[StoryState] = field(default_factory=list)  # story tabs (app.core.compare.story)
    path: Path | None = field(default=None, compare=False)
    modified: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to disk."""
        data = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "saved_at": now_iso(),
            "corpus": self.corpus,
            "active_tab": self.active_tab,
            "query": self.query,
            "tabs": [t.to_dict() for t in self.tabs],
        }
        if self.userdata:
            data["userdata"] = self.userdata
        if self.stories:
            data["stories"] = [s.to_dict() for s in self.stories]
        return data

    def article_refs(self) -> list[tuple[int, str, ArticleRef]]:
        """``(tab index, "left"/"right", ref)`` for every article the session shows."""
        return [(i, side, getattr(t, side)) for i, t in enumerate(self.tabs) for side in ("left", "right")]


@dataclass(frozen=True, slots=True)
class ArticleProblem:
    """An article of a tab that changed or disappeared since the session was saved."""

    tab: int
    side: str  # "left" or "right"
    id: str
    path: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"tab": self.tab, "side": self.side, "id": self.id, "path": self.path}


@dataclass(slots=True)
class LoadedSession:
    """A session read from disk and what no longer matches the files it refers to.

    Attributes:
        session: The session, ``path`` set to the file it came from.
        corpus_missing: The corpus folder is gone: ask for its new place and call
            :meth:`repoint_corpus`. Corpus articles are not checked until then.
        changed_articles: Articles whose bytes differ from the saved hash (they still open;
            notes may no longer sit on the intended paragraphs).
        missing_articles: Articles whose file is gone (their tabs cannot open).
        outside_articles: References that do not name a file of the corpus (an absolute
            path, ``../..``, a link leading out of it): never read; their tabs cannot open.
        migrated_from: The file's format version when it was older than :data:`FORMAT_VERSION`.
        autosave_of: For an autosave, the session file it was the unsaved state of.
    """

    session: Session
    corpus_missing: bool = False
    changed_articles: list[ArticleProblem] = field(default_factory=list)
    missing_articles: list[ArticleProblem] = field(default_factory=list)
    outside_articles: list[ArticleProblem] = field(default_factory=list)
    migrated_from: int | None = None
    autosave_of: Path | None = None

    @property
    def ok(self) -> bool:
        """True when everything the session refers to is in place and unchanged."""
        return not (self.corpus_missing or self.changed_articles or self.missing_articles
                    or self.outside_articles)

    def unavailable_tabs(self) -> set[int]:
        """Indexes of the tabs that cannot open (an article is missing, or the corpus is)."""
        tabs = {p.tab for p in self.missing_articles} | {p.tab for p in self.outside_articles}
        if self.corpus_missing:
            tabs |= {i for i, _, ref in self.session.article_refs() if ref.path is None}
        return tabs

    def repoint_corpus(self, folder: Path | str, *, follow_links_outside: bool = False) -> LoadedSession:
        """Use ``folder`` as the session's corpus (it moved) and check the articles again.

        The session is marked modified so that the new folder gets saved.
        """
        self.session.corpus = str(Path(folder).resolve())
        self.session.modified = True
        checked = check_session(self.session, follow_links_outside=follow_links_outside)
        return replace(checked, migrated_from=self.migrated_from, autosave_of=self.autosave_of)

    def messages(self) -> list[str]:
        """One line per problem, for a dialog or the terminal."""
        out = []
        if self.corpus_missing:
            out.append(f"The corpus folder {display(self.session.corpus)} no longer exists.")
        for p in self.changed_articles:
            out.append(f"Tab {p.tab + 1}: the {p.side} article {p.id} changed since the session was saved.")
        for p in self.missing_articles:
            out.append(f"Tab {p.tab + 1}: the {p.side} article {p.id} is gone ({display(p.path)}).")
        for p in self.outside_articles:
            out.append(f"Tab {p.tab + 1}: {OUTSIDE_MESSAGE}: {display(p.path or p.id)} (not read).")
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready problems (without the session itself)."""
        return {
            "corpus_missing": self.corpus_missing,
            "changed_articles": [p.to_dict() for p in self.changed_articles],
            "missing_articles": [p.to_dict() for p in self.missing_articles],
            "outside_articles": [p.to_dict() for p in self.outside_articles],
            "migrated_from": self.migrated_from,
        }


def session_to_json(session: Session, *, autosave_of: Path | None = None) -> dict[str, Any]:
    """The JSON document of ``session`` (an autosave also names the file it belongs to)."""
    data = session.to_dict()
    if autosave_of is not None:
        data["autosave_of"] = str(autosave_of)
    return data


def save_session(session: Session, path: Path | str) -> Path:
    """Write ``session`` to ``path`` atomically; a failure leaves any previous file intact.

    Sets ``session.path`` and clears ``session.modified``.

    Returns:
        The path written.

    Raises:
        OSError: the file could not be written (the previous one is unchanged).
    """
    path = Path(path)
    atomic_write_json(path, session_to_json(session))
    session.path = path
    session.modified = False
    return path


def _damaged(name: str, reason: str) -> SessionError:
    return SessionError(f"{name} is damaged: {reason}; the file was left as is.")


def _read_session_bytes(path: Path, name: str) -> bytes:
    """The bytes of a session file: a regular file no larger than :data:`MAX_SESSION_BYTES`."""
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise SessionError(f"Cannot open {name}: {exc.strerror or exc}.") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SessionError(f"Cannot open {name}: not a regular file (a session is a .parallax file).")
        if st.st_size > MAX_SESSION_BYTES:
            raise SessionError(f"Cannot open {name}: {st.st_size // (1024 * 1024)} MB is too large for a session "
                               f"(limit {MAX_SESSION_BYTES // (1024 * 1024)} MB); the file was left as is.")
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > MAX_SESSION_BYTES:  # it grew since fstat
                raise SessionError(f"Cannot open {name}: too large for a session; the file was left as is.")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise SessionError(f"Cannot open {name}: {exc.strerror or exc}.") from exc
    finally:
        os.close(fd)


def load_session(path: Path | str, *, check: bool = True, follow_links_outside: bool = False) -> LoadedSession:
    """Read a session file and check the corpus and articles it refers to; never writes.

    Args:
        path: The ``.parallax`` file.
        check: Look for a moved corpus and changed, missing or outside articles.
        follow_links_outside: Accept corpus links that point out of the corpus.

    Returns:
        The session with the problems found. Out-of-range view state (scroll, rows) is clamped.

    Raises:
        SessionError: unreadable, not a regular file, too large, not JSON, damaged, not a
            session, or saved by a newer Parallax. The message is one line.
    """
    path = Path(path)
    name = display(path.name)
    raw = _read_session_bytes(path, name)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SessionError(f"{name} is not a Parallax session (not UTF-8 text); the file was left as is.") from exc
    except json.JSONDecodeError as exc:
        raise SessionError(
            f"{name} is damaged (invalid JSON at line {exc.lineno}, column {exc.colno}); "
            "the file was left as is."
        ) from exc
    except RecursionError as exc:
        raise _damaged(name, "its JSON is nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise _damaged(name, "it holds a number too large to read") from exc
    if not isinstance(data, dict) or "format_version" not in data:
        raise SessionError(f"{name} is not a Parallax session (no format_version); the file was left as is.")
    version = data["format_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1 or version > MAX_INDEX:
        shown = repr(version) if len(repr(version)) <= 20 else repr(version)[:20] + "…"
        raise SessionError(f"{name} has an invalid format_version ({shown}); the file was left as is.")
    if version > FORMAT_VERSION:
        raise SessionError(
            f"{name} was saved by a newer Parallax (session format {version}; this version reads up to "
            f"{FORMAT_VERSION}). Update Parallax to open it; the file was left as is."
        )
    try:
        data = _migrate(data, version, name)
        session = _session_from_json(data)
    except _Invalid as exc:
        raise _damaged(name, str(exc)) from exc
    except (RecursionError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise _damaged(name, f"unexpected content ({type(exc).__name__})") from exc
    session.path = path
    loaded = check_session(session, follow_links_outside=follow_links_outside) if check else LoadedSession(session)
    loaded.migrated_from = version if version < FORMAT_VERSION else None
    if isinstance(data.get("autosave_of"), str):
        loaded.autosave_of = Path(data["autosave_of"])
    return loaded


def check_session(session: Session, *, follow_links_outside: bool = False) -> LoadedSession:
    """Compare the files a session refers to with the hashes it saved.

    Only files of the session's corpus are read: a reference outside it (an absolute path,
    ``../..``, a link leading out of the corpus unless ``follow_links_outside``) is listed in
    ``outside_articles`` and never opened.
    """
    corpus_missing = not Path(session.corpus).is_dir()
    changed, missing, outside = [], [], []
    for tab, side, ref in session.article_refs():
        try:
            where = ref.location(session.corpus, follow_links_outside=follow_links_outside)
        except BoundaryError:
            outside.append(ArticleProblem(tab, side, ref.id, ref.path or ""))
            continue
        if corpus_missing:
            continue
        problem = ArticleProblem(tab, side, ref.id, str(where))
        try:
            digest = file_hash(where)
        except OSError:
            missing.append(problem)
            continue
        if ref.content_hash and digest != ref.content_hash:
            changed.append(problem)
    return LoadedSession(session, corpus_missing, changed, missing, outside)


def note_rows(notes: Sequence[Note], rows: Sequence[Row]) -> tuple[dict[int, list[Note]], list[Note]]:
    """Place notes on the rows of an alignment.

    A note goes to the row with exactly its paragraphs or, when the alignment changed, to the
    row sharing most of them; a note sharing no paragraph with any row is returned apart.

    Returns:
        ``{row index: notes}`` and the notes that found no row.
    """
    exact = {(r.left, r.right): i for i, r in enumerate(rows)}
    placed: dict[int, list[Note]] = {}
    orphans: list[Note] = []
    for note in notes:
        index = exact.get((tuple(note.left), tuple(note.right)))
        if index is None:
            best = max(range(len(rows)), key=lambda i: note.overlap(rows[i]), default=None)
            index = best if best is not None and note.overlap(rows[best]) else None
        if index is None:
            orphans.append(note)
        else:
            placed.setdefault(index, []).append(note)
    return placed, orphans


def _migrate(data: dict[str, Any], version: int, name: str) -> dict[str, Any]:
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise SessionError(f"{name} uses session format {version}, which this version cannot read.")
        data = step(data)
        version += 1
        data["format_version"] = version
    return data


class _Invalid(ValueError):
    """A field of the JSON document has the wrong shape."""


def _get(obj: Any, key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    if not isinstance(obj, dict):
        raise _Invalid(f"{where}: expected an object")
    if key not in obj:
        if default is ...:
            raise _Invalid(f"{where}.{key} is missing")
        return default
    value = obj[key]
    if value is None and default is None:
        return None
    bad_bool = isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
    if not isinstance(value, kind) or bad_bool:
        raise _Invalid(f"{where}.{key} has the wrong type")
    return value


def _int_list(obj: Any, key: str, where: str) -> list[int]:
    values = _get(obj, key, list, where)
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_INDEX for v in values):
        raise _Invalid(f"{where}.{key} must list paragraph indexes")
    return list(values)


def _clamped(value: int | None) -> int | None:
    """A scroll value or row index within what the window can show (never negative)."""
    return None if value is None else min(max(value, 0), MAX_INDEX)


def _ref_from_json(obj: Any, where: str) -> ArticleRef:
    return ArticleRef(_get(obj, "id", str, where), _get(obj, "hash", str, where, ""),
                      _get(obj, "path", str, where, None))


def _note_from_json(obj: Any, where: str) -> Note:
    return Note(_int_list(obj, "left", where), _int_list(obj, "right", where), _get(obj, "text", str, where),
                _get(obj, "created", str, where, ""), _get(obj, "modified", str, where, ""))


def _tab_from_json(obj: Any, where: str) -> TabState:
    notes = _get(obj, "notes", list, where, [])
    return TabState(
        left=_ref_from_json(_get(obj, "left", dict, where), f"{where}.left"),
        right=_ref_from_json(_get(obj, "right", dict, where), f"{where}.right"),
        title=_get(obj, "title", str, where, ""),
        scroll=_clamped(_get(obj, "scroll", int, where, 0)) or 0,
        current_row=_clamped(_get(obj, "current_row", int, where, None)),
        hide_boilerplate=_get(obj, "hide_boilerplate", bool, where, False),
        query=_get(obj, "query", str, where, ""),
        notes=[_note_from_json(n, f"{where}.notes[{k}]") for k, n in enumerate(notes)],
        comparison_note=_get(obj, "comparison_note", str, where, ""),
    )


def _session_from_json(data: dict[str, Any]) -> Session:
    if "format" in data and data["format"] != FORMAT_NAME:
        raise _Invalid(f"format is {data['format']!r}")
    tabs = _get(data, "tabs", list, "session")
    session = Session(
        corpus=_get(data, "corpus", str, "session"),
        tabs=[_tab_from_json(t, f"tabs[{k}]") for k, t in enumerate(tabs)],
        active_tab=_clamped(_get(data, "active_tab", int, "session", 0)) or 0,
        query=_get(data, "query", str, "session", ""),
    )
    session.active_tab = min(max(session.active_tab, 0), max(len(session.tabs) - 1, 0))
    if isinstance(data.get("userdata"), dict):  # checked when applied (app.core.workspace.userdata)
        session.userdata = data["userdata"]
    stories = _get(data, "stories", list, "session", [])
    session.stories = [_story_from_json(x, f"stories[{k}]") for k, x in enumerate(stories)]
    return session


@dataclass(slots=True)
class StoryState:
    """A story tab: the article it was opened from (a corpus id), its chosen base, its notes."""

    id: str
    base: str | None = None
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "base": self.base, "notes": self.notes}


def _story_from_json(obj: Any, where: str) -> StoryState:
    aid = _get(obj, "id", str, where)
    base = _get(obj, "base", (str, type(None)), where, None)
    for ref in (aid, base):  # ids are relative to the corpus: an absolute path or ../ leaves it
        if ref is not None and (ref.startswith(("/", "\\")) or ".." in Path(ref).parts or ":" in ref[:3]):
            raise _Invalid(f"{where}: {OUTSIDE_MESSAGE}")
    return StoryState(aid, base, _get(obj, "notes", str, where, ""))
