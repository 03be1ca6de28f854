"""Self-contained HTML reports of comparisons: metadata, summary, aligned rows, word marks, notes.

The HTML has inline CSS only (no scripts, fonts, images or links outside the file) so it opens
offline in any browser. ``for_qt=True`` produces the same report in the subset of HTML that
Qt's rich-text engine lays out (no ``<details>``, spans instead of ``<del>``/``<ins>``), which
:mod:`app.ui.pdfexport` turns into a PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from app import __version__
from app.core.align.changes import PAIR_LABEL_HELP, Changes, analyse
from app.core.align.deltas import KIND_TITLE
from app.core.compare.story import FAMILY_COLOURS
from app.core.reading.model import Alignment, Article, Row, RowKind
from app.core.reuse.reusemap import SharedFigure, shared_figure
from app.core.sessions.kindcolours import MARK, MOVED_MARK, MOVED_TINT, ROW_TINT
from app.core.sessions.session import Note, note_rows
from app.core.storage.boundary import display

if TYPE_CHECKING:
    from app.core.compare.story import Story

KIND_LABEL = {
    RowKind.IDENTICAL: "identical",
    RowKind.CHANGED: "changed",
    RowKind.LEFT_ONLY: "left only",
    RowKind.RIGHT_ONLY: "right only",
    RowKind.BOILERPLATE: "boilerplate",
}
_EXCERPT = 90


@dataclass(frozen=True, slots=True)
class ReportSection:
    """One comparison of a report: the alignment, its notes and a heading."""

    alignment: Alignment
    notes: Sequence[Note] = ()
    comparison_note: str = ""
    title: str = ""
    shared: SharedFigure | None = None  # the reuse map's figure; None: counted on the rows the same way


def _css() -> str:
    kinds = "\n".join(
        f".k-{k.value} td.side, .k-{k.value} td.notes {{ background-color: {ROW_TINT[k]}; }}\n"
        f".k-{k.value} td.n {{ background-color: {MARK[k]}; }}\n"
        f".sw-{k.value} {{ background-color: {MARK[k]}; }}"
        for k in RowKind
    )
    return f"""
body {{ font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; font-size: 10pt; color: #1d1d1b; margin: 1.5em; }}
h1 {{ font-size: 16pt; margin: 0 0 4pt 0; }}
h2 {{ font-size: 13pt; margin: 18pt 0 6pt 0; border-bottom: 1px solid #999; }}
p.generated, p.corpus {{ color: #666; font-size: 8.5pt; margin: 0; }}
table {{ border-collapse: collapse; }}
table.meta {{ margin: 6pt 0; width: 100%; }}
table.meta th, table.meta td {{ text-align: left; vertical-align: top; padding: 2pt 6pt; border: 1px solid #ccc; }}
table.meta th {{ background-color: #f4f4f2; font-weight: bold; }}
table.figures td {{ padding: 1pt 6pt; }}
.swatch {{ color: #ffffff; padding: 0 5pt; }}
table.rows {{ width: 100%; table-layout: fixed; margin-top: 6pt; }}
table.rows th {{ background-color: #e4e4e0; text-align: left; padding: 3pt; border: 1px solid #bbb; }}
table.rows td {{ vertical-align: top; padding: 3pt 4pt; border: 1px solid #d6d6d2; overflow-wrap: break-word; }}
table.rows td.n {{ color: #ffffff; font-size: 8pt; text-align: center; }}
table.rows p {{ margin: 0 0 4pt 0; }}
tr.row {{ page-break-inside: avoid; break-inside: avoid; }}
{kinds}
tr.moved td.side, tr.moved td.notes {{ background-color: {MOVED_TINT}; }}
tr.moved td.n {{ background-color: {MOVED_MARK}; }}
.badge {{ font-size: 7pt; font-weight: bold; }}
.meta-para {{ color: #777; font-size: 8.5pt; }}
.excerpt {{ color: #777; font-style: italic; font-size: 8.5pt; }}
.pidx {{ color: #999; font-size: 7pt; }}
del, .del {{ background-color: #f6c9c6; color: #7a1f1b; text-decoration: line-through; }}
ins, .ins {{ background-color: #c7ebcd; color: #1b5e2a; text-decoration: none; }}
del.rep, .del.rep {{ background-color: #f8dfb8; color: #6b4400; }}
ins.rep, .ins.rep {{ background-color: #f8dfb8; color: #6b4400; text-decoration: underline; }}
td.notes {{ font-size: 9pt; }}
div.critical {{ border: 1px solid #c9a227; background-color: #fffbea; padding: 4pt 8pt; margin: 6pt 0; }}
table.deltas {{ margin: 2pt 0 4pt 0; }}
table.deltas th {{ background-color: #f1e6b8; text-align: left; padding: 2pt 4pt; border: 1px solid #d8c98a; }}
table.deltas td {{ vertical-align: top; padding: 2pt 4pt; border: 1px solid #e8dcae; font-size: 9pt; }}
.row-label {{ font-weight: normal; }}
.note {{ background-color: #fff6c8; border: 1px solid #e2cf6b; padding: 2pt 4pt; margin-bottom: 3pt; }}
.note-time {{ color: #8a7a2a; font-size: 7pt; }}
.comparison-note {{ background-color: #fff6c8; border: 1px solid #e2cf6b; padding: 4pt 8pt; margin: 6pt 0; }}
ul.toc, ul.notes-list {{ margin: 2pt 0 6pt 0; }}
details summary {{ cursor: pointer; }}
section.comparison {{ page-break-before: auto; }}
@media print {{
  body {{ margin: 0; font-size: 9pt; }}
  section.comparison + section.comparison {{ page-break-before: always; break-before: page; }}
  a {{ color: inherit; text-decoration: none; }}
  thead {{ display: table-header-group; }}
  details > *:not(summary) {{ display: none; }}
  * {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
}}
"""


def _text(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _marked(text: str, spans: list[tuple[int, int, str]], for_qt: bool) -> str:
    """``text`` escaped, with ``spans`` (start, end, css class) wrapped in del/ins marks."""
    out, pos = [], 0
    for start, end, cls in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        tag, _, extra = cls.partition(" ")
        if for_qt:  # Qt's rich text has no <del>/<ins>
            opening, closing = f'<span class="{cls}">', "</span>"
        else:
            opening = f'<{tag} class="{extra}">' if extra else f"<{tag}>"
            closing = f"</{tag}>"
        out += [escape(text[pos:start]), opening, escape(text[start:end]), closing]
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _side_spans(row: Row, side: int, paragraph: int) -> list[tuple[int, int, str]]:
    spans = []
    for op in row.ops:
        ranges = op.left if side == 0 else op.right
        base = "del" if side == 0 else "ins"
        cls = f"{base} rep" if op.tag == "replace" else base
        spans += [(s, e, cls) for (p, s, e) in ranges if p == paragraph]
    return spans


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1].rstrip() + "…"


def _side_cell(article: Article, row: Row, side: int, for_qt: bool) -> str:
    indexes = row.left if side == 0 else row.right
    if not indexes:
        return ""
    paras = [article.paragraphs[i] for i in indexes]
    if row.kind is RowKind.BOILERPLATE:
        joined = " ".join(p.text for p in paras)
        if for_qt:
            return f'<p class="excerpt">{escape(_excerpt(joined))}</p>'
        body = "".join(f"<p>{_text(p.text)}</p>" for p in paras)
        return f'<details><summary class="excerpt">{escape(_excerpt(joined))}</summary>{body}</details>'
    parts = []
    for p in paras:
        cls = "" if p.is_body else ' class="meta-para"'
        marked = _marked(p.text, _side_spans(row, side, p.index), for_qt).replace("\n", "<br>")
        parts.append(f'<p{cls}><span class="pidx">¶{p.index + 1}</span> {marked}</p>')
    return "".join(parts)


def _paras(indexes: Sequence[int]) -> str:
    """``¶3,¶4`` from 0-based indexes (``-`` for none): paragraphs as the window numbers them."""
    return ",".join(f"¶{i + 1}" for i in indexes) or "-"


def _notes_cell(notes: Sequence[Note]) -> str:
    out = []
    for note in notes:
        stamp = note.modified or note.created
        time = f'<br><span class="note-time">{escape(stamp)}</span>' if stamp else ""
        out.append(f'<div class="note">{_text(note.text)}{time}</div>')
    return "".join(out)


def _meta_table(left: Article, right: Article) -> str:
    def date(a: Article) -> str:
        return a.date.isoformat() if a.date else "—"

    rows = [
        ("Title", left.title, right.title),
        ("Source", left.source or "—", right.source or "—"),
        ("Author", left.author or "—", right.author or "—"),
        ("Date", date(left), date(right)),
        ("Id", left.id, right.id),
        ("File", display(left.path), display(right.path)),  # names that are not UTF-8 escaped
        ("Paragraphs", f"{len(left.body)} body / {len(left.paragraphs)} in all",
         f"{len(right.body)} body / {len(right.paragraphs)} in all"),
        ("Content hash (sha1)", left.content_hash[:16] or "—", right.content_hash[:16] or "—"),
    ]
    body = "".join(
        f"<tr><th>{escape(label)}</th><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for label, a, b in rows
    )
    return (
        '<table class="meta"><tbody><tr><th width="16%"></th><th width="42%">Left</th>'
        f'<th width="42%">Right</th></tr>{body}</tbody></table>'
    )


def _figures(alignment: Alignment, shared: SharedFigure | None = None) -> str:
    s = alignment.summary()
    figure = shared or shared_figure(alignment)
    kinds = "".join(
        f'<td><span class="swatch sw-{k.value}">&nbsp;{s.by_kind.get(str(k), 0)}&nbsp;</span> '
        f"{KIND_LABEL[k]}</td>"
        for k in RowKind
    )
    moved = sum(1 for r in alignment.rows if r.moved)
    return (
        f'<p class="summary"><b>{escape(figure.describe())}</b></p>'
        f'<table class="figures"><tr>{kinds}<td><span class="swatch" style="background-color:'
        f'{MOVED_MARK}">&nbsp;{moved}&nbsp;</span> moved</td></tr></table>'
        f'<p class="summary">Shared paragraphs: {figure.paragraphs} ({figure.paragraphs_a} paragraphs'
        f" on the left, {figure.paragraphs_b} on the right, body text only);"
        f" {len(alignment.rows)} aligned rows.</p>"
    )


_MAX_DELTAS = 300  # listed in the report; the rest are counted


def _critical_changes(changes: Changes, sid: str) -> str:
    """The "Critical changes" block: the pair label with its figures, then one line per delta."""
    pair = changes.pair
    out = ['<div class="critical" data-critical="true">',
           f'<p class="change-label" data-label="{pair.label.value}"><b>Change: {escape(pair.label.value)}</b>'
           f" ({escape(PAIR_LABEL_HELP[pair.label])}) · {pair.retained:.0f} % of the source's words unchanged ·"
           f" {pair.added:.0f} % of the copy's words new</p>",
           f"<p><b>Critical changes</b> ({len(changes.deltas)})</p>"]
    if not changes.deltas:
        out.append('<p class="excerpt">None found in the matched paragraphs.</p></div>')
        return "".join(out)
    rows = "".join(
        f'<tr data-delta="{d.kind.value}" data-delta-row="{d.row}"><td><a href="#{sid}-r{d.row}">{d.row + 1}</a></td>'
        f"<td>{escape(KIND_TITLE[d.kind])} {escape(d.note)}</td>"
        f'<td><span class="del">{escape(_excerpt(d.before))}</span></td>'
        f'<td><span class="ins">{escape(_excerpt(d.after))}</span></td></tr>'
        for d in changes.deltas[:_MAX_DELTAS])
    more = len(changes.deltas) - _MAX_DELTAS
    out.append('<table class="deltas" width="100%" cellspacing="0" cellpadding="2"><tbody>'
               '<tr><th width="6%">Row</th><th width="22%">Change</th><th width="36%">Before (left)</th>'
               f'<th width="36%">After (right)</th></tr>{rows}</tbody></table>')
    if more > 0:
        out.append(f'<p class="excerpt">… and {more} more (see the JSON of parallax compare).</p>')
    out.append("</div>")
    return "".join(out)


def _header_row(for_qt: bool) -> str:
    cells = ('<tr><th width="5%">#</th><th width="37%">Left</th><th width="37%">Right</th>'
             '<th width="21%">Notes</th></tr>')
    # Qt repeats a <thead> on each page but paints a row split across pages over it.
    return f"<tbody>{cells}" if for_qt else f"<thead>{cells}</thead><tbody>"


def _section(section: ReportSection, number: int, for_qt: bool, heading: bool = True) -> str:
    a = section.alignment
    title = section.title or f"{a.left.title} ↔ {a.right.title}"
    placed, orphans = note_rows(section.notes, a.rows)
    sid = f"s{number}"
    out = [f'<section class="comparison" id="{sid}" data-section="{number}">']
    if heading:
        # Inline because Qt's rich text honours page breaks only as an element's own style.
        brk = ' style="page-break-before: always"' if number > 1 else ""
        out.append(f"<h2{brk}>{escape(f'{number}. {title}')}</h2>")
    changes = analyse(a)
    out.append(_critical_changes(changes, sid))
    out.append(_meta_table(a.left, a.right))
    out.append(_figures(a, section.shared))
    if section.comparison_note.strip():
        out.append(f'<div class="comparison-note" data-note="comparison"><b>Note:</b> '
                   f"{_text(section.comparison_note)}</div>")
    if placed:
        links = "".join(
            f'<li><a href="#{sid}-r{i}">Row {i + 1}</a>: {escape(_excerpt(n.text))}</li>'
            for i in sorted(placed) for n in placed[i]
        )
        out.append(f'<p><b>Notes</b></p><ul class="notes-list">{links}</ul>')
    out.append(
        f'<table class="rows" data-section="{number}" width="100%" cellspacing="0" cellpadding="3">'
        + _header_row(for_qt)
    )
    for i, row in enumerate(a.rows):
        classes = f"row k-{row.kind.value}" + (" moved" if row.moved else "")
        attrs = (
            f'class="{classes}" id="{sid}-r{i}" data-row="{i}" data-kind="{row.kind.value}" '
            f'data-moved="{"true" if row.moved else "false"}" '
            f'data-left="{" ".join(map(str, row.left))}" data-right="{" ".join(map(str, row.right))}"'
        )
        badge = '<br><span class="badge">moved</span>' if row.moved else ""
        badge += "".join(f'<br><span class="badge row-label">{escape(str(lb))}</span>'
                         for lb in changes.rows.get(i, ()))
        score = f'<br><span class="badge">{row.score:.0f}</span>' if row.is_match else ""
        out.append(
            f'<tr {attrs}><td class="n">{i + 1}{badge}{score}</td>'
            f'<td class="side left">{_side_cell(a.left, row, 0, for_qt)}</td>'
            f'<td class="side right">{_side_cell(a.right, row, 1, for_qt)}</td>'
            f'<td class="notes">{_notes_cell(placed.get(i, ()))}</td></tr>'
        )
    out.append("</tbody></table>")
    if orphans:
        items = "".join(
            f'<li class="note" data-note="orphan">left {escape(_paras(n.left))}, right {escape(_paras(n.right))}:'
            f" {_text(n.text)}</li>"
            for n in orphans
        )
        out.append(f"<p><b>Notes on paragraphs no longer aligned</b></p><ul>{items}</ul>")
    out.append("</section>")
    return "\n".join(out)


def _document(title: str, body: str) -> str:
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        # The signature by which Parallax knows the file as its own (app.core.storage.fsguard).
        f'<meta name="generator" content="Parallax {escape(__version__)}">\n'
        f"<title>{escape(title)}</title>\n<style>{_css()}</style>\n</head>\n<body>\n"
        f'<h1>{escape(title)}</h1>\n<p class="generated">Generated by Parallax {escape(__version__)}'
        f" on {stamp}</p>\n{body}\n</body>\n</html>\n"
    )


def alignment_report_html(alignment: Alignment, notes: Sequence[Note] = (), title: str = "",
                          *, comparison_note: str = "", for_qt: bool = False,
                          shared: SharedFigure | None = None) -> str:
    """The report of one comparison as a self-contained HTML document.

    Args:
        alignment: The comparison.
        notes: Row notes (placed with :func:`app.core.sessions.session.note_rows`).
        title: Heading; defaults to both articles' titles.
        comparison_note: The note on the comparison as a whole.
        for_qt: Produce Qt's rich-text subset (for the PDF) instead of browser HTML.
        shared: The reuse map's figure for the pair (:meth:`app.core.reuse.reusemap.ReuseMap.shared`);
            None counts it on the rows the same way.

    Returns:
        The HTML text. Every aligned row is a ``<tr>`` with ``data-row`` (0-based index into
        ``alignment.rows``) and ``data-kind``.
    """
    section = ReportSection(alignment, notes, comparison_note, title, shared)
    heading = title or f"Comparison: {alignment.left.title} ↔ {alignment.right.title}"
    return _document(heading, _section(section, 1, for_qt, heading=False))


def session_report_html(sections: Sequence[ReportSection], title: str = "Parallax session report",
                        *, subtitle: str = "", for_qt: bool = False) -> str:
    """One report for a whole session: a contents list, then a section per tab.

    Args:
        sections: One per tab, in tab order.
        title: The document heading.
        subtitle: A line under the heading (e.g. the corpus folder).
        for_qt: Produce Qt's rich-text subset (for the PDF) instead of browser HTML.

    Returns:
        The HTML text; sections carry ``data-section`` (1-based) and their rows ``data-row``.
    """
    head = [f'<p class="corpus">{escape(subtitle)}</p>'] if subtitle else []
    toc = "".join(
        f'<li><a href="#s{n}">{escape(s.title or f"{s.alignment.left.title} ↔ {s.alignment.right.title}")}</a>'
        f" ({len(s.notes)} note{'s' if len(s.notes) != 1 else ''})</li>"
        for n, s in enumerate(sections, 1)
    )
    head.append(f'<ul class="toc">{toc}</ul>' if sections else "<p>The session has no open comparisons.</p>")
    body = "\n".join(head + [_section(s, n, for_qt) for n, s in enumerate(sections, 1)])
    return _document(title, body)


# ---------------------------------------------------------------------- story reports (issue 19)


def story_report_title(story: Story) -> str:
    """The story report's default heading (also its PDF title): the earliest copy's headline."""
    copies = story.sorted_copies("date")
    return f"Story: {copies[0].title if copies else story.base}"


def story_report_html(story: Story, *, notes: str = "", hashes: dict[str, str] | None = None,
                      title: str = "", for_qt: bool = False) -> str:
    """The story of :mod:`app.core.compare.story` as a self-contained HTML report.

    The base with each paragraph's coverage, the copies, the variants table, the timeline with
    its derivation edges, the story's notes, and the SHA-256 of every file (``hashes``: id -> hex).
    Paragraphs are numbered ¶N from 1, as in the window. ``for_qt`` gives the same content in
    Qt's rich-text subset (for the PDF).
    """

    hashes = hashes or {}
    # Qt's rich text ignores CSS padding on cells and the width of an inline-block span.
    table = ' width="100%" cellspacing="0" cellpadding="3" border="1"' if for_qt else ""
    copies = story.sorted_copies("date")
    heading = title or story_report_title(story)
    # Long ids and hashes wrap, so the copies table fits a portrait page.
    out = ["<style>table.variants td { overflow-wrap: anywhere; }"
           " table.copies td.hash { font-family: monospace; font-size: 7pt; word-break: break-all; }"
           " table.copies td.id { font-size: 8pt; word-break: break-all; }</style>",
           f'<p class="corpus">{escape(story.summary())}</p>',
           f"<p>Likely origin: {escape(story.origin or 'unknown')} ({escape(story.origin_reason)}).</p>"]
    if notes.strip():
        out.append(f'<h2>Notes</h2><p class="story-notes">{_text(notes)}</p>')
    out.append(f'<h2>Base text and coverage</h2><table class="coverage" data-table="coverage"{table}>'
               "<tr><th>¶</th><th>carried</th><th>changed</th><th>similarity</th><th>text</th></tr>")
    for c in story.coverage:
        share = 100 * c.carried // c.copies if c.copies else 100
        heat = (f'<span class="heat" style="color:#2e7d32">{"█" * (share // 10)}</span>'
                f'<span style="color:#d9d9d9">{"█" * (10 - share // 10)}</span>' if for_qt else
                f'<span class="heat" style="display:inline-block;width:{share // 2}px;height:8px;'
                f'background:#2e7d32"></span>')
        out.append(f'<tr data-paragraph="{c.number}"><td>¶{c.number}</td>'
                   f"<td>{heat} {c.carried}/{c.copies}</td><td>{c.changed}</td>"
                   f"<td>{c.similarity:.1f} %</td><td>{_text(c.text)}</td></tr>")
    out.append("</table>")
    out.append(f'<h2>Copies</h2><table class="copies" data-table="copies"{table}><tr><th>date</th><th>outlet</th>'
               "<th>label</th><th>retained</th><th>version</th><th>id</th><th>SHA-256</th></tr>")
    for copy in copies:
        colour = FAMILY_COLOURS[copy.family % len(FAMILY_COLOURS)]
        out.append(f'<tr data-copy="{escape(copy.id)}"><td>{escape(copy.date or "undated")}</td><td>{escape(copy.outlet)}</td>'
                   f"<td>{escape(copy.label)}</td><td>{copy.retained:.1f} %</td>"
                   f'<td><span style="color:{colour}">●</span> v{copy.family + 1}</td><td class="id">{escape(display(copy.id))}</td>'
                   f'<td class="hash">{escape(hashes.get(copy.id, ""))}</td></tr>')
    out.append("</table>")
    variants = story.variants()
    out.append(f'<h2>Variants ({len(variants)} places)</h2><table class="variants" data-table="variants"{table}>'
               "<tr><th>¶</th><th>base</th><th>reading</th><th>kinds</th><th>outlets</th></tr>")
    for v in variants:
        for r in v.readings:
            reading = r.text or ("(paragraph absent)" if "omitted" in r.kinds else "(words absent)")
            out.append(f'<tr><td>¶{v.paragraph + 1}</td><td>{_text(_excerpt(v.base)) or "—"}</td>'
                       f"<td>{_text(_excerpt(reading))}</td><td>{escape(', '.join(r.kinds))}</td>"
                       f"<td>{len(r.copies)}: {escape('; '.join(r.outlets))}</td></tr>")
    out.append("</table>")
    out.append(f'<h2>Spread</h2><table class="timeline" data-table="timeline"{table}><tr><th>date</th><th>outlet</th>'
               "<th>version</th><th>derives from</th></tr>")
    for m in story.timeline():
        colour = FAMILY_COLOURS[m.family % len(FAMILY_COLOURS)]
        out.append(f'<tr><td>{escape(m.date or "undated")}</td><td>{escape(m.outlet)}'
                   f'{" (origin)" if m.role == "origin" else ""}</td>'
                   f'<td><span style="color:{colour}">●</span> v{m.family + 1}</td>'
                   f"<td>{escape(m.parent or '')}</td></tr>")
    out.append("</table>")
    if story.edges:
        out.append('<ul class="edges">' + "".join(
            f"<li>{escape(e.parent)} {'→' if e.directed else '—'} {escape(e.child)}: {escape(e.evidence)}"
            f" ({escape('; '.join(e.edits[:6]))})</li>" for e in story.edges) + "</ul>")
    if story.notes:
        out.append("<ul class=\"story-facts\">" + "".join(f"<li>{escape(n)}</li>" for n in story.notes) + "</ul>")
    return _document(heading, "\n".join(out))
