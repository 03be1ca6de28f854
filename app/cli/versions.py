"""``parallax versions``: where else a passage appears, verbatim or edited."""

from __future__ import annotations

import argparse

from app.cli.common import (
    UserError,
    add_corpus_options,
    echo,
    ensure_indexed,
    open_corpus,
    print_json,
)

# Function-local imports: start-up time. Building the parser imports every command module,
# so each command imports the core it needs when it runs.


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``versions``."""
    p = sub.add_parser("versions", help="every article carrying a passage, verbatim or edited")
    p.add_argument("article", metavar="ID", nargs="?", default="",
                   help="article id, unique id prefix, or file path (left out of the answer)")
    p.add_argument("--paragraph", type=int, metavar="N", help="the passage is paragraph N (1-based, as ¶N)")
    p.add_argument("--text", metavar="TEXT", help="the passage is this text")
    p.add_argument("--limit", type=int, default=0, help="at most N versions (default: all)")
    add_corpus_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_versions)


def run_versions(args: argparse.Namespace) -> int:
    """Print every other article carrying the passage, most similar first."""
    from app.core.compare.passages import PassageError, corpus_versions

    if (args.paragraph is None) == (args.text is None):
        raise UserError("give either --paragraph N (with an article) or --text \"...\"")
    if args.paragraph is not None and not args.article:
        raise UserError("--paragraph needs an article id")
    corpus = open_corpus(args)
    ensure_indexed(corpus, quiet=args.json)
    aid = corpus.resolve(args.article).id if args.article else ""
    try:
        result = corpus_versions(corpus, aid=aid, paragraph=args.paragraph, text=args.text or "",
                                 limit=max(0, args.limit) or None)
    except PassageError as exc:
        raise UserError(str(exc)) from exc
    names = corpus.userdata.refresh().source
    data = result.to_dict()
    for m in data["matches"]:
        m["source"] = names(m["source"])
    if args.json:
        print_json(data)
        return 0
    n = len(result.matches)
    same = data["identical"]
    echo(f"{n} other article{'s' if n != 1 else ''} carr{'y' if n != 1 else 'ies'} this passage"
         f" ({same} verbatim, {n - same} edited)")
    for m in data["matches"]:
        paras = ",".join(f"¶{p}" for p in m["paragraphs"])
        echo(f"\n{m['similarity'] * 100:5.1f} %  {m['id']}  {paras}  {m['title']}")
        echo(f"         {m['source'] or 'unknown source'} · {m['date'] or 'undated'}")
        if m["changes"] is None:
            echo("         (not compared: similarity estimated from the fingerprints)")
        for c in (m["changes"] or [])[:12]:
            echo(f"         {c['tag']:7}  {c['passage'] or '—'}  →  {c['version'] or '—'}")
    return 0
