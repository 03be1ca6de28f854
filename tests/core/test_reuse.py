"""Reuse map: seeds, learned boilerplate, edited copies, clusters, persistence, incremental updates."""

from __future__ import annotations

import json
import os
import random
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.core.compare.bestmatch import best_match
from app.core.reading.model import Article, Paragraph, Role
from app.core.reading.reader import read_corpus
from app.core.reading.text import normalize
from app.core.reuse import reuseindex
from app.core.reuse.fingerprint import Prints, fingerprint
from app.core.reuse.reuseindex import build_map
from app.core.reuse.reusemap import ReuseMap
from app.core.workspace.corpus import Corpus

S000, S001, S002, S003, S004 = (
    "000_121b9dbdb0afe2a7.txt", "001_65ba17bf70f94427.txt", "002_eea9ff17f26105a2.txt",
    "003_bf261fb6437c4be2.txt", "004_a59c947b104b591b.txt",
)

_VOCAB = [f"{a}{b}{c}" for a in "bdgklmnprst" for b in ("a", "e", "io", "ou", "ai") for c in ("n", "r", "st", "l", "x")]


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_VOCAB) for _ in range(words)).capitalize() + "."


def _article(aid: str, paras: list[str], *, source: str = "", when: date | None = None,
             roles: list[Role] | None = None) -> Article:
    roles = roles or [Role.BODY] * len(paras)
    ps = [Paragraph(i, t, normalize(t), 0, 0, r) for i, (t, r) in enumerate(zip(paras, roles, strict=True))]
    return Article(id=aid, path=aid, title=aid, source=source, date=when, paragraphs=ps)


def _edit(rng: random.Random, text: str, rate: float) -> str:
    return " ".join(rng.choice(_VOCAB) if rng.random() < rate else w for w in text.split())


@pytest.fixture(scope="module")
def seed_map() -> ReuseMap:
    return build_map(read_corpus(Path(__file__).resolve().parents[2] / "seeds").articles)


def test_seeds_only_content_pair_is_001_004(seed_map: ReuseMap) -> None:
    pairs = seed_map.pairs()
    assert [(p.a, p.b) for p in pairs] == [(S001, S004)]
    pair = pairs[0]
    assert 25 <= pair.shared <= 35
    assert pair.pct_a > 50 and pair.pct_b > 90


def test_seeds_000_002_share_only_boilerplate(seed_map: ReuseMap) -> None:
    assert seed_map.related(S000) == [] and seed_map.related(S002) == []
    for text in ("Become a Member of Global Research",
                 "Comment on Global Research Articles on our Facebook page"):
        assert seed_map.is_boilerplate(normalize(text))
    assert not seed_map.is_boilerplate(normalize("Russia and China: Challenging a Divided West"))


def test_seed_cluster_states_missing_dates(seed_map: ReuseMap) -> None:
    (cluster,) = seed_map.clusters()
    assert {m.id for m in cluster.members} == {S001, S004}
    assert cluster.origin is None and cluster.reason == "no dates"


def test_related_is_symmetric_with_percentages(seed_map: ReuseMap) -> None:
    (r004,) = seed_map.related(S001)
    (r001,) = seed_map.related(S004)
    assert r004.id == S004 and r001.id == S001
    assert r004.pct_here == pytest.approx(r001.pct_there)
    links = seed_map.links(S001, S004)
    assert len(links) == r004.shared_here and all(isinstance(i, int) for pair in links for i in pair)


def test_learned_footer_repeated_across_one_source() -> None:
    rng = random.Random(3)
    footer = "Support the Alpha Gazette and its independent reporting by joining our readers club today"
    arts = [_article(f"alpha{i}", [_prose(rng, 40), _prose(rng, 50), footer], source="Alpha Gazette")
            for i in range(4)]
    shared = _prose(rng, 60)
    arts.append(_article("beta", [shared, _prose(rng, 40)], source="Beta"))
    arts.append(_article("gamma", [_prose(rng, 30), shared], source="Gamma"))
    rmap = build_map(arts)
    assert rmap.is_boilerplate(normalize(footer))
    assert not rmap.is_boilerplate(normalize(shared))
    assert [(p.a, p.b, p.shared) for p in rmap.pairs()] == [("beta", "gamma", 1)]
    # Boilerplate is excluded from the body share: alpha's body is its two prose paragraphs.
    assert rmap.body_chars[0] == len(arts[0].paragraphs[0].text) + len(arts[0].paragraphs[1].text)


def test_shared_body_paragraph_across_two_sources_is_reuse_not_boilerplate() -> None:
    rng = random.Random(4)
    shared = [_prose(rng, 45) for _ in range(3)]
    a = _article("a", [*shared, _prose(rng, 30)], source="One")
    b = _article("b", [_prose(rng, 30), *shared], source="Two")
    rmap = build_map([a, b, _article("c", [_prose(rng, 50)], source="Three")])
    (pair,) = rmap.pairs()
    assert (pair.a, pair.b, pair.shared) == ("a", "b", 3)
    assert rmap.boilerplate_count() == 0


def test_lightly_edited_and_partial_copies_are_found() -> None:
    rng = random.Random(5)
    origin = [_prose(rng, rng.randint(30, 80)) for _ in range(8)]
    edited = [_edit(rng, p, 0.08) for p in origin]
    partial = [_prose(rng, 40), *origin[2:5], _prose(rng, 40)]
    unrelated = [_prose(rng, 60) for _ in range(8)]
    rmap = build_map([
        _article("origin", origin, when=date(2020, 1, 1)),
        _article("edited", edited, when=date(2020, 1, 3)),
        _article("partial", partial),
        _article("unrelated", unrelated, when=date(2019, 1, 1)),
    ])
    found = {(p.a, p.b): p for p in rmap.pairs()}
    assert found[("edited", "origin")].shared >= 7
    assert found[("origin", "partial")].shared == 3
    assert not any("unrelated" in k for k in found)
    assert [p.shared >= 3 for p in rmap.pairs(min_shared=3)] == [True] * len(rmap.pairs(min_shared=3))
    (cluster,) = rmap.clusters()
    assert cluster.origin == "origin" and cluster.reason == "earliest dated; 1 undated"
    assert [r.id for r in rmap.related("origin")][0] == "edited"


def test_cluster_tie_is_stated() -> None:
    rng = random.Random(6)
    text = [_prose(rng, 40) for _ in range(3)]
    day = date(2021, 5, 1)
    rmap = build_map([_article("x", text, when=day), _article("y", text, when=day)])
    (cluster,) = rmap.clusters()
    assert cluster.origin is None and cluster.reason.startswith("tie between x, y")


def test_prints_round_trip_and_reject_other_versions() -> None:
    rng = random.Random(7)
    prints = fingerprint([_article("a", [_prose(rng, 40), "short line"])])
    back = Prints.from_bytes(prints.to_bytes())
    assert back.meta == prints.meta and np.array_equal(back.fp, prints.fp)
    assert np.array_equal(back.row_exact, prints.row_exact)
    with pytest.raises(ValueError):
        Prints.from_bytes(b"not a file")
    damaged = prints.to_bytes().replace(b'"shingle": 4', b'"shingle": 5')
    with pytest.raises(ValueError):
        Prints.from_bytes(damaged)


def _write(path: Path, title: str, paras: list[str]) -> None:
    path.write_text(f"# {title}\n\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def test_index_keeps_map_in_step_when_articles_are_added_edited_removed(tmp_path: Path) -> None:
    rng = random.Random(8)
    root = tmp_path / "corpus"
    root.mkdir()
    base = [_prose(rng, 50) for _ in range(5)]
    _write(root / "a.txt", "Alpha", base)
    _write(root / "b.txt", "Beta", [_prose(rng, 50) for _ in range(5)])
    corpus = Corpus(root, tmp_path / "index")
    corpus.update_index()
    assert corpus.reuse_map().pairs() == []
    assert corpus.reuse.path.is_file()

    _write(root / "c.txt", "Copy", [_prose(rng, 30), *base[:4]])  # added
    corpus.update_index()
    assert [(r.id, r.shared_paragraphs) for r in corpus.reuse_map().related("a.txt")] == [("c.txt", 4)]

    _write(root / "c.txt", "Copy", [_prose(rng, 30), *base[:2]])  # edited
    st = (root / "c.txt").stat()
    os.utime(root / "c.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    corpus.update_index()
    assert [(r.id, r.shared_paragraphs) for r in corpus.reuse_map().related("a.txt")] == [("c.txt", 2)]

    (root / "c.txt").unlink()  # removed
    corpus.update_index()
    assert corpus.reuse_map().related("a.txt") == []
    assert "c.txt" not in corpus.reuse_map()


def test_map_loads_from_disk_without_reading_articles(tmp_path: Path, seeds_dir: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "seeds"
    shutil.copytree(seeds_dir, root)
    Corpus(root, tmp_path / "index").update_index()

    def fail(*_args: object, **_kw: object) -> None:
        raise AssertionError("fingerprints should have been loaded, not rebuilt")

    monkeypatch.setattr(reuseindex, "read_article", fail)
    again = Corpus(root, tmp_path / "index")
    assert [(p.a, p.b) for p in again.reuse_map().pairs()] == [(S001, S004)]


def test_map_catches_up_when_fingerprints_are_missing(tmp_path: Path, seeds_dir: Path) -> None:
    root = tmp_path / "seeds"
    shutil.copytree(seeds_dir, root)
    corpus = Corpus(root, tmp_path / "index")
    corpus.update_index()
    corpus.reuse.path.unlink()
    fresh = Corpus(root, tmp_path / "index")
    fresh.update_index()  # nothing changed: the index tells no listener
    assert len(fresh.reuse_map().meta) == 5 and fresh.reuse.path.is_file()


def test_best_match_on_seeds(seeds_copy: Path, tmp_path: Path) -> None:
    corpus = Corpus(seeds_copy, tmp_path / "index")
    corpus.update_index()
    assert best_match(corpus, S004) == S001
    assert best_match(corpus, S000) is None


def test_cli_pairs_related_clusters_json(seeds_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pairs", "--corpus", str(seeds_copy), "--min-shared", "3", "--json"]) == 0
    pairs = json.loads(capsys.readouterr().out)["pairs"]
    assert [(p["a"], p["b"]) for p in pairs] == [(S001, S004)] and pairs[0]["shared_paragraphs"] >= 25
    assert main(["related", "004", "--corpus", str(seeds_copy), "--json"]) == 0
    related = json.loads(capsys.readouterr().out)
    assert related["id"] == S004 and [r["id"] for r in related["related"]] == [S001]
    assert main(["clusters", "--corpus", str(seeds_copy), "--json"]) == 0
    (cluster,) = json.loads(capsys.readouterr().out)["clusters"]
    assert cluster["origin"] is None and cluster["reason"] == "no dates"
    assert main(["related", "003", "--corpus", str(seeds_copy)]) == 0
    assert "0 related articles" in capsys.readouterr().out


def test_fingerprints_of_an_older_format_are_rebuilt(tmp_path: Path, seeds_dir: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.reuse import fingerprint as fp

    root = tmp_path / "seeds"
    shutil.copytree(seeds_dir, root)
    corpus = Corpus(root, tmp_path / "index")
    corpus.update_index()
    with monkeypatch.context() as m:  # the file an older Parallax wrote
        m.setattr(fp, "FORMAT_VERSION", 1)  # before CJK was tokenised per character
        corpus.reuse.path.write_bytes(corpus.reuse.prints().to_bytes())
    with pytest.raises(ValueError, match="another version"):
        Prints.from_bytes(corpus.reuse.path.read_bytes())
    read = []
    real_read = reuseindex.read_article
    monkeypatch.setattr(reuseindex, "read_article", lambda *a, **k: read.append(a[0]) or real_read(*a, **k))
    fresh = Corpus(root, tmp_path / "index")
    fresh.update_index()  # nothing changed for the index
    assert [(p.a, p.b) for p in fresh.reuse_map().pairs()] == [(S001, S004)]
    assert len(read) == 5  # every article fingerprinted again
    assert len(Prints.from_bytes(fresh.reuse.path.read_bytes()).meta) == 5  # and stored in this format


def test_chinese_copies_are_found() -> None:
    body = ["国务院今天召开常务会议研究部署进一步稳定经济增长的政策措施会议指出当前经济运行总体平稳",
            "会议要求各地区各部门加大工作力度确保各项政策落实到位切实保障和改善民生促进社会和谐稳定",
            "专家表示这些措施将有助于提振市场信心推动消费和投资持续恢复为全年经济发展打下坚实基础"]
    other = ["记者从气象部门获悉本周北方地区将迎来大范围降温天气部分地区有中到大雪请公众注意防寒保暖",
             "交通部门提醒广大驾驶员雨雪天气出行注意安全减速慢行保持车距遇到紧急情况及时拨打救援电话",
             "农业部门组织技术人员深入田间地头指导农民做好越冬作物防冻工作确保来年粮食生产稳定增长"]
    rmap = build_map([_article("a.txt", body, source="Xinhua"), _article("b.txt", body[:2] + [body[2] + "。"],
                      source="China Daily"), _article("c.txt", other, source="Global Times")])
    assert rmap.copies("a.txt") == ["b.txt"]
    assert rmap.copies("c.txt") == []


def test_distinct_pairs_packed_in_one_key_match_the_two_array_sort() -> None:
    from app.core.reuse.reusemap import _distinct, _distinct_keys, _pair_keys

    rng = np.random.default_rng(5)
    a = rng.integers(0, 50, 5000).astype(np.int32)
    b = rng.integers(0, 50, 5000).astype(np.int32)
    o = np.lexsort((b, a))
    sa, sb = a[o], b[o]
    first = np.flatnonzero(np.r_[True, (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])])
    want = sa[first], sb[first], np.diff(np.r_[first, len(sa)])
    got = _distinct(a, b)
    assert all(np.array_equal(x, y) for x, y in zip(got, want, strict=True))
    assert got[0].dtype == np.int32 and got[1].dtype == np.int32
    # Unordered pairs: the smaller value first, whichever side it came from.
    lo, hi, n = _distinct_keys(_pair_keys([(b[:100], a[:100]), (a[100:], b[100:])]), np.int32, np.int32)
    want_lo, want_hi, want_n = _distinct(np.minimum(a, b), np.maximum(a, b))
    assert np.array_equal(lo, want_lo) and np.array_equal(hi, want_hi) and np.array_equal(n, want_n)
    # Values too large to pack take the two-array sort; nothing gives nothing.
    big = np.array([2**40, 3, 2**40], dtype=np.int64)
    ga, gb, gn = _distinct(big, np.array([1, 2, 1], dtype=np.int64))
    assert ga.tolist() == [3, 2**40] and gb.tolist() == [2, 1] and gn.tolist() == [1, 2]
    assert [len(x) for x in _distinct_keys(np.zeros(0, np.int64), np.int32, np.int32)] == [0, 0, 0]


def test_chunked_numpy_steps_give_numpy_results_and_the_same_map(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.reuse import reusemap as reuse

    rng = np.random.default_rng(3)
    counts = rng.integers(0, 5, 300)
    values = rng.integers(-50, 50, 300)
    x = rng.integers(0, 40, 1000)
    weights = rng.integers(0, 9, 1000).astype(np.float64)
    h = rng.integers(0, 30, 500).astype(np.uint64)
    rng_words = random.Random(8)
    story = [_prose(rng_words, 40) for _ in range(6)]
    arts = [_article(f"copy{n}", [_edit(rng_words, p, 0.05) for p in story] + [_prose(rng_words, 30)],
                     source=f"S{n % 3}", when=date(2020, 1, 1 + n)) for n in range(30)]
    arts += [_article(f"other{n}", [_prose(rng_words, 50) for _ in range(4)], source="S9") for n in range(10)]
    whole = build_map(arts)
    monkeypatch.setattr(reuse, "_CHUNK", 7)  # every step in many chunks
    assert np.array_equal(reuse._repeat(values, counts), np.repeat(values, counts))
    assert np.array_equal(reuse._bincount(x, minlength=50), np.bincount(x, minlength=50))
    assert np.array_equal(reuse._bincount(x, weights), np.bincount(x, weights))
    for got, want in zip(reuse._unique_inverse(h, first=True),
                         np.unique(h, return_index=True, return_inverse=True), strict=True):
        assert np.array_equal(got, want)
    chunked = build_map(arts)
    assert np.array_equal(chunked.row_boilerplate, whole.row_boilerplate)
    assert np.array_equal(chunked.row_group, whole.row_group)
    assert [c.to_dict() for c in chunked.clusters()] == [c.to_dict() for c in whole.clusters()]
    assert [p.to_dict() for p in chunked.pairs()] == [p.to_dict() for p in whole.pairs()]
    assert len(whole.clusters()) == 1 and len(whole.clusters()[0].members) == 30
    # Pairs counted from the clusters' own counts, and member by member above one paragraph.
    assert whole.pair_count() == len(whole.pairs()) == whole.clusters()[0].pairs
    assert whole.pair_count(2) == len(whole.pairs(min_shared=2))
    assert whole.pair_count(7) == len(whole.pairs(min_shared=7)) == 0 < whole.pair_count()


def test_stored_article_list_is_read_an_entry_at_a_time_as_json_would() -> None:
    import io
    import json

    from app.core.reuse.fingerprint import _loads_header

    rng = random.Random(9)
    titles = ['"meta": [ quoted', "], [ brackets", "naïve — ünïcödé 中文", "back\\slash", ""]
    arts = [_article(f"a{n}", [_prose(rng, 30)]) for n in range(len(titles))]
    for art, title in zip(arts, titles, strict=True):
        art.title = title
    prints = fingerprint(arts)
    data = prints.to_bytes()
    with np.load(io.BytesIO(data)) as z:
        text = z["header"].tobytes().decode("utf-8")
    assert _loads_header(text) == json.loads(text)
    assert [m.title for m in Prints.from_bytes(data).meta] == titles
    empty = Prints.empty().to_bytes()
    assert Prints.from_bytes(empty).meta == []
    for cut in (text[:-2], text[: text.index('"meta": [') + 30]):
        with pytest.raises(ValueError):
            _loads_header(cut)
