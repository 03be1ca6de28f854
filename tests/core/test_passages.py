"""Where else a passage appears: found verbatim and edited, not for another text on the same topic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.core.compare.passages import PassageError, corpus_versions, passage_shingles
from app.core.reading.reader import read_article
from app.core.reuse.fingerprint import fingerprint
from app.core.workspace.corpus import Corpus
from tests.fixtures.syndication import Syndication, build_corpus

ORIGINAL = (
    "The harbour board voted on Tuesday to close the northern quay to container traffic from March, "
    "after engineers found that the sea wall had moved eleven centimetres since the winter storms "
    "and warned that heavy cranes could no longer be parked along its edge."
)
EDITED = (
    "The harbour board voted on Wednesday to close the northern quay to all container traffic from April, "
    "after engineers found that the old sea wall had shifted eleven centimetres since the winter storms "
    "and warned that heavy cranes could no longer be parked along its edge, a spokesman said."
)
SAME_TOPIC = (
    "Container traffic at the harbour has grown every year since the northern quay opened, and the "
    "harbour board says the sea wall, inspected by engineers after the winter storms, is sound. Heavy "
    "cranes are parked along the quay each night. Critics of any plan to close the northern quay to "
    "container traffic say the board expects traffic to grow again in March."
)
FILLER = ("Councillors will meet next week to discuss the budget for the coming year, including the "
          "library opening hours and repairs to the swimming baths on Mill Lane.")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    root = tmp_path_factory.mktemp("passages") / "corpus"
    root.mkdir()
    for name, para in (("a-original", ORIGINAL), ("b-edited", EDITED), ("c-topic", SAME_TOPIC),
                       ("d-verbatim", ORIGINAL)):
        (root / f"{name}.txt").write_text(f"Quay closure\n\n{FILLER}\n\n{para}\n\n{FILLER} More to follow.\n",
                                          encoding="utf-8")
    corpus = Corpus(root, root.parent / "ix")
    corpus.update_index()
    return corpus


def _paragraph_of(corpus: Corpus, aid: str, text: str) -> int:
    return next(p.index for p in corpus.article(aid).paragraphs if p.text == text) + 1


def test_edited_and_verbatim_copies_are_found_ranked_by_similarity(small: Corpus) -> None:
    n = _paragraph_of(small, "a-original.txt", ORIGINAL)
    result = corpus_versions(small, aid="a-original.txt", paragraph=n)
    ids = [m.id for m in result.matches]
    assert ids == ["d-verbatim.txt", "b-edited.txt"]  # the origin is left out; verbatim first
    verbatim, edited = result.matches
    assert verbatim.identical and verbatim.similarity == 1.0
    assert not edited.identical and 0.6 < edited.similarity < 1.0
    changed = {(c.passage, c.version) for c in edited.changes}
    assert ("Tuesday", "Wednesday") in changed and ("March", "April") in changed
    assert ("moved", "shifted") in changed
    assert any(c.tag == "insert" and c.version == "all" for c in edited.changes)
    assert [edited.text[s:e] for s, e in edited.marks] == [c.version for c in edited.changes]
    # Spans point at the version's words in its own paragraph.
    para = small.article("b-edited.txt").paragraphs[edited.paragraphs[0]]
    for c in edited.changes:
        for pidx, s, e in c.spans:
            assert pidx == para.index and para.text[s:e].split()[0] == c.version.split()[0]


def test_another_text_on_the_same_topic_is_not_a_version(small: Corpus) -> None:
    result = corpus_versions(small, text=SAME_TOPIC)
    assert [m.id for m in result.matches] == ["c-topic.txt"]  # only itself, not the quay-closure paragraph
    result = corpus_versions(small, aid="a-original.txt", paragraph=_paragraph_of(small, "a-original.txt", ORIGINAL))
    assert "c-topic.txt" not in {m.id for m in result.matches}


def test_a_selection_inside_a_paragraph_is_found_with_its_edits(small: Corpus) -> None:
    piece = "engineers found that the sea wall had moved eleven centimetres since the winter storms"
    result = corpus_versions(small, text=piece)
    by_id = {m.id: m for m in result.matches}
    assert set(by_id) == {"a-original.txt", "b-edited.txt", "d-verbatim.txt"}
    assert by_id["a-original.txt"].identical and by_id["a-original.txt"].text == piece
    assert [(c.tag, c.passage, c.version) for c in by_id["b-edited.txt"].changes] == [
        ("insert", "", "old"), ("replace", "moved", "shifted")]


def test_short_passages_and_bad_paragraphs_are_user_errors(small: Corpus) -> None:
    with pytest.raises(PassageError, match="too short"):
        corpus_versions(small, text="the harbour board")
    with pytest.raises(PassageError, match="no paragraph 99"):
        corpus_versions(small, aid="a-original.txt", paragraph=99)


def test_passage_shingles_hold_every_stored_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text(f"Title here\n\n{EDITED}\n", encoding="utf-8")
    article = read_article(path, tmp_path)
    prints = fingerprint([article])
    body = next(p for p in article.paragraphs if p.text == EDITED)
    stored = prints.fp[: int(prints.row_nfp[: body.index + 1].sum())][-int(prints.row_nfp[body.index]):]
    assert len(stored) and np.isin(stored, passage_shingles(EDITED)).all()


@pytest.fixture(scope="module")
def syndication(tmp_path_factory: pytest.TempPathFactory) -> Syndication:
    return build_corpus(tmp_path_factory.mktemp("versions") / "corpus", outlets=20, fanouts=(12, 6, 2), own=1)


def test_every_copy_carrying_a_wire_paragraph_is_found(capsys: pytest.CaptureFixture[str],
                                                       syndication: Syndication) -> None:
    story = max(syndication.stories, key=lambda s: len(s.copies))
    origin = story.copies[0]
    # A wire paragraph some copy edited: found there too, with the edit.
    edited = {int(e.rsplit(" ", 1)[1]) for aid in story.copies for e in syndication.docs[aid].edits
              if " in " in e and int(e.rsplit(" ", 1)[1]) in syndication.docs[aid].wire_paragraphs()}
    k = min(edited)
    doc = syndication.docs[origin]
    pos = next(i for i, t in enumerate(doc.tags) if t == ("story", story.number, k))
    corpus = Corpus(syndication.root)
    text = doc.paragraphs[pos]
    number = next(p.index for p in corpus.article(origin).paragraphs if p.text.strip() == text.strip()) + 1
    code = main(["versions", origin, "--paragraph", str(number), "--corpus", str(syndication.root), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    carriers = {aid for aid in story.copies[1:] if k in syndication.docs[aid].wire_paragraphs()}
    found = {m["id"] for m in data["matches"]}
    assert found == carriers
    edits = [m for m in data["matches"] if not m["identical"]]
    assert edits and all(m["changes"] and m["similarity"] < 1 for m in edits)
    assert data["origin"] == origin and data["origin_paragraph"] == number


def test_cli_text_and_errors(capsys: pytest.CaptureFixture[str], small: Corpus) -> None:
    code = main(["versions", "--text", ORIGINAL, "--corpus", str(small.root), "--index", str(small.index.index_dir)])
    out, _ = capsys.readouterr()
    assert code == 0 and "3 other articles carry this passage (2 verbatim, 1 edited)" in out
    code = main(["versions", "--corpus", str(small.root), "--index", str(small.index.index_dir)])
    _, err = capsys.readouterr()
    assert code == 1 and "--paragraph" in err and "Traceback" not in err


def _fresh_process() -> None:
    """Forget the lookup kept in memory, as a new process starts without it."""
    import app.core.compare.passages as passages

    passages._lookup = None


def _own_corpus(tmp_path: Path) -> Corpus:
    root = tmp_path / "corpus"
    root.mkdir()
    for name, para in (("a-original", ORIGINAL), ("b-edited", EDITED), ("c-topic", SAME_TOPIC)):
        (root / f"{name}.txt").write_text(f"Quay closure\n\n{FILLER}\n\n{para}\n", encoding="utf-8")
    corpus = Corpus(root, tmp_path / "ix")
    corpus.update_index()
    return corpus


def test_the_sorted_table_is_stored_and_read_back_instead_of_sorting(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import app.core.compare.passages as passages

    corpus = _own_corpus(tmp_path)
    _fresh_process()
    first = corpus_versions(corpus, text=ORIGINAL)
    stored = tmp_path / "ix" / passages.LOOKUP_FILE
    assert stored.is_file()
    assert [m.id for m in first.matches] == ["a-original.txt", "b-edited.txt"]

    def no_sorting(*_a: object, **_k: object) -> None:
        raise AssertionError("sorted again although the stored table is current")

    monkeypatch.setattr(passages, "_sorted_table", no_sorting)
    _fresh_process()
    again = Corpus(corpus.root, tmp_path / "ix")  # another process: nothing in memory
    second = corpus_versions(again, text=ORIGINAL)
    assert second.to_dict() == first.to_dict()
    assert isinstance(passages._lookup[1].keys, np.memmap) == (passages.os.name != "nt")


def test_the_stored_table_follows_changed_fingerprints(tmp_path: Path) -> None:
    import app.core.compare.passages as passages

    corpus = _own_corpus(tmp_path)
    _fresh_process()
    assert [m.id for m in corpus_versions(corpus, text=ORIGINAL).matches] == ["a-original.txt", "b-edited.txt"]
    stored = tmp_path / "ix" / passages.LOOKUP_FILE
    before = stored.read_bytes()
    (corpus.root / "e-new.txt").write_text(f"Later\n\n{EDITED}\n", encoding="utf-8")
    (corpus.root / "b-edited.txt").write_text(f"Quay closure\n\n{FILLER}\n", encoding="utf-8")
    _fresh_process()
    later = Corpus(corpus.root, tmp_path / "ix")
    later.update_index()
    assert [m.id for m in corpus_versions(later, text=ORIGINAL).matches] == ["a-original.txt", "e-new.txt"]
    assert stored.read_bytes() != before


def test_a_damaged_or_foreign_table_is_not_used(tmp_path: Path) -> None:
    import app.core.compare.passages as passages

    corpus = _own_corpus(tmp_path)
    _fresh_process()
    want = corpus_versions(corpus, text=ORIGINAL).to_dict()
    stored = tmp_path / "ix" / passages.LOOKUP_FILE
    image = bytearray(stored.read_bytes())
    # Rows past the fingerprints under a header that still matches: sorted again and replaced.
    n = passages._lookup[1].keys.size
    image[len(image) - 4 * n:] = np.full(n, 1 << 30, np.int32).tobytes()
    stored.write_bytes(bytes(image))
    _fresh_process()
    assert corpus_versions(Corpus(corpus.root, tmp_path / "ix"), text=ORIGINAL).to_dict() == want
    assert stored.read_bytes() != bytes(image)
    for damage in (b"", b"PRLXPSG1", stored.read_bytes()[:-5], b"not a table at all" * 10):
        stored.write_bytes(damage)
        _fresh_process()
        assert corpus_versions(Corpus(corpus.root, tmp_path / "ix"), text=ORIGINAL).to_dict() == want
