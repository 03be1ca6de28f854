"""The English stemmer gives Whoosh's stems."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest
from whoosh.lang import stemmer_for_language

from app.core.engine import stemmer

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = (*stemmer._STEP1A, *stemmer._STEP1B, *stemmer._STEP2, *stemmer._STEP3, *stemmer._STEP4,
            *stemmer._SPECIAL, "y", "'", "'s", "’s", "ee", "at", "bl", "iz", "ll", "e", "l", "gener",
            "commun", "arsen", "bb", "tt", "ion", "s", "t", "Y")


def _whoosh(word: str) -> str | type:
    try:
        return stemmer_for_language("en")(word)
    except Exception as exc:
        return type(exc)


def _ours(word: str) -> str | type:
    try:
        return stemmer.stem(word)
    except Exception as exc:
        return type(exc)


def test_seed_corpus_and_generated_vocabulary() -> None:
    words: set[str] = set()
    for path in (ROOT / "seeds").rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8", errors="replace")
            words.update(w.lower() for w in re.findall(r"\w+(?:['’]\w+)*", text) if w.isascii())
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import gen_articles

        vocabulary, _weights = gen_articles._vocabulary(random.Random(1))
    finally:
        sys.path.remove(str(ROOT / "bench"))
    words.update(vocabulary[:20_000])
    assert len(words) > 20_000
    assert [w for w in sorted(words) if _ours(w) != _whoosh(w)] == []


@pytest.mark.parametrize("seed", range(4))
def test_random_words_built_from_the_suffixes(seed: int) -> None:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz'yyyaeiou"
    words = set()
    for _ in range(20_000):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(0, 5)))
        word += "".join(rng.choice(SUFFIXES) for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.3:
            word = rng.choice(SUFFIXES) + word
        words.add(word)
        words.add("".join(rng.choice("aeiouyst'lnr") for _ in range(rng.randint(1, 9))))
    assert [w for w in sorted(words) if _ours(w) != _whoosh(w)] == []


@pytest.mark.parametrize("last", sorted(set("abcdefghijklmnopqrstuvwxyz0123456789'\u2019")))
def test_words_ending_in_every_letter(last: str) -> None:
    # The stemmer returns words ending in letters no step tests at once: each such ending
    # must really be one that no step changes, whatever comes before it.
    rng = random.Random(ord(last))
    letters = "abcdefghijklmnopqrstuvwxyzYaeiouy'\u2019"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(0, 9))) + last for _ in range(3000)}
    words |= {rng.choice(SUFFIXES) + last for _ in range(200)} | {s[:-1] + last for s in SUFFIXES}
    assert [w for w in sorted(words) if _ours(w) != _whoosh(w)] == []
