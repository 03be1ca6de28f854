"""Manual alignment from the command line: ``compare A B --link 3:5 --unlink 7 --not-a-match 4:6
[--save-links]`` and ``parallax links list`` / ``links clear A B``.

Paragraphs are named by their 1-based ¶ numbers, as the comparison view's gutter, ``parallax show``
and ``parallax story`` number them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.cli.common import UserError, add_corpus_options, echo, open_corpus, print_json

if TYPE_CHECKING:
    from app.core.reading.model import Alignment, Article, Paragraph
    from app.core.workspace.corpus import Corpus
    from app.core.workspace.links import ManualLink

# Function-local imports: start-up time. Building the parser imports every command module,
# so each command imports the core it needs when it runs.


def add_compare_options(p: argparse.ArgumentParser) -> None:
    """``--link``, ``--unlink``, ``--not-a-match`` and ``--save-links`` of ``compare``."""
    g = p.add_argument_group("manual alignment (paragraphs as 1-based ¶ numbers, as in the view's gutter)")
    g.add_argument("--link", action="append", default=[], metavar="L:R",
                   help="hold left ¶L and right ¶R in one row; the rest is aligned around it (repeatable)")
    g.add_argument("--unlink", action="append", default=[], metavar="N",
                   help="break the row holding left ¶N (or right ¶N written :N): its paragraphs are "
                   "not a match (repeatable)")
    g.add_argument("--not-a-match", action="append", default=[], metavar="L:R", dest="not_a_match",
                   help="never link left ¶L with right ¶R (repeatable)")
    g.add_argument("--save-links", action="store_true",
                   help="remember these decisions for this pair (kept with the corpus's user data)")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``links``."""
    p = sub.add_parser("links", help="list or clear the manual alignment links kept per pair of articles",
                       description="Manual links and not-a-match decisions made in the comparison view or "
                       "with compare --link/--unlink/--not-a-match --save-links. They are kept per pair of "
                       "articles with the corpus's user data (never in the index).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="every pair with manual decisions, and each decision")
    add_corpus_options(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=run_list)
    a = actions.add_parser("clear", help="forget the manual decisions about LEFT and RIGHT")
    a.add_argument("left", metavar="LEFT")
    a.add_argument("right", metavar="RIGHT")
    add_corpus_options(a)
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=run_clear)


def _number(text: str, flag: str) -> int:

    text = text.strip()
    if not text.isdigit() or int(text) < 1:
        raise UserError(f"{flag} takes 1-based ¶ numbers such as 3:5, not '{text[:20]}'")
    return int(text) - 1


def _pair_spec(spec: str, flag: str) -> tuple[int, int]:

    left, sep, right = spec.partition(":")
    if not sep:
        raise UserError(f"{flag} takes LEFT:RIGHT ¶ numbers such as 3:5, not '{spec[:20]}'")
    return _number(left, flag), _number(right, flag)


def has_decisions(args: argparse.Namespace) -> bool:
    """True when ``compare`` was given manual decisions."""
    return bool(getattr(args, "link", None) or getattr(args, "unlink", None) or getattr(args, "not_a_match", None))


def compare_alignment(args: argparse.Namespace, corpus: Corpus, left: Article, right: Article,
                      boilerplate: Callable[[Paragraph], bool] | None,
                      aligner: Callable[..., Alignment] | None = None) -> Alignment:
    """The alignment ``compare`` prints: the pair's remembered decisions, then the command's own.

    ``--unlink N`` acts on the row holding ¶N once the remembered decisions and the command's
    links are applied. With ``--save-links`` the decisions are written for the pair.

    Raises:
        UserError: a bad ¶ number or spec, or decisions that cannot be saved.
    """
    from app.core.workspace.links import (
        LINK,
        NOT_A_MATCH,
        LinkError,
        align_pair,
        decision,
        pair_for,
        refreshed,
        with_decision,
    )
    from app.core.workspace.userdata import UserDataError

    store = corpus.userdata
    data = store.refresh()
    if store.problem:
        echo(store.problem, file=sys.stderr)
    if not has_decisions(args):
        return align_pair(left, right, data, boilerplate=boilerplate, aligner=aligner)
    stored = pair_for(data, left, right)
    items: list[ManualLink] = refreshed(stored.items if stored else [], left, right)
    try:
        for spec in args.link:
            i, j = _pair_spec(spec, "--link")
            items = with_decision(items, decision(LINK, left, i, right, j))
        for spec in args.not_a_match:
            i, j = _pair_spec(spec, "--not-a-match")
            items = with_decision(items, decision(NOT_A_MATCH, left, i, right, j))
        if args.unlink:
            current = align_pair(left, right, data, boilerplate=boilerplate, extra=items, stored=False,
                                 aligner=aligner)
            for spec in args.unlink:
                side = 1 if spec.startswith(":") else 0
                n = _number(spec.lstrip(":"), "--unlink")
                row = next((r for r in current.rows if n in (r.right if side else r.left)), None)
                if row is None or not row.is_match:
                    where = "right" if side else "left"
                    raise UserError(f"--unlink {spec}: {where} ¶{n + 1} is not in a linked row")
                for i in row.left:
                    for j in row.right:
                        items = with_decision(items, decision(NOT_A_MATCH, left, i, right, j))
    except LinkError as exc:
        raise UserError(str(exc)) from None
    if args.save_links:
        from app.core.workspace.links import save_pair

        try:
            save_pair(store, left, right, items)
        except UserDataError as exc:
            raise UserError(f"links not saved: {exc}") from None
        echo(f"Saved {len(items)} manual decision{'' if len(items) == 1 else 's'} for this pair.", file=sys.stderr)
    else:
        echo("Manual decisions applied to this run only (add --save-links to keep them).", file=sys.stderr)
    return align_pair(left, right, data, boilerplate=boilerplate, extra=items, stored=False, aligner=aligner)


def links_json(result: Alignment) -> dict[str, Any]:
    """``links`` of ``compare --json``: each decision with its ¶ numbers now, and how it was found."""
    plan = result.options.get("links")
    return {"links": plan} if plan else {}


def links_text(result: Alignment) -> list[str]:
    """The manual-decision lines of ``compare --text`` (none without decisions)."""
    plan = result.options.get("links")
    if not plan:
        return []
    lines = ["", f"manual: {plan['summary']}"]
    for item in plan["items"]:
        what = "link" if item["kind"] == "link" else "not a match"
        now = "stale" if item["how"] == "stale" else f"¶{item['left_para']}:¶{item['right_para']}"
        extra = "" if item["how"] == "exact" else f" (was ¶{item['was'][0]}:¶{item['was'][1]}, {item['how']})"
        lines.append(f"  {what:<12} {now}{extra}")
    return lines


def _pair_row(pair: Any) -> dict[str, Any]:
    data: dict[str, Any] = pair.to_json()
    for m in data["items"]:
        for side in ("left", "right"):
            m[side]["number"] = m[side]["index"] + 1  # the ¶N shown; index stays 0-based
            m[side]["text"] = m[side]["text"][:80]
    return data


def run_list(args: argparse.Namespace) -> int:
    """Print every pair with manual decisions."""
    corpus = open_corpus(args)
    store = corpus.userdata
    if store.problem:
        echo(store.problem, file=sys.stderr)
    pairs = store.data.links
    if args.json:
        print_json({"corpus": str(corpus.root), "pairs": [_pair_row(p) for p in pairs]})
        return 0
    for p in pairs:
        echo(f"{p.left.id}  <->  {p.right.id}   ({p.changed})")
        for m in p.items:
            what = "link" if m.kind == "link" else "not a match"
            echo(f"  {what:<12} ¶{m.left.index + 1}:¶{m.right.index + 1}  “{m.left.text[:40]}” | “{m.right.text[:40]}”")
    n = sum(len(p.items) for p in pairs)
    echo(f"{n} manual decision{'' if n == 1 else 's'} for {len(pairs)} pair{'' if len(pairs) == 1 else 's'}"
         f" in {corpus.root}")
    return 0


def run_clear(args: argparse.Namespace) -> int:
    """Forget the decisions about one pair."""
    from app.core.workspace.links import pair_for, save_pair
    from app.core.workspace.userdata import UserDataError

    corpus = open_corpus(args)
    left, right = corpus.resolve(args.left), corpus.resolve(args.right)
    store = corpus.userdata
    pair = pair_for(store.refresh(), left, right)
    count = len(pair.items) if pair else 0
    if count:
        try:
            save_pair(store, left, right, [])
        except UserDataError as exc:
            raise UserError(f"links not cleared: {exc}") from None
    if args.json:
        print_json({"cleared": count, "left": left.id, "right": right.id})
    else:
        echo(f"Cleared {count} manual decision{'' if count == 1 else 's'} for {left.id} <-> {right.id}.")
    return 0
