"""``parallax session show`` and ``session export``, and the report writers ``compare`` shares."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.cli.common import UserError, add_follow_links_option, echo, follow_links, print_json
from app.core.reading.model import Alignment

if TYPE_CHECKING:
    from app.core.reuse.reusemap import SharedFigure
    from app.core.sessions.session import LoadedSession

# Function-local imports: start-up time. Building the parser imports every command module,
# so each command imports the core (sessions, reports, alignment) when it runs.


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``session`` with its ``show`` and ``export`` subcommands."""
    p = sub.add_parser("session", help="inspect or export a saved session (.parallax file)")
    actions = p.add_subparsers(dest="session_command", metavar="ACTION")

    show = actions.add_parser("show", help="print a session's tabs and notes")
    show.add_argument("file", metavar="FILE", help="a .parallax session file")
    show.add_argument("--json", action="store_true", help="print the session as JSON")
    add_follow_links_option(show)
    show.set_defaults(func=run_show)

    export = actions.add_parser("export", help="write the whole session as one report")
    export.add_argument("file", metavar="FILE", help="a .parallax session file")
    export.add_argument("--html", metavar="OUT", help="write a self-contained HTML report")
    export.add_argument("--pdf", metavar="OUT", help="write a PDF report")
    export.add_argument("--corpus", metavar="DIR", help="the corpus folder, if it moved since the session was saved")
    add_follow_links_option(export)
    export.set_defaults(func=run_export)

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return 2

    p.set_defaults(func=usage)


def _load(file: str, corpus: str | None = None, *, follow: bool = False) -> LoadedSession:
    from app.core.sessions.session import SessionError, load_session

    try:
        loaded = load_session(file, follow_links_outside=follow)
    except SessionError as exc:
        raise UserError(str(exc)) from exc
    if corpus:
        if not Path(corpus).is_dir():
            raise UserError(f"corpus folder not found: {corpus}")
        loaded = loaded.repoint_corpus(corpus, follow_links_outside=follow)
    return loaded


def run_show(args: argparse.Namespace) -> int:
    """Print the tabs and notes of a session; problems go to stderr (or the JSON)."""
    loaded = _load(args.file, follow=follow_links(args))
    s = loaded.session
    if args.json:
        print_json({
            "file": str(Path(args.file).resolve()),
            "format_version": s.format_version,
            "corpus": s.corpus,
            "active_tab": s.active_tab,
            "query": s.query,
            "tabs": [t.to_dict() for t in s.tabs],
            "problems": loaded.to_dict(),
        })
        return 0
    echo(f"Session {args.file}")
    echo(f"Corpus  {s.corpus}")
    if s.query:
        echo(f"Query   {s.query}")
    echo(f"{len(s.tabs)} tab{'s' if len(s.tabs) != 1 else ''}")
    for i, tab in enumerate(s.tabs):
        active = "*" if i == s.active_tab else " "
        echo(f"\n{active}{i + 1}. {tab.title or tab.left.id}")
        echo(f"   {tab.left.path or tab.left.id}  <->  {tab.right.path or tab.right.id}")
        state = [f"scroll {tab.scroll}", f"row {tab.current_row + 1 if tab.current_row is not None else '-'}"]
        if tab.hide_boilerplate:
            state.append("boilerplate hidden")
        if tab.query:
            state.append(f"query {tab.query!r}")
        echo("   " + " · ".join(state))
        if tab.comparison_note:
            echo(f"   note: {tab.comparison_note}")
        for note in tab.notes:
            left, right = (",".join(f"¶{i + 1}" for i in side) or "-" for side in (note.left, note.right))
            echo(f"   {left} | {right}: {note.text}")
    for message in loaded.messages():
        echo(f"warning: {message}", file=sys.stderr)
    return 0


def write_reports(html_for: Callable[[bool], str], html: str | None, pdf: str | None, title: str,
                  inputs: Sequence[Path | str] = (), *, landscape: bool = True) -> list[Path]:
    """Write the HTML and/or PDF report (A4, landscape unless told); ``html_for(for_qt)`` renders it.

    Both targets are checked before anything is written: never an input (``inputs``), a
    corpus file, or an existing file that is not a Parallax report.

    Raises:
        UserError: PDF asked for but Qt is not available, or a target is refused.
    """
    from app.core.storage import fsguard
    from app.core.storage.atomic import atomic_write_text

    targets = [t for t in (html, pdf) if t]
    if html and pdf and Path(html).resolve() == Path(pdf).resolve():
        raise UserError(f"--html and --pdf name the same file: {html}")
    try:
        for target in targets:
            fsguard.check_export(target, inputs=inputs)
    except fsguard.WriteRefused as exc:
        raise UserError(exc.strerror) from None
    written = []
    if html:
        atomic_write_text(html, html_for(False))
        written.append(Path(html))
    if pdf:
        written.append(_write_pdf(html_for(True), pdf, title, landscape))
    return written


def _write_pdf(text: str, out: str, title: str, landscape: bool = True) -> Path:

    try:
        # Imported here: Qt loads only when a PDF is asked for. It is the one UI module the
        # command line may import (the import-linter contract): Qt's rich-text engine lays out PDFs.
        from app.ui.pdfexport import write_pdf
    except ImportError as exc:
        raise UserError(f"PDF export needs Qt (PySide6), which cannot be loaded: {exc}") from exc
    return write_pdf(text, out, title=title, landscape=landscape)


def export_alignment(alignment: Alignment, html: str | None, pdf: str | None,
                     shared: SharedFigure | None = None) -> list[Path]:
    """``parallax compare LEFT RIGHT --html FILE --pdf FILE``: one comparison's report."""
    from app.core.sessions.report import alignment_report_html

    def render(for_qt: bool) -> str:
        return alignment_report_html(alignment, for_qt=for_qt, shared=shared)

    title = f"{alignment.left.id} ↔ {alignment.right.id}"
    inputs = [a.path for a in (alignment.left, alignment.right) if a.path]
    written = write_reports(render, html, pdf, title, inputs)
    for path in written:
        echo(f"wrote {path}", file=sys.stderr)
    return written


def run_export(args: argparse.Namespace) -> int:
    """Write one report with a section per tab of the session."""
    from app.core.sessions.report import session_report_html
    from app.core.sessions.sessionalign import session_sections

    if not (args.html or args.pdf):
        raise UserError("session export: give --html OUT and/or --pdf OUT")
    loaded = _load(args.file, args.corpus, follow=follow_links(args))
    if loaded.corpus_missing and any(ref.path is None for _, _, ref in loaded.session.article_refs()):
        raise UserError(f"the session's corpus folder {loaded.session.corpus} no longer exists; "
                        "pass --corpus DIR with its new place")
    sections, messages = session_sections(loaded, follow_links_outside=follow_links(args))
    for message in messages:
        echo(f"warning: {message}", file=sys.stderr)
    title = f"Session {Path(args.file).stem}"
    subtitle = f"Corpus: {loaded.session.corpus} · {len(sections)} of {len(loaded.session.tabs)} tabs"

    def render(for_qt: bool) -> str:
        return session_report_html(sections, title, subtitle=subtitle, for_qt=for_qt)

    for path in write_reports(render, args.html, args.pdf, title, [args.file]):
        echo(f"wrote {path}", file=sys.stderr)
    return 0
