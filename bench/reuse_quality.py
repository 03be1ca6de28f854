"""Reuse-model quality on a generated multi-outlet corpus, for stories carried 2, 10, 50 and 200 times.

Usage: ``python bench/reuse_quality.py [--fanouts 2 10 50 200] [--outlets 200] [--own 2] [--seed 7] [--json]``

The corpus is :func:`tests.fixtures.syndication.build_corpus` (hand-written wire prose; every
outlet with its navigation line, a long disclaimer naming it, a "related stories" widget and a
copyright footer; edited, retyped and trimmed copies; a quarter of the outlets in HTML), written
to a temporary folder and read by the real reader. Printed per fan-out:

- ``body_linked``: share of the wire paragraphs two copies both carry that ``align`` (with the
  map's boilerplate) links as content, paragraph k to paragraph k (mean and worst over up to 40
  pairs, origin against each other copy);
- ``pairs_recall`` / ``pairs_precision``: the story's copy pairs found by the map, and the share
  of the pairs it reports for those copies that are copy pairs;
- ``related_recall``: share of the other copies listed by ``related`` for the origin;
- ``furniture``: share of the furniture paragraphs of the story's copies recognised as
  boilerplate (learned, or a non-body role from the reader);
- ``origin``: whether the cluster's likely origin is the true first copy;
- ``figure_agrees``: share of those pairs whose figure counted on the aligned rows equals the map's.

Corpus-wide: ``outlets_told_apart`` (articles whose source is their outlet's name, from the
reader's source extraction), distinct sources against outlets, furniture recognised overall.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.core.align.paragraphs import align
from app.core.reading.model import Article, Role, RowKind
from app.core.reading.reader import read_corpus
from app.core.reading.text import normalize
from app.core.reuse.reuseindex import build_map
from app.core.reuse.reusemap import shared_figure
from tests.fixtures.syndication import Syndication, build_corpus


def _tags(syn: Syndication, article: Article) -> list[tuple | None]:
    doc = syn.docs[article.id]
    by_norm = {normalize(t): tag for t, tag in zip(doc.paragraphs, doc.tags, strict=True)}
    return [by_norm.get(p.norm) for p in article.paragraphs]


def _linked(syn: Syndication, x: Article, y: Article, predicate) -> tuple[float, object]:
    tx, ty = _tags(syn, x), _tags(syn, y)
    pos_y = {t[2]: j for j, t in enumerate(ty) if t and t[0] == "story"}
    wanted = {(i, pos_y[t[2]]) for i, t in enumerate(tx) if t and t[0] == "story" and t[2] in pos_y}
    al = align(x, y, boilerplate=predicate)
    linked = {(i, j) for r in al.rows if r.kind in (RowKind.IDENTICAL, RowKind.CHANGED)
              for i in r.left for j in r.right}
    return len(wanted & linked) / max(len(wanted), 1), al


def run(fanouts: list[int], outlets: int, own: int, seed: int) -> dict:
    """Build the corpus, the map, and score every fan-out."""
    with tempfile.TemporaryDirectory(prefix="parallax-quality-") as tmp:
        t = time.perf_counter()
        syn = build_corpus(Path(tmp) / "corpus", outlets=max(outlets, *fanouts), fanouts=tuple(fanouts),
                           own=own, seed=seed)
        articles = {a.id: a for a in read_corpus(syn.root).articles}
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        rmap = build_map(articles.values())
        t_map = time.perf_counter() - t
    found_pairs = {(p.a, p.b) for p in rmap.iter_pairs()}

    def furniture_share(ids: list[str]) -> tuple[int, int]:
        total = hit = 0
        for aid in ids:
            a = articles[aid]
            for p, tag in zip(a.paragraphs, _tags(syn, a), strict=True):
                if tag and tag[0] == "furniture":
                    total += 1
                    hit += rmap.is_boilerplate_paragraph(p) or p.role is not Role.BODY
        return hit, total

    rng = random.Random(seed)
    rows = []
    for story in syn.stories:
        copies = story.copies
        truth = {(a, b) for i, a in enumerate(sorted(copies)) for b in sorted(copies)[i + 1:]}
        mine = {p for p in found_pairs if p[0] in set(copies) or p[1] in set(copies)}
        others = rng.sample(copies[1:], min(40, len(copies) - 1))
        shares, agree = [], 0
        for other in others:
            share, al = _linked(syn, articles[copies[0]], articles[other], rmap.is_boilerplate_paragraph)
            shares.append(share)
            agree += shared_figure(al).paragraphs == rmap.shared(copies[0], other).paragraphs
        related = {r.id for r in rmap.related(copies[0])}
        cluster = rmap.cluster_of(copies[0])
        hit, total = furniture_share(copies)
        rows.append({
            "fanout": len(copies),
            "body_linked_mean": round(sum(shares) / len(shares), 4),
            "body_linked_min": round(min(shares), 4),
            "pairs_recall": round(len(truth & mine) / len(truth), 4),
            "pairs_precision": round(len(truth & mine) / max(len(mine), 1), 4),
            "related_recall": round(len(related & set(copies)) / (len(copies) - 1), 4),
            "furniture": round(hit / max(total, 1), 4),
            "origin": bool(cluster and cluster.origin == story.origin),
            "origin_reason": cluster.reason if cluster else "no cluster",
            "versions": len(rmap.versions(copies[0])),
            "figure_agrees": round(agree / len(others), 4),
        })
    hit, total = furniture_share(list(articles))
    told = sum(articles[d.id].source == d.outlet for d in syn.docs.values())
    truth_all = syn.copy_pairs()
    return {
        "articles": len(articles), "outlets": len(syn.outlets),
        "read_s": round(t_read, 1), "map_s": round(t_map, 2),
        "per_fanout": rows,
        "pairs_recall": round(len(truth_all & found_pairs) / len(truth_all), 4),
        "pairs_precision": round(len(truth_all & found_pairs) / max(len(found_pairs), 1), 4),
        "furniture_recognised": round(hit / max(total, 1), 4),
        "outlets_told_apart": round(told / len(syn.docs), 4),
        "distinct_sources": len({a.source for a in articles.values()}),
        "origin_accuracy": round(sum(r["origin"] for r in rows) / len(rows), 4),
        "boilerplate_texts": rmap.boilerplate_count(),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fanouts", type=int, nargs="+", default=[2, 10, 50, 200])
    ap.add_argument("--outlets", type=int, default=200)
    ap.add_argument("--own", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    result = run(args.fanouts, args.outlets, args.own, args.seed)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['articles']} articles from {result['outlets']} outlets "
          f"(read {result['read_s']} s, map {result['map_s']} s)")
    cols = ["fanout", "body_linked_mean", "body_linked_min", "pairs_recall", "pairs_precision",
            "related_recall", "furniture", "origin", "versions", "figure_agrees"]
    print("  ".join(f"{c:>15}" for c in cols))
    for r in result["per_fanout"]:
        print("  ".join(f"{r[c]!s:>15}" for c in cols) + f"  ({r['origin_reason']})")
    for k in ("pairs_recall", "pairs_precision", "furniture_recognised", "outlets_told_apart",
              "distinct_sources", "origin_accuracy", "boilerplate_texts"):
        print(f"{k:22} {result[k]}")
    print("targets: body_linked >= 0.97 at every fan-out; pairs recall >= 0.97, precision >= 0.99; "
          "furniture >= 0.95")
    return 0


if __name__ == "__main__":
    sys.exit(main())
