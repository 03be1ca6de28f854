"""The corpus boundary: which files are corpus articles, and how file names become article ids.

A corpus article is a file inside the corpus folder *after every link is resolved*; a link that
leads out of it is skipped unless the user asked to follow such links. An article id is the
file's path relative to the folder with forward slashes. File names that are not valid UTF-8
(bytes such as ``b"caf\\xe9.txt"`` on Linux, which Python holds as lone surrogates) get an
escaped id, ``caf\\xe9.txt``, so that ids are valid text everywhere they go: the Whoosh index,
JSON, Qt and the terminal. :func:`id_to_path` maps such an id back to the file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PureWindowsPath

OUTSIDE_REASON = "link points outside the corpus"

_SEPARATORS = re.compile("[/" + re.escape(os.sep) + (re.escape(os.altsep) if os.altsep else "") + "]")
_ESCAPE = re.compile(rb"\\\\|\\x([0-9a-fA-F]{2})")


class BoundaryError(ValueError):
    """A reference that does not name a file inside the corpus; ``str(err)`` is a one-line reason."""


def name_to_id(name: str) -> str:
    """A file or folder name as it appears in an article id.

    Valid names are kept as they are. A name holding bytes that are not UTF-8 gets each such
    byte written ``\\xNN`` (and each backslash doubled, so the escape can be undone).
    """
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    try:
        raw = os.fsencode(name)
    except UnicodeEncodeError:  # a lone surrogate that no file system byte produced
        raw = name.encode("utf-8", "surrogatepass")
    return raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def id_to_name(part: str) -> str | None:
    """The file name :func:`name_to_id` escaped into ``part``, or None when ``part`` holds no escape."""
    if "\\" not in part:
        return None
    raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]) if m.group(1) else b"\\", part.encode("utf-8"))
    try:
        return os.fsdecode(raw)
    except UnicodeDecodeError:
        return None


def display(text: str) -> str:
    """``text`` with any undecodable file-name bytes escaped (a path or a name for a message)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "/".join(name_to_id(p) for p in text.split("/"))


def relative_id(path: Path | str, root: Path | str) -> str | None:
    """The id of ``path`` if it lies lexically below ``root`` (no link resolved), else None."""
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(root))
    except ValueError:
        return None
    parts = rel.parts
    if not parts:
        return None
    return "/".join(name_to_id(p) for p in parts)


def real(path: Path | str) -> str:
    """``os.path.realpath`` with the case folding of the platform (for comparisons only)."""
    return os.path.normcase(os.path.realpath(os.fspath(path)))


def is_inside(real_root: str, real_path: str) -> bool:
    """True when ``real_path`` is ``real_root`` or below it (both from :func:`real`)."""
    if real_path == real_root:
        return True
    prefix = real_root if real_root.endswith(os.sep) else real_root + os.sep
    return real_path.startswith(prefix)


def check_id(aid: object) -> str:
    """``aid`` if it has the shape of an article id: relative, no ``..``, no hidden part.

    Raises:
        BoundaryError: anything else (absolute paths, ``../..``, empty parts, NUL).
    """
    if not isinstance(aid, str) or not aid or "\x00" in aid:
        raise BoundaryError(f"not an article id: {aid!r}")
    windows = os.name == "nt" and (aid.startswith("\\") or bool(PureWindowsPath(aid).drive))
    if aid.startswith("/") or os.path.isabs(aid) or windows:
        raise BoundaryError(f"{display(aid)} is an absolute path, not an article of the corpus")
    for part in _SEPARATORS.split(aid):
        if not part or part.startswith("."):
            raise BoundaryError(f"{display(aid)} leads out of the corpus or to a hidden file")
    return aid


def id_to_path(root: Path | str, aid: str) -> Path:
    """The file of article ``aid`` below ``root`` (no check; see :func:`corpus_file`)."""
    path = Path(root)
    for part in aid.split("/"):
        candidate = path / part
        if "\\" in part and not os.path.lexists(candidate):
            name = id_to_name(part)
            if name is not None:
                candidate = path / name
        path = candidate
    return path


def corpus_file(root: Path | str, aid: str, *, follow_links_outside: bool = False) -> Path:
    """The file of article ``aid``, checked to be inside the corpus ``root`` after resolving links.

    Args:
        root: The corpus folder.
        aid: An article id (see :func:`check_id`).
        follow_links_outside: Accept a link inside the corpus that points out of it.

    Raises:
        BoundaryError: ``aid`` is not an id, or it resolves outside the corpus.
    """
    path = id_to_path(root, check_id(aid))
    if not follow_links_outside and not is_inside(real(root), real(path)):
        raise BoundaryError(f"{display(aid)}: {OUTSIDE_REASON}")
    return path


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def json_escape_surrogates(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with lone surrogates written as
    ``\\uXXXX`` escapes: valid UTF-8, and ``json.loads`` gives back the same strings.

    File names that are not UTF-8 reach JSON as lone surrogates (Python's surrogateescape).
    """
    return text if text.isascii() else _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
