"""Fixtures for every test: user data isolated in a temp folder, seed paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# GUI tests run headless unless the developer asks for a real display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never read or write the developer's real index or autosaves."""
    data = tmp_path_factory.mktemp("parallax-data")
    monkeypatch.setenv("PARALLAX_DATA_DIR", str(data))
    return data


@pytest.fixture
def seeds_dir() -> Path:
    """The embedded seed corpus (read-only: copy it before changing anything)."""
    return SEEDS


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(SEEDS, dest)
    return dest
