"""Build the reuse map of a generated corpus and print time, memory, recall and false pairs.

Usage: ``python bench/reuse_speed.py --articles 10000 100000 [--seed 1] [--json]``
       ``python bench/reuse_speed.py --articles 100000 --wire 0.3 [--stories 300] [--max-copies 500]``

With ``--wire SHARE`` that share of the corpus is wire copies (``corpusgen.add_wire``): republications
of ``--stories`` originals by up to ``--max-copies`` outlets each, each outlet with its own header and
footer. It then also prints, for the wire stories: copies found by ``related`` for each original,
clusters that hold exactly the story, likely origins right, pairs counted against the expected
number, wire furniture learned, the share of a copy's planted paragraphs ``align`` links as content,
and the time of ``related`` for one article (the largest story's original, and 500 random articles).

The corpus comes from ``bench/corpusgen.py`` in memory (every paragraph marked body, so that the
boilerplate must be learned, not read from roles). Timed: fingerprinting, the map (boilerplate,
matches, pairs), clusters, and saving/loading the fingerprint file. Recall is over planted pairs
sharing at least 3 paragraphs; a false pair is a reported pair that shares no planted paragraph
(a pair sharing only boilerplate would be one).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpusgen import GenArticle, add_wire, generate, truth_pairs

from app.core.align.paragraphs import align
from app.core.reading.model import Article, Paragraph, Role, RowKind
from app.core.reading.text import display_text, normalize
from app.core.reuse.fingerprint import Prints
from app.core.reuse.reuseindex import fingerprint_all
from app.core.reuse.reusemap import ReuseMap


def to_article(g: GenArticle) -> Article:
    """An :class:`Article` as the reader would give it, with every paragraph a body paragraph."""
    paras = [Paragraph(0, g.title, normalize(g.title), 0, 0, Role.TITLE)]
    for i, raw in enumerate(g.paragraphs, 1):
        paras.append(Paragraph(i, display_text(raw), normalize(raw), 0, 0, Role.BODY))
    return Article(id=g.id, path=g.id, title=g.title, source=g.source, author=g.author, date=g.date,
                   paragraphs=paras, content_hash=g.id)


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int, seed: int) -> dict:
    """Generate ``n`` articles, build the map, score it against the planted pairs."""
    t = time.perf_counter()
    gen = generate(n, seed)
    truth = truth_pairs(gen)
    articles = [to_article(g) for g in gen]
    del gen
    t_gen = time.perf_counter() - t
    rss_before = rss_mb()

    t = time.perf_counter()
    prints = fingerprint_all(articles)
    t_fp = time.perf_counter() - t
    del articles
    t = time.perf_counter()
    rmap = ReuseMap(prints)
    pairs = rmap.pairs()
    t_map = time.perf_counter() - t
    t = time.perf_counter()
    clusters = rmap.clusters()
    t_clusters = time.perf_counter() - t
    t = time.perf_counter()
    data = prints.to_bytes()
    t_save = time.perf_counter() - t
    t = time.perf_counter()
    Prints.from_bytes(data)
    t_load = time.perf_counter() - t

    found = {(p.a, p.b) for p in pairs}
    wanted = {k for k, v in truth.items() if v >= 3}
    hit = wanted & found
    false = found - truth.keys()
    weak = {k for k, v in truth.items() if v < 3}
    return {
        "articles": n,
        "paragraphs": int(len(prints.row_art)),
        "fingerprints": int(len(prints.fp)),
        "generate_s": round(t_gen, 1),
        "fingerprint_s": round(t_fp, 1),
        "map_s": round(t_map, 1),
        "clusters_s": round(t_clusters, 2),
        "build_total_s": round(t_fp + t_map + t_clusters, 1),
        "save_s": round(t_save, 2),
        "load_s": round(t_load, 2),
        "file_mb": round(len(data) / 2**20, 1),
        "peak_rss_mb": round(rss_mb()),
        "rss_growth_mb": round(rss_mb() - rss_before),
        "planted_pairs": len(truth),
        "planted_pairs_ge3": len(wanted),
        "recall_ge3": round(len(hit) / max(len(wanted), 1), 4),
        "recall_lt3": round(len(weak & found) / max(len(weak), 1), 4),
        "reported_pairs": len(found),
        "false_pairs": len(false),
        "false_examples": sorted(false)[:5],
        "missed_examples": sorted(wanted - found)[:5],
        "clusters": len(clusters),
        "boilerplate_texts": rmap.boilerplate_count(),
    }


_CHILD = """
import resource, sys, threading, time, traceback
sys.path.insert(0, sys.argv[2])
from pathlib import Path
from app.core.reuse.fingerprint import Prints
from app.core.reuse.reusemap import ReuseMap
t = time.perf_counter()
prints = Prints.from_bytes(Path(sys.argv[1]).read_bytes())
t_load = time.perf_counter() - t
t = time.perf_counter()
def build():
    ReuseMap(prints).clusters()
if len(sys.argv) > 3:
    # --gil: the file is loaded and the map built on a worker thread, as in the window, while this
    # thread ticks every 5 ms; a late tick is the time the worker held the GIL (the application's
    # switch interval).
    del prints
    def build():
        ReuseMap(Prints.from_bytes(Path(sys.argv[1]).read_bytes())).clusters()
    sys.setswitchinterval(0.002)
    worker = threading.Thread(target=build)
    worker.start()
    # The worker's own CPU time over a late tick tells a GIL held (it ran all along) from a
    # machine too busy to run either thread.
    clock = time.pthread_getcpuclockid(worker.ident)
    gaps, last, before, ran = [], time.perf_counter(), "", time.clock_gettime(clock)
    while worker.is_alive():
        time.sleep(0.005)
        now = time.perf_counter()
        frame = sys._current_frames().get(worker.ident)
        try:
            cpu = time.clock_gettime(clock)
        except OSError:  # the worker just ended
            break
        where = " < ".join(f"{f.name}:{f.lineno}" for f in reversed(traceback.extract_stack(frame)[-3:])) if frame else ""
        gaps.append((now - last - 0.005, cpu - ran, f"{before} -> {where}"))  # the wait began at or after ``before``
        last, before, ran = now, where, cpu
    worker.join()
    gaps.sort(reverse=True)
    print("GIL", round(1000 * gaps[0][0]), round(1000 * gaps[len(gaps) // 100][0]),
          "|".join(f"{1000 * g:.0f} ms (worker ran {1000 * c:.0f} ms) {w}" for g, c, w in gaps[:8]).replace(" ", "~"))
else:
    build()
t_map = time.perf_counter() - t
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so it would report the parent's size.
hwm = [line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM")]
peak = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(t_load, t_map, peak)
"""


SAVE_PRINTS: Path | None = None  # --save-prints: keep the fingerprint file for --map-only runs


def _map_alone(prints: Prints | Path, gil: bool = False) -> dict:
    """Load the fingerprint file and build the map and clusters in a fresh process: its time and peak memory.

    This is what the application does (the generated corpus of the bench is not in memory there).
    ``gil``: build it on a worker thread and time how long the worker keeps the main thread waiting.
    """
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".npz") as f:
        if isinstance(prints, Path):
            name = str(prints)
        else:
            data = prints.to_bytes()
            if SAVE_PRINTS is not None:
                SAVE_PRINTS.write_bytes(data)
            f.write(data)
            f.flush()
            name = f.name
        cmd = [sys.executable, "-c", _CHILD, name, str(Path(__file__).resolve().parent.parent), *(["gil"] if gil else [])]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
    extra = {}
    if gil:
        extra = {"gil_max_wait_ms": int(out[1]), "gil_p99_wait_ms": int(out[2]),
                 "gil_worst": [w.replace("~", " ") for w in out[3].split("|")]}
        out = out[4:]
    t_load, t_map, peak = (float(x) for x in out)
    return {"alone_load_s": round(t_load, 1), "alone_map_and_clusters_s": round(t_map, 1),
            "alone_peak_rss_mb": round(peak), **extra}


def run_wire(n: int, seed: int, share: float, stories: int, max_copies: int) -> dict:
    """``n`` articles of which ``share`` are wire copies; build the map and score the wire stories."""
    import random

    import numpy as np

    t = time.perf_counter()
    n_copies = int(n * share)
    gen = generate(n - n_copies, seed)
    base_truth = truth_pairs(gen)
    wire = add_wire(gen, stories=stories, copies=n_copies, max_copies=max_copies, seed=seed)
    tags = {g.id: g.tags for g in gen if g.id in wire or g.kind.startswith("wire")}
    furniture = [p for g in gen[-n_copies:][::max(1, n_copies // 300)]
                 for p, tg in zip(g.paragraphs, g.tags, strict=True) if tg is None]
    articles = [to_article(g) for g in gen]
    del gen
    t_gen = time.perf_counter() - t
    rss_before = rss_mb()

    t = time.perf_counter()
    prints = fingerprint_all(articles)
    t_fp = time.perf_counter() - t
    by_id = {a.id: a for a in articles}
    alone = _map_alone(prints)
    t = time.perf_counter()
    rmap = ReuseMap(prints)
    t_map = time.perf_counter() - t
    t = time.perf_counter()
    clusters = rmap.clusters()
    t_clusters = time.perf_counter() - t
    rss_build = rss_mb()

    related_ok = cluster_ok = origin_ok = 0
    for origin, ids in wire.items():
        want = set(ids)
        got = {r.id for r in rmap.related(origin)}
        related_ok += len(got & want)
        c = rmap.cluster_of(origin)
        cluster_ok += c is not None and {m.id for m in c.members} == want | {origin}
        origin_ok += c is not None and c.origin == origin
    t = time.perf_counter()
    counted = rmap.pair_count()
    t_count = time.perf_counter() - t
    expected_wire = sum((len(v) + 1) * len(v) // 2 for v in wire.values())

    # A copy's planted paragraphs linked as content by align, for pairs of the largest stories.
    rng = random.Random(seed)
    shares = []
    for origin, ids in sorted(wire.items(), key=lambda kv: -len(kv[1]))[:10]:
        for other in rng.sample(ids, 3):
            x, y = by_id[origin], by_id[other]
            tx, ty = tags[origin], tags[other]
            pos_y = {tg: j + 1 for j, tg in enumerate(ty) if tg is not None}
            want = {(i + 1, pos_y[tg]) for i, tg in enumerate(tx) if tg is not None and tg in pos_y}
            rows = align(x, y, boilerplate=rmap.is_boilerplate_paragraph, ops=False).rows
            linked = {(i, j) for r in rows if r.kind in (RowKind.IDENTICAL, RowKind.CHANGED)
                      for i in r.left for j in r.right}
            shares.append(len(want & linked) / max(len(want), 1))
    furn = [rmap.is_boilerplate(normalize(line)) for line in furniture]

    biggest = max(wire, key=lambda k: len(wire[k]))
    t = time.perf_counter()
    rmap.related(biggest)
    t_rel_big = time.perf_counter() - t
    sample = rng.sample(list(by_id), 500)
    times = []
    for aid in sample:
        t = time.perf_counter()
        rmap.related(aid)
        times.append(time.perf_counter() - t)
    base_wanted = {k for k, v in base_truth.items() if v >= 3}
    base_found = sum(rmap.shared(a, b).paragraphs > 0 for a, b in base_wanted)
    return {
        "articles": n, "wire_copies": n_copies, "wire_stories": len(wire),
        "largest_story": len(wire[biggest]) + 1,
        "paragraphs": int(len(prints.row_art)), "fingerprints": int(len(prints.fp)),
        "generate_s": round(t_gen, 1), "fingerprint_s": round(t_fp, 1), "map_s": round(t_map, 1),
        "clusters_s": round(t_clusters, 1), "build_total_s": round(t_fp + t_map + t_clusters, 1),
        "peak_rss_mb": round(rss_build), "rss_growth_build_mb": round(rss_build - rss_before),
        **alone,
        "wire_related_recall": round(related_ok / n_copies, 4),
        "wire_clusters_exact": f"{cluster_ok}/{len(wire)}",
        "wire_origin_right": f"{origin_ok}/{len(wire)}",
        "pairs_counted": counted, "wire_pairs_expected": expected_wire,
        "pair_count_s": round(t_count, 1),
        "body_linked_mean": round(float(np.mean(shares)), 4), "body_linked_min": round(min(shares), 4),
        "wire_furniture_learned": f"{sum(furn)}/{len(furn)}",
        "base_recall_ge3": round(base_found / max(len(base_wanted), 1), 4),
        "related_largest_ms": round(1000 * t_rel_big, 1),
        "related_p50_ms": round(1000 * float(np.median(times)), 2),
        "related_max_ms": round(1000 * max(times), 1),
        "clusters": len(clusters), "boilerplate_texts": rmap.boilerplate_count(),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, nargs="+", default=[10_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--wire", type=float, default=0.0, metavar="SHARE",
                    help="share of the corpus that is wire copies (0: the plain corpus)")
    ap.add_argument("--stories", type=int, default=300)
    ap.add_argument("--max-copies", type=int, default=500)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--save-prints", type=Path, metavar="FILE", help="keep the generated corpus's fingerprints")
    ap.add_argument("--map-only", type=Path, metavar="FILE",
                    help="only the fresh-process map build (time, peak memory) of a saved fingerprint file")
    ap.add_argument("--gil", action="store_true",
                    help="with --map-only: build on a worker thread and print the longest wait of the main thread")
    args = ap.parse_args(argv)
    if args.map_only:
        print(json.dumps(_map_alone(args.map_only, gil=args.gil)))
        return 0
    global SAVE_PRINTS
    SAVE_PRINTS = args.save_prints
    for n in args.articles:
        if args.wire:
            result = run_wire(n, args.seed, args.wire, args.stories, args.max_copies)
        else:
            result = run(n, args.seed)
        if args.json:
            print(json.dumps(result))
        else:
            for k, v in result.items():
                print(f"{k:24} {v}")
            print()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
