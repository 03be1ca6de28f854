"""The story view's core (issue 19): coverage, collation, variants, derivation, dates stated.

The story is generated in memory from the fixture's wire prose: an origin, a chain origin -> A
-> B where B carries A's edits, copies with planted variants (a number, an attribution verb, a
negation, a dropped paragraph, an added one), two same-day copies sharing an edit, and an
undated copy. Every copy has its outlet's furniture around the story.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from app.core.compare.story import StoryError, build_story, write_variants_csv
from app.core.reading.model import Article, Paragraph, Role
from app.core.reading.reader import ReadError
from app.core.reading.text import normalize
from app.core.reuse.reuseindex import build_map
from app.core.storage.fsguard import WriteRefused, register_corpus_root
from tests.fixtures import prose

TITLE, STORY = prose.WIRE_STORIES[0]
OTHER = prose.WIRE_STORIES[1][1]

# Planted edits (paragraph position in STORY, old, new).
A_EDITS = [(1, "11 percent", "12 percent"), (3, "warned", "cautioned")]
B_OWN = [(4, "about 60 million", "about 70 million")]


def _article(aid: str, outlet: str, day: date | None, body: list[str], *, own: int = 0) -> Article:
    texts = [f"{outlet} | Home | World | Business | Sport", *body,
             f"{outlet} is not responsible for the content of external sites. Read our policy.",
             f"© 2024 {outlet}. All rights reserved."]
    paras, pos = [], 0
    for k, t in enumerate(texts):
        role = Role.CHROME if k in (0, len(texts) - 1) else Role.BODY
        paras.append(Paragraph(k, t, normalize(t), pos, pos + len(t), role))
        pos += len(t) + 2
    return Article(aid, f"/x/{aid}", TITLE, source=outlet, date=day, paragraphs=paras,
                   text="\n\n".join(texts), content_hash=aid)


def _edit(body: list[str], edits: list[tuple[int, str, str]]) -> list[str]:
    out = list(body)
    for k, old, new in edits:
        assert old in out[k], (k, old)
        out[k] = out[k].replace(old, new, 1)
    return out


def story_articles(copies: int = 12) -> dict[str, Article]:
    """The planted story plus a few unrelated articles of the same outlets (for the furniture)."""
    d0 = date(2024, 3, 4)
    arts: list[Article] = [
        _article("origin.txt", "Wire One", d0, STORY),
        _article("a.txt", "Alpha News", date(2024, 3, 5), _edit(STORY, A_EDITS)),
        _article("b.txt", "Beta Post", date(2024, 3, 7), _edit(STORY, A_EDITS + B_OWN)),
        # Same day, sharing an edit neither A nor the origin has.
        _article("t1.txt", "Tie Times", date(2024, 3, 6), _edit(STORY, [(2, "said outside", "claimed outside")])),
        _article("t2.txt", "Tie Tribune", date(2024, 3, 6), _edit(STORY, [(2, "said outside", "claimed outside")])),
        # A negation, and a copy that drops a paragraph and adds one of its own.
        _article("neg.txt", "Gamma Daily", date(2024, 3, 8),
                 _edit(STORY, [(3, "it expected the backlog", "it did not expect the backlog")])),
        _article("trim.txt", "Delta Herald", date(2024, 3, 8),
                 [*STORY[:4], *STORY[5:], "Our correspondent in the capital contributed reporting to this "
                                          "article about the strike and the long talks at the ministry."]),
        _article("undated.txt", "Epsilon Wire", None, list(STORY)),
    ]
    for k in range(copies - len(arts)):
        arts.append(_article(f"v{k}.txt", f"Verbatim {k}", date(2024, 3, 9 + k % 3), list(STORY)))
    outlets = sorted({a.source for a in arts})
    for k, outlet in enumerate(outlets):  # the outlets' own stories teach the furniture
        for j in range(2):
            arts.append(_article(f"own-{k}-{j}.txt", outlet, date(2024, 2, 1 + j),
                                 [OTHER[(k + j) % len(OTHER)] + f" Story {k}-{j}."]))
    return {a.id: a for a in arts}


@pytest.fixture(scope="module")
def planted():
    arts = story_articles()
    rmap = build_map(arts.values())
    return arts, rmap, build_story(rmap, arts.__getitem__, "b.txt")


def test_the_story_is_the_cluster_with_the_origin_as_base(planted) -> None:
    arts, rmap, story = planted
    assert story.base == "origin.txt" and story.origin == "origin.txt"
    assert story.base_reason == "likely origin"
    members = {c.id for c in story.copies}
    assert members == {a for a in arts if not a.startswith("own-")}
    assert story.copy("origin.txt").role == "base"
    assert story.copy("a.txt").outlet == "Alpha News"
    assert story.copy("v0.txt").label == "verbatim" and story.copy("v0.txt").retained == 100.0
    assert story.copy("a.txt").label == "edited" and story.copy("a.txt").retained < 100.0
    assert story.copy("trim.txt").retained < 90.0


def test_coverage_counts_the_copies_carrying_each_paragraph(planted) -> None:
    _arts, _rmap, story = planted
    by_number = {c.number: c for c in story.coverage}
    assert sorted(by_number) == [2, 3, 4, 5, 6, 7]  # furniture and chrome are not base text
    n = story.size - 1
    assert all(c.copies == n for c in story.coverage)
    assert by_number[6].missing == 1 and by_number[6].changed == 1  # trim.txt drops it, b.txt edits it
    assert by_number[2].changed == 0 and by_number[2].identical == n and by_number[2].similarity == 100.0
    assert by_number[5].changed == 3 and by_number[5].similarity < 100.0  # a, b (warned) and neg
    assert by_number[3].changed == 2  # a and b: 11 -> 12 percent


def test_collation_collapses_identical_copies_and_marks_the_variants(planted) -> None:
    _arts, _rmap, story = planted
    lines = story.collation(3)  # 0-based index 3 = ¶4 = STORY[2], the quote
    assert lines[0].state == "base"
    same = lines[1]
    assert same.state == "identical" and len(same.copies) == story.size - 3
    assert same.describe() == f"{story.size - 3} outlets, identical"
    (variant,) = [x for x in lines if x.state == "variant"]
    assert set(variant.copies) == {"t1.txt", "t2.txt"} and variant.describe().startswith("2 outlets")
    changed = [s for s in variant.segments if s.tag != "equal"]
    assert [(s.tag, s.base, s.copy.strip()) for s in changed] == [("replace", "said", "claimed")]
    assert variant.text == STORY[2].replace("said outside", "claimed outside")
    missing = story.collation(5)[-1]
    assert missing.state == "missing" and missing.copies == ("trim.txt",)
    assert missing.describe() == "Delta Herald lacks this paragraph"
    with pytest.raises(StoryError, match="¶1 is not a content paragraph"):
        story.collation(0)


def test_variants_table_holds_each_reading_with_its_outlets_and_kinds(planted) -> None:
    _arts, _rmap, story = planted
    variants = story.variants()
    by_base = {(v.paragraph, v.base): v for v in variants}
    num = by_base[(2, "11")]
    (reading,) = num.readings
    assert reading.text == "12" and set(reading.copies) == {"a.txt", "b.txt"}
    assert "number" in reading.kinds and set(reading.outlets) == {"Alpha News", "Beta Post"}
    said = by_base[(3, "said")]
    assert "attribution" in said.kinds and set(said.readings[0].copies) == {"t1.txt", "t2.txt"}
    assert any("negation" in v.kinds and v.readings[0].copies == ("neg.txt",) for v in variants)
    omitted = [v for v in variants if "omitted" in v.kinds]
    assert [(v.paragraph, v.readings[0].copies) for v in omitted] == [(5, ("trim.txt",))]
    added = [v for v in variants if "added" in v.kinds]
    assert len(added) == 1 and added[0].readings[0].copies == ("trim.txt",)
    assert "correspondent" in added[0].readings[0].text
    # Verbatim and undated copies read like the base everywhere.
    assert not any(c in r.copies for v in variants for r in v.readings for c in ("v0.txt", "undated.txt"))


def test_variants_filter_by_kind(planted) -> None:
    _arts, _rmap, story = planted
    numbers = story.variants("number")
    assert numbers and all("number" in r.kinds for v in numbers for r in v.readings)
    assert {c for v in numbers for r in v.readings for c in r.copies} == {"a.txt", "b.txt"}
    negation = story.variants("negation")
    assert negation and {r.copies for v in negation for r in v.readings} == {("neg.txt",)}
    assert {v.paragraph for v in negation} == {4}
    assert len(story.variants()) > len(numbers)
    with pytest.raises(StoryError, match="unknown variant kind"):
        story.variants("colour")


def test_derivation_chain_origin_a_b_with_its_evidence(planted) -> None:
    _arts, _rmap, story = planted
    directed = {(e.parent, e.child): e for e in story.edges if e.directed}
    assert set(directed) == {("a.txt", "b.txt")}
    edge = directed[("a.txt", "b.txt")]
    assert len(edge.edits) == 2 and edge.days == 2
    assert edge.evidence.startswith("shares 2 edits with Alpha News (2024-03-05) that the origin lacks, published 2 days later")
    assert any("11" in e and "12" in e for e in edge.edits)
    assert {m.id: m.parent for m in story.timeline()}["b.txt"] == "a.txt"
    assert {m.id: m.parent for m in story.timeline()}["a.txt"] is None


def test_tied_and_missing_dates_are_stated_not_guessed(planted) -> None:
    _arts, _rmap, story = planted
    (tie,) = [e for e in story.edges if not e.directed]
    assert (tie.parent, tie.child) == ("t1.txt", "t2.txt") and tie.days == 0
    assert "published the same day: which took from which is unknown" in tie.evidence
    assert any("1 undated: undated.txt" in n for n in story.notes)
    assert any("share a date" in n and "order that day is unknown" in n for n in story.notes)
    marks = story.timeline()
    assert marks[-1].id == "undated.txt" and marks[-1].date == ""
    assert marks[0].id == "origin.txt" and marks[0].role == "origin"


def test_a_tied_origin_is_stated_and_the_article_asked_for_is_the_base() -> None:
    arts = story_articles(8)
    arts["a.txt"].date = arts["origin.txt"].date
    rmap = build_map(arts.values())
    story = build_story(rmap, arts.__getitem__, "neg.txt")
    assert story.origin is None and story.base == "neg.txt"
    assert "tie between" in story.base_reason
    assert any("derivation is read against the base neg.txt" in n for n in story.notes)


def test_any_copy_can_be_the_base(planted) -> None:
    arts, rmap, _story = planted
    story = build_story(rmap, arts.__getitem__, "b.txt", base="a.txt")
    assert story.base == "a.txt" and story.base_reason == "chosen as base"
    assert story.copy("a.txt").role == "base"
    assert story.copy("origin.txt").label == "edited"
    # Derivation is still read against the origin.
    assert {(e.parent, e.child) for e in story.edges if e.directed} == {("a.txt", "b.txt")}
    with pytest.raises(StoryError, match="not a copy of this story"):
        build_story(rmap, arts.__getitem__, "b.txt", base="own-0-0.txt")


def test_sorting_the_copies(planted) -> None:
    _arts, _rmap, story = planted
    by_date = [c.id for c in story.sorted_copies("date")]
    assert by_date[0] == "origin.txt" and by_date[-1] == "undated.txt"
    by_sim = story.sorted_copies("similarity")
    assert by_sim[0].role == "base" and by_sim[-1].id == "trim.txt"
    outlets = [c.outlet.casefold() for c in story.sorted_copies("outlet")]
    assert outlets == sorted(outlets)
    with pytest.raises(StoryError):
        story.sorted_copies("size")


def test_an_unreadable_copy_is_listed_and_the_rest_shown(planted) -> None:
    arts, rmap, _story = planted

    def load(aid: str) -> Article:
        if aid == "v1.txt":
            raise ReadError("v1.txt: gone")
        return arts[aid]

    story = build_story(rmap, load, "a.txt")
    assert story.copy("v1.txt").label == "unreadable" and "gone" in story.copy("v1.txt").problem
    assert any("v1.txt could not be read" in n for n in story.notes)
    assert all("v1.txt" not in line.copies for line in story.collation(1))


def test_json_has_members_base_coverage_variants_and_edges(planted) -> None:
    _arts, _rmap, story = planted
    data = story.to_dict()
    assert data["base"] == "origin.txt" and len(data["members"]) == story.size
    assert data["coverage"][0]["number"] == data["coverage"][0]["index"] + 1
    assert any(e["parent"] == "a.txt" and e["child"] == "b.txt" and e["evidence"] for e in data["edges"])
    assert any(r["outlets"] for v in data["variants"] for r in v["readings"])
    assert all(v["number"] == v["index"] + 1 for v in data["variants"])  # as coverage: index and ¶ number


def test_csv_export_goes_through_the_write_guard(planted, tmp_path: Path) -> None:
    _arts, _rmap, story = planted
    out = tmp_path / "variants.csv"
    n = write_variants_csv(story, str(out), kind="number")
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"))))
    assert rows[0][:4] == ["paragraph", "words", "base", "reading"] and len(rows) == n + 1
    assert [rows[1][0], rows[1][2], rows[1][3]] == ["¶3", "11", "12"]
    foreign = tmp_path / "mine.csv"
    foreign.write_text("analyst's own file\n")
    with pytest.raises(WriteRefused):
        write_variants_csv(story, str(foreign))
    assert foreign.read_text() == "analyst's own file\n"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    register_corpus_root(corpus)
    with pytest.raises(WriteRefused):
        write_variants_csv(story, str(corpus / "v.csv"))
    assert not (corpus / "v.csv").exists()


# ---------------------------------------------------------------------- the command line


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory):
    from tests.fixtures.syndication import build_corpus

    root = tmp_path_factory.mktemp("story-cli")
    syn = build_corpus(root / "corpus", outlets=14, fanouts=(12, 3), own=2, seed=3)
    return syn, ["--corpus", str(syn.root), "--index", str(root / "index")]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from app.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_story_json_gives_members_base_coverage_variants_and_edges(wire, capsys) -> None:
    syn, opts = wire
    story = syn.stories[0]
    code, out, _err = _run(capsys, "story", story.copies[3], *opts, "--json")
    assert code == 0
    import json

    data = json.loads(out)
    assert data["base"] == story.origin and {m["id"] for m in data["members"]} == set(story.copies)
    assert data["coverage"] and all(c["number"] == c["index"] + 1 for c in data["coverage"])
    edited = {d.id for d in syn.docs.values() if d.story == 0 and any("->" in e or "number" in e for e in d.edits)}
    varied = {c for v in data["variants"] for r in v["readings"] for c in r["copies"]
              if "omitted" not in r["kinds"] and "added" not in r["kinds"]}
    assert edited and edited <= varied
    assert "edges" in data and "notes" in data
    # An outlet's furniture on one side only is not a change: the base's own version reads verbatim.
    base_family = next(m["family"] for m in data["members"] if m["role"] == "base")
    same = [m for m in data["members"] if m["family"] == base_family and m["role"] != "base"]
    assert same and all(m["label"] == "verbatim" and m["retained"] == 100.0 for m in same)


def test_cli_story_prints_paragraphs_1_based_and_collates_one(wire, capsys) -> None:
    syn, opts = wire
    origin = syn.stories[0].origin
    code, out, _err = _run(capsys, "story", origin, *opts)
    assert code == 0 and "coverage of the base (¶ 1-based)" in out
    first = int(out.split("\n  ¶", 1)[1].split()[0])
    code, out, _err = _run(capsys, "story", origin, *opts, "--paragraph", str(first))
    assert code == 0 and out.startswith(f"¶{first} of {origin} in 12 copies")
    assert "identical]" in out
    code, _out, err = _run(capsys, "story", origin, *opts, "--paragraph", "1")
    assert code == 1 and err.startswith("parallax: ¶1 is not a content paragraph") and "Traceback" not in err


def test_cli_story_variants_kind_and_csv(wire, capsys, tmp_path: Path) -> None:
    syn, opts = wire
    origin = syn.stories[0].origin
    code, out, _err = _run(capsys, "story", origin, *opts, "--variants")
    assert code == 0 and "variant place" in out
    target = tmp_path / "v.csv"
    code, out, _err = _run(capsys, "story", origin, *opts, "--variants", "--kind", "attribution", "--csv", str(target))
    assert code == 0 and target.exists() and out.startswith("wrote ")
    rows = list(csv.reader(io.StringIO(target.read_text("utf-8"))))
    assert all("attribution" in r[4] for r in rows[1:])
    corpus_file = syn.root / origin
    before = corpus_file.read_bytes()
    code, _out, err = _run(capsys, "story", origin, *opts, "--csv", str(corpus_file))
    assert code == 1 and err.startswith("parallax: ") and corpus_file.read_bytes() == before
    own = next(d.id for d in syn.docs.values() if d.story is None)
    code, _out, err = _run(capsys, "story", own, *opts, "--base", origin)
    assert code == 1 and "not a copy of this story" in err


def test_cli_story_html_and_pdf_reports(wire, capsys, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    import hashlib

    from PySide6.QtCore import QCoreApplication

    from app.core.storage.fsguard import has_report_signature

    if QCoreApplication.instance() is None:
        request.getfixturevalue("qapp")  # a QApplication, shared with the UI tests
    syn, opts = wire
    story = syn.stories[0]
    html, pdf = tmp_path / "story.html", tmp_path / "story.pdf"
    code, out, err = _run(capsys, "story", story.copies[1], *opts, "--html", str(html), "--pdf", str(pdf))
    assert code == 0 and out == "" and err.splitlines()[-2:] == [f"wrote {html}", f"wrote {pdf}"]
    text = html.read_text("utf-8")
    assert '<meta name="generator" content="Parallax' in text
    for table in ("coverage", "copies", "variants", "timeline"):
        assert f'data-table="{table}"' in text
    for aid in story.copies:
        assert hashlib.sha256((syn.root / aid).read_bytes()).hexdigest() in text
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and has_report_signature(pdf)
    # Its own reports are replaced; a corpus file, a file it did not write, or one name twice never.
    code, _out, _err = _run(capsys, "story", story.origin, *opts, "--pdf", str(pdf))
    assert code == 0 and has_report_signature(pdf)
    foreign = tmp_path / "theirs.html"
    foreign.write_text("<p>mine</p>", "utf-8")
    corpus_file = syn.root / story.origin
    before = corpus_file.read_bytes()
    fresh = tmp_path / "fresh.html"
    for argv in (["--pdf", str(corpus_file)], ["--html", str(corpus_file)], ["--html", str(foreign)],
                 ["--html", str(fresh), "--pdf", str(syn.root / "story.pdf")], ["--html", str(pdf), "--pdf", str(pdf)]):
        code, _out, err = _run(capsys, "story", story.origin, *opts, *argv)
        assert code == 1 and err.startswith("parallax: ") and "Traceback" not in err, argv
    assert corpus_file.read_bytes() == before and foreign.read_text("utf-8") == "<p>mine</p>"
    assert not fresh.exists() and not (syn.root / "story.pdf").exists()  # both targets checked first
