"""Decoding bytes into text without mojibake.

GB2312 and GBK are decoded as GB18030 (their superset), so characters outside
GB2312 that real pages use anyway decode rather than fail.
"""

from __future__ import annotations

import codecs

from ..errors import InputError

_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]


def canonical_encoding(name: str | None) -> str | None:
    """A Python codec name for a declared charset, with GB* widened to GB18030."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode_text(data: bytes, path: str = "<input>") -> tuple[str, str]:
    """Decode a local text file: BOM, then strict UTF-8, then strict GB18030.

    Raises InputError when the bytes are neither (rather than storing mojibake).
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(enc), enc
            except UnicodeDecodeError as exc:
                raise InputError(path, f"invalid {enc} text at byte {exc.start}") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf_exc:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InputError(
                path, f"invalid text: neither UTF-8 (byte {utf_exc.start}) nor GBK/GB18030"
            ) from None
        if _plausible_chinese(text):
            return text, "gb18030"
        raise InputError(
            path, f"invalid text: not UTF-8 (byte {utf_exc.start}), and not GBK"
        ) from None


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes almost any bytes; accept it only when the result reads as text."""
    sample = text[:5000]
    if not sample:
        return True
    common = sum(
        1
        for c in sample
        if "\u4e00" <= c <= "\u9fff" or c.isascii() or c in "，。、；：？！“”（）《》"
    )
    return common / len(sample) > 0.9
