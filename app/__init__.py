"""Parallax: an offline source-comparison viewer for republished articles."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    if name != "__version__":
        raise AttributeError(f"module 'app' has no attribute {name!r}")
    # __version__ is looked up on first use: importlib.metadata and its scan of the installed
    # distributions cost a command-line run tens of milliseconds at start-up otherwise.
    from importlib import metadata

    try:
        version = metadata.version("parallax")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        version = "0.0.0+src"
    globals()["__version__"] = version
    return version
