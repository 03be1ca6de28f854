"""The corpus reader on the seeds, on odd files, and its span invariant."""

from __future__ import annotations

import html
import os
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.reading.model import Role
from app.core.reading.reader import (
    MAX_PARAGRAPH_CHARS,
    ReadError,
    parse_bytes,
    read_article,
    read_corpus,
)
from app.core.reading.text import normalize


@pytest.fixture(scope="module")
def seeds() -> dict:
    corpus = read_corpus(Path(__file__).resolve().parents[2] / "seeds")
    assert not corpus.skipped
    return {a.id[:3]: a for a in corpus.articles}


@pytest.mark.parametrize(
    ("key", "title", "author", "source", "when"),
    [
        ("000", "Russia and China: Challenging a Divided West", "Federico Pieraccini", "Global Research", date(2017, 7, 10)),
        ("001", "Putin in China: The Russian-Chinese Alliance", "Alexander Mercouris", "", None),
        ("002", "Russia-China Alliance at the Tipping Point", "M. K. Bhadrakumar", "Global Research", date(2021, 12, 15)),
        ("003", None, "John Ruehl", "", date(2021, 6, 20)),
        ("004", "Putin in China: The Russian-Chinese Alliance", "", "", None),
    ],
)
def test_seed_metadata(seeds: dict, key: str, title: str | None, author: str, source: str, when: date | None) -> None:
    a = seeds[key]
    if title is not None:
        assert a.title == title
    else:  # no headline in the file: the first sentence stands in, without the date prefix
        assert a.title.startswith("The US-Russia summit in Switzerland")
    assert a.author == author
    assert a.source == source
    assert a.date == when


def _roles(article, role: Role) -> list[str]:
    return [p.text for p in article.paragraphs if p.role is role]


def test_chrome_and_bylines(seeds: dict) -> None:
    chrome_001 = _roles(seeds["001"], Role.CHROME)
    for expected in ("Connect with us", "7,118 Views", "Continue Reading", "Advertisement", "JOIN OUR YOUTUBE CHANNEL"):
        assert expected in chrome_001
    chrome_004 = _roles(seeds["004"], Role.CHROME)
    assert "View all comments" in chrome_004
    assert any(t.startswith("The statements, views and opinions expressed") for t in chrome_004)
    assert any(t.startswith("Disclaimer:") for t in _roles(seeds["000"], Role.CHROME))
    assert "Become a Member of Global Research" in _roles(seeds["002"], Role.CHROME)
    assert "Global Research, July 10, 2017" in _roles(seeds["000"], Role.BYLINE)
    assert "By Federico Pieraccini" in _roles(seeds["000"], Role.BYLINE)


def test_markdown_is_removed_from_display_text(seeds: dict) -> None:
    by = next(p for p in seeds["000"].paragraphs if p.text.startswith("By "))
    assert by.text == "By Federico Pieraccini"
    assert "[" not in by.text and "](#)" not in by.text
    disclaimer_000 = next(p for p in seeds["000"].paragraphs if "sole responsibility" in p.text)
    disclaimer_002 = next(p for p in seeds["002"].paragraphs if "sole responsibility" in p.text)
    assert not disclaimer_000.text.startswith("**")
    assert disclaimer_000.norm.startswith("disclaimer: the contents")
    assert disclaimer_002.norm.startswith("disclaimer: the contents")


def test_broken_paragraphs_are_repaired(seeds: dict) -> None:
    a = seeds["000"]
    joined = next(p for p in a.paragraphs if "with a US administration that at least proposes" in p.text)
    assert not joined.text.startswith("with a US")  # the lowercase half was joined to its start
    assert a.text[joined.start:joined.end].count("\n\n") == 1  # the span covers both parts
    b = seeds["002"]
    joined = next(p for p in b.paragraphs if "developments in international affairs" in p.text)
    assert "The recent developments in international affairs" in joined.text


def test_body_counts(seeds: dict) -> None:
    # The two copies of one article keep the same body, whatever the site furniture around it.
    assert len(seeds["004"].body) == 30
    texts_004 = {p.norm for p in seeds["004"].body}
    assert texts_004 <= {p.norm for p in seeds["001"].body}


def test_spans_slice_back_to_the_source(seeds: dict) -> None:
    for article in seeds.values():
        for p in article.paragraphs:
            assert 0 <= p.start < p.end <= len(article.text)
            assert normalize(article.text[p.start:p.end]) == p.norm


paragraph = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd", "Zs", "Po", "Pd", "Pi", "Pf"),
                           blacklist_characters="\u2028\u2029\x85"),
    min_size=1, max_size=120,
).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paras=st.lists(paragraph, min_size=1, max_size=8), crlf=st.booleans(), md=st.booleans())
def test_spans_property(tmp_path_factory: pytest.TempPathFactory, paras: list[str], crlf: bool, md: bool) -> None:
    chunks = [f"**{p}**" if md and i % 2 else p for i, p in enumerate(paras)]
    raw = ("\r\n\r\n" if crlf else "\n\n").join(chunks)
    try:
        article = parse_bytes(raw.encode("utf-8"), path=Path("x.md"), root=Path("."))
    except ReadError:
        return  # only punctuation or spaces: refused with a reason, which is fine
    assert "\r" not in article.text
    for p in article.paragraphs:
        assert normalize(article.text[p.start:p.end]) == p.norm
        assert p.text and p.norm


def test_html_article(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        """<html><head><title>Summit ends | The Daily</title>
        <meta name="author" content="Jane Roe">
        <meta property="article:published_time" content="2020-03-04T09:00:00Z">
        <style>p {color: red}</style><script>alert('x')</script></head>
        <body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
        <h1>Summit ends</h1><p>The leaders met on Tuesday &amp; agreed on a joint statement about trade.</p>
        <ul><li>First point of the agreement, in full.</li></ul>
        <footer>Copyright 2020</footer></body></html>""",
        encoding="utf-8",
    )
    a = read_article(page, tmp_path)
    assert a.title in ("Summit ends", "Summit ends | The Daily")
    assert a.author == "Jane Roe"
    assert a.date == date(2020, 3, 4)
    texts = [p.text for p in a.paragraphs]
    assert "The leaders met on Tuesday & agreed on a joint statement about trade." in texts
    assert "First point of the agreement, in full." in texts
    assert not any("Home" in t or "alert" in t or "color" in t or "Copyright" in t for t in texts)


def test_front_matter(tmp_path: Path) -> None:
    f = tmp_path / "a.md"
    f.write_text("---\ntitle: A Stated Title\nauthor: Ann Writer\nsource: The Outlet\ndate: 2019-05-06\n---\n\n"
                 "Body paragraph that says something. It has two sentences.\n", encoding="utf-8")
    a = read_article(f, tmp_path)
    assert (a.title, a.author, a.source, a.date) == ("A Stated Title", "Ann Writer", "The Outlet", date(2019, 5, 6))
    assert [p.text for p in a.body] == ["Body paragraph that says something. It has two sentences."]


def test_hard_wrapped_and_one_per_line_text(tmp_path: Path) -> None:
    wrapped = tmp_path / "wrapped.txt"
    wrapped.write_text(
        "The first paragraph is hard wrapped at a width of about seventy\n"
        "characters, the way plain-text mail and old archives are written,\n"
        "and it must stay one paragraph.\n\nSecond paragraph here, short.\n",
        encoding="utf-8",
    )
    a = read_article(wrapped, tmp_path)
    assert len(a.paragraphs) == 2
    assert a.paragraphs[0].text.endswith("and it must stay one paragraph.")
    lines = tmp_path / "lines.txt"
    long_a = "A long paragraph written on one line, as scrapers often save them. " * 3
    long_b = "Another long paragraph on the next line, with no blank line between them. " * 3
    lines.write_text(f"{long_a}\n{long_b}\n", encoding="utf-8")
    assert len(read_article(lines, tmp_path).paragraphs) == 2


def test_lines_of_unicode_whitespace_are_blank_and_only_newlines_break_lines() -> None:
    text = ("First paragraph has words.\n\xa0\u3000\t\nSecond one\u2028still the same line.\n\x1c\r\n"
            "  Third, after a line of separators and a carriage return.  \n")
    a = parse_bytes(text.encode("utf-8"), path=Path("/c/a.txt"), root=Path("/c"))
    assert [(p.text, p.start, p.end) for p in a.paragraphs] == [
        ("First paragraph has words.", 0, 26),
        ("Second one still the same line.", 31, 62),
        ("Third, after a line of separators and a carriage return.", 67, 123),
    ]


def test_source_from_subfolder(tmp_path: Path) -> None:
    (tmp_path / "site-a").mkdir()
    f = tmp_path / "site-a" / "story.txt"
    f.write_text("A Headline For The Story\n\nThe story text is here and it is long enough to be a sentence.\n", encoding="utf-8")
    a = read_article(f, tmp_path)
    assert a.id == "site-a/story.txt"
    assert a.source == "site-a"


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("   \n\n\t\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\x03PK\x03\x04" * 100)
    (tmp_path / "image.png").write_bytes(b"\x89PNG")  # ignored: not a corpus file type
    (tmp_path / "good.txt").write_text("A good article with a sentence of several words.\n", encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    locked = tmp_path / "locked.txt"
    locked.write_text("secret text\n", encoding="utf-8")
    locked.chmod(0)
    result = read_corpus(tmp_path)
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert [a.id for a in result.articles] == ["good.txt"] or os.geteuid() == 0
    assert reasons["empty.txt"] == "empty file"
    assert "whitespace" in reasons["blank.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "image.png" not in reasons
    assert any("loop" in r for r in reasons.values())
    if os.geteuid() != 0:  # root reads anything
        assert "cannot read" in reasons["locked.txt"]


def test_huge_single_line(tmp_path: Path) -> None:
    f = tmp_path / "line.txt"
    f.write_text("word " * 40_000 + "end.", encoding="utf-8")  # 200k characters, no newline
    a = read_article(f, tmp_path)
    assert len(a.paragraphs) >= 10
    assert all(len(p.text) <= 20_000 for p in a.paragraphs)
    for p in a.paragraphs:
        assert normalize(a.text[p.start:p.end]) == p.norm


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    import threading

    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    errors: list[str] = []

    def read() -> None:
        try:
            read_article(pipe, tmp_path)
        except ReadError as exc:
            errors.append(str(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "reading a named pipe blocked"
    assert errors == ["not a regular file"]


# ---------------------------------------------------------------- spans of HTML paragraphs

_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|h[1-6]|blockquote|section|article|body|html)\b[^>]*>", re.I)


def _shown_in(source: str) -> str:
    """The visible text of a slice of HTML source: dropped elements, comments and tags removed
    (a block tag reads as a space), entities decoded, whitespace collapsed."""
    source = re.sub(r"<(script|style|nav)\b.*?</\1\s*>|<!--.*?-->", "", source, flags=re.S | re.I)
    source = _BLOCK_TAG.sub(" ", source)
    return " ".join(html.unescape(re.sub(r"</?[a-zA-Z][^<>]*>", "", source)).split())


def _assert_html_spans(article) -> None:
    for p in article.paragraphs:
        assert 0 <= p.start < p.end <= len(article.text)
        assert p.text in _shown_in(article.text[p.start:p.end]), (p.index, p.text[:60])


_UNITS = [
    "Sentence {n} is plain prose about the talks.", "Sentence {n} has <b>bold</b> and <i>italic</i> words.",
    "Sentence {n} says Tom &amp; Jerry &mdash; friends&nbsp;again.", "sentence {n} starts lowercase, the way scrapers cut",
    "Sentence {n} links <a href=\"https://x.example/a?b=1&amp;c=2\">a page</a> here.",
    "Sentence {n} hides <script>var x = '<p>no</p>';</script>a script.", "Sentence {n} <!-- a comment --> goes on",
    "Sentence {n} &#8212; &#x2014; numeric references.", "Sentence {n} 1 < 2 and 3 <= 4 hold.",
    "中文句子第{n}个，没有空格。",
]


@st.composite
def _html_page(draw: st.DrawFn) -> str:
    paragraphs = []
    n = 0
    for _ in range(draw(st.integers(1, 5))):
        units = draw(st.lists(st.sampled_from(_UNITS), min_size=1, max_size=4))
        count = draw(st.sampled_from([1, 3, 200, 900]))
        sep = draw(st.sampled_from([" ", "\n", "  \n\t"]))
        sentences = []
        for k in range(count):
            sentences.append(units[k % len(units)].format(n=n))
            n += 1
        close = draw(st.sampled_from(["</p>", "", "</p>\n"]))
        paragraphs.append(f"<p>{sep.join(sentences)}{close}")
    return "<html><head><title>T</title></head><body>" + "\n".join(paragraphs) + "</body></html>"


@settings(max_examples=40, deadline=None)
@given(page=_html_page())
def test_html_spans_point_at_their_own_text(page: str) -> None:
    """Every paragraph's span, its tags stripped and entities decoded, holds the paragraph's text
    (huge paragraphs are cut with spans in source positions, not text positions)."""
    article = parse_bytes(page.encode("utf-8"), path=Path("/c/p.html"), root=Path("/c"))
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in article.paragraphs)
    _assert_html_spans(article)


def test_a_huge_html_paragraph_is_cut_with_source_spans() -> None:
    sentences = " ".join(f"Sentence {i} is <b>bold</b> &amp; <a href='/x'>linked</a>." for i in range(1500))
    page = f"<html><body><p>{sentences}</p><p>After it.</p></body></html>"
    article = parse_bytes(page.encode("utf-8"), path=Path("/c/p.html"), root=Path("/c"))
    pieces = article.paragraphs[:-1]
    assert len(pieces) >= 3 and all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in pieces)
    for p in pieces:
        first = p.text.split(" is ", 1)[0]  # "Sentence 467"
        assert article.text.startswith(first, p.start), (first, article.text[p.start:p.start + 20])
        assert p.text.endswith("linked.")  # cut after a sentence, not inside one
    assert article.text[pieces[-1].end - 4:pieces[-1].end] == "</p>"
    assert " ".join(p.text for p in pieces) == " ".join(
        f"Sentence {i} is bold & linked." for i in range(1500))
    _assert_html_spans(article)


# ---------------------------------------------------------------- huge text and markdown paragraphs


def _assert_text_spans(article) -> None:
    for p in article.paragraphs:
        assert 0 <= p.start < p.end <= len(article.text)
        assert normalize(article.text[p.start:p.end]) == p.norm


def test_a_huge_hard_wrapped_text_paragraph_is_cut() -> None:
    # 300 KB of prose wrapped at 70 columns with no blank line: one paragraph, as _split_block
    # keeps wrapped prose, and its text differs from its source (newlines read as spaces).
    words = " ".join(f"Sentence {i} of the wrapped report goes on for a while." for i in range(5500))
    lines, line = [], ""
    for word in words.split(" "):
        if len(line) + len(word) + 1 > 70:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    text = "\n".join([*lines, line]) + "\n"
    article = parse_bytes(text.encode("utf-8"), path=Path("/c/w.txt"), root=Path("/c"))
    assert len(article.paragraphs) >= 15
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in article.paragraphs)
    assert all(p.text.endswith("while.") for p in article.paragraphs)  # cut at sentence ends
    assert " ".join(p.text for p in article.paragraphs) == words
    _assert_text_spans(article)


@pytest.mark.parametrize("unit", ["A **bold** claim and [a link](https://x.example/a) in sentence {n}. ",
                                  "*{n}* words, no sentence end ", "中文句子第{n}个。"])
def test_a_huge_markdown_paragraph_is_cut(unit: str) -> None:
    text = "# Title\n\n" + "".join(unit.format(n=i) for i in range(6000)) + "\n\nLast paragraph here.\n"
    article = parse_bytes(text.encode("utf-8"), path=Path("/c/m.md"), root=Path("/c"))
    assert len(article.paragraphs) >= 5
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in article.paragraphs)
    assert "**" not in article.paragraphs[1].text and "](" not in article.paragraphs[1].text
    assert article.paragraphs[-1].text == "Last paragraph here."
    _assert_text_spans(article)


def test_pieces_of_a_cut_paragraph_are_not_joined_back() -> None:
    # No sentence end: cut at spaces, and each piece starts lowercase after one that does not
    # end a sentence, which is what a scraper's broken paragraph looks like.
    text = "Start " + "word " * 30_000 + "end\n\nand a real continuation.\n"
    article = parse_bytes(text.encode("utf-8"), path=Path("/c/w.md"), root=Path("/c"))
    assert len(article.paragraphs) >= 8
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in article.paragraphs)
    assert article.paragraphs[-1].text.endswith("word end and a real continuation.")
    words = {w for p in article.paragraphs for w in p.text.split()}
    assert words == {"Start", "word", "end", "and", "a", "real", "continuation."}  # cut at spaces
    _assert_text_spans(article)


# ---------------------------------------------------------------- mended HTML paragraphs


def test_a_mended_html_paragraph_is_matched_on_its_text_not_its_markup() -> None:
    page = ("<html><body><p>The talks, the minister said, would</p>"
            "<p>continue <b>next</b> week &amp; beyond.</p></body></html>")
    article = parse_bytes(page.encode("utf-8"), path=Path("/c/a.html"), root=Path("/c"))
    (p,) = article.paragraphs
    assert p.text == "The talks, the minister said, would continue next week & beyond."
    assert p.norm == normalize(p.text) == "the talks, the minister said, would continue next week & beyond."
    whole = parse_bytes(b"<p>The talks, the minister said, would continue <i>next</i> week &amp; beyond.</p>",
                        path=Path("/c/b.html"), root=Path("/c"))
    assert whole.paragraphs[0].norm == p.norm  # the same paragraph, split or not, matches
    _assert_html_spans(article)


def test_a_huge_run_of_character_references_is_not_cut_inside_one() -> None:
    page = "<p>" + "&amp;" * 30_000 + "&mdash;" * 9_000 + "</p>"
    article = parse_bytes(page.encode("utf-8"), path=Path("/c/a.html"), root=Path("/c"))
    assert len(article.paragraphs) > 1
    assert "".join(p.text for p in article.paragraphs) == "&" * 30_000 + "\u2014" * 9_000
    _assert_html_spans(article)
