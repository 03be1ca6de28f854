"""The write guard: Parallax deletes only what it created and can prove it created.

Every file Parallax creates, replaces or deletes goes through this module. Its rules:

- Nothing is ever written inside (or at) a corpus root in play (:func:`register_corpus_root`).
- An existing file is replaced only when it can be proved Parallax's own:
  * it sits in a *marked index folder* (one holding :data:`INDEX_MARKER`) and its name is
    one of the index's own file names (:func:`is_index_file_name`);
  * it sits in Parallax's data folder under a name Parallax uses there (recent list, crash
    log, autosaves);
  * its content carries Parallax's signature: reports have
    ``<meta name="generator" content="Parallax …">`` in their head, PDF reports
    ``/Creator (Parallax)`` in their info dictionary (the first object Qt writes), PNG
    screenshots a ``Software: Parallax`` text chunk, and Parallax's JSON files
    (sessions, manifests, autosave markers) a first key ``"format": "parallax-…"``;
    SQLite databases (the user data, the index's state store) carry :data:`SQLITE_APPLICATION_ID` in their header, and
    their ``-wal``, ``-shm`` and ``-journal`` files count as Parallax's with them. Such a
    database is opened only through :func:`open_sqlite`.
  The signature lives in the file itself, so the proof travels with it (copied, moved,
  another machine) and needs no ledger that could be lost or go stale.
- A file is deleted only under the same proof, or when it is a temporary file this
  process created (the atomic writer's ``.NAME.XXXXXXXX.tmp`` siblings).
- An index folder is empty or carries the marker (:func:`claim_index_dir`); an index inside,
  equal to or above a corpus is refused.
- SQLite writes files of its own beside a database (``-wal``, ``-shm``, ``-journal``), so a
  database in an index folder is opened only through :func:`open_index_database`, which
  applies the rules above to the database and to each of those names.

Refusals raise :class:`WriteRefused`, an :class:`OSError` whose ``strerror`` is a one-line
message for the user, so existing "could not write" handlers show it as is.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sqlite3
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from whoosh.filedb.filestore import FileStorage

from app.core.storage.paths import data_dir, default_corpus

INDEX_MARKER = ".parallax-index"
MARKER_FORMAT = "parallax-index"
MARKER_VERSION = 1
# Whoosh's index name for Parallax's indexes (app.core.engine.index.INDEX_NAME) and the names of the
# files Parallax itself keeps beside the segments. A marked folder's files matching
# these, and only these, are Parallax's to replace or delete.
_INDEX_FILE = re.compile(
    r"""^(?:
        _parallax_\d+\.toc(?:\.[0-9.e+-]+)?     # table of contents, and Whoosh's temp name for it
      | parallax_[0-9a-z]+\.[A-Za-z0-9_.]+      # segment files (Whoosh's segment pattern)
      | parallax_[A-Z]+LOCK                     # Whoosh's lock files
      | parallax-manifest\.json                 # the manifest of releases before the state store
      | parallax-state\.sqlite(?:-wal|-shm|-journal)?   # the index's state store and SQLite's companions
      | parallax-reuse\.npz                     # reuse fingerprints
      | parallax-clusters\.npz                  # the reuse map's copies table (search --json)
      | parallax-passages\.bin                  # the fingerprints sorted for passage lookups
      | \.parallax-index                        # the marker
    )$""",
    re.X,
)
# The index's state store (app.core.engine.indexstore) and the files SQLite keeps beside a database.
INDEX_STORE = "parallax-state.sqlite"
# Whoosh's per-writer temp folder inside the index folder.
INDEX_TEMP_DIR = "parallax.tmp"
# The atomic writer's temp names: ".NAME." + mkstemp's 8 random characters + ".tmp".
_ATOMIC_TEMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")
# Names Parallax uses in its data folder, and in its autosave subfolder.
_DATA_NAMES = frozenset({"recent_sessions.json", "crash.log"})
_AUTOSAVE_NAME = re.compile(r"^(?:run-\d+-\d{8}-\d{6}\.(?:parallax|json)|last\.parallax)$")

_HEAD = 4096
_HTML_SIGNATURE = re.compile(rb"""<meta\s+name=["']generator["']\s+content=["']Parallax[\s"']""", re.I)
_PDF_SIGNATURE = (b"/Creator (Parallax)", b"/Creator (\xfe\xff" + "Parallax".encode("utf-16-be") + b")")
# Qt writes the info dictionary first, after the title, which a long name may stretch.
_PDF_HEAD = 65536
_PNG_SIGNATURE = b"tEXtSoftware\x00Parallax"
_JSON_SIGNATURE = re.compile(rb'^\s*\{\s*"format"\s*:\s*"parallax-[a-z-]+"')
# An autosave run marker from before markers carried their format: {"pid": N, ...}.
_LEGACY_MARKER = re.compile(rb'^\s*\{\s*"pid"\s*:\s*\d+\s*[,}]')

_roots: set[Path] = set()
_roots_lock = threading.Lock()


class WriteRefused(PermissionError):
    """Parallax refused to write or delete a file; ``strerror`` is the user-facing line."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EPERM, message)

    def __str__(self) -> str:
        return self.strerror or ""


# ---------------------------------------------------------------------- corpus roots


def register_corpus_root(root: Path | str) -> None:
    """Declare a corpus folder in play: nothing will be written inside it from now on."""
    with _roots_lock:
        _roots.add(_real(root))


def corpus_roots() -> list[Path]:
    """Every corpus root in play, the embedded sample corpus included."""

    with _roots_lock:
        roots = set(_roots)
    with contextlib.suppress(OSError):
        roots.add(_real(default_corpus()))
    return sorted(roots)


def _real(path: Path | str) -> Path:
    return Path(os.path.realpath(os.path.abspath(path)))


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def corpus_containing(path: Path | str) -> Path | None:
    """The corpus root ``path`` is inside (or equal to), if any; links are resolved."""
    candidates = {_real(path)}
    p = Path(os.path.abspath(path))
    candidates.add(_real(p.parent) / p.name)  # the link itself, when path is a symlink
    for root in corpus_roots():
        if any(_within(c, root) for c in candidates):
            return root
    return None


def check_outside_corpus(path: Path | str) -> None:
    """Refuse any write at or inside a corpus root."""
    root = corpus_containing(path)
    if root is not None:
        raise WriteRefused(f"{path} is inside the corpus folder {root}; Parallax never writes there")


# ---------------------------------------------------------------------- proof of creation


def _read_head(path: Path, n: int = _HEAD) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError:
        return b""


def has_report_signature(path: Path | str) -> bool:
    """True when ``path`` is an HTML or PDF report written by Parallax."""
    head = _read_head(Path(path))
    if head.startswith(b"%PDF"):
        return any(sig in _read_head(Path(path), _PDF_HEAD) for sig in _PDF_SIGNATURE)
    return bool(_HTML_SIGNATURE.search(head))


def has_parallax_signature(path: Path | str) -> bool:
    """True when the content of ``path`` carries one of Parallax's signatures (see the module doc)."""
    head = _read_head(Path(path))
    if head.startswith(b"%PDF"):
        return any(sig in _read_head(Path(path), _PDF_HEAD) for sig in _PDF_SIGNATURE)
    if head.startswith(b"\x89PNG"):
        return _PNG_SIGNATURE in head
    return bool(_HTML_SIGNATURE.search(head) or _JSON_SIGNATURE.match(head))


def is_index_file_name(name: str) -> bool:
    """True for the names of files Parallax keeps in an index folder (or their atomic temps)."""
    if _INDEX_FILE.match(name):
        return True
    temp = _ATOMIC_TEMP.match(name)
    return bool(temp and _INDEX_FILE.match(temp.group("name")))


def read_marker(folder: Path | str) -> dict[str, Any] | None:
    """The index folder's marker, or None when it has none (or a damaged one)."""
    try:
        data = json.loads((Path(folder) / INDEX_MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(data, dict) and data.get("format") == MARKER_FORMAT and isinstance(data.get("id"), str):
        return data
    return None


def _in_marked_index(path: Path) -> bool:
    parent = path.parent
    if parent.name == INDEX_TEMP_DIR:  # Whoosh's temp folder inside the index folder
        return read_marker(parent.parent) is not None
    return is_index_file_name(path.name) and read_marker(parent) is not None


def _in_data_dir(path: Path) -> bool:

    data = _real(data_dir())
    parent = _real(path.parent)
    if parent == data:
        return path.name in _DATA_NAMES
    return parent == data / "autosave" and bool(_AUTOSAVE_NAME.match(path.name))


def made_by_parallax(path: Path | str) -> bool:
    """True when Parallax can prove it created the existing file ``path`` (see the module doc)."""
    path = Path(path)
    if _in_marked_index(path):
        return True
    if _in_data_dir(path):
        return True
    if path.suffix == ".json" and _AUTOSAVE_NAME.match(path.name) and _LEGACY_MARKER.match(_read_head(path)):
        return True
    if is_parallax_sqlite(path) or is_sqlite_companion(path):
        return True
    return has_parallax_signature(path)


# ---------------------------------------------------------------------- SQLite stores

# PRAGMA application_id of every SQLite file Parallax creates ("PRLX"): the signature of a
# store lives in its header (bytes 68-71), so the proof travels with the file like the others'.
SQLITE_APPLICATION_ID = int.from_bytes(b"PRLX", "big")
_SQLITE_HEADER = b"SQLite format 3\x00"
# The files SQLite keeps beside a database while it is open or after a crash.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def is_parallax_sqlite(path: Path | str) -> bool:
    """True when ``path`` is an SQLite database carrying Parallax's application id."""
    head = _read_head(Path(path), 100)
    return head.startswith(_SQLITE_HEADER) and head[68:72] == SQLITE_APPLICATION_ID.to_bytes(4, "big")


def is_sqlite_companion(path: Path | str) -> bool:
    """True for the ``-wal``, ``-shm`` or ``-journal`` file of one of Parallax's SQLite databases."""
    path = Path(path)
    for suffix in SQLITE_COMPANIONS:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return is_parallax_sqlite(path.with_name(path.name[:-len(suffix)]))
    return False


def open_sqlite(path: Path | str, *, readonly: bool = False, timeout: float = 5.0) -> sqlite3.Connection:
    """Connect to one of Parallax's SQLite databases, creating it (and its folder) when missing.

    The connection is in autocommit mode (``isolation_level=None``): the caller opens its own
    transactions. A new database must be stamped with :data:`SQLITE_APPLICATION_ID` in the
    caller's first transaction, before it switches to WAL (a WAL switch alone writes the header).
    An empty file counts as new: it holds nothing to lose (SQLite's creation step leaves one).

    Raises:
        WriteRefused: ``path`` is inside a corpus, is not a regular file, is a file that is not
            Parallax's database, or is missing while SQLite files of a gone database remain
            beside it (SQLite would replay them into the new one).
        FileNotFoundError: ``readonly`` and ``path`` is missing.
        sqlite3.Error: SQLite could not open it.
    """
    path = Path(path)
    check_outside_corpus(path)
    if os.path.lexists(path):
        if path.is_symlink() or not path.is_file():
            raise WriteRefused(f"{path} exists and is not a regular file; Parallax will not open it")
        if path.stat().st_size and not is_parallax_sqlite(path):
            raise WriteRefused(f"{path} exists and is not a Parallax database; Parallax will not write in it")
    elif readonly:
        raise FileNotFoundError(errno.ENOENT, "no such file", str(path))
    else:
        left = [path.name + s for s in SQLITE_COMPANIONS if os.path.lexists(str(path) + s)]
        if left:
            raise WriteRefused(f"{', '.join(left)} remain in {path.parent} from a database that is gone; "
                               "move them away first")
        make_dirs(path.parent)
    if readonly:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout,
                               isolation_level=None, check_same_thread=False)
    return sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)


# ---------------------------------------------------------------------- checks


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return _real(a) == _real(b)


def check_write(path: Path | str, *, inputs: Iterable[Path | str] = ()) -> Path:
    """Refuse unless Parallax may create or replace ``path``; returns it as a Path.

    Raises:
        WriteRefused: ``path`` is inside a corpus, is one of ``inputs``, is not a regular file,
            or exists and Parallax cannot prove it wrote it.
    """
    path = Path(path)
    check_outside_corpus(path)
    for source in inputs:
        if source and _same_file(path, Path(source)):
            raise WriteRefused(f"{path} is an input of this command; choose another file to write")
    if os.path.lexists(path):
        if path.is_symlink() or not path.is_file():
            raise WriteRefused(f"{path} exists and is not a regular file; Parallax will not replace it")
        if not made_by_parallax(path):
            raise WriteRefused(f"{path} exists and was not written by Parallax; "
                               "Parallax will not replace it (choose another name)")
    return path


def check_export(path: Path | str, *, inputs: Iterable[Path | str] = ()) -> Path:
    """Refuse a report target: a corpus file, an input, or an existing file that is not a Parallax report.

    Raises:
        WriteRefused: with the one-line reason.
    """
    path = check_write(path, inputs=inputs)
    if os.path.lexists(path) and not has_report_signature(path):
        raise WriteRefused(f"{path} exists and is not a Parallax report; "
                           "Parallax will not replace it (choose another name)")
    return path


def check_index_file(folder: Path | str, name: str) -> Path:
    """Refuse a name Parallax does not use in index folders, or a folder without the marker."""
    if not is_index_file_name(name) and Path(name).parts[:1] != (INDEX_TEMP_DIR,):
        raise WriteRefused(f"{name} is not a Parallax index file; refusing to write it in {folder}")
    if read_marker(folder) is None:
        raise WriteRefused(f"{folder} is not a Parallax index folder (no {INDEX_MARKER})")
    return Path(folder) / name


def open_index_database(folder: Path | str, name: str, *, read_only: bool = False,
                        timeout: float = 10.0) -> sqlite3.Connection | None:
    """A connection to the SQLite database ``name`` of the marked index folder ``folder``.

    SQLite itself creates and deletes the database's companions (``-wal``, ``-shm``,
    ``-journal``), so each of those names is checked too: a Parallax index file name in a
    marked folder outside any corpus, and a regular file where one exists (never a link,
    which would make SQLite write wherever it points). Autocommit mode: the caller begins
    its own transactions.

    Args:
        read_only: The database is only read. None is returned when it does not exist (a
            read never creates it); otherwise it is opened for writing where the folder
            allows, so that the last connection to close removes the companions.

    Raises:
        WriteRefused: the folder is not a marked index folder, a name is not Parallax's, or
            one of the files is a link or not a regular file.
        sqlite3.Error: SQLite could not open the file.
    """
    path = check_index_file(folder, name)
    check_outside_corpus(path)
    for p in (path, *(path.with_name(name + c) for c in SQLITE_COMPANIONS)):
        check_index_file(folder, p.name)
        if os.path.lexists(p) and (p.is_symlink() or not p.is_file()):
            raise WriteRefused(f"{p} is not a regular file; Parallax will not write it")
    if read_only and not path.is_file():
        return None
    uri = "file:" + quote(os.fsencode(path.absolute()))
    if not read_only:
        return sqlite3.connect(uri + "?mode=rwc", uri=True, timeout=timeout, isolation_level=None)
    conn = sqlite3.connect(uri + "?mode=rw", uri=True, timeout=timeout, isolation_level=None)
    try:
        conn.execute("PRAGMA schema_version").fetchone()  # opens the file now
    except sqlite3.OperationalError:  # a read-only folder or file
        conn.close()
        return sqlite3.connect(uri + "?mode=ro", uri=True, timeout=timeout, isolation_level=None)
    return conn


# ---------------------------------------------------------------------- deleting


def remove(path: Path | str, *, missing_ok: bool = True) -> bool:
    """Delete ``path`` only if Parallax can prove it created it; returns True if a file went.

    Raises:
        WriteRefused: the file is not provably Parallax's (it is left alone).
    """
    path = Path(path)
    if not os.path.lexists(path):
        if missing_ok:
            return False
        raise FileNotFoundError(errno.ENOENT, "no such file", str(path))
    check_outside_corpus(path)
    if path.is_symlink() or not path.is_file() or not made_by_parallax(path):
        raise WriteRefused(f"{path} was not written by Parallax; it was left in place")
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def remove_temp(path: Path | str) -> None:
    """Delete one of this process's own atomic temp files (``.NAME.XXXXXXXX.tmp``); quiet if gone."""
    path = Path(path)
    if not _ATOMIC_TEMP.match(path.name):
        raise WriteRefused(f"{path} is not a Parallax temp file; it was left in place")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def make_temp(path: Path) -> tuple[int, str]:
    """Create (exclusively) a temp file next to ``path`` for an atomic write: ``(fd, name)``."""

    return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)


def replace(tmp: Path | str, path: Path | str) -> None:
    """Move this process's temp file ``tmp`` over ``path`` (checked by :func:`check_write` first)."""
    if not _ATOMIC_TEMP.match(Path(tmp).name) or Path(tmp).parent != Path(path).parent:
        raise WriteRefused(f"{tmp} is not a Parallax temp file next to {path}")
    check_write(path)
    os.replace(tmp, path)


def set_aside(path: Path | str, aside: Path | str) -> Path:
    """Rename ``path`` to the new name ``aside`` in the same folder; never replaces a file.

    Nothing is lost (the bytes keep a new name), so no proof of creation is asked for;
    the corpus is still off limits.

    Raises:
        FileExistsError: ``aside`` exists.
        OSError: the rename failed (``path`` is unchanged).
    """
    path, aside = Path(path), Path(aside)
    check_outside_corpus(path)
    check_outside_corpus(aside)
    if aside.parent != path.parent:
        raise WriteRefused(f"{aside} is not in the folder of {path}")
    try:
        os.link(path, aside)  # fails rather than replace an existing file
    except FileExistsError:
        raise
    except OSError:  # no hard links here: rename, having checked the name is free
        if os.path.lexists(aside):
            raise FileExistsError(errno.EEXIST, "file exists", str(aside)) from None
        os.rename(path, aside)
        return aside
    os.unlink(path)
    return aside


def make_dirs(folder: Path | str) -> None:
    """Create ``folder`` and its parents, outside any corpus."""
    check_outside_corpus(folder)
    Path(folder).mkdir(parents=True, exist_ok=True)


def append_log(path: Path | str, text: str) -> None:
    """Append to a log Parallax keeps in its data folder (the crash log)."""
    path = Path(path)
    if not _in_data_dir(path):
        raise WriteRefused(f"{path} is not a Parallax log")
    check_outside_corpus(path)
    make_dirs(path.parent)
    with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:
        fh.write(text)


# ---------------------------------------------------------------------- index folders


def check_index_location(index_dir: Path | str, corpus_root: Path | str) -> None:
    """Refuse an index folder inside, equal to, or above the corpus (or any corpus in play)."""
    ix = _real(index_dir)
    roots = {_real(corpus_root), *corpus_roots()}
    for root in sorted(roots):
        if ix == root:
            raise WriteRefused(f"the index folder {index_dir} is the corpus folder itself; "
                               "choose a folder outside the corpus")
        if root in ix.parents:
            raise WriteRefused(f"the index folder {index_dir} is inside the corpus {root}; "
                               "choose a folder outside the corpus")
        if ix in root.parents:
            raise WriteRefused(f"the index folder {index_dir} contains the corpus {root}; "
                               "choose a folder outside the corpus")


def _only_index_files(names: list[str]) -> bool:
    """A folder holding nothing but Parallax's index file names: an index from before markers
    existed, or one whose reuse fingerprints were saved before its first update."""
    return all(is_index_file_name(n) or n == INDEX_TEMP_DIR for n in names)


def claim_index_dir(index_dir: Path | str, corpus_root: Path | str) -> dict[str, Any]:
    """Make sure ``index_dir`` is Parallax's: create it with a marker, or find the marker; returns it.

    A new or empty folder gets the marker (``{"format", "version", "id", "created"}``); a
    folder holding nothing but Parallax's index file names (an index from before markers
    existed) gets one too. Anything else is refused.

    Raises:
        WriteRefused: the folder is inside/equal to/above the corpus, is not a folder, or
            holds files that are not a Parallax index.
    """
    folder = Path(index_dir)
    check_index_location(folder, corpus_root)
    marker = read_marker(folder)
    if marker is not None:
        return marker
    if os.path.lexists(folder) and not folder.is_dir():
        raise WriteRefused(f"the index folder {folder} exists and is not a folder")
    make_dirs(folder)
    names = sorted(os.listdir(folder))
    if names and not _only_index_files(names):
        shown = ", ".join(names[:3]) + (" …" if len(names) > 3 else "")
        raise WriteRefused(f"{folder} is not empty and is not a Parallax index ({shown}); "
                           "choose an empty or new folder for the index")
    data = {"format": MARKER_FORMAT, "version": MARKER_VERSION, "id": uuid.uuid4().hex,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        fd = os.open(folder / INDEX_MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        # Another process claimed it at the same moment: wait for its marker to be complete.
        for _ in range(50):
            found = read_marker(folder)
            if found is not None:
                return found
            time.sleep(0.02)
        raise WriteRefused(f"{folder} holds a damaged {INDEX_MARKER}; remove the folder or choose another") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    return data


def index_files(folder: Path | str) -> list[str]:
    """The names of Parallax's own files in a marked index folder (nothing when unmarked)."""
    folder = Path(folder)
    if read_marker(folder) is None:
        return []
    try:
        return sorted(n for n in os.listdir(folder) if is_index_file_name(n) and (folder / n).is_file())
    except OSError:
        return []


def remove_index_file(folder: Path | str, name: str) -> bool:
    """Delete one of Parallax's files from a marked index folder; returns True if it went."""
    path = check_index_file(folder, name)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


class GuardedStorage(FileStorage):  # type: ignore[misc]  # Whoosh ships no types
    """Whoosh's file storage, with every create, rename and delete checked by the guard.

    Whoosh creates, renames (its table of contents) and deletes (superseded segments) files
    in the index folder itself; this storage lets it touch only Parallax's index file names
    in a marked folder, and never the folder's other contents. It remembers the files it
    opened for writing, so that a failed write can close them before they are deleted.
    """

    def __init__(self, path: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(path, *args, **kwargs)
        self._writing: weakref.WeakSet[Any] = weakref.WeakSet()  # Whoosh's StructFile objects

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        """Create ``name`` in the index folder (a Parallax index file name only)."""
        check_index_file(self.folder, name)
        f = super().create_file(name, excl=excl, mode=mode, **kwargs)
        self._writing.add(f)
        return f

    def abandon(self) -> None:
        """Close every file still open for writing (after a failed write; errors are moot then)."""
        for f in list(self._writing):
            raw = getattr(f, "file", None)
            if raw is not None and not getattr(f, "is_closed", True):
                with contextlib.suppress(Exception):  # a full disk fails the flush; the fd still closes
                    raw.close()
                f.is_closed = True
        self._writing.clear()

    def remove_temp_dir(self) -> None:
        """Delete Whoosh's ``parallax.tmp`` folder and its pool files (the caller holds the writer lock)."""
        path = os.path.join(self.folder, INDEX_TEMP_DIR)
        if os.path.isdir(path) and not os.path.islink(path):
            with contextlib.suppress(OSError):
                _TempStorage(path).destroy()

    def delete_file(self, name: str) -> None:
        """Delete ``name`` (a Parallax index file name only)."""
        remove_index_file(self.folder, name)

    def rename_file(self, oldname: str, newname: str, safe: bool = False) -> None:
        """Rename within the index folder (both names Parallax's)."""
        check_index_file(self.folder, oldname)
        check_index_file(self.folder, newname)
        super().rename_file(oldname, newname, safe=safe)

    def lock(self, name: str) -> Any:
        """Whoosh's file lock, on a Parallax lock file name."""
        check_index_file(self.folder, name)
        return super().lock(name)

    def temp_storage(self, name: str | None = None) -> FileStorage:
        """Whoosh's temp folder, only as ``parallax.tmp`` inside a marked index folder."""
        if name != INDEX_TEMP_DIR:
            raise WriteRefused(f"unexpected temp storage {name!r} in {self.folder}")
        check_index_file(self.folder, INDEX_TEMP_DIR)
        return _TempStorage(os.path.join(self.folder, name)).create()

    def clean(self, ignore: bool = False) -> None:
        """Refused: an index folder is never emptied wholesale."""
        raise WriteRefused(f"refusing to empty {self.folder}")

    def destroy(self, *args: Any, **kwargs: Any) -> None:
        """Refused: an index folder is never removed wholesale."""
        raise WriteRefused(f"refusing to remove {self.folder}")


class _TempStorage(FileStorage):  # type: ignore[misc]  # Whoosh ships no types
    """Whoosh's per-writer temp folder (``parallax.tmp`` in a marked index folder)."""

    def _check(self) -> None:
        folder = Path(self.folder)
        if folder.name != INDEX_TEMP_DIR or read_marker(folder.parent) is None:
            raise WriteRefused(f"{folder} is not a Parallax temp folder")

    def create_file(self, name: str, excl: bool = False, mode: str = "wb", **kwargs: Any) -> Any:
        """Create a pool file in the temp folder."""
        self._check()
        return super().create_file(name, excl=excl, mode=mode, **kwargs)

    def delete_file(self, name: str) -> None:
        """Delete a pool file from the temp folder."""
        self._check()
        super().delete_file(name)

    def destroy(self, *args: Any, **kwargs: Any) -> None:
        """Remove the temp folder and its files (all written by this writer)."""
        self._check()
        super().destroy(*args, **kwargs)
