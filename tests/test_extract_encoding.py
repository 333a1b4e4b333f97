"""decode_html: BOM, HTTP header, meta charset, detection; declarations that lie; no mojibake."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from archive.errors import InputError
from archive.extract.encoding import (
    canonical_encoding,
    declared_charset,
    decode_html,
    decode_text,
    plausible_text,
)

PAGES = Path(__file__).parent / "data" / "pages"
TEXT = "国家反诈中心提醒：凡是要求转账到“安全账户”的，都是诈骗。𠮷字也要能解码。"


def page(body: str, head: str = "") -> str:
    return f"<html><head>{head}<title>反诈</title></head><body><p>{body}</p></body></html>"


def test_gbk_page_with_charset_only_in_meta():
    raw = (PAGES / "gbk_meta.html").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text, enc = decode_html(raw)
    assert enc == "gb18030"
    assert "冒充公检法诈骗案告破" in text


def test_declared_gb2312_but_utf8_bytes():
    raw = (PAGES / "declared_gb2312_but_utf8.html").read_bytes()
    assert declared_charset(raw) == "gb2312"
    text, enc = decode_html(raw)
    assert enc == "utf-8"
    assert "杀猪盘" in text


def test_declared_utf8_but_gbk_bytes():
    raw = page(TEXT * 5, '<meta charset="utf-8">').encode("gb18030")
    text, enc = decode_html(raw)
    assert enc == "gb18030" and TEXT in text


def test_header_charset_wins_over_meta_when_both_decode():
    raw = b'<html><head><meta charset="gbk"></head><body>plain ascii</body></html>'
    assert decode_html(raw, "text/html; charset=ISO-8859-1")[1] == "iso8859-1"
    assert decode_html(raw)[1] == "gb18030"  # the meta declaration, without a header
    text, enc = decode_html(page(TEXT).encode("gb18030"), "GBK")
    assert enc == "gb18030" and TEXT in text


def test_lying_header_is_not_trusted():
    text, enc = decode_html(page(TEXT * 3).encode("utf-8"), "gb2312")
    assert enc == "utf-8" and TEXT in text


def test_bom_wins_over_a_meta_declaration():
    text, enc = decode_html((PAGES / "bom.html").read_bytes())
    assert enc == "utf-8" and not text.startswith("\ufeff")
    assert "修复征信" in text
    raw = codecs.BOM_UTF16_LE + page(TEXT).encode("utf-16-le")
    text, enc = decode_html(raw, "gbk")
    assert enc == "utf-16-le" and TEXT in text


def test_gb2312_outside_characters_decode_as_gb18030():
    raw = page("镕基、喆、堃、𠮷" + TEXT, '<meta charset="gb2312">').encode("gb18030")
    text, enc = decode_html(raw)
    assert enc == "gb18030" and "镕基、喆、堃、𠮷" in text


def test_undeclared_gbk_is_detected():
    raw = page(TEXT * 10).encode("gbk", errors="ignore")
    text, _ = decode_html(raw)
    assert "国家反诈中心提醒" in text


def test_a_few_broken_bytes_are_tolerated_but_not_many():
    good = page(TEXT * 50, '<meta charset="utf-8">').encode("utf-8")
    text, enc = decode_html(good[:-40] + b"\xff" + good[-40:])
    assert enc == "utf-8" and 1 <= text.count("\ufffd") <= 4
    broken = b"".join(good[i : i + 20] + b"\xff" for i in range(0, len(good), 20))
    with pytest.raises(InputError, match="cannot decode"):
        decode_html(broken)


def test_binary_and_garbage_raise_input_error():
    with pytest.raises(InputError, match="binary"):
        decode_html(b"%PDF-1.4\x00\x01\x02" * 100, source="x.pdf")
    garbage = bytes(range(0x80, 0x100)) * 40
    with pytest.raises(InputError):
        decode_html(b"<html><meta charset=utf-8>" + garbage)


def test_empty_body():
    assert decode_html(b"") == ("", "utf-8")


def test_plausible_text_rejects_mojibake():
    utf8_as_gbk = TEXT.encode("utf-8").decode("gb18030", errors="replace")
    assert plausible_text(TEXT * 3)
    assert not plausible_text(utf8_as_gbk * 3)
    assert not plausible_text(TEXT.encode("utf-8").decode("latin-1") * 3)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("UTF8", "utf-8"),
        ("text/html; charset=GBK", "gb18030"),
        ("nonsense-enc", None),
        (None, None),
    ],
)
def test_canonical_encoding(name, expected):
    assert canonical_encoding(name) == expected


def test_decode_text_unchanged_for_local_files():
    assert decode_text(TEXT.encode("gbk", errors="ignore"))[1] == "gb18030"
    assert decode_text(TEXT.encode("utf-8")) == (TEXT, "utf-8")
