"""``parallax compare`` (stub until the alignment engine lands)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``compare``."""
    p = sub.add_parser("compare", help="align two articles paragraph by paragraph")
    p.add_argument("left")
    p.add_argument("right")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Not implemented yet."""
    from app.cli import UserError

    raise UserError("compare is not available in this build yet")
