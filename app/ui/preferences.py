"""The Preferences dialog: the reuse model's thresholds for the open corpus, one row per field.

The rows are generated from :class:`app.core.reuse.reusemap.Thresholds` and its ``DESCRIPTIONS``, so a
threshold added to the model appears here without a change to this module.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.workspace.userdata import threshold_defaults, threshold_descriptions


class PreferencesDialog(QDialog):
    """Shows and edits the thresholds; :meth:`values` gives what the analyst chose.

    Args:
        current: The values in use (defaults where the corpus sets none).
        corpus_name: Shown in the heading: the settings belong to that corpus.
    """

    def __init__(self, current: Mapping[str, int | float], corpus_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self.setWindowTitle("Preferences")
        self._defaults = threshold_defaults()
        descriptions = threshold_descriptions()
        box = QVBoxLayout(self)
        heading = QLabel(
            f"Reuse model thresholds for <b>{_escape(corpus_name)}</b>. They are kept with this corpus's "
            "marks and source names; the reuse map is rebuilt in the background after a change."
            if corpus_name else "Reuse model thresholds.", self)
        heading.setWordWrap(True)
        box.addWidget(heading)
        form = QFormLayout()
        self.editors: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for name, default in self._defaults.items():
            editor: QSpinBox | QDoubleSpinBox
            if isinstance(default, float):
                editor = QDoubleSpinBox(self)
                editor.setDecimals(3)
                editor.setRange(0.0, 1.0)
                editor.setSingleStep(0.01)
            else:
                editor = QSpinBox(self)
                editor.setRange(1, 1_000_000)
            editor.setObjectName(f"threshold_{name}")
            editor.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
            _show(editor, current.get(name, default))
            tip = descriptions.get(name, "")
            editor.setToolTip(f"{tip} (default {default})" if tip else f"default {default}")
            label = QLabel(name.replace("_", " "), self)
            label.setToolTip(editor.toolTip())
            form.addRow(label, editor)
            if tip:
                hint = QLabel(f"{tip} (default {default})", self)
                hint.setWordWrap(True)
                hint.setObjectName(f"thresholdHint_{name}")
                hint.setStyleSheet("color: palette(placeholder-text);")
                form.addRow("", hint)
            self.editors[name] = editor
        box.addLayout(form)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults, self)
        self.restore_button = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        self.restore_button.clicked.connect(self.restore_defaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        box.addWidget(buttons)

    def restore_defaults(self) -> None:
        """Put every editor back to the model's default."""
        for name, editor in self.editors.items():
            _show(editor, self._defaults[name])

    def values(self) -> dict[str, int | float]:
        """The value of every threshold as edited."""
        return {name: (e.value() if isinstance(e, QDoubleSpinBox) else int(e.value()))
                for name, e in self.editors.items()}


def _show(editor: QSpinBox | QDoubleSpinBox, value: int | float) -> None:
    if isinstance(editor, QDoubleSpinBox):
        editor.setValue(float(value))
    else:
        editor.setValue(int(value))


def _escape(text: str) -> str:
    return html.escape(text)
