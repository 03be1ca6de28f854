"""Qt widgets that present the core: the main window, the corpus panel and the comparison view."""

import sys

if sys.version_info < (3, 12):  # pragma: no cover - depends on the interpreter and binding
    # PySide6 6.12 returns None from every void method without a reference (fine where None is
    # immortal, Python >= 3.12); on 3.11 each call drops None's count until the interpreter
    # aborts with "none_dealloc" after a few thousand calls. Detect it and make None immortal.
    import ctypes

    from PySide6.QtCore import QPoint

    _before = sys.getrefcount(None)
    for _ in range(8):
        QPoint().setX(1)
    if sys.getrefcount(None) < _before:
        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40
