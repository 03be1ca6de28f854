"""Which Whoosh Parallax runs on, and whether its fast paths may rely on Whoosh's internals.

The numpy segment writer (:mod:`app.core.engine.segwriter`), the parallel bulk load
(:mod:`app.core.engine.bulkindex`) and the vectorised search (:mod:`app.core.engine.searchpage`,
:mod:`app.core.engine.postings`) write and read Whoosh's files and use its private classes. They
are tested against one Whoosh release, the one ``pyproject.toml`` pins. With any other
release, or with ``PARALLAX_STOCK_WHOOSH=1``, Parallax uses Whoosh's own writer and
collector instead: slower, and correct whatever changed inside Whoosh.
"""

from __future__ import annotations

import os

import whoosh

# The Whoosh release the fast paths are written and tested against (pyproject.toml pins it).
PINNED_WHOOSH = "2.7.5"
STOCK_ENV = "PARALLAX_STOCK_WHOOSH"
# Checked once, at start-up: the installed release cannot change under a running process.
WHOOSH_VERSION = whoosh.versionstring()


def engine_mode() -> tuple[str, str]:
    """``("fast", message)`` or ``("stock", message)``: the mode and a sentence for the user.

    The message is one line for a status bar or the command line's stderr. The environment
    is read at each call, so a test can switch modes.
    """
    if os.environ.get(STOCK_ENV) == "1":
        return "stock", (f"Whoosh {WHOOSH_VERSION}: Whoosh's own index writer and search collector "
                         f"({STOCK_ENV}=1): slower indexing and searching")
    if WHOOSH_VERSION != PINNED_WHOOSH:
        return "stock", (f"Whoosh {WHOOSH_VERSION} is installed, not {PINNED_WHOOSH}: Whoosh's own "
                         "index writer and search collector are used (slower indexing and searching)")
    return "fast", f"Whoosh {WHOOSH_VERSION}: Parallax's fast index writer and search"


def fast() -> bool:
    """Whether the fast writer and search may be used (see :func:`engine_mode`)."""
    return engine_mode()[0] == "fast"
