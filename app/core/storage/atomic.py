"""The one way Parallax writes user data: temp file in the same folder, fsync, ``os.replace``.

Every write is first checked by :mod:`app.core.storage.fsguard`: never inside a corpus, never over a
file Parallax cannot prove it wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from app.core.storage import fsguard
from app.core.storage.boundary import json_escape_surrogates


def atomic_write_bytes(path: Path | str, data: bytes | memoryview) -> None:
    """Write ``data`` to ``path`` so that readers see either the old file or the new one, never half.

    Raises:
        fsguard.WriteRefused: the guard refused the target (nothing was written).
        OSError: the write failed; the previous file is intact and no temp file is left.
    """
    path = fsguard.check_write(path)
    fsguard.make_dirs(path.parent)
    fd, tmp = fsguard.make_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        fsguard.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            fsguard.remove_temp(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path: Path | str, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path | str, data: Any) -> None:
    """Atomically write ``data`` as indented UTF-8 JSON."""
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False)
    atomic_write_text(path, json_escape_surrogates(text) + "\n")  # paths that are not UTF-8
