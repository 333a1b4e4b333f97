"""Property tests: any bytes given to the importer, the decoder or the extractor give a
result or a one-line ``InputError``, never another exception, in bounded time (the
hypothesis deadline) and bounded memory (tracemalloc's peak per example).

Example counts are modest so that the file runs in well under a minute on a busy
2-core machine; ``derandomize`` keeps every run the same.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import Archive
from archive.errors import InputError
from archive.extract.encoding import decode_html, decode_text
from archive.extract.html import extract
from archive.extract.page import page_document
from archive.extract.relevance import classify
from archive.importers.batch import import_paths
from archive.importers.files import read_bytes, read_document
from archive.scrub import scrub_document

#: most memory (Python allocations) one example may take at its peak
MEMORY_LIMIT = 64 * 1024 * 1024

PROPERTY = settings(
    max_examples=60,
    deadline=timedelta(seconds=5),  # generous: the machine is shared
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(PROPERTY, max_examples=15)


def bounded(fn: Callable[[], Any]) -> Any:
    """``fn()``, asserting its peak Python memory stays under ``MEMORY_LIMIT``."""
    tracemalloc.start()
    try:
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_LIMIT, f"peak {peak / 2**20:.0f} MiB"
    return result


def one_line_input_error(call: Callable[[], Any]) -> Any:
    """``call()``'s result, or None when it raised a one-line InputError."""
    try:
        return bounded(call)
    except InputError as exc:
        assert exc.reason and "\n" not in exc.reason and len(exc.reason) < 400
        return None


# --- inputs -------------------------------------------------------------------------

ZH = "民警提醒谨防刷单返利诈骗不要轻信陌生人转账公检法安全账户。，！"
TEXT = st.text(alphabet=st.sampled_from(ZH + "abc:-[]{}&*!|>'\"\\\n\t #%@`\x00\ud800"))
YAML_PIECES = st.sampled_from(
    [
        "title: 标题\n",
        "date: 2022-13-45\n",
        "date: 2022-05-11 10:00:00 +08:00\n",
        "date: 0001-01-01\n",
        'title: "\\ud800\\0"\n',
        "a: &a [x, x, x, x, x, x, x, x]\n",
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n",
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n",
        "title: *c\n",
        "tags: *b\n",
        "r: &r [*r]\n",
        "author:\t张三\n",
        "url: http://a.test/x\n",
        "n: 99999999999999999999999999\n",
        "? [a, b]\n: c\n",
        "x: !!binary aGVsbG8=\n",
        "y: !!python/object:os.system ls\n",
        "- a\n",
        "[[[[[[[[[[\n",
        "k: {a: 1\n",
    ]
)
FRONT_MATTER = st.builds(
    lambda pieces, extra, body: ("---\n" + "".join(pieces) + extra + "\n---\n" + body).encode(
        "utf-8", "surrogatepass"
    ),
    st.lists(YAML_PIECES, max_size=8),
    TEXT,
    TEXT,
)
TAGS = ["p", "div", "embed", "object", "iframe", "video", "script", "style", "table", "td"]
TAGS += ["h1", "title", "textarea", "noembed", "a", "br", "meta", "svg", "template", "head"]
HTML_PIECES = st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(
        [
            '<meta charset="gbk">',
            '<meta name="pubdate" content="2022-13-45">',
            '<script type="application/ld+json">{"datePublished": "\\ud800", "author": 1}</script>',
            "<!--",
            "<![CDATA[",
            "&#0;&#xd800;&#x110000;&#99999999999;",
            "<?xml version='1.0'?>",
            '<link rel="canonical" href="http://[::1">',
            '<img src="javascript:x">',
            "发布时间：2022年5月11日",
        ]
    ),
    TEXT,
)
HTML = st.lists(HTML_PIECES, max_size=30).map("".join)
FIXTURE_PAGES = [
    p.read_bytes() for p in sorted((Path(__file__).parent / "data" / "pages").glob("*.html"))
]


@st.composite
def mutated_page(draw: st.DrawFn) -> bytes:
    """A fixture page (real-world shapes: GBK, BOM, JSON-LD, WeChat) cut, repeated and
    spliced with odd pieces at random places."""
    page = bytearray(draw(st.sampled_from(FIXTURE_PAGES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(page)))
        end = draw(st.integers(at, min(len(page), at + 400)))
        op = draw(st.sampled_from(["cut", "repeat", "insert"]))
        if op == "cut":
            del page[at:end]
        elif op == "repeat":
            page[at:at] = page[at:end]
        else:
            piece = draw(st.one_of(HTML_PIECES, st.binary(max_size=20).map(repr)))
            page[at:at] = piece.encode("utf-8", "surrogatepass")
    return bytes(page)


CHARSETS = st.sampled_from([None, "gbk", "gb2312", "utf-8", "big5", "latin-1", "utf-16", "x"])


def _gbk_page(text: str) -> bytes:
    return f"<html><head><title>{text}</title></head><body><p>{text}</p></body></html>".encode(
        "gbk", "replace"
    )


PAGE_BYTES = st.one_of(
    st.binary(max_size=3000),
    mutated_page(),
    HTML.map(lambda s: s.encode("utf-8", "surrogatepass")),
    HTML.map(lambda s: s.encode("gb18030", "replace")),
    st.text(alphabet=ZH).map(_gbk_page),
    st.tuples(st.text(alphabet=ZH).map(_gbk_page), st.binary(max_size=50)).map(
        lambda t: t[0][: len(t[0]) // 2] + t[1] + t[0][len(t[0]) // 2 :]
    ),
)


@pytest.fixture(scope="module", autouse=True)
def _warm_caches() -> None:
    """Load what the extractor and the classifier load once (jieba's dictionary, OpenCC)
    outside the bounds: they hold per input, not for start-up (under tracemalloc the
    dictionary alone takes minutes)."""
    for page in FIXTURE_PAGES:
        page_document(page, "http://a.test/x.html")
    classify("反诈提醒", "民警提醒：谨防刷单返利诈骗。")


# --- the decoder ----------------------------------------------------------------------


@PROPERTY
@given(PAGE_BYTES, CHARSETS)
def test_decode_html_gives_text_or_input_error(body: bytes, charset: str | None) -> None:
    result = one_line_input_error(lambda: decode_html(body, charset))
    if result is not None:
        text, encoding = result
        assert isinstance(text, str) and encoding


@PROPERTY
@given(st.one_of(st.binary(max_size=3000), PAGE_BYTES))
def test_decode_text_gives_text_or_input_error(data: bytes) -> None:
    result = one_line_input_error(lambda: decode_text(data, "f.txt"))
    if result is not None:
        assert isinstance(result[0], str)


# --- the extractor --------------------------------------------------------------------


@PROPERTY
@given(HTML)
def test_extract_never_raises(page: str) -> None:
    ex = bounded(lambda: extract(page, "http://a.test/x.html"))
    assert isinstance(ex.text, str) and isinstance(ex.title, str)


@PROPERTY
@given(PAGE_BYTES, CHARSETS)
def test_page_document_gives_a_verdict(body: bytes, charset: str | None) -> None:
    result = bounded(lambda: page_document(body, "http://a.test/x", header_charset=charset))
    assert result.verdict and (result.document is not None or result.reason)


# --- the importer ---------------------------------------------------------------------


def _read(tmp: Path, name: str, data: bytes):
    path = tmp / name
    path.write_bytes(data)

    def read():
        doc = scrub_document(read_document(path, read_bytes(path)))
        for value in (doc.title, doc.text, doc.author or "", doc.source_name or "", doc.url):
            assert "\x00" not in value
            value.encode("utf-8")  # no lone surrogate
        return doc

    return one_line_input_error(read)


@PROPERTY
@given(FRONT_MATTER)
def test_markdown_with_front_matter(tmp_path_factory, data: bytes) -> None:
    _read(tmp_path_factory.mktemp("md"), "a.md", data)


@PROPERTY
@given(st.one_of(st.binary(max_size=3000), TEXT.map(lambda s: s.encode("utf-8", "surrogatepass"))))
def test_text_file(tmp_path_factory, data: bytes) -> None:
    _read(tmp_path_factory.mktemp("txt"), "a.txt", data)


@PROPERTY
@given(PAGE_BYTES)
def test_html_file(tmp_path_factory, data: bytes) -> None:
    _read(tmp_path_factory.mktemp("html"), "a.html", data)


@FEW
@given(st.lists(st.one_of(FRONT_MATTER, PAGE_BYTES), min_size=1, max_size=4))
def test_import_stores_or_reports_every_file(tmp_path_factory, files: list[bytes]) -> None:
    """Through the database (SQLite): every file is stored, skipped or has one error."""
    tmp = tmp_path_factory.mktemp("batch")
    (tmp / "in").mkdir()
    for i, (ext, data) in enumerate(zip([".md", ".html", ".txt", ".htm"], files, strict=False)):
        (tmp / "in" / f"{i}{ext}").write_bytes(data)
    archive = Archive.open(tmp / "home")
    try:
        report = import_paths(archive, [tmp / "in"])
    finally:
        archive.close()
    seen = report.imported + report.updated + report.skipped + report.errors
    assert len(seen) == len(files)
    assert all("\n" not in e["error"] for e in report.errors)
