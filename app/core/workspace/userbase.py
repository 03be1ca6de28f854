"""What the user-data modules share: the one-line error and the clock.

:mod:`app.core.workspace.links` (manual alignment) and :mod:`app.core.workspace.userdata` (every decision, and
the store) both raise :class:`UserDataError` and stamp decisions with :func:`now_iso`; they
import them from here, so that neither has to import the other's module to do so.
"""

from __future__ import annotations

from datetime import UTC, datetime


class UserDataError(Exception):
    """A change that cannot be saved, or a file that cannot be read; the message is one line."""


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
