"""The ``parallax`` command line: every data-producing feature of the GUI, scriptable with --json."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.cli.common import UserError, echo, terminal_safe

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

# Function-local imports: start-up time. `parallax index` loads only its own command module
# and the core it needs (COMMAND_HOMES); the error types of the core are imported when main runs.

# Set before numpy is imported (start-up): its OpenBLAS starts a thread per core that spins
# for a while, 25-50 ms of CPU a run (a tenth of indexing 300 short articles), and Parallax
# does no linear algebra. A value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Each module registers its subcommands with add_parser(subparsers); one module per feature
# so that features can be developed side by side.
COMMAND_MODULES = (
    "app.cli.corpus_cmds",
    "app.cli.compare",
    "app.cli.reuse",
    "app.cli.versions",
    "app.cli.story",
    "app.cli.session",
    "app.cli.overrides",
    "app.cli.links",
    "app.cli.gui",
)

# The module of the commands a script runs most often. ``parallax index ...`` builds a parser
# of that module's commands alone: importing every command module (alignment, reuse, stories
# and their dependencies) would cost a small corpus's indexing run more than the indexing.
# Any other first argument (help, the window, other commands) builds the whole parser.
COMMAND_HOMES = {name: "app.cli.corpus_cmds" for name in ("index", "search", "articles", "show")}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage and error messages cannot drive the terminal (they
    repeat what the user typed, which may hold pasted control characters)."""

    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        super()._print_message(terminal_safe(message) if message else message, file)


class _VersionAction(argparse.Action):
    """``--version``, with the version looked up only when asked for (see ``app.__getattr__``)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show program's version number and exit", **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: str | Sequence[Any] | None, option_string: str | None = None) -> None:
        from app import __version__

        parser._print_message(f"parallax {__version__}\n", sys.stdout)
        parser.exit()


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The argument parser with the subcommands of ``modules`` (default: every one)."""
    parser = _Parser(
        prog="parallax",
        description="Search a folder of articles and compare republished texts side by side.",
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).add_parser(sub)
    return parser


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # argparse offers no public accessor for subcommands
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``parallax`` and ``python -m app``; returns the exit status."""
    from app.core.engine.index import IndexError_
    from app.core.engine.release import engine_mode
    from app.core.reading.reader import ReadError
    from app.core.search.fulltext import QueryError

    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show a character gets an escape, not a UnicodeEncodeError.
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError):
                stream.reconfigure(errors="backslashreplace")
    argv = list(sys.argv[1:] if argv is None else argv)
    home = COMMAND_HOMES.get(argv[0]) if argv else None
    parser = build_parser((home,) if home else COMMAND_MODULES)
    commands = _command_names(parser)
    # "parallax FOLDER" and "parallax file.parallax" open the window, like "parallax gui ...".
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        argv = ["gui", *argv]
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    mode, message = engine_mode()
    if mode == "stock":  # once a run: another Whoosh release, or PARALLAX_STOCK_WHOOSH=1
        echo(f"parallax: {message}", file=sys.stderr)
    try:
        return int(args.func(args) or 0)
    except (UserError, ReadError, QueryError, IndexError_) as exc:
        echo(f"parallax: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        echo("parallax: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:
        echo(f"parallax: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except Exception as exc:
        # The user sees one line; what went wrong (type, message, traceback) goes to the log.
        from app.core.storage.crashlog import record

        echo(f"parallax: internal error (a bug in Parallax); details in {record(exc)}", file=sys.stderr)
        return 1
