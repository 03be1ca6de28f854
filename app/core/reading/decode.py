"""Bytes to text: BOMs, UTF-8, UTF-16/32 and detected legacy encodings (cp1251, GB18030, ...)."""

from __future__ import annotations

import codecs
import unicodedata

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Share of invalid bytes under which a file is taken as damaged UTF-8 rather than another charset.
_UTF8_DAMAGE_TOLERANCE = 0.002
_SNIFF = 64 * 1024
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


class DecodeError(ValueError):
    """The bytes are binary or in no encoding that could be recognised."""


def _looks_utf16(sample: bytes) -> str | None:
    """Guess BOM-less UTF-16 from the position of NUL bytes in ASCII-heavy text."""
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    if odd > 0.3 * half and even < 0.02 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.02 * half:
        return "utf-16-be"
    return None


def _nul_parity(sample: bytes) -> str | None:
    """The UTF-16 byte order NUL bytes point to, when most sit on one parity.

    Russian or Chinese UTF-16 has NULs mostly where it writes ASCII (spaces, digits,
    punctuation, newlines): few, but in the high byte of their code unit (a Chinese
    character such as 一, U+4E00, puts one in the low byte). The decoded text must then
    pass :func:`_plausible_text`. (Without a
    single NUL, text and legacy double-byte encodings look alike; those go to detection.)
    """
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    if odd > 2 * even:
        return "utf-16-le"
    if even > 2 * odd:
        return "utf-16-be"
    return None


# Letters of one writing system; a real UTF-16 text keeps nearly all its letters in one or two.
_SCRIPTS = ((0x0000, 0x024F, "latin"), (0x0370, 0x03FF, "greek"), (0x0400, 0x052F, "cyrillic"),
            (0x0530, 0x058F, "armenian"), (0x0590, 0x05FF, "hebrew"), (0x0600, 0x06FF, "arabic"),
            (0x0900, 0x0DFF, "indic"), (0x0E00, 0x0E7F, "thai"), (0x10A0, 0x10FF, "georgian"),
            (0x1E00, 0x1EFF, "latin"), (0x3040, 0x30FF, "cjk"), (0x3400, 0x4DBF, "cjk"),
            (0x4E00, 0x9FFF, "cjk"), (0xAC00, 0xD7AF, "hangul"), (0xF900, 0xFAFF, "cjk"),
            (0xFF00, 0xFFEF, "cjk"))


def _script(cp: int) -> str:
    for lo, hi, name in _SCRIPTS:
        if lo <= cp <= hi:
            return name
    return "other"


def _plausible_text(text: str) -> bool:
    """Whether decoded text reads as writing rather than bytes decoded in the wrong encoding.

    Wrong guesses produce control characters, unassigned or private-use code points, lone
    surrogates, and letters scattered over unrelated scripts (Hangul, Yi and CJK at once).
    """

    sample = text[:20_000]
    if not sample.strip():
        return False
    counts: dict[str, int] = {}
    letters = 0
    for ch in sample:
        cat = unicodedata.category(ch)
        if cat[0] == "C" and ch not in "\t\n\r\f\ufeff\u200b\u200c\u200d\u2060":
            return False
        if cat[0] == "L":
            letters += 1
            script = _script(ord(ch))
            counts[script] = counts.get(script, 0) + 1
    if letters < max(2, len(sample) * 0.3):
        return False
    top = sorted(counts.values(), reverse=True)
    # Latin beside the main script is common (names, acronyms): the two largest must hold them all.
    return sum(top[:2]) >= 0.97 * letters and top[0] >= 0.6 * letters


def _try_utf16(data: bytes, encoding: str) -> str | None:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return text if _plausible_text(text) else None


def _is_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    control = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return bool(sample) and control / len(sample) > 0.05


def normalize_newlines(text: str) -> str:
    """Turn CRLF and lone CR line endings into LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes.

    Returns:
        ``(text, encoding)`` with line endings normalised to ``\\n`` and any BOM removed.

    Raises:
        DecodeError: for binary data or bytes that no encoding explains.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(encoding.replace("-sig", ""))
            except UnicodeDecodeError as exc:
                raise DecodeError(f"invalid {encoding} after its byte-order mark: {exc.reason}") from exc
            return normalize_newlines(text), encoding.replace("-sig", "") + ("-bom" if "8" in encoding else "")
    sample = data[:_SNIFF]
    if b"\x00" in sample:
        guess = _looks_utf16(sample) or _nul_parity(sample)
        for utf16 in (guess,) if guess else ("utf-16-le", "utf-16-be"):
            wide = _try_utf16(data, utf16)
            if wide is not None:
                return normalize_newlines(wide), utf16
    if _is_binary(sample):
        raise DecodeError("binary file (contains NUL or control bytes)")
    try:
        return normalize_newlines(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    damaged = data.decode("utf-8", errors="replace")
    bad = damaged.count("\ufffd")
    # Legacy 8-bit text almost never forms valid multi-byte UTF-8 sequences, so valid ones
    # outnumbering the errors (or a handful of stray bytes in ASCII) mean damaged UTF-8.
    valid_multibyte = sum(1 for ch in damaged if ord(ch) > 127) - bad
    if valid_multibyte >= bad or bad <= max(1, len(data) * _UTF8_DAMAGE_TOLERANCE):
        return normalize_newlines(damaged), "utf-8 (damaged)"
    return _detect(data)


def _detect(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes  # imported lazily: it is slow to import

    best = from_bytes(data[: 4 * 1024 * 1024] if len(data) > 4 * 1024 * 1024 else data).best()
    if best is None or best.encoding is None:
        raise DecodeError("unknown text encoding")
    encoding = best.encoding
    # GBK and GB2312 are subsets of GB18030; decoding with the superset loses nothing.
    if encoding.lower() in ("gbk", "gb2312", "cp936"):
        encoding = "gb18030"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"could not decode as {encoding}: {exc}") from exc
    return normalize_newlines(text), encoding
