"""Plain data classes shared by every layer: articles, paragraphs, search hits, alignments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What a paragraph is on the page."""

    BODY = "body"
    TITLE = "title"
    BYLINE = "byline"  # author, date, source and other metadata lines
    CHROME = "chrome"  # navigation, share prompts, disclaimers, counters, adverts


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of an article.

    ``start``/``end`` are character offsets into ``Article.text`` (the decoded file text with
    line endings normalised to ``\\n``); ``text`` is the readable display form and ``norm`` the
    matching form (see :func:`app.core.reading.text.normalize`).
    """

    index: int
    text: str
    norm: str
    start: int
    end: int
    role: Role = Role.BODY

    @property
    def is_body(self) -> bool:
        """True for paragraphs that carry the article's content."""
        return self.role is Role.BODY


@dataclass(slots=True)
class Article:
    """A parsed corpus file."""

    id: str  # path relative to the corpus root, with forward slashes
    path: str  # absolute path of the file
    title: str
    source: str = ""
    author: str = ""
    date: date | None = None
    paragraphs: list[Paragraph] = field(default_factory=list)
    text: str = ""  # decoded text, line endings normalised
    encoding: str = "utf-8"
    content_hash: str = ""  # sha1 of the raw bytes
    size: int = 0
    mtime_ns: int = 0

    @property
    def body(self) -> list[Paragraph]:
        """The content paragraphs, in order."""
        return [p for p in self.paragraphs if p.role is Role.BODY]

    @property
    def body_text(self) -> str:
        """The content paragraphs' display text joined by blank lines."""
        return "\n\n".join(p.text for p in self.body)

    def to_dict(self, *, paragraphs: bool = False) -> dict[str, Any]:
        """JSON-ready metadata (and paragraphs when asked)."""
        data: dict[str, Any] = {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "date": self.date.isoformat() if self.date else None,
            "encoding": self.encoding,
            "paragraph_count": len(self.paragraphs),
            "body_paragraph_count": len(self.body),
        }
        if paragraphs:
            data["paragraphs"] = [
                {"text": p.text, "start": p.start, "end": p.end, "role": str(p.role)}
                for p in self.paragraphs
            ]
        return data


@dataclass(frozen=True, slots=True)
class Skipped:
    """A corpus file that could not be read, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result."""

    id: str
    path: str
    title: str
    source: str
    author: str
    date: date | None
    score: float
    snippets: tuple[str, ...] = ()  # HTML-escaped text with matched terms in <b>...</b>
    matches: int = 0  # words of the text the query's terms matched (counted with the snippets)
    paragraphs: tuple[int, ...] = ()  # 1-based numbers (the window's ¶N) of the paragraphs they are in
    title_marks: tuple[tuple[int, int], ...] = ()  # spans of the title's words the query matched

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax search --json``."""
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "source": self.source,
            "author": self.author,
            "date": self.date.isoformat() if self.date else None,
            "score": round(self.score, 4),
            "snippets": list(self.snippets),
            "matches": self.matches,
            "paragraphs": list(self.paragraphs),
            "title_marks": [list(m) for m in self.title_marks],
        }


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A page of hits for one query."""

    query: str
    total: int
    hits: tuple[Hit, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax search --json``."""
        return {"query": self.query, "total": self.total, "hits": [h.to_dict() for h in self.hits]}


class RowKind(StrEnum):
    """How the two sides of an aligned row relate."""

    IDENTICAL = "identical"
    CHANGED = "changed"
    LEFT_ONLY = "left_only"
    RIGHT_ONLY = "right_only"
    BOILERPLATE = "boilerplate"


@dataclass(frozen=True, slots=True)
class WordOp:
    """One word-level edit inside a ``changed`` row.

    ``tag`` is ``"replace"``, ``"delete"`` (left words absent on the right) or ``"insert"``
    (right words absent on the left). ``left``/``right`` list the affected character ranges as
    ``(paragraph_index, start, end)`` triples, offsets into that paragraph's display ``text``.
    """

    tag: str
    left: tuple[tuple[int, int, int], ...] = ()
    right: tuple[tuple[int, int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"op": self.tag, "left": [list(s) for s in self.left], "right": [list(s) for s in self.right]}


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a side-by-side view: a group of left paragraphs against a group of right ones."""

    left: tuple[int, ...]  # indexes into the left article's ``paragraphs``
    right: tuple[int, ...]
    kind: RowKind
    moved: bool = False
    score: float = 0.0  # 0-100
    ops: tuple[WordOp, ...] = ()

    @property
    def is_match(self) -> bool:
        """True when the row links paragraphs of both sides."""
        return bool(self.left) and bool(self.right)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax compare --json``."""
        return {
            "left": list(self.left),
            "right": list(self.right),
            "kind": str(self.kind),
            "moved": self.moved,
            "score": round(self.score, 2),
            "ops": [op.to_dict() for op in self.ops],
        }


@dataclass(frozen=True, slots=True)
class AlignmentSummary:
    """Headline figures of an alignment."""

    shared_rows: int
    shared_paragraphs_left: int
    shared_paragraphs_right: int
    left_shared_chars_pct: float
    right_shared_chars_pct: float
    by_kind: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form used by ``parallax compare --json``."""
        return {
            "shared_rows": self.shared_rows,
            "left_shared_chars_pct": round(self.left_shared_chars_pct, 1),
            "right_shared_chars_pct": round(self.right_shared_chars_pct, 1),
            "by_kind": dict(self.by_kind),
        }

    def describe(self) -> str:
        """One line for a status bar: ``31 shared paragraphs · 84 % of left text · 91 % of right text``."""
        return (
            f"{self.shared_rows} shared paragraphs · {self.left_shared_chars_pct:.0f} % of left text"
            f" · {self.right_shared_chars_pct:.0f} % of right text"
        )


_CONTENT_MATCH = (RowKind.IDENTICAL, RowKind.CHANGED)


@dataclass(slots=True)
class Alignment:
    """The rows linking two articles, in display order."""

    left: Article
    right: Article
    rows: list[Row]
    options: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> AlignmentSummary:
        """Shared rows, share of each side's body text found in the other, count per kind."""
        by_kind = {str(k): 0 for k in RowKind}
        for row in self.rows:
            by_kind[str(row.kind)] += 1
        shared = [r for r in self.rows if r.kind in _CONTENT_MATCH]
        left_idx = {i for r in shared for i in r.left}
        right_idx = {j for r in shared for j in r.right}
        return AlignmentSummary(
            shared_rows=len(shared),
            shared_paragraphs_left=len(left_idx),
            shared_paragraphs_right=len(right_idx),
            left_shared_chars_pct=_share(self.left, left_idx),
            right_shared_chars_pct=_share(self.right, right_idx),
            by_kind=by_kind,
        )

    def to_dict(self) -> dict[str, Any]:
        """The exact shape printed by ``parallax compare --json``."""

        def side(a: Article) -> dict[str, Any]:
            return {
                "id": a.id,
                "path": a.path,
                "title": a.title,
                "paragraphs": [
                    {"text": p.text, "start": p.start, "end": p.end, "role": str(p.role)}
                    for p in a.paragraphs
                ],
            }

        return {
            "left": side(self.left),
            "right": side(self.right),
            "rows": [r.to_dict() for r in self.rows],
            "summary": self.summary().to_dict(),
        }


def _share(article: Article, matched: set[int]) -> float:
    body = [p for p in article.paragraphs if p.role is Role.BODY]
    total = sum(len(p.text) for p in body)
    if not total:
        return 0.0
    return 100.0 * sum(len(p.text) for p in body if p.index in matched) / total
