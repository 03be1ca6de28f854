"""HTML reports: every aligned row and note present, word marks, escaping, no external references; PDF."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.core.align.paragraphs import align
from app.core.reading.model import Alignment, RowKind
from app.core.sessions.report import ReportSection, alignment_report_html, session_report_html
from app.core.sessions.session import Note
from app.core.workspace.corpus import Corpus

EVIL = '<script>alert("x")</script> & <b>bold</b> \'quoted\''


class ReportParser(HTMLParser):
    """Collects rows (``data-row``), the text of their cells, marks, notes and every reference."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[dict[int, dict]] = []
        self.refs: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()
        self.text: list[str] = []
        self.comparison_notes: list[str] = []
        self._row: dict | None = None
        self._cell: str | None = None
        self._mark: str | None = None
        self._in_comparison_note = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            if a.get(name) is not None:
                self.refs.append((tag, name, a[name] or ""))
        if tag == "table" and "rows" in (a.get("class") or ""):
            self.sections.append({})
        if tag == "tr" and "data-row" in a:
            self._row = {"kind": a["data-kind"], "moved": a["data-moved"], "left": a["data-left"],
                         "right": a["data-right"], "cells": {}, "del": [], "ins": [],
                         "details": False, "spans": []}
            self.sections[-1][int(a["data-row"] or -1)] = self._row
        if tag == "td" and self._row is not None:
            self._cell = (a.get("class") or "").split()[-1]
            self._row["cells"][self._cell] = ""
        if tag in ("del", "ins") and self._row is not None:
            self._mark = tag
            self._row[tag].append("")
        if tag == "span" and self._row is not None and a.get("class", "").split()[:1] in (["del"], ["ins"]):
            self._row["spans"].append(a["class"])
        if tag == "details" and self._row is not None:
            self._row["details"] = True
        if tag == "div" and a.get("data-note") == "comparison":
            self._in_comparison_note = True
            self.comparison_notes.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = self._cell = None
        elif tag == "td":
            self._cell = None
        elif tag in ("del", "ins"):
            self._mark = None
        elif tag == "div":
            self._in_comparison_note = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._row is not None and self._cell is not None:
            self._row["cells"][self._cell] += data
            if self._mark:
                self._row[self._mark][-1] += data
        if self._in_comparison_note:
            self.comparison_notes[-1] += data


def parse(text: str) -> ReportParser:
    parser = ReportParser()
    parser.feed(text)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def edited_corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """The seeds plus an edited copy of 004: word edits, characters to escape, a moved paragraph."""
    root = tmp_path_factory.mktemp("corpus")
    seeds = Path(__file__).resolve().parents[2] / "seeds"
    for f in seeds.iterdir():
        shutil.copy(f, root / f.name)
    text = (seeds / "004_a59c947b104b591b.txt").read_text("utf-8")
    text = text.replace("Though it has received minimal attention in the West",
                        "Though it got almost no attention in the West & <elsewhere>")
    text = text.replace("started as a one-to-one meeting", 'began as a "one-to-one" meeting')
    paras = text.split("\n\n")
    paras.insert(20, paras.pop(8))
    (root / "005_edited.txt").write_text("\n\n".join(paras), "utf-8")
    return Corpus(root)


@pytest.fixture(scope="module")
def alignment(edited_corpus: Corpus) -> Alignment:
    result = align(edited_corpus.resolve("004"), edited_corpus.resolve("005"))
    kinds = {r.kind for r in result.rows}
    assert {RowKind.CHANGED, RowKind.IDENTICAL, RowKind.BOILERPLATE} <= kinds
    assert any(r.moved for r in result.rows)
    return result


def _notes(alignment: Alignment) -> dict[int, Note]:
    picks = [i for i, r in enumerate(alignment.rows) if r.kind is RowKind.CHANGED][:1]
    picks += [i for i, r in enumerate(alignment.rows) if r.moved][:1] + [0, len(alignment.rows) - 1]
    # No timestamps, so that a notes cell reads exactly as the note.
    return {i: Note(list(alignment.rows[i].left), list(alignment.rows[i].right), f"note {i}: {EVIL}", "", "")
            for i in picks}


def test_every_row_and_note_is_present(alignment: Alignment) -> None:
    notes = _notes(alignment)
    report = parse(alignment_report_html(alignment, list(notes.values()), comparison_note=f"overall {EVIL}"))
    assert len(report.sections) == 1
    rows = report.sections[0]
    assert sorted(rows) == list(range(len(alignment.rows)))
    for i, row in enumerate(alignment.rows):
        got = rows[i]
        assert got["kind"] == row.kind.value
        assert got["moved"] == ("true" if row.moved else "false")
        assert got["left"] == " ".join(map(str, row.left)) and got["right"] == " ".join(map(str, row.right))
        for side, article, idx in (("left", alignment.left, row.left), ("right", alignment.right, row.right)):
            for p in idx:  # the display text is there, whole (boilerplate: in the collapsed part)
                assert " ".join(article.paragraphs[p].text.split()) in " ".join(got["cells"][side].split())
        expected_note = f"note {i}: {EVIL}" if i in notes else ""
        assert got["cells"]["notes"] == expected_note
    assert report.comparison_notes == [f"Note: overall {EVIL}"]


def test_word_marks_follow_the_ops(alignment: Alignment) -> None:
    rows = parse(alignment_report_html(alignment)).sections[0]
    changed = [i for i, r in enumerate(alignment.rows) if r.ops]
    assert changed
    for i in changed:
        row = alignment.rows[i]
        want_del = [alignment.left.paragraphs[p].text[s:e] for op in row.ops for (p, s, e) in op.left]
        want_ins = [alignment.right.paragraphs[p].text[s:e] for op in row.ops for (p, s, e) in op.right]
        assert rows[i]["del"] == want_del and rows[i]["ins"] == want_ins
    assert "has received minimal" in rows[changed[0]]["del"]
    assert "got almost no" in rows[changed[0]]["ins"]


def test_text_is_escaped(alignment: Alignment) -> None:
    notes = _notes(alignment)
    html_text = alignment_report_html(alignment, list(notes.values()), title="A & <B>",
                                      comparison_note=EVIL)
    report = parse(html_text)
    assert "<script>" not in html_text and "<elsewhere>" not in html_text
    assert "&lt;script&gt;" in html_text
    assert "<title>A &amp; &lt;B&gt;</title>" in html_text
    assert "script" not in report.tags
    changed = next(i for i, r in enumerate(alignment.rows) if r.ops)
    assert "West & <elsewhere>, last week" in report.sections[0][changed]["cells"]["right"]


def test_no_external_references(alignment: Alignment) -> None:
    for html_text in (alignment_report_html(alignment, list(_notes(alignment).values())),
                      alignment_report_html(alignment, for_qt=True)):
        report = parse(html_text)
        assert not report.tags & {"script", "link", "img", "iframe", "object", "embed", "video", "audio"}
        assert all(name == "href" and value.startswith("#") for _, name, value in report.refs), report.refs
        assert "url(" not in html_text and "@import" not in html_text and "http" not in html_text.split("<body>")[0]


def test_boilerplate_collapsed_and_kind_colours(alignment: Alignment) -> None:
    html_text = alignment_report_html(alignment)
    rows = parse(html_text).sections[0]
    for i, row in enumerate(alignment.rows):
        assert rows[i]["details"] == (row.kind is RowKind.BOILERPLATE)
    for kind in RowKind:
        assert f".k-{kind.value} td.side" in html_text
    assert "@media print" in html_text and "table-layout: fixed" in html_text
    assert "page-break-inside: avoid" in html_text


def test_qt_flavour_keeps_rows_without_unsupported_tags(alignment: Alignment) -> None:
    report = parse(alignment_report_html(alignment, for_qt=True))
    assert not report.tags & {"details", "summary", "del", "ins", "thead"}
    rows = report.sections[0]
    assert sorted(rows) == list(range(len(alignment.rows)))
    changed = next(i for i, r in enumerate(alignment.rows) if r.ops)
    assert rows[changed]["spans"] == ["del rep", "ins rep", "ins"]


def test_orphan_notes_are_listed(alignment: Alignment) -> None:
    gone = Note([900], [901], "paragraphs that no longer exist")
    html_text = alignment_report_html(alignment, [gone])
    assert 'data-note="orphan"' in html_text and "paragraphs that no longer exist" in html_text


def test_session_report_has_a_section_per_tab(alignment: Alignment, edited_corpus: Corpus) -> None:
    other = align(edited_corpus.resolve("001"), edited_corpus.resolve("004"))
    notes = _notes(other)
    sections = [ReportSection(alignment, title="edited copy"),
                ReportSection(other, list(notes.values()), "two sites", "Mercouris twice")]
    report = parse(session_report_html(sections, "My session", subtitle="Corpus: x"))
    assert len(report.sections) == 2
    assert sorted(report.sections[0]) == list(range(len(alignment.rows)))
    assert sorted(report.sections[1]) == list(range(len(other.rows)))
    for i in notes:
        assert f"note {i}: {EVIL}" in report.sections[1][i]["cells"]["notes"]
    assert [v for _, _, v in report.refs if v in ("#s1", "#s2")] == ["#s1", "#s2"]
    assert {f"#s2-r{i}" for i in notes} <= {v for _, _, v in report.refs}
    assert "1. edited copy" in report.text and "2. Mercouris twice" in report.text


def test_pdf_export(alignment: Alignment, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    pytest.importorskip("PySide6")
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication

    existing = QCoreApplication.instance()
    if existing is None:
        request.getfixturevalue("qapp")  # a QApplication, shared with the UI tests
    elif not isinstance(existing, QGuiApplication):
        pytest.skip("a non-GUI Qt application already runs in this process")
    from app.ui.pdfexport import write_pdf

    notes = _notes(alignment)
    out = write_pdf(alignment_report_html(alignment, list(notes.values()), for_qt=True),
                    tmp_path / "report.pdf", title="004 vs 005")
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return
    text = subprocess.run([pdftotext, str(out), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())  # real, extractable text, not pictures of it
    assert "Though it got almost no attention in the West &" in flat
    assert re.search(r"004 vs 005 1 ?/ ?\d+", flat) and "moved" in flat  # numbered pages
    assert f"note {next(iter(notes))}: <script>" in flat


def test_cli_compare_html(tmp_path: Path) -> None:
    from app.cli import main
    from app.core.workspace.corpus import resolve_article

    out = tmp_path / "report.html"
    assert main(["compare", "001", "004", "--html", str(out)]) == 0
    expected = align(resolve_article("001"), resolve_article("004"))
    report = parse(out.read_text("utf-8"))
    assert sorted(report.sections[0]) == list(range(len(expected.rows)))
    assert [report.sections[0][i]["kind"] for i in range(len(expected.rows))] == [
        r.kind.value for r in expected.rows]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="headless fallback is for Linux")
def test_cli_compare_pdf_without_display(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    out = tmp_path / "report.pdf"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "app", "compare", "001", "004", "--pdf", str(out)],
                          cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF-") and done.stdout == ""
