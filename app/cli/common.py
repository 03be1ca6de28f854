"""Options and output helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.core.corpus import Corpus


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    """``--corpus DIR`` and ``--index DIR``."""
    parser.add_argument("--corpus", metavar="DIR", help="corpus folder (default: the bundled seeds/)")
    parser.add_argument("--index", metavar="DIR", help="index folder (default: per-user data folder)")


def open_corpus(args: argparse.Namespace, folder: str | None = None) -> Corpus:
    """The corpus named by ``folder`` or ``--corpus``; fails clearly when it is not a folder."""
    from app.cli import UserError

    root = folder or getattr(args, "corpus", None)
    if root and not Path(root).is_dir():
        raise UserError(f"corpus folder not found: {root}")
    return Corpus(root, getattr(args, "index", None))


def ensure_indexed(corpus: Corpus, quiet: bool = False) -> None:
    """Update the index before a query, telling the user (on stderr) when it had to be rebuilt."""
    report = corpus.update_index()
    if not quiet:
        for message in corpus.index.messages:
            print(message, file=sys.stderr)
    if report.rebuilt_reason and not quiet and not corpus.index.messages:
        print(f"Rebuilt the index: {report.rebuilt_reason}.", file=sys.stderr)


def print_json(data: Any) -> None:
    """Print ``data`` as JSON (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
