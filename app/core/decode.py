"""Bytes to text: BOMs, UTF-8, UTF-16/32 and detected legacy encodings (cp1251, GB18030, ...)."""

from __future__ import annotations

import codecs

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
    utf16 = _looks_utf16(sample)
    if utf16:
        try:
            return normalize_newlines(data.decode(utf16)), utf16
        except UnicodeDecodeError:
            pass
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
