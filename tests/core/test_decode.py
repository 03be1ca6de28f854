"""Decoding: BOMs, UTF-16, legacy encodings, damaged UTF-8, binary data."""

from __future__ import annotations

import codecs

import pytest

from app.core.reading.decode import DecodeError, decode_bytes

RUSSIAN = (
    "Президент России Владимир Путин провёл переговоры с председателем КНР Си Цзиньпином. "
    "Стороны обсудили сотрудничество в области энергетики и торговли."
)
CHINESE = "中国国家主席习近平与俄罗斯总统普京举行会谈。双方讨论了能源和贸易领域的合作，并签署了多项协议。"


@pytest.mark.parametrize(
    ("data", "expected", "encoding"),
    [
        (b"plain ascii\r\nsecond line\rthird", "plain ascii\nsecond line\nthird", "utf-8"),
        (codecs.BOM_UTF8 + "caf\u00e9".encode(), "caf\u00e9", "utf-8-bom"),
        (codecs.BOM_UTF16_LE + "hello \u00e9".encode("utf-16-le"), "hello \u00e9", "utf-16-le"),
        (codecs.BOM_UTF16_BE + "hello \u00e9".encode("utf-16-be"), "hello \u00e9", "utf-16-be"),
        ("A long enough English sentence.".encode("utf-16-le"), "A long enough English sentence.", "utf-16-le"),
        (RUSSIAN.encode("cp1251"), RUSSIAN, "cp1251"),
        (CHINESE.encode("gb18030"), CHINESE, "gb18030"),
    ],
)
def test_decodes(data: bytes, expected: str, encoding: str) -> None:
    text, enc = decode_bytes(data)
    assert text == expected
    assert enc == encoding


def test_damaged_utf8_keeps_the_good_text() -> None:
    text, enc = decode_bytes("caf\u00e9 ".encode() * 20 + b"\xff bad byte")
    assert text.startswith("caf\u00e9 caf\u00e9")
    assert "\ufffd" in text
    assert enc == "utf-8 (damaged)"


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, b"\x00" * 64])
def test_binary_is_refused(data: bytes) -> None:
    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(data)


@pytest.mark.parametrize("text", [RUSSIAN + "\n", CHINESE + "\n", (CHINESE + "\n") * 50, "一二三。\n" * 40])
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16_russian_and_chinese_are_detected(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == (text, encoding)


def test_nul_bytes_on_one_parity_are_not_enough_for_utf16() -> None:
    # 16-bit little-endian integers: NULs in every high byte, but no text once decoded.
    data = bytes(b for i in range(2000) for b in ((i * 37) % 32, 0))
    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(data)


def test_file_of_unicode_spaces_and_zero_width_characters_has_no_text(tmp_path) -> None:
    from app.core.reading.reader import ReadError, read_article

    path = tmp_path / "invisible.txt"
    path.write_text("\u200b\u2060\ufeff\u00a0\u3000 \u2009\n\u200b\u200d\n" * 20, "utf-8")
    with pytest.raises(ReadError, match="no text"):
        read_article(path, tmp_path)
