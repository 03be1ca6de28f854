"""Reports from the window: the current comparison, or every open one, exported as HTML or PDF.

Every target is checked by :mod:`app.core.storage.fsguard` before anything is written (never inside the
corpus, never over a file Parallax did not write).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from app.core.sessions.report import ReportSection, alignment_report_html, session_report_html
from app.core.storage import fsguard
from app.core.storage.atomic import atomic_write_text
from app.ui.comparetabs import CompareTabs
from app.ui.messages import inform
from app.ui.pdfexport import write_pdf

HTML_FILTER = "HTML report (*.html)"
PDF_FILTER = "PDF report (*.pdf)"


class ReportController(QObject):
    """Exports the comparisons of ``tabs`` with their notes.

    Args:
        tabs: The comparison tabs.
        session_path: The session's file, if saved (names the session report; never overwritten).
        corpus_root: The open corpus folder (the report's subtitle; never written into).
        parent: The widget dialogs open over.
    """

    message = Signal(str, int)  # a passing status-bar message and its duration in ms
    error = Signal(str)

    def __init__(self, tabs: CompareTabs, session_path: Callable[[], Path | None],
                 corpus_root: Callable[[], Path | None], parent: QWidget) -> None:
        super().__init__(parent)
        self._tabs = tabs
        self._session_path = session_path
        self._corpus_root = corpus_root
        self._parent = parent

    # --- dialogs (tests replace them) ----------------------------------------------------

    def _ask_export_path(self, title: str, suggested: str) -> tuple[str, str]:
        return QFileDialog.getSaveFileName(self._parent, title, str(Path.home() / suggested),
                                           f"{HTML_FILTER};;{PDF_FILTER}")

    def _ask_overwrite(self, path: Path) -> bool:
        """Confirm replacing a report Parallax wrote earlier (the dialog did not ask about this name)."""
        answer = QMessageBox.question(
            self._parent, "Replace report?", f"{path.name} already exists (a Parallax report). Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def _inform(self, title: str, lines: list[str]) -> None:
        inform(self._parent, title, lines)

    def _error(self, title: str, message: str) -> None:
        self.error.emit(message)
        self._inform(title, [message])

    # --- commands ------------------------------------------------------------------------

    def export_report(self) -> Path | None:
        """Export the current comparison with its notes, as HTML or PDF by the chosen filter."""
        entry = self._tabs.current_entry()
        alignment = entry.view.alignment() if entry.view is not None else None
        if entry.state is None or alignment is None:
            self.error.emit("Open two articles to export their comparison")
            return None
        stem = "-".join(Path(a.id).stem[:24] for a in (alignment.left, alignment.right))
        target = self._export_target("Export Report", f"parallax-{stem}.html",
                                     (alignment.left.path, alignment.right.path))
        if target is None:
            return None
        left, right = (a.title or a.id for a in (alignment.left, alignment.right))
        title = f"Comparison: {left} ↔ {right}"
        pdf = target.suffix.lower() == ".pdf"
        html = alignment_report_html(alignment, entry.state.notes, title,
                                     comparison_note=entry.state.comparison_note, for_qt=pdf)
        return self._write_report(target, html, title, pdf)

    def export_session_report(self) -> Path | None:
        """Export every open comparison as one report, a section per tab."""
        sections = []
        for entry in self._tabs.entries():
            alignment = entry.view.alignment() if entry.view is not None else None
            if entry.state is not None and alignment is not None:
                sections.append((alignment, entry.state))
        if not sections:
            self.error.emit("No comparison to export: open two articles first")
            return None
        session_path = self._session_path()
        name = session_path.stem if session_path else "session"
        inputs = tuple(a.path for al, _ in sections for a in (al.left, al.right))
        target = self._export_target("Export Session Report", f"{name}-report.html", inputs)
        if target is None:
            return None
        pdf = target.suffix.lower() == ".pdf"
        title = f"Parallax session: {name}" if session_path else "Parallax session report"
        root = self._corpus_root()
        html = session_report_html(
            [ReportSection(al, list(state.notes), state.comparison_note, state.title) for al, state in sections],
            title, subtitle=f"Corpus: {root}" if root else "", for_qt=pdf)
        return self._write_report(target, html, title, pdf)

    def _export_target(self, caption: str, suggested: str, inputs: tuple[str, ...] = ()) -> Path | None:
        chosen, selected = self._ask_export_path(caption, suggested)
        if not chosen:
            return None
        path = Path(chosen)
        confirmed = True  # QFileDialog asks before returning an existing file
        if path.suffix.lower() not in (".html", ".htm", ".pdf"):
            path = path.with_name(path.name + (".pdf" if selected == PDF_FILTER else ".html"))
            confirmed = False  # the dialog asked about another name
        try:
            fsguard.check_export(path, inputs=[p for p in (self._session_path(), *inputs) if p])
        except fsguard.WriteRefused as exc:
            self._error("Report not exported", str(exc))
            return None
        if path.exists() and not confirmed and not self._ask_overwrite(path):
            return None
        return path

    def _write_report(self, target: Path, html: str, title: str, pdf: bool) -> Path | None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            if pdf:
                write_pdf(html, target, title=title)
            else:
                atomic_write_text(target, html)
        except OSError as exc:
            self._error("Report not exported", f"Could not write {target.name}: {exc.strerror or exc}")
            return None
        finally:
            QApplication.restoreOverrideCursor()
        self.message.emit(f"Report written to {target}", 8000)
        return target
