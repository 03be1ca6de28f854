"""Chinese, Japanese and Russian articles: encodings, roles, titles, dates, alignment and reuse."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from app.core.align.paragraphs import align
from app.core.reading.model import Role
from app.core.reading.reader import parse_bytes
from app.core.reading.text import word_count, words
from app.core.reuse.reuseindex import build_map

ZH_TITLE = "中俄关系"
ZH = f"""{ZH_TITLE}

新华社北京12月15日电 国家主席习近平15日在北京同俄罗斯总统普京举行视频会晤。两国元首回顾了过去一年双边关系的发展，并就共同关心的国际和地区问题深入交换了意见。

习近平指出，今年以来，中俄双方在抗击疫情、恢复经济等方面密切合作，各领域务实合作取得新进展。双方贸易额同比增长超过三成，能源、农业和科技合作持续深化。

普京表示，俄方愿同中方一道，继续加强在联合国、上海合作组织和金砖国家等多边框架内的协调与配合，共同维护国际公平正义。

双方还就下一阶段的高层交往作出安排，同意保持密切沟通，推动两国关系在新的一年里取得更大发展。
"""

ZH_OTHER = """长江流域迎来丰收季

湖北、湖南两省的农民近日开始收割晚稻。受益于今年风调雨顺，多地水稻亩产比去年提高了一成左右，粮食收购价格也保持稳定。

当地农业部门表示，将继续推广优质稻种和机械化种植，帮助农民降低成本、增加收入，同时加强对耕地的保护。

专家认为，粮食连年丰收为稳定物价和保障民生提供了坚实基础，但也提醒各地要防范极端天气带来的风险。
"""

JA_TITLE = "日銀が金融政策を据え置き"
JA = f"""{JA_TITLE}

日本銀行は十八日に開いた金融政策決定会合で、短期金利をマイナス〇・一％とする現在の大規模な金融緩和策を維持することを決めた。物価上昇率は目標の二％を上回って推移しているが、賃金の伸びが十分ではないと判断した。

植田総裁は会合後の記者会見で、来年の春闘の結果を見極めたうえで政策の修正を検討する考えを示した。市場では年明け以降の利上げを予想する声が広がっている。

円相場は発表直後に一時一ドル＝百四十五円台まで下落したが、その後は落ち着きを取り戻した。
"""

RU = """Переговоры в Москве

15 декабря 2021

Президент России Владимир Путин провёл в среду переговоры с председателем КНР Си Цзиньпином в режиме видеоконференции. Стороны обсудили сотрудничество в области энергетики, торговли и безопасности.

По словам помощника президента, лидеры уделили особое внимание ситуации в Европе и договорились продолжить контакты в ближайшее время.

Товарооборот между двумя странами за одиннадцать месяцев вырос почти на треть и может превысить рекордные показатели прошлого года.
"""


def _read(text: str, encoding: str, name: str = "a.txt", folder: str = "agency"):
    return parse_bytes(text.encode(encoding), path=Path(f"/corpus/{folder}/{name}"), root=Path("/corpus"))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030", "utf-16-le", "utf-16-be"])
def test_chinese_headline_is_the_title_and_the_body_stays_body(encoding: str) -> None:
    article = _read(ZH, encoding)
    assert article.title == ZH_TITLE
    roles = [p.role for p in article.paragraphs]
    assert roles == [Role.TITLE] + [Role.BODY] * 4
    assert article.to_dict()["body_paragraph_count"] == 4 if hasattr(article, "to_dict") else True
    assert len(article.body) == 4


@pytest.mark.parametrize("encoding", ["utf-8", "shift_jis", "utf-16-le"])
def test_japanese_headline_is_the_title_and_the_body_stays_body(encoding: str) -> None:
    article = _read(JA, encoding)
    assert article.title == JA_TITLE
    assert [p.role for p in article.paragraphs] == [Role.TITLE] + [Role.BODY] * 3


def test_chinese_without_a_headline_gets_a_title_cut_by_characters() -> None:
    body_only = ZH.split("\n\n", 1)[1]
    article = _read(body_only, "utf-8", name="noheadline.txt")
    assert article.title.startswith("新华社北京12月15日电")
    assert len(article.title) <= 29
    assert len(article.body) == 4


def test_word_count_measures_cjk_in_characters() -> None:
    assert word_count(ZH_TITLE) == 2
    assert word_count("Talks in Moscow") == 3
    assert word_count("习近平 met Putin") == 4  # 3 characters -> 2, plus two words
    assert words("2021年中俄 trade") == ["2021", "年", "中", "俄", "trade"]


def test_two_copies_of_a_chinese_article_align_and_are_found_by_the_reuse_map() -> None:
    copy_a = _read(ZH, "utf-8", name="a.txt", folder="xinhua")
    edited = ZH.replace("超过三成", "约百分之三十").replace("\n\n普京表示", "\n\n来源：新华社\n\n普京表示")
    copy_b = _read(edited, "gb18030", name="b.txt", folder="people")
    other = _read(ZH_OTHER, "utf-8", name="c.txt", folder="xinhua")
    alignment = align(copy_a, copy_b)
    assert alignment.summary().shared_rows >= 4
    assert not [r for r in alignment.rows if r.kind.value == "boilerplate" and r.left and r.right
                and copy_a.paragraphs[r.left[0]].role is Role.BODY]
    rmap = build_map([copy_a, copy_b, other])
    assert [(p.a, p.b) for p in rmap.pairs()] == [("people/b.txt", "xinhua/a.txt")]
    assert [r.id for r in rmap.related("xinhua/a.txt")] == ["people/b.txt"]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251", "koi8-r", "utf-16-le"])
def test_russian_article_title_date_and_body(encoding: str) -> None:
    article = _read(RU, encoding)
    assert article.title == "Переговоры в Москве"
    assert article.date == date(2021, 12, 15)
    assert [p.role for p in article.paragraphs] == [Role.TITLE, Role.BYLINE] + [Role.BODY] * 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 декабря 2021", date(2021, 12, 15)),
        ("15 декабря 2021 г., 14:30", date(2021, 12, 15)),
        ("15.12.2021", date(2021, 12, 15)),
        ("декабрь 2021", date(2021, 12, 1)),
        ("Опубликовано: 3 марта 2022", date(2022, 3, 3)),
        ("15. Dezember 2021", date(2021, 12, 15)),
        ("1er mars 2021", date(2021, 3, 1)),
        ("15 de diciembre de 2021", date(2021, 12, 15)),
        ("2021年12月15日", date(2021, 12, 15)),
        ("2021年12月", date(2021, 12, 1)),
        ("December 15, 2021", date(2021, 12, 15)),
        ("in march 2020 prices rose", None),  # a month and a year inside prose date nothing
        ("mayor 2021", None),
    ],
)
def test_dates_in_several_languages(text: str, expected: date | None) -> None:
    from app.core.reading.dates import parse_date

    assert parse_date(text) == expected
