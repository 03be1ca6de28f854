"""``parallax related``, ``clusters`` and ``pairs``: the corpus reuse map."""

from __future__ import annotations

import argparse
import sys

from app.cli.common import (
    add_corpus_options,
    echo,
    ensure_indexed,
    json_text,
    open_corpus,
    print_json,
)
from app.core.reuse.reusemap import ReuseMap
from app.core.workspace.corpus import Corpus


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the reuse subcommands."""
    p = sub.add_parser("related", help="articles sharing text with one article, best first")
    p.add_argument("article", metavar="ID", help="article id, unique id prefix, or file path")
    add_corpus_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_related)

    p = sub.add_parser("clusters", help="groups of articles copying one another, with the likely origin")
    add_corpus_options(p)
    p.add_argument("--min-shared", type=int, default=1, metavar="N",
                   help="link articles sharing at least N paragraphs (default 1)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_clusters)

    p = sub.add_parser("pairs", help="pairs of articles sharing text (boilerplate excluded), "
                                     "printed as they are found, cluster by cluster")
    add_corpus_options(p)
    p.add_argument("--min-shared", type=int, default=1, metavar="N",
                   help="only pairs sharing at least N paragraphs (default 1)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help='one JSON document {"pairs": [...]}, streamed')
    fmt.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    p.set_defaults(func=run_pairs)


def _map(args: argparse.Namespace) -> tuple[Corpus, ReuseMap]:
    corpus = open_corpus(args)
    ensure_indexed(corpus, quiet=args.json or getattr(args, "jsonl", False))
    return corpus, corpus.reuse_map()


def run_related(args: argparse.Namespace) -> int:
    """Print the articles sharing text with one article."""
    corpus, rmap = _map(args)
    aid = corpus.resolve(args.article).id
    related = rmap.related(aid)
    versions = rmap.versions(aid)  # the story's copies grouped by version (identical text)
    if args.json:
        print_json({"id": aid, "related": [r.to_dict(aid) for r in related],
                    "copies": rmap.copies(aid), "versions": versions})
        return 0
    echo(f"{len(related)} related article{'s' if len(related) != 1 else ''} for {aid}")
    copies = sum(len(v) for v in versions)
    if copies > 1:
        echo(f"this story: {copies} copies, {len(versions)} version{'s' if len(versions) != 1 else ''}")
    for r in related:
        echo(f"{r.figure(aid).describe('here', 'there')}  {r.id}  {r.date or 'undated'}  {r.title[:60]}")
    return 0


def run_clusters(args: argparse.Namespace) -> int:
    """Print the reuse clusters."""
    _corpus, rmap = _map(args)
    clusters = rmap.clusters(args.min_shared)
    if args.json:
        print_json({"clusters": [c.to_dict() for c in clusters]})
        return 0
    for n, c in enumerate(clusters, 1):
        origin = c.origin or "unknown"
        echo(f"cluster {n}: {len(c.members)} articles, {c.pairs} pairs; origin {origin} ({c.reason})")
        for m in c.members:
            mark = "*" if m.id == c.origin else " "
            echo(f"  {mark} {m.date or 'undated':10}  {m.source[:20]:20}  {m.id}  {m.title[:50]}")
    echo(f"{len(clusters)} cluster{'s' if len(clusters) != 1 else ''}")
    return 0


def run_pairs(args: argparse.Namespace) -> int:
    """Print the article pairs sharing text as they are found (never all held in memory)."""
    _corpus, rmap = _map(args)
    out = sys.stdout
    count = 0
    if args.json:
        out.write('{"pairs": [')
    for p in rmap.iter_pairs(args.min_shared):
        if args.json:
            out.write(("," if count else "") + "\n  " + json_text(p.to_dict(), indent=None))
        elif args.jsonl:
            out.write(json_text(p.to_dict(), indent=None) + "\n")
        else:
            echo(p.figure.describe(p.a, p.b))
        count += 1
    if args.json:
        out.write("\n]}\n" if count else "]}\n")
    elif not args.jsonl:
        echo(f"{count} pair{'s' if count != 1 else ''}")
    return 0
