"""canonical_url: tracking parameters and fragments go, content-selecting queries stay."""

from __future__ import annotations

import pytest

from archive.extract.urls import canonical_url, is_tracking_param


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.cn/x.html?utm_source=wx&utm_medium=share#top", "https://a.cn/x.html"),
        ("HTTPS://News.Example.CN:443/x.html", "https://news.example.cn/x.html"),
        ("http://a.cn:8080/x", "http://a.cn:8080/x"),
        ("https://a.cn/list?page=2&spm=a2c4g.1", "https://a.cn/list?page=2"),
        ("https://a.cn/show?id=42&from=timeline&isappinstalled=0", "https://a.cn/show?id=42"),
        ("https://a.cn/a?share_token=x&p=3", "https://a.cn/a?p=3"),
        ("https://a.cn/a?lang=en&key=1", "https://a.cn/a?lang=en&key=1"),
        (
            "https://mp.weixin.qq.com/s?__biz=MzA5&mid=265&idx=8&sn=d62&chksm=ab&scene=21#wechat_redirect",
            "https://mp.weixin.qq.com/s?__biz=MzA5&mid=265&idx=8&sn=d62",
        ),
        (
            "https://mp.weixin.qq.com/s/AbC-d_E?chksm=1&scene=2&lang=zh_CN",
            "https://mp.weixin.qq.com/s/AbC-d_E",
        ),
        (
            "https://a.cn/中文/x.html?q=反诈",
            "https://a.cn/%E4%B8%AD%E6%96%87/x.html?q=%E5%8F%8D%E8%AF%88",
        ),
        ("https://a.cn", "https://a.cn/"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_tracking_duplicates_collapse_to_one_address():
    urls = [
        "https://a.cn/fz/1.html",
        "https://a.cn/fz/1.html?utm_source=weibo",
        "https://a.cn/fz/1.html#comments",
        "https://A.cn/fz/1.html?from=singlemessage&isappinstalled=0",
    ]
    assert len({canonical_url(u) for u in urls}) == 1
    assert canonical_url("https://a.cn/l?page=1") != canonical_url("https://a.cn/l?page=2")


def test_is_tracking_param():
    assert is_tracking_param("UTM_Campaign") and is_tracking_param("spm")
    assert not is_tracking_param("id") and not is_tracking_param("page")


def test_canonical_url_is_idempotent():
    u = canonical_url("https://a.cn/x?b=2&a=1&utm_term=z#f")
    assert canonical_url(u) == u == "https://a.cn/x?b=2&a=1"
