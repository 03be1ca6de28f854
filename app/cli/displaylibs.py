"""Check that the system libraries Qt's X11 (xcb) platform plugin needs are installed.

Without them Qt aborts with "could not load the Qt platform plugin xcb", which names neither
the libraries nor the fix. ``make run`` and ``parallax gui`` run this check first and print the
one command that installs what is missing. Run it alone: ``python -m app.cli.displaylibs``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Shared object -> Debian/Ubuntu package. Qt 6.5+ needs libxcb-cursor0 besides the usual set.
PACKAGES: dict[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}


def uses_xcb(environ: dict[str, str] | None = None) -> bool:
    """Whether Qt would load the xcb plugin here (Linux, no other platform asked for, not Wayland)."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return False
    asked = env.get("QT_QPA_PLATFORM", "")
    if asked:
        return asked.split(":")[0].split(";")[0] == "xcb"
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def xcb_plugin() -> list[Path]:
    """Qt's xcb plugin and the Qt library it loads, from the installed PySide6 (empty if not found)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return []
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    files = [qt / "plugins" / "platforms" / "libqxcb.so", *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))[:1]]
    return [f for f in files if f.is_file()]


def missing_libraries(files: list[Path] | None = None) -> list[str]:
    """Shared objects the xcb plugin needs and the dynamic linker cannot find (via ``ldd``)."""
    ldd = shutil.which("ldd")
    files = xcb_plugin() if files is None else files
    if ldd is None or not files:
        return []
    missing: list[str] = []
    for f in files:
        try:
            out = subprocess.run([ldd, str(f)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for line in out.splitlines():
            name, _, where = line.strip().partition(" => ")
            if where.strip() == "not found" and name not in missing:
                missing.append(name)
    return missing


def install_command(missing: list[str]) -> str:
    """The one command that installs ``missing`` (apt-get where there is one)."""
    packages = sorted({PACKAGES.get(name, name) for name in missing})
    if shutil.which("apt-get") or not (shutil.which("dnf") or shutil.which("pacman")):
        return "sudo apt-get install -y " + " ".join(packages)
    return "install the packages providing: " + " ".join(missing)


def message(missing: list[str]) -> str:
    """What to tell the user: the libraries and the command."""
    return (f"The window needs system libraries that are missing: {', '.join(missing)}\n"
            f"Install them with:\n    {install_command(missing)}")


def main() -> int:
    """Exit 1 with the install command when the window could not start; 0 otherwise."""
    if not uses_xcb():
        return 0
    missing = missing_libraries()
    if missing:
        from app.cli.common import echo  # standard library only: safe before Qt is known to load

        echo(message(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
