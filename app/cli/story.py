"""``parallax story``: one story across all its copies (coverage, collation, variants, spread).

Paragraphs are printed as ``¶N``, 1-based as in the window's gutter and ``parallax show``;
``--paragraph N`` takes that number. (Only the JSON ``index`` fields count from 0; each comes
with its 1-based ``number``.)
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from typing import TYPE_CHECKING

from app.cli.common import (
    UserError,
    add_corpus_options,
    echo,
    ensure_indexed,
    open_corpus,
    print_json,
)
from app.core.compare.story import (
    SORT_KEYS,
    VARIANT_KINDS,
    Story,
    StoryError,
    build_story,
    write_variants_csv,
)

if TYPE_CHECKING:
    from app.core.compare.story import CollationLine
    from app.core.workspace.corpus import Corpus

# Function-local imports: start-up time. Building the parser imports every command module,
# so each command imports the core it needs when it runs.


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``parallax story``."""
    p = sub.add_parser("story", help="one story across all its copies: coverage, variants, spread")
    p.add_argument("article", metavar="ID", help="any copy of the story (id, unique id prefix, or file path)")
    p.add_argument("--base", metavar="ID", help="the copy to read the others against (default: the likely origin)")
    p.add_argument("--paragraph", type=int, metavar="N",
                   help="collate base paragraph ¶N (from 1, as the window and `parallax show` number them)")
    p.add_argument("--variants", action="store_true", help="print the variants table")
    p.add_argument("--kind", choices=VARIANT_KINDS, help="only variants of this kind")
    p.add_argument("--csv", metavar="FILE", help="write the variants table as CSV")
    p.add_argument("--html", metavar="FILE",
                   help="write the story report (base, copies, variants, spread, SHA-256 of every file) as HTML")
    p.add_argument("--pdf", metavar="FILE", help="write the same story report as PDF")
    p.add_argument("--sort", choices=SORT_KEYS, default="date", help="order of the copies (default: date)")
    add_corpus_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_story)


def _user_error(message: str) -> Exception:

    return UserError(message)


def run_story(args: argparse.Namespace) -> int:
    """Print a story, one paragraph's collation, or its variants table."""
    corpus = open_corpus(args)
    ensure_indexed(corpus, quiet=args.json)
    rmap = corpus.reuse_map()
    aid = corpus.resolve(args.article).id
    base = corpus.resolve(args.base).id if args.base else None
    try:
        story = build_story(rmap, corpus.article, aid, base, userdata=corpus.userdata.refresh())
    except StoryError as exc:
        raise _user_error(str(exc)) from exc
    index = None
    if args.paragraph is not None:
        index = args.paragraph - 1
        try:
            lines = story.collation(index)
        except StoryError as exc:
            raise _user_error(str(exc)) from exc
    if args.csv:
        inputs = [corpus.file_of(c.id) for c in story.copies]
        count = write_variants_csv(story, args.csv, kind=args.kind, inputs=inputs)
        if not args.json:
            echo(f"wrote {count} variant reading{'s' if count != 1 else ''} to {args.csv}")
    if args.html or args.pdf:
        _export_report(story, corpus, args.html, args.pdf, quiet=args.json)
    if args.json:
        data = story.to_dict()
        if args.kind:
            data["variants"] = [v.to_dict() for v in story.variants(args.kind)]
        data["members"] = [c.to_dict() for c in story.sorted_copies(args.sort)]
        if index is not None:
            data["collation"] = {"index": index, "number": index + 1, "lines": [x.to_dict() for x in lines]}
        print_json(data)
        return 0
    if index is not None:
        _print_collation(story, index, lines)
    elif args.variants or args.kind:
        _print_variants(story, args.kind)
    elif not (args.csv or args.html or args.pdf):
        _print_story(story, args.sort)
    return 0


def _export_report(story: Story, corpus: Corpus, html: str | None, pdf: str | None, *, quiet: bool) -> None:
    """Write the story report as HTML and/or PDF; refused over an input, a corpus file or a foreign file."""
    from app.cli.session import write_reports
    from app.core.reading.reader import ReadError
    from app.core.sessions.report import story_report_html, story_report_title

    inputs, hashes = [], {}
    for c in story.copies:
        try:
            path = corpus.file_of(c.id)
            inputs.append(path)
            hashes[c.id] = hashlib.sha256(path.read_bytes()).hexdigest()
        except (OSError, ReadError):
            hashes[c.id] = "(unreadable)"
    title = story_report_title(story)

    def render(for_qt: bool) -> str:
        return story_report_html(story, hashes=hashes, title=title, for_qt=for_qt)

    # write_reports checks both targets before it writes either.
    written = write_reports(render, html, pdf, title, inputs, landscape=False)
    if not quiet:
        for path in written:
            echo(f"wrote {path}", file=sys.stderr)


def _print_story(story: Story, sort: str) -> None:
    echo(f"story of {story.asked}: {story.summary()}")
    echo(f"likely origin: {story.origin or 'unknown'} ({story.origin_reason})")
    echo("")
    echo("coverage of the base (¶ 1-based):")
    for c in story.coverage:
        bar = "#" * round(10 * c.carried / c.copies) if c.copies else ""
        echo(f"  ¶{c.number:<3} {bar:10}  {c.carried}/{c.copies} carry it, {c.changed} changed, "
             f"{c.similarity:.1f} % similar  {c.text[:50]}")
    echo("")
    echo(f"copies (by {sort}):")
    for copy in story.sorted_copies(sort):
        echo(f"  {copy.date or 'undated':10}  {copy.outlet[:24]:24}  {copy.label:10}  {copy.retained:5.1f} % retained  "
             f"v{copy.family + 1}  {copy.id}")
    if story.edges:
        echo("")
        echo("derivation:")
        for e in story.edges:
            arrow = "->" if e.directed else "-- (direction unknown) --"
            echo(f"  {e.parent} {arrow} {e.child}")
            echo(f"      {e.evidence}")
            for edit in e.edits[:5]:
                echo(f"      {edit}")
    for note in story.notes:
        echo(f"note: {note}")


def _print_collation(story: Story, index: int, lines: list[CollationLine]) -> None:
    echo(f"¶{index + 1} of {story.base} in {story.size} copies")
    for line in lines:
        echo(f"[{line.describe()}]")
        if line.state == "missing":
            continue
        text = "".join(s.copy if s.tag == "equal" else
                       f"[-{s.base}-]" if s.tag == "delete" else
                       f"{{+{s.copy.rstrip()}+}}" + s.copy[len(s.copy.rstrip()):] if s.tag == "insert" else
                       f"[-{s.base}-]{{+{s.copy.rstrip()}+}}" + s.copy[len(s.copy.rstrip()):]
                       for s in line.segments)
        echo(f"  {text}")


def _print_variants(story: Story, kind: str | None) -> None:
    variants = story.variants(kind)
    echo(f"{len(variants)} variant place{'s' if len(variants) != 1 else ''}"
         + (f" of kind {kind}" if kind else "") + f" against {story.base}")
    for v in variants:
        base = v.base if len(v.base) <= 60 else v.base[:59] + "…"
        echo(f"¶{v.paragraph + 1}  {base or '(nothing)'}  [{', '.join(v.kinds)}]")
        for r in v.readings:
            text = r.text if len(r.text) <= 60 else r.text[:59] + "…"
            who = ", ".join(r.outlets[:4]) + (f" and {len(r.outlets) - 4} more" if len(r.outlets) > 4 else "")
            echo(f"    {text or '(absent)'}  — {len(r.copies)}: {who}")
