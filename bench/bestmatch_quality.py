"""Best match (Ctrl+B) on a generated multi-outlet corpus: right answers, no false ones, time.

Usage: ``python bench/bestmatch_quality.py [--outlets 50] [--sample 120] [--outside 40] [--seed 7]``

The corpus is :func:`tests.fixtures.syndication.build_corpus` (wire stories carried by several
outlets, and stories of each outlet's own). ``--outside`` wire copies and as many own stories are
moved out of the corpus folder before it is indexed, and opened as files, as a dropped file is.
Printed, for a sample of the corpus's articles and for the files outside it:

- ``wire``: copies of a wire story whose best match is another copy of the same story (among
  those whose story has another copy in the corpus);
- ``own``: stories of an outlet's own (no copy anywhere) whose best match is None;
- median and slowest time per call (warm index and reuse map).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.compare.bestmatch import best_match
from app.core.workspace.corpus import Corpus
from tests.fixtures.syndication import build_corpus


def _score(corpus: Corpus, story_of: dict[str, int | None], cases: list[tuple[str, object]]) -> str:
    times, wire, wire_n, own, own_n = [], 0, 0, 0, 0
    copies = {}  # story -> its copies in the corpus
    for aid in corpus.ids():
        copies.setdefault(story_of.get(aid), set()).add(aid)
    for aid, article in cases:
        t = time.perf_counter()
        found = best_match(corpus, article)  # type: ignore[arg-type]
        times.append(time.perf_counter() - t)
        if story_of[aid] is not None and not copies[story_of[aid]] - {aid}:
            continue  # no other copy of its story left in the corpus
        if story_of[aid] is None:
            own_n += 1
            own += found is None
        else:
            wire_n += 1
            wire += found is not None and found != aid and story_of.get(found) == story_of[aid]
    return (f"wire {wire}/{wire_n}  own None {own}/{own_n}  "
            f"median {1000 * statistics.median(times):.1f} ms  max {1000 * max(times):.0f} ms")


def main() -> None:
    """Build the corpus, move some files out, and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outlets", type=int, default=50)
    ap.add_argument("--sample", type=int, default=120, help="articles of the corpus asked about")
    ap.add_argument("--outside", type=int, default=40, help="wire copies (and own stories) moved outside")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="parallax-bestmatch-") as tmp:
        syn = build_corpus(Path(tmp) / "corpus", outlets=args.outlets, seed=args.seed)
        story_of = {d.id: d.story for d in syn.docs.values()}
        wire = [i for i, s in story_of.items() if s is not None]
        own = [i for i, s in story_of.items() if s is None]
        moved = rng.sample(wire, min(args.outside, len(wire) // 2)) + rng.sample(own, min(args.outside, len(own) // 2))
        outside = Path(tmp) / "outside"
        outside.mkdir()
        paths = {}
        for aid in moved:
            paths[aid] = outside / aid.replace("/", "_")
            shutil.move(str(syn.root / aid), paths[aid])
        corpus = Corpus(syn.root, Path(tmp) / "index")
        corpus.update_index()
        corpus.reuse_map()
        inside = rng.sample(corpus.ids(), min(args.sample, len(corpus.ids())))
        print(f"{len(corpus.ids())} articles, {len(moved)} files outside")
        print("in the corpus:     " + _score(corpus, story_of, [(a, a) for a in inside]))
        print("outside the corpus: " + _score(corpus, story_of, [(a, corpus.resolve(str(p))) for a, p in paths.items()]))


if __name__ == "__main__":
    main()
