"""Where else a passage appears: found verbatim and edited, not for another text on the same topic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.core.corpus import Corpus
from app.core.fingerprint import fingerprint
from app.core.passages import PassageError, corpus_versions, passage_shingles
from app.core.reader import read_article
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
