"""User-data locations and component versions."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app import __version__
from app.core.storage.paths import data_dir, default_corpus, index_dir_for
from app.core.versions import component_versions


def test_data_dir_follows_the_override(_isolated_data_dir: Path) -> None:
    assert data_dir() == _isolated_data_dir


def test_one_index_per_corpus_folder(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert index_dir_for(a) != index_dir_for(b)
    assert index_dir_for(a) == index_dir_for(tmp_path / "x" / ".." / "a")
    assert data_dir() in index_dir_for(a).parents


def test_bundled_corpus_keeps_its_index_across_unpack_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dirs = []
    for run in ("run1", "run2"):
        unpacked = tmp_path / run
        (unpacked / "seeds").mkdir(parents=True)
        monkeypatch.setattr(sys, "_MEIPASS", str(unpacked), raising=False)
        dirs.append(index_dir_for(unpacked / "seeds"))
    assert dirs[0] == dirs[1]


def test_default_corpus_is_the_seeds() -> None:
    assert default_corpus().name == "seeds"
    assert len(list(default_corpus().glob("*.txt"))) == 5


def test_component_versions() -> None:
    versions = component_versions(qt_version="6.9.9", pyside_version="6.9.9")
    assert versions["Parallax"] == __version__
    assert {"Whoosh", "rapidfuzz"} <= set(versions)
    assert all(isinstance(v, str) and v for v in versions.values())
