"""Entry point of the frozen ``parallax`` program (PyInstaller runs this file as ``__main__``)."""

from __future__ import annotations

import multiprocessing


def run() -> int:
    """Run the ``parallax`` command line and return its exit status."""
    from app.cli import main

    return main()


if __name__ == "__main__":
    # The bulk indexer starts "spawn" workers: in a frozen build each one re-runs this program,
    # and freeze_support() turns that run into the worker instead of a second command line.
    multiprocessing.freeze_support()
    raise SystemExit(run())
