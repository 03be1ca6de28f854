"""Index generated corpora (10k and 100k articles): Parallax's indexer against a naive Whoosh loop.

For each size: documents per second, total time, index size and peak memory (this process and
its workers) for ``CorpusIndex.update()`` and for a single-process ``writer.add_document`` loop
with Whoosh's default analyzer; then a no-op re-index and a re-index after 100 changed files.
``update()`` is timed whole (scan, index creation, reading and parsing, indexing, commit,
manifest and checksums); the naive loop's clock covers reading the files, ``add_document``
and the commit, not listing the files or creating the empty index (printed apart).

Each load (Parallax's and the naive loop's) runs in a fresh process of its own that has
imported its modules before the clock starts: no cache of an earlier load (the stemmer's,
the reader's) can help a later one, and Parallax forks its workers as ``parallax index``
does (a memory-sampling thread in the same process would make it spawn them). ``--repeat R``
runs R rounds, Parallax and the naive loop in turn (the naive one in ``bench/naive_index.py``,
which imports only Whoosh). The headline ratio, the one held to the 2x target, is the naive
loop's median CPU seconds per document over Parallax's (its worker processes included):
on a shared host the wall clock measures the other tenants as much as the code, and CPU
time charges Parallax for every core it uses. The ratio of median wall-clock seconds
(docs/s) is printed beside it. The modules are byte-compiled first, as an installed
package is; the Parallax process makes the settings ``parallax`` makes at start-up
(``app.cli``: one BLAS thread).

``--kind short`` uses articles of 20–300 words instead of 200–3,000 (the same generator, the
body cut to a tenth): there starting the worker processes is a large share of the work.
``--path`` forces one way of indexing instead of the indexer's own choice (``auto``): ``serial``
(this process), ``shared`` (this process and one worker process take chunks of the files),
``bulk1`` / ``bulk2`` (one or two worker processes, this process only collects); every way
writes numpy segments (app.core.engine.segwriter). The choice the indexer would make for each size is
printed, with its thresholds.

``--process R`` also times ``parallax index CORPUS --index DIR`` and the naive loop
(``bench/naive_index.py``) as whole processes, start to exit, R times each in turn (medians):
what a user meets, interpreter and imports included.

Usage: python bench/index_speed.py [--articles N ...] [--kind normal|short ...] [--path P ...]
                                   [--seed S] [--naive-max N] [--no-naive] [--no-reindex] [--cold]
                                   [--process R] [--repeat R]
Corpora are generated under /tmp/parallax-bench (kept between runs). Exits 1 when a target is
missed: 100k in under 180 s, 2x the naive loop, under 1 GB, no-op < 3 s, 100 changed < 10 s.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import gen_articles  # noqa: E402
from _common import (  # noqa: E402
    PeakMemory,
    drop_page_cache,
    folder_mb,
    host_seconds,
    machine,
)
from gen_articles import ensure_corpus  # noqa: E402
from whoosh import index as windex  # noqa: E402

import app.cli  # noqa: E402, F401 - the process settings 'parallax' makes at start-up, before numpy loads
from app.core.engine.bulkindex import start_method  # noqa: E402
from app.core.engine.index import (  # noqa: E402
    INDEX_NAME,
    SHARE_FORKED_S,
    SHARE_SPAWNED_S,
    CorpusIndex,
    Progress,
    serial_seconds,
)
from app.core.reading.reader import iter_corpus_files  # noqa: E402

BASE = Path("/tmp/parallax-bench")
_NEVER = 1 << 62
# CorpusIndex attributes that force each way of indexing.
PATHS = {
    "serial": {"share_threshold": _NEVER, "bulk_threshold": _NEVER},
    "shared": {"share_threshold": 0, "bulk_threshold": _NEVER, "bulk_min_bytes": 0, "max_workers": 2},
    "bulk1": {"share_threshold": _NEVER, "bulk_threshold": 0, "bulk_min_bytes": 0, "max_workers": 1},
    "bulk2": {"share_threshold": _NEVER, "bulk_threshold": 0, "bulk_min_bytes": 0, "max_workers": 2},
}


def ensure_short_corpus(articles: int, seed: int = 1) -> Path:
    """Like ``ensure_corpus``, with article bodies a tenth as long (20–300 words)."""
    out = BASE / f"corpus-short-{articles}-s{seed}"
    marker = out / ".generated.json"
    if marker.exists() and json.loads(marker.read_text("utf-8")).get("articles") == articles:
        return out
    shutil.rmtree(out, ignore_errors=True)
    full = gen_articles._Writer.paragraphs
    gen_articles._Writer.paragraphs = lambda self, total: full(self, max(20, total // 10))
    try:
        gen_articles.generate(out, articles, seed)
    finally:
        gen_articles._Writer.paragraphs = full
    return out


def _plan(n: int, nbytes: int) -> tuple[int, bool]:
    """(worker processes, this process indexing a share too) ``CorpusIndex.update`` uses for ``n`` new files."""
    return CorpusIndex.__new__(CorpusIndex)._bulk_plan(n, nbytes)  # reads only the thresholds


def chosen_path(n: int, nbytes: int) -> str:
    """The ``--path`` name of the way ``CorpusIndex.update`` indexes ``n`` new files of ``nbytes``."""
    workers, share = _plan(n, nbytes)
    return "shared" if share else ("serial", "bulk1", "bulk2")[min(2, workers)]


def decision(n: int, nbytes: int) -> str:
    """The way ``CorpusIndex.update`` indexes ``n`` new files of ``nbytes`` in all, with why."""
    workers, share = _plan(n, nbytes)
    procs = f"{workers} worker process{'es' if workers > 1 else ''}"
    how = (f"this process and {procs} (shared)" if share else procs) if workers else "this process (serial)"
    return (f"{how} ({serial_seconds(n, nbytes):.2f} s of serial work by the estimate; "
            f"{_thresholds()}; {os.cpu_count()} cores)")


def _thresholds() -> str:
    return (f"shared from {SHARE_FORKED_S} s of work with forked workers, {SHARE_SPAWNED_S} s with spawned "
            f"ones (here: {start_method()}), workers only from {CorpusIndex.bulk_threshold:,} files and "
            f"{CorpusIndex.bulk_min_bytes / 1e6:.1f} MB")


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def ix_segments(ix_dir: Path) -> list:
    """The segments of the index in ``ix_dir``."""
    return windex.open_dir(str(ix_dir), indexname=INDEX_NAME)._segments()


def index_here(corpus: Path, ix_dir: Path, path: str) -> dict:
    """Index ``corpus`` from nothing the ``path`` way with ``CorpusIndex.update()``, timed whole.

    Run in a process of its own (see :func:`measure`); progress goes to stderr.
    """
    shutil.rmtree(ix_dir, ignore_errors=True)
    t0 = time.perf_counter()
    shown = [0]

    def progress(step: Progress) -> None:
        if step.done >= shown[0] + 10_000:
            shown[0] = step.done
            el = time.perf_counter() - t0
            print(f"  ... {step.done:,}/{step.total:,} in {el:.0f} s ({step.done / el:.0f} docs/s)",
                  file=sys.stderr, flush=True)

    index = CorpusIndex(corpus, ix_dir)
    for name, value in PATHS.get(path, {}).items():
        setattr(index, name, value)
    how = start_method()
    cpu0 = _cpu()
    t0 = time.perf_counter()
    report = index.update(progress)
    seconds = time.perf_counter() - t0
    own, workers = (b - a for a, b in zip(cpu0, _cpu(), strict=True))
    return {"docs": len(report.added), "seconds": seconds, "own": own, "workers": workers,
            "skipped": len(report.skipped), "untimed": 0.0, "start": how if workers else "-"}


def measure(argv: list[str]) -> int:
    """``--measure CORPUS INDEX_DIR PATH``: one Parallax load in this fresh process (its modules
    already imported); prints its figures as one JSON line."""
    corpus, ix_dir, path = argv
    print(json.dumps(index_here(Path(corpus), Path(ix_dir), path)))
    return 0


def load(who: str, corpus: Path, ix_dir: Path, path: str = "auto", limit: int | None = None,
         cold: bool = False) -> dict:
    """One load in a fresh process (see :func:`measure`), with its peak memory (the whole
    process tree, interpreter and imports included), index size and segment count."""
    if cold:
        drop_page_cache()
    # The naive loop's process imports only Whoosh (numpy's threads would cost it CPU).
    argv = ([sys.executable, str(ROOT / "bench" / "naive_index.py"), "--measure", str(corpus), str(ix_dir),
             str(limit or 0)] if who == "naive" else
            [sys.executable, str(Path(__file__).resolve()), "--measure", str(corpus), str(ix_dir), path])
    host0 = host_seconds()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, cwd=ROOT)
    with PeakMemory(pid=proc.pid) as mem:
        out, _err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"the {who} load failed ({proc.returncode})")
    data = json.loads(out.decode("utf-8").splitlines()[-1])
    data["peak_mb"] = mem.peak_mb
    data["index_mb"] = folder_mb(ix_dir)
    data["segments"] = len(ix_segments(ix_dir)) if who != "naive" else 1
    data["steal"], data["iowait"] = (b - a for a, b in zip(host0, host_seconds(), strict=True))
    return data


def _median_load(runs: list[dict]) -> dict:
    """The run of median seconds, with the medians of seconds and CPU seconds."""
    mid = sorted(runs, key=lambda r: r["seconds"])[(len(runs) - 1) // 2]
    return {**mid, "seconds": statistics.median(r["seconds"] for r in runs),
            "cpu": statistics.median(r["own"] + r["workers"] for r in runs),
            "all": [r["seconds"] for r in runs], "peak_mb": max(r["peak_mb"] for r in runs)}


def _print_load(name: str, m: dict) -> None:
    docs = m["docs"]
    runs = ", ".join(f"{s:.2f}" for s in m["all"])
    print(f"{name:8s}: {docs:,} docs in {m['seconds']:.2f} s = {docs / m['seconds']:,.0f} docs/s (median of "
          f"{len(m['all'])}: {runs} s), index {m['index_mb']:,.0f} MB, peak memory {m['peak_mb']:,.0f} MB"
          + (f", skipped {m['skipped']}" if m["skipped"] else ""))
    extra = f"; workers started by {m['start']}" if m["start"] != "-" else ""
    print(f"cpu     : {m['cpu'] / max(docs, 1) * 1000:.2f} ms/doc (median {m['cpu']:.2f} s; the median run: "
          f"workers {m['workers']:.2f} s, main process {m['own']:.2f} s; {m['segments']} segments{extra})")
    print(f"host    : {m['steal']:.1f} s of CPU stolen by the hypervisor (2 cores), {m['iowait']:.1f} s "
          "waiting on the disk (machine-wide, during the median run's process)")


def _run_process(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, its children included) of one process, start to exit."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode:
        raise SystemExit(f"{argv[1:3]} failed ({proc.returncode}): {err[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def process_figures(corpus: Path, out: Path, kind: str, n: int, repeat: int) -> float:
    """Time ``parallax index CORPUS --index DIR`` and the naive loop (bench/naive_index.py), each
    as a whole process from start to exit, ``repeat`` times in turn; print the medians.

    ``parallax index`` starts the interpreter, imports what indexing needs, indexes, writes the
    reuse fingerprints and prints its report; the naive script imports only Whoosh. Returns
    the ratio of the median wall times (naive / Parallax).
    """
    runs: dict[str, list[tuple[float, float]]] = {"parallax": [], "naive": []}
    for _ in range(repeat):
        for name in runs:
            ix_dir = out / f"ix-process-{name}-{kind}-{n}"
            shutil.rmtree(ix_dir, ignore_errors=True)
            argv = ([sys.executable, "-m", "app", "index", str(corpus), "--index", str(ix_dir)]
                    if name == "parallax" else
                    [sys.executable, str(ROOT / "bench" / "naive_index.py"), str(corpus), str(ix_dir)])
            runs[name].append(_run_process(argv))
            shutil.rmtree(ix_dir, ignore_errors=True)
    med = {name: (statistics.median(w for w, _c in r), statistics.median(c for _w, c in r))
           for name, r in runs.items()}
    for name, (wall, cpu) in med.items():
        print(f"process : {name:8s} {wall:.2f} s wall, {cpu:.2f} s CPU (median of {repeat}, start to exit)")
    ratio = med["naive"][0] / med["parallax"][0]
    print(f"ratio   : process {ratio:.2f}x the naive process's wall time, "
          f"{med['naive'][1] / med['parallax'][1]:.2f}x its CPU time")
    return ratio


def reindex_figures(corpus: Path, ix_dir: Path) -> tuple[float, float]:
    """Seconds for a no-op re-index and for one after 100 files changed."""
    t0 = time.perf_counter()
    report = CorpusIndex(corpus, ix_dir).update()
    noop = time.perf_counter() - t0
    assert not report.changed, "no-op re-index changed the index"
    files = list(iter_corpus_files(corpus))
    step = max(1, len(files) // 100)
    changed = files[::step][:100]
    originals = {p: p.read_bytes() for p in changed}
    try:
        for n, p in enumerate(changed):
            p.write_bytes(originals[p] + f"\nA late correction number {n} about zeppelins.\n".encode())
        t0 = time.perf_counter()
        report = CorpusIndex(corpus, ix_dir).update()
        hundred = time.perf_counter() - t0
        assert len(report.updated) == len(changed), report.to_dict()
    finally:
        for p, data in originals.items():
            p.write_bytes(data)
    CorpusIndex(corpus, ix_dir).update()  # back in step with the restored files
    return noop, hundred


def run(n: int, seed: int, naive_max: int | None, do_naive: bool, out: Path = BASE, cold: bool = False,
        kind: str = "normal", paths: tuple[str, ...] = ("auto",), reindex: bool = True,
        process: int = 0, repeat: int = 1) -> list[str]:
    """Measure one corpus size; returns the targets it missed."""
    t0 = time.perf_counter()
    corpus = ensure_short_corpus(n, seed) if kind == "short" else ensure_corpus(n, seed, BASE)
    files = list(iter_corpus_files(corpus))
    nbytes = sum(p.stat().st_size for p in files)
    print(f"\n== {n:,} {kind} articles, {nbytes / n / 1024:.1f} KB each ({corpus}, ready in "
          f"{time.perf_counter() - t0:.0f} s)")
    print(f"choice  : {decision(len(files), nbytes)}")
    chosen = chosen_path(len(files), nbytes)
    missed = []
    ix_dir = out / f"ix-{kind}-{n}"
    naive_dir = out / f"ix-naive-{kind}-{n}"
    compileall.compile_dir(str(ROOT / "app"), quiet=1)  # an installed package is byte-compiled
    runs: dict[str, list[dict]] = {path: [] for path in paths}
    naive_runs: list[dict] = []
    for _ in range(repeat):
        for path in paths:
            runs[path].append(load("parallax", corpus, ix_dir, path, cold=cold))
        if do_naive:
            naive_runs.append(load("naive", corpus, naive_dir, limit=naive_max, cold=cold))
    meds = {path: _median_load(r) for path, r in runs.items()}
    for path, m in meds.items():
        _print_load(path, m)
        if m["peak_mb"] > 1024:
            missed.append(f"{kind} {n} {path}: peak {m['peak_mb']:.0f} MB (target 1 GB)")
        if path == "auto" and n >= 100_000 and m["seconds"] > 180:
            missed.append(f"{n}: {m['seconds']:.0f} s (target 180 s)")
    if naive_runs:
        nm = _median_load(naive_runs)
        print(f"naive   : listing the files and creating the index took {nm['untimed'] * 1000:.0f} ms (not timed)")
        _print_load("naive", nm)
        for path, m in meds.items():
            print(f"ratio   : {path:6s} {nm['cpu'] / nm['docs'] / (m['cpu'] / m['docs']):.2f}x the naive loop's "
                  f"CPU time per doc (the target), {m['docs'] / m['seconds'] / (nm['docs'] / nm['seconds']):.2f}x "
                  f"its docs/s by the wall clock (medians of {repeat})")
        m = meds.get("auto", meds.get(chosen))
        if m is not None and (ratio := nm["cpu"] / nm["docs"] / (m["cpu"] / m["docs"])) < 2:
            missed.append(f"{kind} {n}: {ratio:.2f}x the naive loop's CPU (target 2x)")
    if process:
        process_figures(corpus, out, kind, n, process)
    if not reindex:
        return missed
    if paths[-1] != "auto":
        load("parallax", corpus, ix_dir, "auto", cold=cold)
    noop, hundred = reindex_figures(corpus, ix_dir)
    print(f"re-index: no-op {noop:.2f} s, after 100 changed files {hundred:.2f} s")
    if noop > 3:
        missed.append(f"{n}: no-op re-index {noop:.1f} s (target 3 s)")
    if hundred > 10:
        missed.append(f"{n}: 100-changed re-index {hundred:.1f} s (target 10 s)")
    return missed


def main(argv: list[str] | None = None) -> int:
    """Print the figures for each corpus size; exit 1 when a target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, action="append", help="corpus size (repeatable)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--naive-max", type=int, default=None, help="index at most N files in the naive loop")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive loop")
    ap.add_argument("--out", type=Path, default=BASE, help=f"folder for the indexes (default {BASE})")
    ap.add_argument("--cold", action="store_true", help="drop the page cache before each load (root on Linux)")
    ap.add_argument("--kind", action="append", choices=("normal", "short"),
                    help="article length (repeatable; default normal)")
    ap.add_argument("--path", action="append", choices=("auto", *PATHS),
                    help="way of indexing (repeatable; default auto: the indexer's own choice)")
    ap.add_argument("--no-reindex", action="store_true", help="skip the no-op and 100-changed re-index")
    ap.add_argument("--process", type=int, default=0, metavar="R",
                    help="also time 'parallax index' and the naive script as whole processes, R times each")
    ap.add_argument("--repeat", type=int, default=3, metavar="R",
                    help="loads of each kind, in turn, each in a fresh process (medians; default 3)")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"thresholds: {_thresholds()}; up to {CorpusIndex.max_workers} workers")
    missed: list[str] = []
    for kind in args.kind or ["normal"]:
        for n in args.articles or [10_000, 100_000]:
            missed += run(n, args.seed, args.naive_max, not args.no_naive, args.out, args.cold,
                          kind, tuple(args.path or ["auto"]), not args.no_reindex, args.process, args.repeat)
    print("\ntargets: " + ("all met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(measure(sys.argv[2:]) if sys.argv[1:2] == ["--measure"] else main())
