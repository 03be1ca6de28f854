"""``parallax boilerplate``, ``sources`` and ``thresholds``: the analyst's overrides of the reuse model.

They are kept per corpus in the user-data store (:mod:`app.core.workspace.userdata`), apart from the
index, and apply to compare, pairs, related, clusters and reports.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

import numpy as np

from app.cli.common import (
    UserError,
    add_corpus_options,
    echo,
    ensure_indexed,
    open_corpus,
    print_json,
)
from app.core.workspace.corpus import Corpus
from app.core.workspace.userdata import (
    KINDS,
    UserDataError,
    UserDataStore,
    source_counts,
    threshold_defaults,
    threshold_descriptions,
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the override subcommands."""
    p = sub.add_parser("boilerplate", help="mark paragraphs as boilerplate or content everywhere they recur",
                       description="Override the learned boilerplate: a mark applies to the paragraph's text "
                       "wherever it recurs in the corpus (compare, pairs, related, clusters, reports).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext in (("mark", "mark a paragraph (default: as boilerplate)"),
                           ("unmark", "remove a paragraph's mark")):
        a = actions.add_parser(name, help=helptext)
        a.add_argument("article", nargs="?", metavar="ID", help="article id, unique id prefix, or file path")
        a.add_argument("--paragraph", type=int, metavar="N",
                       help="paragraph ¶N, counted from 1 as `parallax show` and the window's gutter number them")
        a.add_argument("--text", metavar="TEXT", help="the paragraph's text instead of ID --paragraph N")
        if name == "mark":
            a.add_argument("--as", dest="kind", choices=KINDS, default="boilerplate")
        else:
            a.add_argument("--hash", metavar="HEX", help="the mark's hash as `boilerplate list --json` gives it")
        add_corpus_options(a)
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=run_mark if name == "mark" else run_unmark)
    a = actions.add_parser("list", help="list the marks, with the number of articles each recurs in")
    add_corpus_options(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=run_list)

    p = sub.add_parser("sources", help="list, rename and merge the corpus's sources",
                       description="Source names as the analyst wants them shown; stored per corpus.")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="every source with its articles and the name shown")
    _common(a)
    a.set_defaults(func=run_sources_list)
    a = actions.add_parser("rename", help="show source OLD as NEW")
    a.add_argument("old", metavar="OLD")
    a.add_argument("new", metavar="NEW")
    _common(a)
    a.set_defaults(func=run_sources_rename)
    a = actions.add_parser("merge", help="show several sources as one")
    a.add_argument("names", nargs="+", metavar="NAME")
    a.add_argument("--as", dest="as_name", required=True, metavar="NAME", help="the name shown for all of them")
    _common(a)
    a.set_defaults(func=run_sources_merge)
    a = actions.add_parser("reset", help="show the sources behind NAME under their own names again")
    a.add_argument("name", metavar="NAME")
    _common(a)
    a.set_defaults(func=run_sources_reset)

    p = sub.add_parser("thresholds", help="show or set the reuse model's thresholds for a corpus")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="every threshold with its value, default and meaning")
    _common(a)
    a.set_defaults(func=run_thresholds_list)
    a = actions.add_parser("set", help="set thresholds: NAME VALUE [NAME VALUE …]")
    a.add_argument("pairs", nargs="+", metavar="NAME VALUE")
    _common(a)
    a.set_defaults(func=run_thresholds_set)
    a = actions.add_parser("reset", help="every threshold back to its default")
    _common(a)
    a.set_defaults(func=run_thresholds_reset)


def _common(parser: argparse.ArgumentParser) -> None:
    add_corpus_options(parser)
    parser.add_argument("--json", action="store_true")


def _user_error(exc: UserDataError) -> Exception:

    return UserError(str(exc))


def _store(corpus: Corpus, quiet: bool = False) -> UserDataStore:
    store = corpus.userdata
    if store.problem and not quiet:
        echo(f"parallax: {store.problem}", file=sys.stderr)
    if not quiet:
        _notice(store)  # "the user data moved to ...", also for a command that only lists
    return store


def _notice(store: UserDataStore) -> None:
    if store.notice:
        echo(f"parallax: {store.notice}", file=sys.stderr)
        store.notice = None


# ---------------------------------------------------------------------- boilerplate


def _target(args: argparse.Namespace, corpus: Corpus) -> tuple[str, str]:
    """The paragraph's text and the text kept for listing."""

    if args.text is not None:
        if args.article or args.paragraph is not None:
            raise UserError("give either --text or ID --paragraph N, not both")
        return args.text, args.text
    if not args.article or args.paragraph is None:
        raise UserError("name the paragraph: ID --paragraph N, or --text \"…\"")
    article = corpus.resolve(args.article)
    if not 1 <= args.paragraph <= len(article.paragraphs):
        raise UserError(f"{article.id} has paragraphs ¶1 to ¶{len(article.paragraphs)} "
                        f"(as `parallax show` numbers them), not {args.paragraph}")
    para = article.paragraphs[args.paragraph - 1]
    return para.norm, para.text


def run_mark(args: argparse.Namespace) -> int:
    """Mark one paragraph text as boilerplate or content everywhere."""
    corpus = open_corpus(args)
    text, shown = _target(args, corpus)
    store = _store(corpus, args.json)
    try:
        mark = store.mark(text, args.kind, display=shown)
    except UserDataError as exc:
        raise _user_error(exc) from None
    _notice(store)
    if args.json:
        print_json({"marked": mark.to_dict()})
    else:
        echo(f"Marked as {mark.kind} everywhere it recurs: “{mark.text}”")
    return 0


def run_unmark(args: argparse.Namespace) -> int:
    """Remove a paragraph's mark."""

    corpus = open_corpus(args)
    store = _store(corpus, args.json)
    if args.hash:
        try:
            h = int(args.hash, 16)
        except ValueError:
            raise UserError(f"'{args.hash}' is not a mark's hash (16 hex digits)") from None
        target: dict[str, Any] = {"hash_": h}
    else:
        target = {"text": _target(args, corpus)[0]}
    try:
        removed = store.unmark(**target)
    except UserDataError as exc:
        raise _user_error(exc) from None
    _notice(store)
    if args.json:
        print_json({"unmarked": removed.to_dict() if removed else None})
    elif removed is None:
        echo("That paragraph was not marked; nothing changed.")
    else:
        echo(f"Mark removed ({removed.kind}): “{removed.text}”")
    return 0


def _recurrences(corpus: Corpus, hashes: list[int]) -> dict[int, int]:
    """How many articles carry each paragraph hash (from the reuse fingerprints)."""
    prints = corpus.reuse.prints()
    if not hashes or not len(prints.row_exact):
        return dict.fromkeys(hashes, 0)
    wanted = np.array(hashes, dtype=np.uint64)
    rows = np.flatnonzero(np.isin(prints.row_exact, wanted))
    counts: Counter[int] = Counter()
    for h, _art in {(int(prints.row_exact[r]), int(prints.row_art[r])) for r in rows.tolist()}:
        counts[h] += 1
    return {h: counts.get(h, 0) for h in hashes}


def run_list(args: argparse.Namespace) -> int:
    """List the marks."""
    corpus = open_corpus(args)
    ensure_indexed(corpus, quiet=args.json)
    store = _store(corpus, args.json)
    marks = sorted(store.data.marks.values(), key=lambda m: m.marked)
    where = _recurrences(corpus, [m.hash for m in marks])
    if args.json:
        print_json({"corpus": str(corpus.root), "file": str(store.path), "problem": store.problem,
                    "marks": [{**m.to_dict(), "articles": where[m.hash]} for m in marks]})
        return 0
    for m in marks:
        echo(f"{m.kind:11}  {where[m.hash]:5} article{'s' if where[m.hash] != 1 else ' '}  "
              f"{m.marked[:10]}  {m.hash:016x}  {m.text}")
    echo(f"{len(marks)} mark{'s' if len(marks) != 1 else ''} ({store.path})")
    return 0


# ---------------------------------------------------------------------- sources


def _sources(args: argparse.Namespace) -> tuple[Corpus, UserDataStore, Counter[str]]:
    corpus = open_corpus(args)
    ensure_indexed(corpus, quiet=args.json)
    return corpus, _store(corpus, args.json), source_counts(corpus)


def _source_rows(store: UserDataStore, counts: Counter[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"source": raw, "shown_as": store.data.source(raw), "articles": n}
                                  for raw, n in counts.items() if raw]
    rows.sort(key=lambda r: (r["shown_as"].casefold(), r["source"]))
    return rows


def run_sources_list(args: argparse.Namespace) -> int:
    """List the sources and the names they are shown under."""
    _corpus, store, counts = _sources(args)
    rows = _source_rows(store, counts)
    if args.json:
        print_json({"sources": rows, "unknown_source_articles": counts.get("", 0)})
        return 0
    for r in rows:
        shown = f"  → {r['shown_as']}" if r["shown_as"] != r["source"] else ""
        echo(f"{r['articles']:6}  {r['source']}{shown}")
    names = {r["shown_as"] for r in rows}
    echo(f"{len(rows)} source{'s' if len(rows) != 1 else ''} shown as {len(names)} name"
          f"{'s' if len(names) != 1 else ''}; {counts.get('', 0)} article(s) without a source")
    return 0


def _changed(args: argparse.Namespace, store: UserDataStore, counts: Counter[str], raws: set[str],
             name: str | None) -> int:
    _notice(store)
    if args.json:
        print_json({"changed": sorted(raws), "shown_as": name, "sources": _source_rows(store, counts)})
    elif name is None:
        echo(f"Shown under their own names again: {', '.join(sorted(raws)) or 'nothing'}")
    else:
        echo(f"{', '.join(sorted(raws))} now shown as “{name}”")
    return 0


def run_sources_rename(args: argparse.Namespace) -> int:
    """Show one source under another name."""
    _corpus, store, counts = _sources(args)
    try:
        raws = store.rename_source(args.old, args.new, counts)
    except UserDataError as exc:
        raise _user_error(exc) from None
    return _changed(args, store, counts, raws, " ".join(args.new.split()))


def run_sources_merge(args: argparse.Namespace) -> int:
    """Show several sources as one."""

    if len(args.names) < 2:
        raise UserError("merge needs two sources or more: merge A B --as NAME")
    _corpus, store, counts = _sources(args)
    try:
        raws = store.merge_sources(args.names, args.as_name, counts)
    except UserDataError as exc:
        raise _user_error(exc) from None
    return _changed(args, store, counts, raws, " ".join(args.as_name.split()))


def run_sources_reset(args: argparse.Namespace) -> int:
    """Undo renames and merges of one name."""
    _corpus, store, counts = _sources(args)
    try:
        raws = store.reset_source(args.name)
    except UserDataError as exc:
        raise _user_error(exc) from None
    return _changed(args, store, counts, raws, None)


# ---------------------------------------------------------------------- thresholds


def _threshold_rows(store: UserDataStore) -> list[dict[str, Any]]:
    current = store.data.reuse_thresholds()
    descriptions = threshold_descriptions()
    return [{"name": name, "value": getattr(current, name), "default": default,
             "set": name in store.data.thresholds, "description": descriptions.get(name, "")}
            for name, default in threshold_defaults().items()]


def run_thresholds_list(args: argparse.Namespace) -> int:
    """Print the thresholds of the corpus's reuse model."""
    store = _store(open_corpus(args), args.json)
    rows = _threshold_rows(store)
    if args.json:
        print_json({"thresholds": rows})
        return 0
    for r in rows:
        flag = "*" if r["set"] else " "
        echo(f"{flag} {r['name']:24} {r['value']!s:>8}  (default {r['default']})  {r['description']}")
    echo("* set for this corpus")
    return 0


def run_thresholds_set(args: argparse.Namespace) -> int:
    """Set thresholds for the corpus."""

    if len(args.pairs) % 2:
        raise UserError("give NAME VALUE pairs, e.g. thresholds set source_articles 4")
    store = _store(open_corpus(args), args.json)
    values = dict(zip(args.pairs[::2], args.pairs[1::2], strict=True))
    try:
        store.set_thresholds(values)
    except UserDataError as exc:
        raise _user_error(exc) from None
    _notice(store)
    return run_thresholds_list(args)


def run_thresholds_reset(args: argparse.Namespace) -> int:
    """Every threshold back to its default."""
    store = _store(open_corpus(args), args.json)
    try:
        store.reset_thresholds()
    except UserDataError as exc:
        raise _user_error(exc) from None
    _notice(store)
    return run_thresholds_list(args)
