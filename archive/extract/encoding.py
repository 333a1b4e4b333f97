"""Decoding bytes into text without mojibake.

Web pages are decoded in the order browsers use (WHATWG "encoding sniffing"): a byte
order mark, then the charset of the HTTP ``Content-Type`` header, then a ``<meta
charset>`` / ``http-equiv`` declaration (or an XML declaration) in the first 4 KB, then
detection (charset-normalizer). Unlike a browser, a declaration is not trusted blindly:
Chinese sites often declare gb2312 while serving UTF-8, and the reverse. Each candidate
must decode (strictly, or with at most a handful of broken bytes) into text that reads
as text; otherwise the next candidate is tried, and when none does, ``InputError`` is
raised rather than mojibake returned.

GB2312 and GBK are decoded as GB18030 (their superset), so characters outside
GB2312 that real pages use anyway decode rather than fail.
"""

from __future__ import annotations

import codecs
import functools
import logging
import re

from ..errors import InputError

log = logging.getLogger(__name__)

_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030"}
# WHATWG labels Python's codec registry does not know
_LABELS = {
    "x-gbk": "gbk",
    "csgb2312": "gb2312",
    "chinese": "gbk",
    "iso-ir-58": "gbk",
    "x-euc-cn": "gb2312",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
}

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]

#: how far into the page a charset declaration is looked for
PRESCAN_BYTES = 4096
#: broken byte sequences tolerated in an otherwise clean decoding (a truncated page,
#: one stray byte in a footer); more than this and the candidate is rejected
MAX_BAD_CHARS = 8
MAX_BAD_SHARE = 0.01

_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]{2,40})""", re.IGNORECASE
)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,100}?encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""")
# UTF-8 read as Latin-1 / cp1252: a lead byte letter followed by a continuation byte
_LATIN_SOUP = re.compile(
    "[\u00c2-\u00ef][\u0080-\u00bf\u0152-\u0178\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)
_CONTENT_TYPE_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"'\s;,]+)""", re.IGNORECASE)


def canonical_encoding(name: str | None) -> str | None:
    """A Python codec name for a declared charset, with GB* widened to GB18030."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    m = _CONTENT_TYPE_CHARSET.search(name)  # a whole Content-Type header was passed
    if m:
        name = m.group(1).strip().lower()
    name = _LABELS.get(name, name)
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def declared_charset(body: bytes) -> str | None:
    """The charset a page declares in its first 4 KB (meta tag or XML declaration)."""
    head = body[:PRESCAN_BYTES]
    m = _XML_DECL.search(head) or _META_CHARSET.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def decode_html(
    body: bytes, header_charset: str | None = None, *, source: str = "<html>"
) -> tuple[str, str]:
    """Decode a web page; returns ``(text, encoding)``.

    ``header_charset`` is the charset of the HTTP Content-Type header (the whole header
    value is accepted too). Raises InputError when the bytes are binary or no candidate
    encoding gives plausible text.
    """
    if not body:
        return "", "utf-8"
    for bom, enc in _BOMS:
        if body.startswith(bom):
            text = _try(body[len(bom) :], enc)
            if text is not None:
                return text, enc
            log.info("%s: %s byte order mark but the bytes are not %s", source, enc, enc)
            break
    if looks_binary(body):
        raise InputError(source, "binary content, not a text page")
    candidates: list[tuple[str, str]] = []
    for origin, name in (("header", header_charset), ("meta", declared_charset(body))):
        enc = canonical_encoding(name)
        if enc and enc not in {c for _, c in candidates}:
            candidates.append((origin, enc))
    utf8_multibyte = _is_clean_utf8_with_multibyte(body)
    for origin, enc in candidates:
        if enc != "utf-8" and utf8_multibyte and _is_ascii_compatible(enc):
            # Valid multi-byte UTF-8 is vanishingly unlikely to be GBK (or Latin) text
            # by chance: the declaration is the lie, as on many Chinese sites.
            log.info("%s: %s charset %s but the bytes are UTF-8", source, origin, enc)
            return body.decode("utf-8"), "utf-8"
        text = _try(body, enc)
        if text is not None:
            return text, enc
        log.info("%s: %s charset %s does not decode cleanly; trying others", source, origin, enc)
    tried = {c for _, c in candidates}
    for enc in ("utf-8", *_detected(body), "gb18030"):
        if enc in tried:
            continue
        tried.add(enc)
        text = _try(body, enc)
        if text is not None:
            return text, enc
    raise InputError(
        source,
        "cannot decode the page: "
        + (f"declared {', '.join(c for _, c in candidates)} " if candidates else "")
        + "and no detected encoding gives plausible text",
    )


def _detected(body: bytes) -> list[str]:
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a dependency
        return []
    out = []
    for match in from_bytes(body[:200_000]):
        enc = canonical_encoding(match.encoding)
        if enc and enc not in out:
            out.append(enc)
        if len(out) >= 3:
            break
    return out


def _is_ascii_compatible(enc: str) -> bool:
    return not enc.startswith(("utf-16", "utf-32"))


def _is_clean_utf8_with_multibyte(body: bytes) -> bool:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return sum(1 for c in text[:20000] if ord(c) > 0x7F) >= 4


def _try(body: bytes, enc: str) -> str | None:
    """The text when ``body`` decodes as ``enc`` into plausible text, else None."""
    try:
        text = body.decode(enc)
    except UnicodeDecodeError:
        text = body.decode(enc, errors="replace")
        bad = text.count("\ufffd")
        if bad > MAX_BAD_CHARS or bad > MAX_BAD_SHARE * len(text):
            return None
    except LookupError:
        return None
    return text if plausible_text(text) else None


def plausible_text(text: str) -> bool:
    """Whether decoded text reads as text rather than mojibake.

    GB18030 (and single-byte codecs) decode almost any bytes. Real Chinese text is made
    of common characters: at least 80% of its Han characters are among the 3,755 of
    GB2312 level 1, while UTF-8 read as GBK yields mostly level-2 and rarer characters.
    Control characters and Latin-1 letter soup also count against it.
    """
    sample = text[:20000]
    if not sample:
        return True
    han = common = odd = 0
    for c in sample:
        o = ord(c)
        if 0x4E00 <= o <= 0x9FFF:
            han += 1
            if _gb2312_level1(c):
                common += 1
        elif o < 0x20 and c not in "\t\n\r\f":
            odd += 1
        elif 0x80 <= o <= 0x9F or 0xE000 <= o <= 0xF8FF:
            odd += 1  # C1 controls and private use: mojibake signs
    odd += len(_LATIN_SOUP.findall(sample))
    if odd > max(5, 0.02 * len(sample)):
        return False
    return han < 20 or common / han >= 0.6


@functools.lru_cache(maxsize=8192)
def _gb2312_level1(c: str) -> bool:
    try:
        b = c.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= b[0] <= 0xD7


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
