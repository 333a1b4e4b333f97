"""The spider's callbacks and the pipelines fed responses built from saved bytes (GBK
pages with their real bytes and headers), without a network: routing of links,
feeds, sitemaps, errors, extraction, relevance and the batched writer."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from sqlalchemy import func, select

from archive import Document
from archive.models import Article, CrawlError, SeenUrl
from archive.store import store_document
from crawler.context import CrawlContext, set_context
from crawler.items import PageItem
from crawler.pipelines import ExtractPipeline, RelevancePipeline, StorePipeline
from crawler.profiles import parse_profiles
from crawler.spiders.site import SiteSpider
from tests.sites.harness import SITES

WWW = Path(__file__).parent / "sites" / "www"
BASE = "http://127.0.0.1:8000"

PROFILES = {p.key: p for p in parse_profiles(SITES.replace("{base}", BASE), "test.toml")}


def saved(
    path: str,
    *,
    url: str | None = None,
    headers: dict | None = None,
    cls=HtmlResponse,
    status: int = 200,
) -> Response:
    """A response with the fixture file's real bytes; .html sent without a charset."""
    body = (WWW / path).read_bytes().replace(b"__BASE__", BASE.encode())
    url = url or f"{BASE}/{path}"
    req = Request(url, meta={"hint": "auto"})
    return cls(
        url=url,
        body=body,
        headers=headers or {"Content-Type": "text/html"},
        request=req,
        status=status,
    )


@pytest.fixture
def ctx(sqlite_archive):
    c = CrawlContext(sqlite_archive, warc=False, batch_size=1000, batch_seconds=3600)
    yield c
    c.finish()


def spider_for(key: str, ctx: CrawlContext) -> SiteSpider:
    spider = SiteSpider(profile=PROFILES[key])
    spider.ctx = ctx
    return spider


def test_list_page_routes_articles_pagination_and_drops_the_rest(ctx):
    spider = spider_for("portal", ctx)
    resp = saved("portal/index_2.html")
    resp.meta["hint"] = "list"
    out = list(spider.parse_page(resp))
    assert not [o for o in out if isinstance(o, PageItem)]  # a list page is not extracted
    hints = {r.url.replace(BASE, ""): r.meta["hint"] for r in out}
    assert hints["/portal/2024-03/25/content_1005.html"] == "article"
    assert hints["/portal/index_3.html"] == "list"
    assert "/portal/index.html" in hints  # nav links back to page 1
    # the utm_* copy of content_1001 is asked for without its tracking parameters
    assert "/portal/2024-03/15/content_1001.html" in hints
    assert not [u for u in hints if "utm_" in u]


def test_known_articles_and_max_pages_are_not_requested(ctx):
    spider = spider_for("portal", ctx)
    spider.known = {f"{BASE}/portal/2024-03/25/content_1005.html"}
    resp = saved("portal/index_2.html")
    resp.meta["hint"] = "list"
    urls = [r.url for r in spider.parse_page(resp)]
    assert f"{BASE}/portal/2024-03/25/content_1005.html" not in urls
    assert ctx.site("portal").skipped_known == 1
    tight = SiteSpider(
        profile=PROFILES["portal"].__class__(**{**PROFILES["portal"].__dict__, "max_pages": 2})
    )
    tight.ctx = ctx
    assert len(list(tight.parse_page(resp))) == 2


def test_offsite_and_static_links_are_not_followed(ctx):
    spider = spider_for("police", ctx)
    assert spider.make_request("http://example.com/a.html", "auto") is None
    assert spider.make_request(f"{BASE}/police/logo.png", "auto") is None
    assert spider.make_request("javascript:void(0)", "auto") is None
    assert spider.make_request(f"{BASE}/police/a.html#top", "auto").url == f"{BASE}/police/a.html"
    assert spider.make_request(f"{BASE}/police/a.html", "auto") is None  # asked once only


def test_http_error_response_is_recorded(ctx, sqlite_archive):
    spider = spider_for("portal", ctx)
    resp = HtmlResponse(
        url=f"{BASE}/portal/x.html",
        status=404,
        body=b"Not Found",
        request=Request(f"{BASE}/portal/x.html"),
    )
    assert list(spider.parse_page(resp)) == []
    ctx.writer.flush()
    with sqlite_archive.session() as s:
        err = s.scalars(select(CrawlError)).one()
        assert (err.status, err.error, err.site) == (404, "HTTP 404", "portal")
    assert ctx.site("portal").pages == 1 and ctx.site("portal").ok_pages == 0


def test_pdf_is_recorded_as_not_html(ctx, sqlite_archive):
    spider = spider_for("portal", ctx)
    url = f"{BASE}/portal/2024-03/20/content_9003.html"
    resp = Response(
        url=url,
        body=b"%PDF-1.4 ...",
        headers={"Content-Type": "application/pdf"},
        request=Request(url, meta={"hint": "article"}),
    )
    assert list(spider.parse_page(resp)) == []
    ctx.writer.flush()
    with sqlite_archive.session() as s:
        assert s.scalars(select(CrawlError.error)).one() == "not HTML (application/pdf)"
        assert s.get(SeenUrl, url).verdict == "not-html"


def test_atom_feed_entries_become_article_requests(ctx):
    spider = spider_for("blog", ctx)
    resp = saved(
        "blog/feed.xml", headers={"Content-Type": "application/atom+xml"}, cls=TextResponse
    )
    reqs = list(spider.parse_feed(resp))
    assert [r.url for r in reqs] == [
        f"{BASE}/blog/2024/03/20/shuadan.html",
        f"{BASE}/blog/2024/04/26/hunlian.html",
        f"{BASE}/blog/2024/04/11/library.html",
    ]
    assert {r.meta["hint"] for r in reqs} == {"article"}


def test_rss_feed_and_a_malformed_feed(ctx, sqlite_archive):
    spider = spider_for("blog", ctx)
    rss = (
        b'<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><title>\xb7\xb4\xd5\xa9</title>'
        b"<item><title>a</title><link>/blog/2024/03/20/shuadan.html</link></item></channel></rss>"
    )
    url = f"{BASE}/blog/rss.xml"
    reqs = list(spider.parse_feed(TextResponse(url=url, body=rss, request=Request(url))))
    assert [r.url for r in reqs] == [f"{BASE}/blog/2024/03/20/shuadan.html"]
    bad = TextResponse(url=url, body=b"\x00\x01 not xml at all", request=Request(url))
    assert list(spider.parse_feed(bad)) == []
    ctx.writer.flush()
    with sqlite_archive.session() as s:
        assert "malformed feed" in s.scalars(select(CrawlError.error)).one()


def test_sitemap_index_and_gzipped_sitemap(ctx):
    spider = spider_for("hidden", ctx)
    idx = saved(
        "hidden/sitemap_index.xml", headers={"Content-Type": "application/xml"}, cls=TextResponse
    )
    subs = list(spider.parse_sitemap(idx))
    assert [r.url for r in subs] == [
        f"{BASE}/hidden/sitemap-news.xml",
        f"{BASE}/hidden/sitemap-pages.xml.gz",
    ]
    assert all(r.callback == spider.parse_sitemap for r in subs)
    news = saved(
        "hidden/sitemap-news.xml", headers={"Content-Type": "application/xml"}, cls=TextResponse
    )
    assert [r.url.rsplit("/", 1)[1] for r in spider.parse_sitemap(news)] == [
        "touzi.html",
        "gouwu.html",
    ]
    url = f"{BASE}/hidden/sitemap-pages.xml.gz"
    gz = Response(
        url=url, body=(WWW / "hidden/sitemap-pages.xml.gz").read_bytes(), request=Request(url)
    )
    assert gzip.decompress(gz.body).startswith(b"<?xml")
    assert [r.url for r in spider.parse_sitemap(gz)] == [f"{BASE}/hidden/about.html"]


def _pipeline_crawler(key: str, ctx: CrawlContext):
    crawler = get_crawler(SiteSpider, {"FANZHA_MIN_ARTICLE_CHARS": 150})
    crawler.spider = spider_for(key, ctx)
    return crawler


def _item(key: str, path: str, hint: str = "auto", headers: dict | None = None) -> PageItem:
    resp = saved(path, headers=headers)
    return PageItem(
        site=key, url=resp.url, request_url=resp.url, status=200, body=resp.body,
        fetched_at=datetime.now(UTC), header_charset=None, hint=hint, warc_ref="warc:x.warc.gz#0",
    )  # fmt: skip


def _through(item: PageItem, key: str, ctx: CrawlContext) -> PageItem:
    crawler = _pipeline_crawler(key, ctx)
    for cls in (ExtractPipeline, RelevancePipeline, StorePipeline):
        item = cls(crawler, ctx).process_item(item)
    return item


def test_gbk_page_with_charset_only_in_meta_is_decoded(ctx, sqlite_archive):
    raw = (WWW / "police/news/2024/0315/shuadan.html").read_bytes()
    assert "刷单返利".encode("gbk") in raw and "刷单返利".encode() not in raw  # real GBK bytes
    item = _through(_item("police", "police/news/2024/0315/shuadan.html"), "police", ctx)
    assert "刷单返利" in item.document.title
    ctx.writer.flush()
    with sqlite_archive.session() as s:
        art = s.scalars(select(Article)).one()
        assert "平安市公安局提醒您" in art.text and "\ufffd" not in art.text
        assert art.raw_ref == "warc:x.warc.gz#0" and art.source.key == "police"
        assert art.extra["encoding"] in ("gb18030", "gbk", "gb2312")


def test_profile_encoding_override_wins_over_a_lying_meta(ctx):
    lying = (
        (WWW / "police/news/2024/0315/shuadan.html")
        .read_bytes()
        .replace(b"charset=gb2312", b"charset=utf-8")
    )
    prof = PROFILES["police"].__class__(**{**PROFILES["police"].__dict__, "encoding": "gbk"})
    spider = SiteSpider(profile=prof)
    spider.ctx = ctx
    crawler = get_crawler(SiteSpider)
    crawler.spider = spider
    item = _item("police", "police/news/2024/0315/shuadan.html")
    item.body = lying
    out = ExtractPipeline(crawler, ctx).process_item(item)
    assert "刷单返利" in out.document.title


def test_list_tag_and_search_pages_are_not_articles(ctx):
    crawler = _pipeline_crawler("police", ctx)
    for path in ("police/index.html", "police/tag/fanzha.html", "police/search.html"):
        with pytest.raises(DropItem, match="not an article"):
            ExtractPipeline(crawler, ctx).process_item(_item("police", path))
    assert ctx.site("police").not_articles == 3


def test_off_topic_article_dropped_on_a_keywords_site(ctx, sqlite_archive):
    crawler = _pipeline_crawler("portal", ctx)
    item = ExtractPipeline(crawler, ctx).process_item(
        _item("portal", "portal/2024-03/16/content_1003.html", "article")
    )
    with pytest.raises(DropItem, match="not about fraud"):
        RelevancePipeline(crawler, ctx).process_item(item)
    ctx.writer.flush()
    with sqlite_archive.session() as s:
        assert s.get(SeenUrl, item.url).verdict == "irrelevant"
    assert item.url in ctx.known_urls("portal")  # not downloaded again next time


def test_malformed_and_empty_article_pages_are_errors(ctx, sqlite_archive):
    crawler = _pipeline_crawler("portal", ctx)
    for name in ("content_9001.html", "content_9000.html"):
        with pytest.raises(DropItem):
            ExtractPipeline(crawler, ctx).process_item(
                _item("portal", f"portal/2024-03/20/{name}", "article")
            )
    ctx.writer.flush()
    with sqlite_archive.session() as s:
        errors = sorted(s.scalars(select(CrawlError.error)))
    assert errors[0].startswith("empty page") and errors[1].startswith("malformed page")


def test_writes_are_batched_not_per_item(sqlite_archive):
    ctx = CrawlContext(sqlite_archive, warc=False, batch_size=50, batch_seconds=3600)
    for n in range(120):
        doc = Document(
            url=f"{BASE}/a/{n}.html",
            title=f"标题{n}",
            text=f"第{n}篇 反诈提醒" * 20,
            source_key="s",
            source_name="s",
        )
        ctx.writer.add_document("s", doc, doc.url)
    assert ctx.writer.commits == 2 and ctx.writer.pending() == 20
    ctx.finish()
    assert ctx.writer.commits == 3 and ctx.site("s").new == 120
    with sqlite_archive.session() as s:
        assert s.scalar(select(func.count(Article.id))) == 120


def test_a_bad_item_in_a_batch_costs_only_itself(sqlite_archive):
    ctx = CrawlContext(sqlite_archive, warc=False, batch_size=10, batch_seconds=3600)
    from datetime import datetime as naive_dt

    for n in range(10):
        doc = Document(
            url=f"{BASE}/b/{n}.html",
            title=f"标题{n}",
            text="反诈" * 50,
            source_key="s",
            source_name="s",
        )
        if n == 4:
            doc.published_at = naive_dt(2024, 1, 1)  # naive: the database layer refuses it
        ctx.writer.add_document("s", doc, doc.url)
    ctx.finish()
    assert ctx.site("s").new == 9 and ctx.site("s").errors == 1
    with sqlite_archive.session() as s:
        assert "storing failed" in s.scalars(select(CrawlError.error)).one()


def test_from_crawler_applies_the_profile_delay_and_known_urls(sqlite_archive):
    doc = Document(
        url=f"{BASE}/wechat/s/known.html",
        title="t",
        text="反诈" * 80,
        source_key="wechat",
        source_name="w",
        site="wechat",  # known URLs are a site's articles (article.site), as crawled
    )
    with sqlite_archive.session() as s:
        store_document(s, doc)
    prof = PROFILES["wechat"].__class__(**{**PROFILES["wechat"].__dict__, "download_delay": 3.0})
    settings = Settings({"FANZHA_HOME": str(sqlite_archive.home), "FANZHA_WARC": False})
    crawler = Crawler(SiteSpider, settings)  # settings still open, as before a crawl starts
    spider = SiteSpider.from_crawler(crawler, profile=prof)
    try:
        assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 3.0
        assert spider.known == {f"{BASE}/wechat/s/known.html"}
        assert spider.make_request(f"{BASE}/wechat/s/known.html?utm_source=x", "article") is None
    finally:
        spider.ctx.finish()
        set_context(None)


def test_nothing_is_stored_once_the_database_has_failed(ctx):
    crawler = _pipeline_crawler("police", ctx)
    item = ExtractPipeline(crawler, ctx).process_item(
        _item("police", "police/news/2024/0315/shuadan.html")
    )
    ctx.writer.fatal = "database: disk full"
    with pytest.raises(DropItem, match="not stored: database: disk full"):
        StorePipeline(crawler, ctx).process_item(item)
    assert ctx.writer.pending() == 0


def test_runner_refuses_a_second_crawl_in_one_process(sqlite_archive):
    from crawler import runner
    from crawler.errors import CrawlerError, CrawlFailed

    with pytest.raises(CrawlerError, match="no sites to crawl"):
        runner.crawl(sqlite_archive, [], guard=runner.ReactorGuard())
    after_a_crawl = runner.ReactorGuard(started=True)
    with pytest.raises(CrawlFailed, match="reactor cannot restart") as exc:
        runner.crawl(sqlite_archive, [PROFILES["wechat"]], guard=after_a_crawl)
    assert exc.value.exit_code == 1


def test_a_gzipped_sitemap_inflating_past_the_limit_is_refused(ctx, sqlite_archive):
    """A sitemap bomb: a few KB of gzip that inflate past FANZHA_SITEMAP_MAXSIZE is one
    recorded error, never inflated in full (Scrapy's sitemap spider caps it the same way)."""
    spider = spider_for("hidden", ctx)
    spider.crawler = get_crawler(SiteSpider, {"FANZHA_SITEMAP_MAXSIZE": 100_000})
    entry = f"<url><loc>{BASE}/hidden/about.html</loc></url>"
    bomb = gzip.compress(("<?xml version='1.0'?><urlset>" + entry * 20_000 + "</urlset>").encode())
    assert len(bomb) < 20_000
    url = f"{BASE}/hidden/bomb.xml.gz"
    assert list(spider.parse_sitemap(Response(url=url, body=bomb, request=Request(url)))) == []
    ctx.writer.flush()
    with sqlite_archive.session() as s:
        errors = list(s.scalars(select(CrawlError.error)))
    assert errors == ["sitemap larger than 100000 bytes unpacked"]
