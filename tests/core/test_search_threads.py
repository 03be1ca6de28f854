"""A search leaves no thread behind, and ``parallax search`` exits as soon as it has printed."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.search import fulltext as search_mod
from app.core.search.fulltext import QueryError
from app.core.workspace.corpus import Corpus

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    c = Corpus(SEEDS, tmp_path_factory.mktemp("ix"))
    c.update_index()
    return c


def _lingering() -> set[threading.Thread]:
    """Live threads that would keep the interpreter from exiting."""
    return {t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()}


def _no_thread_left(run: Callable[[], Any]) -> None:
    before = _lingering()
    with contextlib.suppress(QueryError):
        run()
    left = _lingering() - before
    assert not left, f"threads left running after search(): {left}"


@pytest.mark.parametrize("sort", ["score", "date"])
@pytest.mark.parametrize("query", ["alliance", "zzzunknown", "Navaln*", "Putin~2", "NOT alliance"])
def test_fast_path_leaves_no_thread(corpus: Corpus, query: str, sort: str) -> None:
    _no_thread_left(lambda: corpus.search(query, sort=sort))


@pytest.mark.parametrize("query", ["alliance", "zzzunknown", '"Shanghai Cooperation"'])
def test_whoosh_fallback_leaves_no_thread(corpus: Corpus, monkeypatch: pytest.MonkeyPatch,
                                          query: str) -> None:
    used = []
    real = search_mod._whoosh_page
    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    monkeypatch.setattr(search_mod, "_whoosh_page", lambda *a: used.append(1) or real(*a))
    _no_thread_left(lambda: corpus.search(query))
    assert used


def test_fast_path_failure_falls_back_without_a_thread(corpus: Corpus,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a: Any, **k: Any) -> None:
        raise RuntimeError("fast path bug")

    monkeypatch.setattr(search_mod, "_fast_page", broken)
    before = _lingering()
    assert corpus.search("alliance").total == 4
    assert not _lingering() - before


@pytest.mark.parametrize("query", ['"unclosed', "(alliance", "title:", "nosuchfield:x"])
def test_refused_query_leaves_no_thread(corpus: Corpus, query: str) -> None:
    with pytest.raises(QueryError):
        corpus.search(query)
    _no_thread_left(lambda: corpus.search(query))


def test_timed_out_search_leaves_no_thread(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_mod, "SEARCH_SECONDS", 0.0)
    for fast in (True, False):
        if not fast:
            monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
        with pytest.raises(QueryError, match="took longer"):
            corpus.search("*", limit=None)
        _no_thread_left(lambda: corpus.search("alliance"))


def test_failing_collection_leaves_no_thread(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding(search_mod._DeadlineCollector):
        def collect_matches(self) -> None:
            raise RuntimeError("disk gone")

    monkeypatch.setattr(search_mod, "_fast_page", lambda *a, **k: None)
    monkeypatch.setattr(search_mod, "_DeadlineCollector", Exploding)
    with pytest.raises(QueryError):
        corpus.search("alliance")
    _no_thread_left(lambda: corpus.search("alliance"))


def test_many_searches_leave_no_thread(corpus: Corpus) -> None:
    # The window runs one search per keystroke: none of them may leave a thread behind.
    before = threading.active_count()
    for q in ("a*", "al*", "all*", "alli*", "allia*", "allian*", "allianc*", "alliance"):
        corpus.search(q)
    assert threading.active_count() <= before


def test_cli_search_exits_promptly(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               PARALLAX_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "app", "search", "alliance", "--corpus", str(SEEDS),
           "--index", str(tmp_path / "ix")]  # a fresh index: built, then searched
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            first = proc.stdout.readline()
            printed = time.monotonic()
            rest = proc.stdout.read()
            proc.wait(timeout=60)
        finally:
            proc.kill()
        after_printing = time.monotonic() - printed
        assert proc.returncode == 0, proc.stderr.read()
    assert first.startswith("4 hits for alliance") and "alliance" in rest.lower()
    # Printing the hits and exiting take milliseconds; a forgotten 10 s timer thread held the exit.
    assert after_printing < 5, f"parallax search took {after_printing:.1f} s to exit after printing"
