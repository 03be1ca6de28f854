"""Manual alignment on generated copies of real articles: correcting the aligner, finding links
again after an edit, and the cost of anchors.

1. Correction: for each case the analyst links every pair the aligner missed (with the rest of
   its group: both pieces of a split) and marks every false link "not a match"; the aligner
   runs again with those decisions. Prints F1 before and
   after, and the collateral: correct links of the first run lost in the second (target 0).
2. Re-anchoring: every true link of a case is stored; then the left article is edited
   (``edit_5``/``edit_15``/``edit_30``/``sentences`` of gen_copies applied to the left side). Prints
   how many links land on the right paragraph, on a wrong one, or are reported stale.
3. Speed: one alignment of a long pair with 0, 10 and 50 anchors.

Usage: python bench/manual_links.py [--trials N] [--size N] [--seed N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from align_quality import Tally, predicted_links
from gen_copies import TRANSFORMS, load_pool, make_case

from app.core.align.paragraphs import align
from app.core.workspace.links import LINK, ArticleKey, PairLinks, decision, plan


def correction(pool: list[list[str]], trials: int, size: int, seed: int) -> None:
    print("1. correction: link what was missed, 'not a match' what was wrong, align again")
    print(f"{'transformation':<14} {'F1 before':>9} {'F1 after':>9} {'decisions':>9} {'collateral':>10}")
    for n, name in enumerate(TRANSFORMS):
        if name == "unrelated":
            continue
        rng = random.Random(seed * 1000 + n)
        before, after, decisions, collateral = Tally(), Tally(), 0, 0
        for _ in range(trials):
            case = make_case(name, rng, pool, rng.randint(max(1, size // 2), size * 3 // 2))
            got = predicted_links(align(case.left, case.right))
            # Where a link is missing the analyst links the paragraph's whole group (both pieces
            # of a split, say: Link These once per piece); every false link is "not a match".
            missed = case.links - got
            lefts, rights = {i for i, _ in missed}, {j for _, j in missed}
            anchors = [((i,), (j,)) for i, j in sorted(case.links) if i in lefts or j in rights]
            forbidden = got - case.links
            decisions += len(anchors) + len(forbidden)
            again = predicted_links(align(case.left, case.right, anchors=anchors, forbidden=forbidden))
            collateral += len((got & case.links) - again)
            for tally, links in ((before, got), (after, again)):
                tally.tp += len(links & case.links)
                tally.fp += len(links - case.links)
                tally.fn += len(case.links - links)
        print(f"{name:<14} {before.f1:>9.3f} {after.f1:>9.3f} {decisions:>9} {collateral:>10}")


def reanchoring(pool: list[list[str]], trials: int, size: int, seed: int) -> None:
    print("\n2. re-anchoring: each body paragraph of an article linked, then the article edited")
    print("   (right: found at the edited paragraph it became; wrong: at another; stale-ok: reported")
    print("   stale and really gone; stale-lost: reported stale although it is still there)")
    print(f"{'edit':<10} {'links':>6} {'right':>6} {'wrong':>6} {'stale-ok':>8} {'stale-lost':>10}")
    for n, name in enumerate(TRANSFORMS):
        if name == "unrelated":
            continue
        rng = random.Random(seed * 7000 + n)
        counts = dict.fromkeys(("right", "wrong", "stale-ok", "stale-lost"), 0)
        for _ in range(trials):
            case = make_case(name, rng, pool, rng.randint(max(1, size // 2), size * 3 // 2))
            original, edited, partner = case.left, case.right, case.left
            body = [p.index for p in original.body if p.norm.strip()]
            items = [decision(LINK, original, i, partner, i) for i in body]
            pair = PairLinks(ArticleKey.of(original), ArticleKey.of(partner), items)
            for i, r in zip(body, plan(pair, edited, partner).resolved, strict=True):
                targets = {j for a, j in case.links if a == i}
                if r.stale:
                    counts["stale-lost" if targets else "stale-ok"] += 1
                else:
                    counts["right" if r.left in targets else "wrong"] += 1
        print(f"{name:<10} {sum(counts.values()):>6} {counts['right']:>6} {counts['wrong']:>6} "
              f"{counts['stale-ok']:>8} {counts['stale-lost']:>10}")


def speed(pool: list[list[str]], seed: int) -> None:
    print("\n3. speed: a 300-paragraph pair (mixed edits)")
    rng = random.Random(seed)
    case = make_case("mixed", rng, pool, 300)
    links = sorted(case.links)
    for count in (0, 10, 50):
        anchors = [((i,), (j,)) for i, j in rng.sample(links, min(count, len(links)))]
        start = time.perf_counter()
        for _ in range(3):
            align(case.left, case.right, anchors=anchors, forbidden=[(0, 0)] if count else ())
        print(f"  {count:>3} anchors: {(time.perf_counter() - start) / 3 * 1000:7.1f} ms per alignment")


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements and print their tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--size", type=int, default=15, help="body paragraphs per original")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    pool = load_pool([])
    print(f"pool: {sum(map(len, pool))} real paragraphs from {len(pool)} articles; {args.trials} pairs per row")
    correction(pool, args.trials, args.size, args.seed)
    reanchoring(pool, args.trials, args.size, args.seed)
    speed(pool, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
