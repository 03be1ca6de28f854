"""The QApplication: names used by QSettings, style, and the stylesheet from ``resources/``."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QSettings, QSize
from PySide6.QtGui import QFont, QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from app import __version__
from app.core.storage.fsguard import append_log
from app.core.storage.paths import data_dir
from app.ui.resources import resources_dir, stylesheet

ORGANIZATION = "Parallax"
APPLICATION = "Parallax"


def configure_settings() -> None:
    """Set the names QSettings uses; keep settings in ``PARALLAX_DATA_DIR`` when it is set.

    Portable installs, benchmarks and tests point that variable at a folder of their own, and
    their window geometry and recent corpora must land there too rather than in the user's.
    """
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    override = os.environ.get("PARALLAX_DATA_DIR")
    if override:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, override)


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The application object, created once, styled and named.

    Args:
        argv: Command-line arguments for Qt (defaults to ``sys.argv[:1]``).
    """
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    configure_settings()
    # Worker threads (index updates, the reuse map) run Python next to the GUI thread; a
    # shorter GIL switch interval bounds how long each GUI callback waits for its turn.
    sys.setswitchinterval(0.002)
    QGuiApplication.setDesktopFileName("parallax")
    qapp = QApplication(list(argv) if argv is not None else sys.argv[:1])
    qapp.setStyle("Fusion")
    qapp.setWindowIcon(app_icon())
    apply_style(qapp)
    if sys.excepthook is sys.__excepthook__:  # a test runner's own hook stays
        sys.excepthook = report_internal_error
    return qapp


def report_internal_error(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """The window's last line of defence: an exception nobody caught becomes one line in the
    status bar and a crash log entry, never a traceback in front of the user."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    log = data_dir() / "crash.log"
    try:
        append_log(log, "".join(traceback.format_exception(kind, value, tb)) + "\n")
        where = f"details in {log}"
    except OSError:
        where = "no log could be written"
    text = str(value).splitlines()[0] if str(value) else ""
    message = f"Internal error ({kind.__name__}{': ' + text[:200] if text else ''}); {where}"
    print(f"parallax: {message}", file=sys.stderr)
    for widget in QApplication.topLevelWidgets():
        show = getattr(widget, "show_error", None)
        if callable(show):
            show(message)


def apply_style(qapp: QApplication) -> None:
    """Apply the bundled stylesheet and a readable default font size."""
    font = QFont(qapp.font())
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(9.5)
        qapp.setFont(font)
    qapp.setStyleSheet(stylesheet())


def app_icon() -> QIcon:
    """The application icon from ``resources/icons`` (empty when the files are missing)."""
    icon = QIcon()
    folder = resources_dir() / "icons"
    for size in (16, 32, 48, 64, 128, 256):
        path = folder / f"parallax-{size}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon
