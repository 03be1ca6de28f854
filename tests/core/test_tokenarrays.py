"""The array tokenizer finds exactly the body analyzer's tokens; the hash table keeps every code."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest

from app.core.engine import analysis, tokenarrays
from app.core.engine.analysis import _TOKEN, TermTable, index_terms

ALPHABET = "ab’'_ -.,9Zéж中\u00a0\n\u0301ﬁ"


def _spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text)]


def _encoded(table: TermTable, text: str) -> dict[str, list[int]]:
    """Term -> positions, as the term table encodes ``text``."""
    ids, positions = table.encode(text)
    got: dict[str, list[int]] = {}
    for tid, pos in zip(ids.tolist(), positions.tolist(), strict=True):
        got.setdefault(table.terms[tid], []).append(pos)
    return got


def test_word_characters_agree_with_the_regex_for_every_bmp_code_point() -> None:
    table = tokenarrays._word_chars()
    text = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
    marked = {m.start() for m in re.finditer(r"\w", text)}
    codes = [c for c in range(0x10000) if not 0xD800 <= c < 0xE000]
    assert [i for i, c in enumerate(codes) if table[c]] == sorted(marked)


@pytest.mark.parametrize("text", ["plain ascii words_1", "café naïve", "Москва и мир", "中俄关系 and more"])
def test_tokens_build_the_word_character_blocks_the_text_needs(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokenarrays, "_WORD", np.zeros(0x10000, dtype=bool))
    monkeypatch.setattr(tokenarrays, "_BUILT", np.zeros(len(tokenarrays._BUILT), dtype=bool))
    toks = tokenarrays.tokens(text)
    assert toks is not None
    assert list(zip(toks.starts.tolist(), toks.ends.tolist(), strict=True)) == _spans(text)


@pytest.mark.parametrize("seed", range(40))
def test_token_spans_match_the_regex(seed: int) -> None:
    rng = random.Random(seed)
    text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 400)))
    toks = tokenarrays.tokens(text)
    assert toks is not None
    assert list(zip(toks.starts.tolist(), toks.ends.tolist(), strict=True)) == _spans(text)


def test_equal_tokens_hash_equal_and_different_ones_differ() -> None:
    text = "don't stop, Don't stop; dont stop ab ba aab"
    toks = tokenarrays.tokens(text)
    assert toks is not None
    by_text: dict[str, set[int]] = {}
    for s, e, h in zip(toks.starts.tolist(), toks.ends.tolist(), toks.hashes.tolist(), strict=True):
        by_text.setdefault(text[s:e], set()).add(h)
    assert all(len(hs) == 1 for hs in by_text.values())
    assert len({next(iter(hs)) for hs in by_text.values()}) == len(by_text)


@pytest.mark.parametrize("text", ["x" * 65 + " tail", "emoji 😀 here", "", "x" * 65 + " tail" * 600,
                                  "emoji 😀 here " * 300])
def test_out_of_scope_texts_are_left_to_the_exact_path(text: str) -> None:
    toks = tokenarrays.tokens(text)
    assert (toks is None) == bool(text)
    table = TermTable()
    ids, positions = table.encode(text)
    got: dict[str, list[int]] = {}
    for tid, pos in zip(ids.tolist(), positions.tolist(), strict=True):
        got.setdefault(table.terms[tid], []).append(pos)
    assert got == index_terms(text)


def test_hash_table_grows_and_keeps_every_code() -> None:
    table = tokenarrays.HashCodes(bits=3)
    rng = np.random.default_rng(3)
    keys = np.unique(rng.integers(0, 2**62, 5000, dtype=np.int64).astype(np.uint64) * np.uint64(7))
    for code, key in enumerate(keys.tolist()):
        table.insert(key, code)
    assert len(table) == len(keys)
    assert table.lookup(keys).tolist() == list(range(len(keys)))
    absent = keys + np.uint64(1)
    assert (table.lookup(absent[~np.isin(absent, keys)]) == tokenarrays.MISSING).all()


def test_hash_table_inserts_batches_that_collide() -> None:
    table = tokenarrays.HashCodes(bits=3)
    rng = np.random.default_rng(5)
    keys = np.unique(rng.integers(0, 2**62, 6000, dtype=np.int64).astype(np.uint64))
    # Keys with the same home slot in one batch, then batches into a fuller table.
    slots = table._slots(keys)
    clash = keys[slots == slots[0]]
    assert len(clash) > 100
    table.insert_many(clash, np.arange(len(clash), dtype=np.int32))
    rest = keys[~np.isin(keys, clash)]
    for part, base in ((rest[:2000], 10_000), (rest[2000:], 20_000)):
        table.insert_many(part, np.arange(base, base + len(part), dtype=np.int32))
    assert len(table) == len(keys)
    assert table.lookup(clash).tolist() == list(range(len(clash)))
    assert table.lookup(rest[:2000]).tolist() == list(range(10_000, 12_000))
    assert table.lookup(rest[2000:]).tolist() == list(range(20_000, 20_000 + len(rest) - 2000))
    absent = keys + np.uint64(1)
    assert (table.lookup(absent[~np.isin(absent, keys)]) == tokenarrays.MISSING).all()


@pytest.mark.parametrize("seed", range(20))
def test_term_table_matches_the_analyzer_on_random_text(seed: int) -> None:
    rng = random.Random(seed)
    words = ["the", "of", "Alliance", "alliance's", "don’t", "Союзники", "договор", "中国和俄罗斯",
             "x_1", "9", "naïve", "A", "an", "Taiwan", "—", "U.S.", "e-mail"]
    table = TermTable()
    for _ in range(3):  # the same table across documents, as a worker uses it
        # Short texts are encoded word by word, long ones (from 4,000 characters) as arrays.
        text = " ".join(rng.choice(words) for _ in range(rng.choice([rng.randint(0, 60), rng.randint(400, 1500)])))
        assert _encoded(table, text) == index_terms(text), text


@pytest.mark.parametrize("seed", range(10))
def test_term_table_matches_the_analyzer_on_punctuated_words(seed: int) -> None:
    # Short texts learn their chunks in line when punctuation wraps a plain word ("word,").
    rng = random.Random(seed)
    cores = ["the", "The", "Alliance", "alliance's", "x_1", "9", "naïve", "tis", "U", "said", "_", ""]
    wraps = ["", "(", ")", ",", ".", "'", "\"", "--", "...", "«", "’", "_", "-", "[1]", "'s"]
    table = TermTable()
    for _ in range(4):
        text = " ".join(rng.choice(wraps) + rng.choice(cores) + rng.choice(wraps) for _ in range(rng.randint(0, 80)))
        assert _encoded(table, text) == index_terms(text), text


@pytest.mark.parametrize("seed", range(10))
def test_term_table_matches_the_analyzer_on_long_texts_of_new_words(seed: int) -> None:
    # Long texts (from 4,000 characters) go through the hash table, learning their new
    # tokens as they come: no CJK word here, which would send the text the general way.
    rng = random.Random(seed)
    table = TermTable()
    for n in range(3):
        words = [f"w{seed}x{n}y{k}" for k in range(300)] + ["the", "Alliance", "alliance's", "don’t", "9", "naïve"]
        text = " ".join(rng.choice(words) for _ in range(rng.randint(700, 1500)))
        assert len(text) >= analysis._SHORT_TEXT
        ids, positions = table.encode(text)
        got: dict[str, list[int]] = {}
        for tid, pos in zip(ids.tolist(), positions.tolist(), strict=True):
            got.setdefault(table.terms[tid], []).append(pos)
        assert got == index_terms(text)
