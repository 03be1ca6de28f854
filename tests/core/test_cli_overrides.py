"""``parallax boilerplate``, ``sources`` and ``thresholds`` on a copy of the seeds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.core.workspace.userdata import UserDataStore, text_hash

S000 = "000_121b9dbdb0afe2a7.txt"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    code, out, err = _run(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


def test_mark_list_unmark_by_paragraph(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    corpus = str(seeds_copy)
    shown = _json(capsys, "show", S000, "--corpus", corpus)
    para = next(p for p in shown["paragraphs"] if p["role"] == "body")
    n = para["number"]  # ¶N, as show prints it and --paragraph takes it
    assert n == shown["paragraphs"].index(para) + 1 == para["index"] + 1
    code, out, _ = _run(capsys, "boilerplate", "mark", S000, "--paragraph", str(n), "--corpus", corpus)
    assert code == 0 and "boilerplate" in out
    listed = _json(capsys, "boilerplate", "list", "--corpus", corpus)
    [mark] = listed["marks"]
    assert mark["kind"] == "boilerplate" and mark["hash"] == f"{text_hash(para['text']):016x}"
    assert mark["articles"] >= 1 and para["text"].startswith(mark["text"][:40])
    again = _json(capsys, "boilerplate", "mark", S000, "--paragraph", str(n), "--as", "content",
                  "--corpus", corpus)
    assert again["marked"]["kind"] == "content"
    assert len(_json(capsys, "boilerplate", "list", "--corpus", corpus)["marks"]) == 1
    gone = _json(capsys, "boilerplate", "unmark", "--hash", mark["hash"], "--corpus", corpus)
    assert gone["unmarked"]["kind"] == "content"
    assert _json(capsys, "boilerplate", "list", "--corpus", corpus)["marks"] == []


def test_mark_by_text(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    text = "Subscribe to our newsletter for the daily digest of the news that matters"
    code, _, _ = _run(capsys, "boilerplate", "mark", "--text", text, "--corpus", str(seeds_copy))
    assert code == 0
    assert UserDataStore(seeds_copy).data.mark_kind(text_hash(text)) == "boilerplate"
    code, out, _ = _run(capsys, "boilerplate", "unmark", "--text", text.upper(), "--corpus", str(seeds_copy))
    assert code == 0 and "removed" in out


@pytest.mark.parametrize(("argv", "message"), [
    (("boilerplate", "mark"), "name the paragraph"),
    (("boilerplate", "mark", S000, "--paragraph", "999"), "has paragraphs ¶1 to"),
    (("boilerplate", "mark", S000, "--paragraph", "0"), "has paragraphs ¶1 to"),
    (("boilerplate", "mark", S000, "--paragraph", "2", "--text", "x"), "not both"),
    (("boilerplate", "unmark", "--hash", "zz"), "not a mark's hash"),
    (("sources", "rename", "No Such Outlet", "X"), "no source named"),
    (("sources", "merge", "Global Research", "--as", "X"), "two sources or more"),
    (("thresholds", "set", "min_containment", "7"), "between 0 and 1"),
    (("thresholds", "set", "no_such", "1"), "unknown threshold"),
    (("thresholds", "set", "max_postings"), "NAME VALUE pairs"),
])
def test_errors_are_one_line(capsys: pytest.CaptureFixture[str], seeds_copy: Path, argv: tuple[str, ...],
                             message: str) -> None:
    code, _, err = _run(capsys, *argv, "--corpus", str(seeds_copy))
    assert code == 1
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_sources_rename_merge_reset(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    corpus = str(seeds_copy)
    before = _json(capsys, "sources", "list", "--corpus", corpus)
    raw = before["sources"][0]["source"]
    renamed = _json(capsys, "sources", "rename", raw, "GR", "--corpus", corpus)
    assert renamed["changed"] == [raw]
    assert {r["shown_as"] for r in renamed["sources"]} == {"GR"}
    # The listing, related and clusters show the analyst's name.
    listing = _json(capsys, "articles", "--corpus", corpus)["articles"]
    assert "GR" in {a["source"] for a in listing} and raw not in {a["source"] for a in listing}
    hits = _json(capsys, "search", "China", "--corpus", corpus)["hits"]
    assert "GR" in {h["source"] for h in hits} and raw not in {h["source"] for h in hits}
    merged = _json(capsys, "sources", "merge", "GR", raw, "--as", "Global", "--corpus", corpus)
    assert merged["changed"] == [raw]
    reset = _json(capsys, "sources", "reset", "Global", "--corpus", corpus)
    assert reset["changed"] == [raw]
    assert _json(capsys, "sources", "list", "--corpus", corpus) == before


def test_thresholds_set_list_reset(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    corpus = str(seeds_copy)
    rows = _json(capsys, "thresholds", "set", "source_articles", "5", "min_containment", "0.4",
                 "--corpus", corpus)["thresholds"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["source_articles"]["value"] == 5 and by_name["source_articles"]["set"]
    assert by_name["min_containment"]["value"] == 0.4
    assert all(r["description"] for r in rows)
    rows = _json(capsys, "thresholds", "reset", "--corpus", corpus)["thresholds"]
    assert not any(r["set"] for r in rows)


def test_a_damaged_store_is_reported_and_kept(capsys: pytest.CaptureFixture[str], seeds_copy: Path) -> None:
    store = UserDataStore(seeds_copy)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text("{ damaged", encoding="utf-8")  # not an SQLite file at all
    code, out, err = _run(capsys, "boilerplate", "list", "--corpus", str(seeds_copy))
    assert code == 0 and "damaged" in err and err.count("\n") == 1
    code, _, err = _run(capsys, "boilerplate", "mark", "--text", "Some paragraph text", "--corpus", str(seeds_copy))
    assert code == 0 and "kept as" in err
    [aside] = store.path.parent.glob("userdata.damaged-*.sqlite")
    assert aside.read_text(encoding="utf-8") == "{ damaged"
    assert UserDataStore(seeds_copy).data.marks  # work went on in a fresh store


def test_a_mark_applies_to_compare_pairs_related_clusters_and_reports(capsys: pytest.CaptureFixture[str],
                                                                      seeds_copy: Path, tmp_path: Path) -> None:
    from app.core.align.paragraphs import align
    from app.core.reading.model import RowKind
    from app.core.sessions.session import Session, TabState, load_session, save_session
    from app.core.sessions.sessionalign import session_sections
    from app.core.workspace.corpus import Corpus

    corpus = str(seeds_copy)
    before = _json(capsys, "compare", "001", "004", "--corpus", corpus)
    texts = before["left"]["paragraphs"]
    row = next(r for r in before["rows"] if r["kind"] == "identical" and r["left"]
               and len(texts[r["left"][0]]["text"].split()) > 12)
    para = row["left"][0]
    pairs_before = _json(capsys, "pairs", "--corpus", corpus)["pairs"][0]["shared_paragraphs"]
    related_before = _json(capsys, "related", "001", "--corpus", corpus)["related"][0]["shared_paragraphs"]

    assert _run(capsys, "boilerplate", "mark", "001", "--paragraph", str(para + 1), "--corpus", corpus)[0] == 0
    after = _json(capsys, "compare", "001", "004", "--corpus", corpus)
    assert next(r for r in after["rows"] if para in r["left"])["kind"] == "boilerplate"
    assert after["shared"]["paragraphs"] == before["shared"]["paragraphs"] - 1
    assert _json(capsys, "pairs", "--corpus", corpus)["pairs"][0]["shared_paragraphs"] == pairs_before - 1
    assert _json(capsys, "related", "001", "--corpus", corpus)["related"][0]["shared_paragraphs"] == related_before - 1
    assert len(_json(capsys, "clusters", "--corpus", corpus)["clusters"]) == 1  # still one story
    # A session's report aligns with the mark too (parallax session export).
    c = Corpus(seeds_copy)
    al = align(c.resolve("001"), c.resolve("004"))
    path = save_session(Session(corpus=str(seeds_copy), tabs=[TabState.for_alignment(al, seeds_copy)]),
                        tmp_path / "s.parallax")
    sections, _ = session_sections(load_session(path), c)
    assert next(r for r in sections[0].alignment.rows if para in r.left).kind is RowKind.BOILERPLATE


def test_listing_says_once_that_the_json_of_before_was_imported(capsys: pytest.CaptureFixture[str],
                                                                seeds_copy: Path) -> None:
    text = "Subscribe to our newsletter for the daily digest of the news that matters"
    path = UserDataStore(seeds_copy).json_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": "parallax-userdata", "version": 1, "marks": {
        f"{text_hash(text):016x}": {"kind": "boilerplate", "text": text, "marked": "2024-01-01T00:00:00+00:00"}}}))
    code, out, err = _run(capsys, "boilerplate", "list", "--corpus", str(seeds_copy))
    assert code == 0 and "1 mark " in out
    assert "moved to userdata.sqlite" in err and "userdata.v1.backup.json" in err
    code, _, err = _run(capsys, "boilerplate", "list", "--corpus", str(seeds_copy))
    assert code == 0 and "moved" not in err  # imported once
