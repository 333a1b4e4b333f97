"""Builds the static fixture sites (tests/sites/www) and the bundled sample sites
(fanzha/samples/sites) from the corpus and templates. The generated files are
committed; run this again only after changing the corpus or the templates:

    .venv/bin/python -m tests.sites.build

``__BASE__`` in .xml and .txt files is replaced by the server's base URL when served.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from .corpus import BULLETINS, OFF_TOPIC, Bulletin, by_key, repost
from .templates import (
    atom_feed,
    blog_post,
    police_article,
    police_list,
    portal_article,
    portal_list,
    sitemap,
    sitemap_index,
    wechat_article,
)

HERE = Path(__file__).parent
WWW = HERE / "www"
SAMPLES = HERE.parent.parent / "fanzha" / "samples" / "sites"


def write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


def portal_url(base: str, b: Bulletin, num: int) -> str:
    ym, d = b.date[:7], b.date[8:10]
    return f"{base}{ym}/{d}/content_{num}.html"


def build_portal(
    root: Path,
    base: str,
    items: list[tuple[Bulletin, int]],
    per_page: int,
    extra: dict[int, list[tuple[str, str, str]]] | None = None,
    site_name: str = "平安新闻网",
) -> None:
    """Article pages and paginated list pages (index.html, index_2.html, ...)."""
    related = [(portal_url(base, b, n), b.title) for b, n in items[:4]]
    for b, num in items:
        url = portal_url(base, b, num)
        write(
            root / url.lstrip("/"),
            portal_article(b, b.paras, base=base, related=related, site_name=site_name),
        )
    pages = [items[i : i + per_page] for i in range(0, len(items), per_page)]
    for i, chunk in enumerate(pages, start=1):
        rows = [(portal_url(base, b, n), b.title, b.date) for b, n in chunk]
        rows += (extra or {}).get(i, [])
        nxt = f"{base}index_{i + 1}.html" if i < len(pages) else None
        name = "index.html" if i == 1 else f"index_{i}.html"
        write(
            root / base.lstrip("/") / name,
            portal_list("法治要闻", rows, base=base, next_url=nxt, page=i, site_name=site_name),
        )


POLICE_EDITS = {"人民币": "", "民警": "公安民警", "96110": "96110（全国反诈预警专线）"}
POLICE_HEADER = "【平安市公安局】"
POLICE_SIGNOFF = "平安市公安局提醒您：反诈防骗，人人有责。"


def build_police(root: Path, base: str, keys: list[str], *, with_nav_pages: bool) -> None:
    """A GBK site, charset only in the meta tag; reposts of portal bulletins with edits."""
    rows = []
    for i, key in enumerate(keys):
        b = by_key(key)
        paras = repost(
            b,
            header=POLICE_HEADER,
            signoff=POLICE_SIGNOFF,
            edits=POLICE_EDITS,
            drop=1 if i % 3 == 2 else None,
        )
        b2 = Bulletin(
            b.key, b.title, b.date.replace("09:", "10:"), "平安市公安局", b.author, b.paras
        )
        url = f"{base}news/{b.date[:4]}/{b.date[5:7]}{b.date[8:10]}/{key}.html"
        write(root / url.lstrip("/"), police_article(b2, paras, base=base), "gbk")
        rows.append((url, b.title, b.date))
    links = ""
    if with_nav_pages:
        links = f'| <a href="{base}tag/fanzha.html">反诈专题</a> | <a href="{base}search.html?q=%E5%8F%8D%E8%AF%88">站内搜索</a>'
        tag_rows = [*rows, (f"{base}index.html", "更多警务动态", "2024-05-01 00:00")]
        write(
            root / base.lstrip("/") / "tag" / "fanzha.html", police_list(tag_rows, base=base), "gbk"
        )
        search = (
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>站内搜索</title></head>'
            '<body><form action="search.html"><input name="q" value="反诈"><input type="submit" value="搜索"></form>'
            f"<p>共找到{len(rows)}条结果</p><ul>"
            + "".join(f'<li><a href="{u}">{t}</a></li>' for u, t, _ in rows)
            + "</ul></body></html>"
        )
        write(root / base.lstrip("/") / "search.html", search, "gbk")
    write(
        root / base.lstrip("/") / "index.html",
        police_list(rows, base=base, extra_links=links),
        "gbk",
    )


BLOG_HEADER = "本文转载自“平安反诈”微信公众号，版权归原作者所有，如有侵权请联系删除。"
BLOG_SIGNOFF = "（完）欢迎转发给身边的亲友，一起提高防骗意识。"


def build_blog(
    root: Path, base: str, posts: list[tuple[str, str]], *, edits: dict[str, str] | None = None
) -> None:
    """A Jekyll blog with an Atom feed; every post a repost with a header and sign-off."""
    entries = []
    for key, slug_date in posts:
        b = by_key(key)
        paras = (
            b.paras
            if not b.fraud
            else repost(b, header=BLOG_HEADER, signoff=BLOG_SIGNOFF, edits=edits)
        )
        slug = f"{slug_date}/{key}.html"
        write(root / base.lstrip("/") / slug, blog_post(b, paras, base=base, slug=slug))
        entries.append((f"__BASE__{base}{slug}", b.title, b.date))
    write(root / base.lstrip("/") / "feed.xml", atom_feed(entries, base=f"__BASE__{base}"))
    about = "<p>反诈情报站收集整理各地公安机关发布的反诈预警信息，仅供学习交流。</p>"
    write(
        root / base.lstrip("/") / "about.html",
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于</title></head><body><h1>关于本站</h1>{about}</body></html>',
    )
    archive = "".join(
        f'<li><a href="{u.replace("__BASE__", "")}">{t}</a></li>' for u, t, _ in entries
    )
    write(
        root / base.lstrip("/") / "archive.html",
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>归档</title></head><body><h1>归档</h1><ul>{archive}</ul></body></html>',
    )
    listing = "".join(
        f'<li><a href="{u.replace("__BASE__", "")}">{t}</a> {d[:10]}</li>' for u, t, d in entries
    )
    write(
        root / base.lstrip("/") / "index.html",
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>反诈情报站</title><link rel="alternate" type="application/atom+xml" href="{base}feed.xml"></head><body><h1>反诈情报站</h1><ul>{listing}</ul></body></html>',
    )


WECHAT_HEADER = "点击上方蓝字关注我们"


def build_wechat(root: Path, base: str, arts: list[tuple[str, str]]) -> None:
    rows = []
    for key, code in arts:
        b = by_key(key)
        paras = repost(
            b,
            header=WECHAT_HEADER,
            signoff="转发提醒身边人，别让骗子得逞！",
            edits={"警方提示": "平安反诈提醒"},
        )
        url = f"{base}s/{code}.html"
        write(root / url.lstrip("/"), wechat_article(b, paras))
        rows.append(f'<li><a href="{url}">{b.title}</a></li>')
    write(
        root / base.lstrip("/") / "index.html",
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>平安反诈 文章列表</title></head><body><h1>平安反诈</h1><ul>{"".join(rows)}</ul></body></html>',
    )


def build_fixtures(root: Path = WWW) -> None:
    if root.exists():
        shutil.rmtree(root)
    write(
        root / "robots.txt",
        "User-agent: *\nDisallow: /portal/private/\nSitemap: __BASE__/hidden/sitemap_index.xml\n",
    )
    # portal: originals, off-topic pages, error links, a tracking-parameter duplicate
    fx = {b.key: b for b in [*BULLETINS, *OFF_TOPIC]}
    items = [
        (fx["shuadan"], 1001),
        (fx["kefu"], 1002),
        (fx["weather"], 1003),
        (fx["touzi"], 1004),
        (fx["gongjianfa"], 1005),
        (fx["marathon"], 1006),
        (fx["daikuan"], 1007),
        (fx["zhengxin"], 1008),
    ]
    err = "/portal/2024-03/20/"
    extra = {
        1: [
            (f"{err}content_{n}.html", f"故障页面{n}", "2024-03-20 00:00")
            for n in (9404, 9500, 9408, 9302, 9001, 9000, 9003, 9999, 9301)
        ]
        + [("/portal/private/2024-03/15/content_7777.html", "内部页面", "2024-03-15 00:00")],
        2: [
            (
                portal_url("/portal/", fx["shuadan"], 1001)
                + "?utm_source=wechat&utm_medium=social&utm_campaign=fz",
                fx["shuadan"].title,
                "2024-03-15 09:30",
            )
        ],
        3: [
            (
                portal_url("/portal/", fx["shuadan"], 1001) + "#comments",
                fx["shuadan"].title,
                "2024-03-15 09:30",
            ),
            (
                portal_url("/portal/m/", fx["shuadan"], 1001),
                fx["shuadan"].title + "（手机版）",
                "2024-03-15 09:30",
            ),
        ],
    }
    build_portal(root, "/portal/", items, per_page=3, extra=extra)
    # the mobile copy of content_1001 names the desktop page as canonical: stored once
    desktop = portal_url("/portal/", fx["shuadan"], 1001)
    write(
        root / portal_url("/portal/m/", fx["shuadan"], 1001).lstrip("/"),
        portal_article(fx["shuadan"], fx["shuadan"].paras, base="/portal/m/", canonical=desktop),
    )
    write(
        root / "portal/private/2024-03/15/content_7777.html",
        portal_article(fx["lingdao"], fx["lingdao"].paras, base="/portal/"),
    )
    write(root / f"{err.lstrip('/')}content_9000.html", "")
    write(
        root / f"{err.lstrip('/')}content_9001.html",
        "<html><head><title>残缺<body><div><p>页面\x00\x01<table><tr><td>未闭合 <<<>>> &&& <p",
    )
    build_police(root, "/police/", ["shuadan", "gongjianfa", "lingdao"], with_nav_pages=True)
    build_blog(
        root,
        "/blog/",
        [("shuadan", "2024/03/20"), ("hunlian", "2024/04/26"), ("library", "2024/04/11")],
    )
    build_wechat(root, "/wechat/", [("kefu", "Xy7kP2qA"), ("shuadan", "Mn3bQ8zT")])
    # hidden: reachable only through its sitemap index (one sitemap gzipped)
    write(
        root / "hidden/index.html",
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>隐藏站点</title></head><body><p>本站内容请通过站点地图访问。</p></body></html>',
    )
    hid = [("touzi", "20240405"), ("gouwu", "20240507")]
    for key, day in hid:
        b = fx[key]
        write(
            root / f"hidden/a/{day}/{key}.html",
            portal_article(
                b, repost(b, signoff="（来源：平安日报）"), base="/hidden/", site_name="平安日报"
            ),
        )
    write(
        root / "hidden/about.html",
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于我们</title></head><body><h1>关于我们</h1><p>平安日报是一家地方新闻网站。</p></body></html>',
    )
    write(
        root / "hidden/sitemap-news.xml",
        sitemap([f"__BASE__/hidden/a/{d}/{k}.html" for k, d in hid]),
    )
    gz = root / "hidden/sitemap-pages.xml.gz"
    # (gzip bytes are served as they are: this sitemap's location is relative)
    gz.write_bytes(gzip.compress(sitemap(["/hidden/about.html"]).encode(), mtime=0))
    write(
        root / "hidden/sitemap_index.xml",
        sitemap_index(["__BASE__/hidden/sitemap-news.xml", "__BASE__/hidden/sitemap-pages.xml.gz"]),
    )


def build_samples(root: Path = SAMPLES) -> None:
    """The demo's three sites: a news portal, a GBK police site, a WeChat-mirror blog."""
    if root.exists():
        shutil.rmtree(root)
    write(root / "robots.txt", "User-agent: *\nDisallow: /news/admin/\n")
    items = [(b, 2001 + i) for i, b in enumerate(BULLETINS)] + [
        (b, 2101 + i) for i, b in enumerate(OFF_TOPIC)
    ]
    items.sort(key=lambda t: t[0].date, reverse=True)
    build_portal(root, "/news/", items, per_page=5)
    build_police(
        root,
        "/police/",
        ["shuadan", "kefu", "gongjianfa", "zhengxin", "lingdao", "youxi"],
        with_nav_pages=False,
    )
    build_blog(
        root,
        "/wxblog/",
        [
            ("shuadan", "2024/03/16"),
            ("touzi", "2024/03/22"),
            ("daikuan", "2024/04/03"),
            ("hunlian", "2024/04/26"),
            ("gouwu", "2024/05/07"),
            ("kefu", "2024/03/19"),
        ],
        edits={"诈骗分子": "骗子", "警方提示": "温馨提示"},
    )


if __name__ == "__main__":
    build_fixtures()
    build_samples()
    print(f"built {WWW} and {SAMPLES}")


CITIES = [
    "东城",
    "西城",
    "朝阳",
    "海淀",
    "丰台",
    "石景山",
    "门头沟",
    "房山",
    "通州",
    "顺义",
    "昌平",
    "大兴",
]


def generate_many(root: Path, base: str, count: int, per_page: int = 20) -> list[str]:
    """A generated portal of ``count`` distinct bulletin pages (for the kill/resume test
    and the crawl benchmark); returns the article paths."""
    items: list[tuple[Bulletin, int]] = []
    for n in range(count):
        b = BULLETINS[n % len(BULLETINS)]
        city = CITIES[n % len(CITIES)]
        day = 1 + n % 28
        paras = [
            p.replace("市公安局", f"{city}区公安分局").replace("近日", f"{day}日") for p in b.paras
        ]
        paras.insert(
            1,
            f"（{city}区案例第{n + 1}号）据统计，今年以来{city}区共接报此类案件{17 + n % 90}起，涉案金额{(n * 37) % 500 + 20}万元。",
        )
        title = f"{b.title}（{city}·{n + 1}）"
        date = f"2024-{1 + n % 12:02d}-{day:02d} {8 + n % 10:02d}:{n % 60:02d}"
        items.append(
            (Bulletin(f"{b.key}{n}", title, date, f"{city}区公安分局", b.author, paras), 100000 + n)
        )
    build_portal(root, base, items, per_page=per_page, site_name="平安资讯网")
    return [portal_url(base, b, num) for b, num in items]
