"""Hostile session files: pipes, devices, huge numbers, deep nesting, absurd view state.

Each is refused or clamped with a one-line message, promptly, and the file is left as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main
from app.core.sessions import session as session_mod
from app.core.sessions.session import SessionError, load_session

ROOT = Path(__file__).resolve().parents[2]


def _session(corpus: Path, **tab: object) -> dict:
    base = {"title": "t", "left": {"id": "001_65ba17bf70f94427.txt", "hash": ""},
            "right": {"id": "004_a59c947b104b591b.txt", "hash": ""}, "notes": []}
    base.update(tab)
    return {"format": "parallax-session", "format_version": 1, "corpus": str(corpus), "tabs": [base]}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def _refused(path: Path, expected: str, capsys: pytest.CaptureFixture[str]) -> str:
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(SessionError) as exc:
        load_session(path)
    message = str(exc.value)
    assert expected in message and "\n" not in message, message
    assert main(["session", "show", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err, err
    if before is not None:
        assert path.read_bytes() == before  # losing nothing
    return message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_fifo_is_refused_without_waiting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe.parallax"
    os.mkfifo(fifo)
    start = time.monotonic()
    _refused(fifo, "not a regular file", capsys)
    assert time.monotonic() - start < 5


def test_a_fifo_session_does_not_hang_the_cli(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes")
    fifo = tmp_path / "pipe.parallax"
    os.mkfifo(fifo)
    env = dict(os.environ, PARALLAX_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-m", "app", "session", "show", str(fifo)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "not a regular file" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="/dev/zero")
def test_dev_zero_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    _refused(Path("/dev/zero"), "not a regular file", capsys)


def test_an_oversized_file_is_refused_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_mod, "MAX_SESSION_BYTES", 1000)
    path = _write(tmp_path / "big.parallax", json.dumps(_session(tmp_path, title="x" * 5000)))
    _refused(path, "too large for a session", capsys)


def test_a_5000_digit_integer_is_damage(seeds_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(_session(seeds_copy)).replace('"notes": []', '"scroll": ' + "9" * 5000 + ', "notes": []')
    path = _write(tmp_path / "digits.parallax", text)
    _refused(path, "digits.parallax is damaged: it holds a number too large to read", capsys)


def test_a_huge_format_version_is_not_echoed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "version.parallax", '{"format_version": ' + "7" * 4000 + "}")
    message = _refused(path, "invalid format_version", capsys)
    assert len(message) < 200


def test_100000_nested_arrays_are_damage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "nested.parallax", '{"format_version": 1, "tabs": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _refused(path, "nested.parallax is damaged: its JSON is nested too deeply", capsys)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("tabs", "nope", "session.tabs has the wrong type"),
    ("left", {"id": 3}, "tabs[0].left.id has the wrong type"),
    ("notes", [{"left": [-1], "right": [], "text": "x"}], "must list paragraph indexes"),
    ("notes", [{"left": [2**40], "right": [], "text": "x"}], "must list paragraph indexes"),
    ("scroll", 1.5, "tabs[0].scroll has the wrong type"),
])
def test_a_wrong_schema_is_damage_in_one_line(field: str, value: object, expected: str, seeds_copy: Path,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _session(seeds_copy)
    if field == "tabs":
        data["tabs"] = value
    else:
        data["tabs"][0][field] = value
    path = _write(tmp_path / "schema.parallax", json.dumps(data))
    message = _refused(path, expected, capsys)
    assert "schema.parallax is damaged:" in message


def test_absurd_view_state_is_clamped(seeds_copy: Path, tmp_path: Path) -> None:
    data = _session(seeds_copy, scroll=10**4000, current_row=-5)
    data["active_tab"] = 10**300
    path = _write(tmp_path / "scroll.parallax", json.dumps(data))
    loaded = load_session(path)
    tab = loaded.session.tabs[0]
    assert tab.scroll == 2**31 - 1 and tab.current_row == 0 and loaded.session.active_tab == 0
    assert loaded.ok


def test_a_session_naming_a_fifo_article_does_not_hang(seeds_copy: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("named pipes")
    os.mkfifo(seeds_copy / "pipe.txt")
    data = _session(seeds_copy)
    data["tabs"][0]["right"] = {"id": "pipe.txt", "hash": "abc"}
    path = _write(tmp_path / "pipe-article.parallax", json.dumps(data))
    loaded = load_session(path)
    assert [p.id for p in loaded.missing_articles] == ["pipe.txt"]
    out = tmp_path / "report.html"
    assert main(["session", "export", str(path), "--html", str(out)]) == 0
    assert "left out of the report" in capsys.readouterr().err
