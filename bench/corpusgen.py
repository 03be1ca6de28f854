"""Generate a realistic synthetic corpus with planted republished copies, for benchmarks.

Deterministic from a seed. Words follow a Zipf law over a vocabulary of English function words
(the most frequent ranks, as in real text) and a few thousand pronounceable content words, in
sentences of 5-30 words, so that unrelated articles share vocabulary but not passages. Every
source has header and footer lines repeated across its articles (one with a varying date).
About a tenth of the articles republish an earlier one: verbatim, edited at word level, or
partially (a run of paragraphs inside new text); some copy a copy. The ground truth lists every
pair of articles sharing planted paragraphs, with how many.

Usage: ``python bench/corpusgen.py OUT_DIR --articles N --seed S``
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

# Real English function words, most frequent first: together about 45 % of running text.
FUNCTION_WORDS = ["the", "of", "and", "to", "a", "in", "that", "is", "was", "he", "for", "it", "with", "as", "his", "on", "be", "at", "by", "i", "this", "had", "not", "are", "but", "from", "or", "have", "an", "they", "which", "you", "were", "her", "all", "she", "there", "would", "their", "we", "him", "been", "has", "when", "who", "will", "more", "no", "if", "out", "so", "said", "what", "up", "its", "about", "into", "than", "them", "can", "only", "other", "new", "some", "could", "these", "two", "may", "then", "do", "any", "my", "now", "such", "like", "our", "over", "me", "even", "most", "made", "after", "also", "did", "many", "before", "must", "through", "where", "much", "your", "should", "because", "each", "just", "those", "how", "too", "very", "while", "since", "under", "upon", "until", "though", "whether", "however", "yet", "against", "between", "both", "few", "own", "same", "again", "once", "further"]

_ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cr", "dr", "fr", "gr", "pr", "tr", "bl", "cl", "fl", "gl", "pl", "sl", "st", "sp", "sk", "ch", "sh", "th"]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "ia"]
_CODAS = ["", "", "n", "r", "l", "s", "t", "m", "nd", "st", "rk", "ng", "x"]
_SUFFIXES = ["", "", "", "ion", "ity", "ment", "ing", "ed", "er", "al", "ous", "ive", "ism", "ist"]

SOURCE_NAMES = (
    "Daily Ledger", "Global Monitor", "Northern Courier", "The Analyst", "Policy Review",
    "World Dispatch", "Capital Post", "Eastern Herald", "The Observer Desk", "Strategic Digest",
    "Free Press Wire", "Continental Times", "Harbor Gazette", "Pacific Report", "Atlas News",
    "Meridian Journal", "Frontier Weekly", "Civic Record", "Summit Tribune", "Union Chronicle",
)


@dataclass(slots=True)
class GenArticle:
    """One generated article: paragraphs with their provenance (None for boilerplate)."""

    id: str
    title: str
    source: str
    author: str
    date: date | None
    paragraphs: list[str] = field(default_factory=list)
    tags: list[tuple[int, int] | None] = field(default_factory=list)
    kind: str = "original"  # original, verbatim, edited, partial
    copy_of: str | None = None

    def to_text(self) -> str:
        """The file text: YAML-like front matter, a markdown title, blank-line paragraphs."""
        head = [f"title: {self.title}", f"source: {self.source}", f"author: {self.author}"]
        if self.date:
            head.append(f"date: {self.date.isoformat()}")
        return "---\n" + "\n".join(head) + "\n---\n\n# " + self.title + "\n\n" + "\n\n".join(self.paragraphs) + "\n"


class Generator:
    """Deterministic article text from a seed."""

    def __init__(self, seed: int, content_words: int = 6000) -> None:
        self.rng = random.Random(seed)
        vocab: list[str] = []
        seen = set(FUNCTION_WORDS)
        while len(vocab) < content_words:
            w = "".join(self.rng.choice(_ONSETS) + self.rng.choice(_VOWELS) + self.rng.choice(_CODAS)
                        for _ in range(self.rng.choice((1, 2, 2, 3)))) + self.rng.choice(_SUFFIXES)
            if len(w) > 2 and w not in seen:
                seen.add(w)
                vocab.append(w)
        self.content = vocab
        fw = [1.0 / (r + 1) for r in range(len(FUNCTION_WORDS))]
        cw = [1.0 / (r + 30) for r in range(len(vocab))]
        scale_f, scale_c = 0.45 / sum(fw), 0.55 / sum(cw)
        self.words = list(FUNCTION_WORDS) + vocab
        self.cum = list(itertools.accumulate([w * scale_f for w in fw] + [w * scale_c for w in cw]))

    def sentence(self) -> str:
        n = self.rng.randint(5, 30)
        ws = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        if n > 12 and self.rng.random() < 0.4:
            k = self.rng.randint(3, n - 3)
            ws[k] += ","
        return ws[0].capitalize() + " " + " ".join(ws[1:]) + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.choice((1, 2, 2, 3, 3, 4, 5, 6))))

    def body(self) -> list[str]:
        target = min(3000, max(200, int(self.rng.lognormvariate(6.6, 0.6))))
        out, count = [], 0
        while count < target:
            p = self.paragraph()
            out.append(p)
            count += p.count(" ") + 1
        return out

    def title(self) -> str:
        ws = self.rng.choices(self.content[:2000], k=self.rng.randint(3, 8))
        return " ".join(w.capitalize() for w in ws)

    def edit(self, text: str, rate: float) -> str:
        """Word-level edits: substitutions, deletions and insertions at ``rate`` per word."""
        ws = text.split(" ")
        out = []
        for w in ws:
            r = self.rng.random()
            if r < rate / 2:
                out.append(self.rng.choice(self.content[:3000]))
            elif r < rate * 0.75:
                continue
            elif r < rate:
                out += [w, self.rng.choice(FUNCTION_WORDS[:40])]
            else:
                out.append(w)
        return " ".join(out) if out else text


def _source_boilerplate(name: str, rng: random.Random) -> tuple[list[str], list[str]]:
    header = [f"From the {name} newsroom", f"Read {name} in your language: use the translate menu at the top of this page."]
    footer = [
        f"Comment on {name} articles on our Facebook page",
        f"Become a Member of {name}",
        f"Disclaimer: the contents of this article are the sole responsibility of the author. {name} "
        "will not be responsible for any inaccurate or incorrect statement in this article.",
        f"Copyright {name} {{year}}. Republishing requires the written permission of {name}.",
    ]
    return header[: rng.randint(1, 2)], footer


def generate(n: int, seed: int = 1, copy_share: float = 0.1) -> list[GenArticle]:
    """``n`` articles; about ``copy_share`` of them republish earlier ones."""
    g = Generator(seed)
    rng = g.rng
    nsources = min(len(SOURCE_NAMES) * 2, max(5, n // 250))
    sources = [SOURCE_NAMES[i % len(SOURCE_NAMES)] + ("" if i < len(SOURCE_NAMES) else " International")
               for i in range(nsources)]
    boiler = {s: _source_boilerplate(s, rng) for s in sources}
    start = date(2015, 1, 1)
    articles: list[GenArticle] = []
    copies_of: dict[int, set[str]] = defaultdict(set)
    for i in range(n):
        aid = f"{i // 1000:03d}/{i:06d}.txt"
        src = rng.choice(sources)
        when = None if rng.random() < 0.05 else start + timedelta(days=rng.randrange(3650))
        art = GenArticle(aid, g.title(), src, f"Author {rng.randrange(500)}", when)
        origin_idx = rng.randrange(i) if i > 20 and rng.random() < copy_share else None
        if origin_idx is not None:
            origin = articles[origin_idx]
            root = origin_idx if origin.copy_of is None else int(origin.copy_of)
            taken = copies_of[root] | {articles[root].source}
            free = [s for s in sources if s not in taken]
            if not free:
                origin_idx = None
            else:
                art.source = rng.choice(free)
                copies_of[root].add(art.source)
                art.copy_of = str(root)
                if origin.date and when:
                    art.date = origin.date + timedelta(days=rng.randrange(0, 30))
                _copy(g, art, origin)
        if origin_idx is None:
            for k, p in enumerate(g.body()):
                art.paragraphs.append(p)
                art.tags.append((i, k))
        head, foot = boiler[art.source]
        year = art.date.year if art.date else 2020
        heads = [h for h in head if rng.random() < 0.95]
        foots = [f.format(year=year) for f in foot if rng.random() < 0.9]
        art.paragraphs = heads + art.paragraphs + foots
        art.tags = [None] * len(heads) + art.tags + [None] * len(foots)
        articles.append(art)
    return articles


def _copy(g: Generator, art: GenArticle, origin: GenArticle) -> None:
    rng = g.rng
    body = [(p, t) for p, t in zip(origin.paragraphs, origin.tags, strict=True) if t is not None]
    kind = rng.choices(("verbatim", "edited", "partial"), weights=(35, 35, 30))[0]
    art.kind = kind
    if kind == "verbatim":
        art.title = origin.title
        chosen = body
    elif kind == "edited":
        art.title = g.edit(origin.title, 0.2)
        chosen = [(g.edit(p, rng.uniform(0.03, 0.12)) if rng.random() < 0.6 else p, t) for p, t in body]
        if len(chosen) > 4 and rng.random() < 0.5:
            del chosen[rng.randrange(len(chosen))]
    else:
        k = rng.randint(1, min(len(body), 8))
        s = rng.randrange(len(body) - k + 1)
        chosen = body[s: s + k]
        n = int(art.id.rsplit("/", 1)[1].split(".")[0])
        own = [(p, (n, j)) for j, p in enumerate(g.body()[: rng.randint(2, 10)])]
        cut = rng.randint(0, len(own))
        chosen = own[:cut] + chosen + own[cut:]
    art.paragraphs = [p for p, _ in chosen]
    art.tags = [t for _, t in chosen]


def truth_pairs(articles: list[GenArticle]) -> dict[tuple[str, str], int]:
    """``{(a, b): shared planted paragraphs}`` for every pair of articles sharing any (a < b)."""
    holders: dict[tuple[int, int], set[str]] = defaultdict(set)
    for a in articles:
        for t in a.tags:
            if t is not None:
                holders[t].add(a.id)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for ids in holders.values():
        if len(ids) > 1:
            for a, b in itertools.combinations(sorted(ids), 2):
                pairs[(a, b)] += 1
    return dict(pairs)


def add_wire(articles: list[GenArticle], *, stories: int = 300, copies: int = 30_000, max_copies: int = 500,
             outlets: int = 500, seed: int = 1) -> dict[str, list[str]]:
    """Append wire copies: ``copies`` republications of ``stories`` originals, up to ``max_copies`` each.

    The originals are dated articles of ``articles`` that nothing copies. Each copy goes to a
    different wire outlet (``outlets`` of them, each with its own header and footer lines) and is
    dated 1-10 days after the original, so the original is the story's true origin. Copies are
    verbatim (40 %), lightly edited (40 %: words changed in half the paragraphs) or trimmed (20 %:
    a paragraph dropped or the end cut). Story sizes fall from about ``max_copies`` as (1 - rank / stories) ** 4.

    Returns:
        ``{original id: [copy ids]}``.
    """
    g = Generator(seed + 1000)
    rng = g.rng
    copied = {a.copy_of for a in articles if a.copy_of is not None}
    pool = [i for i, a in enumerate(articles)
            if a.copy_of is None and str(i) not in copied and a.date is not None and len(a.tags) - a.tags.count(None) >= 3]
    chosen = rng.sample(pool, stories)
    raw = [max(2.0, max_copies * (1 - k / stories) ** 4) for k in range(stories)]
    scale = copies / sum(raw)
    sizes = [min(max_copies, max(1, round(r * scale))) for r in raw]
    k = 0
    while sum(sizes) != copies:  # rounding: spread the difference over the stories, one copy each
        step = 1 if sum(sizes) < copies else -1
        j = k % stories
        if (step > 0 and sizes[j] < max_copies) or (step < 0 and sizes[j] > 1):
            sizes[j] += step
        k += 1
    names = [f"Wire Outlet {k:03d}" for k in range(outlets)]
    boiler = {name: _source_boilerplate(name, rng) for name in names}
    out: dict[str, list[str]] = {}
    n = 0
    for story, (idx, size) in enumerate(zip(chosen, sizes, strict=True)):
        origin = articles[idx]
        body = [(p, t) for p, t in zip(origin.paragraphs, origin.tags, strict=True) if t is not None]
        ids = []
        carriers = rng.sample(names, min(size, len(names)))
        for c in range(size):
            src = carriers[c % len(carriers)]
            art = GenArticle(f"wire/{story:03d}/{n:06d}.txt", origin.title, src, origin.author,
                             origin.date + timedelta(days=rng.randint(1, 10)), kind="wire", copy_of=str(idx))
            n += 1
            r = rng.random()
            chosen_body = list(body)
            if 0.4 <= r < 0.8:
                chosen_body = [(g.edit(p, rng.uniform(0.02, 0.06)) if rng.random() < 0.5 else p, t) for p, t in body]
                art.kind = "wire-edited"
            elif r >= 0.8:
                if len(chosen_body) > 3 and rng.random() < 0.5:
                    del chosen_body[rng.randrange(1, len(chosen_body) - 1)]
                else:
                    chosen_body = chosen_body[: max(2, int(len(chosen_body) * 0.7))]
                art.kind = "wire-trimmed"
            head, foot = boiler[src]
            foots = [f.format(year=art.date.year) for f in foot]
            art.paragraphs = head + [p for p, _ in chosen_body] + foots
            art.tags = [None] * len(head) + [t for _, t in chosen_body] + [None] * len(foots)
            articles.append(art)
            ids.append(art.id)
        out[origin.id] = ids
    return out


def write_corpus(articles: list[GenArticle], out: Path) -> None:
    """Write the articles and ``ground-truth.json`` (outside the scanned text files) below ``out``."""
    for a in articles:
        path = out / a.id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(a.to_text(), encoding="utf-8")
    truth = {
        "articles": len(articles),
        "copies": [{"id": a.id, "kind": a.kind, "copy_of": f"{int(a.copy_of) // 1000:03d}/{int(a.copy_of):06d}.txt"}
                   for a in articles if a.copy_of is not None],
        "pairs": [{"a": a, "b": b, "shared": n} for (a, b), n in sorted(truth_pairs(articles).items())],
    }
    (out / "ground-truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="output folder (created)")
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--copy-share", type=float, default=0.1)
    args = ap.parse_args(argv)
    articles = generate(args.articles, args.seed, args.copy_share)
    write_corpus(articles, args.out)
    print(f"{len(articles)} articles written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
