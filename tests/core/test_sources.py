"""Outlets are told apart: the source comes from the article's own metadata before any folder,
and the title skips the site's furniture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.reading.model import Role
from app.core.reading.reader import read_article

STORY_TITLE = "Port strike halts grain exports for a third day"
STORY = [
    "Dock workers at the country's largest grain terminal stayed off the job on Wednesday, leaving "
    "dozens of bulk carriers waiting at anchor and traders scrambling for alternative routes.",
    "The union said talks with terminal operators had stalled over shift patterns and safety rules, "
    "and that no new meeting had been scheduled before the end of the week.",
    "Exporters warned that every further day of the stoppage would add to demurrage costs already "
    "running into millions, and that some contracts might have to be renegotiated.",
]


def _furniture(outlet: str) -> tuple[list[str], list[str]]:
    head = ["Menu Search Log in", "Home | World | Politics | Business | Sport", f"{outlet} — News you can trust",
            "We use cookies to improve your experience. By continuing you accept our cookie policy."]
    tail = ["Subscribe to our newsletter", f"© 2024 {outlet}. All rights reserved."]
    return head, tail


def _html_page(outlet: str, *, meta: str = "", title_suffix: bool = False) -> str:
    head, tail = _furniture(outlet)
    title = f"{STORY_TITLE} | {outlet}" if title_suffix else STORY_TITLE
    nav = "".join(f"<p>{h}</p>" for h in head)
    body = "".join(f"<p>{p}</p>" for p in STORY)
    foot = "".join(f"<p>{t}</p>" for t in tail)
    return (f"<html><head><title>{title}</title>{meta}</head><body><div>{nav}</div>"
            f"<article><h1>{STORY_TITLE}</h1>{body}</article><div>{foot}</div></body></html>")


def _write(tmp_path: Path, rel: str, text: str) -> Path:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("meta", "title_suffix", "expected"),
    [
        ('<meta property="og:site_name" content="Harbour Herald">', False, "Harbour Herald"),
        ('<meta name="publisher" content="Harbour Herald">', False, "Harbour Herald"),
        ('<meta name="application-name" content="Harbour Herald">', False, "Harbour Herald"),
        ('<script type="application/ld+json">' + json.dumps(
            {"@type": "NewsArticle", "headline": STORY_TITLE, "publisher": {"@type": "Organization", "name": "Harbour Herald"}})
         + "</script>", False, "Harbour Herald"),
        ("", True, "Harbour Herald"),
        ("", False, "Harbour Herald"),  # the copyright line
    ],
)
def test_html_source_comes_from_the_page_before_the_folder(tmp_path: Path, meta: str, title_suffix: bool,
                                                           expected: str) -> None:
    path = _write(tmp_path, "scraped/2024-05-01/page.html", _html_page("Harbour Herald", meta=meta, title_suffix=title_suffix))
    article = read_article(path, tmp_path)
    assert article.source == expected
    assert article.title == STORY_TITLE
    assert len(article.body) == 3


def test_og_site_name_wins_over_application_name_and_title_suffix(tmp_path: Path) -> None:
    meta = '<meta name="application-name" content="HH App"><meta property="og:site_name" content="Harbour Herald">'
    path = _write(tmp_path, "x/page.html", _html_page("Harbour Herald", meta=meta, title_suffix=True))
    assert read_article(path, tmp_path).source == "Harbour Herald"


def test_a_long_title_tail_is_not_an_outlet(tmp_path: Path) -> None:
    page = ("<html><head><title>Grain exports stall - what the strike means for prices this winter</title></head>"
            f"<body><p>{STORY[0]}</p></body></html>")
    path = _write(tmp_path, "valley-times/page.html", page)
    article = read_article(path, tmp_path)
    assert article.source == "valley-times"
    assert article.title == "Grain exports stall - what the strike means for prices this winter"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("© 2024 Coastal Courier. All rights reserved.", "Coastal Courier"),
        ("Copyright 2023 Coastal Courier", "Coastal Courier"),
        ("Source: Coastal Courier", "Coastal Courier"),
    ],
)
def test_text_source_from_a_copyright_or_source_line(tmp_path: Path, line: str, expected: str) -> None:
    text = "\n\n".join([STORY_TITLE, *STORY, line]) + "\n"
    path = _write(tmp_path, "derived/scrape/story.txt", text)
    article = read_article(path, tmp_path)
    assert article.source == expected
    assert article.title == STORY_TITLE


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("derived/the-northern-ledger/2024/05/story.txt", "the-northern-ledger"),
        ("the-northern-ledger/scraped/txt/story.txt", "the-northern-ledger"),
        ("the-northern-ledger/politics/story.txt", "the-northern-ledger"),
        ("scraped/2024-05-01/001/story.txt", ""),
        ("data/raw/out/story.txt", ""),
        ("site-a/story.txt", "site-a"),
    ],
)
def test_folder_source_is_the_nearest_folder_that_names_an_outlet(tmp_path: Path, rel: str, expected: str) -> None:
    text = "\n\n".join([STORY_TITLE, *STORY]) + "\n"
    article = read_article(_write(tmp_path, rel, text), tmp_path)
    assert article.source == expected


def test_title_skips_site_furniture_in_text(tmp_path: Path) -> None:
    head, tail = _furniture("Harbour Herald")
    text = "\n\n".join([*head, STORY_TITLE, *STORY, *tail]) + "\n"
    article = read_article(_write(tmp_path, "harbour/story.txt", text), tmp_path)
    assert article.title == STORY_TITLE
    assert article.source == "Harbour Herald"
    roles = [p.role for p in article.paragraphs]
    assert roles[: len(head)] == [Role.CHROME] * len(head)
    assert roles[len(head)] is Role.TITLE
    assert roles[len(head) + 1: len(head) + 4] == [Role.BODY] * 3


@pytest.mark.parametrize("outlet", ["Harbour Herald", "The Valley Times", "Nord Kurier", "Coastal Courier 24"])
def test_each_outlet_is_told_apart_on_the_same_story(tmp_path: Path, outlet: str) -> None:
    slug = outlet.lower().replace(" ", "-")
    path = _write(tmp_path, f"scraped/html/{slug}.html", _html_page(outlet, title_suffix=True))
    article = read_article(path, tmp_path)
    assert article.source == outlet
    assert article.title == STORY_TITLE


def test_multi_outlet_corpus_every_source_and_title_is_right(tmp_path: Path) -> None:
    from tests.fixtures.syndication import build_corpus

    truth = build_corpus(tmp_path / "corpus")
    wrong = []
    for doc in truth.docs.values():
        article = read_article(tmp_path / "corpus" / doc.id, tmp_path / "corpus")
        if (article.source, article.title) != (doc.outlet, doc.title):
            wrong.append((doc.id, article.source, article.title))
    assert not wrong, wrong[:5]
