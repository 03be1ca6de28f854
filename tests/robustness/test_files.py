"""Awkward corpus files: each is indexed or skipped with a listed reason; the indexer never crashes."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import app.core.engine.index as index_module
from app.core.engine.index import CorpusIndex
from app.core.workspace.corpus import Corpus

RUSSIAN = "Москва и Санкт-Петербург обсуждают новые железные дороги. Москвы больше нет в заголовках.\n"
CHINESE = "中华人民共和国的经济增长速度在今年有所放缓，专家们讨论了原因。\n"


def _write_awkward(root: Path) -> None:
    root.mkdir()
    (root / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (root / "empty.txt").write_bytes(b"")
    (root / "blank.txt").write_text("   \n\t\n  \n", "utf-8")
    line = "The quick brown fox writes a very long scraped line about walruses. "
    (root / "oneline.txt").write_text((line * (200_000 // len(line) + 1))[:200_000], "utf-8")
    (root / "russian.txt").write_bytes(("Новости\n\n" + RUSSIAN * 3).encode("cp1251"))
    (root / "chinese.txt").write_bytes(("新闻标题\n\n" + CHINESE * 3).encode("gb18030"))
    (root / "utf16.txt").write_bytes("\ufeffAn article saved as UTF-16 about narwhals.\n".encode("utf-16-le"))
    (root / "badutf8.txt").write_bytes(b"Caf\xc3\xa9 notes about pelicans \xff\xfe in a damaged file.\n" * 20)
    (root / "plain.md").write_text("# A plain article\n\nOrdinary text about otters and rivers.\n", "utf-8")
    sub = root / "sub"
    sub.mkdir()
    (sub / "loop").symlink_to(root, target_is_directory=True)
    (root / "locked.txt").write_text("A file nobody may read about badgers.\n", "utf-8")
    (root / "locked.txt").chmod(0)


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``locked.txt`` unreadable even for root (who ignores permission bits)."""
    if os.geteuid() != 0:
        return
    real = os.open

    def open_(path: str | os.PathLike, flags: int, *args: int, **kwargs: int) -> int:
        if os.fspath(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


def test_awkward_files_are_indexed_or_skipped_with_reason(tmp_path: Path, unreadable: None) -> None:
    root = tmp_path / "corpus"
    _write_awkward(root)
    report = CorpusIndex(root, tmp_path / "ix").update()
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["binary.txt"].startswith("binary file")
    assert reasons["empty.txt"] == "empty file"
    assert reasons["blank.txt"] == "no text (only whitespace)"
    assert reasons["locked.txt"].startswith("cannot read: Permission denied")
    assert reasons["loop"] == "symbolic link loop"
    assert set(report.added) == {"oneline.txt", "russian.txt", "chinese.txt", "utf16.txt",
                                 "badutf8.txt", "plain.md"}
    corpus = Corpus(root, tmp_path / "ix")
    assert {h.id for h in corpus.search("walruses").hits} == {"oneline.txt"}
    assert {h.id for h in corpus.search("narwhals").hits} == {"utf16.txt"}
    assert {h.id for h in corpus.search("pelicans").hits} == {"badutf8.txt"}
    os.chmod(root / "locked.txt", 0o600)


def test_russian_and_chinese_are_searchable(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    _write_awkward(root)
    (root / "locked.txt").unlink()
    CorpusIndex(root, tmp_path / "ix").update()
    corpus = Corpus(root, tmp_path / "ix")
    # "Москве" never occurs: Russian stemming finds "Москва"/"Москвы" in the cp1251 file.
    assert {h.id for h in corpus.search("Москве").hits} == {"russian.txt"}
    assert {h.id for h in corpus.search("железной").hits} == {"russian.txt"}
    # A Chinese term inside a run of characters with no spaces (GB18030 file).
    assert {h.id for h in corpus.search("人民共和国").hits} == {"chinese.txt"}
    assert {h.id for h in corpus.search("经济").hits} == {"chinese.txt"}
    assert corpus.search("共和经济").total == 0  # bigrams must be adjacent: a phrase, not a bag


@pytest.mark.slow
def test_fifty_megabyte_file_is_indexed(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    line = "Harbour cranes unload containers of grain while gulls circle over the quay.\n"
    with open(root / "huge.txt", "w", encoding="utf-8") as fh:
        fh.write("Huge harbour report\n\n")
        block = (line * 40 + "\n") * 200
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(block)
    (root / "small.txt").write_text("A small note on herons.\n", "utf-8")
    t0 = time.perf_counter()
    report = CorpusIndex(root, tmp_path / "ix").update()
    assert time.perf_counter() - t0 < 150  # bounded, not a benchmark (shared CI cores)
    assert set(report.added) == {"huge.txt", "small.txt"}, report.to_dict()
    assert {h.id for h in Corpus(root, tmp_path / "ix").search("gulls", snippets=False).hits} == {"huge.txt"}


def test_file_deleted_or_rewritten_while_indexing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_text(f"Article {name} about puffins.\n", "utf-8")
    real_read = index_module.read_article

    def racing_read(path: Path, corpus_root: Path):
        # Between the scan and the read another program deletes one file and rewrites another.
        if Path(path).name == "a.txt":
            Path(path).unlink()
        if Path(path).name == "b.txt":
            Path(path).write_text("Rewritten article about gannets instead.\n", "utf-8")
        return real_read(path, corpus_root)

    monkeypatch.setattr(index_module, "read_article", racing_read)
    report = CorpusIndex(root, tmp_path / "ix").update()
    assert [(s.path, s.reason.split(":")[0]) for s in report.skipped] == [("a.txt", "cannot read")]
    assert sorted(report.added) == ["b.txt", "c.txt"]
    monkeypatch.setattr(index_module, "read_article", real_read)
    corpus = Corpus(root, tmp_path / "ix")
    assert {h.id for h in corpus.search("gannets").hits} == {"b.txt"}
    assert {h.id for h in corpus.search("puffins").hits} == {"c.txt"}
    assert not CorpusIndex(root, tmp_path / "ix").update().changed  # manifest matches the rewrite
