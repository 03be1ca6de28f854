"""``parallax index`` and the other corpus commands start without the rest of the command line."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app.cli as cli

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


@pytest.mark.parametrize("name", sorted(cli.COMMAND_HOMES))
def test_a_command_home_registers_the_command_as_the_whole_parser_does(name: str) -> None:
    alone = _subparsers(cli.build_parser((cli.COMMAND_HOMES[name],)))
    whole = _subparsers(cli.build_parser())
    assert name in alone
    assert alone[name].format_help() == whole[name].format_help()


def test_index_loads_no_other_command_module_and_not_the_package_metadata(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from app.cli import main\n"
        f"code = main(['index', {str(SEEDS)!r}, '--index', {str(tmp_path / 'ix')!r}])\n"
        "others = [m for m in ('app.cli.compare', 'app.cli.story', 'app.cli.reuse', 'app.cli.gui',\n"
        "                      'importlib.metadata') if m in sys.modules]\n"
        "print(others); sys.exit(code or (1 if others else 0))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_version_is_still_shown(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("parallax ") and len(out.split()) == 2


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("4", "4")])
def test_the_command_line_asks_numpy_for_one_blas_thread_unless_the_user_chose(
        given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    code = "import os, sys\nimport app.cli\nimport numpy\nprint(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          check=True, env=env)
    assert proc.stdout.strip() == expected
