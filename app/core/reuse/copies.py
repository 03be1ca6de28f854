"""Copies of one story among search hits: each story shown once, at its best hit, with its copies.

A story republished by thirty outlets would otherwise fill the result page thirty times. The
copies come from the reuse map (:meth:`app.core.reuse.reusemap.ReuseMap.copies`: the other members of
the article's cluster; :meth:`~app.core.reuse.reusemap.ReuseMap.duplicates`: those with the same text).
Until the map is built, :class:`ExactCopies` finds the copies whose body text is identical
from the stored fingerprints alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from app.core.reading.model import Hit, SearchResult
from app.core.reuse.fingerprint import MIN_WORDS, ArticleMeta, Prints, mix64

if TYPE_CHECKING:
    from app.core.reuse.reusemap import ReuseMap


class StoryCopies(Protocol):
    """What the grouping reads of a story source: the reuse map, its saved
    :class:`~app.core.reuse.reuseindex.CopiesTable`, or :class:`ExactCopies`."""

    def __contains__(self, aid: str, /) -> bool: ...

    def copies(self, aid: str, /) -> list[str]:
        """The other articles of ``aid``'s story."""
        ...

    def duplicates(self, aid: str, /) -> list[str]:
        """The other articles with ``aid``'s text."""
        ...


@dataclass(frozen=True, slots=True)
class HitGroup:
    """One story of a result: its best hit, its other copies in the corpus, and the other hits
    of the result that are among those copies (folded under it)."""

    hit: Hit
    copies: tuple[str, ...] = ()
    folded: tuple[str, ...] = ()


def group_hits(hits: Iterable[Hit], copies_of: Callable[[str], Sequence[str]]) -> list[HitGroup]:
    """The hits in their order, each story once: a hit that is a copy of an earlier hit's story
    is folded under that hit instead of listed again."""
    owner: dict[str, int] = {}
    groups: list[tuple[Hit, tuple[str, ...], list[str]]] = []
    for hit in hits:
        k = owner.get(hit.id)
        if k is not None:
            groups[k][2].append(hit.id)
            continue
        copies = tuple(c for c in copies_of(hit.id) if c != hit.id)
        groups.append((hit, copies, []))
        for c in copies:
            owner.setdefault(c, len(groups) - 1)
    return [HitGroup(h, c, tuple(f)) for h, c, f in groups]


def copies_lookup(rmap: StoryCopies | None) -> Callable[[str], list[str]]:
    """``aid -> other copies of its story`` from a reuse map (nothing without one)."""
    if rmap is None:
        return lambda _aid: []
    return lambda aid: rmap.copies(aid) if aid in rmap else []


def search_json(result: SearchResult, rmap: StoryCopies | None, *, collapse: bool = False) -> dict[str, Any]:
    """``parallax search --json``: every hit carries ``copies`` (the other copies of its story)
    and ``same_text`` (those of them with the same text); ``collapse`` lists each story once,
    with the other hits folded under it in ``folded``."""
    data = result.to_dict()
    copies = copies_lookup(rmap)
    if collapse:
        groups = group_hits(result.hits, copies)
        data["hits"] = [{**g.hit.to_dict(), "copies": list(g.copies), "folded": list(g.folded),
                         "same_text": _same_text(rmap, g.hit.id)} for g in groups]
        data["collapsed"] = True
    else:
        for hit in data["hits"]:
            hit["copies"] = copies(hit["id"])
            hit["same_text"] = _same_text(rmap, hit["id"])
    return data


def _same_text(rmap: StoryCopies | None, aid: str) -> list[str]:
    return rmap.duplicates(aid) if rmap is not None and aid in rmap else []


@dataclass(frozen=True, slots=True)
class StoryHits:
    """A result with each story once, for the window's result list (made off the GUI thread).

    ``copy_hits`` holds a :class:`Hit` for every copy listed under a group: the result's own hit
    (with its snippets) when the copy was a hit, else one made from the reuse map's metadata.
    """

    result: SearchResult
    groups: tuple[HitGroup, ...]
    copy_hits: dict[str, Hit]


def collapse_result(result: SearchResult, rmap: ReuseMap | ExactCopies | None) -> StoryHits:
    """Group ``result``'s hits by story (see :func:`group_hits`) with a hit for every copy."""
    groups = tuple(group_hits(result.hits, copies_lookup(rmap)))
    by_id = {h.id: h for h in result.hits}
    copy_hits: dict[str, Hit] = {}
    for g in groups:
        for aid in g.copies:
            if aid in by_id:
                copy_hits[aid] = by_id[aid]
            elif rmap is not None and aid in rmap:
                m = rmap.article(aid)
                copy_hits[aid] = Hit(aid, "", m.title, m.source, "", _date(m.date), 0.0)
    return StoryHits(result, groups, copy_hits)


def _date(iso: str) -> date | None:
    try:
        return date.fromisoformat(iso[:10]) if iso else None
    except ValueError:
        return None


def with_source_names(result: SearchResult, name: Callable[[str], str]) -> SearchResult:
    """``result`` with every hit's source shown under the analyst's name for it (rename, merge)."""
    hits = tuple(h if name(h.source) == h.source else replace(h, source=name(h.source)) for h in result.hits)
    return result if all(a is b for a, b in zip(hits, result.hits, strict=True)) else replace(result, hits=hits)


class ExactCopies:
    """Articles whose body text is the same, paragraph for paragraph, from the fingerprints alone.

    Available as soon as the index is: the window collapses these exact copies in its results
    while the reuse map (which also finds edited and re-wrapped copies) is still being built.
    Answers like the map does (``copies``, ``duplicates``, ``article``, ``in``).
    """

    def __init__(self, prints: Prints) -> None:
        self._meta = {m.id: m for m in prints.meta}
        body = np.flatnonzero((prints.row_role == 0) & (prints.row_words >= MIN_WORDS) & (prints.row_exact != 0))
        self._groups: dict[str, list[str]] = {}
        if not len(body):
            return
        art = prints.row_art[body].astype(np.int64)
        starts = np.flatnonzero(np.r_[True, art[1:] != art[:-1]])
        ordinal = np.arange(len(art)) - np.repeat(starts, np.diff(np.r_[starts, len(art)]))
        with np.errstate(over="ignore"):  # wrapping 64-bit arithmetic is the point
            keyed = mix64(prints.row_exact[body] ^ (ordinal.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)))
            signature = np.add.reduceat(keyed, starts)
        by_sig: dict[int, list[str]] = {}
        for a, s in zip(art[starts].tolist(), signature.tolist(), strict=True):
            by_sig.setdefault(s, []).append(prints.meta[a].id)
        for ids in by_sig.values():
            if len(ids) > 1:
                for aid in ids:
                    self._groups[aid] = sorted(ids)

    def __contains__(self, aid: str) -> bool:
        return aid in self._meta

    def article(self, aid: str) -> ArticleMeta:
        """The stored metadata of an article."""
        return self._meta[aid]

    def copies(self, aid: str) -> list[str]:
        """The other articles with the same body text."""
        return [x for x in self._groups.get(aid, []) if x != aid]

    duplicates = copies


_exact_cache: dict[str, tuple[tuple[int, int], ExactCopies]] = {}
_exact_lock = threading.Lock()


def exact_copies(prints_file: Path | str) -> ExactCopies | None:
    """:class:`ExactCopies` of a corpus's stored fingerprints (read-only; None when there are none
    or they cannot be read), kept while the file is unchanged."""
    path = Path(prints_file)
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        with _exact_lock:
            cached = _exact_cache.get(str(path))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        found = ExactCopies(Prints.from_bytes(path.read_bytes()))
    except (OSError, ValueError):
        return None
    with _exact_lock:
        _exact_cache.clear()  # one corpus at a time is open
        _exact_cache[str(path)] = (stamp, found)
    return found
