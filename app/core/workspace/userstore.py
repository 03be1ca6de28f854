"""The SQLite file behind a corpus's user data: its schema, its versions, backups, set-asides.

``userdata/<corpus key>/userdata.sqlite`` (:mod:`app.core.workspace.userdata` maps its rows to and from
the decisions). It is opened through :func:`app.core.storage.fsguard.open_sqlite`, which refuses a file
Parallax did not create (the header carries :data:`app.core.storage.fsguard.SQLITE_APPLICATION_ID`),
and it runs in WAL mode: readers never wait, and writers take turns through SQLite's lock, so
the window and the command line can change the same corpus's decisions at once.

Versions: ``PRAGMA user_version`` is the schema version. ``MIGRATIONS[n]`` takes a database of
version ``n`` to ``n + 1`` (``MIGRATIONS[0]`` creates the tables), all in one transaction; a
future version appends one step and raises :data:`SCHEMA_VERSION`. Before a database that holds
decisions is migrated, it is copied with :meth:`sqlite3.Connection.backup` to
``userdata.vN.backup.sqlite`` beside it. A database of a newer version is only read.

Tables, one row per decision, so that one change is one small transaction: ``marks`` (paragraph
hash -> kind, preview, when), ``sources`` (raw name -> analyst's name), ``thresholds``,
``searches``, ``link_pairs`` (one pair of articles, in the order the pairs were first decided)
and ``link_items`` (the decisions of a pair, in order), and ``meta`` (what was imported).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.core.storage import fsguard

FILE_NAME = "userdata.sqlite"
SCHEMA_VERSION = 1
BUSY_SECONDS = 10.0  # how long a writer waits for another's transaction before giving up


def _schema_1(conn: sqlite3.Connection) -> None:
    _run_script(conn, """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE marks (
            hash TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('boilerplate', 'content')),
            text TEXT NOT NULL,
            marked TEXT NOT NULL);
        CREATE TABLE sources (raw TEXT PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE thresholds (name TEXT PRIMARY KEY, value NOT NULL);
        CREATE TABLE searches (name TEXT PRIMARY KEY, query TEXT NOT NULL);
        CREATE TABLE link_pairs (
            id INTEGER PRIMARY KEY,
            left_hash TEXT NOT NULL, left_id TEXT NOT NULL, left_title TEXT NOT NULL,
            right_hash TEXT NOT NULL, right_id TEXT NOT NULL, right_title TEXT NOT NULL,
            changed TEXT NOT NULL);
        CREATE TABLE link_items (
            pair INTEGER NOT NULL REFERENCES link_pairs (id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            left_hash TEXT NOT NULL, left_index INTEGER NOT NULL, left_text TEXT NOT NULL,
            right_hash TEXT NOT NULL, right_index INTEGER NOT NULL, right_text TEXT NOT NULL,
            made TEXT NOT NULL,
            PRIMARY KEY (pair, seq));
    """)


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements in the current transaction (``executescript`` would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


# MIGRATIONS[n]: version n -> n + 1, run inside the migrating transaction.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_schema_1]

# The rows of each simple table: table -> (key column, value columns).
SIMPLE_TABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "marks": ("hash", ("kind", "text", "marked")),
    "sources": ("raw", ("name",)),
    "thresholds": ("name", ("value",)),
    "searches": ("name", ("query",)),
}
PAIR_COLUMNS = ("left_hash", "left_id", "left_title", "right_hash", "right_id", "right_title", "changed")
ITEM_COLUMNS = ("kind", "left_hash", "left_index", "left_text", "right_hash", "right_index", "right_text", "made")


class NewerStore(Exception):
    """The database was written by a newer Parallax (its schema version is higher)."""

    def __init__(self, version: int) -> None:
        super().__init__(f"version {version}; this Parallax knows {SCHEMA_VERSION}")
        self.version = version


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the store at ``path`` under the write guard (created when missing, unless ``readonly``).

    Raises:
        fsguard.WriteRefused: ``path`` is not Parallax's database.
        OSError, sqlite3.Error: it cannot be opened.
    """
    conn = fsguard.open_sqlite(path, readonly=readonly, timeout=BUSY_SECONDS)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def version(conn: sqlite3.Connection) -> int:
    """The schema version of the database (0: nothing created yet)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


@contextlib.contextmanager
def writing(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: SQLite's write lock is taken first (another writer waits its turn),
    committed at the end, rolled back when the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def prepare(conn: sqlite3.Connection, path: Path) -> Path | None:
    """Bring the database at ``path`` (open on ``conn``) to :data:`SCHEMA_VERSION`; returns the
    backup made before migrating it, if one was.

    A new database is stamped with Parallax's application id and gets the tables; one of an
    older version is first copied to ``<name>.vN.backup.sqlite``, then migrated step by step.
    Both happen under the write lock, so two processes opening it at once migrate it once.

    Raises:
        NewerStore: the database is of a newer version (it is left as it is).
        OSError, sqlite3.Error: it cannot be created, backed up or migrated (nothing changed).
    """
    found = version(conn)
    if found > SCHEMA_VERSION:
        raise NewerStore(found)
    backup = None
    if found < SCHEMA_VERSION:
        with writing(conn):
            found = version(conn)  # another process may have migrated it meanwhile
            if found > SCHEMA_VERSION:
                raise NewerStore(found)
            if found == 0:
                conn.execute(f"PRAGMA application_id = {fsguard.SQLITE_APPLICATION_ID}")
            elif found < SCHEMA_VERSION:
                backup = make_backup(path, found)
            for step in MIGRATIONS[found:SCHEMA_VERSION]:
                step(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    if str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        conn.execute("PRAGMA journal_mode = WAL")  # after the stamp: see fsguard.open_sqlite
    return backup


def make_backup(path: Path, of_version: int) -> Path:
    """Copy the database at ``path`` (its last committed state) to a new file beside it,
    ``<name>.v<of_version>.backup.sqlite``, one self-contained file; returns its path.

    Run while the caller holds the write lock: in WAL mode another connection still reads.
    """
    target = free_name(path, f".v{of_version}.backup")
    source = connect(path, readonly=True)
    try:
        copy = connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        finally:
            copy.close()
    finally:
        source.close()
    return target


def free_name(path: Path, infix: str) -> Path:
    """A name beside ``path`` that is not taken: ``<stem><infix><suffix>``, then ``…-1``, ``…-2``."""
    for n in range(1000):
        candidate = path.with_name(f"{path.stem}{infix}{f'-{n}' if n else ''}{path.suffix}")
        if not any(os.path.lexists(str(candidate) + s) for s in ("", *fsguard.SQLITE_COMPANIONS)):
            return candidate
    raise FileExistsError(errno.EEXIST, f"no free name for {path.name}{infix}", str(path.parent))


def set_aside(path: Path, why: str) -> Path:
    """Rename the file at ``path`` (and its SQLite companions) to ``<stem>.<why>-<UTC time><suffix>``
    beside it; returns the new name. Nothing is deleted and no file is replaced.

    Raises:
        OSError: the rename failed (``path`` is as it was).
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    aside = free_name(path, f".{why}-{stamp}")
    fsguard.set_aside(path, aside)
    for suffix in fsguard.SQLITE_COMPANIONS:
        companion = Path(str(path) + suffix)
        if os.path.lexists(companion):
            with contextlib.suppress(FileNotFoundError):  # SQLite may remove a -shm meanwhile
                fsguard.set_aside(companion, Path(str(aside) + suffix))
    return aside


def read_rows(conn: sqlite3.Connection) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    """Every row, from one consistent snapshot: ``(data_version, {table: rows})``.

    Simple tables give ``(key, *values)``; ``link_pairs`` gives ``(id, *PAIR_COLUMNS)`` in
    the order the pairs were first stored; ``link_items`` ``(pair, *ITEM_COLUMNS)`` in order.
    """
    out: dict[str, list[tuple[Any, ...]]] = {}
    own = not conn.in_transaction  # inside a caller's write transaction, its snapshot is the one
    if own:
        conn.execute("BEGIN")
    try:
        seen = data_version(conn)
        for table, (key, values) in SIMPLE_TABLES.items():
            order = "marked, rowid" if table == "marks" else key
            out[table] = conn.execute(f"SELECT {key}, {', '.join(values)} FROM {table} ORDER BY {order}").fetchall()
        out["link_pairs"] = conn.execute(f"SELECT id, {', '.join(PAIR_COLUMNS)} FROM link_pairs ORDER BY id").fetchall()
        out["link_items"] = conn.execute(f"SELECT pair, {', '.join(ITEM_COLUMNS)} FROM link_items "
                                         "ORDER BY pair, seq").fetchall()
    finally:
        if own:
            conn.execute("COMMIT")
    return seen, out


def data_version(conn: sqlite3.Connection) -> int:
    """SQLite's counter of commits made through other connections (to this file) since this one opened."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def put(conn: sqlite3.Connection, table: str, key: Any, values: tuple[Any, ...]) -> None:
    """Insert or replace one row of a simple table."""
    key_column, columns = SIMPLE_TABLES[table]
    marks = ", ".join("?" * (1 + len(columns)))
    conn.execute(f"INSERT OR REPLACE INTO {table} ({key_column}, {', '.join(columns)}) VALUES ({marks})",
                 (key, *values))


def delete(conn: sqlite3.Connection, table: str, key: Any) -> None:
    """Delete one row of a simple table."""
    conn.execute(f"DELETE FROM {table} WHERE {SIMPLE_TABLES[table][0]} = ?", (key,))


def put_pair(conn: sqlite3.Connection, pair_id: int | None, pair: tuple[Any, ...],
             items: list[tuple[Any, ...]]) -> int:
    """Store one pair and its decisions (``pair_id`` None: a new pair, appended); returns its id."""
    if pair_id is None:
        cursor = conn.execute(f"INSERT INTO link_pairs ({', '.join(PAIR_COLUMNS)}) "
                              f"VALUES ({', '.join('?' * len(PAIR_COLUMNS))})", pair)
        pair_id = int(cursor.lastrowid or 0)
    else:
        conn.execute(f"UPDATE link_pairs SET {', '.join(f'{c} = ?' for c in PAIR_COLUMNS)} WHERE id = ?",
                     (*pair, pair_id))
        conn.execute("DELETE FROM link_items WHERE pair = ?", (pair_id,))
    conn.executemany(f"INSERT INTO link_items (pair, seq, {', '.join(ITEM_COLUMNS)}) "
                     f"VALUES (?, ?, {', '.join('?' * len(ITEM_COLUMNS))})",
                     [(pair_id, seq, *item) for seq, item in enumerate(items)])
    return pair_id


def delete_pair(conn: sqlite3.Connection, pair_id: int) -> None:
    """Forget one pair and its decisions."""
    conn.execute("DELETE FROM link_items WHERE pair = ?", (pair_id,))
    conn.execute("DELETE FROM link_pairs WHERE id = ?", (pair_id,))


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    """Note one fact about the store (what was imported, and when)."""
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
