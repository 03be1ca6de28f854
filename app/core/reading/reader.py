"""Corpus files to :class:`Article` objects: decoding, paragraph splitting, scrape repair, roles."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from itertools import accumulate
from pathlib import Path

from app.core.reading.dates import parse_date
from app.core.reading.decode import DecodeError, decode_bytes
from app.core.reading.htmlextract import extract_html, visible_pieces
from app.core.reading.model import Article, Paragraph, Skipped
from app.core.reading.roles import Block, PageMeta, classify
from app.core.reading.text import (
    cjk_count,
    display_and_norm,
    has_markdown,
    has_visible_text,
    normalize,
    word_count,
)
from app.core.storage.boundary import OUTSIDE_REASON, display, is_inside, name_to_id, real

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES
MAX_FILE_BYTES = 64 * 1024 * 1024
# A paragraph longer than this is cut into pieces so that one huge line cannot stall matching.
MAX_PARAGRAPH_CHARS = 20_000
# A run of more tiny paragraphs than this is merged (see _tiny_runs).
TINY_RUN = 200
TINY_CHARS = 24

_TERMINAL = tuple(".!?…:;\"'”’»)]*_")
# Possessive runs: "\W*(word)?\W*" backtracked quadratically over a line of punctuation.
_DATE_PREFIX = re.compile(r"^\W*+(?:(?:date|published|posted|updated)\W*+)?\d{4}-\d\d-\d\d\W*+", re.I)
_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s|(?<=[。！？])")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n(?:---|\.\.\.)\n", re.S)


class ReadError(Exception):
    """A corpus file that cannot be turned into an article; ``str(err)`` is the reason."""


@dataclass(slots=True)
class CorpusRead:
    """Everything read from a corpus folder."""

    root: str
    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def article_id(path: Path, root: Path) -> str:
    """The stable id of ``path``: its path relative to the corpus root, with forward slashes.

    Names that are not valid UTF-8 are escaped (see :func:`app.core.storage.boundary.name_to_id`).
    """
    try:
        rel = path.relative_to(root)
    except ValueError:
        return display(path.as_posix())
    text = rel.as_posix()
    return text if text.isascii() else "/".join(name_to_id(p) for p in rel.parts)


def iter_corpus_files(root: Path, skipped: list[Skipped] | None = None, *,
                      follow_links_outside: bool = False) -> Iterator[Path]:
    """Yield the supported files below ``root`` in a stable order, never following link loops
    (nor links out of the corpus unless ``follow_links_outside``)."""
    for _aid, entry in iter_corpus_entries(root, skipped, follow_links_outside=follow_links_outside):
        yield Path(entry.path)


def iter_corpus_entries(root: Path | str, skipped: list[Skipped] | None = None, *,
                        follow_links_outside: bool = False) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """``(id, directory entry)`` of every supported file below ``root``, as :func:`iter_corpus_files`.

    The id is :func:`article_id` of the file, built from the names: a scan of 100,000 files
    makes no path objects. A link (to a file or a folder) whose target lies outside ``root``
    is listed in ``skipped`` and left out unless ``follow_links_outside``.
    """
    seen_dirs: set[tuple[int, int]] = set()
    top = real(root)
    stack: list[tuple[str, str]] = [(os.fspath(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            st = os.stat(folder)
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                if skipped is not None:
                    skipped.append(Skipped(display(folder), "symbolic link loop"))
                continue
            seen_dirs.add(key)
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            if skipped is not None:
                skipped.append(Skipped(display(folder), f"cannot list folder: {exc.strerror or exc}"))
            continue
        subdirs = []
        names: set[str] | None = None
        for entry in entries:
            name = entry.name
            if name.startswith("."):
                continue
            shown = name if name.isascii() else name_to_id(name)
            if shown is not name and shown != name:
                names = names if names is not None else {e.name for e in entries}
                if shown in names:
                    if skipped is not None:
                        skipped.append(Skipped(prefix + shown, "its escaped name is also another file's name"))
                    continue
            try:
                is_dir = entry.is_dir()
                link = not follow_links_outside and entry.is_symlink()
            except OSError:
                is_dir = link = False
            if not is_dir:
                dot = name.rfind(".")
                # Path.suffix: from the last dot, unless the name ends with it.
                if not (0 < dot < len(name) - 1 and name[dot:].lower() in SUPPORTED_SUFFIXES):
                    continue
            if link and not is_inside(top, real(entry.path)):
                if skipped is not None:
                    skipped.append(Skipped(prefix + shown + ("/" if is_dir else ""), OUTSIDE_REASON))
                continue
            if is_dir:
                subdirs.append((entry.path, prefix + shown + "/"))
            else:
                yield prefix + shown, entry
        stack.extend(reversed(subdirs))


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _read_all(fd: int, size: int) -> bytes:
    """Everything up to the end of the file (which may have grown since ``fstat``)."""
    chunks = []
    while chunk := os.read(fd, size + 1):
        chunks.append(chunk)
    return b"".join(chunks)


def prefetch(paths: Iterable[str]) -> None:
    """Ask the kernel to start reading ``paths`` into its cache, for :func:`read_article` to
    find them there (POSIX; nothing elsewhere). Files that cannot be opened are left to it."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return
    for path in paths:
        try:
            fd = os.open(path, _READ_FLAGS)
        except OSError:
            continue
        try:
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass  # a pipe or a device: nothing to read ahead
        finally:
            os.close(fd)


def read_article(path: Path | str, root: Path | str | None = None) -> Article:
    """Read and parse one file.

    Raises:
        ReadError: the file is missing, unreadable, binary, empty or too large.
    """
    path = Path(path)
    root = Path(root) if root is not None else path.parent
    try:
        # One descriptor for the checks and the read (a third of the cost of stat() plus
        # read_bytes()). O_NONBLOCK: opening a named pipe must not wait for a writer.
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ReadError("not a regular file")
        if st.st_size == 0:
            raise ReadError("empty file")
        if st.st_size > MAX_FILE_BYTES:
            raise ReadError(f"too large ({st.st_size // (1024 * 1024)} MB; limit {MAX_FILE_BYTES // (1024 * 1024)} MB)")
        data = _read_all(fd, st.st_size)
    except OSError as exc:
        raise ReadError(f"cannot read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    return parse_bytes(data, path=path, root=root, size=st.st_size, mtime_ns=st.st_mtime_ns)


def parse_bytes(data: bytes, *, path: Path, root: Path, size: int = 0, mtime_ns: int = 0) -> Article:
    """Parse raw file bytes into an :class:`Article` (no file system access)."""
    try:
        text, encoding = decode_bytes(data)
    except DecodeError as exc:
        raise ReadError(str(exc)) from exc
    if not text.strip():
        raise ReadError("no text (only whitespace)")
    if not has_visible_text(text):
        raise ReadError("no text (only whitespace and invisible characters)")
    html = path.suffix.lower() in HTML_SUFFIXES
    if html:
        blocks, meta = _html_blocks(text)
    else:
        blocks, meta = _text_blocks(text)
    blocks = [b for b in _split_huge(blocks, text, html) if b.text]
    if not blocks:
        raise ReadError("no visible text")
    stem = name_to_id(path.stem)
    line_source = _source_line(blocks)
    classified = classify(blocks, meta, fallback_title=_fallback_title(blocks, stem), outlet=line_source)
    paragraphs = [
        Paragraph(index=i, text=b.text, norm=b.norm or normalize(b.raw or b.text), start=b.start,
                  end=b.end, role=role)
        for i, (b, role) in enumerate(zip(blocks, classified.roles, strict=True))
    ]
    source = classified.source or line_source or _outlet_folder(path, root)
    return Article(
        id=article_id(path, Path(root)),
        path=_real_file(path),
        title=classified.title,
        source=source,
        author=classified.author,
        date=classified.date,
        paragraphs=paragraphs,
        text=text,
        encoding=encoding,
        content_hash=hashlib.sha1(data).hexdigest(),
        size=size or len(data),
        mtime_ns=mtime_ns,
    )


# Paragraphs up to this long have their display text and norm remembered: a corpus repeats
# its sites' furniture in every article (1,500 short articles: 17,000 such paragraphs, 3,400
# distinct).
_MEMO_CHARS = 300


@lru_cache(maxsize=8192)
def _short_display_and_norm(chunk: str, markdown: bool) -> tuple[str, str]:
    return display_and_norm(chunk, markdown)


def _display_and_norm(chunk: str, markdown: bool) -> tuple[str, str]:
    """``display_and_norm``, remembered for short paragraphs."""
    if len(chunk) <= _MEMO_CHARS:
        return _short_display_and_norm(chunk, markdown)
    return display_and_norm(chunk, markdown)


@lru_cache(maxsize=1024)
def _real_dir(folder: str) -> str:
    """``os.path.realpath`` of a folder, remembered: a corpus has few folders and many files."""
    return os.path.realpath(folder)


def _absolute(path: str) -> str:
    # Not os.path.abspath: it would fold "link/.." before the link is resolved.
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


def _real_file(path: Path | str) -> str:
    """``str(Path(path).resolve())``, with one ``lstat`` for a file that is not a link."""
    text = os.fspath(path)
    if os.path.islink(text):
        return os.path.realpath(text)
    folder, name = os.path.split(_absolute(text))
    return os.path.join(_real_dir(folder), name)


def _folders_below(path: Path | str, root: Path | str) -> list[str]:
    """The folder names between ``root`` and ``path`` (both resolved), outermost first."""
    parent = _real_dir(os.path.dirname(_absolute(os.fspath(path))))
    top = _real_dir(_absolute(os.fspath(root)))
    if parent == top:
        return []
    prefix = top if top.endswith(os.sep) else top + os.sep
    if not parent.startswith(prefix):
        return []
    return parent[len(prefix):].split(os.sep)


# Folder names that say how files were collected or sorted, not who published them.
_GENERIC_FOLDER_NAMES = """
    derived scrape scraped scrapes scraping crawl crawled crawls articles article html htm txt text texts
    md markdown data raw out output outputs input inputs files docs documents pages page corpus corpora
    download downloads downloaded export exports exported archive archives backup backups tmp temp
    new old misc other others all clean cleaned processed parsed extracted sample samples test tests
    en ru zh ja de fr es uk cn jp news world politics business economy opinion culture sport sports
    tech technology science health local national international latest stories story posts post
    """
_GENERIC_FOLDERS = frozenset(_GENERIC_FOLDER_NAMES.split())
_GENERIC_FOLDER_FORM = re.compile(r"[\d\W_]*|\d{4}[-_./]?\d{1,2}(?:[-_./]?\d{1,2})?|(?:batch|part|page|run|set)[-_ ]?\d+",
                                  re.I)


def _outlet_folder(path: Path | str, root: Path | str) -> str:
    """The nearest folder above ``path`` (below ``root``) whose name can be an outlet's: not a
    generic one ("scraped", "html", "data"...), a date (2024-05-01, 2024/05) or a number."""
    for name in reversed(_folders_below(path, root)):
        if name.casefold() not in _GENERIC_FOLDERS and not _GENERIC_FOLDER_FORM.fullmatch(name):
            return name_to_id(name)
    return ""


# "© 2024 Outlet. All rights reserved." / "Copyright (c) Outlet" / "Source: Outlet": short lines
# only (the patterns are anchored and see at most _SOURCE_LINE_CHARS characters).
_SOURCE_LINE_CHARS = 160
_COPYRIGHT_LINE = re.compile(
    r"^[^\w©(]*+(?:copyright\s*+)?(?:©|\(c\)|copyright\b)\s*+(?:(?:19|20)\d\d(?:\s*[-–]\s*(?:19|20)\d\d)?\s*+,?\s*+)?"
    r"(?P<name>[^\s,;|.©][^,;|©]{1,58}?)\s*(?:(?:19|20)\d\d\s*)?(?:[.,]\s*(?:all rights reserved\.?)?|\s+all rights reserved\.?)?\s*$",
    re.I)
_SOURCE_PREFIX = re.compile(r"^\W*+(?:source|источник|来源|出典|quelle|fuente)\s*[:：]\s*(?P<name>[^\s.,;|][^.,;|]{0,58}?)\.?\s*$",
                            re.I)


def _source_line(blocks: list[Block]) -> str:
    """The outlet a "Source:" line or a copyright line names, or ``""``."""
    for pattern in (_SOURCE_PREFIX, _COPYRIGHT_LINE):
        for b in blocks:
            text = b.text
            if len(text) > _SOURCE_LINE_CHARS:
                continue
            m = pattern.match(text)
            if m:
                name = m.group("name").strip(" -–—:")
                if name and word_count(name) <= 6 and not _DATEISH.fullmatch(name):
                    return name
    return ""


_DATEISH = re.compile(r"[\d\s./-]+")


def read_corpus(root: Path | str, progress: Callable[[int, int], bool | None] | None = None) -> CorpusRead:
    """Read every supported file below ``root``; unreadable ones are listed in ``skipped``.

    ``progress(done, total)`` is called after each file; returning ``False`` stops early.
    """
    root = Path(root)
    result = CorpusRead(root=str(root))
    files = list(iter_corpus_files(root, result.skipped))
    for n, path in enumerate(files, 1):
        try:
            result.articles.append(read_article(path, root))
        except ReadError as exc:
            result.skipped.append(Skipped(article_id(path, root), str(exc)))
        if progress is not None and progress(n, len(files)) is False:
            break
    return result


# ---------------------------------------------------------------- plain text and markdown


# A run of consecutive lines that are not blank (each holds a character str.strip keeps; \S is
# the same test), from the start of its first line to the end of its last.
_LINE_RUN = re.compile(r"^[^\S\n]*+\S[^\n]*+(?:\n[^\S\n]*+\S[^\n]*+)*+", re.MULTILINE)


def _lines(text: str, pos: int = 0) -> Iterator[tuple[int, str]]:
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def _text_blocks(text: str) -> tuple[list[Block], PageMeta]:
    meta = PageMeta()
    body_start = 0
    fm = _FRONT_MATTER.match(text)
    if fm:
        meta = _front_matter(fm.group(1))
        body_start = fm.end()
    pieces: list[tuple[int, int, str]] = []
    for m in _LINE_RUN.finditer(text, body_start):
        run = m.group()
        if "\n" not in run:  # one line: no _split_block (a file of one-word paragraphs)
            start = m.start() + len(run) - len(run.lstrip())
            end = m.start() + len(run.rstrip())
            pieces.append((start, end, text[start:end]))
            continue
        group = list(_lines(run, m.start()))
        if len(group) > TINY_RUN and max(map(len, (line for _, line in group))) <= TINY_CHARS:
            # Hundreds of tiny lines ("---", "#"): merged whatever _split_block made of them.
            pieces.extend(_tiny_group_pieces(group, text))
            continue
        for part in _split_block(group):
            start = part[0][0] + (len(part[0][1]) - len(part[0][1].lstrip()))
            end = part[-1][0] + len(part[-1][1].rstrip())
            pieces.append((start, end, text[start:end]))
    blocks = []
    markdown = has_markdown(text)  # one search of the file instead of two per paragraph
    for i, k in _tiny_runs([p[0] for p in pieces], [p[1] for p in pieces]):
        s, e = pieces[i][0], pieces[k - 1][1]
        if e - s > MAX_PARAGRAPH_CHARS:
            # Cut before it is shown (showing it whole, then each piece, cost twice as much),
            # unless what it shows is short (a run of spaces or of markup).
            cut = _cut_text(text, s, e, markdown)
            if sum(len(b.text) + 1 for b in cut) > MAX_PARAGRAPH_CHARS + 1:
                blocks.extend(cut)
                continue
        chunk = pieces[i][2] if k == i + 1 else text[s:e]
        shown, norm = _display_and_norm(chunk, markdown)
        blocks.append(Block(raw=chunk, text=shown, start=s, end=e,
                            heading=_heading_level(chunk) if k == i + 1 else 0, norm=norm))
    return _repair(blocks, text, html=False), meta


def _tiny_group_pieces(group: list[tuple[int, str]], text: str) -> Iterator[tuple[int, int, str]]:
    """A block of tiny lines cut into pieces of about ``MAX_PARAGRAPH_CHARS`` characters."""
    i = 0
    n = len(group)
    while i < n:
        first = group[i][0]
        k = i + 1
        while k < n and group[k][0] - first < MAX_PARAGRAPH_CHARS:
            k += 1
        start = first + (len(group[i][1]) - len(group[i][1].lstrip()))
        end = group[k - 1][0] + len(group[k - 1][1].rstrip())
        yield start, end, text[start:end]
        i = k


def _tiny_runs(starts: list[int], ends: list[int]) -> Iterator[tuple[int, int]]:
    """``[i, k)`` ranges of the paragraphs ``starts[i]:ends[i]`` to keep as one paragraph each.

    More than ``TINY_RUN`` consecutive paragraphs of at most ``TINY_CHARS`` characters are no
    menu or list but a degenerate file (a line of "#" or "---" per paragraph); each costs as
    much to classify as a paragraph of prose, so such a run is cut into pieces of about
    ``MAX_PARAGRAPH_CHARS`` characters instead. Every other paragraph is its own range.
    """
    n = len(starts)
    i = 0
    while i < n:
        j = i
        while j < n and ends[j] - starts[j] <= TINY_CHARS:
            j += 1
        if j - i <= TINY_RUN:
            for k in range(i, max(j, i + 1)):
                yield k, k + 1
            i = max(j, i + 1)
            continue
        while i < j:
            k = i + 1
            limit = starts[i] + MAX_PARAGRAPH_CHARS
            while k < j and ends[k] < limit:
                k += 1
            yield i, k
            i = k


def _heading_level(chunk: str) -> int:
    if "#" not in chunk[:8]:
        return 0
    m = re.match(r"\s{0,3}(#{1,6})\s", chunk)
    return len(m.group(1)) if m else 0


def _split_block(group: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """One block of consecutive lines → paragraphs.

    Hard-wrapped prose (lines of similar moderate length) stays one paragraph; a block of long
    lines or of short unrelated lines (menus, one paragraph per line) is split line by line.
    Markdown hard breaks (two trailing spaces) and lines cut mid-sentence always join.
    """
    if len(group) == 1:
        return [group]
    lengths = [len(line.strip()) for _, line in group]
    wrapped = max(lengths) <= 100 and sum(1 for n in lengths[:-1] if n >= 45) >= max(1, (len(group) - 1) * 0.7)
    if wrapped:
        return [group]
    parts: list[list[tuple[int, str]]] = [[group[0]]]
    for pos, line in group[1:]:
        prev = parts[-1][-1][1]
        stripped = line.lstrip()
        joins = prev.endswith("  ") or (
            not prev.rstrip().endswith(_TERMINAL) and stripped[:1].islower()
        ) or (prev.rstrip().endswith((",", "-", "–")) and not stripped.startswith(("-", "*", "+")))
        if joins:
            parts[-1].append((pos, line))
        else:
            parts.append([(pos, line)])
    return parts


def _repair(blocks: list[Block], text: str, *, html: bool) -> list[Block]:
    """Join paragraphs that a scraper broke mid-sentence (no end punctuation, next starts lowercase).

    The joined paragraph's matching form is made from its source in a text file (markdown
    stripped from the whole), from its shown text in HTML (the source holds the markup).
    """
    out: list[Block] = []
    for b in blocks:
        # A join that would be too long to keep is the place to cut the paragraph.
        if out and _broken(out[-1], b) and len(out[-1].text) + len(b.text) < MAX_PARAGRAPH_CHARS:
            prev = out[-1]
            joined = f"{prev.text} {b.text}"
            raw = joined if html else text[prev.start:b.end]
            out[-1] = Block(raw=raw, text=joined, start=prev.start, end=b.end,
                            heading=prev.heading)  # norm recomputed from raw
        else:
            out.append(b)
    return out


def _broken(prev: Block, nxt: Block) -> bool:
    if prev.heading or nxt.heading or nxt.cut or not prev.text or not nxt.text:
        return False
    first = nxt.text.lstrip("*_\"'“‘([ ")[:1]
    return first.islower() and not prev.text.rstrip().endswith(_TERMINAL)


def _front_matter(block: str) -> PageMeta:
    meta = PageMeta()
    for line in block.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip().strip("'\"")
        if not value:
            continue
        if key == "title":
            meta.title = value
        elif key in ("author", "authors", "byline"):
            meta.author = value
        elif key in ("source", "publisher", "site", "outlet"):
            meta.source = value
        elif key in ("date", "published", "pubdate", "published_at"):
            meta.date = parse_date(value)
    return meta


def _split_huge(blocks: list[Block], source: str, html: bool) -> Iterator[Block]:
    """``blocks`` with each paragraph over ``MAX_PARAGRAPH_CHARS`` cut into pieces (see
    :func:`_cut_text`, :func:`_cut_html`) whose spans point at their own text in ``source``."""
    for b in blocks:
        if len(b.text) <= MAX_PARAGRAPH_CHARS:
            yield b
        elif html:
            yield from _cut_html(source, b) or [b]
        else:
            yield from _cut_text(source, b.start, b.end, has_markdown(b.raw))


# Where a paragraph too long to keep is cut, best first: after a sentence's end, at whitespace.
_SENTENCE_ENDS = (". ", ".\n", "? ", "! ", "。", "！", "？")
_REFERENCE_ENDS = frozenset(" \t\n\f<;")  # what ends a character reference ("&amp;")


def _chunks(raw: str, html: bool = False) -> Iterator[tuple[int, int]]:
    """``[start, end)`` ranges of ``raw``, in order and covering it, each of at most
    ``MAX_PARAGRAPH_CHARS`` characters: cut after the last sentence end that fits, or else at
    the last whitespace, or else anywhere (in HTML source, not inside a character reference).
    """
    n = len(raw)
    pos = 0
    while pos < n:
        end = pos + MAX_PARAGRAPH_CHARS
        if end >= n:
            yield pos, n
            return
        cut = max(raw.rfind(mark, pos, end) for mark in _SENTENCE_ENDS) + 1
        if cut <= pos + 1:
            cut = max(raw.rfind(" ", pos, end), raw.rfind("\n", pos, end), raw.rfind("\t", pos, end))
            if cut <= pos:
                cut = end
                amp = raw.rfind("&", max(pos + 1, end - 34), end) if html else -1
                if amp > pos and not _REFERENCE_ENDS.intersection(raw[amp:end]):
                    cut = amp
        yield pos, cut
        pos = cut


def _cut_text(text: str, start: int, end: int, markdown: bool) -> list[Block]:
    """The paragraph ``text[start:end]`` of a text or markdown file cut by :func:`_chunks`.

    The source is cut, not the text shown (markdown cannot be mapped back to its source
    character by character): each piece is shown and normalised from its own source, so
    its span is exact; markup across a cut stays as it is written.
    """
    raw = text[start:end]
    out: list[Block] = []
    for c0, c1 in _chunks(raw):
        piece = raw[c0:c1]
        s = start + c0 + len(piece) - len(piece.lstrip())
        e = start + c0 + len(piece.rstrip())
        if s >= e:
            continue
        chunk = text[s:e]
        # A piece cut mid-line may open as a list item ("1. 1. 1. ..." cut after a "="): the
        # file's "no markdown" does not hold for it, and its norm is normalize() of its span.
        shown, norm = _display_and_norm(chunk, markdown or has_markdown(chunk))
        out.append(Block(raw=chunk, text=shown, start=s, end=e, norm=norm, cut=bool(out)))
    return out


def _cut_html(source: str, b: Block) -> list[Block] | None:
    """The HTML paragraph ``b`` cut by :func:`_chunks` applied to its visible source text.

    The source of the visible text (tags and dropped elements left out, character references
    as written) is cut, so that each piece's span runs from its first visible character to
    its last in ``source``. None when the pieces do not give ``b``'s text (not expected).
    """
    pieces = visible_pieces(source, b.start, b.end)
    if not pieces:
        return None
    starts = list(accumulate((len(r) for _, r, _ in pieces), initial=0))
    visible = "".join(r for _, r, _ in pieces)
    out: list[Block] = []
    shown_all: list[str] = []
    for c0, c1 in _chunks(visible, html=True):
        i, j = bisect_right(starts, c0) - 1, bisect_left(starts, c1)  # pieces i..j-1 meet [c0, c1)
        # Each piece's part in [c0, c1): where it starts in the source, its source, its text.
        subs = [r for _, r, _ in pieces[i:j]]
        head = c0 - starts[i]
        subs[-1] = subs[-1][:c1 - starts[j - 1]]
        subs[0] = subs[0][head:]
        datas = [unescape(sub) if decode and "&" in sub else sub
                 for sub, (_, _, decode) in zip(subs, pieces[i:j], strict=True)]
        text = " ".join("".join(datas).split())
        if not text:
            continue
        # The span: from the first part showing a visible character to the last one.
        first = last = -1
        for n, data in enumerate(datas):
            if pieces[i + n][0] >= 0 and data and not data.isspace():
                sub = subs[n]
                first = pieces[i + n][0] + (head if n == 0 else 0) + len(sub) - len(sub.lstrip())
                break
        for n in range(len(datas) - 1, -1, -1):
            data = datas[n]
            if pieces[i + n][0] >= 0 and data and not data.isspace():
                last = pieces[i + n][0] + (head if n == 0 else 0) + len(subs[n].rstrip())
                break
        shown_all.append(text)
        out.append(Block(raw=text, text=text, start=first, end=max(last, first + 1), cut=bool(out)))
    # The pieces' texts are the paragraph's, but for the spaces where a cut fell.
    if not out or "".join("".join(shown_all).split()) != "".join(b.text.split()):
        return None
    out[-1].end = max(out[-1].end, b.end)  # as the paragraph's span, to the end of its closing tag
    return out


def _fallback_title(blocks: list[Block], stem: str) -> str:
    for b in blocks[:10]:
        m = _DATE_PREFIX.match(b.text)
        text = b.text[m.end():] if m else b.text
        if word_count(text) >= 6:
            first = _FIRST_SENTENCE.split(text[:2000], maxsplit=1)[0]
            if cjk_count(first) * 2 > len(first):  # Chinese or Japanese: cut by characters
                return first[:28] + ("…" if len(first) > 28 else "")
            words = first.split()
            return " ".join(words[:14]) + ("…" if len(words) > 14 else "")
    return stem


# ---------------------------------------------------------------- HTML


# "Story title | Outlet", "Story title - Outlet", "Story title — Outlet", "Story title :: Outlet".
_TITLE_SUFFIX = re.compile(r"\s+(?:\||-|–|—|::|·|•)\s+(?P<name>[^|–—:·•]{2,40})$")


def _title_suffix(title: str) -> tuple[str, str]:
    """``(title, outlet)`` of a page title that ends with a short, outlet-like suffix."""
    m = _TITLE_SUFFIX.search(title[-60:])
    if not m:
        return title, ""
    name = m.group("name").strip()
    head = title[: len(title) - len(m.group(0)) if len(title) <= 60 else len(title) - 60 + m.start()].strip()
    first = name[:1]
    outlet_like = (word_count(name) <= 4 and (first.isupper() or first.isdigit() or "." in name or not first.isalpha())
                   and word_count(head) >= 3 and not name.endswith((".", "!", "?")))
    return (head, name) if outlet_like else (title, "")


def _html_blocks(text: str) -> tuple[list[Block], PageMeta]:
    doc = extract_html(text)
    title, suffix = _title_suffix(doc.page_title) if doc.page_title else ("", "")
    site = doc.site or suffix
    page_title = doc.title
    if suffix and doc.title == doc.page_title and suffix.casefold() == site.casefold():
        page_title = title  # the title without "| Outlet"
    meta = PageMeta(title=page_title, author=doc.author, source=site,
                    date=parse_date(doc.published) if doc.published else None)
    found = doc.blocks
    blocks = []
    for i, k in _tiny_runs([b.start for b in found], [b.end for b in found]):
        if k == i + 1:
            b = found[i]
            blocks.append(Block(raw=b.text, text=b.text, start=b.start, end=b.end, heading=b.heading))
        else:
            joined = " ".join(b.text for b in found[i:k])
            blocks.append(Block(raw=joined, text=joined, start=found[i].start, end=found[k - 1].end))
    return _repair(blocks, text, html=True), meta
