"""The analyst's decisions about one corpus, kept apart from its index: boilerplate marks,
source names, reuse thresholds and manual alignment links (:mod:`app.core.workspace.links`).

The file is ``userdata/<corpus key>/userdata.json`` in the per-user data folder, keyed by the
corpus folder exactly as the index folder is (:func:`app.core.storage.paths.index_dir_for`) but outside
it: rebuilding an index empties the index folder, and these decisions must outlive that.

It is versioned JSON (``"format": "parallax-userdata"``, ``"version": 2``; version 2 added
``links``, and version 1 files are read as they are) written atomically
through :mod:`app.core.storage.atomic`, and validated when read. A damaged file is never written over:
it is reported in one line, the corpus is used without its decisions, and the first change
the analyst makes sets the damaged file aside under a new name (``userdata.damaged-….json``,
beside it) before a fresh file is written, so nothing in it is lost and work goes on. A file
written by a newer Parallax is left alone altogether: changes are refused until Parallax is
updated, because rewriting it in the old format would drop what the newer version stored.

Every change re-reads the file first, so the window and the command line can change the same
corpus's decisions without one undoing the other's.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from app.core.reading.model import Article, Paragraph, Role
from app.core.reading.text import normalize
from app.core.reuse.fingerprint import exact_hash
from app.core.reuse.reusemap import ReuseOverrides, Thresholds
from app.core.storage.atomic import atomic_write_json
from app.core.storage.paths import data_dir, index_dir_for
from app.core.workspace.links import PairLinks, paragraph_hash

if TYPE_CHECKING:
    from collections import Counter

    from app.core.workspace.corpus import Corpus

FORMAT_NAME = "parallax-userdata"
FORMAT_VERSION = 2  # 2: manual links
FILE_NAME = "userdata.json"
KINDS = ("boilerplate", "content")
PREVIEW = 80  # characters of a marked paragraph kept for listing it


class UserDataError(Exception):
    """A change that cannot be saved, or a file that cannot be read; the message is one line."""


def userdata_dir_for(corpus_root: Path | str) -> Path:
    """The user-data folder of one corpus: keyed like its index folder, never inside it."""
    return data_dir() / "userdata" / index_dir_for(corpus_root).name


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def text_hash(text: str) -> int:
    """The key of a paragraph text for a mark: the reuse map's exact hash of its normalised form."""
    return exact_hash(normalize(text))


_FURNITURE_ROLES = (Role.CHROME, Role.BYLINE)


def with_marks(article: Article, content: Collection[int]) -> Article:
    """``article`` as the analyst marked it: a chrome or byline paragraph marked content is body.

    Roles are guessed from the page (:mod:`app.core.reading.roles`); the analyst's "content" mark wins
    over that guess as it wins over the learned boilerplate, so that the paragraph is aligned,
    labelled, counted and reported as content. ``article`` itself is left alone: a copy is
    returned when a paragraph's role changes, ``article`` when none does.

    Args:
        article: The article as read.
        content: Exact hashes of the paragraph texts marked content (``ReuseOverrides.content``).
    """
    if not content:
        return article
    paragraphs: list[Paragraph] | None = None
    for n, p in enumerate(article.paragraphs):
        if p.role in _FURNITURE_ROLES and paragraph_hash(p.norm) in content:
            if paragraphs is None:
                paragraphs = list(article.paragraphs)
            paragraphs[n] = replace(p, role=Role.BODY)
    return article if paragraphs is None else replace(article, paragraphs=paragraphs)


def marked_boilerplate(learned: Callable[[Paragraph], bool] | Collection[str] | None,
                       overrides: ReuseOverrides) -> Callable[[Paragraph], bool] | Collection[str] | None:
    """The aligner's boilerplate test with the analyst's marks laid over ``learned``.

    A paragraph marked content is never boilerplate, one marked boilerplate always is, whatever
    ``learned`` says (a reuse map built before the mark, or none). ``learned`` is a predicate or
    a collection of normalised texts, as :func:`app.core.align.paragraphs.align` takes it.
    """
    kept, forced = overrides.content, overrides.boilerplate
    if not (kept or forced):
        return learned
    known: Callable[[Paragraph], bool]
    if learned is None:
        def never(p: Paragraph) -> bool:
            return False

        known = never
    elif callable(learned):
        known = learned
    else:
        texts = frozenset(learned)

        def listed(p: Paragraph) -> bool:
            return p.norm in texts

        known = listed

    def test(p: Paragraph) -> bool:
        h = paragraph_hash(p.norm)
        if h in kept:
            return False
        return h in forced or known(p)

    return test


def _hash_key(h: int) -> str:
    return f"{h:016x}"


def threshold_fields() -> dict[str, type]:
    """The settable reuse thresholds: field name -> ``int`` or ``float``."""
    out: dict[str, type] = {}
    for f in fields(Thresholds):
        default = f.default
        if isinstance(default, bool) or not isinstance(default, int | float):
            continue
        out[f.name] = type(default)
    return out


def threshold_descriptions() -> dict[str, str]:
    """One line per threshold saying what it does (from ``Thresholds.DESCRIPTIONS``)."""
    return dict(getattr(Thresholds, "DESCRIPTIONS", {}))


def source_counts(corpus: Corpus) -> Counter[str]:
    """How many indexed articles each raw source name has ("" for no source), from the index."""
    from collections import Counter

    ix, _ = corpus.index.open()
    with ix.searcher() as s:
        return Counter(fields.get("source", "") for fields in s.all_stored_fields())


def threshold_defaults() -> dict[str, int | float]:
    """The default value of every settable threshold."""
    base = Thresholds()
    return {name: getattr(base, name) for name in threshold_fields()}


def check_threshold(name: str, value: Any) -> int | float:
    """``value`` as a valid setting of threshold ``name``.

    Raises:
        UserDataError: unknown threshold, or not a number of the right kind and range.
    """
    kinds = threshold_fields()
    if name not in kinds:
        known = ", ".join(sorted(kinds))
        raise UserDataError(f"unknown threshold '{name}' (known: {known})")
    if isinstance(value, str):
        try:
            value = float(value) if kinds[name] is float else int(value, 10)
        except ValueError:
            raise UserDataError(f"{name} must be {'a number' if kinds[name] is float else 'a whole number'},"
                                f" not '{value}'") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise UserDataError(f"{name} must be a number")
    if kinds[name] is int:
        if value != int(value):
            raise UserDataError(f"{name} must be a whole number")
        whole = int(value)
        if whole < 1:
            raise UserDataError(f"{name} must be at least 1")
        return whole
    share = float(value)
    if not 0.0 <= share <= 1.0:
        raise UserDataError(f"{name} is a share: it must lie between 0 and 1")
    return share


@dataclass(frozen=True, slots=True)
class Mark:
    """The analyst's decision about one paragraph text, wherever it recurs."""

    hash: int
    kind: str  # "boilerplate" or "content"
    text: str  # the first PREVIEW characters of the paragraph, for listing
    marked: str  # when, ISO 8601 UTC

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``parallax boilerplate list --json``)."""
        return {"hash": _hash_key(self.hash), "kind": self.kind, "text": self.text, "marked": self.marked}


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What :meth:`UserData.merge` took from the other side and what it kept local."""

    marks: int = 0
    sources: int = 0
    thresholds: int = 0
    kept_local: tuple[str, ...] = ()  # one line per conflict, the local decision kept
    links: int = 0  # manual-link decisions taken
    searches: int = 0  # saved searches taken

    @property
    def changed(self) -> bool:
        """True when anything was taken."""
        return bool(self.marks or self.sources or self.thresholds or self.links or self.searches)

    def describe(self) -> str:
        """One line for a status bar or the terminal."""
        parts = [f"{n} {what}{'' if n == 1 else 's'}" for n, what in
                 ((self.marks, "mark"), (self.sources, "source name"), (self.thresholds, "threshold"),
                  (self.links, "manual link"), (self.searches, "saved search")) if n]
        text = ("Added " + ", ".join(parts)) if parts else "Nothing new"
        if self.kept_local:
            text += f"; kept this machine's choice in {len(self.kept_local)} conflict" \
                    f"{'' if len(self.kept_local) == 1 else 's'}"
        return text


@dataclass(slots=True)
class UserData:
    """The decisions themselves (plain data; :class:`UserDataStore` reads and writes them)."""

    marks: dict[int, Mark] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # raw source name -> analyst's name
    thresholds: dict[str, int | float] = field(default_factory=dict)
    links: list[PairLinks] = field(default_factory=list)  # manual alignment, per pair of articles
    searches: dict[str, str] = field(default_factory=dict)  # saved search name -> query

    @property
    def empty(self) -> bool:
        """True when nothing was decided."""
        return not (self.marks or self.sources or self.thresholds or self.links or self.searches)

    # ------------------------------------------------------------------ for the model

    def overrides(self) -> ReuseOverrides:
        """The marks and source names as the reuse map takes them."""
        bp = frozenset(h for h, m in self.marks.items() if m.kind == "boilerplate")
        content = frozenset(h for h, m in self.marks.items() if m.kind == "content")
        return ReuseOverrides(bp, content, MappingProxyType(dict(self.sources)))

    def reuse_thresholds(self) -> Thresholds:
        """The thresholds with the analyst's settings applied (unknown or invalid ones ignored)."""
        settings: dict[str, Any] = {}  # check_threshold gives each value its field's type
        for name, value in self.thresholds.items():
            with contextlib.suppress(UserDataError):
                settings[name] = check_threshold(name, value)
        return Thresholds(**settings)

    def source(self, raw: str) -> str:
        """The name shown for a raw source name."""
        return self.sources.get(raw, raw)

    # ------------------------------------------------------------------ marks

    def mark_kind(self, h: int) -> str | None:
        """``"boilerplate"``, ``"content"`` or None for a paragraph hash."""
        m = self.marks.get(h)
        return m.kind if m else None

    # ------------------------------------------------------------------ sources

    def raw_names(self, name: str, known: Iterable[str] = ()) -> set[str]:
        """The raw source names shown as ``name`` (aliased to it, or itself when not aliased)."""
        raws = {raw for raw, alias in self.sources.items() if alias == name}
        if name in self.sources or name in set(known) or not raws:
            raws.add(name)
        return raws

    def alias(self, raws: Iterable[str], name: str) -> None:
        """Show every raw name of ``raws`` as ``name`` (an alias equal to the raw name is dropped)."""
        for raw in raws:
            if raw == name:
                self.sources.pop(raw, None)
            else:
                self.sources[raw] = name

    # ------------------------------------------------------------------ merging

    def merge(self, other: UserData) -> MergeReport:
        """Take from ``other`` what this side has not decided; where both decided differently,
        this side's decision stays (and the conflict is reported). Nothing local is dropped."""
        marks = sources = thresholds = 0
        kept: list[str] = []
        for h, m in other.marks.items():
            mine = self.marks.get(h)
            if mine is None:
                self.marks[h] = m
                marks += 1
            elif mine.kind != m.kind:
                kept.append(f"paragraph “{mine.text[:40]}” stays {mine.kind} (the other says {m.kind})")
        for raw, alias in other.sources.items():
            mine_alias = self.sources.get(raw)
            if mine_alias is None:
                self.sources[raw] = alias
                sources += 1
            elif mine_alias != alias:
                kept.append(f"source {raw} stays “{mine_alias}” (the other says “{alias}”)")
        for name, value in other.thresholds.items():
            if name not in self.thresholds:
                self.thresholds[name] = value
                thresholds += 1
            elif self.thresholds[name] != value:
                kept.append(f"{name} stays {self.thresholds[name]} (the other says {value})")
        links = self._merge_links(other, kept)
        searches = 0
        for name, query in other.searches.items():
            if name not in self.searches:
                self.searches[name] = query
                searches += 1
            elif self.searches[name] != query:
                kept.append(f"saved search “{name}” stays {self.searches[name]!r}")
        return MergeReport(marks, sources, thresholds, tuple(kept), links, searches)

    def _merge_links(self, other: UserData, kept: list[str]) -> int:
        """Take the other side's manual-link decisions this side has not made about the same pair."""
        taken = 0
        mine = {p.key: p for p in self.links}
        for pair in other.links:
            local = mine.get(pair.key) or mine.get(pair.flipped().key)
            if local is None:
                self.links.append(pair)
                mine[pair.key] = pair
                taken += len(pair.items)
                continue
            seen = pair if local.key == pair.key else pair.flipped()
            for m in seen.items:
                same = next((x for x in local.items if x.same_pair(m)), None)
                if same is None:
                    local.items.append(m)
                    taken += 1
                elif same.kind != m.kind:
                    kept.append(f"paragraphs “{same.left.text[:30]}” and “{same.right.text[:30]}” stay "
                                f"{'linked' if same.kind == 'link' else 'not a match'}")
        return taken

    # ------------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """The JSON document (also embedded in session files)."""
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "marks": {_hash_key(h): {"kind": m.kind, "text": m.text, "marked": m.marked}
                      for h, m in sorted(self.marks.items(), key=lambda kv: kv[1].marked)},
            "sources": dict(sorted(self.sources.items())),
            "thresholds": dict(sorted(self.thresholds.items())),
            "links": [p.to_json() for p in self.links],
            "searches": dict(sorted(self.searches.items())),
        }

    @classmethod
    def from_json(cls, data: Any) -> UserData:
        """Validate and read a JSON document.

        Raises:
            UserDataError: not a user-data document, of a newer version, or a field of the wrong shape.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise UserDataError("not a Parallax user-data file")
        version = data.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise UserDataError(f"invalid version {version!r}")
        if version > FORMAT_VERSION:
            raise _Newer(f"written by a newer Parallax (version {version}; this one reads {FORMAT_VERSION})")
        out = cls()
        marks = _field(data, "marks")
        for key, value in marks.items():
            try:
                h = int(key, 16)
            except ValueError:
                raise UserDataError(f"marks: '{key[:20]}' is not a paragraph hash") from None
            if not isinstance(value, dict) or value.get("kind") not in KINDS:
                raise UserDataError(f"marks.{key}: kind must be one of {', '.join(KINDS)}")
            text, marked = value.get("text", ""), value.get("marked", "")
            if not isinstance(text, str) or not isinstance(marked, str):
                raise UserDataError(f"marks.{key}: text and marked must be strings")
            out.marks[h] = Mark(h, value["kind"], text[:PREVIEW], marked)
        for raw, alias in _field(data, "sources").items():
            if not isinstance(alias, str) or not alias.strip():
                raise UserDataError(f"sources.{raw[:40]}: the name must be a non-empty string")
            out.sources[raw] = alias
        for name, value in _field(data, "thresholds").items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UserDataError(f"thresholds.{name[:40]} must be a number")
            out.thresholds[name] = value
        links = data.get("links", [])
        if not isinstance(links, list):
            raise UserDataError("links must be a list")
        out.links = [PairLinks.from_json(p, f"links[{n}]") for n, p in enumerate(links)]
        for name, query in _field(data, "searches").items():
            if not isinstance(query, str) or not query.strip() or not name.strip():
                raise UserDataError(f"searches.{name[:40]}: the name and the query must be non-empty strings")
            out.searches[name] = query
        return out


class _Newer(UserDataError):
    """A file of a newer format version: readable by a newer Parallax, so never rewritten."""


def _field(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise UserDataError(f"{key} must be an object")
    return value


class UserDataStore:
    """The user data of one corpus on disk.

    Args:
        corpus_root: The corpus folder (its user-data folder is derived from it).
        path: Another file to use (tests).
    """

    def __init__(self, corpus_root: Path | str, path: Path | str | None = None) -> None:
        self.corpus_root = Path(corpus_root).resolve()
        self.path = Path(path) if path else userdata_dir_for(self.corpus_root) / FILE_NAME
        self.problem: str | None = None  # one line when the file on disk could not be read
        self.notice: str | None = None  # one line after a save that set a damaged file aside
        self._newer = False
        self._data = UserData()
        self._stamp: tuple[int, int] | None = None
        self.reload()

    # ------------------------------------------------------------------ reading

    @property
    def data(self) -> UserData:
        """The decisions as last read or written (empty while the file is damaged)."""
        return self._data

    def reload(self) -> UserData:
        """Read the file again (missing: nothing decided; damaged: nothing applied, ``problem`` set)."""
        stamp = self._file_stamp()
        self._data, self.problem, self._newer = self._read()
        self._stamp = stamp
        return self._data

    def refresh(self) -> UserData:
        """The decisions, read again only when the file changed since (another process wrote it)."""
        if self._file_stamp() != self._stamp:
            return self.reload()
        return self._data

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def _read(self) -> tuple[UserData, str | None, bool]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return UserData(), None, False
        except OSError as exc:
            return UserData(), f"Cannot read {self.path}: {exc.strerror or exc}; marks and source names are not applied.", False
        try:
            data = UserData.from_json(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            return UserData(), self._damaged(_describe_json_error(exc)), False
        except _Newer as exc:
            return UserData(), (f"{self.path} was {exc}; its marks and source names are not applied "
                                "and changes are not saved until Parallax is updated."), True
        except UserDataError as exc:
            return UserData(), self._damaged(str(exc)), False
        return data, None, False

    def _damaged(self, why: str) -> str:
        return (f"{self.path} is damaged ({why}); its marks and source names are not applied. "
                "It is kept: the next change sets it aside and starts a new file.")

    # ------------------------------------------------------------------ writing

    def save(self, data: UserData) -> None:
        """Write ``data`` atomically (a damaged file is set aside first, never written over).

        Raises:
            UserDataError: the file is of a newer version, or cannot be written.
        """
        if self._newer:
            raise UserDataError(self.problem or f"{self.path} was written by a newer Parallax")
        if self.problem is not None and self.path.exists():
            aside = self._set_aside()
            self.problem = None
            self.notice = f"The damaged user-data file was kept as {aside}."
        try:
            atomic_write_json(self.path, data.to_json())
        except OSError as exc:
            raise UserDataError(f"Cannot save {self.path}: {exc.strerror or exc}") from exc
        self._data = data
        self._stamp = self._file_stamp()

    def _set_aside(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        for n in range(1000):
            aside = self.path.with_name(f"userdata.damaged-{stamp}{f'-{n}' if n else ''}.json")
            try:
                os.link(self.path, aside)  # fails rather than replace an existing file
            except FileExistsError:
                continue
            except OSError:  # no hard links here: rename, having checked the name is free
                if aside.exists():
                    continue
                try:
                    os.rename(self.path, aside)
                except OSError as exc:
                    raise UserDataError(f"Cannot set the damaged {self.path} aside: {exc.strerror or exc}; "
                                        "move it away to save changes") from exc
                return aside
            os.unlink(self.path)
            return aside
        raise UserDataError(f"Cannot set the damaged {self.path} aside; move it away to save changes")

    def change(self, edit: Any) -> UserData:
        """Re-read the file, apply ``edit(data)`` and save; returns the data saved.

        Raises:
            UserDataError: the change cannot be saved (nothing was changed on disk).
        """
        fresh, problem, newer = self._read()
        self.problem, self._newer = problem, newer
        edit(fresh)
        self.save(fresh)
        return fresh

    # ------------------------------------------------------------------ the operations

    def mark(self, text: str, kind: str, *, display: str | None = None) -> Mark:
        """Mark a paragraph text (and every recurrence of it) as boilerplate or content.

        Args:
            text: The paragraph's text (display or normalised form: both give the same hash).
            kind: ``"boilerplate"`` or ``"content"``.
            display: The text to keep for listing (default: ``text``).

        Raises:
            UserDataError: bad kind, a text without words, or the change cannot be saved.
        """
        if kind not in KINDS:
            raise UserDataError(f"a mark is one of {', '.join(KINDS)}, not '{kind}'")
        h = text_hash(text)
        if not h:
            raise UserDataError("the paragraph has no words to recognise it by")
        preview = " ".join((display if display is not None else text).split())[:PREVIEW]
        mark = Mark(h, kind, preview, now_iso())
        self.change(lambda d: d.marks.__setitem__(h, mark))
        return mark

    def unmark(self, text: str | None = None, *, hash_: int | None = None) -> Mark | None:
        """Remove the mark of a paragraph text (or of a hash); returns the mark removed, if any."""
        h = hash_ if hash_ is not None else text_hash(text or "")
        removed: list[Mark] = []

        def edit(d: UserData) -> None:
            m = d.marks.pop(h, None)
            if m is not None:
                removed.append(m)

        self.change(edit)
        return removed[0] if removed else None

    def restore_mark(self, h: int, mark: Mark | None) -> None:
        """Put one hash's mark back as it was (``None``: no mark) — the undo of a mark."""
        def edit(d: UserData) -> None:
            if mark is None:
                d.marks.pop(h, None)
            else:
                d.marks[h] = mark

        self.change(edit)

    def rename_source(self, old: str, new: str, known: Iterable[str] = ()) -> set[str]:
        """Show the source named ``old`` (raw or analyst's name) as ``new``; returns the raw names renamed."""
        new = " ".join(new.split())
        if not new:
            raise UserDataError("a source name cannot be empty")
        known = set(known)
        raws = self._data.raw_names(old, known)
        if known and not (raws & known) and old not in self._data.sources.values():
            raise UserDataError(f"no source named '{old}'")
        renamed: set[str] = set()

        def edit(d: UserData) -> None:
            renamed.update(d.raw_names(old, known))
            d.alias(renamed, new)

        self.change(edit)
        return renamed

    def merge_sources(self, names: Iterable[str], as_name: str, known: Iterable[str] = ()) -> set[str]:
        """Show every source of ``names`` (raw or analyst's names) as one, ``as_name``."""
        as_name = " ".join(as_name.split())
        if not as_name:
            raise UserDataError("a source name cannot be empty")
        known = set(known)
        names = list(names)
        for name in names:
            raws = self._data.raw_names(name, known)
            if known and not (raws & known) and name not in self._data.sources.values():
                raise UserDataError(f"no source named '{name}'")

        merged: set[str] = set()

        def edit(d: UserData) -> None:
            merged.update(*(d.raw_names(n, known) for n in names))
            d.alias(merged, as_name)

        self.change(edit)
        return merged

    def reset_source(self, name: str) -> set[str]:
        """Show the raw names behind ``name`` (an analyst's name, or a raw name) as they are again."""
        def raws(d: UserData) -> set[str]:
            found = {raw for raw, alias in d.sources.items() if alias == name}
            return found | ({name} if name in d.sources else set())

        reset: set[str] = set()

        def edit(d: UserData) -> None:
            reset.update(raws(d))
            for r in reset:
                d.sources.pop(r, None)

        self.change(edit)
        return reset

    def save_search(self, name: str, query: str) -> None:
        """Keep ``query`` under ``name`` (replacing a search of that name).

        Raises:
            UserDataError: an empty name or query, or the change cannot be saved.
        """
        name, query = " ".join(name.split()), query.strip()
        if not name or not query:
            raise UserDataError("a saved search needs a name and a query")
        self.change(lambda d: d.searches.__setitem__(name, query))

    def delete_search(self, name: str) -> None:
        """Forget the saved search ``name``."""
        self.change(lambda d: d.searches.pop(name, None))

    def set_thresholds(self, values: Mapping[str, Any]) -> None:
        """Set reuse thresholds (a value equal to the default is dropped, so the default follows
        future versions); raises :class:`UserDataError` for a bad name or value, saving nothing."""
        checked = {name: check_threshold(name, value) for name, value in values.items()}
        defaults = threshold_defaults()

        def edit(d: UserData) -> None:
            for name, value in checked.items():
                if value == defaults[name]:
                    d.thresholds.pop(name, None)
                else:
                    d.thresholds[name] = value

        self.change(edit)

    def reset_thresholds(self) -> None:
        """Every threshold back to its default."""
        self.change(lambda d: d.thresholds.clear())

    def merge(self, other: UserData) -> MergeReport:
        """Take what ``other`` decided and this corpus has not (see :meth:`UserData.merge`)."""
        probe = UserData.from_json(self._data.to_json())
        report = probe.merge(other)
        if not report.changed:  # nothing to take: leave the file alone
            return report
        reports: list[MergeReport] = []
        self.change(lambda d: reports.append(d.merge(other)))
        return reports[0]


def _describe_json_error(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}, column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    return "nested too deeply"


# ---------------------------------------------------------------------- sessions


def session_userdata(corpus_root: Path | str) -> dict[str, Any] | None:
    """The corpus's decisions as a session file carries them (None when nothing was decided)."""
    store = UserDataStore(corpus_root)
    return None if store.data.empty else store.data.to_json()


def apply_session_userdata(corpus_root: Path | str, data: Any) -> tuple[str | None, bool]:
    """Merge the decisions a session carries into this machine's for its corpus.

    What this machine decided is never replaced (see :meth:`UserData.merge`).

    Returns:
        One line saying what happened (None when the session brought nothing new), and
        whether anything was added.
    """
    try:
        incoming = UserData.from_json(data)
    except UserDataError as exc:
        return f"The session's marks and source names were not applied ({exc}).", False
    if incoming.empty:
        return None, False
    store = UserDataStore(corpus_root)
    try:
        report = store.merge(incoming)
    except UserDataError as exc:
        return f"The session's marks and source names were not applied: {exc}", False
    if not report.changed and not report.kept_local:
        return None, False
    return f"From the session: {report.describe()}.", report.changed
