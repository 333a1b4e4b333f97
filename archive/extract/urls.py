"""Canonical URLs: one address per page, so a page is stored once.

``canonical_url`` lower-cases the scheme and host, drops the default port, the
fragment and tracking parameters, and keeps every other query parameter in its
original order (``?id=``, ``?page=2``, ``?p=`` select content and must stay).

Tracking parameters dropped (exact names, case-insensitive, or prefixes ending in ``_``/``*``):

- campaign tags: ``utm_*``, ``gclid``, ``fbclid``, ``msclkid``, ``yclid``, ``mc_cid``,
  ``mc_eid``, ``_hsenc``, ``_hsmi``, ``igshid``;
- Chinese platforms: ``spm`` (Alibaba), ``from``, ``fr``, ``source``, ``share``,
  ``share_token``, ``share_from``, ``isappinstalled``, ``timestamp``, ``wfr``, ``tt_from``,
  ``utm_source`` (toutiao), ``log_from``, ``refer``/``referer``, ``ref``, ``shareId``,
  ``sharer_*``, ``hsid``, ``sessionid``/``sid``, ``vd_source`` (bilibili);
- WeChat article links (on ``mp.weixin.qq.com`` only, except ``chksm``): ``chksm``, ``scene``, ``srcid``, ``sharer_sharetime``,
  ``sharer_shareid``, ``sharer_sharetime``, ``clicktime``, ``enterid``, ``ascene``,
  ``devicetype``, ``version``, ``nettype``, ``lang``, ``exportkey``, ``pass_ticket``,
  ``wx_header``, ``key``, ``uin``, ``abtest_cookie``, ``mpshare``, ``rd2werd``,
  ``subscene``, ``sessionid``, ``poc_token``, ``countrycode``, ``fontScale``. What
  identifies a WeChat article (``__biz``, ``mid``, ``idx``, ``sn``, or the ``/s/<id>``
  path) is kept.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    p.lower()
    for p in [
        "gclid",
        "fbclid",
        "msclkid",
        "yclid",
        "dclid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "igshid",
        "spm",
        "from",
        "fr",
        "source",
        "share",
        "share_token",
        "share_from",
        "isappinstalled",
        "timestamp",
        "wfr",
        "tt_from",
        "log_from",
        "refer",
        "referer",
        "ref",
        "shareid",
        "hsid",
        "sessionid",
        "sid",
        "vd_source",
        "chksm",
    ]
)
#: dropped on mp.weixin.qq.com only (elsewhere ``lang`` or ``key`` may select content)
WECHAT_TRACKING_PARAMS = frozenset(
    p.lower()
    for p in [
        "scene",
        "srcid",
        "clicktime",
        "enterid",
        "ascene",
        "devicetype",
        "version",
        "nettype",
        "lang",
        "exportkey",
        "pass_ticket",
        "wx_header",
        "key",
        "uin",
        "abtest_cookie",
        "mpshare",
        "rd2werd",
        "subscene",
        "poc_token",
        "countrycode",
        "fontscale",
        "sessionid",
    ]
)
TRACKING_PREFIXES = ("utm_", "sharer_", "share_", "wxfrom", "wx_")

#: WeChat parameters that identify the article and therefore stay
_WECHAT_KEEP = frozenset({"__biz", "mid", "idx", "sn"})


def is_tracking_param(name: str) -> bool:
    n = name.lower()
    return n in TRACKING_PARAMS or n.startswith(TRACKING_PREFIXES)


def join_url(base: str, ref: str) -> str | None:
    """``ref`` resolved against ``base``; None when either is not a URL (``http://[::1``)."""
    try:
        return urljoin(base, ref)
    except ValueError:
        return None


def canonical_url(url: str) -> str:
    """``url`` without fragment, default port and tracking parameters; host lower-cased.

    >>> canonical_url("HTTPS://Example.com:443/a?id=3&utm_source=x&page=2#top")
    'https://example.com/a?id=3&page=2'
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # an unclosed IPv6 bracket, a port out of range: kept as it is
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = port if port and (scheme, port) not in _DEFAULT_PORTS else None
    netloc = host + (f":{port}" if port else "")
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    wechat = host == "mp.weixin.qq.com"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if (k in _WECHAT_KEEP if wechat and parts.path.rstrip("/") == "/s" else True)
        and not is_tracking_param(k)
        and not (wechat and k.lower() in WECHAT_TRACKING_PARAMS)
    ]
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    return urlunsplit((scheme, netloc, path, urlencode(query, safe=":/@!$'()*,;~="), ""))


_DEFAULT_PORTS = {("http", 80), ("https", 443)}
