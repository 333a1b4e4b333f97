"""Extraction on hand-written pages: golden titles, dates, fields, and text snippets
that must / must not be extracted (trafilatura-style manifest in tests/data/pages)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from archive.extract.encoding import decode_html
from archive.extract.html import Extracted, extract, is_article

PAGES = Path(__file__).parent / "data" / "pages"
MANIFEST = json.loads((PAGES / "manifest.json").read_text("utf-8"))


def _extract(entry: dict) -> Extracted:
    page, _ = decode_html((PAGES / entry["file"]).read_bytes())
    return extract(page, entry["url"])


def squash(s: str) -> str:
    return "".join(s.split())


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_golden_pages(entry):
    ex = _extract(entry)
    text = squash(ex.text)
    for snippet in entry["with"]:
        assert squash(snippet) in text, snippet
    for snippet in entry["without"]:
        assert squash(snippet) not in text, snippet
    if "title" in entry:
        assert ex.title == entry["title"]
    if "date" in entry:
        want = datetime.fromisoformat(entry["date"])
        got = ex.published.value
        if "T" in entry["date"]:
            assert got == want
        else:
            assert got.date() == want.date()
    for key in ("author", "source"):
        if key in entry:
            assert getattr(ex, key) == entry[key]
    if "images" in entry:
        assert ex.images == entry["images"]
    if "article" in entry:
        assert ex.looks_like_article is entry["article"]


def test_news_page_metadata_and_lines():
    entry = MANIFEST[0]
    ex = _extract(entry)
    assert ex.keywords == ["刷单", "诈骗", "反诈"]
    assert ex.description == "民警提醒：所有刷单都是诈骗。"
    assert ex.lang == "zh-CN"
    assert ex.canonical_url.startswith("https://news.example.cn/fz/2022/0511/c123-456.html")
    lines = ex.text.split("\n")
    assert lines[0].startswith("本报讯（记者 王小明）")
    assert len(lines) == 4  # one paragraph a line, the editor line gone
    assert ex.link_density < 0.05


def test_list_page_is_not_an_article():
    ex = _extract(MANIFEST[-1])
    assert not ex.looks_like_article
    assert len(squash(ex.text)) < 100


def test_is_article_needs_title_date_and_long_low_link_text():
    ex = _extract(MANIFEST[0])
    assert is_article(ex)
    for change in ({"title": ""}, {"published": None}, {"text": "太短了。"}, {"link_density": 0.6}):
        copy = Extracted(**{**ex.__dict__, **change})
        assert not is_article(copy), change


def test_date_from_url_only_as_last_resort():
    html = "<html><body><h1>反诈提醒</h1><div><p>" + "内容。" * 80 + "</p></div></body></html>"
    ex = extract(html, "https://gaj.example.gov.cn/fz/202205/t20220511_1.html")
    assert ex.published.value.date().isoformat() == "2022-05-11"
    assert extract(html, None).published is None


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("发布时间：2022-05-11 10:23:45 来源：某网", "2022-05-11T10:23:45+08:00"),
        ("2022年05月11日 09:05　来源：人民网", "2022-05-11T09:05:00+08:00"),
        ("发布日期：2022年5月11日", "2022-05-11T00:00:00+08:00"),
    ],
)
def test_byline_date_forms(byline, expected):
    html = (
        f"<html><head><title>标题甲乙丙丁_某网</title></head><body><h1>标题甲乙丙丁</h1>"
        f"<div class='info'>{byline}</div><div class='content'><p>"
        + "正文内容，很长很长。" * 30
        + "</p></div></body></html>"
    )
    ex = extract(html)
    assert ex.published.value == datetime.fromisoformat(expected)
    assert ex.title == "标题甲乙丙丁"


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (
            '<meta property="article:published_time" content="2022-05-11T02:23:45Z">',
            "2022-05-11T10:23:45+08:00",
        ),
        ('<meta name="pubdate" content="2022-05-11 10:23">', "2022-05-11T10:23:00+08:00"),
        ('<meta name="PubDate" content="2022/05/11">', "2022-05-11T00:00:00+08:00"),
        ('<meta name="publishdate" content="2022-05-11">', "2022-05-11T00:00:00+08:00"),
    ],
)
def test_meta_dates_beat_the_visible_text(meta, expected):
    html = (
        f"<html><head>{meta}<title>标题</title></head><body><h1>标题</h1>"
        "<p>2019-01-01 旧日期</p><p>" + "正文。" * 50 + "</p></body></html>"
    )
    assert extract(html).published.value == datetime.fromisoformat(expected)


def test_site_selectors_override_css_and_xpath():
    page = (PAGES / "news.html").read_text("utf-8")
    ex = extract(
        page,
        "https://news.example.cn/x.html",
        selectors={
            "title": "//div[@class='related']/h3",
            "body": "div.left",
            "author": "#nothing-here",
            "published": "div.info",
        },
    )
    assert ex.title == "相关新闻"
    assert "共转账三万八千元" in ex.text
    # link boxes inside the selected body still go
    assert "冒充公检法诈骗手法揭秘" not in ex.text
    assert "分享到微信" not in ex.text
    assert ex.author == "王小明"  # the selector matched nothing: generic fallback
    assert ex.published.value.isoformat() == "2022-05-11T10:23:00+08:00"


def test_bad_selector_falls_back_instead_of_failing():
    page = (PAGES / "news.html").read_text("utf-8")
    ex = extract(page, None, selectors={"body": "div[[[", "title": "//h1[("})
    assert ex.title == "警惕！“刷单返利”骗局又出新花样"
    assert "共转账三万八千元" in ex.text


@pytest.mark.parametrize(
    "page", ["", "   \n", "<html></html>", "<<<>>>", "\x00\x01", "纯文本，没有标签"]
)
def test_degenerate_pages_give_empty_results(page):
    ex = extract(page, "https://x.cn/a.html")
    assert isinstance(ex, Extracted)
    assert not ex.looks_like_article


def test_title_suffix_and_og_title():
    html = (
        "<html><head><title>公安部发布防范电信网络诈骗提示 - 中国警察网</title>"
        "</head><body><p>正文</p></body></html>"
    )
    assert extract(html).title == "公安部发布防范电信网络诈骗提示"
    html = html.replace("<head>", '<head><meta property="og:title" content="OG 标题文字">')
    assert extract(html).title == "OG 标题文字"


def test_traditional_chinese_and_fullwidth_text_are_kept_as_written():
    html = (
        "<html><body><h1>警方提醒</h1><div><p>"
        + "詐騙集團冒充客服，ＡＰＰ下載連結。" * 20
        + "</p></div></body></html>"
    )
    ex = extract(html)
    assert "詐騙集團冒充客服，ＡＰＰ下載連結。" in ex.text
