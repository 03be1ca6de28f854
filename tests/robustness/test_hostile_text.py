"""Pathological article text: the reader stays linear (a per-file budget, far above its real cost).

The budget is generous (a second plus 2 s per MB) so that a loaded machine does not fail it;
the quadratic patterns this guards against took 20 s to hours on the same inputs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.reading.reader import MAX_PARAGRAPH_CHARS, ReadError, parse_bytes
from app.core.reading.text import normalize

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from hostile_read import HOSTILE  # noqa: E402

SIZE = 128 * 1024


def _budget(nbytes: int) -> float:
    return 1.0 + 2.0 * nbytes / 1e6


def _read_seconds(data: bytes, suffix: str) -> float:
    path = Path("/corpus/hostile" + suffix)
    t0 = time.perf_counter()
    try:
        article = parse_bytes(data, path=path, root=path.parent)
    except ReadError:
        return time.perf_counter() - t0
    elapsed = time.perf_counter() - t0
    # Whatever was read keeps exact spans into the decoded text, and no paragraph is huge.
    for p in article.paragraphs:
        assert 0 <= p.start < p.end <= len(article.text)
        assert len(p.text) <= MAX_PARAGRAPH_CHARS
        if suffix != ".html":
            assert normalize(article.text[p.start:p.end]) == p.norm
    return elapsed


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_pathological_file_is_read_within_budget(name: str) -> None:
    suffix, build = HOSTILE[name]
    data = build(SIZE).encode("utf-8")
    seconds = _read_seconds(data, suffix)
    assert seconds < _budget(len(data)), f"{name}: {seconds:.2f} s for {len(data)} bytes"


_UNITS = ["=", "&", "&amp;", "<", "<a ", "<!--", "<![", "</", "<p>", "</p>", "<div>", "*", "*a ", "_a",
          "[", "![a", "[a](", "(", "`", "#", "# h\n", "> ", "- ", "1. ", "---\n", "2024-05-01 ",
          "Published: ", "By ", "via ", "1", " ", "\t", "\u00a0", "\n", "\n\n", " - ", "--", "a-",
          "a'", "中", "May 12 ", "© ", "\u200b", "word ", "</>", "<!>", "<&"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.tuples(st.sampled_from(_UNITS), st.integers(1, 20_000)), min_size=1, max_size=6),
       suffix=st.sampled_from([".txt", ".md", ".html"]))
def test_mixed_pathological_runs_stay_within_budget(parts: list[tuple[str, int]], suffix: str) -> None:
    text = "".join(unit * count for unit, count in parts)[:SIZE]
    data = text.encode("utf-8")
    seconds = _read_seconds(data, suffix)
    assert seconds < _budget(len(data)), f"{seconds:.2f} s for {len(data)} bytes"


def test_html_marked_section_without_a_name_is_text_not_a_crash() -> None:
    data = b"<html><body><p>Before <![ 1 ]> after the odd section, the article goes on.</p></body></html>"
    article = parse_bytes(data, path=Path("/c/odd.html"), root=Path("/c"))
    assert "after the odd section" in article.paragraphs[0].text


def test_stray_angle_brackets_stay_in_the_text() -> None:
    data = b"<html><body><p>When 1 < 2 and 3 << 4 the sum holds.</p><p>Tail text 5 < 6 <a</p></body></html>"
    article = parse_bytes(data, path=Path("/c/lt.html"), root=Path("/c"))
    texts = [p.text for p in article.paragraphs]
    assert texts[0] == "When 1 < 2 and 3 << 4 the sum holds."
