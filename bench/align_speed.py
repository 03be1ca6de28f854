"""Time the aligner on two 200-paragraph articles against a naive all-pairs ``fuzz.ratio`` loop.

Usage: python bench/align_speed.py [--paragraphs N] [--repeat N]
Exits with status 1 when alignment takes 50 ms or more, or is not 10x faster than the loop
(medians of interleaved rounds). The aligner remembers tokenised paragraphs, as the GUI and the
reuse finder rely on when they align an article again; the first alignment of texts never seen
before is timed and printed too.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_copies import load_pool, make_case
from rapidfuzz import fuzz

from app.core.align.paragraphs import align
from app.core.align.wordops import clear_cache
from app.core.reading.model import Article


def naive(left: Article, right: Article) -> list[tuple[int, int, float]]:
    """Best right paragraph for each left one, scoring every pair with one ``fuzz.ratio`` call."""
    best = []
    for p in left.paragraphs:
        top = (-1, 0.0)
        for q in right.paragraphs:
            s = fuzz.ratio(p.norm, q.norm)
            if s > top[1]:
                top = (q.index, s)
        best.append((p.index, *top))
    return best


def _ms(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def _spread(values: list[float]) -> str:
    """Median with the middle half and the extremes, to show the machine's noise."""
    q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return f"{med:8.1f} ms  (middle half {q1:.1f}-{q3:.1f}, all {min(values):.1f}-{max(values):.1f})"


def main(argv: list[str] | None = None) -> int:
    """Print both timings and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=15, help="rounds; each times the loop and the aligner")
    args = ap.parse_args(argv)
    case = make_case("edit_5", random.Random(7), load_pool(), args.paragraphs)
    left, right = case.left, case.right
    chars = sum(len(p.text) for p in left.paragraphs) + sum(len(p.text) for p in right.paragraphs)
    print(f"left {len(left.paragraphs)} paragraphs, right {len(right.paragraphs)} paragraphs, {chars} characters; "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    align(left, right)  # warm-up: imports, numpy tables
    naive(left, right)
    slow, cold, fast = [], [], []
    # Interleaved rounds, so that other processes slow both sides alike.
    for _ in range(args.repeat):
        slow.append(_ms(lambda: naive(left, right)))
        clear_cache()  # first alignment of these texts: tokenised and encoded from scratch
        cold.append(_ms(lambda: align(left, right)))
        fast.append(statistics.median(_ms(lambda: align(left, right)) for _ in range(3)))
    ratios = [s / f for s, f in zip(slow, fast, strict=True)]
    cold_ratios = [s / c for s, c in zip(slow, cold, strict=True)]
    ratio = statistics.median(slow) / statistics.median(fast)
    print(f"align():               {_spread(fast)}  median of {args.repeat} rounds")
    print(f"align(), first time:   {_spread(cold)}  (empty paragraph cache)")
    print(f"naive fuzz.ratio loop: {_spread(slow)}")
    print(f"speed-up:              {ratio:8.1f}x  (per round {min(ratios):.1f}-{max(ratios):.1f}x; "
          f"first time {statistics.median(slow) / statistics.median(cold):.1f}x, "
          f"per round {min(cold_ratios):.1f}-{max(cold_ratios):.1f}x)")
    ok = statistics.median(fast) < 50 and ratio >= 10
    print("targets (< 50 ms, >= 10x):", "ok" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
