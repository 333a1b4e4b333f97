"""The HTML pages over a real archive: content, escaping of hostile text, CSP, sandbox."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from archive import Archive
from archive.models import Article
from fanzha.config import Settings
from fanzha.web import create_app

from .conftest import run
from .webutil import (
    HOSTILE_HTML,
    REPOST,
    client,
    ids,
    site,
)

FIXTURES = (site, client, ids)  # module-scoped fixtures over one test archive, from webutil


def page(client, path, status=200):
    resp = client.get(path)
    assert resp.status_code == status, resp.text[:500]
    assert resp.headers["content-type"].startswith("text/html")
    html = resp.text
    assert "<script" not in html.lower(), "the app serves no script at all, archived or own"
    assert "onerror=" not in html.lower()
    csp = resp.headers["content-security-policy"]
    assert (
        "script-src 'none'" in csp
        and "default-src 'none'" in csp
        and "frame-ancestors 'none'" in csp
    )
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["referrer-policy"] == "same-origin"  # nothing to other sites
    return html


def test_home_lists_latest_articles_escaped(client):
    html = page(client, "/")
    assert "15 articles" in html and "警惕！冒充客服退款诈骗" in html
    assert (
        "&lt;script&gt;document.title=&#34;PWNED&#34;;window.__pwned=1&lt;/script&gt;冒充客服"
        in html
    )
    for name in ("公安部刑侦局", "平安北京", "中国网"):
        assert f'<option value="{name}">{name}</option>' in html


def listed_titles(html: str) -> list[str]:
    table = html[html.index("<h2>Latest archived") : html.index("</table>")]
    return re.findall(r'<a href="/articles/\d+">([^<]*)</a>', table)


def test_home_filters_narrow_the_latest_articles(client):
    titles = listed_titles(page(client, "/?source=平安北京&since=2023-01-01"))
    assert sorted(titles) == ["平安北京反诈提醒第7期", "警惕！冒充客服退款诈骗"]
    html = page(client, "/?type=冒充客服&until=2023-05-05")
    assert "Latest archived, filtered" in html and "Type words to search" in html
    assert listed_titles(html) == ["警惕冒充客服退款诈骗"]
    assert "平安北京反诈提醒第7期" not in listed_titles(page(client, "/?until=2022-12-31"))
    none = page(client, "/?source=中国网&since=2030-01-01")
    assert listed_titles(none) == [] and "No archived article matches these filters" in none
    assert "since 2023-02-01 is after until 2023-01-01" in page(
        client, "/?since=2023-02-01&until=2023-01-01", 400
    )
    assert "filtered" not in page(client, "/?sort=date&all_copies=1").split("<h2>")[1][:40]


def test_article_page(client, ids):
    html = page(client, f"/articles/{ids['001_72b5590c4af24436.txt']}")
    assert "中国网" in html and "张艳玲" in html and "year inferred" in html
    assert "2022-05-11" in html and "2022-05-11 00:00" not in html  # a date, no midnight
    assert "<p>2019年11月8日，96110预警劝阻专线" in html or "96110预警劝阻专线" in html
    assert re.search(r'<iframe class="raw" sandbox src="/raw/\d+"', html)
    assert "allow-scripts" not in html and "allow-same-origin" not in html
    assert "file:///" in html and 'href="file:' not in html  # a local path is text, not a link


def test_article_original_link_only_for_http(client, ids):
    html = page(client, f"/articles/{ids['story_a.md']}")
    assert 'href="https://example.org/story/a.html" rel="noopener noreferrer nofollow"' in html
    hostile = page(client, f"/articles/{ids['xss.md']}")
    assert (
        'href="javascript' not in hostile
        and '<code class="url">javascript:alert(1)</code>' in hostile
    )
    assert "<h1>&lt;script&gt;document.title=&#34;PWNED&#34;" in hostile


def test_hostile_html_article_text_is_escaped(client, ids):
    html = page(client, f"/articles/{ids['hostile.html']}")
    assert "最后拉黑失联。&lt;script&gt;window.__pwned=5&lt;/script&gt;" in html


def test_raw_snapshot_is_sandboxed_and_byte_exact(client, ids):
    resp = client.get(f"/raw/{ids['hostile.html']}")
    assert resp.status_code == 200
    assert resp.content == HOSTILE_HTML.encode()
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    csp = resp.headers["content-security-policy"]
    assert csp.startswith("sandbox; default-src 'none'") and "allow-scripts" not in csp
    assert resp.headers["x-frame-options"] == "SAMEORIGIN"
    assert resp.headers["x-content-type-options"] == "nosniff"
    as_text = client.get(f"/raw/{ids['hostile.html']}?as_text=true")
    assert as_text.headers["content-type"].startswith("text/plain")
    assert as_text.headers["content-security-policy"] == csp
    md = client.get(f"/raw/{ids['story_b.md']}")
    assert md.headers["content-type"].startswith("text/plain") and "平安北京".encode() in md.content


def test_raw_snapshot_of_a_text_file_keeps_its_bytes(client, ids):
    resp = client.get(f"/raw/{ids['000_48b3d1093c5a9dfd.txt']}")
    assert resp.status_code == 200 and resp.content.startswith(b"---")
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"


def test_gbk_page_is_served_raw_with_its_charset(cli, tmp_path):
    page_text = (
        "<html><head><meta charset='gbk'><title>反诈提醒：谨防刷单诈骗</title></head><body>"
        "<div><p>刷单返利诈骗的套路：先以小额返利取得信任，再诱导受害人大额投入，最后拉黑失联。</p>"
        "<p>警方提醒：所有刷单都是诈骗，凡是要求先垫付资金的兼职都是骗局。</p></div></body></html>"
    )
    (tmp_path / "gbk.html").write_bytes(page_text.encode("gbk"))
    home = tmp_path / "home"
    result = run(cli, "import", tmp_path / "gbk.html", "--home", home, "--json")
    assert result.exit_code == 0, result.stderr
    with TestClient(create_app(Settings(home=home))) as c:
        article = c.get("/api/articles/1").json()
        assert article["title"] == "反诈提醒：谨防刷单诈骗"
        raw = c.get("/raw/1")
        assert raw.content == page_text.encode("gbk")
        charset = raw.headers["content-type"].split("charset=")[1].lower()
        assert charset in ("gbk", "gb18030", "gb2312") and raw.text == page_text
        assert "反诈提醒：谨防刷单诈骗</h1>" in page(c, "/articles/1")


def test_missing_things_are_404_pages(client):
    assert "no article" in page(client, "/articles/99999", 404)
    assert "no article" in client.get("/raw/99999").text
    assert "no page at /nope" in page(client, "/nope", 404)
    assert "Input should be a valid integer" in page(client, "/articles/x", 400)


def test_runs_pages(client):
    html = page(client, "/runs")
    assert "partial" in html and "mps, down" in html
    run_id = re.search(r'<a href="/runs/(\d+)">#\d+</a></td><td>nightly</td>', html).group(1)
    detail = page(client, f"/runs/{run_id}")
    assert "&lt;b&gt;connection refused&lt;/b&gt;" in detail
    assert "https://down.example/list" in detail and "503" in detail
    assert re.search(r"<th>down</th><td>0</td><td>0</td><td>2</td>", detail)
    assert "no crawl run" in page(client, "/runs/999", 404)
    ok_id = re.findall(r'<a href="/runs/(\d+)">#\d+</a></td><td>nightly</td>', html)[-1]
    ok = page(client, f"/runs/{ok_id}")
    assert "<th>host</th><td>nightly-box</td>" in ok
    assert re.search(r"<th>dedup</th><td>15</td><td>0.4</td>", ok)
    assert re.search(r"<th>bjpolice</th><td>15</td><td>4</td><td>0</td>", ok)


def test_stats_page_draws_svg_charts(client):
    html = page(client, "/stats")
    assert html.count("<svg") == 2
    assert "2021-02 · 公安部刑侦局: 1" in html  # a bar's hover title
    assert "冒充电商物流客服 (3)" in html  # legend with totals
    assert "15 articles" in html


def test_bad_search_parameters_show_an_error_page(client):
    assert "since must be a date" in page(client, "/?q=x&since=01/02/2023", 400)
    assert "page must be" in page(client, "/?q=x&page=0", 400)
    assert "query too long" in page(client, "/?q=" + "反" * 501, 400)


def test_check_form_and_bad_input(client):
    html = page(client, "/check")
    assert '<form method="post" action="/check"' in html
    resp = client.post("/check", data={"text": "", "url": ""})
    assert resp.status_code == 400 and "give the text" in resp.text
    refused = client.post("/check", data={"url": "http://127.0.0.1:9/x"})
    assert refused.status_code == 400 and "non-public address 127.0.0.1" in refused.text


def test_search_page_highlights_and_counts_copies(client, ids):
    html = page(client, "/?q=冒充客服")
    assert "<mark>" in html and "stories for" in html
    assert re.search(r"<mark>[^<]*冒充[^<]*</mark>", html)
    assert "&lt;script&gt;" in html or "PWNED" not in html
    facets = page(client, "/?q=反诈提醒&all_copies=1")
    assert 'href="/?q=%E5%8F%8D%E8%AF%88%E6%8F%90%E9%86%92&amp;all_copies=1&amp;source=' in facets
    paged = page(client, "/?q=反诈提醒&all_copies=1&page=2")
    assert "page 2" in paged


def test_search_page_shows_copies_link(client, ids):
    html = page(client, "/?q=退款")
    assert re.search(r'<a class="copies" href="/clusters/\d+">2 copies</a>', html)


def test_cluster_page_members_in_time_order_and_diff(client, ids):
    a, b = ids["story_a.md"], ids["story_b.md"]
    listing = page(client, "/clusters")
    cid = re.search(
        rf'<a href="/clusters/(\d+)">#\d+</a></td>\s*<td><a href="/articles/{a}">', listing
    ).group(1)
    html = page(client, f"/clusters/{cid}")
    assert html.index(f'href="/articles/{a}"') < html.index(f'href="/articles/{b}"')
    assert "First published by <strong>公安部刑侦局</strong> on 2023-05-04" in html
    assert f'href="/diff?a={a}&amp;b={b}"' in html
    assert "<td>+2 days</td>" in html  # who reposted when
    diff = page(client, f"/diff?a={a}&b={b}")
    assert "<del>高</del>" in diff and "<ins>多</ins>" in diff
    meta = diff[diff.index("Metadata changes") : diff.index("Recorded changes")]
    assert "<del>2023-05-04</del>" in meta and "<ins>2023-05-06</ins>" in meta
    assert "<del>公安部刑侦局</del>" in meta and "<ins>平安北京</ins>" in meta
    header = diff[diff.index("Header 开头") : diff.index("Body 正文")]
    assert "<ins>【平安北京】转发提醒，请扩散！</ins>" in header
    signoff = diff[diff.index("Sign-off 结尾") :]
    assert "<ins>来源：平安北京 编辑：王五</ins>" in signoff


def test_check_page_lists_matches_with_diff(client, ids):
    resp = client.post("/check", data={"text": REPOST, "title": "转发"})
    assert resp.status_code == 200
    html = resp.text
    assert f'href="/articles/{ids["story_a.md"]}"' in html
    assert f'href="#diff-{ids["story_a.md"]}"' in html and f'id="diff-{ids["story_a.md"]}"' in html


def test_diff_page_names_the_worked_example_changes(client, ids):
    a, b = ids["000_48b3d1093c5a9dfd.txt"], ids["001_72b5590c4af24436.txt"]
    html = page(client, f"/diff?a={a}&b={b}")
    recorded = html[html.index("Recorded changes") : html.index("Side by side")]
    for old, new in (("防诈反诈", "反诈反诈"), ("019年", "2019年"), ("16个地区", "16个省份")):
        assert f"<del>{old}</del> → <ins>{new}</ins>" in recorded
    apart = html[html.index("Header and sign-off changes") : html.index("Recorded changes")]
    assert "header · delete" in apart and "signoff · insert" in apart and "中国发布" in apart
    by_url = page(client, f"/diff?a={a}&b=https://nowhere.example/x", 404)
    assert "no article with URL" in by_url


def test_an_internal_fault_is_a_500_page_without_a_traceback(site, ids, tmp_path):
    home = site[2]
    with Archive.open(home).session() as s:
        ref = s.get(Article, ids["story_a.md"]).raw_ref
    digest = ref.split(":", 1)[1]
    path = home / "raw" / digest[:2] / digest
    saved = path.read_bytes()
    path.unlink()
    path.mkdir()  # the raw copy is now a folder: reading it fails (an OSError)
    try:
        app = create_app(Settings(home=home))
        with TestClient(app, raise_server_exceptions=False) as c:
            resp = c.get(f"/raw/{ids['story_a.md']}")
            assert resp.status_code == 500 and "internal error (IsADirectoryError)" in resp.text
            assert (
                "Traceback" not in resp.text
                and "script-src 'none'" in resp.headers["content-security-policy"]
            )
    finally:
        path.rmdir()
        path.write_bytes(saved)
