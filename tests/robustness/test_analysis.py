"""The fast indexing path produces exactly the body analyzer's terms and positions; fast snippets."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest

from app.core.engine.analysis import body_analyzer, index_terms
from app.core.search.fulltext import highlight_text

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PIECES = ["The", "the", "a", "of", "China's", "don't", "it's", "Москва", "москвы", "Москве", "中华人民共和国",
          "経済", "日本語テキスト", "mixed中文words", "İstanbul", "naïve", "Straße", "x", "123", "4th",
          "rock’n’roll", "O'Neil's", "—", "...", "\n\n", "ΑΘΗΝΑ", "alliances", "running", "ran", "and", "to"]


def _reference(text: str) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for t in body_analyzer()(text, positions=True, mode="index"):
        out[t.text].append(t.pos)
    return dict(out)


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name[:3])
def test_same_terms_as_analyzer_on_seeds(path: Path) -> None:
    text = path.read_text("utf-8")
    assert index_terms(text) == _reference(text)


def test_same_terms_as_analyzer_on_mixed_scripts() -> None:
    rng = random.Random(8)
    for _ in range(300):
        text = " ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 40)))
        assert index_terms(text) == _reference(text), text
    assert index_terms("") == {} and index_terms("the of a") == {}


def test_highlight_marks_stems_and_escapes() -> None:
    text = "Before <script> the alliances grew. " + "filler words here " * 30 + "One alliance ended & stopped."
    snips = highlight_text(text, frozenset({"allianc"}))
    assert len(snips) == 2
    assert "<b>alliances</b>" in snips[0] and "&lt;script&gt;" in snips[0]
    assert "<b>alliance</b>" in snips[1] and "&amp;" in snips[1]
    assert highlight_text(text, frozenset({"nothing"})) == []
    assert highlight_text("中华人民共和国成立", frozenset({"人民"})) == ["<b>中华人民共和国成立</b>"]
