"""Parallax: an offline source-comparison viewer for republished articles."""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("parallax")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+src"
