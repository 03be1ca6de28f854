"""Sessions in the window: the window's state saved as a Session, opened back, autosaved.

:class:`SessionController` sees the window through :class:`SessionView` (``snapshot()``,
``apply()``, ``clear()``) and reports back through signals; it owns the session file, the
"modified" state, the autosave and the dialogs about them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from app.core.sessions.autosave import AUTOSAVE_INTERVAL_S, SessionAutosaver
from app.core.sessions.session import (
    SUFFIX,
    LoadedSession,
    Session,
    SessionError,
    check_session,
    load_session,
    save_session,
)
from app.core.storage import fsguard
from app.core.storage.recent import add_recent_session, recent_sessions, remove_recent_session
from app.ui.messages import inform
from app.ui.settings import follow_links_outside

SESSION_FILTER = f"Parallax session (*{SUFFIX})"


def content_key(session: Session) -> tuple[object, ...]:
    """What makes a session "modified": articles, notes, queries, hidden boilerplate, tab order.

    Scroll positions and current rows are left out so that reading does not count as editing,
    and a session without tabs holds nothing worth saving whatever its corpus or query.
    """
    if not session.tabs and not session.stories:
        return ()
    return (
        session.corpus,
        session.query,
        tuple((x.id, x.base, x.notes) for x in session.stories),
        tuple(
            ((t.left.id, t.left.path), (t.right.id, t.right.path), t.query, t.hide_boilerplate,
             t.comparison_note, tuple((tuple(n.left), tuple(n.right), n.text) for n in t.notes))
            for t in session.tabs
        ),
    )


class RestoreBar(QToolBar):
    """A bar across the window offering to restore a crashed run's session; it never blocks."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__("Restore Session", parent)
        self.setObjectName("restoreBar")
        self.setMovable(False)
        self.setFloatable(False)
        self.setStyleSheet("QToolBar#restoreBar { background: #fff4c2; border-bottom: 1px solid #d8c26a; }"
                           "QToolBar#restoreBar QLabel { color: #3a3000; padding: 0 8px; }")
        self.label = QLabel(text, self)
        self.addWidget(self.label)
        spacer = QWidget(self)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.restore_action = self.addAction("Restore")
        self.restore_action.setToolTip("Reopen the comparisons and notes of the run that did not close")
        self.discard_action = self.addAction("Discard")
        self.discard_action.setToolTip("Delete the unsaved state of that run")


class SessionView(Protocol):
    """What the session controller needs of the window."""

    def snapshot(self) -> Session:
        """What the window shows, as a session: corpus, every tab showing two articles, stories,
        query and user data (its ``path`` and ``modified`` are the controller's to fill)."""
        ...

    def apply(self, session: Session, skip: Collection[int]) -> None:
        """Show ``session`` in place of what is open: its corpus, its tabs but those numbered in
        ``skip``, its stories and query; its user data merged into the corpus's."""
        ...

    def clear(self) -> None:
        """Close every tab (a new session on the same corpus)."""
        ...


class SessionController(QObject):
    """Keeps what :class:`SessionView` shows in session files and the autosave.

    The window calls :meth:`changed` when the session's content changes and :meth:`mark_dirty`
    when only the reading state does (scroll position, current tab).

    Args:
        view: The window's state, to save and to set.
        window: The window that dialogs and the restore bar open over.
        autosave_dir: Autosave folder (default: the user data folder's).
    """

    modifiedChanged = Signal(bool)
    titleChanged = Signal()  # the session's file (and so its name) changed
    message = Signal(str, int)  # a passing status-bar message and its duration in ms
    error = Signal(str)

    def __init__(self, view: SessionView, window: QMainWindow, autosave_dir: Path | str | None = None) -> None:
        super().__init__(window)
        self._view = view
        self._window = window
        self.path: Path | None = None
        self._baseline = content_key(Session(corpus=""))
        self._modified = False
        self.restore_bar: RestoreBar | None = None
        self.autosaver = SessionAutosaver(self.snapshot, autosave_dir)
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_INTERVAL_S * 1000)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    # --- state ---------------------------------------------------------------------------

    def snapshot(self) -> Session:
        """The window's session as it is now: every tab showing two articles, notes, query."""
        return replace(self._view.snapshot(), path=self.path, modified=self._modified)

    def is_modified(self) -> bool:
        """True when the session differs from its file (or, never saved, holds anything)."""
        return self._modified

    def changed(self) -> None:
        """Something the session holds changed: autosave it and update the window's ``*``."""
        self.autosaver.mark_dirty()
        self._set_modified(content_key(self.snapshot()) != self._baseline)

    def mark_dirty(self) -> None:
        """Only the reading state changed (scroll position, current tab): autosave it, not "modified"."""
        self.autosaver.mark_dirty()

    def _set_modified(self, modified: bool) -> None:
        self._modified = modified
        self.modifiedChanged.emit(modified)

    def _mark_saved(self, session: Session) -> None:
        self._baseline = content_key(session)
        self._set_modified(False)
        self.titleChanged.emit()

    def display_name(self) -> str:
        """The session file's name, or "" for a session never saved."""
        return self.path.name if self.path else ""

    # --- dialogs (tests replace them) ----------------------------------------------------

    def _ask_open_path(self) -> str:
        start = str(self.path.parent) if self.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self._window, "Open Session", start,
                                              f"{SESSION_FILTER};;All files (*)")
        return path

    def _ask_save_path(self) -> str:
        start = str(self.path) if self.path else str(Path.home() / f"Untitled{SUFFIX}")
        path, _ = QFileDialog.getSaveFileName(self._window, "Save Session As", start, SESSION_FILTER)
        return path

    def _ask_corpus_folder(self, old: str) -> str:
        QMessageBox.information(self._window, "Corpus folder moved",
                                f"The session's corpus folder {old} no longer exists.\n"
                                "Choose the folder where it is now.")
        return QFileDialog.getExistingDirectory(self._window, "Where is the corpus now?", str(Path.home()))

    def _ask_restore(self, path: Path) -> bool | None:
        """Offer to restore a crashed run's session in a bar; None: the answer comes from the bar."""
        try:
            when = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        except OSError:
            when = "an earlier run"
        self.hide_restore_bar()
        bar = RestoreBar(f"Parallax did not close normally. Restore the unsaved session from {when}?",
                         self._window)
        bar.restore_action.triggered.connect(lambda: self.restore_crashed(path))
        bar.discard_action.triggered.connect(self.discard_crashed)
        self._window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self._window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        bar.show()
        self.restore_bar = bar
        return None

    def hide_restore_bar(self) -> None:
        """Remove the restore offer, if shown."""
        bar, self.restore_bar = self.restore_bar, None
        if bar is not None:
            self._window.removeToolBar(bar)
            bar.deleteLater()

    def _ask_save_changes(self) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"`` before replacing a modified session."""
        name = self.display_name() or "the current session"
        answer = QMessageBox.question(
            self._window, "Unsaved changes", f"Save changes to {name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(answer, "cancel")

    def _inform(self, title: str, lines: list[str]) -> None:
        inform(self._window, title, lines)

    def _error(self, title: str, message: str) -> None:
        self.error.emit(message)
        self._inform(title, [message])

    # --- commands ------------------------------------------------------------------------

    def _may_replace(self) -> bool:
        if not self._modified or not self.snapshot().tabs:
            return True
        answer = self._ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_session(self) -> bool:
        """Close every tab and start an unsaved session on the same corpus."""
        if not self._may_replace():
            return False
        self._view.clear()
        self.path = None
        self._mark_saved(Session(corpus=""))
        self.changed()
        return True

    def save(self) -> bool:
        """Save to the session's file, asking for one the first time."""
        if self.path is None:
            return self.save_as()
        return self._save_to(self.path)

    def save_as(self) -> bool:
        """Ask for a file and save the session there."""
        chosen = self._ask_save_path()
        if not chosen:
            return False
        path = Path(chosen)
        if path.suffix.lower() != SUFFIX:
            path = path.with_name(path.name + SUFFIX)
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        session = self.snapshot()
        try:
            save_session(session, path)
        except OSError as exc:
            self._error("Session not saved", f"Could not save {path.name}: {exc.strerror or exc}")
            return False
        self.path = path
        with contextlib.suppress(OSError):
            add_recent_session(path)
        self._mark_saved(session)
        self.autosaver.mark_dirty()  # the autosave now belongs to this file
        self.message.emit(f"Session saved to {path}", 5000)
        return True

    def open_session(self, path: Path | str | None = None) -> bool:
        """Open a session file (asking for one when ``path`` is None) in place of the current one."""
        if path is None:
            chosen = self._ask_open_path()
            if not chosen:
                return False
            path = chosen
        path = Path(path)
        try:
            loaded = load_session(path)
        except SessionError as exc:
            if not path.exists():
                with contextlib.suppress(OSError):
                    remove_recent_session(path)
            self._error("Cannot open session", str(exc))
            return False
        if not self._may_replace() or not self.apply(loaded):
            return False
        with contextlib.suppress(OSError):
            add_recent_session(path)
        return True

    def apply(self, loaded: LoadedSession) -> bool:
        """Show a loaded session: its corpus, every tab that can open, its notes and query.

        A moved corpus is asked for; tabs whose articles are gone are left out and the
        problems are listed to the user.

        Returns:
            False when the corpus moved and no new folder was given (nothing changed).
        """
        if loaded.corpus_missing:
            folder = self._ask_corpus_folder(loaded.session.corpus)
            if not folder:
                self.error.emit("Session not opened: its corpus folder is missing")
                return False
            loaded = loaded.repoint_corpus(folder)
        if loaded.outside_articles and follow_links_outside(loaded.session.corpus):
            # The user reads this corpus's links that point outside it: so may its sessions.
            loaded = replace(check_session(loaded.session, follow_links_outside=True),
                             migrated_from=loaded.migrated_from, autosave_of=loaded.autosave_of)
        session = loaded.session
        self._view.apply(session, loaded.unavailable_tabs())
        self.path = session.path
        file_state = session if not session.modified else self._saved_state(session.path)
        self._mark_saved(file_state or Session(corpus=""))
        self.changed()
        self.titleChanged.emit()
        messages = loaded.messages()
        if messages:
            self._inform("Session opened with problems", messages)
            self.error.emit(messages[0] if len(messages) == 1 else f"{len(messages)} problems: {messages[0]}")
        return True

    @staticmethod
    def _saved_state(path: Path | None) -> Session | None:
        if path is None:
            return None
        try:
            return load_session(path, check=False).session
        except SessionError:
            return None

    def open_recent_paths(self) -> list[Path]:
        """The recent session files, newest first."""
        return recent_sessions()

    # --- autosave ------------------------------------------------------------------------

    def autosave(self) -> bool:
        """The timer's slot: write the autosave if anything changed; errors go to the status bar."""
        saved = self.autosaver.maybe_save()
        if self.autosaver.last_error is not None:
            self.error.emit(f"Autosave failed: {self.autosaver.last_error}")
        return saved

    def startup(self, *, restore_last: bool = True) -> bool:
        """At launch: offer to restore a crashed run's session, else reopen the last one.

        Returns:
            True when a session was opened.
        """
        found = self.autosaver.recoverable()
        if found is not None:
            answer = self._ask_restore(found)
            if answer is None:
                return False  # the bar waits for the user; the crashed state is newer than the last
            if answer:
                return self.restore_crashed(found)
            self.discard_crashed()
        last = self.autosaver.last_session() if restore_last else None
        if last is None:
            return False
        try:
            loaded = load_session(last)
        except SessionError as exc:
            self._keep_damaged(last, str(exc))
            return False
        original = self._saved_state(loaded.autosave_of)
        loaded.session.path = loaded.autosave_of if original is not None else None
        loaded.session.modified = original is None or content_key(original) != content_key(loaded.session)
        if not loaded.session.tabs and loaded.session.path is None:
            return False
        return self.apply(loaded)

    def _keep_damaged(self, path: Path, message: str) -> None:
        """Move a damaged state file of Parallax's aside, so that no later save replaces it."""
        kept = path.with_name(f"{path.stem}-damaged-{datetime.now():%Y%m%d-%H%M%S}{path.suffix}")
        try:
            fsguard.set_aside(path, kept)
        except OSError:
            kept = path
        self.error.emit(f"{message} Kept as {kept}.")

    def restore_crashed(self, path: Path) -> bool:
        """Open a crashed run's autosave in place of the current session."""
        self.hide_restore_bar()
        if not self._may_replace():
            return False
        try:
            loaded = self.autosaver.recover(path)
        except (SessionError, OSError) as exc:
            self._error("Cannot restore session", str(exc))
            return False
        return self.apply(loaded)

    def discard_crashed(self) -> None:
        """Delete what crashed runs left (the user declined to restore it)."""
        self.hide_restore_bar()
        self.autosaver.discard()

    def shutdown(self) -> None:
        """On quit: keep the final state for the next launch (the autosave stays if that fails)."""
        self.timer.stop()
        with contextlib.suppress(OSError):
            self.autosaver.clean_exit()
