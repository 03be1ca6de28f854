"""Time the aligner on two 200-paragraph articles against a naive all-pairs ``fuzz.ratio`` loop.

Usage: python bench/align_speed.py [--paragraphs N] [--repeat N]
Exits with status 1 when alignment takes 50 ms or more, or is not 10x faster than the loop.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen_copies import load_pool, make_case  # noqa: E402
from rapidfuzz import fuzz  # noqa: E402

from app.core.align import align  # noqa: E402
from app.core.model import Article  # noqa: E402


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


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Print both timings and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    case = make_case("edit_5", random.Random(7), load_pool(), args.paragraphs)
    left, right = case.left, case.right
    chars = sum(len(p.text) for p in left.paragraphs) + sum(len(p.text) for p in right.paragraphs)
    print(f"left {len(left.paragraphs)} paragraphs, right {len(right.paragraphs)} paragraphs, {chars} characters")
    align(left, right)  # warm-up
    fast = _median_ms(lambda: align(left, right), args.repeat)
    slow = _median_ms(lambda: naive(left, right), max(3, args.repeat // 5))
    ratio = slow / fast
    print(f"align():               {fast:8.1f} ms (median of {args.repeat})")
    print(f"naive fuzz.ratio loop: {slow:8.1f} ms")
    print(f"speed-up:              {ratio:8.1f}x")
    ok = fast < 50 and ratio >= 10
    print("targets (< 50 ms, >= 10x):", "ok" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
