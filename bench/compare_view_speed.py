"""Comparison view speed: opening a 200-paragraph comparison, paint time while scrolling 500, relayout.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/compare_view_speed.py``. The alignments are
computed beforehand (the aligner has its own bench); only the view is timed.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.align.paragraphs import align  # noqa: E402
from app.core.reading.model import Alignment, Article, Paragraph  # noqa: E402
from app.core.reading.text import normalize  # noqa: E402
from app.core.search.fulltext import term_matcher  # noqa: E402
from app.ui.compareview import CompareView  # noqa: E402

_WORDS = (
    "government minister talks energy pipeline border trade sanctions alliance summit officials "
    "agreement defence economy council treaty report capital region delegation statement press "
    "president analysts market growth security cooperation project investment parliament vote"
)
VOCAB = _WORDS.split()


def article(ident: str, texts: list[str]) -> Article:
    paras, pos = [], 0
    for n, text in enumerate(texts):
        paras.append(Paragraph(n, text, normalize(text), pos, pos + len(text)))
        pos += len(text) + 2
    return Article(id=ident, path=f"/bench/{ident}", title=f"Synthetic {ident}", source="Bench",
                   paragraphs=paras, text="\n\n".join(texts))


def pair(n: int, seed: int = 7) -> Alignment:
    """Two ``n``-paragraph articles: word edits, deletions, insertions and a few moves."""
    rnd = random.Random(seed)
    left = [" ".join(rnd.choice(VOCAB) for _ in range(rnd.randint(15, 120))).capitalize() + "."
            for _ in range(n)]
    right = []
    for k, text in enumerate(left):
        if k % 11 == 5:
            continue
        if k % 4 == 1:
            words = text.split()
            for _ in range(3):
                words[rnd.randrange(len(words))] = rnd.choice(VOCAB)
            text = " ".join(words)
        right.append(text)
        if k % 13 == 7:
            right.append(" ".join(rnd.choice(VOCAB) for _ in range(30)).capitalize() + ".")
    for _ in range(n // 50):
        right.insert(rnd.randrange(len(right)), right.pop(rnd.randrange(len(right))))
    return align(article(f"left-{n}", left), article(f"right-{n}", right))


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def main() -> None:
    app = QApplication.instance() or QApplication(sys.argv)
    view = CompareView()
    view.resize(1400, 900)
    view.show()
    app.processEvents()
    view.set_highlighter(term_matcher("pipeline summit"))

    small = pair(200)
    opens = []
    for _ in range(5):
        view.set_alignment(None)
        app.processEvents()
        t0 = time.perf_counter()
        view.set_alignment(small)
        view.repaint()  # synchronous: returns once the first frame is painted
        opens.append((time.perf_counter() - t0) * 1000)
    print(f"open 200+200 paragraphs ({len(small.rows)} rows): first {opens[0]:.1f} ms, "
          f"median {statistics.median(opens):.1f} ms, max {max(opens):.1f} ms")

    big = pair(500)
    view.set_alignment(big)
    view.repaint()
    bar = view.right_pane.verticalScrollBar()
    steps = 200
    step = max(1, bar.maximum() // steps)
    frames = []
    for k in range(steps):
        t0 = time.perf_counter()
        view.set_scroll_value(min(bar.maximum(), (k + 1) * step))
        view.repaint()
        frames.append((time.perf_counter() - t0) * 1000)
    print(f"scroll 500+500 paragraphs ({len(big.rows)} rows, {bar.maximum()} px, {steps} steps of {step} px): "
          f"p50 {pct(frames, 50):.2f} ms, p95 {pct(frames, 95):.2f} ms, max {max(frames):.2f} ms")

    from app.ui.rowlayout import reading_plan

    t0 = time.perf_counter()
    plan = reading_plan(big.rows)
    plan_ms = (time.perf_counter() - t0) * 1000
    print(f"reading plan 500+500 ({sum(r.moved for r in big.rows)} moved rows, {len(plan.slots)} slots): "
          f"{plan_ms:.2f} ms")
    finds = []
    for text in ("p", "pipeline", "summit officials", "zzz"):
        t0 = time.perf_counter()
        view.set_find_text(text)
        t1 = time.perf_counter()
        view.repaint()
        finds.append(f"{text!r} {(t1 - t0) * 1000:.1f} ms (+ repaint {(time.perf_counter() - t1) * 1000:.1f} ms)")
    view.set_find_text("")
    print("find in comparison 500+500, per keystroke: " + ", ".join(finds))
    slices = []
    original = view._query_step

    def timed(job, todo):
        t = time.perf_counter()
        original(job, todo)
        slices.append((time.perf_counter() - t) * 1000)

    view._query_step = timed
    view.set_highlighter(term_matcher("alliance treaty"))
    view.wait_query_hits()
    print(f"query hits 500+500: {len(slices)} slices, longest {max(slices):.1f} ms, "
          f"{len(view.query_hit_rows())} rows hit")

    if hasattr(view, "wait_layout"):  # the view before idle refinement had none
        view.wait_layout()
    relayouts, settles, turns = [], [], []
    for width in (1000, 1400, 1100, 1400, 1000):
        t0 = time.perf_counter()
        view.resize(width, 900)
        view.repaint()  # the first frame at the new width
        relayouts.append((time.perf_counter() - t0) * 1000)
        # Then the event loop: the real text layouts follow on idle; each turn is timed.
        t1 = time.perf_counter()
        while True:
            t = time.perf_counter()
            app.processEvents()
            turns.append((time.perf_counter() - t) * 1000)
            timer = getattr(view, "_refine_timer", None)
            if timer is None or not timer.isActive():
                break
        settles.append((time.perf_counter() - t1) * 1000)
    print(f"relayout 500+500 paragraphs after a width change (resize and first frame): first {relayouts[0]:.1f} ms, "
          f"median {statistics.median(relayouts):.1f} ms, max {max(relayouts):.1f} ms; then the event loop "
          f"until every paragraph is laid out for real: median {statistics.median(settles):.0f} ms, "
          f"longest turn {max(turns):.1f} ms")

if __name__ == "__main__":
    main()
