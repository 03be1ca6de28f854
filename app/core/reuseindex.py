"""Reuse fingerprints kept in step with the corpus index and persisted next to it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.core.atomic import atomic_write_bytes
from app.core.fingerprint import Prints, fingerprint
from app.core.model import Article
from app.core.reader import ReadError, read_article
from app.core.reuse import ReuseMap, ReuseOverrides, Thresholds

if TYPE_CHECKING:
    from app.core.index import CorpusIndex

PRINTS_FILE = "parallax-reuse.npz"
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


class ReuseIndex:
    """An :class:`~app.core.index.IndexListener` holding the fingerprints of one corpus.

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
        atomic_write_bytes(self.path, self.prints().to_bytes())

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
        return self._map
