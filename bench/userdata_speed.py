"""Time the user-data store: opening it, ``refresh()`` (called per aligned pair), one mark, one
manual-link change, with a store already holding many decisions. Prints medians; CPU seconds too.

    .venv/bin/python bench/userdata_speed.py [--marks 2000] [--pairs 300] [--repeat 7]

It runs against whichever Parallax the interpreter imports (the JSON store before issue 15 §5,
the SQLite store after), in a temporary data folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _median(fn: Callable[[], object], repeat: int, inner: int = 1) -> tuple[float, float]:
    """Median wall and CPU seconds of one call of ``fn`` (``inner`` calls per sample)."""
    walls, cpus = [], []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        for _ in range(inner):
            fn()
        walls.append((time.perf_counter() - w) / inner)
        cpus.append((time.process_time() - c) / inner)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--marks", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="userdata-bench-"))
    os.environ["PARALLAX_DATA_DIR"] = str(tmp / "data")
    from app.core.reading.model import Article, Paragraph, Role
    from app.core.workspace import links
    from app.core.workspace.userdata import UserDataStore

    root = tmp / "corpus"
    root.mkdir()

    def article(aid: str, n: int) -> Article:
        texts = [f"Paragraph {k} of story {aid}, about the harbour board and the ferry strike {n}." for k in range(6)]
        paragraphs = [Paragraph(k, t, t.lower(), 0, len(t), Role.BODY) for k, t in enumerate(texts)]
        return Article(id=aid, path=f"/t/{aid}", title=aid, paragraphs=paragraphs, text="\n\n".join(texts))

    store = UserDataStore(root)
    fill_start = time.perf_counter()

    def fill(d: object) -> None:
        from app.core.workspace.userdata import Mark, text_hash

        for n in range(args.marks):
            text = f"Marked paragraph number {n} of the corpus, with a few words to hash."
            h = text_hash(text)
            d.marks[h] = Mark(h, "boilerplate" if n % 3 else "content", text[:80], "2024-01-01T00:00:00+00:00")  # type: ignore[attr-defined]
        for n in range(args.pairs):
            left, right = article(f"l{n}", n), article(f"r{n}", n)
            items = [links.decision(links.LINK, left, k, right, k) for k in range(3)]
            links.set_pair(d, left, right, items, "2024-01-01")  # type: ignore[arg-type]

    store.change(fill)
    print(f"store: {args.marks} marks, {args.pairs} pairs x 3 links; filled in {time.perf_counter() - fill_start:.2f} s",
          file=sys.stderr)
    files = sorted(p.name for p in store.path.parent.iterdir())
    size = sum(p.stat().st_size for p in store.path.parent.iterdir())
    print(f"files: {', '.join(files)} ({size / 1e6:.2f} MB)")

    wall, cpu = _median(lambda: UserDataStore(root), args.repeat)
    print(f"open (read every decision): {wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} ms CPU")
    wall, cpu = _median(store.refresh, args.repeat, inner=2000)
    print(f"refresh, nothing changed: {wall * 1e6:.2f} us wall, {cpu * 1e6:.2f} us CPU")
    counter = iter(range(10**9))
    wall, cpu = _median(lambda: store.mark(f"A new paragraph {next(counter)} for the bench, marked now.", "content"),
                        args.repeat, inner=5)
    print(f"one mark: {wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} ms CPU")
    left, right = article("l7", 7), article("r7", 7)
    flip = iter(range(10**9))
    wall, cpu = _median(lambda: links.edit_pair(store, left, right, lambda items: links.with_decision(
        items, links.decision(links.NOT_A_MATCH if next(flip) % 2 else links.LINK, left, 4, right, 4))),
        args.repeat, inner=3)
    print(f"one manual-link change: {wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} ms CPU")
    other = UserDataStore(root)
    other.mark("Another process marks this paragraph, with enough words.", "boilerplate")
    wall, cpu = _median(lambda: (other.mark(f"Other writer {next(counter)} marks a paragraph.", "content"),
                                 store.refresh()), args.repeat, inner=3)
    print(f"another writer's mark, then refresh here: {wall * 1e3:.2f} ms wall, {cpu * 1e3:.2f} ms CPU")


if __name__ == "__main__":
    main()
