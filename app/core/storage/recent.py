"""The recent sessions list (File > Open Recent), kept in the user data folder."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.storage.atomic import atomic_write_json
from app.core.storage.paths import data_dir

MAX_RECENT = 10


def _store() -> Path:
    return data_dir() / "recent_sessions.json"


def recent_sessions(*, existing_only: bool = True) -> list[Path]:
    """Recently saved or opened session files, newest first."""
    try:
        entries = json.loads(_store().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(entries, list):
        return []
    paths = [Path(e) for e in entries if isinstance(e, str)]
    return [p for p in paths if p.is_file()] if existing_only else paths


def add_recent_session(path: Path | str) -> list[Path]:
    """Put ``path`` first in the list (call after each save or open); returns the new list."""
    path = Path(path).resolve()
    paths = [path] + [p for p in recent_sessions(existing_only=False) if p != path]
    paths = paths[:MAX_RECENT]
    atomic_write_json(_store(), [str(p) for p in paths])
    return paths


def remove_recent_session(path: Path | str) -> list[Path]:
    """Drop ``path`` from the list (it failed to open); returns the new list."""
    path = Path(path).resolve()
    paths = [p for p in recent_sessions(existing_only=False) if p != path]
    atomic_write_json(_store(), [str(p) for p in paths])
    return paths
