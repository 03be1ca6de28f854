"""The crash log: the traceback of an unexpected error, kept for a bug report, never shown."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime

from app.core.storage.fsguard import append_log
from app.core.storage.paths import data_dir

CRASH_LOG = "crash.log"


def record(exc: BaseException) -> str:
    """Append ``exc`` and its traceback to the crash log in the data folder.

    Returns the log's path for the one-line message the user sees, or a note that it could
    not be written (a full disk must not turn into a second error).
    """
    try:
        log = data_dir() / CRASH_LOG
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        append_log(log, f"--- {stamp}\n{text}\n")
        return str(log)
    except OSError:
        return "(the crash log could not be written)"
