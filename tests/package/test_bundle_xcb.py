"""The Linux bundle carries the X11 libraries Qt's xcb plugin needs, and the window loads them from it.

A fresh desktop often lacks libxcb-cursor0, libxcb-icccm4 and the like: Qt then aborts with
"could not load the Qt platform plugin xcb". The bundle must not depend on them being installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.displaylibs import xcb_plugin
from tests.package.test_bundle import BUNDLE, bare_env, bundle  # noqa: F401 - pytest fixtures

pytestmark = [pytest.mark.package,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="xcb is the Linux window system")]

# What the spec bundles (packaging/parallax.spec: BUNDLED_XCB); libxcb.so.1 itself and GL stay the system's.
BUNDLED = re.compile(r"^lib(xcb-(?!dri)[a-z0-9-]+|X11-xcb|xkbcommon(-x11)?)\.so\.\d+$")


def _needed() -> list[str]:
    """The sonames the xcb plugin of this venv links to that the bundle must carry."""
    ldd = shutil.which("ldd")
    if ldd is None or not xcb_plugin():
        pytest.skip("no ldd or no xcb plugin to read")
    names = set()
    for plugin in xcb_plugin():
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=60).stdout
        names |= {line.split(" => ")[0].strip() for line in out.splitlines() if " => " in line}
    return sorted(n for n in names if BUNDLED.match(n))


def test_bundle_carries_every_xcb_library_the_plugin_needs(bundle: Path) -> None:  # noqa: F811
    needed = _needed()
    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4"} <= set(needed)
    internal = bundle.parent / "_internal"
    missing = [n for n in needed if not (internal / n).is_file()]
    assert not missing, f"the bundle lacks {missing}"


def test_the_window_loads_them_from_the_bundle_on_a_real_x_server(bundle: Path, bare_env: dict[str, str],  # noqa: F811
                                                                  tmp_path: Path) -> None:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed")
    read, write = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as pipe:
            display = pipe.readline().strip()
        assert display, "Xvfb did not start"
        env = dict(bare_env, DISPLAY=f":{display}", QT_QPA_PLATFORM="xcb", LD_DEBUG="libs")
        shot = tmp_path / "x.png"
        done = subprocess.run([str(bundle), "gui", "--compare", "001", "004", "--screenshot", str(shot)],
                              env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert shot.is_file()
        loaded = re.findall(r"calling init: (\S+)", done.stderr)
        for name in ("libxcb-cursor.so.0", "libxcb-icccm.so.4"):
            paths = [p for p in loaded if Path(p).name == name]
            assert paths and all(Path(p).is_relative_to(bundle.parent) for p in paths), (name, paths)
    finally:
        server.terminate()
        server.wait(timeout=20)
