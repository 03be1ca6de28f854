"""Visible text of an HTML page, block by block, with character spans into the source."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_DROP = {"script", "style", "nav", "noscript", "template", "svg", "form", "iframe", "aside",
         "footer", "button", "select", "object", "canvas", "head"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5",
          "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "td",
          "th", "figure", "figcaption", "address", "hr", "br", "body", "html", "caption"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source",
         "track", "wbr", "param"}


@dataclass(slots=True)
class HtmlBlock:
    """A run of visible text between block boundaries."""

    text: str
    start: int
    end: int
    heading: int = 0  # 1-6 for h1-h6


@dataclass(slots=True)
class HtmlDocument:
    """What the page says about itself plus its visible blocks."""

    title: str = ""
    author: str = ""
    published: str = ""
    site: str = ""
    page_title: str = ""  # the <title> element, which often ends "| Outlet"
    blocks: list[HtmlBlock] = field(default_factory=list)


# Meta tags naming the outlet, most telling first (JSON-LD publisher.name ranks with "publisher").
_SITE_KEYS = ("og:site_name", "publisher", "dc.publisher", "application-name")
_LD_JSON_CHARS = 200_000
_COMMENT_CLOSE = re.compile(r"--\s*>")
_SECTION_CLOSE = re.compile(r"\]\s*>")


def _last_start(pattern: re.Pattern[str], source: str) -> int:
    last = -1
    for m in pattern.finditer(source):
        last = m.start()
    return last


class _Extractor(HTMLParser):
    """Visible blocks and metadata, in time linear in the page.

    ``HTMLParser`` searches for the end of every construct it meets, to the end of the page when
    there is none: a page of 100,000 unclosed ``<a`` or ``<!--`` took minutes. Tags cannot be
    unclosed here (:func:`_mask_stray_lt` leaves no "<" after the last ">"); for comments and
    marked sections the closers' last positions are known in advance, so one with no closer
    after it is refused at once (``-1``, the parser's "not terminated") and passed on as text.
    """

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source_len = len(source)
        self._last_comment_close = _last_start(_COMMENT_CLOSE, source) if "<!--" in source else -1
        self._last_section_close = _last_start(_SECTION_CLOSE, source) if "<![" in source else -1
        self.doc = HtmlDocument()
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", source))]
        self._drop_depth = 0
        self._drop_stack: list[str] = []
        self._in_title = False
        self._title_parts: list[str] = []
        self._parts: list[str] = []
        self._start: int | None = None
        self._end = 0
        self._heading = 0
        self._ld_json: list[str] | None = None
        self._site_rank = len(_SITE_KEYS)
        self._publisher = ""

    def _publisher_from_ld_json(self, text: str) -> None:
        """``publisher.name`` of a schema.org JSON-LD block (the first one that has it)."""
        if self._publisher or "publisher" not in text:
            return
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return
        items = data if isinstance(data, list) else [data]
        if isinstance(data, dict) and isinstance(data.get("@graph"), list):
            items = items + data["@graph"]
        for item in items[:50]:
            pub = item.get("publisher") if isinstance(item, dict) else None
            pub = pub[0] if isinstance(pub, list) and pub else pub
            name = pub.get("name") if isinstance(pub, dict) else pub
            if isinstance(name, str) and name.strip():
                self._publisher = " ".join(name.split())[:100]
                return

    def _abs(self, i: int) -> int:
        """Offset in the source of ``i``, an offset in the parser's unparsed buffer."""
        return self._source_len - len(self.rawdata) + i

    def parse_comment(self, i: int, report: int = 1) -> int:
        if self._abs(i) + 4 > self._last_comment_close:
            return -1
        return super().parse_comment(i, report)

    def parse_html_declaration(self, i: int) -> int:
        if self.rawdata.startswith("<!--", i):
            return self.parse_comment(i)
        if self.rawdata.startswith("<![", i):
            if self._abs(i) + 3 > self._last_section_close:
                return -1
            try:
                return self.parse_marked_section(i)
            except AssertionError:  # "<![" without a name: the parser gives up on the page
                return self.parse_bogus_comment(i)
        return super().parse_html_declaration(i)

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _flush(self) -> None:
        if not self._parts:  # between two tags with nothing in them (most tags of a dense page)
            self._start = None
            self._heading = 0
            return
        text = " ".join("".join(self._parts).split())
        if text and self._start is not None:
            self.doc.blocks.append(HtmlBlock(text, self._start, max(self._end, self._start + 1), self._heading))
        self._parts = []
        self._start = None
        self._heading = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._meta(dict(attrs))
            return
        if tag == "title":
            self._in_title = True
            return
        if tag in _DROP and tag not in _VOID:
            self._drop_stack.append(tag)
            if tag == "script" and (dict(attrs).get("type") or "").lower() == "application/ld+json":
                self._ld_json = []
            return
        if self._drop_stack:
            return
        if tag in _BLOCK:
            self._flush()
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self._heading = int(tag[1])
        elif tag == "time" and not self.doc.published:
            self.doc.published = dict(attrs).get("datetime") or ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self._meta(dict(attrs))
        elif tag in _BLOCK and not self._drop_stack:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if tag == "script" and self._ld_json is not None:
            self._publisher_from_ld_json("".join(self._ld_json))
            self._ld_json = None
        if self._drop_stack:
            if tag == self._drop_stack[-1]:
                self._drop_stack.pop()
            elif tag in self._drop_stack:
                while self._drop_stack and self._drop_stack.pop() != tag:
                    pass
            return
        if tag in _BLOCK:
            if self._parts:
                self._end = self._offset() + len(tag) + 3
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._ld_json is not None and self._drop_stack and self._drop_stack[-1] == "script":
            if sum(map(len, self._ld_json)) < _LD_JSON_CHARS:
                self._ld_json.append(data)
            return
        if self._in_title:
            self._title_parts.append(data)
            return
        if self._drop_stack or not data:
            return
        if self._start is None:
            if not data.strip():
                return
            self._start = self._offset() + (len(data) - len(data.lstrip()))
        self._parts.append(data)
        self._end = self._offset() + len(data.rstrip()) if data.strip() else self._end

    def _meta(self, attrs: dict[str, str | None]) -> None:
        key = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").lower()
        value = (attrs.get("content") or "").strip()
        if not value:
            return
        if key in ("author", "article:author", "dc.creator", "byl") and not self.doc.author:
            self.doc.author = value.removeprefix("By ").strip()
        elif key in ("article:published_time", "date", "pubdate", "dc.date", "datepublished",
                     "publish-date", "og:published_time") and not self.doc.published:
            self.doc.published = value
        elif key in _SITE_KEYS:
            rank = _SITE_KEYS.index(key)
            if rank < self._site_rank:
                self.doc.site, self._site_rank = value, rank
        elif key == "og:title" and not self.doc.title:
            self.doc.title = value

    def close(self) -> None:
        super().close()
        self._flush()
        page_title = " ".join("".join(self._title_parts).split())
        self.doc.page_title = page_title
        if page_title and not self.doc.title:
            self.doc.title = page_title
        if self._publisher and self._site_rank > _SITE_KEYS.index("publisher"):
            self.doc.site = self._publisher


# Stands in for a "<" that can open nothing, so that the parser reads a run of them as one
# piece of text instead of one call per character (a noncharacter: never in a real page).
_STRAY = "\ufdd0"
_STRAY_LT = re.compile(r"<(?![a-zA-Z/!?])")


def _mask_stray_lt(source: str) -> str:
    """``source`` with every "<" the parser would pass on as text replaced by ``_STRAY``
    (same length, so offsets hold): those not opening a tag, and all after the last ">"."""
    if _STRAY in source:
        return source
    last_gt = source.rfind(">")
    head, tail = source[: last_gt + 1], source[last_gt + 1:]
    if "<" in tail:
        tail = tail.replace("<", _STRAY)
    if "<" in head:
        head = _STRAY_LT.sub(_STRAY, head)
    return head + tail


def extract_html(source: str) -> HtmlDocument:
    """Parse ``source`` and return its metadata and visible text blocks."""
    masked = _mask_stray_lt(source)
    parser = _Extractor(masked)
    parser.feed(masked)
    parser.close()
    doc = parser.doc
    if masked is not source and _STRAY in masked:
        for block in doc.blocks:
            block.text = block.text.replace(_STRAY, "<")
        for name in ("title", "author", "published", "site", "page_title"):
            setattr(doc, name, getattr(doc, name).replace(_STRAY, "<"))
    return doc
