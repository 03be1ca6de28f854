"""Shared helpers for the scale benches: peak memory of a process tree, folder sizes, machine info."""

from __future__ import annotations

import os
import platform
import threading
from pathlib import Path


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as fh:
                out.extend(int(c) for c in fh.read().split())
    except OSError:
        pass
    return out


class PeakMemory:
    """Sample the resident memory of a process (this one by default) plus all its descendants;
    keep the peak sum.

    Use as a context manager; ``peak_mb`` holds the result (Linux /proc; 0 elsewhere).
    """

    def __init__(self, interval: float = 0.1, pid: int | None = None) -> None:
        self.interval = interval
        self.root = os.getpid() if pid is None else pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total, todo, seen = 0, [self.root], set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            total += _rss_kb(pid)
            todo.extend(_children(pid))
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self.peak_kb = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, self._sample())

    @property
    def peak_mb(self) -> float:
        """Peak resident memory in MB."""
        return self.peak_kb / 1024


def folder_mb(path: Path) -> float:
    """Total size of the files below ``path`` in MB."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / (1024 * 1024)


def machine() -> str:
    """One line describing the machine the figures were measured on."""
    mem = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[0]:.1f}"
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}{load}"


def host_seconds() -> tuple[float, float]:
    """Machine-wide (stolen, I/O wait) CPU seconds so far, from /proc/stat (zeros elsewhere).

    Steal is time the hypervisor gave this virtual machine's cores to other guests: on a
    shared host it can add a fifth to a CPU-bound run, so benches print it beside their times.
    """
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    iowait = int(fields[5]) if len(fields) > 5 else 0
    steal = int(fields[8]) if len(fields) > 8 else 0
    return steal / tick, iowait / tick


def drop_page_cache() -> bool:
    """Empty the kernel's page cache so files are read from the disk (Linux, root only).

    A first index of a corpus usually reads files that are not cached; a bench that runs
    right after generating its corpus would otherwise read them from memory.
    """
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w", encoding="ascii") as fh:
            fh.write("3\n")
    except OSError:
        return False
    return True
