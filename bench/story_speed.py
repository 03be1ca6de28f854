"""Time the story view on a generated corpus with one story carried by 200 outlets.

Usage: ``python bench/story_speed.py [--copies 200] [--runs 3] [--gui] [--json]``

The corpus is written by the syndication fixture (``tests/fixtures/syndication.py``: each outlet
with its furniture, copies edited, retyped, trimmed or cut, HTML and text) to a temporary folder,
read, and mapped (``build_map``). Then, with the files read from disk as the window does
(``read_article``, nothing cached between runs):

- **open**: :func:`app.core.compare.story.build_story` (every copy aligned with the origin, labels,
  coverage, derivation); target < 1 s;
- **collation** of each base paragraph (:meth:`Story.collation`); target < 100 ms each;
- **variants**: the whole table with its delta kinds (:meth:`Story.variants`, first call), and
  its CSV text;
- with ``--gui`` (offscreen Qt), what the GUI thread does with a built story: filling the story
  tab (first and second time), showing one paragraph's collation, painting the timeline, and
  filtering the variants by kind; target < 100 ms each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.align.wordops import clear_cache
from app.core.compare.story import build_story
from app.core.reading.reader import read_article, read_corpus
from app.core.reuse.reuseindex import build_map
from tests.fixtures.syndication import build_corpus


def _gui(story) -> dict:
    """GUI-thread costs of a built story in the story tab (offscreen)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.ui.storyview import StoryView
    from app.ui.workers import WorkerPool

    app = QApplication.instance() or QApplication([])
    view = StoryView(story.asked, lambda *_a: story, WorkerPool(1), start=False)
    view.resize(1400, 900)
    view.show()
    app.processEvents()

    def timed(step) -> float:
        t = time.perf_counter()
        step()
        app.processEvents()
        return 1000 * (time.perf_counter() - t)

    view.story = story
    first = timed(view._show)
    second = timed(view._show)
    collations = [timed(lambda i=c.index: view.show_collation(i)) for c in story.coverage]
    view.side.setCurrentIndex(2)
    paint = timed(view.timeline.repaint)
    kind = timed(lambda: view.set_kind("attribution"))
    return {"gui_fill_first_ms": round(first, 1), "gui_fill_again_ms": round(second, 1),
            "gui_collation_max_ms": round(max(collations), 1), "gui_timeline_paint_ms": round(paint, 1),
            "gui_kind_filter_ms": round(kind, 1)}


def run(copies: int, runs: int, with_gui: bool = False) -> dict:
    """Generate, map, and time the story of ``copies`` copies ``runs`` times."""
    with tempfile.TemporaryDirectory(prefix="story-bench-") as tmp:
        root = Path(tmp) / "corpus"
        t0 = time.perf_counter()
        syn = build_corpus(root, outlets=copies, fanouts=(copies, 8), own=1, seed=11)
        articles = read_corpus(root).articles
        rmap = build_map(articles)
        setup = time.perf_counter() - t0
        story_truth = max(syn.stories, key=lambda s: len(s.copies))
        aid = story_truth.copies[len(story_truth.copies) // 2]

        def load(x: str):
            return read_article(root / x, root)

        opens, collations, variants, csvs = [], [], [], []
        story = None
        for _ in range(runs):
            clear_cache()
            t = time.perf_counter()
            story = build_story(rmap, load, aid)
            opens.append(time.perf_counter() - t)
            for index in [c.index for c in story.coverage]:
                t = time.perf_counter()
                story.collation(index)
                collations.append(time.perf_counter() - t)
            t = time.perf_counter()
            table = story.variants()
            variants.append(time.perf_counter() - t)
            t = time.perf_counter()
            story.variants_csv()
            csvs.append(time.perf_counter() - t)
        assert story is not None
        gui = _gui(story) if with_gui else {}
        return {**gui,
            "copies": story.size, "expected_copies": len(story_truth.copies),
            "base_is_origin": story.base == story_truth.origin,
            "base_paragraphs": len(story.coverage), "variant_places": len(table),
            "edges": sum(e.directed for e in story.edges), "undirected_links": sum(not e.directed for e in story.edges),
            "setup_s": round(setup, 1),
            "open_ms_median": round(1000 * statistics.median(opens), 1),
            "open_ms_max": round(1000 * max(opens), 1),
            "collation_ms_median": round(1000 * statistics.median(collations), 2),
            "collation_ms_max": round(1000 * max(collations), 2),
            "variants_ms_median": round(1000 * statistics.median(variants), 1),
            "variants_csv_ms_median": round(1000 * statistics.median(csvs), 1),
        }


def main(argv: list[str] | None = None) -> int:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--gui", action="store_true", help="also time the story tab on the GUI thread (offscreen)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.copies, args.runs, args.gui)
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"story of {result['copies']} copies (planted {result['expected_copies']}), "
          f"base is the origin: {result['base_is_origin']}; {result['base_paragraphs']} base paragraphs, "
          f"{result['variant_places']} variant places, {result['edges']} derivation edges, "
          f"{result['undirected_links']} links of unknown direction (corpus + map in {result['setup_s']} s)")
    print(f"open (files read, aligned, labelled, derived): median {result['open_ms_median']} ms, "
          f"max {result['open_ms_max']} ms   (target < 1000 ms)")
    print(f"collation of one paragraph: median {result['collation_ms_median']} ms, "
          f"max {result['collation_ms_max']} ms   (target < 100 ms)")
    print(f"variants table with delta kinds: median {result['variants_ms_median']} ms; "
          f"its CSV {result['variants_csv_ms_median']} ms")
    if args.gui:
        print(f"GUI thread: fill the tab {result['gui_fill_first_ms']} ms first, {result['gui_fill_again_ms']} ms "
              f"again; show a collation max {result['gui_collation_max_ms']} ms; paint the timeline "
              f"{result['gui_timeline_paint_ms']} ms; filter by kind {result['gui_kind_filter_ms']} ms   "
              "(target < 100 ms each)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
