"""The standalone build in dist/parallax runs without Python: version, GUI screenshot, search.

Skipped when the bundle is absent or older than the sources (``make test-package`` rebuilds it
and sets PARALLAX_REQUIRE_PACKAGE=1, which turns those skips into failures).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
BUNDLE = ROOT / "dist" / "parallax" / ("parallax.exe" if sys.platform == "win32" else "parallax")
SOURCES = ("app", "resources", "seeds", "packaging", "pyproject.toml")
TIMEOUT = 180

pytestmark = pytest.mark.package


def _newest_source() -> tuple[float, Path | None]:
    """The most recent modification time among the files the bundle is built from."""
    newest, which = 0.0, None
    for name in SOURCES:
        top = ROOT / name
        files = [top] if top.is_file() else (p for p in top.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts:
                continue
            mtime = path.stat().st_mtime
            if mtime > newest:
                newest, which = mtime, path
    return newest, which


def _unavailable() -> str | None:
    """Why the bundle cannot be tested, or None when it is present and up to date."""
    if not BUNDLE.is_file():
        return f"no standalone build at {BUNDLE.relative_to(ROOT)} (make test-package builds it)"
    newest, path = _newest_source()
    if newest > BUNDLE.stat().st_mtime and path is not None:
        return f"the build is older than {path.relative_to(ROOT)} (make test-package rebuilds it)"
    return None


@pytest.fixture(scope="module")
def bundle() -> Path:
    """The built program; skips (or fails under PARALLAX_REQUIRE_PACKAGE=1) when unusable."""
    reason = _unavailable()
    if reason:
        if os.environ.get("PARALLAX_REQUIRE_PACKAGE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return BUNDLE


@pytest.fixture
def bare_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no Python reachable: PATH is an empty folder, no PYTHON* variables.

    The user data folder, HOME and the XDG folders are temporary, so the bundle neither reads
    nor writes the developer's index, settings or recent corpora.
    """
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": str(empty_bin),
        "HOME": str(home),
        "PARALLAX_DATA_DIR": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    for name in ("SYSTEMROOT", "TEMP", "TMP"):  # Windows cannot start a program without them
        if name in os.environ:
            env[name] = os.environ[name]
    for python in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"):
        assert shutil.which(python, path=env["PATH"]) is None
    assert not any(key.startswith("PYTHON") for key in env)
    return env


def _run(command: list[str | Path], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a command, returning its output; fails the test with its stderr on a non-zero exit."""
    done = subprocess.run([str(c) for c in command], env=env, cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=TIMEOUT, check=False)
    assert done.returncode == 0, f"{command} exited with {done.returncode}:\n{done.stderr}"
    return done


def test_version_matches_pyproject(bundle: Path, bare_env: dict[str, str], tmp_path: Path) -> None:
    """``parallax --version`` prints the version written in pyproject.toml, exactly."""
    version = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
    done = _run([bundle, "--version"], bare_env, tmp_path)
    assert done.stdout == f"parallax {version}\n"


def test_gui_screenshot_of_a_comparison(bundle: Path, bare_env: dict[str, str],
                                         tmp_path: Path) -> None:
    """The offscreen GUI indexes the bundled seeds, compares 001 with 004 and saves the window."""
    from PySide6.QtGui import QImage

    target = tmp_path / "out.png"
    _run([bundle, "gui", "--compare", "001", "004", "--screenshot", target], bare_env, tmp_path)
    assert target.is_file()
    image = QImage(str(target))
    assert not image.isNull()
    assert image.width() > 800 and image.height() > 500
    # A blank or half-painted window has a handful of colours; the comparison (two panes of
    # text, coloured change bars, the toolbar and lists) has many, spread over the window.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50
    for left, right in ((0, image.width() // 3), (image.width() // 3, image.width())):
        band = {image.pixel(x, y) for x in range(left, right, 5) for y in range(0, image.height(), 5)}
        assert len(band) > 20, "one side of the window is blank"
    # Kept for a human to look at: build/test-package/screenshot.png (build/ is git-ignored).
    keep = ROOT / "build" / "test-package"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, keep / "screenshot.png")


def _hits(output: str) -> list[tuple[str, str]]:
    """(id, title) of each hit, in order, from ``search --json`` output."""
    return [(hit["id"], hit["title"]) for hit in json.loads(output)["hits"]]


def test_search_matches_the_source_tree(bundle: Path, bare_env: dict[str, str],
                                        tmp_path: Path) -> None:
    """``search alliance --json`` finds the same articles in the same order as the source tree."""
    frozen = _run([bundle, "search", "alliance", "--json"], bare_env, tmp_path)
    source_env = dict(os.environ, PARALLAX_DATA_DIR=str(tmp_path / "source-data"))
    source = _run([sys.executable, "-m", "app", "search", "alliance", "--json"], source_env, ROOT)
    frozen_hits, source_hits = _hits(frozen.stdout), _hits(source.stdout)
    assert frozen_hits, "the bundle found nothing: are the seeds bundled?"
    assert frozen_hits == source_hits
    # The bundle searched its own copy of the seeds, not the source tree's.
    for hit in json.loads(frozen.stdout)["hits"]:
        assert Path(hit["path"]).resolve().is_relative_to(bundle.parent.resolve())


def test_bulk_index_worker_processes(bundle: Path, bare_env: dict[str, str],
                                     tmp_path: Path) -> None:
    """A corpus big enough for the parallel indexer: its ``spawn`` workers are the frozen
    program re-run, which only works through ``multiprocessing.freeze_support()``."""
    corpus = tmp_path / "big"
    corpus.mkdir()
    from app.core.engine.index import CorpusIndex

    # Spawned workers (Linux would fork them from the command line), and enough files for
    # this process to share them with one (CorpusIndex.shares: from SHARE_SPAWNED_S, 3.5 s, of estimated work).
    bare_env = {**bare_env, "PARALLAX_WORKER_START": "spawn"}
    count = 6000
    filler = "Filler words for the parallel indexer. " * (CorpusIndex.bulk_min_bytes // count // 38 + 1)
    for i in range(count):  # and above its bulk_min_bytes
        (corpus / f"note_{i:04d}.txt").write_text(
            f"Note {i}\n\nA short article about the alliance, number {i}.\n\n"
            f"Its second paragraph mentions topic{i % 37} and nothing else.\n\n{filler}\n", encoding="utf-8")
    done = _run([bundle, "index", corpus], bare_env, tmp_path)
    assert f"{count} added" in done.stdout.splitlines()[-1]
    found = _run([bundle, "search", "topic5", "--corpus", corpus, "--json"], bare_env, tmp_path)
    hits = json.loads(found.stdout)
    assert hits["total"] == len([i for i in range(count) if i % 37 == 5])
