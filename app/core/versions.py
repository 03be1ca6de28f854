"""Versions of Parallax and of the libraries it runs on, for Help > About and bug reports."""

from __future__ import annotations

import platform
from importlib import metadata


def _distribution_version(*names: str) -> str | None:
    """The installed version of the first distribution found among ``names``, else None."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def component_versions(qt_version: str | None = None,
                       pyside_version: str | None = None) -> dict[str, str]:
    """Name -> version of Parallax, Python, Qt, PySide6, Whoosh and rapidfuzz, in that order.

    The core never imports Qt, so the UI passes Qt's run-time version (``qVersion()``) and
    ``PySide6.__version__``; without them the installed PySide6 distribution's version stands in
    for both (a frozen build does not carry that metadata: the entries are then left out).
    Whoosh and rapidfuzz are imported here, when asked, not when this module loads.

    Args:
        qt_version: The Qt library version the program is running with.
        pyside_version: The PySide6 bindings version.
    """
    # Imported when asked: `parallax --version` and Help > About need them, start-up does not.
    import rapidfuzz
    import whoosh

    from app import __version__

    installed_pyside = _distribution_version("PySide6-Essentials", "PySide6")
    versions = {"Parallax": __version__, "Python": platform.python_version()}
    qt = qt_version or installed_pyside
    pyside = pyside_version or installed_pyside
    if qt:
        versions["Qt"] = qt
    if pyside:
        versions["PySide6"] = pyside
    versions["Whoosh"] = whoosh.versionstring()
    versions["rapidfuzz"] = rapidfuzz.__version__
    return versions
