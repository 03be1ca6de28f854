"""``parallax compare``: align two articles and print the rows as JSON or as two columns."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.common import UserError, add_follow_links_option, echo, follow_links, print_json
from app.core.align.paragraphs import align
from app.core.reading.model import Alignment, Article, Paragraph, Row, RowKind
from app.core.reuse.reusemap import SharedFigure, shared_figure

if TYPE_CHECKING:
    from app.core.reuse.reusemap import ReuseMap
    from app.core.workspace.corpus import Corpus

# Function-local imports: start-up time. Building the parser imports every command module,
# so each command imports the core (alignment, changes, reports) when it runs.

_MARKS = {
    RowKind.IDENTICAL: "=",
    RowKind.CHANGED: "~",
    RowKind.LEFT_ONLY: "<",
    RowKind.RIGHT_ONLY: ">",
    RowKind.BOILERPLATE: "#",
}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``compare``."""
    p = subparsers.add_parser(
        "compare",
        help="align two articles paragraph by paragraph",
        description="Align two articles paragraph by paragraph. LEFT and RIGHT are article ids, "
        "unique id prefixes (such as 001) or file paths. Paragraphs are ¶N from 1 (--link, reports, "
        "as parallax show and the window number them); in --json, rows name them by their 0-based "
        "index and each paragraph carries both its index and its number.",
    )
    p.add_argument("left", metavar="LEFT")
    p.add_argument("right", metavar="RIGHT")
    p.add_argument("--corpus", metavar="DIR", help="corpus folder for ids (default: the bundled seeds/)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the alignment as JSON")
    fmt.add_argument("--text", action="store_true", help="print a two-column rendering (default)")
    p.add_argument("--width", type=int, default=0, help="text width (default: the terminal's)")
    p.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    p.add_argument("--pdf", metavar="FILE", help="write a PDF report")

    add_follow_links_option(p)
    from app.cli.links import add_compare_options

    add_compare_options(p)
    p.set_defaults(func=run)


def _reuse_map(corpus: Corpus, *articles: Article) -> ReuseMap | None:
    # Only a corpus article makes the corpus's recurring paragraphs relevant (and worth a sync).
    if not any(a.id and corpus.contains(a.id) for a in articles):
        return None
    return corpus.reuse_map()


def _learned_boilerplate(corpus: Corpus, *articles: Article) -> Callable[[Paragraph], bool] | None:
    rmap = _reuse_map(corpus, *articles)
    return None if rmap is None else rmap.is_boilerplate_paragraph


def run(args: argparse.Namespace) -> int:
    """Align LEFT with RIGHT and print the result; returns the exit status."""

    if args.corpus and not Path(args.corpus).is_dir():
        raise UserError(f"corpus folder not found: {args.corpus}")
    from app.core.workspace.corpus import Corpus

    corpus = Corpus(args.corpus, follow_links_outside=follow_links(args))
    left = corpus.resolve(args.left)
    right = corpus.resolve(args.right)
    rmap = _reuse_map(corpus, left, right)
    from app.cli.links import compare_alignment, links_json, links_text

    result = compare_alignment(args, corpus, left, right, None if rmap is None else rmap.is_boilerplate_paragraph,
                               aligner=align)
    figure = shared_figure(result, rmap)  # the one "shared" figure (issue 14 §6)
    if args.html or args.pdf:
        from app.cli.session import export_alignment

        export_alignment(result, args.html, args.pdf, shared=figure)
        if not (args.json or args.text):
            return 0
    if args.json:
        data = {**result.to_dict(), "shared": figure.to_dict(), **changes_json(result), **links_json(result)}
        for side in ("left", "right"):  # rows name paragraphs by 0-based index; people read ¶N from 1
            for n, para in enumerate(data[side]["paragraphs"]):
                para["index"], para["number"] = n, n + 1
        print_json(data)
    else:
        width = args.width or shutil.get_terminal_size((120, 40)).columns
        echo("\n".join([render_text(result, max(40, width), figure), *links_text(result)]))
    return 0


def _marked(text: str, spans: list[tuple[int, int]], before: str, after: str) -> str:
    out, pos = [], 0
    for start, end in sorted(spans):
        out += [text[pos:start], before, text[start:end], after]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _side_text(result: Alignment, row: Row, side: int) -> str:
    article = result.left if side == 0 else result.right
    idx = row.left if side == 0 else row.right
    before, after = ("[-", "-]") if side == 0 else ("{+", "+}")
    parts = []
    for i in idx:
        text = article.paragraphs[i].text
        spans = [(s, e) for op in row.ops for (p, s, e) in (op.left if side == 0 else op.right) if p == i]
        parts.append(_marked(text, spans, before, after))
    return "\n".join(parts)


def render_text(result: Alignment, width: int = 120, figure: SharedFigure | None = None) -> str:
    """A readable two-column rendering: one block per row, marked ``= ~ < > #`` by kind.

    Changed rows show deleted or replaced words as ``[-word-]`` on the left and inserted or
    replacing words as ``{+word+}`` on the right; ``M`` flags a moved row. Chrome-only rows are
    cut to one line.
    """
    col = (width - 8) // 2
    lines = [f"{result.left.id}  <->  {result.right.id}", f"{result.left.title}  |  {result.right.title}", ""]
    for row in result.rows:
        mark = _MARKS[row.kind] + ("M" if row.moved else " ")
        cols = []
        for side in (0, 1):
            text = _side_text(result, row, side)
            wrapped = [w for para in text.split("\n") for w in (textwrap.wrap(para, col) or [""])]
            if row.kind is RowKind.BOILERPLATE or not row.is_match and _chrome(result, row, side):
                wrapped = [textwrap.shorten(text, col, placeholder="…")] if text else []
            cols.append(wrapped)
        height = max(len(cols[0]), len(cols[1]), 1)
        for n in range(height):
            left = cols[0][n] if n < len(cols[0]) else ""
            right = cols[1][n] if n < len(cols[1]) else ""
            score = f"{row.score:3.0f}" if n == 0 and row.is_match else "   "
            lines.append(f"{mark if n == 0 else '  '} {left:<{col}} {score} {right}".rstrip())
    figure = figure or shared_figure(result)
    lines += ["", figure.describe(), "rows: " + ", ".join(
        f"{k} {v}" for k, v in result.summary().by_kind.items() if v)]
    lines += changes_text(result)
    return "\n".join(lines)


def changes_json(result: Alignment) -> dict[str, Any]:
    """``label``, ``retained``, ``added`` and ``deltas`` of a comparison, and ``labels`` in each row."""
    from app.core.align.changes import analyse

    changes = analyse(result)
    rows = result.to_dict()["rows"]
    for n, row in enumerate(rows):
        row["labels"] = [str(label) for label in changes.rows.get(n, ())]
    return {"rows": rows, **changes.to_dict()}


def changes_text(result: Alignment) -> list[str]:
    """The pair label with its figures, then one line per critical change (``compare --text``)."""
    from app.core.align.changes import analyse

    changes = analyse(result)
    lines = [f"change: {changes.pair.describe()}"]
    if changes.deltas:
        lines += ["", f"critical changes ({len(changes.deltas)}):"]
        lines += [f"  row {d.row + 1:>3}  {d.describe()}" for d in changes.deltas]
    return lines


def _chrome(result: Alignment, row: Row, side: int) -> bool:
    article = result.left if side == 0 else result.right
    idx = row.left if side == 0 else row.right
    return bool(idx) and all(not article.paragraphs[i].is_body for i in idx)
