"""``make run`` / ``parallax gui`` name the missing xcb libraries and the command installing them."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest

from app.cli import UserError, displaylibs, gui


def test_missing_libraries_are_read_from_ldd_and_mapped_to_packages(monkeypatch, tmp_path: Path) -> None:
    plugin = tmp_path / "libqxcb.so"
    plugin.write_bytes(b"")
    out = ("\tlibxcb-cursor.so.0 => not found\n\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n"
           "\tlibxcb-icccm.so.4 => not found\n")
    monkeypatch.setattr(displaylibs.shutil, "which", lambda name: f"/usr/bin/{name}" if name != "dnf" else None)
    monkeypatch.setattr(displaylibs.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0, stdout=out, stderr=""))
    missing = displaylibs.missing_libraries([plugin])
    assert missing == ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    assert displaylibs.install_command(missing) == "sudo apt-get install -y libxcb-cursor0 libxcb-icccm4"
    assert "libxcb-cursor.so.0" in displaylibs.message(missing)


def test_only_the_xcb_platform_is_checked(monkeypatch) -> None:
    monkeypatch.setattr(displaylibs.sys, "platform", "linux")
    assert displaylibs.uses_xcb({"DISPLAY": ":0"})
    assert not displaylibs.uses_xcb({"QT_QPA_PLATFORM": "offscreen"})
    assert displaylibs.uses_xcb({"QT_QPA_PLATFORM": "xcb"})
    assert not displaylibs.uses_xcb({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"})


def test_gui_stops_with_the_install_command_instead_of_qts_abort(monkeypatch) -> None:
    monkeypatch.setattr(displaylibs, "uses_xcb", lambda environ=None: True)
    monkeypatch.setattr(displaylibs, "missing_libraries", lambda files=None: ["libxcb-cursor.so.0"])
    monkeypatch.setattr(gui, "_has_display", lambda: True)
    args = argparse.Namespace(corpus=None, session=None, index=None, compare=None, search=None,
                              screenshot=None, timeout=5.0, size=None, theme=None)
    with pytest.raises(UserError, match="apt-get install -y libxcb-cursor0"):
        gui.run(args)


def test_the_makefile_runs_the_check_before_the_window() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert run.index("app.cli.displaylibs") < run.index("app gui")
