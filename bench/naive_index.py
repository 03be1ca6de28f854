"""The naive Whoosh loop as a process of its own: what a user would write instead of Parallax.

One writer, ``add_document`` per file with Whoosh's default analyzer (path, a title line and
the text), one commit; it imports nothing but Whoosh. ``bench/index_speed.py --process``
times it from start to exit against ``parallax index CORPUS --index DIR``; with
``--measure`` it times the loop itself (reading the files, ``add_document``, the commit; not
starting Python, listing the files or creating the empty index) and prints the figures as
one JSON line, for ``bench/index_speed.py``'s in-process figures.

Usage: python bench/naive_index.py CORPUS INDEX_DIR
       python bench/naive_index.py --measure CORPUS INDEX_DIR [LIMIT]
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")  # what Parallax reads


def corpus_files(corpus: str) -> list[str]:
    """The corpus files, folder by folder, in name order."""
    found = []
    for folder, dirs, names in os.walk(corpus):
        dirs.sort()
        found.extend(os.path.join(folder, name) for name in sorted(names) if name.endswith(SUFFIXES))
    return found


def main(corpus: str, index_dir: str) -> int:
    """Index every corpus file under ``corpus`` into ``index_dir``."""
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    os.makedirs(index_dir, exist_ok=True)
    schema = Schema(path=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT)
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    count = 0
    for path in corpus_files(corpus):
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        title = next((ln for ln in text.splitlines() if len(ln.split()) > 3), "")
        writer.add_document(path=path, title=title, body=text)
        count += 1
    writer.commit()
    print(f"{count} files indexed")
    return 0


def _cpu() -> tuple[float, float]:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def measure(corpus: str, index_dir: str, limit: int | None = None) -> dict:
    """The naive loop timed without start-up, listing and index creation (see the module doc)."""
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    shutil.rmtree(index_dir, ignore_errors=True)
    os.makedirs(index_dir)
    t0 = time.perf_counter()
    schema = Schema(path=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT)
    ix = index.create_in(index_dir, schema)
    files = corpus_files(corpus)[:limit]
    untimed = time.perf_counter() - t0
    cpu0 = _cpu()
    t0 = time.perf_counter()
    writer = ix.writer()
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        title = next((ln for ln in text.splitlines() if len(ln.split()) > 3), "")
        writer.add_document(path=path, title=title, body=text)
    writer.commit()
    seconds = time.perf_counter() - t0
    own, workers = (b - a for a, b in zip(cpu0, _cpu(), strict=True))
    ix.close()
    return {"docs": len(files), "seconds": seconds, "own": own, "workers": workers, "skipped": 0,
            "untimed": untimed, "start": "-"}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        args = sys.argv[2:]
        print(json.dumps(measure(args[0], args[1], int(args[2]) or None if len(args) > 2 else None)))
        sys.exit(0)
    sys.exit(main(sys.argv[1], sys.argv[2]))
