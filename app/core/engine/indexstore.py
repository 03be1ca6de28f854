"""The index's rebuildable state in one SQLite file beside its segments (``parallax-state.sqlite``).

It holds what :class:`~app.core.engine.index.CorpusIndex` needs to update incrementally: each indexed
file's size, modification time and hash; the files that could not be indexed, with the reason;
the size, time and CRC-32 of every segment file of the committed generation; and that
generation, the schema version and the corpus folder. ``PRAGMA user_version`` is the layout of
the tables (:data:`STORE_VERSION`); a store of another layout reads as no state at all, so the
index is rebuilt.

Why SQLite rather than the JSON manifest of earlier releases: a write changes only the rows
that changed, in one transaction (a no-op update writes nothing, adding ten files writes ten
rows, not 100,000), and a read gives other threads the GIL between rows (``sqlite3`` releases it
around every step), where one ``json.loads`` of a 100,000-file manifest held it for 150 ms and
froze the window. WAL mode lets a process read while another writes. Every connection goes
through :func:`app.core.storage.fsguard.open_index_database` and lives for one read or one write: the
last connection to close folds the write-ahead log back and removes it, and nothing stays
open across a fork of the bulk indexer.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.core.storage import fsguard

STORE = fsguard.INDEX_STORE
STORE_VERSION = 1
_TABLES = ("meta", "files", "skipped", "checksums")
_LAYOUT = (
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID",
    # id: TEXT, or the UTF-8 bytes (surrogates passed) of a name that is not valid UTF-8.
    "CREATE TABLE files(id PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, hash TEXT) WITHOUT ROWID",
    "CREATE TABLE skipped(id PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, reason) WITHOUT ROWID",
    "CREATE TABLE checksums(name TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,"
    " crc32 INTEGER NOT NULL) WITHOUT ROWID",
)
_BUSY = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


@dataclass(slots=True)
class Manifest:
    """The state of an index as of its last committed update."""

    schema_version: int
    corpus_root: str
    generation: int  # the Whoosh generation the checksums are of (-1: none)
    files: dict[str, list[Any]] = field(default_factory=dict)  # id -> [size, mtime_ns, hash]
    skipped: dict[str, list[Any]] = field(default_factory=dict)  # id -> [size, mtime_ns, reason]
    checksums: dict[str, list[int]] = field(default_factory=dict)  # segment file -> [size, mtime_ns, crc32]
    stamp: str = ""  # new at every write: a copy read earlier is current while the stamps match


class StoreDamaged(Exception):
    """The store's bytes are not a readable database; ``str()`` is the user-facing reason."""


class StoreBusy(Exception):
    """Another process held the store past the wait; ``str()`` is the user-facing reason."""


class IndexStore:
    """The state store of one index folder (a folder :func:`fsguard.claim_index_dir` marked).

    Keeps the state last read or written: reading again costs one row while nobody else wrote.
    """

    def __init__(self, folder: Path | str, timeout: float = 10.0) -> None:
        self.folder = Path(folder)
        self.timeout = timeout
        self._last: Manifest | None = None
        self.full_reads = 0  # reads that fetched every row (the others found the stamp unchanged)

    @property
    def path(self) -> Path:
        """The database file."""
        return self.folder / STORE

    def exists(self) -> bool:
        """True when the database file is there (whatever it holds)."""
        return self.path.is_file()

    def forget(self) -> None:
        """Drop the state kept from the last read or write (the next read fetches every row)."""
        self._last = None

    # ------------------------------------------------------------------ reading

    def read(self) -> Manifest | None:
        """The stored state, or None when there is none: no store, one still being created, or
        one of another layout. The caller must not change the returned dicts.

        Raises:
            StoreDamaged: the file is not a readable database.
            StoreBusy: another process kept it locked past the wait.
            OSError: it could not be opened (permissions; the message is the user's).
        """
        with self._connection(read_only=True) as conn:
            if conn is None:
                return None
            conn.execute("BEGIN")  # one snapshot for every table
            try:
                return self._read(conn)
            finally:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("COMMIT")

    def _read(self, conn: sqlite3.Connection) -> Manifest | None:
        if conn.execute("PRAGMA user_version").fetchone()[0] != STORE_VERSION:
            return None
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        stamp = meta.get("stamp")
        if not isinstance(stamp, str) or not isinstance(meta.get("schema_version"), int):
            return None
        last = self._last
        if last is not None and last.stamp == stamp:
            return last
        str_ = str
        files = {(k if k.__class__ is str_ else _text(k)): [size, mtime, digest]
                 for k, size, mtime, digest in conn.execute("SELECT id, size, mtime_ns, hash FROM files")}
        skipped = {(k if k.__class__ is str_ else _text(k)): [size, mtime, reason if reason.__class__ is str_ else _text(reason)]
                   for k, size, mtime, reason in conn.execute("SELECT id, size, mtime_ns, reason FROM skipped")}
        checksums = {name: [size, mtime, crc]
                     for name, size, mtime, crc in conn.execute("SELECT name, size, mtime_ns, crc32 FROM checksums")}
        generation = meta.get("generation")
        state = Manifest(int(meta["schema_version"]), str(meta.get("corpus_root", "")),
                         generation if isinstance(generation, int) else -1, files, skipped, checksums, stamp)
        self._last = state
        self.full_reads += 1
        return state

    # ------------------------------------------------------------------ writing

    def write(self, state: Manifest) -> None:
        """Store ``state`` in one transaction; the caller holds the index's writer lock.

        Only the rows that differ from the state last read or written are written, when the
        store still holds that state; otherwise (another process wrote meanwhile, or nothing
        was read) every row is replaced. A store of another layout gets this one's tables.

        Raises:
            StoreDamaged, StoreBusy, OSError: as :meth:`read`; nothing was changed.
        """
        stamp = uuid.uuid4().hex
        with self._connection(read_only=False) as conn:
            assert conn is not None
            conn.execute("PRAGMA journal_mode=WAL")
            # An update is redone from the corpus after a power cut; a crash of the process loses nothing.
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                base = self._base(conn)
                _put_rows(conn, "files", base.files if base else None, state.files)
                _put_rows(conn, "skipped", base.skipped if base else None, state.skipped)
                conn.execute("DELETE FROM checksums")
                conn.executemany("INSERT INTO checksums VALUES (?, ?, ?, ?)",
                                 [(name, *entry) for name, entry in state.checksums.items()])
                conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                    ("format", "parallax-state"), ("schema_version", state.schema_version),
                    ("corpus_root", _sql(state.corpus_root)), ("generation", state.generation),
                    ("stamp", stamp)])
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                self._last = None
                raise
        self._last = replace(state, stamp=stamp)

    def _base(self, conn: sqlite3.Connection) -> Manifest | None:
        """Make the layout this one; the kept state when the store still holds it, else None."""
        if conn.execute("PRAGMA user_version").fetchone()[0] != STORE_VERSION:
            for table in _TABLES:
                conn.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in _LAYOUT:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {STORE_VERSION}")
            conn.execute(f"PRAGMA application_id = {fsguard.SQLITE_APPLICATION_ID}")
            return None
        row = conn.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
        last = self._last
        return last if last is not None and row is not None and row[0] == last.stamp else None

    def remove(self) -> None:
        """Delete the store and SQLite's companions of it (a damaged store, before a rebuild)."""
        self._last = None
        for name in (STORE, *(STORE + c for c in fsguard.SQLITE_COMPANIONS)):
            fsguard.remove_index_file(self.folder, name)

    # ------------------------------------------------------------------ connections

    @contextlib.contextmanager
    def _connection(self, *, read_only: bool) -> Iterator[sqlite3.Connection | None]:
        """One connection for one read or write, closed after it; SQLite's errors made the user's."""
        conn = None
        try:
            conn = fsguard.open_index_database(self.folder, STORE, read_only=read_only, timeout=self.timeout)
            yield conn
        except sqlite3.Error as exc:
            raise _user_error(exc) from None
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()


def _put_rows(conn: sqlite3.Connection, table: str, old: dict[str, list[Any]] | None,
              new: dict[str, list[Any]]) -> None:
    """Make ``table`` hold ``new``: the rows that differ from ``old`` (what it holds), or all."""
    if old is None:
        conn.execute(f"DELETE FROM {table}")
        rows = [(k, *v) for k, v in new.items()]
        gone: list[tuple[Any]] = []
    else:
        rows = [(k, *v) for k, v in new.items() if old.get(k) != v]
        gone = [(k,) for k in old.keys() - new.keys()]
    delete = f"DELETE FROM {table} WHERE id = ?"
    upsert = f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?)"
    try:
        conn.executemany(delete, gone)
        conn.executemany(upsert, rows)
    except UnicodeEncodeError:  # a name (or reason) that is not valid UTF-8: stored as its bytes
        conn.executemany(delete, [(_sql(k),) for (k,) in gone])
        conn.executemany(upsert, [tuple(_sql(x) for x in row) for row in rows])


def _sql(value: Any) -> Any:
    """``value`` as SQLite stores it: a str that does not encode as UTF-8 becomes its bytes."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass")
    return value


def _text(value: Any) -> Any:
    """Back from :func:`_sql`."""
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def _user_error(exc: sqlite3.Error) -> Exception:
    """The exception (with a user-facing message) standing for one of SQLite's."""
    code = getattr(exc, "sqlite_errorcode", -1) & 0xFF
    if code in _BUSY:
        return StoreBusy("another Parallax process is updating this index; try again when it finishes")
    if code in _IO_ERRORS:
        return OSError(_IO_ERRORS[code][0], f"cannot read or write {STORE}: {_IO_ERRORS[code][1]}")
    return StoreDamaged("it cannot be read as a database")  # not a database, malformed, tables missing


# SQLite's result codes that are the file system's doing, as errno and a user's words.
_IO_ERRORS = {
    sqlite3.SQLITE_CANTOPEN: (2, "it cannot be opened"),
    sqlite3.SQLITE_PERM: (13, "permission denied"),
    sqlite3.SQLITE_READONLY: (30, "the folder or file is read-only"),
    sqlite3.SQLITE_IOERR: (5, "input/output error"),
    sqlite3.SQLITE_FULL: (28, "the disk is full"),
    sqlite3.SQLITE_NOMEM: (12, "out of memory"),
}
