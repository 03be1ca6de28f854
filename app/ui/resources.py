"""Files under ``resources/`` (next to the package, or bundled by a frozen build)."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path


def resources_dir() -> Path:
    """The ``resources/`` folder."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen and (Path(frozen) / "resources").is_dir():
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent.parent / "resources"


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The application stylesheet, or an empty string when the file is missing."""
    try:
        return (resources_dir() / "style.qss").read_text("utf-8")
    except OSError:
        return ""
