"""GUI stall while the reuse map builds: the longest gap between ticks of a 10 ms timer on the GUI thread.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_map_stall.py [--articles 20000] [--wire 0.3]``

A corpus of ``--articles`` generated articles (``--wire`` of them wire copies of ``--stories``
stories, up to ``--max-copies`` each, as in ``bench/reuse_speed.py``) is written and indexed once
(kept in ``--folder``, default under the temp folder, and reused by later runs). Then the real
:class:`~app.ui.mainwindow.MainWindow` opens it with the Corpus Overview dock shown and the
largest story's original compared with one of its copies, so that the map is built on the
index-writer thread (index check, fingerprints loaded, map, clusters, graph layout) and then fills
Related, the clusters tree and the graph on the GUI thread. Meanwhile a 10 ms timer on the GUI
thread records every gap between its ticks. Prints the longest gap, the 99th percentile and the
worst gaps with the phase they fell in (``PARALLAX_BENCH_STACKS=1`` also prints every thread's stack
at each gap over 50 ms, its 4 innermost frames; ``=12``: 12 of them). Exits with status 1 when the longest gap is over ``STALL_MS`` (100 ms).

Parallax's own modules are compiled to ``.pyc`` first (``--source`` does not): an installed
Parallax has them, while an editable install run with ``PYTHONDONTWRITEBYTECODE=1`` compiles every
module from source at each start, on the index-writer thread, holding the GIL for 10-40 ms a module
while the window paints its first frames.

``--runs N`` measures N times, each in a fresh process (a first open is what a user meets), and
prints each run's longest gap with its phase, the CPU this process used in it and the machine's
load average, then the distribution. On a shared machine a gap far longer than the process's
CPU in it is the OS scheduler running other processes, not a thread holding the GIL.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

STALL_MS = 100.0
TICK_MS = 10


def prepare(folder: Path, n: int, share: float, stories: int, max_copies: int, seed: int) -> dict:
    """Write and index the corpus once (``folder/ready.json`` marks it done); its largest story."""
    marker = folder / "ready.json"
    if marker.is_file():
        return json.loads(marker.read_text())
    from corpusgen import add_wire, generate, write_corpus

    from app.core.workspace.corpus import Corpus

    t = time.perf_counter()
    n_copies = int(n * share)
    gen = generate(n - n_copies, seed)
    wire = add_wire(gen, stories=stories, copies=n_copies, max_copies=max_copies, seed=seed) if n_copies else {}
    write_corpus(gen, folder / "corpus")
    del gen
    print(f"corpus written in {time.perf_counter() - t:.0f} s", flush=True)
    t = time.perf_counter()
    corpus = Corpus(folder / "corpus", folder / "index")
    corpus.update_index()
    print(f"indexed in {time.perf_counter() - t:.0f} s", flush=True)
    biggest = max(wire, key=lambda k: len(wire[k])) if wire else ""
    info = {"articles": n, "origin": biggest, "copy": wire[biggest][0] if biggest else ""}
    marker.write_text(json.dumps(info))
    return info


def measure(folder: Path, info: dict, settle_s: float) -> dict:
    """Open the corpus in the window and time the GUI thread's gaps until the graph is shown."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    from app.ui.app import create_application
    from app.ui.mainwindow import MainWindow

    qapp = create_application(sys.argv[:1])
    work = _time_gui_work()
    collections = _time_collections()
    window = MainWindow(index_dir=folder / "index", restore=False)
    window.show()
    window.reuse_docks.overview.show()
    clock = QElapsedTimer()
    marks: dict[str, float] = {}
    gaps: list[tuple[int, int, float, float]] = []  # (gap, tick time, GUI-thread and process CPU ms in it)
    waits: list[float] = []  # per gap: ms the GUI thread was runnable but waited for a core (the OS's doing)
    last = [0]
    cpu = [time.thread_time(), time.process_time()]
    core_wait = _core_wait_clock()
    waited = [core_wait()]

    def tick() -> None:
        # The GUI thread's own CPU time over a gap tells its own work from waiting; the whole
        # process's tells waiting for the GIL (other threads ran) from waiting for a core (a
        # machine busy with other processes: nothing ran).
        now, used, process, wait = clock.elapsed(), time.thread_time(), time.process_time(), core_wait()
        gaps.append((now - last[0], now, (used - cpu[0]) * 1000, (process - cpu[1]) * 1000))
        waits.append(wait - waited[0])
        last[0], cpu[0], cpu[1], waited[0] = now, used, process, wait

    def mark(name: str) -> None:
        marks.setdefault(name, clock.elapsed())

    window.corpusLoaded.connect(lambda _c: mark("listed"))
    window.indexFinished.connect(lambda _r: mark("index checked"))
    window.reuse_docks.mapReady.connect(lambda _m: mark("map ready"))
    window.reuse_docks.graphReady.connect(lambda _g: mark("graph shown"))
    window.reuse_docks.failed.connect(lambda m: sys.exit(f"reuse map failed: {m}"))
    if info.get("origin"):
        window.corpusLoaded.connect(lambda _c: window.compare(info["origin"], info["copy"]))
    samples: list[tuple[int, int, str]] = []  # (stall start, sampled at, stacks)
    stop_sampling = threading.Event()
    sampler: threading.Thread | None = None
    if (stacks := os.environ.get("PARALLAX_BENCH_STACKS", "0")) != "0":
        sampler = _sample_stalls(last, clock, samples, stop_sampling, depth=int(stacks) if stacks.isdigit() and int(stacks) > 1 else 4)
    timer = QTimer()
    timer.setInterval(TICK_MS)
    timer.timeout.connect(tick)
    clock.start()
    clock_zero = time.perf_counter()
    timer.start()
    window.open_corpus(folder / "corpus")
    deadline = time.perf_counter() + 1800
    end = None
    while end is None or time.perf_counter() < end:
        qapp.processEvents()
        time.sleep(0.001)
        if end is None and "graph shown" in marks:
            end = time.perf_counter() + settle_s
        if time.perf_counter() > deadline:
            sys.exit("timed out waiting for the reuse graph")
    timer.stop()
    stop_sampling.set()  # before the window goes: a thread reading frames at exit can crash
    if sampler is not None:
        sampler.join()  # one still reading when the window's threads end segfaulted
    window.shutdown()
    window.close()

    def phase(at: int) -> str:
        name = "opening"
        for k, v in sorted(marks.items(), key=lambda kv: kv[1]):
            if at >= v:
                name = f"after {k}"
        return name

    ordered = sorted(gaps, reverse=True)
    wait_of = {(g[0], g[1]): w for g, w in zip(gaps, waits, strict=True)}
    own = sorted(((g[0] - w, g) for g, w in zip(gaps, waits, strict=True)), reverse=True)
    values = sorted(g[0] for g in gaps)
    opening_worst = max((g for g in gaps if g[1] <= marks.get("index checked", 0)), default=(0, 0, 0.0, 0.0))
    build = [g for g, at, _, _ in gaps if marks.get("index checked", 0) <= at <= marks.get("map ready", 0)]
    build_worst = max((g for g in gaps if marks.get("index checked", 0) <= g[1] <= marks.get("map ready", 0)),
                      default=(0, 0, 0.0, 0.0))
    after = [g for g, at, _, _ in gaps if at >= marks.get("map ready", 0)]
    after_worst = max((g for g in gaps if g[1] >= marks.get("map ready", 0)), default=(0, 0, 0.0, 0.0))
    late = [c for c in collections if (c[3] - clock_zero) * 1000 >= marks.get("map ready", 0)]
    return {
        "marks_s": {k: round(v / 1000, 2) for k, v in sorted(marks.items(), key=lambda kv: kv[1])},
        "ticks": len(gaps),
        "max_gap_ms": values[-1] if values else 0,
        "p99_gap_ms": values[int(len(values) * 0.99)] if values else 0,
        "max_gap_opening_ms": opening_worst[0],
        "opening_worst": f"{opening_worst[0]} ms at {opening_worst[1] / 1000:.2f} s (CPU: GUI thread"
                         f" {opening_worst[2]:.0f} ms, process {opening_worst[3]:.0f} ms)",
        "max_gui_cpu_in_gap_opening_ms": round(max((u for _, at, u, _ in gaps if at <= marks.get("index checked", 0)),
                                                   default=0)),
        "max_gap_map_build_ms": max(build, default=0),
        "max_gap_after_map_ms": max(after, default=0),
        "after_map_worst": f"{after_worst[0]} ms (CPU: GUI thread {after_worst[2]:.0f} ms, process {after_worst[3]:.0f} ms)",
        "max_gui_cpu_in_gap_after_map_ms": round(max((u for _, at, u, _ in gaps if at >= marks.get("map ready", 0)),
                                                     default=0)),
        "full_collections_after_map": (f"{len(late)}, longest {max(c[0] for c in late):.0f} ms ({max(late)[2]})"
                                       if late else "none"),
        "map_build_worst": f"{build_worst[0]} ms (CPU: GUI thread {build_worst[2]:.0f} ms, process {build_worst[3]:.0f} ms)",
        # What a gap would be with the machine to ourselves: the CPU this process used in it.
        "max_process_cpu_in_gap_ms": round(max((min(g, proc) for g, _, _, proc in gaps), default=0)),
        "max_gui_cpu_in_gap_ms": round(max((used for _, _, used, _ in gaps), default=0)),
        "worst": [f"{g} ms at {at / 1000:.2f} s ({phase(at)}; CPU: GUI thread {used:.0f} ms, process {proc:.0f} ms;"
                  f" the GUI thread waited {wait_of[(g, at)]:.0f} ms for a core)"
                  for g, at, used, proc in ordered[:6]],
        # The gap less the time the GUI thread was runnable but had no core (schedstat): what
        # this process itself (GIL holders, GUI work) made it.
        "max_gap_less_core_wait_ms": round(own[0][0]) if own else 0,
        "worst_less_core_wait": (f"{own[0][0]:.0f} ms: a {own[0][1][0]} ms gap at {own[0][1][1] / 1000:.2f} s"
                                 f" ({phase(own[0][1][1])}; CPU: GUI thread {own[0][1][2]:.0f} ms,"
                                 f" process {own[0][1][3]:.0f} ms)") if own else "",
        "core_wait_known": core_wait is not _no_clock,
        "stacks": [_stall_stacks(samples, at - g) for g, at, _, _ in ordered[:6] if g > 50 and samples],
        "gui_work": {k: f"{len(v)} calls, max {max(v):.0f} ms, total {sum(v):.0f} ms"
                     for k, v in sorted(work.items(), key=lambda kv: -max(kv[1])) if v},
        "full_collections": (f"{len(collections)}, longest {max(c[0] for c in collections):.0f} ms"
                             f" ({max(collections)[2]}), {sum(c[1] for c in collections)} on the GUI thread")
                            if collections else "none",
    }


def _no_clock() -> float:
    return 0.0


def _core_wait_clock() -> Callable[[], float]:
    """Milliseconds the calling thread has spent runnable but waiting for a core (Linux schedstat), or 0s."""
    try:
        fd = os.open(f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY)
    except OSError:
        return _no_clock

    def read() -> float:
        return int(os.pread(fd, 128, 0).split()[1]) / 1e6

    try:
        read()
    except (OSError, ValueError, IndexError):
        return _no_clock
    return read


def _time_collections() -> list[tuple[float, bool, str, float]]:
    """Full garbage collections (they hold the GIL): duration (ms), whether on the GUI thread, where,
    when they ended (``time.perf_counter``)."""
    import gc
    import traceback

    out: list[tuple[float, bool, str, float]] = []
    started: list[object] = [0.0, ""]

    def callback(phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            frames = traceback.extract_stack()[-5:-1]
            started[:] = [time.perf_counter(), " < ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames))]
        else:
            now = time.perf_counter()
            out.append(((now - float(started[0])) * 1000,  # type: ignore[arg-type]
                        threading.current_thread() is threading.main_thread(), str(started[1]), now))

    gc.callbacks.append(callback)
    return out


# GUI-thread handlers of the map and the graph, timed by wrapping them (name -> durations, ms).
_TIMED = (
    ("app.ui.mainwindow", "MainWindow", "_show_listing"), ("app.ui.models", "ArticleTableModel", "set_articles"),
    ("app.ui.corpuspanel", "CorpusPanel", "set_corpus"), ("app.ui.mainwindow", "MainWindow", "compare"),
    ("app.ui.reusedocks", "ReuseDocks", "_map_ready"), ("app.ui.reusedocks", "ReuseDocks", "_graph_ready"),
    ("app.ui.reusedocks", "ReuseDocks", "_show_left"),
    ("app.ui.relatedpanel", "RelatedPanel", "show_related"), ("app.ui.relatedpanel", "RelatedModel", "set_labels"),
    ("app.ui.reuseoverview", "ReuseOverview", "set_graph"), ("app.ui.reusegraph", "ReuseGraphView", "set_graph"),
    ("app.ui.reusegraph", "ReuseGraphView", "paintEvent"), ("app.ui.relatedpanel", "_RelatedList", "paintEvent"),
    ("app.ui.corpuspanel", "CorpusPanel", "set_reuse_map"),
    ("app.ui.reuseoverview", "ReuseOverview", "_expand_from"), ("app.ui.reusegraph", "ReuseGraphView", "_advance_render"),
    ("app.ui.deltapanel", "RelatedLabeller", "_next"), ("app.ui.deltapanel", "RelatedLabeller", "_labelled"),
)


def _time_gui_work() -> dict[str, list[float]]:
    import functools
    import importlib

    times: dict[str, list[float]] = {}
    for module, cls, name in _TIMED:
        klass = getattr(importlib.import_module(module), cls, None)
        func = getattr(klass, name, None) if klass is not None else None
        if func is None:
            continue
        key = f"{cls}.{name}"
        times[key] = []

        def timed(*args, _func=func, _key=key, **kwargs):
            if threading.current_thread() is not threading.main_thread():
                return _func(*args, **kwargs)
            t = time.perf_counter()
            try:
                return _func(*args, **kwargs)
            finally:
                times[_key].append((time.perf_counter() - t) * 1000)

        setattr(klass, name, functools.wraps(func)(timed))
    return times


def _sample_stalls(last: list[int], clock, out: list[tuple[int, int, str]], stop: threading.Event,
                   after_ms: int = 40, depth: int = 4) -> threading.Thread:
    """Every 10 ms while the GUI thread has not ticked for ``after_ms``: every thread's ``depth`` innermost frames."""
    import traceback

    main = threading.main_thread().ident

    def run() -> None:
        while not stop.wait(0.01):
            start, now = last[0], clock.elapsed()
            if now - start < after_ms:
                continue
            parts = []
            for tid, frame in sys._current_frames().items():
                if tid == threading.get_ident():
                    continue
                lines = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in traceback.extract_stack(frame)[-depth:]]
                parts.append(("GUI" if tid == main else f"t{tid % 10000}") + ": " + " < ".join(reversed(lines)))
            out.append((start, now, "\n    ".join(parts)))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _stall_stacks(samples: list[tuple[int, int, str]], start: int) -> str:
    """The stacks sampled during the stall that began at ``start``, each distinct one with its count."""
    seen: dict[str, int] = {}
    for s, _at, text in samples:
        if abs(s - start) <= 1:
            seen[text] = seen.get(text, 0) + 1
    ranked = sorted(seen.items(), key=lambda kv: -kv[1])[:4]
    return f"stall from {start / 1000:.2f} s:\n" + "\n".join(f"  x{n}  {t}" for t, n in ranked)


def _repeat(args: argparse.Namespace, folder: Path) -> int:
    """Measure ``args.runs`` times in fresh processes; print each run and the distribution."""
    import subprocess

    command = [sys.executable, "-X", "faulthandler", str(Path(__file__).resolve()), "--json", "--folder", str(folder),
               "--articles", str(args.articles), "--wire", str(args.wire), "--stories", str(args.stories),
               "--max-copies", str(args.max_copies), "--seed", str(args.seed), "--settle", str(args.settle),
               *(["--source"] if args.source else [])]
    env = dict(os.environ)
    worst: list[float] = []
    own: list[float] = []
    for run in range(1, args.runs + 1):
        load = os.getloadavg()[0]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        line = next((x for x in reversed(done.stdout.splitlines()) if x.startswith("{")), "")
        if not line:
            err = done.stderr
            err = err[err.find("Fatal Python error"):] if "Fatal Python error" in err else err[-300:]
            print(f"run {run}: failed, exit status {done.returncode}: {err.strip()[:3000]}", flush=True)
            continue
        r = json.loads(line)
        worst.append(r["max_gap_ms"])
        own.append(r["max_gap_less_core_wait_ms"])
        print(f"run {run:2}: load {load:.2f}-{os.getloadavg()[0]:.2f}  longest {r['max_gap_ms']:4} ms"
              f" (opening {r['max_gap_opening_ms']}, map build {r['max_gap_map_build_ms']},"
              f" after map {r['max_gap_after_map_ms']})  worst: {r['worst'][0]}", flush=True)
        print(f"        less the wait for a core: {r['worst_less_core_wait']}", flush=True)
        for text in r["stacks"][:1]:
            if r["max_gap_ms"] > STALL_MS:
                print("    " + text.replace("\n", "\n    "), flush=True)
    if not worst:
        return 1
    over = sum(w > STALL_MS for w in worst)
    ranked = sorted(worst)
    print(f"{len(worst)} runs: longest gap per run (ms) {ranked}; median {ranked[len(ranked) // 2]},"
          f" over {STALL_MS:.0f} ms in {over}")
    mine = sorted(own)
    print(f"  less the GUI thread's wait for a core (ms) {mine}; median {mine[len(mine) // 2]},"
          f" over {STALL_MS:.0f} ms in {sum(w > STALL_MS for w in mine)}")
    return 0 if not over else 1


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--wire", type=float, default=0.3, metavar="SHARE")
    ap.add_argument("--stories", type=int, default=300)
    ap.add_argument("--max-copies", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--folder", type=Path, help="where the corpus and its index are kept between runs")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds measured after the graph is shown")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--prepare-only", action="store_true", help="write and index the corpus, measure nothing")
    ap.add_argument("--runs", type=int, default=1, help="measure this many times, each in a fresh process")
    ap.add_argument("--source", action="store_true", help="do not compile Parallax's modules to .pyc first")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    folder = args.folder or Path(tempfile.gettempdir()) / (
        f"parallax-map-stall-{args.articles}-{args.wire}-{args.stories}-{args.max_copies}-{args.seed}")
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PARALLAX_DATA_DIR", str(folder / "data"))
    info = prepare(folder, args.articles, args.wire, args.stories, args.max_copies, args.seed)
    if args.prepare_only:
        return 0
    if not args.source:
        import compileall

        compileall.compile_dir(ROOT / "app", quiet=1)  # into app's __pycache__ folders (git ignores them)
    if args.runs > 1:
        return _repeat(args, folder)
    result = measure(folder, info, args.settle)
    ok = result["max_gap_ms"] <= STALL_MS
    if args.json:
        print(json.dumps(result))
    else:
        print(f"reuse map of {args.articles:,} articles built while the window runs: phases at"
              f" {result['marks_s']}")
        print(f"GUI thread ({TICK_MS} ms timer, {result['ticks']:,} ticks): longest gap {result['max_gap_ms']} ms,"
              f" p99 {result['p99_gap_ms']} ms; while the corpus opens and lists {result['max_gap_opening_ms']} ms,"
              f" while the map builds {result['max_gap_map_build_ms']} ms,"
              f" after it arrives {result['max_gap_after_map_ms']} ms   target < {STALL_MS:.0f} ms")
        print(f"  longest gap while the corpus opens (until the index is checked): {result['opening_worst']};"
              f" the GUI thread's CPU in one gap then at most {result['max_gui_cpu_in_gap_opening_ms']} ms")
        print(f"  longest gap while the map builds: {result['map_build_worst']}; after it arrives:"
              f" {result['after_map_worst']}; the GUI thread's CPU in one gap after it arrives at most"
              f" {result['max_gui_cpu_in_gap_after_map_ms']} ms")
        print(f"  CPU used within one gap: this process at most {result['max_process_cpu_in_gap_ms']} ms,"
              f" the GUI thread {result['max_gui_cpu_in_gap_ms']} ms (a gap much longer than its process's CPU"
              " is the machine running other processes)")
        print("  worst: " + "; ".join(result["worst"]))
        if result["core_wait_known"]:
            print(f"  longest gap less the GUI thread's wait for a core: {result['worst_less_core_wait']}")
        print("  GUI-thread work: " + "; ".join(f"{k} {v}" for k, v in result["gui_work"].items()))
        print(f"  full garbage collections: {result['full_collections']}; after the map arrives:"
              f" {result['full_collections_after_map']}")
        for text in result["stacks"]:
            print(text)
    print("OK" if ok else "STALLS OVER TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
