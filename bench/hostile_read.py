"""The reader's worst case on pathological input against its speed on prose, in seconds per MB.

Every case is a file of about ``--mb`` megabytes built to make a backtracking regex, the HTML
parser or the paragraph heuristics go superlinear: runs of punctuation, ``&amp;`` floods, nested
and unclosed tags, giant single lines, whitespace runs, blank lines, markdown markers, date-like
prefixes. The baseline is real prose (the seeds' text, repeated) as text and as HTML.
Target: the worst case within 3x of prose. Times are CPU times (the machine may be shared).

Figures (1 MB, CPU, medians of 3 runs on a loaded 2-core machine, 2026-12-04): prose 0.148 s/MB
(0.161 before this round); worst html-one-letter-paragraphs 0.40 s/MB = 2.7x (about 1.5 us per
element, one every four bytes, is what this Python tokenizer costs), md-double-star-words 2.1x,
one-letter-paragraphs 1.7x. Before this round: unclosed-lt 1.22 s/MB = 7.6x, stray-lt-closed 6.9x, stray-lt-ampersands 5.3x,
one-letter-paragraphs 3.8x, unclosed-comments 3.3x (each "<" was a token of its own; "\\W*" in
the byline patterns retried a dozen words at every offset of a paragraph of punctuation).

Usage: python bench/hostile_read.py [--mb 1.0] [--repeat 3] [--only NAME]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.reading.reader import ReadError, parse_bytes  # noqa: E402


def _fill(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit.encode("utf-8")))


def _lines(unit: str, line_chars: int, size: int) -> str:
    line = (unit * (line_chars // len(unit) + 1))[:line_chars]
    return _fill(line + "\n", size)


def prose_paragraphs() -> list[str]:
    """The seeds' paragraphs (real prose)."""
    out: list[str] = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text("utf-8", errors="replace")
        out.extend(p.strip() for p in text.split("\n\n") if len(p.split()) > 12)
    return out


def _prose_text(size: int) -> str:
    paras = prose_paragraphs()
    return _fill("\n\n".join(paras) + "\n\n", size)


def _prose_html(size: int) -> str:
    paras = prose_paragraphs()
    body = "".join(f"<p>{p.replace('&', '&amp;').replace('<', '&lt;')}</p>\n" for p in paras)
    page = _fill(body, size)
    return f"<html><head><title>Prose | Outlet</title></head><body><article>{page}</article></body></html>"


# name -> (file suffix, builder of about ``size`` bytes of content)
PROSE: dict[str, tuple[str, Callable[[int], str]]] = {
    "prose.txt": (".txt", _prose_text),
    "prose.html": (".html", _prose_html),
}

HOSTILE: dict[str, tuple[str, Callable[[int], str]]] = {
    "equals-lines-20k": (".txt", lambda n: _lines("=", 20_000, n)),
    "equals-one-line": (".txt", lambda n: _fill("=", n)),
    "ampersand-paragraph": (".md", lambda n: _fill("&", n)),
    "punctuation-mix": (".txt", lambda n: _fill("-=*_~.,;:!?#>|", n)),
    "amp-entity-flood": (".html", lambda n: _fill("&amp;", n)),
    "numeric-entity-flood": (".html", lambda n: _fill("&#38;&#x26;", n)),
    "bare-ampersand-html": (".html", lambda n: _fill("&", n)),
    "nested-divs": (".html", lambda n: _fill("<div>", n // 2) + "text" + _fill("</div>", n // 2)),
    "nested-spans-text": (".html", lambda n: _fill("<span>a ", n)),
    "unclosed-tags": (".html", lambda n: _fill("<a ", n)),
    "unclosed-lt": (".html", lambda n: _fill("<", n)),
    "stray-lt-closed": (".html", lambda n: _fill("<", n) + ">"),
    "stray-lt-ampersands": (".html", lambda n: _fill("<&", n) + ">"),
    "empty-end-tags": (".html", lambda n: _fill("</>", n)),
    "bogus-comments": (".html", lambda n: _fill("<!>", n)),
    "unclosed-comments": (".html", lambda n: _fill("<!--", n)),
    "unclosed-declarations": (".html", lambda n: _fill("<!x", n)),
    "unclosed-attribute": (".html", lambda n: '<a href="' + _fill("x ", n)),
    "unclosed-quotes": (".html", lambda n: _fill("<a b='", n) + ">"),
    "unclosed-cdata-sections": (".html", lambda n: _fill("<![CDATA[ x ]>", n)),
    "script-fragments": (".html", lambda n: _fill("<script>if (a<b) x()</script>y ", n)),
    "many-meta-tags": (".html", lambda n: _fill('<meta name="x" content="y">', n)),
    "html-blank-paragraphs": (".html", lambda n: _fill("<p></p>", n)),
    "html-short-paragraphs": (".html", lambda n: _fill("<p>Menu</p>\n", n)),
    "html-one-letter-paragraphs": (".html", lambda n: _fill("<p>a", n)),
    "giant-line-prose": (".txt", lambda n: _prose_text(n).replace("\n", " ")),
    "giant-word": (".txt", lambda n: _fill("a", n)),
    "cjk-one-line": (".txt", lambda n: _fill("中俄关系的发展进入新阶段", n)),
    "space-run": (".txt", lambda n: "word " + _fill(" ", n) + " - word"),
    "tab-run": (".txt", lambda n: "word\t" + _fill("\t", n) + "-\tword"),
    "nbsp-run": (".txt", lambda n: "word " + _fill("\u00a0", n) + "- word"),
    "spaced-dashes": (".txt", lambda n: _fill(" - ", n)),
    "double-dashes": (".txt", lambda n: _fill("a -- ", n)),
    "blank-lines": (".txt", lambda n: "Title line here\n" + _fill("\n", n) + "The end of a sentence."),
    "whitespace-lines": (".txt", lambda n: _fill("  \t \n", n) + "x y z"),
    "one-char-lines": (".txt", lambda n: _fill("a\n", n)),
    "one-letter-paragraphs": (".txt", lambda n: _fill("A\n\n", n)),
    "short-lines": (".txt", lambda n: _fill("Menu Search Log in\n", n)),
    "md-stars": (".md", lambda n: _fill("*", n)),
    "md-star-words": (".md", lambda n: _fill("*a ", n)),
    "md-underscores": (".md", lambda n: _fill("_a", n)),
    "md-double-star-words": (".md", lambda n: _fill("**a ", n)),
    "md-brackets": (".md", lambda n: _fill("[", n)),
    "md-image-openers": (".md", lambda n: _fill("![a", n)),
    "md-link-openers": (".md", lambda n: _fill("[a](", n)),
    "md-ref-openers": (".md", lambda n: _fill("[a][", n)),
    "md-parens": (".md", lambda n: "[a](" + _fill("(", n)),
    "md-backticks": (".md", lambda n: _fill("`a", n)),
    "md-hashes": (".md", lambda n: _fill("#", n)),
    "md-heading-lines": (".md", lambda n: _fill("# h\n", n)),
    "md-quote-lines": (".md", lambda n: _fill("> ", n)),
    "md-bullets": (".md", lambda n: _fill("- ", n)),
    "md-numbered": (".md", lambda n: _fill("1. ", n)),
    "front-matter-unclosed": (".md", lambda n: "---\n" + _fill("title: x\n", n)),
    "front-matter-dashes": (".md", lambda n: _fill("---\n", n)),
    "date-prefixes": (".txt", lambda n: _fill("2024-05-01 ", n)),
    "date-words": (".txt", lambda n: _fill("Published: date posted updated ", n)),
    "date-like-digits": (".txt", lambda n: _fill("2024-", n)),
    "month-names": (".txt", lambda n: _fill("May 12 December 2021 ", n)),
    "digit-run": (".txt", lambda n: _fill("1", n)),
    "counter-like": (".txt", lambda n: "1 " + _fill("1.", n) + " views x"),
    "byline-spaces": (".txt", lambda n: "By " + _fill(" ", n) + "x"),
    "via-punctuation": (".txt", lambda n: "via " + _fill("!", n) + " x y"),
    "via-punctuation-paragraphs": (".txt", lambda n: _fill("Via " + "!" * 3000 + " x y\n\n", n)),
    "counter-paragraphs": (".txt", lambda n: _fill("1 " * 2500 + "abc views x\n\n", n)),
    "nav-separators": (".txt", lambda n: _fill("Home |" + " " * 50 + "| World | Politics\n\n", n)),
    "hyphen-chain": (".txt", lambda n: _fill("a-", n)),
    "apostrophe-chain": (".txt", lambda n: _fill("a'", n)),
    "zero-width-words": (".txt", lambda n: _fill("a\u200b", n)),
}


def seconds_per_mb(suffix: str, text: str, repeat: int) -> float:
    """Least CPU time of ``repeat`` reads of ``text`` (as UTF-8 bytes of a ``suffix`` file), per MB.

    CPU time, not wall time: on a loaded machine the wall clock counts other processes' turns.
    """
    data = text.encode("utf-8")
    path = Path("/tmp/hostile" + suffix)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        with contextlib.suppress(ReadError):
            parse_bytes(data, path=path, root=path.parent)
        best = min(best, time.process_time() - t0)
    return best / (len(data) / 1e6)


def main(argv: list[str] | None = None) -> int:
    """Print seconds per MB for every case, then the worst hostile case against prose."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=1.0, help="size of each input (default 1 MB)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    args = ap.parse_args(argv)
    size = int(args.mb * 1e6)
    prose = {}
    for name, (suffix, build) in PROSE.items():
        prose[name] = seconds_per_mb(suffix, build(size), args.repeat)
        print(f"{name:26s} {prose[name]:8.3f} s/MB CPU")
    base = max(prose.values())
    worst = ("", 0.0)
    for name, (suffix, build) in HOSTILE.items():
        if args.only and args.only not in name:
            continue
        spm = seconds_per_mb(suffix, build(size), args.repeat)
        print(f"{name:26s} {spm:8.3f} s/MB CPU  {spm / base:5.2f}x prose", flush=True)
        if spm > worst[1]:
            worst = (name, spm)
    print(f"\nprose (slower of text/HTML): {base:.3f} s/MB")
    print(f"worst pathological case: {worst[0]} {worst[1]:.3f} s/MB = {worst[1] / base:.2f}x prose (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
