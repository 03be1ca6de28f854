"""The engine fence: the pinned Whoosh release, stock mode, and the fast path's logged fallbacks."""

from __future__ import annotations

import logging
import random
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import whoosh
from whoosh.analysis.filters import STOP_WORDS

from app.core.engine import release, segwriter
from app.core.search import fulltext as search
from app.core.workspace.corpus import Corpus

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"
# The query language's main shapes (tests/core/test_search.py), on the seeds and on generated
# articles: terms, stems, phrases, fuzzy and wildcard terms, fields, AND / OR / NOT, dates.
QUERIES = [
    "alliance", "Taiwan", '"Shanghai Cooperation"', "Navalny", "alliances", "Navalni~", "Navaln*",
    "title:Putin", 'source:"Global Research"', "Taiwan AND NOT Duran", "Navalny OR Tashkent",
    "(Navalny OR Tashkent) AND Lai", "date:[2020 to 2030]", "*", "alliance^2 treaty",
]


def _words(corpus: Path, k: int) -> list[str]:
    """``k`` words of the generated corpus, common and rare."""
    text = " ".join(p.read_text("utf-8") for p in sorted(corpus.rglob("*.txt"))[:40])
    counts: dict[str, int] = {}
    for w in re.findall(r"[a-z]{4,}", text):
        if w not in STOP_WORDS:
            counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], w))
    return ranked[:k // 2] + ranked[-(k - k // 2):]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import gen_articles

        out = tmp_path_factory.mktemp("generated")
        gen_articles.generate(out, 250, seed=3)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return out


def _results(root: Path, ix: Path, queries: list[str]) -> dict:
    corpus = Corpus(root, ix)
    # One segment either way (stock Whoosh indexes in this process): the same document numbers,
    # so equal scores come in the same order.
    corpus.index.share_threshold = corpus.index.bulk_threshold = 1 << 62
    corpus.update_index()
    out = {}
    for q in queries:
        for sort, limit in (("score", None), ("score", 5), ("date", 5)):
            res = corpus.search(q, limit=limit, sort=sort)
            out[q, sort, limit] = (res.total, [(h.id, round(h.score, 6)) for h in res.hits])
    return out


@pytest.mark.parametrize("which", ["seeds", "generated"])
def test_stock_mode_finds_and_ranks_what_the_fast_path_does(which: str, generated: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = SEEDS if which == "seeds" else generated
    words = _words(generated, 10)
    queries = QUERIES if which == "seeds" else [*words, f'"{words[0]} {words[1]}"',
                                                 f"{words[0]} AND NOT {words[1]}", f"{words[2]} OR {words[-1]}",
                                                 f"{words[3][:4]}*", f"{words[4]}~", "title:" + words[0]]
    fast = _results(root, tmp_path / "fast", queries)
    monkeypatch.setenv(release.STOCK_ENV, "1")

    def refuse(*_args, **_kwargs) -> None:
        raise AssertionError("a fast path ran in stock mode")

    monkeypatch.setattr(segwriter.ArraySegmentWriter, "__init__", refuse)
    monkeypatch.setattr(search, "_fast_page", refuse)
    stock = _results(root, tmp_path / "stock", queries)
    _same(stock, fast)
    assert sum(bool(hits) for _total, hits in fast.values()) > len(fast) // 2


def _same(stock: dict, fast: dict) -> None:
    """Stock and fast results agree: totals, every full ranking, and each page.

    A page of Whoosh's own collector can miss a document of its own full ranking (its top-k
    skipping is inexact on some expanded queries, e.g. ``russ*``): there the fast page must be
    the head of the full ranking, as Whoosh's scores order it.
    """
    assert stock.keys() == fast.keys()
    for key, (total, hits) in stock.items():
        q, sort, limit = key
        assert total == fast[key][0], key
        if limit is None or hits == fast[key][1]:
            assert hits == fast[key][1], key
            continue
        full = fast[q, "score", None][1]
        assert sort == "score" and hits != stock[q, "score", None][1][:limit], key  # Whoosh's own miss
        assert fast[key][1] == full[:limit], key


def test_engine_mode_follows_the_installed_release_and_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(release.STOCK_ENV, raising=False)
    assert whoosh.versionstring() == release.WHOOSH_VERSION
    assert release.engine_mode()[0] == "fast" and release.fast()
    monkeypatch.setenv(release.STOCK_ENV, "1")
    mode, message = release.engine_mode()
    assert mode == "stock" and release.STOCK_ENV in message and not release.fast()
    monkeypatch.delenv(release.STOCK_ENV)
    monkeypatch.setattr(release, "WHOOSH_VERSION", "2.7.6")
    mode, message = release.engine_mode()
    assert mode == "stock" and "2.7.6" in message and release.PINNED_WHOOSH in message


def test_the_pin_is_the_release_the_engine_expects() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    assert f"whoosh-reloaded=={release.PINNED_WHOOSH}" in deps
    assert release.WHOOSH_VERSION == release.PINNED_WHOOSH  # the environment the tests run in


def test_the_command_line_says_so_once_in_stock_mode(tmp_path: Path) -> None:
    for stock in (True, False):
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
        if stock:
            env[release.STOCK_ENV] = "1"
        proc = subprocess.run([sys.executable, "-m", "app", "index", str(SEEDS), "--index", str(tmp_path / f"ix{stock}")],
                              capture_output=True, text=True, timeout=120, check=False, env=env, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.count("Whoosh's own index writer") == (1 if stock else 0), proc.stderr


def test_fast_path_fallbacks_are_logged_with_their_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = Corpus(SEEDS, tmp_path / "ix")
    corpus.update_index()
    with caplog.at_level(logging.DEBUG, logger="app.core.engine.searchpage"):
        assert corpus.search("id:000*", limit=None).total == 1  # a pattern on an id: not covered
    assert any("falls back" in r.getMessage() and "pattern" in r.getMessage() for r in caplog.records)
    caplog.clear()

    def broken(*_args, **_kwargs) -> None:
        raise RuntimeError("a bug in the fast path")

    expected = [(h.id, h.score) for h in corpus.search("alliance", limit=None).hits]
    monkeypatch.setattr(search, "_fast_page", broken)
    with caplog.at_level(logging.WARNING, logger="app.core.search.fulltext"):
        got = [(h.id, h.score) for h in corpus.search("alliance", limit=None).hits]
    assert got == expected  # Whoosh's collector answered
    failures = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(failures) == 1 and "RuntimeError: a bug in the fast path" in failures[0].getMessage()


def test_random_queries_stay_the_same_in_stock_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    words = ["alliance", "Taiwan", "Navalny", "Putin", "summit", "Lai", "Tashkent", "China", "treaty"]
    rng = random.Random(5)
    queries = [f"{rng.choice(words)} {rng.choice(['AND', 'OR', 'AND NOT'])} {rng.choice(words)}" for _ in range(12)]
    fast = _results(SEEDS, tmp_path / "fast", queries)
    monkeypatch.setenv(release.STOCK_ENV, "1")
    _same(_results(SEEDS, tmp_path / "stock", queries), fast)
