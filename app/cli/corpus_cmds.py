"""``parallax index``, ``search``, ``articles`` and ``show``."""

from __future__ import annotations

import argparse
import html
import re
import sys
from typing import TYPE_CHECKING

from app.cli.common import (
    UserError,
    add_corpus_options,
    add_follow_links_option,
    echo,
    ensure_indexed,
    open_corpus,
    print_json,
    terminal_safe,
)

if TYPE_CHECKING:
    from app.core.search.facets import FacetCounts, Facets
    from app.core.workspace.corpus import Corpus

# Function-local imports: start-up time. `parallax index` and `search` share this module; what
# only search needs (copies, title marks, facets) loads when a search runs.


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the corpus subcommands."""
    p = sub.add_parser("index", help="index a corpus folder (incremental)")
    p.add_argument("corpus_dir", nargs="?", metavar="CORPUS", help="corpus folder (default: seeds/)")
    p.add_argument("--index", metavar="DIR", help="index folder (default: per-user data folder)")
    add_follow_links_option(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run_index)

    p = sub.add_parser("search", help="full-text search (Whoosh query language)")
    p.add_argument("query", help='e.g. alliance, "Shanghai Cooperation", title:Putin, Taiwan AND NOT China, allince~')
    add_corpus_options(p)
    p.add_argument("--limit", type=int, default=20, help="hits to return (default 20)")
    p.add_argument("--sort", choices=("score", "date"), default="score")
    p.add_argument("--collapse", action="store_true",
                   help="list each story once, with its number of copies (copies fold under the best hit)")
    add_facet_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_search)

    p = sub.add_parser("articles", help="list the corpus articles with their metadata")
    add_corpus_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_articles)

    p = sub.add_parser("show", help="print one article with its paragraphs",
                       description="Print one article, each paragraph as [¶N role start-end]: N counts from 1, "
                       "as the window's gutter, compare --link, boilerplate mark --paragraph and story "
                       "--paragraph do. With --json each paragraph has its 1-based number and its "
                       "0-based index.")
    p.add_argument("article", metavar="ID", help="article id, unique id prefix, or file path")
    add_corpus_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_show)


def run_index(args: argparse.Namespace) -> int:
    """Update the index and print what changed."""
    corpus = open_corpus(args, args.corpus_dir)
    report = corpus.update_index()
    if args.json:
        data = report.to_dict()
        data["messages"] = corpus.index.messages
        data["corpus"] = str(corpus.root)
        data["index"] = str(corpus.index.index_dir)
        print_json(data)
        return 0
    for message in corpus.index.messages:
        echo(message)
    for label, ids in (("added", report.added), ("updated", report.updated), ("removed", report.removed)):
        for aid in ids:
            echo(f"{label:8} {aid}")
    for s in report.skipped:
        echo(f"skipped  {s.path}: {s.reason}")
    echo(
        f"{corpus.name}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.removed)} removed, {len(report.skipped)} skipped, {report.unchanged} unchanged "
        f"({report.seconds:.2f} s)"
    )
    return 0


_TAG = re.compile(r"</?b>")


def _terminal_snippet(snippet: str) -> str:
    """A highlighted snippet for the terminal: its text made safe, then the bold marks added."""
    bold = sys.stdout.isatty()
    pieces = _TAG.split(snippet)
    marks = _TAG.findall(snippet)
    out = [terminal_safe(html.unescape(pieces[0]))]
    for mark, piece in zip(marks, pieces[1:], strict=True):
        out.append(("\033[1m" if mark == "<b>" else "\033[0m") if bold else ("[" if mark == "<b>" else "]"))
        out.append(terminal_safe(html.unescape(piece)))
    return "".join(out)


def run_search(args: argparse.Namespace) -> int:
    """Run a query and print the hits."""
    corpus = open_corpus(args)
    ensure_indexed(corpus, quiet=args.json)
    facets = facet_request(args, corpus)
    result = corpus.search(args.query, limit=max(1, args.limit), sort=args.sort,
                           narrow=facets.narrow if facets else None)
    from app.core.reuse.copies import (
        HitGroup,
        copies_lookup,
        group_hits,
        search_json,
        with_source_names,
    )
    from app.core.search.titlemarks import marked_title_html

    result = with_source_names(result, corpus.userdata.refresh().source)  # the analyst's names
    # Copies of each story: the saved table of the map (built once when stale), not the whole map.
    rmap, copies_source = corpus.copies_table() if args.json or args.collapse else (None, "")
    if args.json:
        data = search_json(result, rmap, collapse=args.collapse)
        data["copies_source"] = copies_source
        if facets is not None:
            data["filters"] = facets.filters.to_dict()
            if args.facets:
                data["facets"] = facets.result.to_dict()
        print_json(data)
        return 0
    echo(f"{result.total} hit{'s' if result.total != 1 else ''} for {result.query}")
    if facets is not None and args.facets:
        print_facets(facets.result)
    if args.collapse:
        groups = group_hits(result.hits, copies_lookup(rmap))
    else:
        groups = [HitGroup(h) for h in result.hits]
    for group in groups:
        hit = group.hit
        when = hit.date.isoformat() if hit.date else "undated"
        title = _terminal_snippet(marked_title_html(hit.title, hit.title_marks)) if hit.title_marks else None
        if title is None:
            echo(f"\n{hit.score:7.2f}  {hit.id}  {hit.title}")
        else:  # the words the query matched marked, as in snippets
            print(f"\n{hit.score:7.2f}  {terminal_safe(hit.id)}  {title}")  # made safe piece by piece
        echo(f"         {hit.source or 'unknown source'} · {when}"
             + (f" · +{len(group.copies)} cop{'y' if len(group.copies) == 1 else 'ies'}" if group.copies else ""))
        for s in hit.snippets:
            print(f"         … {_terminal_snippet(s)} …")  # made safe piece by piece
    return 0


def run_articles(args: argparse.Namespace) -> int:
    """List the parsed articles."""
    corpus = open_corpus(args)
    ensure_indexed(corpus, quiet=args.json)
    listing = corpus.listing()
    if args.json:
        print_json({"corpus": str(corpus.root), "articles": [a.to_dict() for a in listing]})
        return 0
    for a in listing:
        when = a.date.isoformat() if a.date else "undated"
        echo(f"{a.id:40}  {when:10}  {a.source[:20]:20}  {a.title[:70]}")
    echo(f"{len(listing)} articles in {corpus.root}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print one parsed article."""
    corpus = open_corpus(args)
    article = corpus.resolve(args.article)
    if args.json:
        data = article.to_dict(paragraphs=True)
        for p, shown in zip(article.paragraphs, data["paragraphs"], strict=True):
            shown["index"], shown["number"] = p.index, p.index + 1  # 0-based place, 1-based ¶N
        print_json(data)
        return 0
    echo(article.title)
    meta = " · ".join(x for x in (article.source, article.author,
                                  article.date.isoformat() if article.date else "") if x)
    if meta:
        echo(meta)
    echo()
    for p in article.paragraphs:
        echo(f"[¶{p.index + 1} {p.role} {p.start}-{p.end}] {p.text}\n")
    return 0


def add_facet_options(p: argparse.ArgumentParser) -> None:
    """``--facets`` and the facet filters of ``search``."""
    p.add_argument("--facets", action="store_true",
                   help="also count the hits by source, author, year, month and file type")
    p.add_argument("--source", action="append", default=[], metavar="NAME",
                   help="only hits from this source (the analyst's name or the page's; repeatable)")
    p.add_argument("--not-source", action="append", default=[], metavar="NAME", help="leave this source out")
    p.add_argument("--author", action="append", default=[], metavar="NAME", help="only hits by this author")
    p.add_argument("--type", action="append", default=[], metavar="EXT", help="only this file type (html, txt, md)")
    p.add_argument("--from", dest="date_from", metavar="DATE",
                   help="published on or after DATE (YYYY-MM-DD, YYYY-MM or YYYY); undated articles are left out")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="published on or before DATE (inclusive)")


def facet_request(args: argparse.Namespace, corpus: Corpus) -> Facets | None:
    """The :class:`~app.core.search.facets.Facets` the options ask for (None when none is given)."""
    from app.core.search.facets import FacetFilter, Facets, parse_date

    try:
        lo = parse_date(args.date_from) if args.date_from else None
        hi = parse_date(args.date_to, end=True) if args.date_to else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if lo and hi and lo > hi:
        raise UserError(f"--from {lo.isoformat()} is after --to {hi.isoformat()}")
    filters = FacetFilter.of(include={"source": args.source, "author": args.author, "filetype": args.type},
                             exclude={"source": args.not_source}, date_from=lo, date_to=hi)
    if not args.facets and not filters.active:
        return None
    return Facets(filters, corpus.userdata.refresh().source)


def print_facets(counts: FacetCounts) -> None:
    """The facet counts, a few values per facet."""
    for name in ("source", "author", "year", "filetype"):
        values = counts.counts.get(name, [])
        if values:
            shown = ", ".join(f"{v or '(none)'} {n}" for v, n in values[:8])
            more = f", … {len(values) - 8} more" if len(values) > 8 else ""
            echo(f"  {name}: {shown}{more}")
    if counts.undated:
        echo(f"  undated: {counts.undated}")
