"""PDF reports: the core's HTML report laid out by Qt's rich-text engine and written with QPdfWriter."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)

from app.core.storage.atomic import atomic_write_bytes

_RESOLUTION = 300  # dpi of the PDF's coordinate system; text stays vector
_BASE_POINT_SIZE = 9.0
_FOOTER_PT = 14.0


def ensure_gui_application() -> QGuiApplication:
    """The running Qt application, or a new headless one (``offscreen``) when there is no display.

    The CLI calls this; the GUI already has its QApplication.
    """
    existing = QGuiApplication.instance()
    if isinstance(existing, QGuiApplication):
        return existing
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return QGuiApplication(sys.argv[:1])


def html_to_pdf_bytes(html: str, *, title: str = "", landscape: bool = True) -> bytes:
    """Lay out ``html`` (Qt's rich-text subset: use ``for_qt=True`` reports) as A4 PDF pages.

    Pages are numbered at the bottom; text is real text (selectable and searchable).
    """
    ensure_gui_application()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(_RESOLUTION)
    writer.setTitle(title)
    writer.setCreator("Parallax")
    orientation = QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), orientation,
                                     QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter))
    doc = QTextDocument()
    # Lay out against the writer itself so point sizes mean printed points whatever the screen.
    doc.documentLayout().setPaintDevice(writer)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(_BASE_POINT_SIZE)
    doc.setDefaultFont(font)
    doc.setHtml(html)
    # QTextDocument.print_ draws no page numbers for a document with a page size, so pages are
    # drawn here, leaving a strip at the bottom for the number.
    area = writer.pageLayout().paintRectPixels(writer.resolution())
    footer_h = _FOOTER_PT * writer.resolution() / 72.0
    page_h = area.height() - footer_h
    doc.setPageSize(QSizeF(area.width(), page_h))
    pages = doc.pageCount()
    painter = QPainter(writer)
    try:
        footer_font = QFont(font)
        footer_font.setPointSizeF(_BASE_POINT_SIZE - 1)
        for n in range(pages):
            if n:
                writer.newPage()
            painter.save()
            painter.translate(0, -n * page_h)
            doc.drawContents(painter, QRectF(0, n * page_h, area.width(), page_h))
            painter.restore()
            painter.setFont(footer_font)
            painter.setPen(QColor("#666666"))
            painter.drawText(QRectF(0, page_h, area.width(), footer_h),
                             int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                             f"{title}    {n + 1} / {pages}".strip())
    finally:
        painter.end()
    del writer  # finishes the PDF into the buffer
    buffer.close()
    data: QByteArray = buffer.data()
    return bytes(data.data())


def write_pdf(html: str, path: Path | str, *, title: str = "", landscape: bool = True) -> Path:
    """Write ``html`` as a PDF file, atomically (A4, landscape unless ``landscape=False``).

    Callers check the target with :func:`app.core.storage.fsguard.check_export` first; the PDF carries
    Parallax's creator signature, by which a later export may replace it.
    Laying out and writing touch no widget, so this may run on a worker thread.

    Raises:
        OSError: the file could not be written (any previous file is left intact).
    """
    path = Path(path)
    atomic_write_bytes(path, html_to_pdf_bytes(html, title=title, landscape=landscape))
    return path
