"""Options and output helpers shared by the subcommands.

Everything a subcommand writes for a person goes through :func:`echo` (or :func:`terminal_safe`):
file names and article text are untrusted, and a raw ESC, BEL or bidi override in them would
drive the user's terminal. ``--json`` output goes through :func:`print_json` instead, where the
same characters are JSON escapes and the data is unchanged.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.core.workspace.corpus import Corpus

# Function-local imports: start-up time. Every command imports this module while its parser
# is built; the corpus facade (Whoosh, numpy) loads only when a command opens a corpus.

# C0 controls except tab and newline, DEL, C1 controls, the bidi embeddings, overrides and
# isolates, the line/paragraph separators, and lone surrogates (undecodable file-name bytes).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
# The same for JSON: the control characters below 0x20 json.dumps escapes itself.
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


class UserError(Exception):
    """An error whose message is shown to the user as is (no traceback)."""


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a file-name byte that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with the characters that could control a terminal written as visible escapes.

    ESC becomes ``\\x1b``, BEL ``\\x07``, a right-to-left override ``\\u202e``; newlines and
    tabs are kept.
    """
    return _UNSAFE.sub(_visible, text)


def echo(*parts: object, file: IO[str] | None = None, end: str = "\n") -> None:
    """``print`` for human-readable output: every part goes through :func:`terminal_safe`."""
    text = " ".join(str(p) for p in parts)
    print(terminal_safe(text), file=file if file is not None else sys.stdout, end=end)


def json_text(data: Any, indent: int | None = 2) -> str:
    """``data`` as JSON text (not ASCII-escaped) in which no character can control a terminal.

    DEL, C1 and bidi controls and lone surrogates (file names that are not UTF-8) become
    ``\\uXXXX`` escapes: the text is valid UTF-8 and ``json.loads`` gives back the same data.
    """
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def add_follow_links_option(parser: argparse.ArgumentParser) -> None:
    """``--follow-links-outside``: read links in the corpus that point out of it."""
    parser.add_argument("--follow-links-outside", action="store_true",
                        help="read links in the corpus folder that point outside it (skipped by default)")


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    """``--corpus DIR``, ``--index DIR`` and ``--follow-links-outside``."""
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder (default: the bundled seeds/)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default: per-user data folder)")
    add_follow_links_option(parser)


def follow_links(args: argparse.Namespace) -> bool:
    """Whether the command was asked to follow links out of the corpus."""
    return bool(getattr(args, "follow_links_outside", False))


def open_corpus(args: argparse.Namespace, folder: str | None = None) -> Corpus:
    """The corpus named by ``folder`` or ``--corpus``; fails clearly when it is not a folder."""
    from app.core.workspace.corpus import Corpus

    root = folder or getattr(args, "corpus", None)
    if root and not Path(root).is_dir():
        raise UserError(f"corpus folder not found: {root}")
    return Corpus(root, getattr(args, "index", None), follow_links_outside=follow_links(args))


def ensure_indexed(corpus: Corpus, quiet: bool = False) -> None:
    """Update the index before a query, telling the user (on stderr) when it had to be rebuilt."""
    report = corpus.update_index()
    if not quiet:
        for message in corpus.index.messages:
            echo(message, file=sys.stderr)
    if report.rebuilt_reason and not quiet and not corpus.index.messages:
        echo(f"Rebuilt the index: {report.rebuilt_reason}.", file=sys.stderr)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON (UTF-8, not ASCII-escaped; see :func:`json_text`)."""
    sys.stdout.write(json_text(data) + "\n")
