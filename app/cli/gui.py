"""``parallax gui``: open the desktop window (Qt is imported only when this command runs)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import UserError, add_follow_links_option, echo

if TYPE_CHECKING:
    from app.ui.mainwindow import MainWindow

# Function-local imports: start-up time. Qt and the window load only when `parallax gui` runs,
# never for the parser or another command.


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``gui``."""
    p = sub.add_parser("gui", help="open the desktop window (the default command)")
    p.add_argument("corpus", nargs="?", metavar="CORPUS",
                   help="corpus folder or .parallax session file (default: the last session, "
                        "else the last folder opened, else the bundled seeds/)")
    p.add_argument("--session", metavar="FILE.parallax", help="open a saved session")
    p.add_argument("--index", metavar="DIR", help="index folder (default: per-user data folder)")
    p.add_argument("--compare", nargs=2, metavar=("LEFT", "RIGHT"),
                   help="open straight into a comparison (ids, id prefixes or file paths)")
    p.add_argument("--search", metavar="QUERY", help="start with this query in the search field")
    p.add_argument("--story", metavar="ID", help="open the story of this article (all its copies) in a story tab")

    add_follow_links_option(p)  # for the window: remembered for that folder, as its File menu option
    p.add_argument("--screenshot", metavar="FILE.png",
                   help="render the window once loaded, save it as FILE.png and exit")
    p.add_argument("--size", metavar="WxH", type=_size,
                   help="window size in pixels, e.g. 1000x700 (default: the last size)")
    p.add_argument("--theme", choices=("light", "dark", "system"),
                   help="colour theme for this run (default: the one chosen under View > Theme)")
    p.add_argument("--timeout", type=float, default=60.0, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    """``1000x700`` -> (1000, 700); argparse reports anything else as a one-line error."""
    w, sep, h = text.lower().replace("×", "x").partition("x")
    if not sep or not w.strip().isdigit() or not h.strip().isdigit() or int(w) < 200 or int(h) < 150:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels, e.g. 1000x700, not {text!r}")
    return int(w), int(h)


def _corpus_folder(args: argparse.Namespace) -> Path:
    from app.core.storage.paths import default_corpus
    from app.ui import settings

    if args.corpus:
        return Path(args.corpus)
    # A screenshot must not depend on whatever folder was open last.
    if args.screenshot:
        return default_corpus()
    return settings.last_corpus() or default_corpus()


def _has_display() -> bool:
    """Whether Qt can open windows here (an explicit QT_QPA_PLATFORM is trusted)."""
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: argparse.Namespace) -> int:
    """Show the window; in screenshot mode, save it once indexing and the comparison finish."""

    session = getattr(args, "session", None)
    if args.corpus and Path(args.corpus).suffix.lower() == ".parallax":
        session, args.corpus = args.corpus, None
    if session and not Path(session).is_file():
        raise UserError(f"session file not found: {session}")
    if args.corpus and not Path(args.corpus).is_dir():
        raise UserError(f"corpus folder not found: {args.corpus}")
    if not _has_display():
        if not args.screenshot:
            raise UserError("no display found: set DISPLAY (or WAYLAND_DISPLAY), or use --screenshot "
                            "FILE.png to render the window without one")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen
    from app.cli import displaylibs

    if displaylibs.uses_xcb():
        missing = displaylibs.missing_libraries()
        if missing:  # Qt would abort with a message that names neither the libraries nor the fix
            raise UserError(f"the window needs system libraries that are missing ({', '.join(missing)}); "
                            f"install them with: {displaylibs.install_command(missing)}")
    from app.ui.app import create_application
    from app.ui.mainwindow import MainWindow

    qapp = create_application(sys.argv[:1])
    theme = getattr(args, "theme", None)
    window = MainWindow(index_dir=args.index, restore=not args.screenshot, theme=theme)
    size = getattr(args, "size", None)
    if size:
        window.resize(*size)
    opened = False
    if session:
        opened = window.sessions.open_session(session)
    elif not args.screenshot:
        # A crashed run's work is offered every time; the last session reopens only when no
        # folder or comparison was asked for.
        opened = window.sessions.startup(restore_last=not (args.corpus or args.compare))
    if not opened:
        folder = _corpus_folder(args)
        if getattr(args, "follow_links_outside", False):
            from app.ui import settings

            settings.set_follow_links_outside(folder, True)  # as ticking the File menu's box
        window.open_corpus(folder)
    if args.compare and opened:
        window.tabs.new_tab()
    args.session_opened = bool(session and opened)
    if args.compare:
        window.compare(*args.compare)
    if args.search:
        window.panel.search_edit.setText(args.search)
        window.panel.search_now()
    if getattr(args, "story", None):
        window.open_story(args.story)
    if args.screenshot:
        return _screenshot(window, Path(args.screenshot), args, args.timeout)
    window.show()
    return qapp.exec()


def _screenshot(window: MainWindow, target: Path, args: argparse.Namespace, timeout: float) -> int:
    from PySide6.QtCore import QEventLoop, QTimer

    pending = {"index"} | ({"compare"} if args.compare else set()) | ({"search"} if args.search else set())
    if getattr(args, "session_opened", False):
        pending.add("session")
    if getattr(args, "story", None):
        pending.add("story")
    if args.compare or "session" in pending:
        # Boilerplate comes from the reuse map: a comparison shown before it would be grabbed
        # with furniture drawn as content (it is aligned again when the map arrives).
        pending.add("map")
    errors: list[str] = []
    # A local loop rather than QApplication.exec(): quitting it leaves the application usable
    # (the tests call this in-process).
    loop = QEventLoop()
    deadline = QTimer(window)
    deadline.setSingleShot(True)
    # Restarted by every late event (a search re-run after indexing), so the grab happens once.
    settle_timer = QTimer(window)
    settle_timer.setSingleShot(True)
    settle_timer.setInterval(300)

    def settle(what: str) -> None:
        pending.discard(what)
        if not pending:
            alignment = window.compare_view.alignment()
            if args.search and alignment is not None:
                window.panel.select_ids([alignment.left.id, alignment.right.id])
            # Let layouts, the row geometry and the status bar catch up before the grab.
            settle_timer.start()

    def grab() -> None:
        from PySide6.QtCore import QBuffer, QIODevice

        from app.core.storage.atomic import atomic_write_bytes

        # Encoded in memory, signed (a PNG "Software" text chunk) and written through the guard.
        image = window.grab().toImage()
        image.setText("Software", "Parallax")
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        fmt = (target.suffix[1:] or "png").upper()
        try:
            if not image.save(buffer, fmt):  # type: ignore[call-overload]  # PySide6 takes a str format; its stub says bytes
                raise OSError(f"cannot encode a {fmt} image")
            atomic_write_bytes(target, bytes(buffer.data().data()))
        except OSError as exc:
            errors.append(f"could not write {target}: {exc.strerror or exc}")
        finish()

    def fail(message: str) -> None:
        errors.append(message)
        finish()

    def finish() -> None:
        deadline.stop()
        settle_timer.stop()
        loop.quit()

    settle_timer.timeout.connect(grab)

    window.indexFinished.connect(lambda _r: settle("index"))
    window.reuse_docks.mapReady.connect(lambda _m: settle("map"))
    window.indexFailed.connect(lambda m: fail(f"indexing failed: {m}"))
    window.comparisonReady.connect(lambda _a: settle("compare"))
    def session_compared(_alignment: object) -> None:
        if all(e.view is not None and e.view.alignment() is not None for e in window.tabs.entries()):
            settle("session")

    def story_failed(message: str) -> None:
        if "not ready" not in message:
            fail(f"story failed: {message}")

    window.comparisonReady.connect(session_compared)
    window.comparisonFailed.connect(lambda m: fail(f"comparison failed: {m}"))
    for view in window.story_views():
        view.storyShown.connect(lambda _s: settle("story"))
        view.failed.connect(story_failed)
    window.panel.searchFinished.connect(lambda _r: settle("search"))
    window.panel.searchFailed.connect(lambda _m: settle("search"))
    deadline.timeout.connect(lambda: fail(f"timed out after {timeout:.0f} s"))
    deadline.start(int(timeout * 1000))
    window.show()
    loop.exec()
    window.close()
    if errors:
        raise UserError(errors[0])
    echo(target)
    return 0
