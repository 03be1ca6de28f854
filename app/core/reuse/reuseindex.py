"""Reuse fingerprints kept in step with the corpus index and persisted next to it."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.reading.model import Article
from app.core.reading.reader import ReadError, read_article
from app.core.reuse.fingerprint import FORMAT_VERSION, Prints, fingerprint, params
from app.core.reuse.reusemap import ReuseMap, ReuseOverrides, Thresholds
from app.core.storage import fsguard
from app.core.storage.atomic import atomic_write_bytes

if TYPE_CHECKING:
    from app.core.engine.index import CorpusIndex

PRINTS_FILE = "parallax-reuse.npz"
CLUSTERS_FILE = "parallax-clusters.npz"  # what search needs of the map (copies, same text)
CLUSTERS_VERSION = 1
BATCH = 128  # articles fingerprinted per vectorised pass (bounds each GIL-holding numpy call)


def build_map(articles: Iterable[Article], thresholds: Thresholds | None = None) -> ReuseMap:
    """The reuse map of articles held in memory (no index, nothing written)."""
    return ReuseMap(fingerprint_all(articles), thresholds)


def fingerprint_all(articles: Iterable[Article]) -> Prints:
    """Fingerprint any number of articles, in batches."""
    parts: list[Prints] = []
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= BATCH:
            parts.append(fingerprint(batch))
            batch = []
    if batch:
        parts.append(fingerprint(batch))
    return Prints.concat(parts)


def settings_key(thresholds: Thresholds | None, overrides: ReuseOverrides | None) -> str:
    """A digest of what, besides the fingerprints, decides the clusters: thresholds and marks."""
    o = overrides or ReuseOverrides()
    text = json.dumps([CLUSTERS_VERSION, FORMAT_VERSION, params(), repr(thresholds or Thresholds()),
                       sorted(o.boilerplate), sorted(o.content), sorted(o.source_alias.items())])
    return hashlib.sha256(text.encode()).hexdigest()


class CopiesTable:
    """The reuse map's copies of every article, saved beside the fingerprints.

    ``search --json`` reads this (milliseconds) instead of building the map (seconds to
    minutes on a large corpus). Answers like the map does: ``copies``, ``duplicates``, ``in``.
    """

    def __init__(self, ids: list[str], members: np.ndarray, starts: np.ndarray, version: np.ndarray,
                 key: dict[str, Any]) -> None:
        self.ids = ids
        self.members = members
        self.starts = starts
        self.version = version
        self.key = key  # what it was built from: fingerprint file stamp and settings digest
        self._pos = {aid: i for i, aid in enumerate(ids)}
        self._cluster = np.full(len(ids), -1, dtype=np.int32)
        for k in range(len(starts) - 1):
            self._cluster[members[starts[k]:starts[k + 1]]] = k

    @classmethod
    def of_map(cls, rmap: ReuseMap, key: dict[str, Any]) -> CopiesTable:
        """The table of a built map."""
        members, starts, version = rmap.copies_arrays()
        return cls([m.id for m in rmap.meta], members, starts, version, key)

    def __contains__(self, aid: str) -> bool:
        return aid in self._pos

    def _members(self, aid: str) -> tuple[int, np.ndarray] | None:
        i = self._pos.get(aid)
        if i is None or self._cluster[i] < 0:
            return None
        k = int(self._cluster[i])
        return i, self.members[self.starts[k]:self.starts[k + 1]]

    def copies(self, aid: str) -> list[str]:
        """The other articles of ``aid``'s cluster, oldest first (as :meth:`ReuseMap.copies`)."""
        found = self._members(aid)
        return [] if found is None else [self.ids[j] for j in found[1].tolist() if j != found[0]]

    def duplicates(self, aid: str) -> list[str]:
        """The other copies with the same version of the text (as :meth:`ReuseMap.duplicates`)."""
        found = self._members(aid)
        if found is None:
            return []
        i, members = found
        same = members[self.version[members] == self.version[i]]
        return sorted(self.ids[j] for j in same.tolist() if j != i)

    def to_bytes(self) -> bytes:
        """The ``.npz`` form."""
        buf = io.BytesIO()
        blob = np.frombuffer("\0".join(self.ids).encode("utf-8"), dtype=np.uint8)
        header = np.frombuffer(json.dumps(self.key).encode(), dtype=np.uint8)
        np.savez(buf, header=header, ids=blob, members=self.members, starts=self.starts, version=self.version)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> CopiesTable:
        """Read a table written by :meth:`to_bytes`.

        Raises:
            ValueError: not such a table, or damaged.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                key = json.loads(z["header"].tobytes().decode())
                text = z["ids"].tobytes().decode("utf-8")
                members = z["members"].astype(np.int32)
                starts = z["starts"].astype(np.int32)
                version = z["version"].astype(np.int32)
        except Exception as exc:  # a damaged file is any of a dozen numpy/zip/json errors
            raise ValueError(f"not a clusters table: {exc}") from exc
        ids = text.split("\0") if text else []
        n = len(ids)
        if (not isinstance(key, dict) or len(version) != n or len(starts) < 1 or starts[0] != 0
                or int(starts[-1]) != len(members) or np.any(np.diff(starts) < 0)
                or (len(members) and (members.min() < 0 or members.max() >= n))):
            raise ValueError("not a clusters table: inconsistent arrays")
        return cls(ids, members, starts, version, key)


class ReuseIndex:
    """An :class:`~app.core.engine.index.IndexListener` holding the fingerprints of one corpus.

    Changes are collected as the index reports them and merged, then written atomically, on
    ``committed()``. :meth:`map` first catches up with the files on disk once per process (a
    fingerprint file missing, damaged or of another version, or an index updated without this
    listener), so the map never silently misses an article.
    """

    def __init__(self, corpus_index: CorpusIndex, thresholds: Thresholds | None = None) -> None:
        self.corpus_index = corpus_index
        self.thresholds = thresholds
        self._prints: Prints | None = None
        self._changed: dict[str, Article | None] = {}  # None: removed
        self._held = 0
        # Fingerprinted changes not yet merged into the stored prints, and their article ids.
        self._parts: list[Prints] = []
        self._pending_ids: set[str] = set()
        self._map: ReuseMap | None = None
        self._synced = False
        self._unsaved = False  # merged prints not yet written (the stored file's stamp is not theirs)
        self.overrides: ReuseOverrides | None = None

    def configure(self, thresholds: Thresholds | None, overrides: ReuseOverrides | None) -> None:
        """Build the next map with these thresholds and analyst's overrides (a change drops the map)."""
        if thresholds != self.thresholds or overrides != self.overrides:
            self.thresholds, self.overrides = thresholds, overrides
            self._map = None

    @property
    def path(self) -> Path:
        """The fingerprint file."""
        return Path(self.corpus_index.index_dir) / PRINTS_FILE

    @property
    def clusters_path(self) -> Path:
        """The saved copies table (:class:`CopiesTable`)."""
        return Path(self.corpus_index.index_dir) / CLUSTERS_FILE

    def _key(self) -> dict[str, Any] | None:
        """What a copies table must have been built from to be current (None: no stored prints)."""
        try:
            st = self.path.stat()
        except OSError:
            return None
        return {"prints": [st.st_size, st.st_mtime_ns, st.st_ino],
                "settings": settings_key(self.thresholds, self.overrides)}

    def stored_stamp(self) -> list[int] | None:
        """The fingerprint file's ``[size, mtime_ns, inode]`` when the prints in memory are the
        stored ones (None: no file, or changes not yet written): what caches derived from the
        prints are keyed on."""
        if self._unsaved or self._changed or self._pending_ids:
            return None
        key = self._key()
        return None if key is None else key["prints"]

    def copies_table(self) -> CopiesTable | None:
        """The saved copies table when it is current with the stored fingerprints, thresholds
        and marks (None: missing, damaged or stale — build the map to refresh it).

        The caller brings the index up to date first: any change it commits rewrites the
        fingerprint file, whose stamp then no longer matches the table's.
        """
        if self._unsaved or self._changed or self._pending_ids:
            return None
        if self._map is not None:
            return CopiesTable.of_map(self._map, {})
        key = self._key()
        if key is None:
            return None
        try:
            table = CopiesTable.from_bytes(self.clusters_path.read_bytes())
        except (OSError, ValueError):
            return None
        return table if table.key == key else None

    def _save_table(self, rmap: ReuseMap) -> None:
        key = self._key()
        if key is None or self._unsaved:
            return
        with contextlib.suppress(OSError):  # only a cache: the next search builds the map again
            self._claim_folder()
            atomic_write_bytes(self.clusters_path, CopiesTable.of_map(rmap, key).to_bytes())

    # ------------------------------------------------------------------ IndexListener

    def article_indexed(self, article: Article) -> None:
        """Fingerprint ``article`` at the next commit."""
        self._changed[article.id] = article
        self._held += 1
        if self._held >= 4 * BATCH:
            self._held = 0
            self._fingerprint_changed()  # bounds the articles held in memory during a large update

    def article_removed(self, aid: str) -> None:
        """Forget ``aid`` at the next commit."""
        self._changed[aid] = None

    def committed(self) -> None:
        """Merge the changes and write the fingerprints."""
        self._merge()
        self.save()

    # ------------------------------------------------------------------ storage

    def prints(self) -> Prints:
        """The fingerprints as stored (loaded on first use; empty when missing or unreadable)."""
        if self._prints is None:
            try:
                self._prints = Prints.from_bytes(self.path.read_bytes())
            except (OSError, ValueError):
                self._prints = Prints.empty()
                self._synced = False
        return self._prints

    def save(self) -> None:
        """Write the fingerprints atomically."""
        self._claim_folder()
        atomic_write_bytes(self.path, self.prints().to_bytes())
        self._unsaved = False

    def _claim_folder(self) -> None:
        # Commands that only read articles (compare, related) save fingerprints before any
        # index commit: the folder gets its marker first, or the next write is refused as foreign.
        fsguard.claim_index_dir(self.corpus_index.index_dir, self.corpus_index.corpus_root)

    def _fingerprint_changed(self) -> None:
        """Fingerprint the changed articles into a pending part (the stored prints stay as they are).

        Rebuilding the whole fingerprint table every thousand articles made a large update
        quadratic, and each rebuild held the GIL long enough to freeze the window.
        """
        if not self._changed:
            return
        ids = set(self._changed)
        if ids & self._pending_ids:  # changed again: the newer prints win
            self._parts = [p.select(np.array([m.id not in ids for m in p.meta], dtype=bool))
                           for p in self._parts]
        self._parts.append(fingerprint_all(a for a in self._changed.values() if a is not None))
        self._pending_ids |= ids
        self._changed.clear()

    def _merge(self) -> None:
        self._fingerprint_changed()
        if not self._pending_ids:
            return
        prints = self.prints()
        keep = np.array([m.id not in self._pending_ids for m in prints.meta], dtype=bool)
        self._prints = Prints.concat([prints if keep.all() else prints.select(keep), *self._parts])
        self._parts = []
        self._pending_ids = set()
        self._map = None
        self._unsaved = True

    def sync(self) -> bool:
        """Fingerprint files whose size or mtime differ from the stored ones; drop vanished ones.

        Returns:
            True when the fingerprints changed (and were written).
        """
        found, _ = self.corpus_index.scan()
        stored = {m.id: m for m in self.prints().meta}
        for aid in stored.keys() - found.keys():
            self._changed[aid] = None
        for aid, (path, size, mtime) in found.items():
            m = stored.get(aid)
            if m is not None and m.size == size and m.mtime_ns == mtime:
                continue
            try:
                article = read_article(path, self.corpus_index.corpus_root)
            except ReadError:
                if m is not None:
                    self._changed[aid] = None
                continue
            self.article_indexed(article)
        self._synced = True
        if not self._changed:
            return False
        self.committed()
        return True

    def current_prints(self) -> Prints:
        """The fingerprints, up to date with the files, without building the map (passage lookups)."""
        if not self._synced:
            self.sync()
        self._merge()
        return self.prints()

    def map(self) -> ReuseMap:
        """The reuse map of the corpus, up to date with the files."""
        if not self._synced:
            self.sync()
        self._merge()
        if self._map is None:
            self._map = ReuseMap(self.prints(), self.thresholds, self.overrides)
            self._save_table(self._map)
        return self._map
