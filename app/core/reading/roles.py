"""Tell an article's title, byline and page chrome from its body, and read its metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from app.core.reading.dates import find_date
from app.core.reading.model import Role
from app.core.reading.text import cjk_count, word_count

_I = re.IGNORECASE

# Whole-paragraph navigation labels, counters and widgets.
_CHROME_EXACT = re.compile(
    r"^(connect with us|latest( news| posts| stories)?|news|staff picks|trending( now)?|"
    r"popular( posts)?|most (read|popular|viewed)|related( posts| articles| stories| content)?|"
    r"recommended( for you)?|read (more|next|also)|continue reading|more (from|stories|news).{0,40}|"
    r"advertisements?|sponsored( content)?|comments?|leave a (comment|reply)|share( this( article| story)?)?|"
    r"tweet|email|print|subscribe|unsubscribe|notify of|guest|report|what do you think\??|"
    r"inline feedbacks|view all comments|load more|show more|menu|search|home|log ?in|sign ?in|"
    r"register|skip to (main )?content|back to top|tags?:?.*|categor(y|ies):?.*|filed under:?.*|"
    r"share on \w+|follow us( on \w+)?|newsletter|quick donate|donate|top stories|editor'?s picks|"
    r"you may (also )?like|don't miss|watch|listen|video|photos?|gallery|"
    r"(published|updated|posted)( on)?)$",
    _I,
)
# Possessive runs throughout: "[\d.,\s]*\d[\d.,\s]*" split a long run of digits every way (30 s on
# 20,000 characters), as "via \S+(\s\S+)?\W*$" did a run of punctuation.
_COUNTER = re.compile(r"^(?=[\d.,\s]*\d)[\d.,\s]*+(k\s+)?(views?|comments?|shares?|likes?|reads?|replies)$", _I)
# Prompts that mark a short paragraph as site furniture wherever it stands.
_PROMPT = re.compile(
    r"\b(subscribe|newsletter|donat(e|ion|ions)|paypal|patreon|follow us|click here|sign up|"
    r"join (us|our)|become a (member|patron|subscriber)|share (this|on)|facebook page|"
    r"youtube channel|telegram channel|support (us|our)|cookies?|privacy policy|terms of (use|service)|"
    r"all rights reserved|read more|like us on|comment on .{0,60}(facebook|twitter)|"
    r"translate website|drop down menu|daily newsletter|visit and follow)\b",
    _I,
)
# Disclaimers and rights notices, recognised at any length.
_DISCLAIMER = re.compile(
    r"(^\W*+disclaimer\b|the (statements|views|opinions)[^.]{0,80}expressed|"
    r"do(es)? not necessarily (represent|reflect)|copyright\s*©|©|all rights reserved|"
    r"copyrighted material|\"?fair use\"?|grants permission to (cross-post|republish|repost)|"
    r"for media inquiries|the original source of this article|"
    r"does not give (financial|investment|medical) advice)",
    _I,
)
# Literal pieces, one of which every match of _PROMPT / _DISCLAIMER contains once casefolded:
# testing them first skips the (slow, case-insensitive) regex search for nearly every paragraph.
_PROMPT_KEYS = (
    "subscribe", "newsletter", "donat", "paypal", "patreon", "follow us", "click here", "sign up",
    "join ", "become a ", "share ", "facebook", "youtube", "telegram", "support ", "cookie",
    "privacy", "terms of ", "rights reserved", "read more", "like us", "comment on ", "translate",
    "drop down", "visit and",
)
_DISCLAIMER_KEYS = (
    "disclaimer", "expressed", "not necessarily", "©", "rights reserved", "copyrighted material",
    "fair use", "grants permission to ", "for media inquiries", "original source of this article",
    "does not give ",
)
# re.IGNORECASE also lets "ı" match "i" and "İ" casefolds to "i" + a combining dot.
_FOLD = str.maketrans({"ı": "i", "\u0307": None})


def _may_match(text: str, keys: tuple[str, ...]) -> bool:
    folded = text.casefold()
    if not folded.isascii():
        folded = folded.translate(_FOLD)
    return any(k in folded for k in keys)  # faster than one regex alternation of the keys


_CREDIT = re.compile(r"^\W*+((featured |header |top )?(image|photo|picture|illustration)s?( credit)?s?\s*+(is |are )?(:|from|by|source|courtesy)|via \S++(\s\S++)?\W*+$)", _I)
# "\W*+": the words after it start with a letter, which \W cannot take, so the run is never
# given back; "\W*" retried every word at every offset of a paragraph of punctuation.
_BYLINE = re.compile(r"^\W*+(by|written by|posted by|articles? by|author|authors|reporter|words by)\s*:?\s+(?P<name>.{2,80})$", _I)
_META_LINE = re.compile(
    r"^\W*+(region|theme|themes|topics?|in-depth report|tags|section|category|categories|source|"
    r"published|updated|posted|date|filed|dateline|reading time)\b\s*:?", _I,
)
_NAME = re.compile(r"^(?:[A-Z][\w'’\-]+\.?|[A-Z]\.)(?:\s+(?:[A-Z][\w'’\-]+\.?|[A-Z]\.|(?:de|van|von|der|da|di|le|la|bin|al)\b)){1,4}$")
_BIO = re.compile(r"^(?P<name>(?:[A-Z][\w'’\-]+\.?\s+){1,3}[A-Z][\w'’\-]+) is (an?|the) [^.]{0,60}\b(editor|writer|journalist|author|correspondent|analyst|columnist|professor|fellow|researcher|reporter|director|contributor)\b", re.UNICODE)
_TERMINAL = tuple(".!?…:;\"'”’»)]。！？」』")
# A headline does not end as a sentence or clause does (Western and CJK punctuation).
_NOT_HEADLINE_END = (".", ",", ";", ":", "。", "，", "；", "：", "、", "．")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# Three letters anywhere (what len(_LETTERS.findall(...)) >= 3 tests, stopping at the third).
_THREE_LETTERS = re.compile(r"[^\W\d_](?:[\W\d_]*[^\W\d_]){2}")


# A header line of a few words states its date near its start; a longer "word" is not a date line.
_DATE_LINE_CHARS = 300


@dataclass(slots=True)
class Block:
    """A paragraph candidate before roles are known."""

    raw: str
    text: str  # display text
    start: int
    end: int
    heading: int = 0
    norm: str = ""  # matching form, when the reader computed it already
    cut: bool = False  # a later piece of a paragraph cut for length: never joined to the one before


@dataclass(slots=True)
class PageMeta:
    """Metadata stated by the file itself (front matter, HTML meta tags)."""

    title: str = ""
    author: str = ""
    source: str = ""
    date: date | None = None


@dataclass(slots=True)
class Classified:
    """Roles for each block plus the metadata read from them."""

    roles: list[Role]
    title: str
    author: str
    source: str
    date: date | None


@lru_cache(maxsize=4096)  # classify asks several times about the same paragraph
def _nwords(text: str) -> int:
    # Chinese and Japanese write no spaces: word_count counts one word per two characters, so
    # a headline such as 中俄关系 is two words and a paragraph of CJK prose is not a label.
    return word_count(text)


def is_sentence(text: str) -> bool:
    """True when ``text`` reads as prose: ends with terminal punctuation and has several words."""
    return _nwords(text) >= 6 and text.rstrip().endswith(_TERMINAL)


def _is_headline(text: str) -> bool:
    n = _nwords(text)
    cjk = cjk_count(text)
    if n < (2 if cjk >= 4 else 3) or n > 25 or text.rstrip().endswith(_NOT_HEADLINE_END):
        return False
    # A Chinese character is a syllable: it weighs as two letters of an alphabet.
    return len(_LETTERS.findall(text)) + cjk >= 8


# Paragraphs up to this long have their chrome test and header date remembered: a corpus
# repeats its sites' furniture ("Skip to content", "Subscribe to our newsletter") in every
# article (1,500 short articles: 17,000 such paragraphs, 3,400 distinct).
_MEMO_CHARS = 300


def is_chrome(text: str) -> bool:
    """True for navigation, prompts, counters, credits and disclaimers, judged on the text alone."""
    if len(text) <= _MEMO_CHARS:
        return _short_is_chrome(text)
    return _is_chrome(text)


def _is_chrome(text: str) -> bool:
    stripped = text.strip().strip("*_#>|[]() ")
    if not _THREE_LETTERS.search(stripped, 0, 60):
        return True
    n = _nwords(stripped) if len(stripped) < 4000 else 1000
    if n <= 12 and (_CHROME_EXACT.match(stripped) or _COUNTER.match(stripped)):
        return True
    if n <= 40 and ((_may_match(stripped, _PROMPT_KEYS) and _PROMPT.search(stripped))
                    or _CREDIT.match(stripped)):
        return True
    # Long paragraphs count only when they open as a notice, so body text that merely
    # mentions copyright or "fair use" stays body.
    if n <= 300:
        head = stripped if n <= 60 else stripped[:160]
        if _may_match(head, _DISCLAIMER_KEYS) and _DISCLAIMER.search(head):
            return True
    if n <= 40 and _is_nav_line(stripped):
        return True
    # A lone word is a label, not content (subheadings of several words stay body).
    return n == 1 and not stripped.endswith((".", "!", "?"))


_short_is_chrome = lru_cache(maxsize=8192)(_is_chrome)


_short_date = lru_cache(maxsize=8192)(find_date)


def _line_date(text: str) -> tuple[date, int, int] | None:
    """``find_date(text)``, remembered for short paragraphs."""
    return _short_date(text) if len(text) <= _MEMO_CHARS else find_date(text)


# Words of site navigation: a short line made only of them ("Menu Search Log in") is furniture.
_NAV_WORD_LIST = """
    menu search log login logout in out sign signin up register subscribe account my profile home
    news latest world politics business economy markets opinion culture sport sports tech technology
    science health lifestyle travel video videos podcasts podcast photos live more about contact us
    skip to content main navigation close open toggle sections section newsletter newsletters
    share follow donate support edition en ru de fr es english русский 中文 the a and
    """
_NAV_WORDS = frozenset(_NAV_WORD_LIST.split())
_NAV_SPLIT = re.compile(r"[|·•/»›]")  # items are stripped after the split ("\s*" around it rescanned spaces)


def _is_nav_line(text: str) -> bool:
    """A line of navigation: only navigation words (two at least, one no article word), or
    three or more short items between separators ("Home | World | Politics")."""
    toks = text.casefold().replace("’", "'").split()
    if len(toks) >= 2 and all(t.strip("|·•/»›,") in _NAV_WORDS or not t.strip("|·•/»›,") for t in toks):
        return sum(t.strip("|·•/»›,") not in ("the", "a", "and", "in", "up", "out", "to", "us", "")
                   for t in toks) >= 1
    if any(sep in text for sep in "|·•»›"):
        items = [i for i in (part.strip() for part in _NAV_SPLIT.split(text)) if i]
        return len(items) >= 3 and all(len(i.split()) <= 3 and not i.endswith((".", "!", "?")) for i in items)
    return False


def _names_outlet(text: str, outlet: str) -> bool:
    """The outlet's name alone, or followed by its tagline ("Outlet — News you can trust")."""
    folded = text.casefold().strip(" *_#|")
    if not folded.startswith(outlet):
        return False
    rest = folded[len(outlet):].strip()
    return not rest or (rest[:1] in "—–-|:·•" and _nwords(rest) <= 10 and not rest.endswith("."))


def classify(blocks: list[Block], meta: PageMeta, *, fallback_title: str = "", outlet: str = "") -> Classified:
    """Assign a :class:`Role` to every block and read title, author, source and date.

    ``outlet`` is a name the caller found in the text (a copyright line): a line that is that
    name or the source's, alone or with a tagline, is site furniture.
    """
    n = len(blocks)
    roles = [Role.BODY] * n
    title, author, source, when = meta.title, meta.author, meta.source, meta.date
    outlets = [name.casefold() for name in (source, outlet) if name]
    for i, b in enumerate(blocks):
        if is_chrome(b.text) or any(_names_outlet(b.text, name) for name in outlets):
            roles[i] = Role.CHROME

    title_idx = _find_title(blocks, roles, meta.title)
    if title_idx is not None:
        roles[title_idx] = Role.TITLE
        title = title or blocks[title_idx].text.strip("*_# ")

    # The header zone: from the top to the first prose paragraph after the title.
    first_prose = next((i for i in range(n) if roles[i] is Role.BODY and is_sentence(blocks[i].text)
                        and (title_idx is None or i > title_idx)), n)
    header_end = first_prose
    for i in range(n):
        text = blocks[i].text.strip()
        in_header = i < header_end + 2 and i < 40
        if roles[i] is Role.TITLE:
            continue
        m = _BYLINE.match(text)
        if m and _nwords(text) <= (14 if in_header else 8):
            roles[i] = Role.BYLINE
            author = author or _clean_name(m.group("name"))
            continue
        if in_header and _nwords(text) <= 16:
            found = _line_date(text[:_DATE_LINE_CHARS])
            if found or _META_LINE.match(text):
                roles[i] = Role.BYLINE
                if found:
                    when = when or found[0]
                    lead = text[: found[1]].strip(" ,|-–—·").strip()
                    if lead and _nwords(lead) <= 5 and not source and not _META_LINE.match(lead):
                        source = re.sub(r"[\[\]()#*]", "", lead).strip()
                continue
            if (roles[i] is Role.BODY and title_idx is not None and title_idx < i <= title_idx + 3
                    and _NAME.match(text) and len(text) <= 40):
                roles[i] = Role.BYLINE
                author = author or text
                continue
        if i < (title_idx or 0) and roles[i] is Role.BODY and not is_sentence(text):
            roles[i] = Role.CHROME  # navigation above the headline

    _mark_teasers(blocks, roles)

    if when is None:
        # Some scrapes put the date in front of the first paragraph (" date 2021-06-20 The ...").
        head = " ".join(b.text for b in blocks[:3])[:200]
        found = find_date(head)
        if found and found[1] < 40:
            when = found[0]
    if not author:
        for i in range(n - 1, max(-1, n - 8), -1):
            m = _BIO.match(blocks[i].text.strip())
            if m:
                author = m.group("name").strip()
                roles[i] = Role.BYLINE
                break
    if not title:
        title = fallback_title
    return Classified(roles, title, author, source, when)


def _find_title(blocks: list[Block], roles: list[Role], stated: str) -> int | None:
    if stated:
        want = stated.casefold().strip()
        for i, b in enumerate(blocks[:40]):
            text = b.text.casefold().strip("*_# ")
            if text and (text == want or (len(text) > 10 and (text in want or want in text))):
                return i
    for i, b in enumerate(blocks[:15]):
        if b.heading in (1, 2) and roles[i] is Role.BODY and _nwords(b.text) >= 2:
            return i
    for i, b in enumerate(blocks[:15]):
        if roles[i] is not Role.BODY:
            continue
        if is_sentence(b.text) and _nwords(b.text) > 25:
            return None  # prose before any headline: the page has no title line
        if _is_headline(b.text) and not _line_date(b.text) and not _BYLINE.match(b.text):
            return i
    return None


def _mark_teasers(blocks: list[Block], roles: list[Role]) -> None:
    """Headlines after the article's last prose paragraph, or after a 'Latest'-style label, are links."""
    body = [i for i, r in enumerate(roles) if r is Role.BODY and is_sentence(blocks[i].text)]
    if not body:
        return
    last = body[-1]
    for i in range(last + 1, len(blocks)):
        if roles[i] is Role.BODY and not is_sentence(blocks[i].text):
            roles[i] = Role.CHROME
    for i in range(1, len(blocks)):
        if (roles[i] is Role.BODY and roles[i - 1] is Role.CHROME and _is_headline(blocks[i].text)
                and _CHROME_EXACT.match(blocks[i - 1].text.strip())
                and re.match(r"^(latest|related|trending|read (more|next|also)|more from|popular|recommended|top stories)", blocks[i - 1].text.strip(), _I)):
            roles[i] = Role.CHROME
            # the teaser's own byline (a name, then "Published on")
            for j in range(i + 1, min(i + 4, len(blocks))):
                if roles[j] is Role.BODY and _NAME.match(blocks[j].text.strip()):
                    roles[j] = Role.CHROME


def _clean_name(name: str) -> str:
    name = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", name)
    name = re.sub(r"[*_#]", "", name)
    name = re.split(r"\s+[|·•]\s+|,\s*(?=\d)", name)[0]
    return " ".join(name.split()).strip(" ,")
