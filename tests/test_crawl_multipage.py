"""Articles split over pages (下一页, ``_2.html``, ``-2.html``, ``?page=2``): the crawler
stores one article with its pages joined in order and their URLs kept as aliases;
single-page articles that link to the next article stay apart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archive import Archive
from archive.lookup import find_article
from crawler.pagination import find_pager, next_page, pager_pages
from tests.sites.corpus import BULLETINS
from tests.sites.harness import crawl, fixture_server, write_sites
from tests.sites.templates import esc, portal_article

BASE = "/mp/"
SITE = """
[[site]]
key = "mp"
name = "多页新闻网"
kind = "news"
start_urls = ["{base}/mp/index.html"]
relevance = "all"
"""


def pager(links: list[tuple[str, str]]) -> str:
    return (
        '<div class="pages">'
        + " ".join(f'<a href="{esc(u)}">{esc(t)}</a>' for u, t in links)
        + "</div>"
    )


def page(bulletin, paras: list[str], pager_html: str) -> str:
    html = portal_article(bulletin, paras, base=BASE, site_name="多页新闻网")
    return html.replace('<div class="editor">', pager_html + '<div class="editor">', 1)


def build(root: Path) -> dict[str, list[str]]:
    """Two split articles (2 pages by ``_n``, 3 pages by ``-n``) and two single-page
    articles linking to each other ("下一篇"). Returns each article's paragraphs."""
    two, three, one, other = BULLETINS[0], BULLETINS[1], BULLETINS[2], BULLETINS[3]
    d = root / "mp"
    d.mkdir(parents=True)
    # two pages: a.html, a_2.html; page 1's pager links page 2 as "2" and "下一页"
    a = two.paras
    (d / "a.html").write_text(
        page(two, a[:3], pager([("a.html", "1"), ("a_2.html", "2"), ("a_2.html", "下一页")])),
        encoding="utf-8",
    )
    (d / "a_2.html").write_text(
        page(two, a[3:], pager([("a.html", "上一页"), ("a.html", "1"), ("a_2.html", "2")])),
        encoding="utf-8",
    )
    # three pages: b.html, b-2.html, b-3.html; page 1's pager lists all three
    b = three.paras
    nav = [("b.html", "1"), ("b-2.html", "2"), ("b-3.html", "3")]
    (d / "b.html").write_text(page(three, b[:2], pager([*nav, ("b-2.html", "下一页")])), "utf-8")
    (d / "b-2.html").write_text(page(three, b[2:3], pager([*nav, ("b-3.html", "下一页")])), "utf-8")
    (d / "b-3.html").write_text(page(three, b[3:], pager(nav)), "utf-8")
    # single pages that link to the next article: never joined
    (d / "c.html").write_text(
        page(one, one.paras, pager([("d.html", "下一篇"), ("d.html", "下一页")])), "utf-8"
    )
    (d / "d.html").write_text(page(other, other.paras, pager([("c.html", "上一篇")])), "utf-8")
    rows = "".join(
        f'<li><a href="{n}">{esc(t)}</a></li>'
        for n, t in [
            ("a.html", two.title),
            ("b.html", three.title),
            ("c.html", one.title),
            ("d.html", other.title),
        ]
    )
    (d / "index.html").write_text(
        f'<html><head><meta charset="utf-8"><title>列表</title></head><body><ul>{rows}</ul>'
        '<div class="pages">第1页</div></body></html>',
        encoding="utf-8",
    )
    return {"a": a, "b": b, "c": one.paras, "d": other.paras}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("mpsrv")
    paras = build(root)
    tmp = tmp_path_factory.mktemp("mp")
    with fixture_server(root) as base:
        sites = write_sites(tmp / "sites.toml", base, SITE)
        code, report, err = crawl(tmp / "home", sites)
        assert code == 0, err
        again = crawl(tmp / "home", sites)
    return tmp / "home", base, paras, report, again


def stored(home: Path) -> dict[str, str]:
    with sqlite3.connect(home / "fanzha.db") as db:
        return dict(db.execute("select url, text from article").fetchall())


@pytest.mark.slow
def test_split_articles_are_stored_once_with_their_pages_joined_in_order(crawled):
    home, base, paras, _, _ = crawled
    arts = stored(home)
    url = f"{base}/mp/"
    assert set(arts) == {url + "a.html", url + "b.html", url + "c.html", url + "d.html"}
    assert arts[url + "a.html"].split("\n") == paras["a"]
    assert arts[url + "b.html"].split("\n") == paras["b"]


@pytest.mark.slow
def test_single_pages_linking_to_the_next_article_are_not_joined(crawled):
    home, base, paras, _, _ = crawled
    arts = stored(home)
    assert arts[f"{base}/mp/c.html"].split("\n") == paras["c"]
    assert arts[f"{base}/mp/d.html"].split("\n") == paras["d"]


@pytest.mark.slow
def test_page_urls_are_aliases_of_the_article(crawled):
    home, base, _, _, (code, again, err) = crawled
    arc = Archive.open(home)
    try:
        with arc.session() as s:
            assert find_article(s, f"{base}/mp/b-3.html").url == f"{base}/mp/b.html"
            assert find_article(s, f"{base}/mp/a_2.html").url == f"{base}/mp/a.html"
            art = find_article(s, f"{base}/mp/b.html")
            assert [p["url"] for p in art.extra["pages"]] == [
                f"{base}/mp/b.html",
                f"{base}/mp/b-2.html",
                f"{base}/mp/b-3.html",
            ]
            assert all(p["raw_ref"] for p in art.extra["pages"])  # every page's raw kept
    finally:
        arc.close()
    # a second crawl fetches neither the articles nor their further pages again
    assert code == 0, err
    assert again["new"] == 0 and again["updated"] == 0


def links(*pairs: tuple[str, str]) -> list[tuple[str, str]]:
    return list(pairs)


def test_pager_by_query_parameter():
    url = "http://x.cn/show.php?id=7"
    found = find_pager(url, links(("http://x.cn/show.php?id=7&page=2", "下一页")))
    assert found is not None
    assert found.url_for(3) == "http://x.cn/show.php?id=7&page=3"
    assert next_page(found, 2, links(("http://x.cn/show.php?page=3&id=7", "3"))) == (
        "http://x.cn/show.php?id=7&page=3"
    )


@pytest.mark.parametrize(
    ("url", "pairs"),
    [
        # next article, even when numbered like a page
        ("http://x.cn/a/t20240315_12.html", [("http://x.cn/a/t20240315_13.html", "下一页")]),
        ("http://x.cn/a/123.html", [("http://x.cn/a/124.html", "下一篇")]),
        # a page-2-looking link whose anchor is not a pager's
        ("http://x.cn/a/123.html", [("http://x.cn/a/123_2.html", "相关阅读：另一条新闻")]),
        # another page's page 2
        ("http://x.cn/a/123.html", [("http://x.cn/a/456_2.html", "下一页")]),
    ],
)
def test_no_pager_where_the_link_is_not_this_articles_next_page(url, pairs):
    assert find_pager(url, links(*pairs)) is None


def test_pager_pages_lists_the_pages_the_pager_shows():
    url = "http://x.cn/a/123.html"
    ls = links(
        ("http://x.cn/a/123_3.html", "3"),
        ("http://x.cn/a/123_2.html", "2"),
        ("http://x.cn/a/124.html", "下一篇"),
    )
    found = find_pager(url, ls)
    assert found is not None
    assert pager_pages(found, ls) == ["http://x.cn/a/123_2.html", "http://x.cn/a/123_3.html"]
    assert next_page(found, 1, ls) == "http://x.cn/a/123_2.html"
    assert next_page(found, 3, ls) is None
