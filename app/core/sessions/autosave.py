"""Autosave of the open session with a dirty flag, and recovery after a crash or kill.

Each run writes ``<data dir>/autosave/run-<pid>-<stamp>.parallax`` next to a marker
``run-<pid>-<stamp>.json`` naming its process. A clean exit removes both (keeping the final state
as ``last.parallax``); files whose process is gone are what a crashed or killed run left behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from app.core.sessions.session import LoadedSession, Session, load_session, now_iso, session_to_json
from app.core.storage import fsguard
from app.core.storage.atomic import atomic_write_json
from app.core.storage.paths import data_dir

AUTOSAVE_INTERVAL_S = 30
# A marker untouched for this long belongs to a dead run even where the pid cannot be checked.
STALE_AFTER_S = 10 * AUTOSAVE_INTERVAL_S
LAST_SESSION = "last.parallax"
# The stem of a run's files (see _stem): only files so named are ever taken or deleted.
_RUN_STEM = re.compile(r"^run-\d+-\d{8}-\d{6}$")
MARKER_FORMAT = "parallax-autosave-run"


def autosave_dir() -> Path:
    """Where autosaves live: ``<data dir>/autosave``."""
    return data_dir() / "autosave"


def _pid_alive(pid: int) -> bool | None:
    """True/False on POSIX; None where it cannot be checked without side effects (Windows)."""
    if os.name != "posix":
        return None  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return True


def _run_is_dead(marker: Path) -> bool:
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return True
    if pid == os.getpid():
        return False
    alive = _pid_alive(pid)
    if alive is not None:
        return not alive
    try:
        return time.time() - marker.stat().st_mtime > STALE_AFTER_S
    except OSError:
        return True


class SessionAutosaver:
    """Keeps an autosave of the current session; Qt-free (the GUI drives it from a timer).

    Usage from the GUI: at start-up ask :meth:`recoverable`, then :meth:`recover` or
    :meth:`discard`; call :meth:`mark_dirty` on every change, :meth:`maybe_save` every
    :data:`AUTOSAVE_INTERVAL_S` seconds, and :meth:`clean_exit` on quit.

    Args:
        snapshot: Returns the session as it is now (tabs with their current scroll, notes...).
        directory: Autosave folder (default :func:`autosave_dir`).
    """

    def __init__(self, snapshot: Callable[[], Session], directory: Path | str | None = None) -> None:
        self._snapshot = snapshot
        self.directory = Path(directory) if directory else autosave_dir()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self._stem = f"run-{os.getpid()}-{stamp}"
        self._dirty = False
        self.last_error: OSError | None = None

    @property
    def path(self) -> Path:
        """This run's autosave file."""
        return self.directory / f"{self._stem}.parallax"

    @property
    def marker(self) -> Path:
        """This run's marker: present while the run is alive or after it died uncleanly."""
        return self.directory / f"{self._stem}.json"

    @property
    def dirty(self) -> bool:
        """True when the session changed since the last autosave."""
        return self._dirty

    def mark_dirty(self) -> None:
        """Record that the session changed (cheap: call it on every edit)."""
        self._dirty = True

    def maybe_save(self) -> bool:
        """Autosave if the session changed since the last autosave; the timer's slot.

        Returns:
            True when a file was written. A failed write is kept in :attr:`last_error`, the
            session stays dirty and the previous autosave stays intact.
        """
        if not self._dirty:
            self._touch_marker()
            return False
        try:
            self.save_now()
        except OSError as exc:
            self.last_error = exc
            return False
        return True

    def save_now(self, session: Session | None = None) -> Path:
        """Autosave now (``session`` or the snapshot), whether dirty or not.

        Raises:
            OSError: the write failed; the previous autosave is unchanged.
        """
        session = session if session is not None else self._snapshot()
        self._write_marker()
        atomic_write_json(self.path, session_to_json(session, autosave_of=session.path))
        self._dirty = False
        self.last_error = None
        return self.path

    def recoverable(self) -> Path | None:
        """The newest autosave left by a run that crashed or was killed, if any."""
        found = self._dead_runs()
        return found[0][0] if found else None

    def recover(self, path: Path | str) -> LoadedSession:
        """Load a crashed run's autosave and take it over as this run's autosave.

        The returned session is marked modified and keeps the path of the session file it was
        the unsaved state of (None for a never-saved session).

        Raises:
            SessionError: the autosave is damaged (it is left in place).
        """
        path = Path(path)
        loaded = load_session(path)
        loaded.session.path = loaded.autosave_of
        loaded.session.modified = True
        self.save_now(loaded.session)  # written before the old file goes: never zero copies
        self._remove(path, path.with_suffix(".json"))
        return loaded

    def discard(self) -> None:
        """Delete every autosave left by dead runs (the user declined to restore)."""
        for autosave, marker in self._dead_runs():
            self._remove(autosave, marker)

    def clean_exit(self, session: Session | None = None) -> Path:
        """On quit: keep the final state as ``last.parallax`` and remove this run's files.

        Returns:
            The ``last.parallax`` path.

        Raises:
            OSError: the final state could not be written; this run's autosave is then kept,
                so the next launch offers it.
        """
        session = session if session is not None else self._snapshot()
        kept = self.directory / LAST_SESSION
        atomic_write_json(kept, session_to_json(session, autosave_of=session.path))
        self._remove(self.path, self.marker)
        self._dirty = False
        return kept

    def last_session(self) -> Path | None:
        """The state kept by the last clean exit, if any."""
        kept = self.directory / LAST_SESSION
        return kept if kept.is_file() else None

    def _dead_runs(self) -> list[tuple[Path, Path]]:
        if not self.directory.is_dir():
            return []
        runs = []
        for autosave in self.directory.glob("run-*.parallax"):
            if not _RUN_STEM.match(autosave.stem) or not autosave.is_file():
                continue  # not a name this class gives its files
            marker = autosave.with_suffix(".json")
            if autosave.stem == self._stem or (marker.exists() and not _run_is_dead(marker)):
                continue
            with contextlib.suppress(OSError):
                runs.append((autosave.stat().st_mtime_ns, autosave, marker))
        runs.sort(reverse=True)
        return [(a, m) for _, a, m in runs]

    def _write_marker(self) -> None:
        if self.marker.exists():
            self._touch_marker()
        else:
            atomic_write_json(self.marker, {"format": MARKER_FORMAT, "pid": os.getpid(), "started": now_iso()})

    def _touch_marker(self) -> None:
        with contextlib.suppress(OSError):
            if self.marker.exists():
                os.utime(self.marker)

    @staticmethod
    def _remove(*paths: Path) -> None:
        """Delete a run's files: only those the guard proves Parallax's (others are left in place)."""
        for p in paths:
            with contextlib.suppress(FileNotFoundError, fsguard.WriteRefused):
                fsguard.remove(p)
