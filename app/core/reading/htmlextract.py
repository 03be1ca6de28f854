"""Visible text of an HTML page, block by block, with character spans into the source.

The page is read by a tokenizer made for this job: one regular expression finds the text and
the next well-formed tag together, and only odd constructs (unclosed tags, comments, marked
sections, stray "<") go through a slower path that does what ``html.parser.HTMLParser``
(Python 3.11) does with them. It reads a page of tiny paragraphs two to four times faster than
``HTMLParser`` did; a search for a closer that once failed is not repeated, so the time
stays linear in the page. tests/core/test_htmlextract.py checks it against ``HTMLParser``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import unescape

_DROP = {"script", "style", "nav", "noscript", "template", "svg", "form", "iframe", "aside",
         "footer", "button", "select", "object", "canvas", "head"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5",
          "h6", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "td",
          "th", "figure", "figcaption", "address", "hr", "br", "body", "html", "caption"}
_HEADING = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Start tags that need more than a block boundary: metadata, dropped regions, the title.
_SPECIAL = _DROP | {"meta", "title", "time"}


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

# Text, then a well-formed start tag (plain attributes, quoted values) or end tag. Possessive
# throughout: each piece can be matched one way only, so a failed tag costs its own length.
_TOKEN = re.compile(
    r"""([^<]*+)(?:
      <([a-zA-Z][^\t\n\r\f />\x00<]*+)
       ((?:\s++[^\s"'=<>/`]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>`/]++(?=[\s>])))?+)*+)
       \s*+(/?)>
    | </([a-zA-Z][-.a-zA-Z0-9:_]*+)\s*+>
    )?""",
    re.VERBOSE,
)

# html.parser's patterns (Python 3.11), for the constructs _TOKEN leaves to the slow path.
_TAGFIND = re.compile(r"([a-zA-Z][^\t\n\r\f />\x00]*)(?:\s|/(?!>))*")
_ATTRFIND = re.compile(
    r"((?<=['\"\s/])[^\s/>][^\s/=>]*)(\s*=+\s*"
    r"('[^']*'|\"[^\"]*\"|(?!['\"])[^>\s]*))?(?:\s|/(?!>))*")
_LOCATE_START_END = re.compile(r"""
  <[a-zA-Z][^\t\n\r\f />\x00]*
  (?:[\s/]*
    (?:(?<=['"\s/])[^\s/>][^\s/=>]*
      (?:\s*=+\s*
        (?:'[^']*'
          |"[^"]*"
          |(?!['"])[^>\s]*
         )
        \s*
       )?(?:\s|/(?!>))*
     )*
   )?
  \s*
""", re.VERBOSE)
_ENDTAGFIND = re.compile(r"</\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*>")
_DECLNAME = re.compile(r"[a-zA-Z][-_.a-zA-Z0-9]*\s*")
_COMMENT_CLOSE = re.compile(r"--\s*>")
_SECTION_CLOSE = re.compile(r"\]\s*]\s*>")
_MS_SECTION_CLOSE = re.compile(r"\]\s*>")
_CDATA_CLOSE = {"script": re.compile(r"</\s*script\s*>", re.I), "style": re.compile(r"</\s*style\s*>", re.I)}
# A run of "<" that open nothing, each with the text up to the next "<" when that text cannot
# read as whitespace alone (it starts with a visible character that begins no character
# reference, or holds none; only "&" then "#" or a letter can begin one): text such as
# " &nbsp;" must stay a piece of its own, as it neither starts nor ends a block's span.
_LITERAL_LT = re.compile(
    r"(?:<(?![a-zA-Z/!?])(?:(?=[^\s<&]|&(?![#a-zA-Z]))[^<]*+|(?:[^<&]++|&(?![#a-zA-Z]))*+(?![^<]))?+)++")
# A run of what html.parser reads and reports nothing of: "</>", processing instructions and
# bogus comments ("<!" then neither "--" nor "["), each ending at the next ">".
_IGNORED = re.compile(r"(?:<\?[^>]*+>|<!(?!--|\[)[^>]*+>|</>)++")
# A run of marked sections ("<![CDATA[", as _slow_other reads their names), each to the next ">".
_UNCLOSED_SECTIONS = re.compile(r"(?:<!\[(?i:temp|cdata|ignore|include|rcdata)(?![-_.a-zA-Z0-9])[^>]*+>)++")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ=/")

# Token kinds: text alone (to unescape), literal text alone, text then a tag.
TEXT, RAW, START, STARTEND, END = range(5)


def _attrs(source: str, i: int, endpos: int) -> list[tuple[str, str | None]]:
    """The attributes of the start tag at ``i`` ending at ``endpos``, as html.parser reads them."""
    k = _TAGFIND.match(source, i + 1).end()  # type: ignore[union-attr]
    attrs: list[tuple[str, str | None]] = []
    while k < endpos:
        m = _ATTRFIND.match(source, k)
        if not m:
            break
        name, rest, value = m.group(1, 2, 3)
        if not rest:
            value = None
        elif value[:1] == "'" == value[-1:] or value[:1] == '"' == value[-1:]:
            value = value[1:-1]
        if value:
            value = unescape(value)
        attrs.append((name.lower(), value))
        k = m.end()
    return attrs


class _Closers:
    """Searches for the end of a construct; one that found nothing is not repeated further on
    (a page of 100,000 unclosed ``<!--`` would search to its end from each)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.none_after: dict[re.Pattern[str], int] = {}

    def search(self, pattern: re.Pattern[str], pos: int) -> re.Match[str] | None:
        if pos >= self.none_after.get(pattern, len(self.source) + 1):
            return None
        m = pattern.search(self.source, pos)
        if m is None:
            self.none_after[pattern] = pos
        return m


def _slow_start(source: str, i: int) -> tuple[int, int, str]:
    """``(end, kind, tag)`` of a start tag _TOKEN did not take (``end`` -1: not terminated)."""
    j = _LOCATE_START_END.match(source, i).end()  # type: ignore[union-attr]
    nxt = source[j:j + 1]
    if nxt == ">":
        endpos = j + 1
    elif nxt == "/":
        if not source.startswith("/>", j):
            return -1, TEXT, ""
        endpos = j + 2
    elif nxt == "" or nxt in _LETTERS:
        return -1, TEXT, ""
    else:
        endpos = j
    m = _TAGFIND.match(source, i + 1)
    tag = m.group(1).lower()  # type: ignore[union-attr]
    k = m.end()  # type: ignore[union-attr]
    while k < endpos:
        am = _ATTRFIND.match(source, k)
        if not am:
            break
        k = am.end()
    end = source[k:endpos].strip()
    if end not in (">", "/>"):
        return endpos, RAW, ""
    return endpos, (STARTEND if end.endswith("/>") else START), tag


def _slow_end(source: str, i: int) -> tuple[int, str]:
    """``(end, tag)`` of the end tag at ``i`` (``tag`` empty: none, a bogus comment or "</>")."""
    gt = source.find(">", i + 1)
    if gt < 0:
        return -1, ""
    m = _ENDTAGFIND.match(source, i)
    if m:
        return gt + 1, m.group(1).lower()
    nm = _TAGFIND.match(source, i + 2)
    if not nm:
        if source.startswith("</>", i):
            return i + 3, ""
        gt = source.find(">", i + 2)
        return (gt + 1 if gt >= 0 else -1), ""
    return source.find(">", nm.end()) + 1, nm.group(1).lower()


def _slow_other(source: str, i: int, closers: _Closers) -> int:
    """End of the comment, declaration, marked section or processing instruction at ``i``."""
    if source.startswith("<!--", i):
        m = closers.search(_COMMENT_CLOSE, i + 4)
        return m.end() if m else -1
    if source.startswith("<?", i):
        gt = source.find(">", i + 2)
        return gt + 1 if gt >= 0 else -1
    if source.startswith("<![", i):
        # Without a "]>" further on, the section is never closed (html.parser would search).
        if closers.search(_MS_SECTION_CLOSE, i + 3) is None:
            return -1
        nm = _DECLNAME.match(source, i + 3)
        if nm and nm.end() < len(source):
            name = nm.group().strip().lower()
            if name in ("temp", "cdata", "ignore", "include", "rcdata"):
                m = closers.search(_SECTION_CLOSE, i + 3)
                return m.end() if m else -1
            if name in ("if", "else", "endif"):
                m = closers.search(_MS_SECTION_CLOSE, i + 3)
                return m.end() if m else -1
        elif nm or i + 3 >= len(source):
            return -1  # the name runs to the end of the page
        # "<![" without a known name: a bogus comment.
    elif source[i + 2:i + 9].lower() == "doctype":
        gt = source.find(">", i + 9)
        return gt + 1 if gt >= 0 else -1
    gt = source.find(">", i + 2)
    return gt + 1 if gt >= 0 else -1


def tokens(source: str, start: int = 0) -> Iterator[tuple[int, str, int, int, int, str]]:
    """``(text_start, text, kind, start, end, tag)`` of every piece of ``source``, in order.

    ``text`` (maybe empty) comes before the tag ``source[start:end]`` of ``kind`` ``START``,
    ``STARTEND`` (``<x/>``) or ``END``, whose name ``tag`` is lowercase; a ``TEXT`` piece is
    text alone, to unescape, a ``RAW`` one literal text (script or style content, a broken
    tag). What html.parser would not report (comments, declarations) is left out; an unclosed
    construct is text up to the next ">". The content of an unclosed script or style is lost,
    as there.

    ``start`` resumes at a block's first visible character (an :class:`HtmlBlock`'s ``start``):
    the pieces from there are those of a read from the top, the first one without the
    whitespace before it.
    """
    n = len(source)
    last_gt = source.rfind(">")
    closers = _Closers(source)
    pos = start
    cdata = ""
    while pos < n:
        if cdata:
            cm = _CDATA_CLOSE[cdata].search(source, pos)
            if cm is None:
                return
            if cm.start() > pos:
                yield pos, source[pos:cm.start()], RAW, 0, 0, ""
            yield cm.start(), "", END, cm.start(), cm.end(), cdata
            pos = cm.end()
            cdata = ""
            continue
        for m in _TOKEN.finditer(source, pos):
            text, name, _attrs_text, slash, ename = m.groups()
            if name is not None:
                tag = name.lower()
                p = m.start()
                if slash:
                    yield p, text, STARTEND, p + len(text), m.end(), tag
                else:
                    yield p, text, START, p + len(text), m.end(), tag
                    if tag in _CDATA_CLOSE:
                        cdata = tag
                        pos = m.end()
                        break
            elif ename is not None:
                p = m.start()
                yield p, text, END, p + len(text), m.end(), ename.lower()
            else:
                if text:
                    yield m.start(), text, TEXT, 0, 0, ""
                pos = m.end()
                break
        else:
            return
        if cdata or pos >= n:
            continue
        # A "<" that _TOKEN could not read: what html.parser makes of it.
        i = pos
        c = source[i + 1:i + 2]
        if i > last_gt:
            # Nothing can be closed without a ">" further on: the rest is text, which the
            # piece-by-piece path below would cut at every "<" (a million pieces of "<<<...").
            # Each piece but the last starts with "<", so none reads as whitespace alone.
            r = source.rfind("<")
            yield i, source[i:r + 1], TEXT, 0, 0, ""
            if r + 1 < n:
                yield r + 1, source[r + 1:], TEXT, 0, 0, ""
            return
        if c.isascii() and c.isalpha():
            k, kind, tag = _slow_start(source, i)
            if k >= 0:
                yield (i, source[i:k], RAW, 0, 0, "") if kind == RAW else (i, "", kind, i, k, tag)
                if kind == START and tag in _CDATA_CLOSE:
                    cdata = tag
        elif (ignored := _IGNORED.match(source, i)) is not None:
            k = ignored.end()  # one step for a page of "</>" or "<!>", not one each
        elif c == "/":
            k, tag = _slow_end(source, i)
            if k >= 0 and tag:
                yield i, "", END, i, k, tag
        elif c == "!" or c == "?":
            k = _slow_other(source, i, closers)
            if k < 0 and closers.none_after.get(_SECTION_CLOSE, n + 1) <= i + 3:
                # A marked section that is never closed is text up to the next ">", and so
                # is each one after it: one piece for the run, not one each.
                run = _UNCLOSED_SECTIONS.match(source, i)
                if run is not None:
                    k = run.end()
                    yield i, source[i:k], TEXT, 0, 0, ""
        else:
            # A "<" that opens nothing is text, and so are the ones after it (with the text
            # between them): one piece for a run such as "< < <", not two per "<".
            k = _LITERAL_LT.match(source, i).end()  # type: ignore[union-attr]
            yield i, source[i:k], TEXT, 0, 0, ""
        if k < 0:
            k = source.find(">", i + 1) + 1  # there is one: i < last_gt
            yield i, source[i:k], TEXT, 0, 0, ""
        pos = k


class _Meta:
    """The page's metadata from its meta tags and JSON-LD."""

    def __init__(self, doc: HtmlDocument) -> None:
        self.doc = doc
        self.site_rank = len(_SITE_KEYS)
        self.publisher = ""

    def meta(self, attrs: dict[str, str | None]) -> None:
        doc = self.doc
        key = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").lower()
        value = (attrs.get("content") or "").strip()
        if not value:
            return
        if key in ("author", "article:author", "dc.creator", "byl") and not doc.author:
            doc.author = value.removeprefix("By ").strip()
        elif key in ("article:published_time", "date", "pubdate", "dc.date", "datepublished",
                     "publish-date", "og:published_time") and not doc.published:
            doc.published = value
        elif key in _SITE_KEYS:
            rank = _SITE_KEYS.index(key)
            if rank < self.site_rank:
                doc.site, self.site_rank = value, rank
        elif key == "og:title" and not doc.title:
            doc.title = value

    def ld_json(self, text: str) -> None:
        """``publisher.name`` of a schema.org JSON-LD block (the first one that has it)."""
        if self.publisher or "publisher" not in text:
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
                self.publisher = " ".join(name.split())[:100]
                return

    def finish(self, title_parts: list[str]) -> None:
        doc = self.doc
        page_title = " ".join("".join(title_parts).split())
        doc.page_title = page_title
        if page_title and not doc.title:
            doc.title = page_title
        if self.publisher and self.site_rank > _SITE_KEYS.index("publisher"):
            doc.site = self.publisher


def extract_html(source: str) -> HtmlDocument:
    """Parse ``source`` and return its metadata and visible text blocks.

    A block runs from its first visible character to its last (or to the end of the block
    tag that closes it); text inside dropped elements (scripts, navigation, footers...) and
    the title element is not part of any block.
    """
    doc = HtmlDocument()
    meta = _Meta(doc)
    blocks = doc.blocks
    drop: list[str] = []  # the dropped elements open here, innermost last
    parts: list[str] = []  # the current block's text pieces
    title_parts: list[str] = []
    start = end = heading = 0
    in_title = False
    ld_json: list[str] | None = None
    # Locals: a page of a million tiny tags spends its time on lookups like these.
    add_block, block_tags, special, headings, block = blocks.append, _BLOCK, _SPECIAL, _HEADING, HtmlBlock
    for p, raw, kind, s, e, tag in tokens(source):
        if raw:
            data = unescape(raw) if kind != RAW and "&" in raw else raw
            if ld_json is not None and drop and drop[-1] == "script":
                if sum(map(len, ld_json)) < _LD_JSON_CHARS:
                    ld_json.append(data)
            elif in_title:
                title_parts.append(data)
            elif drop:
                pass
            elif parts:
                parts.append(data)
                if not data.isspace():
                    end = p + len(raw.rstrip())
            elif not data.isspace():
                start = p + len(raw) - len(raw.lstrip())
                end = p + len(raw.rstrip())
                parts.append(data)
        if kind <= RAW:
            continue
        if kind == END:
            if tag == "title":
                in_title = False
                continue
            if tag == "script" and ld_json is not None:
                meta.ld_json("".join(ld_json))
                ld_json = None
            if drop:
                if tag == drop[-1]:
                    drop.pop()
                elif tag in drop:
                    while drop and drop.pop() != tag:
                        pass
            elif tag in block_tags:
                if parts:
                    end = s + len(tag) + 3
                    add_block(block(" ".join("".join(parts).split()), start, max(end, start + 1), heading))
                    parts.clear()
                heading = 0
        elif tag in special:
            if tag == "meta":
                meta.meta(dict(_attrs(source, s, e)))
            elif kind == STARTEND:
                pass
            elif tag == "title":
                in_title = True
            elif tag in _DROP:
                drop.append(tag)
                if tag == "script" and (dict(_attrs(source, s, e)).get("type") or "").lower() == "application/ld+json":
                    ld_json = []
            elif not drop and not doc.published:  # <time datetime=...>
                doc.published = dict(_attrs(source, s, e)).get("datetime") or ""
        elif not drop and tag in block_tags:
            if parts:
                text = parts[0] if len(parts) == 1 else "".join(parts)
                add_block(block(" ".join(text.split()), start, end if end > start else start + 1, heading))
                parts.clear()
            heading = headings.get(tag, 0) if kind == START else 0
    if parts:
        blocks.append(HtmlBlock(" ".join("".join(parts).split()), start, max(end, start + 1), heading))
    meta.finish(title_parts)
    return doc


# A piece of visible text: where its source text starts, the source text (entities not
# decoded), and whether it is decoded (``html.unescape``) to give the text shown.
VisiblePiece = tuple[int, str, bool]
# Between two blocks: one space (the reader joins blocks with one), at no source position.
BLOCK_GAP: VisiblePiece = (-1, " ", False)


def visible_pieces(source: str, start: int, end: int) -> list[VisiblePiece]:
    """The visible text pieces of the blocks :func:`extract_html` finds in ``source[start:end]``.

    ``start`` is a block's start and ``end`` the end of it or of a later block. Each block's
    text is ``" ".join(text.split())`` of the concatenation of its pieces' decoded texts;
    the blocks are separated by :data:`BLOCK_GAP`. Only the reader's cutting of huge
    paragraphs needs this, which is why :func:`extract_html` keeps no source positions for
    the pieces it joins (a page of a million tiny tags would pay for them).
    """
    out: list[VisiblePiece] = []
    drop: list[str] = []
    in_title = False
    open_block = False  # a block's text is being read
    for p, raw, kind, _s, _e, tag in tokens(source, start):
        if p >= end:
            break
        if raw and not in_title and not drop:
            decode = kind != RAW and "&" in raw
            if open_block:
                out.append((p, raw, decode))
            elif p == start or not (unescape(raw) if decode else raw).isspace():  # a block starts at start
                if out:
                    out.append(BLOCK_GAP)
                out.append((p, raw, decode))
                open_block = True
        if kind <= RAW:
            continue
        # Block boundaries as extract_html finds them.
        if kind == END:
            if tag == "title":
                in_title = False
            elif drop:
                if tag == drop[-1]:
                    drop.pop()
                elif tag in drop:
                    while drop and drop.pop() != tag:
                        pass
            elif tag in _BLOCK:
                open_block = False
        elif tag in _SPECIAL:
            if kind == STARTEND or tag in ("meta", "time"):
                pass
            elif tag == "title":
                in_title = True
            else:
                drop.append(tag)
        elif not drop and tag in _BLOCK:
            open_block = False
    return out
