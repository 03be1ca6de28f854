"""Where Parallax keeps user data (platformdirs), and where the embedded seed corpus lives."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "parallax"


def data_dir() -> Path:
    """The per-user data folder; ``PARALLAX_DATA_DIR`` overrides it (tests, portable installs)."""
    override = os.environ.get("PARALLAX_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def index_dir_for(corpus_root: Path | str) -> Path:
    """The index folder for one corpus: one per corpus folder, keyed by its absolute path."""
    root = Path(corpus_root).resolve()
    key = str(root)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen and root.is_relative_to(Path(frozen).resolve()):
        # A one-file build unpacks to a new temp folder on every run: key its bundled corpus
        # by its place inside the bundle so the index is reused, not rebuilt and leaked.
        from app import __version__

        key = f"bundle:{__version__}:{root.relative_to(Path(frozen).resolve()).as_posix()}"
    # surrogateescape: a folder name that is not UTF-8 keys its index by its bytes.
    digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in root.name)[:40] or "root"
    return data_dir() / "indexes" / f"{safe}-{digest}"

# The folder holding the ``app`` package (the checkout, or the installed tree):
# app/core/storage/paths.py is three packages down.
SOURCE_ROOT = Path(__file__).resolve().parents[3]


def default_corpus() -> Path:
    """The embedded seed corpus: ``seeds/`` next to the package, or bundled by a frozen build."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = []
    if frozen:
        candidates.append(Path(frozen) / "seeds")
    candidates += [SOURCE_ROOT / "seeds", SOURCE_ROOT / "app" / "seeds"]
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[-1]
