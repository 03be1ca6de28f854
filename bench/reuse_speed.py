"""Build the reuse map of a generated corpus and print time, memory, recall and false pairs.

Usage: ``python bench/reuse_speed.py --articles 10000 100000 [--seed 1] [--json]``

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

from corpusgen import GenArticle, generate, truth_pairs  # noqa: E402

from app.core.fingerprint import Prints  # noqa: E402
from app.core.model import Article, Paragraph, Role  # noqa: E402
from app.core.reuse import ReuseMap  # noqa: E402
from app.core.reuseindex import fingerprint_all  # noqa: E402
from app.core.text import display_text, normalize  # noqa: E402


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


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, nargs="+", default=[10_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for n in args.articles:
        result = run(n, args.seed)
        if args.json:
            print(json.dumps(result))
        else:
            for k, v in result.items():
                print(f"{k:20} {v}")
            print()
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
