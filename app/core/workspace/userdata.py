"""The analyst's decisions about one corpus, kept apart from its index: boilerplate marks,
source names, reuse thresholds, manual alignment links (:mod:`app.core.workspace.links`) and saved searches.

They live in ``userdata/<corpus key>/userdata.sqlite`` in the per-user data folder, keyed by
the corpus folder exactly as the index folder is (:func:`app.core.storage.paths.index_dir_for`) but
outside it: rebuilding an index empties the index folder, and these decisions must outlive it.
The file is an SQLite database in WAL mode, one row per decision (:mod:`app.core.workspace.userstore`
has the schema and its versions); every row is validated when read, as the JSON form is.

- **Changes** are transactions: each change takes SQLite's write lock, applies itself to the
  decisions as they are at that moment and writes only the rows it changed. The window and the
  command line can change the same corpus at once, and neither undoes the other.
- **Versions**: ``PRAGMA user_version`` is the schema version. Before a database is migrated
  to a newer schema it is copied to ``userdata.vN.backup.sqlite``. A database of a newer
  Parallax is only read: its decisions apply, changes are refused until Parallax is updated.
- **The JSON of before** (``userdata.json``, versions 1 and 2) is imported when the corpus is
  first opened: its decisions are merged into the database in one transaction, then the file
  is renamed, as it was, to ``userdata.v<version>.backup.json``. A JSON file of a newer version
  is left alone, and changes are refused.
- **Damage**: a damaged database or JSON file is never written over or deleted. It is reported
  in one line, the corpus is used without its decisions, and the first change the analyst
  makes sets it aside under a new name (``userdata.damaged-<time>.sqlite`` with its ``-wal``,
  or ``.json``) before a fresh database is started, so nothing is lost and work goes on.

The JSON form (``"format": "parallax-userdata"``, ``"version": 2``) remains the exchange
format: session files carry it, and :meth:`UserData.merge` takes it in.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from app.core.reading.text import normalize
from app.core.reuse.fingerprint import exact_hash
from app.core.reuse.reusemap import ReuseOverrides, Thresholds
from app.core.storage import fsguard
from app.core.storage.paths import data_dir, index_dir_for
from app.core.workspace import userstore
from app.core.workspace.links import PairLinks
from app.core.workspace.links import marked_boilerplate as marked_boilerplate
from app.core.workspace.links import with_marks as with_marks
from app.core.workspace.userbase import UserDataError as UserDataError
from app.core.workspace.userbase import now_iso as now_iso

if TYPE_CHECKING:
    from app.core.engine.index import CorpusIndex

FORMAT_NAME = "parallax-userdata"
FORMAT_VERSION = 2  # of the JSON form; 2: manual links
FILE_NAME = userstore.FILE_NAME
JSON_NAME = "userdata.json"  # the store before the SQLite one (imported, then kept as a backup)
KINDS = ("boilerplate", "content")
PREVIEW = 80  # characters of a marked paragraph kept for listing it


def userdata_dir_for(corpus_root: Path | str) -> Path:
    """The user-data folder of one corpus: keyed like its index folder, never inside it."""
    return data_dir() / "userdata" / index_dir_for(corpus_root).name


def text_hash(text: str) -> int:
    """The key of a paragraph text for a mark: the reuse map's exact hash of its normalised form."""
    return exact_hash(normalize(text))


class _Indexed(Protocol):
    """A corpus, as far as counting its sources goes (:class:`app.core.workspace.corpus.Corpus`)."""

    @property
    def index(self) -> CorpusIndex:
        """The corpus's index."""
        ...


def _hash_key(h: int) -> str:
    return f"{h:016x}"


def threshold_fields() -> dict[str, type]:
    """The settable reuse thresholds: field name -> ``int`` or ``float``."""
    out: dict[str, type] = {}
    for f in fields(Thresholds):
        default = f.default
        if isinstance(default, bool) or not isinstance(default, int | float):
            continue
        out[f.name] = type(default)
    return out


def threshold_descriptions() -> dict[str, str]:
    """One line per threshold saying what it does (from ``Thresholds.DESCRIPTIONS``)."""
    return dict(getattr(Thresholds, "DESCRIPTIONS", {}))


def source_counts(corpus: _Indexed) -> Counter[str]:
    """How many indexed articles each raw source name has ("" for no source), from the index."""
    ix, _ = corpus.index.open()
    with ix.searcher() as s:
        return Counter(fields.get("source", "") for fields in s.all_stored_fields())


def threshold_defaults() -> dict[str, int | float]:
    """The default value of every settable threshold."""
    base = Thresholds()
    return {name: getattr(base, name) for name in threshold_fields()}


def check_threshold(name: str, value: Any) -> int | float:
    """``value`` as a valid setting of threshold ``name``.

    Raises:
        UserDataError: unknown threshold, or not a number of the right kind and range.
    """
    kinds = threshold_fields()
    if name not in kinds:
        known = ", ".join(sorted(kinds))
        raise UserDataError(f"unknown threshold '{name}' (known: {known})")
    if isinstance(value, str):
        try:
            value = float(value) if kinds[name] is float else int(value, 10)
        except ValueError:
            raise UserDataError(f"{name} must be {'a number' if kinds[name] is float else 'a whole number'},"
                                f" not '{value}'") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserDataError(f"{name} must be a number")
    if kinds[name] is int:
        if value != int(value):
            raise UserDataError(f"{name} must be a whole number")
        whole = int(value)
        if whole < 1:
            raise UserDataError(f"{name} must be at least 1")
        return whole
    share = float(value)
    if not 0.0 <= share <= 1.0:
        raise UserDataError(f"{name} is a share: it must lie between 0 and 1")
    return share


@dataclass(frozen=True, slots=True)
class Mark:
    """The analyst's decision about one paragraph text, wherever it recurs."""

    hash: int
    kind: str  # "boilerplate" or "content"
    text: str  # the first PREVIEW characters of the paragraph, for listing
    marked: str  # when, ISO 8601 UTC

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``parallax boilerplate list --json``)."""
        return {"hash": _hash_key(self.hash), "kind": self.kind, "text": self.text, "marked": self.marked}


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What :meth:`UserData.merge` took from the other side and what it kept local."""

    marks: int = 0
    sources: int = 0
    thresholds: int = 0
    kept_local: tuple[str, ...] = ()  # one line per conflict, the local decision kept
    links: int = 0  # manual-link decisions taken
    searches: int = 0  # saved searches taken

    @property
    def changed(self) -> bool:
        """True when anything was taken."""
        return bool(self.marks or self.sources or self.thresholds or self.links or self.searches)

    def describe(self) -> str:
        """One line for a status bar or the terminal."""
        parts = [f"{n} {what}{'' if n == 1 else 's'}" for n, what in
                 ((self.marks, "mark"), (self.sources, "source name"), (self.thresholds, "threshold"),
                  (self.links, "manual link"), (self.searches, "saved search")) if n]
        text = ("Added " + ", ".join(parts)) if parts else "Nothing new"
        if self.kept_local:
            text += f"; kept this machine's choice in {len(self.kept_local)} conflict" \
                    f"{'' if len(self.kept_local) == 1 else 's'}"
        return text


@dataclass(slots=True)
class UserData:
    """The decisions themselves (plain data; :class:`UserDataStore` reads and writes them)."""

    marks: dict[int, Mark] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # raw source name -> analyst's name
    thresholds: dict[str, int | float] = field(default_factory=dict)
    links: list[PairLinks] = field(default_factory=list)  # manual alignment, per pair of articles
    searches: dict[str, str] = field(default_factory=dict)  # saved search name -> query

    @property
    def empty(self) -> bool:
        """True when nothing was decided."""
        return not (self.marks or self.sources or self.thresholds or self.links or self.searches)

    # ------------------------------------------------------------------ for the model

    def overrides(self) -> ReuseOverrides:
        """The marks and source names as the reuse map takes them."""
        bp = frozenset(h for h, m in self.marks.items() if m.kind == "boilerplate")
        content = frozenset(h for h, m in self.marks.items() if m.kind == "content")
        return ReuseOverrides(bp, content, MappingProxyType(dict(self.sources)))

    def reuse_thresholds(self) -> Thresholds:
        """The thresholds with the analyst's settings applied (unknown or invalid ones ignored)."""
        settings: dict[str, Any] = {}  # check_threshold gives each value its field's type
        for name, value in self.thresholds.items():
            with contextlib.suppress(UserDataError):
                settings[name] = check_threshold(name, value)
        return Thresholds(**settings)

    def source(self, raw: str) -> str:
        """The name shown for a raw source name."""
        return self.sources.get(raw, raw)

    # ------------------------------------------------------------------ marks

    def mark_kind(self, h: int) -> str | None:
        """``"boilerplate"``, ``"content"`` or None for a paragraph hash."""
        m = self.marks.get(h)
        return m.kind if m else None

    # ------------------------------------------------------------------ sources

    def raw_names(self, name: str, known: Iterable[str] = ()) -> set[str]:
        """The raw source names shown as ``name`` (aliased to it, or itself when not aliased)."""
        raws = {raw for raw, alias in self.sources.items() if alias == name}
        if name in self.sources or name in set(known) or not raws:
            raws.add(name)
        return raws

    def alias(self, raws: Iterable[str], name: str) -> None:
        """Show every raw name of ``raws`` as ``name`` (an alias equal to the raw name is dropped)."""
        for raw in raws:
            if raw == name:
                self.sources.pop(raw, None)
            else:
                self.sources[raw] = name

    # ------------------------------------------------------------------ merging

    def merge(self, other: UserData) -> MergeReport:
        """Take from ``other`` what this side has not decided; where both decided differently,
        this side's decision stays (and the conflict is reported). Nothing local is dropped."""
        marks = sources = thresholds = 0
        kept: list[str] = []
        for h, m in other.marks.items():
            mine = self.marks.get(h)
            if mine is None:
                self.marks[h] = m
                marks += 1
            elif mine.kind != m.kind:
                kept.append(f"paragraph “{mine.text[:40]}” stays {mine.kind} (the other says {m.kind})")
        for raw, alias in other.sources.items():
            mine_alias = self.sources.get(raw)
            if mine_alias is None:
                self.sources[raw] = alias
                sources += 1
            elif mine_alias != alias:
                kept.append(f"source {raw} stays “{mine_alias}” (the other says “{alias}”)")
        for name, value in other.thresholds.items():
            if name not in self.thresholds:
                self.thresholds[name] = value
                thresholds += 1
            elif self.thresholds[name] != value:
                kept.append(f"{name} stays {self.thresholds[name]} (the other says {value})")
        links = self._merge_links(other, kept)
        searches = 0
        for name, query in other.searches.items():
            if name not in self.searches:
                self.searches[name] = query
                searches += 1
            elif self.searches[name] != query:
                kept.append(f"saved search “{name}” stays {self.searches[name]!r}")
        return MergeReport(marks, sources, thresholds, tuple(kept), links, searches)

    def _merge_links(self, other: UserData, kept: list[str]) -> int:
        """Take the other side's manual-link decisions this side has not made about the same pair."""
        taken = 0
        mine = {p.key: p for p in self.links}
        for pair in other.links:
            local = mine.get(pair.key) or mine.get(pair.flipped().key)
            if local is None:
                self.links.append(pair)
                mine[pair.key] = pair
                taken += len(pair.items)
                continue
            seen = pair if local.key == pair.key else pair.flipped()
            for m in seen.items:
                same = next((x for x in local.items if x.same_pair(m)), None)
                if same is None:
                    local.items.append(m)
                    taken += 1
                elif same.kind != m.kind:
                    kept.append(f"paragraphs “{same.left.text[:30]}” and “{same.right.text[:30]}” stay "
                                f"{'linked' if same.kind == 'link' else 'not a match'}")
        return taken

    # ------------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """The JSON document (also embedded in session files)."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "marks": {_hash_key(h): {"kind": m.kind, "text": m.text, "marked": m.marked}
                      for h, m in sorted(self.marks.items(), key=lambda kv: kv[1].marked)},
            "sources": dict(sorted(self.sources.items())),
            "thresholds": dict(sorted(self.thresholds.items())),
            "links": [p.to_json() for p in self.links],
            "searches": dict(sorted(self.searches.items())),
        }

    @classmethod
    def from_json(cls, data: Any) -> UserData:
        """Validate and read a JSON document.

        Raises:
            UserDataError: not a user-data document, of a newer version, or a field of the wrong shape.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise UserDataError("not a Parallax user-data file")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise UserDataError(f"invalid version {version!r}")
        if version > FORMAT_VERSION:
            raise _Newer(f"written by a newer Parallax (version {version}; this one reads {FORMAT_VERSION})")
        out = cls()
        marks = _field(data, "marks")
        for key, value in marks.items():
            try:
                h = int(key, 16)
            except ValueError:
                raise UserDataError(f"marks: '{key[:20]}' is not a paragraph hash") from None
            if not isinstance(value, dict) or value.get("kind") not in KINDS:
                raise UserDataError(f"marks.{key}: kind must be one of {', '.join(KINDS)}")
            text, marked = value.get("text", ""), value.get("marked", "")
            if not isinstance(text, str) or not isinstance(marked, str):
                raise UserDataError(f"marks.{key}: text and marked must be strings")
            out.marks[h] = Mark(h, value["kind"], text[:PREVIEW], marked)
        for raw, alias in _field(data, "sources").items():
            if not isinstance(alias, str) or not alias.strip():
                raise UserDataError(f"sources.{raw[:40]}: the name must be a non-empty string")
            out.sources[raw] = alias
        for name, value in _field(data, "thresholds").items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UserDataError(f"thresholds.{name[:40]} must be a number")
            out.thresholds[name] = value
        links = data.get("links", [])
        if not isinstance(links, list):
            raise UserDataError("links must be a list")
        out.links = [PairLinks.from_json(p, f"links[{n}]") for n, p in enumerate(links)]
        for name, query in _field(data, "searches").items():
            if not isinstance(query, str) or not query.strip() or not name.strip():
                raise UserDataError(f"searches.{name[:40]}: the name and the query must be non-empty strings")
            out.searches[name] = query
        return out


class _Newer(UserDataError):
    """A file of a newer format version: readable by a newer Parallax, so never rewritten."""


def _field(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UserDataError(f"{key} must be an object")
    return value



# ---------------------------------------------------------------------- database rows


def _copy(data: UserData) -> UserData:
    """A copy an edit may change freely (pairs and their decision lists are copied too)."""
    return UserData(dict(data.marks), dict(data.sources), dict(data.thresholds),
                    [PairLinks(p.left, p.right, list(p.items), p.changed) for p in data.links], dict(data.searches))


def _document(rows: dict[str, list[tuple[Any, ...]]]) -> tuple[dict[str, Any], list[int]]:
    """The database's rows in the JSON form (so they are validated as a file is), and the pair ids."""
    items: dict[int, list[dict[str, Any]]] = {}
    for pair, kind, lh, li, lt, rh, ri, rt, made in rows["link_items"]:
        items.setdefault(pair, []).append({"kind": kind, "left": {"hash": lh, "index": li, "text": lt},
                                           "right": {"hash": rh, "index": ri, "text": rt}, "made": made})
    links = [{"left": {"hash": lh, "id": lid, "title": lt}, "right": {"hash": rh, "id": rid, "title": rt},
              "changed": changed, "items": items.get(pid, [])}
             for pid, lh, lid, lt, rh, rid, rt, changed in rows["link_pairs"]]
    doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
           "marks": {h: {"kind": kind, "text": text, "marked": marked} for h, kind, text, marked in rows["marks"]},
           "sources": dict(rows["sources"]), "thresholds": dict(rows["thresholds"]),
           "links": links, "searches": dict(rows["searches"])}
    return doc, [int(r[0]) for r in rows["link_pairs"]]


def _pair_row(pair: PairLinks) -> tuple[Any, ...]:
    left, right = pair.left.to_json(), pair.right.to_json()
    return left["hash"], left["id"], left["title"], right["hash"], right["id"], right["title"], pair.changed


def _item_rows(pair: PairLinks) -> list[tuple[Any, ...]]:
    out = []
    for m in pair.items:
        left, right = m.left.to_json(), m.right.to_json()
        out.append((m.kind, left["hash"], left["index"], left["text"], right["hash"], right["index"],
                    right["text"], m.made))
    return out


def _write_changes(conn: sqlite3.Connection, before: UserData, copies: list[PairLinks], after: UserData,
                   ids: list[int]) -> list[int]:
    """Write the rows that differ between ``before`` and ``after`` (``after`` was a :func:`_copy`
    of ``before`` whose pairs were ``copies``, then edited); returns the pair ids of ``after``."""
    tables: list[tuple[str, Mapping[Any, Any], Mapping[Any, Any], Callable[[Any], tuple[Any, ...]]]] = [
        ("marks", {_hash_key(h): m for h, m in before.marks.items()},
         {_hash_key(h): m for h, m in after.marks.items()}, lambda m: (m.kind, m.text, m.marked)),
        ("sources", before.sources, after.sources, lambda v: (v,)),
        ("thresholds", before.thresholds, after.thresholds, lambda v: (v,)),
        ("searches", before.searches, after.searches, lambda v: (v,)),
    ]
    for table, old, new, row in tables:
        for key in old.keys() - new.keys():
            userstore.delete(conn, table, key)
        for key, value in new.items():
            if key not in old or old[key] != value or type(old[key]) is not type(value):
                userstore.put(conn, table, key, row(value))
    return _write_links(conn, before.links, copies, after.links, ids)


def _write_links(conn: sqlite3.Connection, before: list[PairLinks], copies: list[PairLinks],
                 after: list[PairLinks], ids: list[int]) -> list[int]:
    """Store the pairs of ``after``: a pair kept (one of ``copies``, or a new one in a removed
    one's place) keeps its row and is rewritten only when it changed; new pairs are appended."""
    slot = {id(c): k for k, c in enumerate(copies)}
    present = {id(p) for p in after}
    used: set[int] = set()
    new_ids: list[int] = []
    for k, pair in enumerate(after):
        j = slot.get(id(pair))
        if j is None or j in used:
            j = k if k < len(copies) and id(copies[k]) not in present and k not in used else None
        if j is None:
            new_ids.append(userstore.put_pair(conn, None, _pair_row(pair), _item_rows(pair)))
            continue
        used.add(j)
        if pair != before[j]:
            userstore.put_pair(conn, ids[j], _pair_row(pair), _item_rows(pair))
        new_ids.append(ids[j])
    for j, pair_id in enumerate(ids):
        if j not in used:
            userstore.delete_pair(conn, pair_id)
    if any(a >= b for a, b in zip(new_ids, new_ids[1:], strict=False)):  # reordered: store the order afresh
        for pair_id in new_ids:
            userstore.delete_pair(conn, pair_id)
        new_ids = [userstore.put_pair(conn, None, _pair_row(p), _item_rows(p)) for p in after]
    return new_ids


# SQLite result codes that say the file could not be used now, rather than that it is damaged.
_TRANSIENT = {3, 5, 6, 7, 8, 10, 13, 14, 23}  # PERM BUSY LOCKED NOMEM READONLY IOERR FULL CANTOPEN AUTH


def _is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.DatabaseError) and (code is None or code & 0xFF not in _TRANSIENT)


def _reason(exc: BaseException) -> str:
    """One line for the user: the system's words for a file error, Parallax's own for the rest
    (never a Python exception's name or SQLite's message)."""
    if isinstance(exc, OSError):
        return str(exc.strerror or exc)
    if isinstance(exc, UserDataError):
        return str(exc).splitlines()[0] if str(exc) else "its contents are not valid"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return "another Parallax is saving; try again"
    if isinstance(exc, sqlite3.DatabaseError):
        return "it is damaged or not a Parallax database"
    return "its contents could not be read"


def _ident(path: str, full: bool) -> tuple[int, ...] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size) if full else (st.st_dev, st.st_ino)


# Stores whose connections a forked child must not use (SQLite forbids it): the child forgets them.
_STORES: weakref.WeakSet[UserDataStore] = weakref.WeakSet()
_ABANDONED: list[sqlite3.Connection] = []  # kept, never closed, in a forked child


def _forget_after_fork() -> None:
    for store in list(_STORES):
        store._forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


class UserDataStore:
    """The user data of one corpus on disk (the SQLite store; see the module doc).

    Args:
        corpus_root: The corpus folder (its user-data folder is derived from it).
        path: Another database file to use (tests); the JSON of before is looked for beside it.
    """

    def __init__(self, corpus_root: Path | str, path: Path | str | None = None) -> None:
        self.corpus_root = Path(corpus_root).resolve()
        self.path = Path(path) if path else userdata_dir_for(self.corpus_root) / FILE_NAME
        self.json_path = self.path.with_name(JSON_NAME)
        self._files = str(self.path), str(self.json_path)  # stat()ed by every refresh
        self.problem: str | None = None  # one line when the store could not be read or used
        self.notice: str | None = None  # one line after a change that set a damaged file aside
        self._refused: str | None = None  # why changes are refused (a newer store), if they are
        self._damaged: list[Path] = []  # files to set aside before the next change
        self._data = UserData()
        self._pair_ids: list[int] = []  # the database row of each pair of _data.links
        self._conn: sqlite3.Connection | None = None
        self._seen = 0  # PRAGMA data_version when _data was read
        self._stamp: tuple[Any, ...] | None = None
        self._lock = threading.RLock()
        _STORES.add(self)
        self.reload()

    # ------------------------------------------------------------------ reading

    @property
    def data(self) -> UserData:
        """The decisions as last read or written (empty while the store is damaged)."""
        return self._data

    def reload(self) -> UserData:
        """Open the store again: migrate it or import the JSON of before when needed, and read it.

        Missing: nothing decided. Damaged: nothing applied, ``problem`` set, the file untouched.
        """
        with self._lock:
            self._close()
            self.problem = self._refused = None
            self._damaged = []
            self._data, self._pair_ids, self._seen = UserData(), [], 0
            self._open_database()
            self._import_json()
            self._stamp = self._stamps()
            return self._data

    def refresh(self) -> UserData:
        """The decisions, read again only when another connection (the window, the command line)
        changed them since, or the file was replaced."""
        with self._lock:
            if self._stamps() != self._stamp:
                return self.reload()
            conn = self._conn
            if conn is not None:
                try:
                    if userstore.data_version(conn) != self._seen:
                        self._load(conn)
                except (sqlite3.Error, UserDataError, TypeError, ValueError):
                    return self.reload()
            return self._data

    def close(self) -> None:
        """Close the database (the next read opens it again)."""
        with self._lock:
            self._close()
            self._stamp = None

    def __del__(self) -> None:
        # A store collected with its connection open leaves it to the collector, which Python
        # 3.13 reports as an unclosed database (a ResourceWarning): close it here. A forked
        # child has dropped the parent's connection unused (_forget), never closed.
        conn = self.__dict__.get("_conn")
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def _close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _forget(self) -> None:
        """In a forked child: drop the parent's connection unused, and reopen on the next read."""
        if self._conn is not None:
            _ABANDONED.append(self._conn)
        self._conn, self._stamp, self._lock = None, None, threading.RLock()

    def _stamps(self) -> tuple[Any, ...]:
        return _ident(self._files[0], self._conn is None), _ident(self._files[1], True)

    def _open_database(self) -> None:
        if not os.path.lexists(self.path):
            return
        if self.path.is_symlink() or not self.path.is_file():
            self.problem = self._refused = (f"{self.path} is not a regular file; the corpus's marks and "
                                            "source names are not applied and changes are not saved.")
            return
        if self.path.stat().st_size and not fsguard.is_parallax_sqlite(self.path):
            self._set_damaged(self.path, "not a Parallax database")
            return
        try:
            conn = userstore.connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            self.problem = self._refused = (f"Cannot open {self.path}: {_reason(exc)}; the corpus's marks and "
                                            "source names are not applied and changes are not saved.")
            return
        try:
            backup = userstore.prepare(conn, self.path)
            self._conn = conn
            self._load(conn)
        except userstore.NewerStore as exc:
            conn.close()
            self._conn = None
            self._open_newer(exc)
            return
        except (sqlite3.Error, UserDataError, TypeError, ValueError) as exc:
            conn.close()
            self._conn = None
            self._data, self._pair_ids = UserData(), []
            if isinstance(exc, sqlite3.Error) and not _is_damage(exc):
                self.problem = self._refused = (f"Cannot read {self.path}: {_reason(exc)}; the corpus's marks "
                                                "and source names are not applied and changes are not saved.")
            else:
                self._set_damaged(self.path, _reason(exc))
            return
        except OSError as exc:  # the backup before a migration could not be written
            conn.close()
            self._conn = None
            self.problem = self._refused = (f"Cannot back up {self.path} before updating it: {_reason(exc)}; "
                                            "its marks and source names are not applied and changes are not saved.")
            return
        if backup is not None:
            self.notice = f"The user data was updated to version {userstore.SCHEMA_VERSION}; a copy is kept as {backup}."

    def _open_newer(self, exc: userstore.NewerStore) -> None:
        """A database of a newer Parallax: read what this version knows of it, never write."""
        self.problem = self._refused = (f"{self.path} was written by a newer Parallax ({exc}); changes are not "
                                        "saved until Parallax is updated.")
        try:
            conn = userstore.connect(self.path, readonly=True)
        except (OSError, sqlite3.Error):
            return
        self._conn = conn
        try:
            self._load(conn)
        except (sqlite3.Error, UserDataError, TypeError, ValueError):
            self._data, self._pair_ids = UserData(), []
            self.problem = (f"{self.path} was written by a newer Parallax ({exc}); its marks and source names "
                            "are not applied and changes are not saved until Parallax is updated.")

    def _set_damaged(self, path: Path, why: str) -> None:
        self._damaged.append(path)
        self.problem = (f"{path} is damaged ({why}); its marks and source names are not applied. "
                        "It is kept: the next change sets it aside and starts a new file.")

    def _load(self, conn: sqlite3.Connection) -> None:
        seen, rows = userstore.read_rows(conn)
        doc, ids = _document(rows)
        self._data, self._pair_ids, self._seen = UserData.from_json(doc), ids, seen

    def _sync(self, conn: sqlite3.Connection) -> None:
        """Inside a write transaction: read the rows again when another connection changed them."""
        if userstore.data_version(conn) != self._seen:
            self._load(conn)

    def _create(self) -> sqlite3.Connection:
        conn = userstore.connect(self.path)
        try:
            userstore.prepare(conn, self.path)
            self._load(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    # ------------------------------------------------------------------ the JSON of before

    def _import_json(self) -> None:
        """Merge ``userdata.json`` (versions 1 and 2) into the database, then keep it as a backup."""
        if self._refused or not os.path.lexists(self.json_path):
            return
        if not self.json_path.is_file():  # a FIFO would block the read
            self.problem = f"{self.json_path} is not a regular file; its marks and source names are not applied."
            return
        try:
            raw = self.json_path.read_bytes()
        except OSError as exc:
            self.problem = (f"Cannot read {self.json_path}: {exc.strerror or exc}; "
                            "its marks and source names are not applied.")
            return
        try:
            doc = json.loads(raw.decode("utf-8"))
            incoming = UserData.from_json(doc)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            self._set_damaged(self.json_path, _describe_json_error(exc))
            return
        except _Newer as exc:
            self.problem = self._refused = (f"{self.json_path} was {exc}; its marks and source names are not "
                                            "applied and changes are not saved until Parallax is updated.")
            return
        except UserDataError as exc:
            self._set_damaged(self.json_path, str(exc))
            return
        if self._damaged:  # the database is damaged: imported once it is set aside
            return
        merged = _copy(self._data)
        try:
            conn = self._conn or self._create()
            with userstore.writing(conn):
                self._sync(conn)
                merged = _copy(self._data)
                copies = list(merged.links)
                merged.merge(incoming)
                ids = _write_changes(conn, self._data, copies, merged, self._pair_ids)
                userstore.set_meta(conn, f"imported {self.json_path.name}",
                                   json.dumps({"version": doc["version"], "at": now_iso(), "bytes": len(raw)}))
        except (OSError, sqlite3.Error, UserDataError, userstore.NewerStore) as exc:
            merged.merge(incoming)
            self._data = merged
            self.problem = self._refused = (f"Cannot move {self.json_path} into {self.path.name}: {_reason(exc)}; "
                                            "its decisions apply, but changes are not saved until that works.")
            return
        self._data, self._pair_ids = merged, ids
        try:
            backup = userstore.free_name(self.json_path, f".v{doc['version']}.backup")
            fsguard.set_aside(self.json_path, backup)
        except FileNotFoundError:  # another process imported it at the same moment
            return
        except OSError as exc:  # imported; renaming it is tried again next time (merging again adds nothing)
            self.notice = f"{self.json_path} was imported but could not be renamed: {_reason(exc)}."
            return
        self.notice = f"The user data moved to {self.path.name}; the file of before is kept as {backup}."

    # ------------------------------------------------------------------ writing

    def change(self, edit: Callable[[UserData], object]) -> UserData:
        """Apply ``edit(data)`` to the decisions as they are now and save, in one transaction
        (another writer waits its turn); returns the data saved. A damaged file is set aside first.

        Raises:
            UserDataError: the change cannot be saved (nothing was changed on disk).
        """
        with self._lock:
            if self._stamps() != self._stamp:
                self.reload()
            if self._refused:
                raise UserDataError(self._refused)
            notices = self._set_aside_damaged()
            try:
                conn = self._conn or self._create()
                with userstore.writing(conn):
                    self._sync(conn)
                    fresh = _copy(self._data)
                    copies = list(fresh.links)
                    edit(fresh)
                    ids = _write_changes(conn, self._data, copies, fresh, self._pair_ids)
            except (OSError, sqlite3.Error) as exc:
                raise UserDataError(f"Cannot save {self.path}: {_reason(exc)}") from exc
            except userstore.NewerStore as exc:
                raise UserDataError(f"{self.path} was written by a newer Parallax ({exc})") from exc
            self._data, self._pair_ids = fresh, ids
            self._stamp = self._stamps()
            if notices:
                self.notice = " ".join(notices)
            return fresh

    def save(self, data: UserData) -> None:
        """Make the store hold exactly ``data`` (only the rows that differ are written).

        Raises:
            UserDataError: the store is of a newer version, or cannot be written.
        """
        def edit(d: UserData) -> None:
            d.marks, d.sources, d.thresholds = dict(data.marks), dict(data.sources), dict(data.thresholds)
            d.links, d.searches = [PairLinks(p.left, p.right, list(p.items), p.changed) for p in data.links], \
                dict(data.searches)

        self.change(edit)

    def _set_aside_damaged(self) -> list[str]:
        """Rename the damaged files out of the way (nothing is deleted) and open the store afresh."""
        if not self._damaged:
            return []
        self._close()
        notices = []
        for path in self._damaged:
            try:
                aside = userstore.set_aside(path, "damaged")
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise UserDataError(f"Cannot set the damaged {path} aside: {_reason(exc)}; "
                                    "move it away to save changes") from exc
            notices.append(f"The damaged user-data file was kept as {aside}.")
        self.reload()
        if self._refused or self._damaged:
            raise UserDataError(self._refused or self.problem or f"{self.path} cannot be used")
        return notices

    # ------------------------------------------------------------------ the operations

    def mark(self, text: str, kind: str, *, display: str | None = None) -> Mark:
        """Mark a paragraph text (and every recurrence of it) as boilerplate or content.

        Args:
            text: The paragraph's text (display or normalised form: both give the same hash).
            kind: ``"boilerplate"`` or ``"content"``.
            display: The text to keep for listing (default: ``text``).

        Raises:
            UserDataError: bad kind, a text without words, or the change cannot be saved.
        """
        if kind not in KINDS:
            raise UserDataError(f"a mark is one of {', '.join(KINDS)}, not '{kind}'")
        h = text_hash(text)
        if not h:
            raise UserDataError("the paragraph has no words to recognise it by")
        preview = " ".join((display if display is not None else text).split())[:PREVIEW]
        mark = Mark(h, kind, preview, now_iso())
        self.change(lambda d: d.marks.__setitem__(h, mark))
        return mark

    def unmark(self, text: str | None = None, *, hash_: int | None = None) -> Mark | None:
        """Remove the mark of a paragraph text (or of a hash); returns the mark removed, if any."""
        h = hash_ if hash_ is not None else text_hash(text or "")
        removed: list[Mark] = []

        def edit(d: UserData) -> None:
            m = d.marks.pop(h, None)
            if m is not None:
                removed.append(m)

        self.change(edit)
        return removed[0] if removed else None

    def restore_mark(self, h: int, mark: Mark | None) -> None:
        """Put one hash's mark back as it was (``None``: no mark) — the undo of a mark."""
        def edit(d: UserData) -> None:
            if mark is None:
                d.marks.pop(h, None)
            else:
                d.marks[h] = mark

        self.change(edit)

    def rename_source(self, old: str, new: str, known: Iterable[str] = ()) -> set[str]:
        """Show the source named ``old`` (raw or analyst's name) as ``new``; returns the raw names renamed."""
        new = " ".join(new.split())
        if not new:
            raise UserDataError("a source name cannot be empty")
        known = set(known)
        raws = self._data.raw_names(old, known)
        if known and not (raws & known) and old not in self._data.sources.values():
            raise UserDataError(f"no source named '{old}'")
        renamed: set[str] = set()

        def edit(d: UserData) -> None:
            renamed.update(d.raw_names(old, known))
            d.alias(renamed, new)

        self.change(edit)
        return renamed

    def merge_sources(self, names: Iterable[str], as_name: str, known: Iterable[str] = ()) -> set[str]:
        """Show every source of ``names`` (raw or analyst's names) as one, ``as_name``."""
        as_name = " ".join(as_name.split())
        if not as_name:
            raise UserDataError("a source name cannot be empty")
        known = set(known)
        names = list(names)
        for name in names:
            raws = self._data.raw_names(name, known)
            if known and not (raws & known) and name not in self._data.sources.values():
                raise UserDataError(f"no source named '{name}'")

        merged: set[str] = set()

        def edit(d: UserData) -> None:
            merged.update(*(d.raw_names(n, known) for n in names))
            d.alias(merged, as_name)

        self.change(edit)
        return merged

    def reset_source(self, name: str) -> set[str]:
        """Show the raw names behind ``name`` (an analyst's name, or a raw name) as they are again."""
        def raws(d: UserData) -> set[str]:
            found = {raw for raw, alias in d.sources.items() if alias == name}
            return found | ({name} if name in d.sources else set())

        reset: set[str] = set()

        def edit(d: UserData) -> None:
            reset.update(raws(d))
            for r in reset:
                d.sources.pop(r, None)

        self.change(edit)
        return reset

    def save_search(self, name: str, query: str) -> None:
        """Keep ``query`` under ``name`` (replacing a search of that name).

        Raises:
            UserDataError: an empty name or query, or the change cannot be saved.
        """
        name, query = " ".join(name.split()), query.strip()
        if not name or not query:
            raise UserDataError("a saved search needs a name and a query")
        self.change(lambda d: d.searches.__setitem__(name, query))

    def delete_search(self, name: str) -> None:
        """Forget the saved search ``name``."""
        self.change(lambda d: d.searches.pop(name, None))

    def set_thresholds(self, values: Mapping[str, Any]) -> None:
        """Set reuse thresholds (a value equal to the default is dropped, so the default follows
        future versions); raises :class:`UserDataError` for a bad name or value, saving nothing."""
        checked = {name: check_threshold(name, value) for name, value in values.items()}
        defaults = threshold_defaults()

        def edit(d: UserData) -> None:
            for name, value in checked.items():
                if value == defaults[name]:
                    d.thresholds.pop(name, None)
                else:
                    d.thresholds[name] = value

        self.change(edit)

    def reset_thresholds(self) -> None:
        """Every threshold back to its default."""
        self.change(lambda d: d.thresholds.clear())

    def merge(self, other: UserData) -> MergeReport:
        """Take what ``other`` decided and this corpus has not (see :meth:`UserData.merge`)."""
        probe = UserData.from_json(self._data.to_json())
        report = probe.merge(other)
        if not report.changed:  # nothing to take: leave the file alone
            return report
        reports: list[MergeReport] = []
        self.change(lambda d: reports.append(d.merge(other)))
        return reports[0]


def _describe_json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return "nested too deeply"


# ---------------------------------------------------------------------- sessions


def session_userdata(corpus_root: Path | str) -> dict[str, Any] | None:
    """The corpus's decisions as a session file carries them (None when nothing was decided)."""
    store = UserDataStore(corpus_root)
    return None if store.data.empty else store.data.to_json()


def apply_session_userdata(corpus_root: Path | str, data: Any) -> tuple[str | None, bool]:
    """Merge the decisions a session carries into this machine's for its corpus.

    What this machine decided is never replaced (see :meth:`UserData.merge`).

    Returns:
        One line saying what happened (None when the session brought nothing new), and
        whether anything was added.
    """
    try:
        incoming = UserData.from_json(data)
    except UserDataError as exc:
        return f"The session's marks and source names were not applied ({exc}).", False
    if incoming.empty:
        return None, False
    store = UserDataStore(corpus_root)
    try:
        report = store.merge(incoming)
    except UserDataError as exc:
        return f"The session's marks and source names were not applied: {exc}", False
    if not report.changed and not report.kept_local:
        return None, False
    return f"From the session: {report.describe()}.", report.changed
