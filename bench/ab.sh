#!/usr/bin/env bash
# ab.sh TREE_A TREE_B [ROUNDS]  -- before/after benchmark figures for two Parallax trees.
#
# Runs a compact set of the trees' own bench/ scripts, alternately A then B for each
# benchmark, ROUNDS times (default 3), each with TREE/.venv/bin/python and cwd=TREE, and
# prints one table: benchmark, figure, A median, B median, B/A (plus each side's min..max).
#
#   index  : bench/index_speed.py --articles 1500 --articles 10000 --no-naive --out /tmp/ab/out-T
#            (its corpora are read from /tmp/ab, not /tmp/parallax-bench: the module's BASE is set)
#   cli    : python -m app index /tmp/ab/corpus-1500-s1 --index DIR, whole process (wall, CPU)
#   search : bench/search_speed.py --articles 10000 --base /tmp/ab --index /tmp/ab/ix-search-T
#            --repeat 3 --cli 2  (each tree searches an index its own code built, in a prep step)
#   gui    : bench/gui_speed.py --big 10000 --big-folder /tmp/ab/gui-10000 (offscreen)
#   reuse  : bench/reuse_speed.py --articles 10000
# Every bench also gets "process CPU s" / "process wall s" (whole process tree, from wait4).
# Corpora under /tmp/ab are generated once (by tree A's generator) and shared by both trees.
# A bench that is missing or whose flags changed in a tree gives "n/a", never a failure.
# Raw logs: /tmp/ab/logs-<UTC time>/ (one file per round, tree and bench; figures.json).
# Env: AB_ONLY="index search" runs a subset; AB_KEEP_SEARCH_INDEX=1 reuses the search indexes.
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 TREE_A TREE_B [ROUNDS]" >&2
  exit 2
fi
exec python3 - "$@" <<'PY'
import json, os, re, resource, shutil, statistics, subprocess, sys, time
from pathlib import Path

A, B = (str(Path(p).resolve()) for p in sys.argv[1:3])
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
AB = Path("/tmp/ab")
LOGS = AB / time.strftime("logs-%Y%m%dT%H%M%SZ", time.gmtime())
LOGS.mkdir(parents=True, exist_ok=True)
ONLY = os.environ.get("AB_ONLY", "").split()
TREES = {"A": A, "B": B}

# index_speed hard-codes /tmp/parallax-bench for its corpora: point its BASE at /tmp/ab.
INDEX_WRAP = r'''
import runpy, sys
from pathlib import Path
args = sys.argv[1:]
sys.argv = ["bench/index_speed.py", *args]
sys.path.insert(0, "bench")
import index_speed as m
if hasattr(m, "BASE") and hasattr(m, "main"):
    m.BASE = Path("/tmp/ab")
    sys.exit(m.main(args))
runpy.run_path("bench/index_speed.py", run_name="__main__")
'''


def num(s):
    return float(s.replace(",", ""))


def parse_index(out):
    figs, size = {}, "?"
    for line in out.splitlines():
        if m := re.match(r"== ([\d,]+) (\w+) articles", line):
            size = f"{m[1]} {m[2]}"
        elif m := re.match(r"auto\s*: ([\d,]+) docs in ([\d.]+) s = ([\d,]+) docs/s, index ([\d,.]+) MB, "
                           r"peak memory ([\d,.]+) MB", line):
            figs[f"{size}: index wall s"] = num(m[2])
            figs[f"{size}: index MB"] = num(m[4])
            figs[f"{size}: peak memory MB"] = num(m[5])
        elif m := re.match(r"cpu\s*: ([\d.]+) ms/doc: workers ([\d.]+) s, main process ([\d.]+) s; (\d+) segments", line):
            figs[f"{size}: CPU ms/doc"] = num(m[1])
            figs[f"{size}: CPU s (workers+main)"] = num(m[2]) + num(m[3])
            figs[f"{size}: segments"] = num(m[4])
        elif m := re.match(r"host\s*: ([\d.]+) s of CPU stolen", line):
            figs[f"{size}: stolen s"] = num(m[1])
        elif m := re.match(r"re-index: no-op ([\d.]+) s, after 100 changed files ([\d.]+) s", line):
            figs[f"{size}: no-op re-index s"] = num(m[1])
            figs[f"{size}: 100-changed re-index s"] = num(m[2])
    return figs


def parse_search(out):
    figs = {}
    pats = [
        (r"\d+ queries x \d+: p50 ([\d.]+) ms, p95 ([\d.]+) ms", ["all queries p50 ms", "all queries p95 ms"]),
        (r"first runs: p50 ([\d.]+) ms, max ([\d.]+) ms", ["first runs p50 ms", "first runs max ms"]),
        (r"facets: first use .*: ([\d.]+) ms", ["facets first use ms"]),
        (r"search with facets: p95 ([\d.]+) ms", ["facets p95 ms"]),
        (r"versions: fingerprints of [\d,]+ articles loaded in ([\d.]+) ms", ["versions prints load ms"]),
        (r"versions of \d+ paragraphs x \d+: p50 ([\d.]+) ms, p95 ([\d.]+) ms", ["versions p50 ms", "versions p95 ms"]),
        (r"\(interpreter start and 'parallax --version': ([\d.]+) ms\)", ["CLI --version ms"]),
        (r"--json\s+(\d+)\s+(\d+)", ["CLI search --json first ms", "CLI search --json median ms"]),
        (r"parallax search as a process: p50 ([\d.]+) ms, p95 ([\d.]+) ms", ["CLI search p50 ms", "CLI search p95 ms"]),
        (r"parallax versions as a process: p50 ([\d.]+) ms", ["CLI versions p50 ms"]),
    ]
    for line in out.splitlines():
        if m := re.match(r"(\w+)\s+p50\s+([\d.]+) ms, p95\s+([\d.]+) ms, max", line):
            figs[f"{m[1]} p50 ms"] = num(m[2])
            continue
        for pat, names in pats:
            if m := re.search(pat, line):
                for k, name in enumerate(names, 1):
                    figs[name] = num(m[k])
    return figs


def parse_gui(out):
    figs = {}
    pats = [
        (r"window shown and interactive ([\d.]+) s, article list shown ([\d.]+) s",
         ["launch: window shown s", "launch: list shown s"]),
        (r"comparison \(align \+ show \+ paint\): median ([\d.]+) ms, max ([\d.]+) ms",
         ["open 200-para comparison median ms", "open 200-para comparison max ms"]),
        (r"paint per frame median ([\d.]+) ms, p95 ([\d.]+) ms", ["scroll paint median ms", "scroll paint p95 ms"]),
        (r"open_corpus\(\) returns in ([\d.]+) ms, list shown at ([\d.]+) ms, indexed in ([\d.]+) s; "
         r"longest GUI stall ([\d.]+) ms \(p99 ([\d.]+) ms\)",
         ["10k open: open_corpus ms", "10k open: list shown ms", "10k open: indexed s",
          "10k open: longest stall ms", "10k open: p99 stall ms"]),
        (r"CPU stolen by the hypervisor meanwhile: ([\d.]+) s", ["10k open: stolen s"]),
    ]
    for line in out.splitlines():
        for pat, names in pats:
            if m := re.search(pat, line):
                for k, name in enumerate(names, 1):
                    figs[name] = num(m[k])
    return figs


REUSE_KEYS = ("fingerprint_s", "map_s", "clusters_s", "build_total_s", "save_s", "load_s", "file_mb",
              "peak_rss_mb", "recall_ge3", "recall_lt3", "reported_pairs", "false_pairs", "clusters",
              "boilerplate_texts")


def parse_reuse(out):
    figs = {}
    for line in out.splitlines():
        if (m := re.match(r"(\w+)\s+(-?[\d.]+)\s*$", line)) and m[1] in REUSE_KEYS:
            figs[m[1]] = num(m[2])
    return figs


def parse_none(out):
    return {}


def benches(tag):
    ix_cli = AB / f"out-{tag}" / "ix-cli-1500"
    return [
        ("index", ["-c", INDEX_WRAP, "--articles", "1500", "--articles", "10000", "--no-naive",
                   "--out", str(AB / f"out-{tag}")], "bench/index_speed.py", parse_index, {}, None),
        ("cli index 1500", ["-m", "app", "index", str(AB / "corpus-1500-s1"), "--index", str(ix_cli)],
         "app", parse_none, {}, ix_cli),
        ("search", ["bench/search_speed.py", "--articles", "10000", "--base", str(AB), "--index",
                    str(AB / f"ix-search-{tag}"), "--repeat", "3", "--cli", "2"],
         "bench/search_speed.py", parse_search, {}, None),
        ("gui", ["bench/gui_speed.py", "--big", "10000", "--big-folder", str(AB / "gui-10000")],
         "bench/gui_speed.py", parse_gui, {"QT_QPA_PLATFORM": "offscreen"}, None),
        ("reuse 10k", ["bench/reuse_speed.py", "--articles", "10000"], "bench/reuse_speed.py", parse_reuse, {}, None),
    ]


def run(tree, tag, args, extra_env, log, timeout=1200):
    """Run TREE/.venv/bin/python ARGS in TREE; returns (rc, stdout, wall s, CPU s of the process tree)."""
    py = Path(tree) / ".venv/bin/python"
    tmp = AB / f"tmp-{tag}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env.update({"TMPDIR": str(tmp), "PARALLAX_DATA_DIR": str(AB / f"data-{tag}"), **extra_env})
    t0 = time.perf_counter()
    with open(log, "w") as fh:
        fh.write(f"# {tree}: {py} {' '.join(a if len(a) < 200 else '<wrapper>' for a in args)}\n"
                 f"# load {os.getloadavg()}\n")
        fh.flush()
        try:
            proc = subprocess.Popen([str(py), *args], cwd=tree, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, start_new_session=True)
        except OSError as exc:
            fh.write(f"# could not start: {exc}\n")
            return -1, "", float("nan"), float("nan")
        deadline = time.monotonic() + timeout
        out = []
        import threading
        reader = threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True)
        reader.start()
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, 9)
                pid, status, usage = os.wait4(proc.pid, 0)
                out.append(f"# killed after {timeout} s\n")
                break
            time.sleep(0.2)
        reader.join(10)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        cpu = usage.ru_utime + usage.ru_stime
        text = "".join(out)
        fh.write(text)
        fh.write(f"\n# rc {proc.returncode}, wall {wall:.1f} s, CPU {cpu:.1f} s\n")
    shutil.rmtree(tmp, ignore_errors=True)
    return proc.returncode, text, wall, cpu


def usable(tree, rel):
    return (Path(tree) / ".venv/bin/python").exists() and (Path(tree) / rel).exists()


def prepare():
    """Shared corpora (tree A's generators) and each tree's own search index, built outside the timing."""
    log = LOGS / "prep.log"
    gen = ("import sys; sys.path.insert(0, 'bench'); from pathlib import Path; "
           "from gen_articles import ensure_corpus\n"
           "for n in (1500, 10000): ensure_corpus(n, 1, Path('/tmp/ab'))\n"
           "folder = Path('/tmp/ab/gui-10000')\n"
           "if not folder.is_dir() or sum(1 for _ in folder.rglob('*.txt')) < 10000:\n"
           "    from corpusgen import generate, write_corpus; write_corpus(generate(10000, seed=3), folder)\n")
    rc, *_ = run(A, "A", ["-c", gen], {}, LOGS / "prep-corpora.log")
    print(f"prep: corpora under {AB} (rc {rc})", flush=True)
    if ONLY and "search" not in ONLY:
        return
    for tag, tree in TREES.items():
        ix = AB / f"ix-search-{tag}"
        if not os.environ.get("AB_KEEP_SEARCH_INDEX"):
            shutil.rmtree(ix, ignore_errors=True)
        if usable(tree, "bench/search_speed.py"):
            t = time.perf_counter()
            rc, *_ = run(tree, tag, ["bench/search_speed.py", "--articles", "10000", "--base", str(AB),
                                     "--index", str(ix), "--repeat", "1", "--cli", "1"], {},
                         LOGS / f"prep-search-{tag}.log")
            print(f"prep: {tag} search index {ix} ready in {time.perf_counter() - t:.0f} s (rc {rc})", flush=True)


def main():
    print(f"A = {A}\nB = {B}\nrounds = {ROUNDS}, logs in {LOGS}", flush=True)
    for tag, tree in TREES.items():
        head = subprocess.run(["git", "-C", tree, "log", "-1", "--format=%h %s"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", tree, "status", "--porcelain", "-uno"], capture_output=True, text=True)
        print(f"{tag}: {head.stdout.strip()[:100]}{' (+ uncommitted changes)' if dirty.stdout.strip() else ''}")
    prepare()
    figures = {"A": {}, "B": {}}  # tag -> (bench, figure) -> [values]
    order = []
    t_all = time.perf_counter()
    for r in range(1, ROUNDS + 1):
        t_round = time.perf_counter()
        up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(f"\nround {r}/{ROUNDS} at {time.strftime('%H:%M:%S', time.gmtime())} UTC: {up}", flush=True)
        for name, *_ in benches("A"):
            if ONLY and name.split()[0] not in ONLY:
                continue
            for tag, tree in TREES.items():
                name_, args, rel, parse, env, cleanup = next(b for b in benches(tag) if b[0] == name)
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)
                log = LOGS / f"r{r}-{tag}-{name.replace(' ', '_')}.log"
                if not usable(tree, rel):
                    print(f"  {name:15s} {tag}: missing ({rel})", flush=True)
                    continue
                load = os.getloadavg()[0]
                rc, out, wall, cpu = run(tree, tag, args, env, log)
                figs = parse(out)
                if figs or rc == 0:
                    figs = {**figs, "process wall s": wall, "process CPU s": cpu}
                for fig, value in figs.items():
                    key = (name, fig)
                    if key not in order:
                        order.append(key)
                    figures[tag].setdefault(key, []).append(value)
                print(f"  {name:15s} {tag}: rc {rc}, {wall:6.1f} s wall, {cpu:6.1f} s CPU, load {load:.2f}, "
                      f"{len(figs)} figures" + ("" if figs else f"  -> n/a, see {log}"), flush=True)
                if cleanup is not None:
                    shutil.rmtree(cleanup, ignore_errors=True)
        print(f"round {r} took {time.perf_counter() - t_round:.0f} s", flush=True)
    (LOGS / "figures.json").write_text(json.dumps(
        {tag: {" | ".join(k): v for k, v in f.items()} for tag, f in figures.items()}, indent=1))

    def fmt(x):
        if x is None:
            return "n/a"
        return f"{x:.0f}" if abs(x) >= 100 else f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"

    def spread(v):
        return f"{fmt(min(v))}..{fmt(max(v))}" if v else "n/a"

    print(f"\nall rounds took {time.perf_counter() - t_all:.0f} s (+ prep); medians of {ROUNDS} rounds\n")
    rows = [("benchmark", "figure", "A median", "B median", "B/A", "A min..max", "B min..max")]
    for key in order:
        va, vb = figures["A"].get(key, []), figures["B"].get(key, [])
        ma = statistics.median(va) if va else None
        mb = statistics.median(vb) if vb else None
        ratio = ("n/a" if ma is None or mb is None else f"{mb / ma:.2f}" if ma else "=" if mb == 0 else "inf")
        rows.append((key[0], key[1], fmt(ma), fmt(mb), ratio, spread(va), spread(vb)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("| " + " | ".join(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]) for i, c in enumerate(row)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


main()
PY
