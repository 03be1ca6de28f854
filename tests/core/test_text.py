"""Text helpers: the markdown test agrees with the regular expressions it replaces."""

from __future__ import annotations

import random
import re

import pytest

from app.core.reading.text import _strip_emphasis, has_markdown

_CHAR = re.compile(r"[\[*_`#>]")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s", re.MULTILINE)


_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)\1")


def _reference(text: str) -> bool:
    return bool(_CHAR.search(text) or _ITEM.search(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("Plain prose, with a date 2021-06-29 and 12 dogs.", False),
    ("2021-06-29\nPlain prose.", False),
    ("Intro\n  - an item", True),
    ("Intro\n12. an item", True),
    ("Intro\n1234. not an item", False),
    ("Intro\n-\nnext line", True),  # the line's newline is the item's whitespace
    ("Intro\n-", False),  # nothing follows the marker at the very end
    ("Intro\n\u0663) Arabic-Indic digit", True),
    ("a\u2028- after a line separator, which is not a line start", False),
    ("some *emphasis*", True),
])
def test_has_markdown_cases(text: str, expected: bool) -> None:
    assert has_markdown(text) is expected
    assert _reference(text) is expected


def test_has_markdown_matches_the_regular_expressions_on_random_text() -> None:
    rnd = random.Random(7)
    alphabet = ["-", "*", "+", "1", "12.", "3)", "1234.", " ", "\n", "\t", "a", "\u2028", "\u0663",
                ".", ")", "x", "\u00a0", "\x1c", "\r", "#", "2021-06-29"]
    for _ in range(20_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 9)))
        assert has_markdown(text) is _reference(text), repr(text)


@pytest.mark.parametrize("text", ["**a **b", "**a **b*", "***a* b**", "__a __b_ c__", "*a**", "**a** *b*", "*_a*_a"])
def test_emphasis_is_stripped_as_the_lazy_pattern_would(text: str) -> None:
    assert _strip_emphasis(text) == _EMPHASIS.sub(r"\2", text)


def test_emphasis_matches_the_lazy_pattern_on_random_text() -> None:
    rnd = random.Random(11)
    alphabet = ["*", "**", "***", "_", "__", "___", " ", "a", "b ", "\n", "x*", "*y", " * ", "_z_", "**w**",
                "word " * 5, "\t", "\u00a0", "*_", "_*"]
    for _ in range(5_000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 120)))
        assert _strip_emphasis(text) == _EMPHASIS.sub(r"\2", text), repr(text)
