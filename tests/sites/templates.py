"""Page templates in the shapes of real Chinese sites: a news portal with heavy
boilerplate, an old GBK police site (charset only in a meta tag), a Jekyll blog with
an Atom feed, and a WeChat article page. Used to build the fixture sites, the bundled
sample sites and the benchmark site.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone

from .corpus import Bulletin

CST = timezone(timedelta(hours=8))

NAV = [
    "首页",
    "要闻",
    "国内",
    "国际",
    "财经",
    "社会",
    "法治",
    "科技",
    "体育",
    "文化",
    "视频",
    "图片",
    "专题",
    "评论",
]


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _paras(paras: list[str]) -> str:
    return "\n".join(f"<p>{esc(p)}</p>" for p in paras)


def portal_article(
    b: Bulletin,
    paras: list[str],
    *,
    base: str,
    related: list[tuple[str, str]] = (),
    canonical: str | None = None,
    site_name: str = "平安新闻网",
) -> str:
    """A news-portal article: nav, breadcrumbs, share bar, related box, ads, footer."""
    nav = "".join(f'<li><a href="{base}index.html">{n}</a></li>' for n in NAV)
    rel = "".join(f'<li><a href="{esc(u)}">{esc(t)}</a></li>' for u, t in related)
    canon = f'<link rel="canonical" href="{esc(canonical)}">' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{esc(b.title)}_{site_name}</title>
<meta name="keywords" content="反诈,{esc(b.source)}">
<meta name="description" content="{esc(paras[0][:60])}">
<meta property="article:published_time" content="{b.date.replace(" ", "T")}:00+08:00">
{canon}
<script>var _hmt = _hmt || []; (function() {{ var hm = 1; }})();</script>
<style>.nav li{{display:inline}} .ad{{width:300px}}</style>
</head><body>
<div class="topbar">欢迎访问{site_name} | <a href="{base}index.html">设为首页</a> | <a href="{base}index.html">加入收藏</a> | 手机版 | 登录 注册</div>
<div class="header"><div class="logo">{site_name}</div><ul class="nav">{nav}</ul>
<form class="search" action="{base}search.html"><input name="q" placeholder="搜索新闻"><button>搜索</button></form></div>
<div class="ad ad-top">广告：春季新品大促 全场五折起 点击进入</div>
<div class="crumbs">当前位置：<a href="{base}index.html">首页</a> &gt; <a href="{base}index.html">法治</a> &gt; 正文</div>
<div class="main"><div class="left">
<h1 class="artTitle">{esc(b.title)}</h1>
<div class="info"><span id="pubtime_baidu">{b.date}</span> 来源：<span id="source_baidu">{esc(b.source)}</span> 作者：<span id="author_baidu">{esc(b.author)}</span>
<span class="share">分享到：<a href="#">微信</a><a href="#">微博</a><a href="#">QQ空间</a></span> 字号：<a href="#">大</a> <a href="#">中</a> <a href="#">小</a></div>
<div id="articleBody" class="content">
{_paras(paras)}
</div>
<div class="editor">（责任编辑：{esc(b.author)}）</div>
<div class="share-bottom">分享到：微信 微博 QQ 复制链接 打印本页 关闭窗口</div>
<div class="relatedNews"><h3>相关新闻</h3><ul>{rel}</ul></div>
<div class="comments"><h3>网友评论</h3><p>已有0人参与 请文明上网，理性发言</p></div>
</div><div class="right">
<div class="hot"><h3>热点排行</h3><ol><li><a href="{base}index.html">今日热点一</a></li><li><a href="{base}index.html">今日热点二</a></li><li><a href="{base}index.html">今日热点三</a></li></ol></div>
<div class="ad ad-side">广告位招租 联系电话：010-12345678</div>
</div></div>
<div class="footer"><p>关于我们 | 联系我们 | 广告服务 | 网站地图 | 法律声明</p>
<p>Copyright © 2008-2024 {site_name} 版权所有 未经授权禁止转载 京ICP备12345678号</p>
<p>违法和不良信息举报电话：12377 举报邮箱：jubao@example.cn</p></div>
</body></html>
"""


def portal_list(
    title: str,
    items: list[tuple[str, str, str]],
    *,
    base: str,
    next_url: str | None,
    page: int,
    site_name: str = "平安新闻网",
) -> str:
    """A list page: nav, a list of (url, title, date), pagination."""
    nav = "".join(f'<li><a href="{base}index.html">{n}</a></li>' for n in NAV)
    rows = "".join(
        f'<li><a href="{esc(u)}">{esc(t)}</a><span class="date">{d}</span></li>'
        for u, t, d in items
    )
    nxt = f'<a class="next" href="{esc(next_url)}">下一页</a>' if next_url else ""
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{esc(title)}_{site_name}</title></head><body>
<div class="header"><div class="logo">{site_name}</div><ul class="nav">{nav}</ul></div>
<div class="crumbs">当前位置：<a href="{base}index.html">首页</a> &gt; {esc(title)}</div>
<div class="list"><h2>{esc(title)}</h2><ul>{rows}</ul></div>
<div class="pages">第{page}页 {nxt}</div>
<div class="footer">Copyright © 2008-2024 {site_name} 版权所有</div>
</body></html>
"""


def police_article(
    b: Bulletin, paras: list[str], *, base: str, site_name: str = "平安市公安局"
) -> str:
    """An old government site page (TRS-style meta tags, tables); encode it as GBK."""
    body = "\n".join(f'<p style="text-indent:2em">{esc(p)}</p>' for p in paras)
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>{esc(b.title)}-{site_name}</title>
<meta name="SiteName" content="{site_name}">
<meta name="ColumnName" content="警务动态">
<meta name="ArticleTitle" content="{esc(b.title)}">
<meta name="PubDate" content="{b.date}">
<meta name="ContentSource" content="{esc(b.source)}">
</head><body>
<table width="1000" align="center"><tr><td class="top">{site_name} | <a href="{base}index.html">网站首页</a> | <a href="{base}index.html">警务公开</a> | <a href="{base}index.html">办事服务</a> | <a href="{base}index.html">互动交流</a></td></tr></table>
<table width="1000" align="center"><tr><td class="pos">您现在的位置：<a href="{base}index.html">首页</a> &gt;&gt; 警务动态</td></tr>
<tr><td align="center"><h2 class="title">{esc(b.title)}</h2></td></tr>
<tr><td class="info" align="center">发布时间：{b.date}&nbsp;&nbsp;来源：{esc(b.source)}&nbsp;&nbsp;浏览次数：1024</td></tr>
<tr><td><div class="TRS_Editor">
{body}
</div></td></tr>
<tr><td align="right">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</td></tr></table>
<table width="1000" align="center"><tr><td class="foot">主办：{site_name} 地址：平安市人民路1号 邮编：100000<br>网站标识码：1234567890 备案号：京ICP备00000000号 京公网安备11010502000000号</td></tr></table>
</body></html>
"""


def police_list(
    items: list[tuple[str, str, str]],
    *,
    base: str,
    site_name: str = "平安市公安局",
    extra_links: str = "",
) -> str:
    rows = "".join(
        f'<tr><td>·<a href="{esc(u)}" target="_blank">{esc(t)}</a></td><td>{d[:10]}</td></tr>'
        for u, t, d in items
    )
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>警务动态-{site_name}</title></head>
<body><table width="1000" align="center"><tr><td>{site_name} | <a href="{base}index.html">网站首页</a> {extra_links}</td></tr>
<tr><td><table class="list">{rows}</table></td></tr>
<tr><td class="foot">主办：{site_name}</td></tr></table></body></html>
"""


def blog_post(
    b: Bulletin, paras: list[str], *, base: str, slug: str, blog_name: str = "反诈情报站"
) -> str:
    """A Jekyll (minima) post."""
    dt = datetime.strptime(b.date, "%Y-%m-%d %H:%M").replace(tzinfo=CST)
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<!-- Begin Jekyll SEO tag v2.8.0 -->
<title>{esc(b.title)} | {blog_name}</title>
<meta name="generator" content="Jekyll v4.3.2">
<meta property="og:title" content="{esc(b.title)}">
<meta property="article:published_time" content="{dt.isoformat()}">
<link rel="canonical" href="{base}{slug}">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"BlogPosting","headline":"{esc(b.title)}","datePublished":"{dt.isoformat()}"}}</script>
<!-- End Jekyll SEO tag -->
<link rel="alternate" type="application/atom+xml" title="{blog_name}" href="{base}feed.xml">
</head><body>
<header class="site-header"><div class="wrapper"><a class="site-title" href="{base}">{blog_name}</a>
<nav class="site-nav"><a class="page-link" href="{base}about.html">关于</a><a class="page-link" href="{base}archive.html">归档</a></nav></div></header>
<main class="page-content"><div class="wrapper">
<article class="post h-entry" itemscope itemtype="http://schema.org/BlogPosting">
<header class="post-header"><h1 class="post-title p-name" itemprop="name headline">{esc(b.title)}</h1>
<p class="post-meta"><time class="dt-published" datetime="{dt.isoformat()}" itemprop="datePublished">{dt:%Y年%m月%d日}</time></p></header>
<div class="post-content e-content" itemprop="articleBody">
{_paras(paras)}
</div>
</article></div></main>
<footer class="site-footer"><div class="wrapper"><p>{blog_name} · 用 Jekyll 搭建 · 转载请注明出处</p></div></footer>
</body></html>
"""


def atom_feed(
    entries: list[tuple[str, str, str]], *, base: str, blog_name: str = "反诈情报站"
) -> str:
    """An Atom feed of (url, title, date) entries, as jekyll-feed writes it."""
    items = []
    for url, title, date in entries:
        dt = datetime.strptime(date, "%Y-%m-%d %H:%M").replace(tzinfo=CST).isoformat()
        items.append(
            f'<entry><title type="html">{esc(title)}</title><link href="{esc(url)}" rel="alternate" type="text/html" title="{esc(title)}" />'
            f"<published>{dt}</published><updated>{dt}</updated><id>{esc(url)}</id></entry>"
        )
    return f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<generator uri="https://jekyllrb.com/" version="4.3.2">Jekyll</generator>
<link href="{base}feed.xml" rel="self" type="application/atom+xml" /><link href="{base}" rel="alternate" type="text/html" />
<updated>2024-05-01T00:00:00+08:00</updated><id>{base}feed.xml</id><title type="html">{blog_name}</title>
{"".join(items)}
</feed>
"""


def wechat_article(b: Bulletin, paras: list[str], *, account: str = "平安反诈") -> str:
    """A WeChat (mp.weixin.qq.com) article page: js_content, var ct epoch."""
    dt = datetime.strptime(b.date, "%Y-%m-%d %H:%M").replace(tzinfo=CST)
    body = "\n".join(
        f'<p style="margin-bottom: 0px;"><span style="font-size: 15px;letter-spacing: 1px;">{esc(p)}</span></p>'
        for p in paras
    )
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1.0">
<meta property="og:title" content="{esc(b.title)}"><meta property="og:type" content="article">
<title>{esc(b.title)}</title></head>
<body id="activity-detail" class="zh_CN">
<div class="rich_media_area_primary"><div class="rich_media_area_primary_inner">
<h1 class="rich_media_title" id="activity-name">{esc(b.title)}</h1>
<div id="meta_content" class="rich_media_meta_list"><span class="rich_media_meta rich_media_meta_text">{esc(b.source)}</span>
<span class="rich_media_meta rich_media_meta_nickname" id="profileBt"><a href="javascript:void(0);" id="js_name">{esc(account)}</a></span>
<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em></div>
<div class="rich_media_content js_underline_content" id="js_content">
<section style="text-align: center;"><img data-src="https://mmbiz.qpic.cn/mmbiz_png/demo/640" data-type="png"></section>
{body}
<p style="text-align:center"><span>- END -</span></p>
<p><span>来源：{esc(b.source)}</span></p>
</div>
<div id="js_pc_qr_code" class="qr_code_pc"><p>微信扫一扫<br>关注该公众号</p></div>
</div></div>
<script nonce="123">var ct = "{int(dt.timestamp())}";var nickname = "{esc(account)}";var msg_title = "{esc(b.title)}";</script>
</body></html>
"""


def sitemap(urls: list[str]) -> str:
    rows = "".join(f"<url><loc>{esc(u)}</loc><changefreq>weekly</changefreq></url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>\n'


def sitemap_index(urls: list[str]) -> str:
    rows = "".join(f"<sitemap><loc>{esc(u)}</loc></sitemap>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>\n'
