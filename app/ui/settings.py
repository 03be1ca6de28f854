"""Small keyed helpers over QSettings: window geometry, splitter sizes, recent and last corpus."""

from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QSplitter, QWidget

MAX_RECENT = 8


def settings() -> QSettings:
    """The application's settings (organisation and application names are set by ``app.ui.app``)."""
    return QSettings()


def save_geometry(widget: QWidget, key: str) -> None:
    """Remember ``widget``'s size, position and (for main windows) toolbar/dock state."""
    s = settings()
    s.setValue(f"{key}/geometry", widget.saveGeometry())
    save_state = getattr(widget, "saveState", None)
    if callable(save_state):
        s.setValue(f"{key}/state", save_state())


def restore_geometry(widget: QWidget, key: str) -> bool:
    """Restore what :func:`save_geometry` saved, keeping the window on a visible screen.

    Returns:
        True when a saved geometry was applied.
    """
    s = settings()
    geom = s.value(f"{key}/geometry")
    if not isinstance(geom, QByteArray | bytes) or not widget.restoreGeometry(QByteArray(geom)):
        return False
    state = s.value(f"{key}/state")
    restore_state = getattr(widget, "restoreState", None)
    if isinstance(state, QByteArray | bytes) and callable(restore_state):
        restore_state(QByteArray(state))
    _keep_on_screen(widget)
    return True


def _keep_on_screen(widget: QWidget) -> None:
    # A monitor unplugged since the last run must not leave the window out of reach.
    frame = widget.frameGeometry()
    screens = [sc.availableGeometry() for sc in QGuiApplication.screens()]
    if not screens or any(area.intersects(frame) for area in screens):
        return
    area: QRect = screens[0]
    widget.resize(min(frame.width(), area.width()), min(frame.height(), area.height()))
    widget.move(area.topLeft())


def save_splitter(splitter: QSplitter, key: str) -> None:
    """Remember a splitter's sizes."""
    settings().setValue(f"{key}/splitter", splitter.saveState())


def restore_splitter(splitter: QSplitter, key: str) -> bool:
    """Restore a splitter's sizes saved by :func:`save_splitter`; True when applied."""
    state = settings().value(f"{key}/splitter")
    return isinstance(state, QByteArray | bytes) and splitter.restoreState(QByteArray(state))


def _string_list(value: object) -> list[str]:
    # QSettings returns a plain str for a one-element list in INI files, and None when unset.
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def recent_corpora() -> list[str]:
    """Recently opened corpus folders, most recent first (folders that vanished are dropped)."""
    return [p for p in _string_list(settings().value("corpus/recent")) if Path(p).is_dir()]


def add_recent_corpus(path: Path | str) -> list[str]:
    """Put ``path`` first in the recent list and make it the last corpus; returns the new list."""
    folder = str(Path(path).resolve())
    items = [folder] + [p for p in recent_corpora() if p != folder]
    s = settings()
    s.setValue("corpus/recent", items[:MAX_RECENT])
    s.setValue("corpus/last", folder)
    return items[:MAX_RECENT]


def clear_recent_corpora() -> None:
    """Forget the recent list (the last corpus stays)."""
    settings().remove("corpus/recent")


def _corpus_key(root: Path | str) -> str:
    # One QSettings key per folder; its path is hashed because keys cannot hold every character.
    folder = str(Path(root).resolve())
    return "corpus/followLinksOutside/" + hashlib.sha1(folder.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def follow_links_outside(root: Path | str) -> bool:
    """Whether the user asked to read links of this corpus folder that point outside it."""
    value = settings().value(_corpus_key(root))
    return value is True or value == "true"


def set_follow_links_outside(root: Path | str, follow: bool) -> None:
    """Remember, for this corpus folder, whether links pointing outside it are read."""
    s = settings()
    if follow:
        s.setValue(_corpus_key(root), True)
    else:
        s.remove(_corpus_key(root))


def last_corpus() -> Path | None:
    """The corpus folder open when the app last closed, if it still exists."""
    value = settings().value("corpus/last")
    if isinstance(value, str) and value and Path(value).is_dir():
        return Path(value)
    return None


def preview_shown() -> bool:
    """Whether search results are previewed in the corpus panel (on unless the user hid it)."""
    value = settings().value("search/preview", True)
    return value is True or value == "true"


def set_preview_shown(shown: bool) -> None:
    """Remember whether search results are previewed."""
    settings().setValue("search/preview", bool(shown))
