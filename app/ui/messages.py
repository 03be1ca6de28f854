"""Messages the window shows without stopping the analyst's work."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def inform(parent: QWidget | None, title: str, lines: list[str]) -> QMessageBox:
    """Show ``lines`` in a box that is not modal: the window stays usable, and it can be read later."""
    box = QMessageBox(QMessageBox.Icon.Information, title, "\n".join(lines), QMessageBox.StandardButton.Ok, parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setModal(False)
    box.show()
    return box
