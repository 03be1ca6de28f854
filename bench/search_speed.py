"""Latency of 30 queries on a generated corpus index, with highlighted snippets for 20 hits.

Queries: common and rare single terms, phrases, boolean, field, fuzzy and wildcard queries,
picked deterministically from the index's own vocabulary. Each query runs ``--repeat`` times
through ``Corpus.search`` (first page of 20 hits, snippets read from the files). The first run
of a query is its cold time (its postings, positions and articles not yet cached); it is
printed apart, and it counts in p50/p95 like every other run.

Then ``parallax search QUERY --corpus C --index IX`` is timed as a whole process, start to
exit, for one query of each kind (``--cli`` runs each): what a user of the command line waits,
interpreter start, imports, the index check and any thread that delays the exit included. The
in-process figures cannot see the exit (a forgotten 10 s timer thread once held every run).

Usage: python bench/search_speed.py [--articles N] [--seed S] [--repeat R] [--only KIND ...] [--index DIR]
                                    [--cli RUNS] [--base DIR]
Builds the corpus and index under /tmp/parallax-bench when missing. An existing index is only
read: the bench stops, rather than rebuild it, when it was written for another schema.
Then the facets (every query again with the facet counts, and with a source and date filter) and
``versions`` (30 body paragraphs of random articles, looked up by their fingerprints) are timed.
``parallax versions ID --paragraph N --json`` is timed as a whole process too (``--cli`` runs
of 5 paragraphs): its first run may sort the fingerprints and store the sorted table beside
them; the others map that table.
Exits 1 when a p95 misses its target (search and facets 100 ms, versions 200 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from _common import machine  # noqa: E402
from gen_articles import ensure_corpus  # noqa: E402

from app.core.engine.analysis import stem_word  # noqa: E402
from app.core.engine.index import INDEX_NAME, SCHEMA_VERSION, make_schema  # noqa: E402
from app.core.engine.indexstore import IndexStore, StoreBusy, StoreDamaged  # noqa: E402
from app.core.workspace.corpus import Corpus  # noqa: E402

BASE = Path("/tmp/parallax-bench")


def pick_queries(corpus: Corpus, seed: int) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from the index vocabulary and from article text."""
    rng = random.Random(seed)
    listing = corpus.listing()
    # Index terms are stems: map them back to words as a user would type them.
    word_of: dict[str, str] = {}
    bodies = []
    for info in rng.sample(listing, min(400, len(listing))):
        body = [p.text for p in corpus.article(info.id).body if len(p.text.split()) > 12]
        bodies.append(body)
        for para in body:
            for w in re.findall(r"[A-Za-z]{3,}", para):
                word_of.setdefault(stem_word(w.lower()), w.lower())
    ix, _ = corpus.index.open()
    with ix.searcher() as s:
        r = s.reader()
        common = [t.decode() for _, t in r.most_frequent_terms("body", number=80)]
        common = [word_of[t] for t in common if t in word_of and len(t) > 3][:20]
        by_df = sorted((info.doc_frequency(), t.decode()) for t, info in r.iter_field("body")
                       if t.isalpha() and len(t) > 5 and t.decode() in word_of)
        rare = [word_of[t] for _, t in by_df[:200]]
        print(f"rare terms are in {by_df[0][0]}–{by_df[min(199, len(by_df) - 1)][0]} documents")
        titles = [f["title"] for f in s.all_stored_fields() if f.get("title")][:5000]
        authors = sorted({f.get("author", "") for f in s.all_stored_fields() if f.get("author")})
    rng.shuffle(rare)
    words = [w for t in titles for w in t.split() if w.isalpha() and len(w) > 4]
    phrases = []
    for body in bodies[:40]:
        if body:
            ws = rng.choice(body).split()
            i = rng.randrange(len(ws) - 3)
            phrases.append('"' + " ".join(w.strip(".,?!") for w in ws[i:i + 3]) + '"')
    q = [("common", t) for t in common[:5]]
    q += [("rare", t) for t in rare[:5]]
    q += [("phrase", p) for p in phrases[:5]]
    q += [("boolean", f"{common[5]} AND {common[6]}"), ("boolean", f"{common[7]} OR {rare[5]}"),
          ("boolean", f"{common[8]} AND NOT {common[9]}"),
          ("boolean", f"({common[10]} OR {common[11]}) AND {rare[6]}")]
    source = listing[0].source.split()[-1] if listing[0].source else "source00"
    q += [("field", f"title:{words[0].lower()}"), ("field", f'author:"{authors[0]}"'),
          ("field", f"source:{source}"), ("field", f"source:{source} AND title:{words[1].lower()}")]
    q += [("fuzzy", f"{rare[7]}~1"), ("fuzzy", f"{rare[8]}~2"), ("fuzzy", f"{common[12]}~1")]
    q += [("wildcard", f"{common[13][:4]}*"), ("wildcard", f"{rare[9][:5]}*"),
          ("wildcard", f"{rare[10][:3]}?{rare[10][4:6]}*"), ("wildcard", "*")]
    assert len(q) == 30, len(q)
    return q


def _usable(ix_dir: Path) -> str:
    """Why the index in ``ix_dir`` cannot be searched as it is ("" when it can)."""
    from whoosh import index as windex

    try:
        manifest = IndexStore(ix_dir).read()
    except (StoreDamaged, StoreBusy, OSError):
        manifest = None
    if manifest is None:
        return "no readable manifest"
    if manifest.schema_version != SCHEMA_VERSION:
        return f"schema version {manifest.schema_version} (this code reads {SCHEMA_VERSION})"
    try:
        ix = windex.open_dir(str(ix_dir), indexname=INDEX_NAME)
    except Exception as exc:
        return f"Whoosh cannot open it ({type(exc).__name__})"
    names = ix.schema.names()
    ix.close()
    return "" if names == make_schema().names() else "its fields differ from this code's schema"


def _p95(ordered: list[float]) -> float:
    """The 95th percentile of sorted times (nearest rank)."""
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]


def _load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def cli_command() -> list[str]:
    """The ``parallax`` command of this interpreter's environment (``python -m app`` without one)."""
    script = Path(sys.executable).with_name("parallax")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def time_cli(queries: list[tuple[str, str]], root: Path, ix_dir: Path, runs: int) -> list[float]:
    """Wall seconds from start to exit of ``parallax search`` for one query of each kind."""
    one_per_kind = list({k: (k, q) for k, q in reversed(queries)}.values())[::-1]
    cmd = cli_command()
    shown = "parallax" if len(cmd) == 1 else "python -m app"
    print(f"\n{_load()}\nwhole process: {shown} search QUERY "
          f"--corpus {root} --index {ix_dir}, {runs} runs each")
    t = time.perf_counter()
    subprocess.run([*cmd, "--version"], capture_output=True, check=False)
    print(f"(interpreter start and 'parallax --version': {(time.perf_counter() - t) * 1000:.0f} ms)")
    print(f"{'kind':9s} {'first':>8s} {'median':>8s}  query")
    walls: list[float] = []
    for kind, q in one_per_kind:
        mine = _process_walls([*cmd, "search", q, "--corpus", str(root), "--index", str(ix_dir)], runs, repr(q))
        walls += mine
        print(f"{kind:9s} {mine[0] * 1000:8.0f} {statistics.median(mine) * 1000:8.0f}  {q}", flush=True)
    time_cli_json(one_per_kind[0][1], cmd, root, ix_dir, runs)
    walls.sort()
    print(f"parallax search as a process: p50 {statistics.median(walls) * 1000:.0f} ms, "
          f"p95 {_p95(walls) * 1000:.0f} ms, max {walls[-1] * 1000:.0f} ms ({len(walls)} runs)")
    return walls


def time_cli_json(q: str, cmd: list[str], root: Path, ix_dir: Path, runs: int) -> None:
    """Wall seconds of ``search --json`` (every hit carries its copies: the saved copies table,
    built once by the first run when the map's table is missing or stale)."""
    mine, sources = [], []
    for _ in range(max(runs, 2)):
        t = time.perf_counter()
        proc = subprocess.run([*cmd, "search", q, "--json", "--corpus", str(root), "--index", str(ix_dir)],
                              capture_output=True, text=True, check=False)
        mine.append(time.perf_counter() - t)
        try:
            sources.append(json.loads(proc.stdout).get("copies_source", "?"))
        except ValueError:
            sources.append(f"failed: {proc.stderr.strip()[:120]}")
    print(f"{'--json':9s} {mine[0] * 1000:8.0f} {statistics.median(mine[1:]) * 1000:8.0f}  {q} "
          f"(copies from: {', '.join(dict.fromkeys(sources))}; median of the runs after the first)", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Print each query's cold and median latency, then p50 and p95 over every run."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=None, help="query kinds to run (common, phrase, ...)")
    ap.add_argument("--index", type=Path, default=None,
                    help=f"index folder (default {BASE}/ix-N, built when missing)")
    ap.add_argument("--cli", type=int, default=3, metavar="RUNS",
                    help="runs of the whole `parallax search` process per query kind (0: skip)")
    ap.add_argument("--base", type=Path, default=BASE, help=f"where corpora and indexes are kept (default {BASE})")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    root = ensure_corpus(args.articles, args.seed, args.base)
    ix_dir = args.index or args.base / f"ix-{args.articles}"
    if ix_dir.exists():
        why = _usable(ix_dir)
        if why:
            print(f"{ix_dir} is not usable as it is: {why}. Not rebuilding it; delete it to rebuild.")
            return 2
        corpus = Corpus(root, ix_dir)
        print(f"index of {corpus.index.doc_count():,} articles opened read-only")
    else:
        corpus = Corpus(root, ix_dir)
        t0 = time.perf_counter()
        report = corpus.update_index()
        print(f"index of {args.articles:,} articles built in {time.perf_counter() - t0:.1f} s "
              f"({len(report.added):,} added)")
    queries = pick_queries(corpus, args.seed)
    if args.only:
        queries = [(k, q) for k, q in queries if k in args.only]
    corpus.search(queries[0][1])  # open the index and warm the caches once
    print(f"\n{_load()}\n{'kind':9s} {'first':>8s} {'median':>8s} {'hits':>8s}  query")
    times: list[float] = []
    firsts: list[float] = []
    by_kind: dict[str, list[float]] = {}
    for kind, q in queries:
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = corpus.search(q, limit=20)
            runs.append((time.perf_counter() - t) * 1000)
        times += runs
        firsts.append(runs[0])
        by_kind.setdefault(kind, []).extend(runs)
        print(f"{kind:9s} {runs[0]:8.1f} {statistics.median(runs):8.1f} {result.total:8,}  {q}", flush=True)
    times.sort()
    firsts.sort()
    p50 = statistics.median(times)
    p95 = _p95(times)
    print(f"\n{_load()}")
    for kind, runs in by_kind.items():
        runs.sort()
        print(f"{kind:9s} p50 {statistics.median(runs):7.1f} ms, p95 {_p95(runs):7.1f} ms, max {runs[-1]:7.1f} ms "
              f"({len(runs)} runs)")
    print(f"first runs: p50 {statistics.median(firsts):.1f} ms, max {firsts[-1]:.1f} ms")
    print(f"{len(queries)} queries x {args.repeat}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms "
          f"(first page of 20 hits with snippets)")
    facets_p95 = time_facets(corpus, queries, args.repeat)
    versions_p95, picks = time_versions(corpus, args.seed, args.repeat)
    if args.cli > 0:
        time_cli(queries, root, ix_dir, args.cli)
        time_cli_versions(picks[:5], root, ix_dir, args.cli)
    return 0 if p95 < 100 and facets_p95 < 100 and versions_p95 < 200 else 1


def time_facets(corpus: Corpus, queries: list[tuple[str, str]], repeat: int) -> float:
    """The same queries with every facet counted, then with a source and a date range filter."""
    from app.core.search.facets import FacetFilter, Facets

    names = corpus.userdata.refresh().source
    t = time.perf_counter()
    corpus.search(queries[0][1], limit=20, narrow=Facets(None, names).narrow)
    print(f"\n{_load()}\nfacets: first use reads the per-segment facet codes: "
          f"{(time.perf_counter() - t) * 1000:.0f} ms (once per index generation)")
    source = corpus.listing()[0].source
    filtered = FacetFilter.of(include={"source": [source]}, date_from=date(2000, 1, 1), date_to=date(2100, 1, 1))
    times: list[float] = []
    for label, flt in (("counts", None), (f"counts + source {source!r} + date range", filtered)):
        mine = []
        for _kind, q in queries:
            for _ in range(repeat):
                f = Facets(flt, names)
                t = time.perf_counter()
                corpus.search(q, limit=20, narrow=f.narrow)
                mine.append((time.perf_counter() - t) * 1000)
        mine.sort()
        times += mine
        print(f"search with facet {label}: p50 {statistics.median(mine):.1f} ms, p95 {_p95(mine):.1f} ms, "
              f"max {mine[-1]:.1f} ms ({len(mine)} runs)")
    times.sort()
    p95 = _p95(times)
    print(f"search with facets: p95 {p95:.1f} ms (target < 100 ms)")
    return p95


def time_versions(corpus: Corpus, seed: int, repeat: int) -> tuple[float, list[tuple[str, int]]]:
    """``versions`` of 30 body paragraphs of random articles (``corpus_versions``, in process);
    returns the p95 and the paragraphs looked up."""
    from app.core.compare.passages import LOOKUP_FILE, corpus_lookup, corpus_versions

    rng = random.Random(seed + 7)
    t = time.perf_counter()
    prints = corpus.reuse.current_prints()
    t1 = time.perf_counter()
    stored = corpus.reuse.path.with_name(LOOKUP_FILE)
    had = stored.exists()
    corpus_lookup(corpus)
    t2 = time.perf_counter()
    how = ("the stored sorted table read (or sorted and stored again when stale)" if had
           else "sorted and stored")
    print(f"\n{_load()}\nversions: fingerprints of {len(prints):,} articles loaded in {(t1 - t) * 1000:.0f} ms, "
          f"{len(prints.fp):,} hashes: {how} in {(t2 - t1) * 1000:.0f} ms (once per index generation)")
    picks: list[tuple[str, int]] = []
    listing = corpus.listing()
    while len(picks) < 30:
        info = rng.choice(listing)
        body = [p for p in corpus.article(info.id).body if len(p.text.split()) > 20]
        if body:
            picks.append((info.id, rng.choice(body).index + 1))
    times: list[float] = []
    found = []
    for aid, n in picks:
        for _ in range(repeat):
            t = time.perf_counter()
            result = corpus_versions(corpus, aid=aid, paragraph=n)
            times.append((time.perf_counter() - t) * 1000)
        found.append(len(result.matches))
    times.sort()
    p95 = _p95(times)
    print(f"versions of 30 paragraphs x {repeat}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, "
          f"max {times[-1]:.1f} ms; versions found per paragraph: median {statistics.median(found):.0f}, "
          f"max {max(found)} (target p95 < 200 ms)")
    return p95, picks


def _process_walls(argv: list[str], runs: int, what: str) -> list[float]:
    """Wall seconds from start to exit of ``argv``, ``runs`` times; a failed run is said."""
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - t)
        if proc.returncode != 0:
            print(f"  {what} failed: {proc.stderr.strip()[:200]}")
    return walls


def time_cli_versions(picks: list[tuple[str, int]], root: Path, ix_dir: Path, runs: int) -> None:
    """Wall seconds from start to exit of ``parallax versions ID --paragraph N --json``."""
    cmd = cli_command()
    print(f"\n{_load()}\nwhole process: versions ID --paragraph N --json, {len(picks)} paragraphs x {runs}")
    walls: list[float] = []
    for aid, n in picks:
        mine = _process_walls([*cmd, "versions", aid, "--paragraph", str(n), "--json", "--corpus", str(root),
                               "--index", str(ix_dir)], runs, f"{aid} ¶{n}")
        walls += mine
        print(f"  {mine[0] * 1000:8.0f} {statistics.median(mine) * 1000:8.0f}  {aid} ¶{n}", flush=True)
    walls.sort()
    print(f"parallax versions as a process: p50 {statistics.median(walls) * 1000:.0f} ms, "
          f"p95 {_p95(walls) * 1000:.0f} ms, max {walls[-1] * 1000:.0f} ms ({len(walls)} runs)")


if __name__ == "__main__":
    sys.exit(main())
