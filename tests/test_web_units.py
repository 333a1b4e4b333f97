"""The web UI's own parts: snippets, side-by-side alignment, charts, links, URL fetching."""

from __future__ import annotations

from typing import cast

import pytest

from fanzha.checking import Fetcher, FetchRefused
from fanzha.web.charts import stacked_bars
from fanzha.web.filters import day, safe_href
from fanzha.web.sidebyside import side_by_side
from fanzha.web.snippets import hit_segments
from search.types import SearchHit

from .webutil import page_server

# ---- snippets ------------------------------------------------------------------------


def _hit(text: str, spans: list[list[int]]) -> SearchHit:
    """The snippet part of a hit as ``search()`` builds it (the other keys unused here)."""
    return cast(SearchHit, {"snippet_text": text, "highlights": spans})


def test_hit_spans_are_used_exactly_and_markup_and_brackets_stay_text():
    hit = _hit("【案例】一证通查<b>反诈</b>", [[4, 8]])
    assert hit_segments(hit) == [("【案例】", False), ("一证通查", True), ("<b>反诈</b>", False)]


def test_the_snippets_of_a_real_search_are_marked_where_search_matched(tmp_path):
    from archive import Archive, Document, store_document
    from search import search, update_index

    archive = Archive.open(tmp_path)
    with archive.session() as s:
        store_document(
            s,
            Document(url="http://127.0.0.1/a", title="提醒", text="谨防冒充客服，<b>退款</b>诈骗"),
        )
    update_index(archive)
    (hit,) = search(archive, "冒充客服 退款")["hits"]
    assert [t for t, marked in hit_segments(hit) if marked] == ["冒充客服", "退款"]
    assert "".join(t for t, _ in hit_segments(hit)) == hit["snippet_text"]


def test_a_hit_without_highlights_is_all_plain_text_and_bad_spans_are_an_error():
    assert hit_segments(_hit("国家反诈中心", [])) == [("国家反诈中心", False)]
    with pytest.raises(ValueError, match="does not fit"):
        hit_segments(_hit("反诈", [[0, 9]]))


# ---- side by side --------------------------------------------------------------------


def test_side_by_side_sets_header_and_signoff_apart():
    a = "防诈反诈提醒。\n019年以来共破案。\n请大家转告。"
    b = "【转载】平安某地\n反诈反诈提醒。\n2019年以来共破案。\n请大家转告。\n来源：某地公安"
    view = side_by_side(a, b)
    assert [r.op for r in view.header] == ["insert"]
    assert view.header[0].right[0].text == "【转载】平安某地"
    assert [r.right[0].text for r in view.signoff] == ["来源：某地公安"]
    first = view.body[0]
    assert first.op == "replace"
    assert [(s.text, s.kind) for s in first.left] == [("防", "del"), ("诈反诈提醒。", "eq")]
    assert [(s.text, s.kind) for s in first.right] == [("反", "ins"), ("诈反诈提醒。", "eq")]
    assert ("2", "ins") in [(s.text, s.kind) for s in view.body[1].right]
    assert view.counts == {"replace": 1, "insert": 3, "delete": 0}


def test_a_short_contained_line_does_not_steal_the_pairing():
    a = "记者获悉，五大反诈利器上线，近年来各部门深入推进打击治理电信网络诈骗。"
    b = "转载提醒\n五大反诈利器\n五大反诈利器上线，近年来各部门深入推进打击治理电信网络诈骗。"
    view = side_by_side(a, b)
    assert [(r.op, r.right[0].text) for r in view.header] == [
        ("insert", "转载提醒"),
        ("insert", "五大反诈利器"),
    ]
    assert [r.op for r in view.body] == ["replace"]
    first = view.body[0].left[0]
    assert (first.text, first.kind) == ("记者获悉，", "del")


def test_side_by_side_identical_and_unrelated():
    same = side_by_side("一\n二", "一\n二")
    assert same.identical and not same.header and not same.signoff
    apart = side_by_side("完全不同的第一篇。", "毫无关系的另一篇文章。")
    assert apart.header == [] and apart.signoff == [] and apart.body


# ---- charts, links, dates ------------------------------------------------------------


def test_chart_escapes_labels_and_titles_every_bar():
    svg = str(
        stacked_bars(
            ["2023-01", "2023-02"], {"<script>x</script>": [1, 2], "中国网": [0, 3]}, title="t<&>"
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script&gt; (3)" in svg
    assert svg.count("<rect") == 3 + 2  # three bars (one zero left out) + two legend keys
    assert "2023-02 · 中国网: 3" in svg and "<title>t&lt;&amp;&gt;</title>" in svg
    assert "no dated articles" in str(stacked_bars([], {}, title="empty"))


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.gov.cn/a.html", True),
        ("HTTP://example.org/", True),
        ("javascript:alert(1)", False),
        (" JaVaScRiPt:alert(1)", False),
        ("data:text/html,<script>", False),
        ("file:///etc/passwd", False),
        ("//evil.example/x", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_href(url, ok):
    assert (safe_href(url) is not None) is ok


def test_day_in_china_time_or_the_zone_the_text_names():
    from datetime import UTC, datetime

    from fanzha.web.filters import minute

    assert day(datetime(2022, 5, 10, 16, 0, tzinfo=UTC)) == "2022-05-11"
    assert day("2022-05-11T00:30:00+08:00") == "2022-05-11"
    assert day("2022-05-10T23:30:00+09:00") == "2022-05-10"  # the page's own zone
    assert day("2022-05-11") == "2022-05-11" and minute("2022-05-11") == "2022-05-11"
    assert minute("2022-05-10T23:30:00+09:00") == "2022-05-10 23:30 +09:00"
    assert day("not a date") == "not a date" and day(None) == ""


# ---- fetching a pasted URL -----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("gopher://example.org/", "only http and https"),
        ("http://127.0.0.2/", "127.0.0.2"),
        ("http://192.168.1.1/", "192.168.1.1"),
        ("http://172.16.0.1/", "172.16.0.1"),
        ("http://[fe80::1]/", "fe80::1"),
        ("http://[fd00::1]/", "fd00::1"),
        ("http://224.0.0.1/", "224.0.0.1"),
        ("http://100.64.0.1/", "100.64.0.1"),  # carrier-grade NAT: not global
        ("http://2130706433/", "127.0.0.1"),  # 127.0.0.1 written as one number
        ("http://0x7f.1/", "127.0.0.1"),
        ("http://no-such-host.invalid/", "cannot resolve"),
        ("http://example.org:99999/", "not a valid URL"),
    ],
)
def test_check_url_refusals(url, message):
    with pytest.raises(FetchRefused, match=message.replace(".", r"\.")):
        Fetcher().check_url(url)


def test_check_url_allows_loopback_only_when_configured():
    assert Fetcher(allow_private=True).check_url("http://127.0.0.1:9/") == ["127.0.0.1"]
    with pytest.raises(FetchRefused, match="FANZHA_ALLOW_PRIVATE_FETCH"):
        Fetcher().check_url("http://127.0.0.1:9/")


def test_fetch_follows_redirects_checking_each_hop():
    routes = {
        "/page": (200, {"Content-Type": "text/html; charset=utf-8"}, "<p>反诈</p>".encode()),
        "/moved": (302, {"Location": "/page"}, b""),
        "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/loop": (302, {"Location": "/loop"}, b""),
        "/gone": (404, {}, b"no"),
    }
    fetch = Fetcher(allow_private=True).fetch
    with page_server(routes) as base:
        got = fetch(f"{base}/moved")
        assert got.url == f"{base}/page" and "反诈".encode() in got.body
        with pytest.raises(FetchRefused, match="only http and https"):
            fetch(f"{base}/to-file")
        with pytest.raises(FetchRefused, match="more than 5 redirects"):
            fetch(f"{base}/loop")
        with pytest.raises(FetchRefused, match="HTTP 404"):
            fetch(f"{base}/gone")
        with pytest.raises(FetchRefused, match=r"non-public address 127\.0\.0\.1"):
            Fetcher().fetch(f"{base}/page")


def test_fetch_caps_size_and_time():
    routes = {
        "/big": (200, {"Content-Type": "text/html"}, b"x" * 300_000),
        "/slow": (200, {"X-Sleep": "3"}, b"late"),
    }
    with page_server(routes) as base:
        with pytest.raises(FetchRefused, match="larger than 100000 bytes"):
            Fetcher(allow_private=True, max_bytes=100_000).fetch(f"{base}/big")
        with pytest.raises(FetchRefused, match=r"no answer within 0\.5 seconds"):
            Fetcher(allow_private=True, timeout=0.5).fetch(f"{base}/slow")
