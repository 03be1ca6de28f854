"""The naive Whoosh loop as a process of its own: what a user would write instead of Parallax.

One writer, ``add_document`` per file with Whoosh's default analyzer (path, a title line and
the text), one commit; it imports nothing but Whoosh. ``bench/index_speed.py --process``
times it from start to exit against ``parallax index CORPUS --index DIR``.

Usage: python bench/naive_index.py CORPUS INDEX_DIR
"""

from __future__ import annotations

import os
import sys


def main(corpus: str, index_dir: str) -> int:
    """Index every ``.txt``, ``.md`` and ``.html`` file under ``corpus`` into ``index_dir``."""
    from whoosh import index
    from whoosh.fields import ID, TEXT, Schema

    os.makedirs(index_dir, exist_ok=True)
    schema = Schema(path=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT)
    ix = index.create_in(index_dir, schema)
    writer = ix.writer()
    count = 0
    for folder, dirs, names in os.walk(corpus):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith((".txt", ".md", ".html", ".htm")):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            title = next((ln for ln in text.splitlines() if len(ln.split()) > 3), "")
            writer.add_document(path=path, title=title, body=text)
            count += 1
    writer.commit()
    print(f"{count} files indexed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
