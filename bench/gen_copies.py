"""Make original/republished article pairs with known paragraph links from real paragraphs.

The original is a sample of real body paragraphs with one site's chrome around it; the copy is
built from it by one transformation (word edits, splits, merges, reorders, deletions, foreign
insertions, typographic noise) and gets another site's chrome. ``Case.links`` holds the true
(left paragraph, right paragraph) links.
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.core.reading.model import Article, Paragraph, Role  # noqa: E402
from app.core.reading.reader import read_corpus  # noqa: E402
from app.core.reading.text import display_text, normalize  # noqa: E402

SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[\"“‘(]?[A-Z])")

LEFT_CHROME_HEAD = ["Home", "News", "Latest", "Skip to content", "Share this article"]
LEFT_CHROME_TAIL = [
    "Subscribe to our newsletter",
    "Comments",
    "Leave a comment",
    "The views expressed in this article are those of the author and do not necessarily reflect the views of the publisher.",
    "Related posts",
]
RIGHT_CHROME_HEAD = ["Menu", "Advertisement", "Trending now", "Follow us on Twitter"]
RIGHT_CHROME_TAIL = [
    "Read more",
    "Donate",
    "Copyright © 2024 The Daily Observer. All rights reserved.",
    "Support our work on Patreon",
]

TRANSFORMS = (
    "verbatim",
    "noise",
    "edit_5",
    "edit_15",
    "edit_30",
    "sentences",
    "split",
    "merge",
    "reorder",
    "delete",
    "insert",
    "mixed",
    "unrelated",
)


@dataclass(slots=True)
class Case:
    """One generated pair with its true paragraph links."""

    transform: str
    left: Article
    right: Article
    links: set[tuple[int, int]] = field(default_factory=set)


@dataclass(slots=True)
class _Item:
    text: str
    origins: set[int]  # indexes into the original's body list
    role: Role = Role.BODY
    shaped: bool = False  # already split or merged: not reshaped again, so links stay exact


def load_pool(folders: list[Path] | None = None, min_words: int = 8) -> list[list[str]]:
    """Real body paragraphs per article (deduplicated across articles), from the seeds and ``folders``."""
    seen: set[str] = set()
    pool: list[list[str]] = []
    for folder in [ROOT / "seeds", *(folders or [])]:
        for article in read_corpus(folder).articles:
            paras = []
            for p in article.body:
                if len(p.text.split()) >= min_words and p.norm not in seen:
                    seen.add(p.norm)
                    paras.append(p.text)
            if paras:
                pool.append(paras)
    return pool


def _article(aid: str, title: str, head: list[str], items: list[_Item], tail: list[_Item]) -> tuple[Article, list[int]]:
    """Build an article; returns it and the paragraph index of each of ``items``."""
    blocks: list[_Item] = [_Item(h, set(), Role.CHROME) for h in head]
    blocks.append(_Item(title, set(), Role.TITLE))
    first = len(blocks)
    blocks += items
    blocks += tail
    paragraphs: list[Paragraph] = []
    text_parts: list[str] = []
    pos = 0
    for n, b in enumerate(blocks):
        paragraphs.append(Paragraph(n, display_text(b.text), normalize(b.text), pos, pos + len(b.text), b.role))
        text_parts.append(b.text)
        pos += len(b.text) + 2
    article = Article(id=aid, path=f"/generated/{aid}", title=title, paragraphs=paragraphs,
                      text="\n\n".join(text_parts))
    return article, list(range(first, first + len(items)))


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def _edit_words(text: str, rate: float, rng: random.Random, vocab: list[str]) -> str:
    """Replace, delete or insert words at ``rate`` per word, keeping punctuation around them."""
    out: list[str] = []
    for tok in text.split():
        if rng.random() >= rate:
            out.append(tok)
            continue
        m = re.match(r"^(\W*)(.*?)(\W*)$", tok)
        pre, _core, post = m.groups() if m else ("", tok, "")
        roll = rng.random()
        if roll < 0.5:
            out.append(f"{pre}{rng.choice(vocab)}{post}")
        elif roll < 0.75:
            if pre or post:
                out.append(pre + post)
        else:
            out.extend([tok, rng.choice(vocab)])
    return " ".join(t for t in out if t) or text


def _noise(text: str, rng: random.Random) -> str:
    """Markdown, quote, dash, whitespace and case variations that keep the words."""
    kind = rng.randrange(6)
    if kind == 0:
        parts = text.split(" ", 2)
        if len(parts) == 3:
            return f"**{parts[0]} {parts[1]}** {parts[2]}"
    if kind == 1:
        return re.sub(r'"([^"]*)"', r"“\1”", text.replace("'", "’"))
    if kind == 2:
        return text.replace(" - ", " — ").replace(", ", " – ", 1)
    if kind == 3:
        return text.replace(" ", "  ", 3)
    if kind == 4:
        return text.upper() if len(text) < 80 else text[:1].lower() + text[1:]
    return f"> {text}" if rng.random() < 0.5 else f"_{text}_"


def _split(item: _Item, rng: random.Random) -> list[_Item]:
    sents = _sentences(item.text)
    if len(sents) < 2 or item.shaped:
        return [item]
    pieces = rng.choice((2, 3)) if len(sents) >= 3 else 2
    cuts = sorted(rng.sample(range(1, len(sents)), pieces - 1))
    bounds = [0, *cuts, len(sents)]
    return [_Item(" ".join(sents[a:b]), set(item.origins), shaped=True)
            for a, b in zip(bounds, bounds[1:], strict=False)]


def _transform(items: list[_Item], name: str, rng: random.Random, vocab: list[str],
               foreign: list[str]) -> list[_Item]:
    if name in ("verbatim",):
        return items
    if name == "noise":
        return [_Item(_noise(it.text, rng), it.origins, shaped=it.shaped) for it in items]
    if name.startswith("edit_"):
        rate = int(name.split("_")[1]) / 100
        return [_Item(_edit_words(it.text, rate, rng, vocab), it.origins, shaped=it.shaped) for it in items]
    if name == "sentences":
        out = []
        for it in items:
            sents = _sentences(it.text)
            roll = rng.random()
            if roll < 0.25 and len(sents) >= 3:
                del sents[rng.randrange(len(sents))]
            elif roll < 0.5 and foreign:
                extra = _sentences(rng.choice(foreign))
                sents.insert(rng.randrange(len(sents) + 1), rng.choice(extra))
            out.append(_Item(" ".join(sents), it.origins, shaped=it.shaped))
        return out
    if name == "split":
        out = []
        for it in items:
            out += _split(it, rng) if rng.random() < 0.35 else [it]
        return out
    if name == "merge":
        out, n = [], 0
        while n < len(items):
            k = rng.choice((2, 3)) if rng.random() < 0.3 else 1
            group = items[n:n + k]
            if len(group) < 2 or any(g.shaped for g in group):
                out.append(items[n])
                n += 1
                continue
            out.append(_Item(" ".join(g.text for g in group), set().union(*(g.origins for g in group)),
                             shaped=True))
            n += k
        return out
    if name == "reorder":
        out = list(items)
        for _ in range(max(1, len(items) // 5)):
            it = out.pop(rng.randrange(len(out)))
            out.insert(rng.randrange(len(out) + 1), it)
        return out
    if name == "delete":
        keep = [it for it in items if rng.random() >= 0.2]
        return keep or items[:1]
    if name == "insert":
        out = list(items)
        for text in rng.sample(foreign, min(len(foreign), max(1, len(items) // 5))):
            out.insert(rng.randrange(len(out) + 1), _Item(text, set()))
        return out
    if name == "mixed":
        for step in ("edit_5", "sentences", "split", "merge", "reorder", "delete", "insert", "noise"):
            if rng.random() < 0.6:
                items = _transform(items, step, rng, vocab, foreign)
        return items
    raise ValueError(f"unknown transformation: {name}")


def make_case(transform: str, rng: random.Random, pool: list[list[str]], size: int = 15) -> Case:
    """Generate one original/copy pair for ``transform`` (one of :data:`TRANSFORMS`)."""
    flat = [(a, t) for a, paras in enumerate(pool) for t in paras]
    vocab = sorted({w for _, t in flat for w in re.findall(r"[A-Za-z]{3,}", t)})
    picked = rng.sample(range(len(flat)), min(size, len(flat)))
    if size > len(flat):  # large benchmark articles reuse paragraphs
        picked += [rng.randrange(len(flat)) for _ in range(size - len(flat))]
    original = [flat[k][1] for k in picked]
    used = {flat[k][1] for k in picked}
    foreign = [t for _, t in flat if t not in used]
    rng.shuffle(foreign)
    teasers, foreign = foreign[:2], foreign[2:]
    title = " ".join(original[0].split()[:8]).rstrip(",.;:")

    left_items = [_Item(t, {n}) for n, t in enumerate(original)]
    left_tail = [_Item(LEFT_CHROME_TAIL[0], set(), Role.CHROME), _Item("Latest", set(), Role.CHROME)]
    left_tail += [_Item(t, set()) for t in teasers]  # other stories' teasers: body text, never shared
    left_tail += [_Item(t, set(), Role.CHROME) for t in LEFT_CHROME_TAIL[1:]]
    left, lpos = _article("original", title, LEFT_CHROME_HEAD, left_items, left_tail)

    if transform == "unrelated":
        right_items = [_Item(t, set()) for t in foreign[:size]]
        right_title = " ".join(foreign[-1].split()[:8]).rstrip(",.;:")
    else:
        right_items = _transform([_Item(t, {n}) for n, t in enumerate(original)], transform, rng, vocab, foreign)
        right_title = title
    right_tail = [_Item(t, set(), Role.CHROME) for t in RIGHT_CHROME_TAIL]
    right, rpos = _article("copy", right_title, RIGHT_CHROME_HEAD, right_items, right_tail)

    links = {(lpos[k], rpos[r]) for r, it in enumerate(right_items) for k in it.origins}
    if right_title == title:
        links.add((len(LEFT_CHROME_HEAD), len(RIGHT_CHROME_HEAD)))
    return Case(transform, left, right, links)
