"""Build the standalone Parallax program with PyInstaller and print its build time and size.

Usage (from the repository root, with the project's venv)::

    python packaging/build.py            # one folder: dist/parallax/parallax
    python packaging/build.py --onefile  # one file:   dist/parallax-onefile
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "parallax.spec"
ICON_DIR = ROOT / "build" / "icons"
ICON_SIZES = (16, 32, 48, 64, 128, 256)


def make_icons(target: Path = ICON_DIR) -> list[Path]:
    """Write ``parallax.ico`` (Windows) and, where Qt can, ``parallax.icns`` (macOS) from the PNGs.

    Qt's ``ico`` and ``icns`` image plugins do the encoding, so no other tool is needed. Returns
    the files written; a format Qt cannot write here is skipped (the build then uses
    PyInstaller's default icon on that platform).
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage, QImageWriter

    _qapp = QGuiApplication.instance() or QGuiApplication([])  # loads the image plugins
    source = ROOT / "resources" / "icons"
    images = [QImage(str(source / f"parallax-{size}.png")) for size in ICON_SIZES]
    images = [image for image in images if not image.isNull()]
    if not images:
        return []
    target.mkdir(parents=True, exist_ok=True)
    written = []
    supported = {bytes(fmt.data()).decode() for fmt in QImageWriter.supportedImageFormats()}
    # The ico writer stores one image per file through QImageWriter; the largest image is the
    # one Windows scales from. icns keeps the 256 px image (macOS scales it).
    for fmt, name in (("ico", "parallax.ico"), ("icns", "parallax.icns")):
        if fmt not in supported:
            continue
        path = target / name
        writer = QImageWriter(str(path), fmt.encode())
        if writer.write(images[-1]):
            written.append(path)
    return written


def folder_size(path: Path) -> int:
    """Total size in bytes of the files under ``path`` (or of ``path`` itself, a file)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(onefile: bool = False) -> Path:
    """Run PyInstaller on the spec and return the built program's folder (or file)."""
    if sys.platform in ("win32", "darwin"):
        make_icons()
    env = dict(os.environ, PARALLAX_ONEFILE="1" if onefile else "0")
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(ROOT / "dist"), "--workpath", str(ROOT / "build" / "pyinstaller"),
        str(SPEC),
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    elapsed = time.perf_counter() - started
    product = ROOT / "dist" / ("parallax-onefile" if onefile else "parallax")
    if sys.platform == "win32" and onefile:
        product = product.with_suffix(".exe")
    size = folder_size(product)
    print(f"built {product.relative_to(ROOT)} in {elapsed:.0f} s: {size / 2**20:.0f} MiB")
    return product


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onefile", action="store_true",
                        help="build one self-extracting executable instead of a folder")
    parser.add_argument("--icons-only", action="store_true",
                        help="only write build/icons/parallax.ico and .icns from the PNGs")
    args = parser.parse_args(argv)
    if args.icons_only:
        for path in make_icons():
            print(path)
        return 0
    try:
        import PyInstaller  # noqa: F401 - only checking that it is installed
    except ImportError:
        print("PyInstaller is missing: pip install -e '.[package]'", file=sys.stderr)
        return 1
    build(onefile=args.onefile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
