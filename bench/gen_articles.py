"""Write N realistic articles to a folder, deterministically from a seed (for the scale benches).

Articles are 200–3,000 words of Zipf-distributed vocabulary (real English words from the seed
corpus plus a long tail of rare coined words), with titles, bylines, dates, a folder and page
boilerplate per source, and a share of republished copies of earlier articles under another
source's boilerplate with light edits.

Usage: python bench/gen_articles.py OUT_DIR --articles N [--seed S] [--copies 0.15]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = 24
_WORD = re.compile(r"[A-Za-z]{2,}")
_SYLLABLES = ("ka", "ren", "to", "mi", "sal", "dor", "vek", "lin", "za", "per", "quo", "bra",
              "nit", "sol", "ame", "tri", "gan", "hel", "ost", "uro", "pax", "dul", "fen", "ivo")
_NAMES = ("Anna", "Boris", "Chen", "Diego", "Elena", "Farid", "Grace", "Hiro", "Irina", "James",
          "Kofi", "Lena", "Maria", "Nikolai", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tariq")
_SURNAMES = ("Ivanova", "Smith", "Wang", "Garcia", "Petrov", "Okafor", "Tanaka", "Müller",
             "Rossi", "Haddad", "Novak", "Jensen", "Kowalski", "Silva", "Dubois", "Kim")


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Words and cumulative Zipf weights: common English first, then rare coined words."""
    counts: dict[str, int] = {}
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        for w in _WORD.findall(path.read_text("utf-8", errors="replace")):
            w = w.lower()
            counts[w] = counts.get(w, 0) + 1
    common = sorted(counts, key=lambda w: (-counts[w], w))
    coined = set()
    while len(coined) < 60_000:
        coined.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    words = common + sorted(coined)
    weights = list(itertools.accumulate(1.0 / (rank + 2.7) for rank in range(len(words))))
    return words, weights


class _Writer:
    """Sentences and paragraphs from a shared vocabulary."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words, self.cum = _vocabulary(rng)

    def sentence(self, n: int) -> str:
        ws = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        ws[0] = ws[0].capitalize()
        if n > 8 and self.rng.random() < 0.3:
            ws[n // 2] += ","
        return " ".join(ws) + self.rng.choice(".....?!")

    def paragraphs(self, total_words: int) -> list[str]:
        out = []
        left = total_words
        while left > 0:
            para = []
            for _ in range(self.rng.randint(2, 6)):
                n = min(left, self.rng.randint(7, 30))
                if n <= 0:
                    break
                para.append(self.sentence(max(n, 3)))
                left -= n
            if para:
                out.append(" ".join(para))
        return out


def _source_boilerplate(rng: random.Random, k: int) -> tuple[str, list[str], list[str]]:
    name = f"The {rng.choice(['Daily', 'Weekly', 'Global', 'Free', 'Eastern', 'Northern'])} {rng.choice(['Observer', 'Review', 'Courier', 'Herald', 'Monitor', 'Ledger'])} {k}"
    head = rng.sample(["Home", "News", "Latest", "Menu", "Skip to content", "Trending now",
                       "Share this article", "Follow us on Twitter", "Advertisement"], 4)
    tail = rng.sample([
        "Subscribe to our newsletter", "Leave a comment", "Related posts", "Donate",
        f"Copyright © 2024 {name}. All rights reserved.",
        "The views expressed in this article are those of the author and do not necessarily reflect the views of the publisher.",
        "Support our work on Patreon", "Read more",
    ], 4)
    return name, head, tail


def _edit(rng: random.Random, paras: list[str]) -> list[str]:
    """A republished copy: a few words changed, sometimes a paragraph dropped or added."""
    out = []
    for p in paras:
        if rng.random() < 0.05:
            continue
        words = p.split()
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(words))
            words[i] = rng.choice(["reportedly", "however", "officials", "said", "today"])
        out.append(" ".join(words))
    return out or paras


def generate(out: Path, articles: int, seed: int = 1, copies: float = 0.15) -> int:
    """Write ``articles`` files below ``out``; returns the number written."""
    rng = random.Random(seed)
    w = _Writer(rng)
    sources = [_source_boilerplate(rng, k) for k in range(SOURCES)]
    for k in range(SOURCES):
        (out / f"source{k:02d}").mkdir(parents=True, exist_ok=True)
    originals: list[tuple[str, str, date, list[str]]] = []
    start = date(2015, 1, 1)
    for i in range(articles):
        k = rng.randrange(SOURCES)
        name, head, tail = sources[k]
        if originals and rng.random() < copies:
            title, author, when, paras = rng.choice(originals)
            paras = _edit(rng, paras)
            when = when + timedelta(days=rng.randint(0, 30))
        else:
            title = w.sentence(rng.randint(5, 11)).rstrip(".?!,")
            author = f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)}"
            when = start + timedelta(days=rng.randrange(3650))
            paras = w.paragraphs(rng.randint(200, 3000))
            if len(originals) < 5000:
                originals.append((title, author, when, paras))
            elif rng.random() < 0.05:
                originals[rng.randrange(5000)] = (title, author, when, paras)
        text = "\n\n".join([*head, title, f"By {author}", when.isoformat(), *paras, *tail]) + "\n"
        (out / f"source{k:02d}" / f"{i:07d}.txt").write_text(text, "utf-8")
    (out / ".generated.json").write_text(
        json.dumps({"articles": articles, "seed": seed, "copies": copies}), "utf-8")
    return articles


def ensure_corpus(articles: int, seed: int = 1, base: Path = Path("/tmp/parallax-bench")) -> Path:
    """The generated corpus for (articles, seed) under ``base``, generating it if missing."""
    out = base / f"corpus-{articles}-s{seed}"
    marker = out / ".generated.json"
    if marker.exists() and json.loads(marker.read_text("utf-8")).get("articles") == articles:
        return out
    if out.exists():
        import shutil

        shutil.rmtree(out)
    generate(out, articles, seed)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--copies", type=float, default=0.15)
    args = ap.parse_args(argv)
    n = generate(args.out, args.articles, args.seed, args.copies)
    print(f"wrote {n} articles to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
