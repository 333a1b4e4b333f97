"""The publisher a page names for its article: what a researcher cites as the source.

Read from the most explicit place first:

1. a WeChat page's account (``#js_name``, ``var nickname``): the account publishes;
2. a labelled source (``来源：厦门日报``, ``出处：…``) in the byline, then anywhere in the
   page's visible text (sign-off lines such as ``本文来源：…`` stand at the end), then a
   news dateline opening the main text (``中国网5月11日讯``);
3. source meta tags (``article:source``, ``source``, ``mediaid``, ``ContentSource``);
4. an element whose class names the source or the account (``class="source"``,
   ``author-name``, ``media-name``: the slot self-media platforms print the account in);
5. a source or media variable in the page's scripts (``source: '…'``, ``"media": "…"``),
   taken only when the page also shows that name;
6. the byline slot ``记者名/报社`` (``石佳/中国青年报``) or a name printed right before
   the date under the headline (``新华社 2020-01-03 18:13``).

None when the page names no publisher: the caller falls back to the site's own name.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .metadata import json_ld
from .names import is_person_name, is_placeholder
from .wechat import account_name

_LABEL = (
    r"(?:本文来源|文章来源|信息来源|新闻来源|稿件来源|来源于|来源|稿源|出处|转自|转载自|Source)"
)
_SOURCE = re.compile(
    _LABEL + r"\s*[:：]\s*(?P<v>[^\s|｜/:：,，;；。\]】)）]{2,30}?)"
    r"(?=\s|$|[|｜/,，;；。\]】)）\[【(（]|\d|作者|记者|编辑|责编|发布|时间|日期|浏览|阅读|点击|字号)"
)
_SOURCE_META = ("article:source", "og:article:source", "source", "mediaid", "contentsource")
_SOURCE_CLASSES = (
    "source",
    "article-source-name",
    "media-name",
    "author-name",
    "account-name",
    "s-name",
    "media-user",
)
_SCRIPT_SOURCE = re.compile(
    r"""["']?\b(?:source|media|media_name|mediaName|source_name|sourceName)["']?\s*[:=]\s*"""
    r"""["']([^"'<>\n\\/]{2,30})["']"""
)
_NAME_SLASH_OUTLET = re.compile(
    r"^\s*(?:原创\s*)?(?P<name>[\u4e00-\u9fff·]{2,4})\s*/\s*(?P<outlet>[\u4e00-\u9fffA-Za-z·]{2,20})(?=\s|$)"
)
_SOURCE_SPACED = re.compile(
    _LABEL + r"\s+(?P<v>[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9.]{1,29})\s*(?=[|｜])"
)
_NAME_AFTER_DATE = re.compile(
    r"^\s*(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s+"
    r"(?P<outlet>[\u4e00-\u9fffA-Za-z]{2,20})(?=\s|$|\[)"
)
_NAME_BEFORE_DATE = re.compile(
    r"^\s*(?:原创\s*)?(?P<outlet>[\u4e00-\u9fffA-Za-z·]{2,20})\s+(?:19|20)\d{2}[-/年.]\d{1,2}"
)
# a news dateline: 中国网5月11日讯（记者 张艳玲）, 新华社北京5月11日电
DATELINE = re.compile(
    r"^\s*据?(?P<source>[\u4e00-\u9fffA-Za-z]{2,16}?)"
    r"(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})日\s*(?:电|讯|消息)"
    r"\s*(?:[（(](?P<credit>[^）)]{1,60})[）)])?"
)
_CITY_SUFFIX = re.compile(r"(?:社|网|台|报|客户端|日报|晚报|新闻)(?=[\u4e00-\u9fff]{2,3}$)")
_GENERIC = frozenset(
    {
        "网络",
        "互联网",
        "网络转载",
        "本站",
        "本网",
        "原创",
        "综合",
        "整理",
        "未知",
        "微信公众号",
        "公众号",
    }
)


def publisher_of(
    doc: HtmlElement, html_text: str, byline: str, page_text: str, main_text: str = ""
) -> str | None:
    """The publisher the page names (see the module docstring for the order)."""
    account = account_name(doc, html_text)
    if account:
        return account
    for text in (byline, page_text):
        found = labelled_source(text)
        if found:
            return found
    found = dateline_source(main_text)
    if found:
        return found
    for name in _SOURCE_META:
        for m in doc.iter("meta"):
            key = (m.get("property") or m.get("name") or "").strip().lower()
            value = _clean(m.get("content") or "")
            if key == name and value and len(value) <= 30:
                return value
    visible = "".join(page_text.split())
    for obj in json_ld(doc):
        pub = obj.get("publisher")
        name = pub.get("name") if isinstance(pub, dict) else None
        if isinstance(name, str) and _clean(name):
            return _clean(name)
    squashed_byline = "".join(byline.split())
    for el in _class_elements(doc):
        value = _clean(el.text_content())
        # the slot under the headline, not a list of other articles' sources
        if value and len(value) <= 30 and "".join(value.split()) in squashed_byline:
            return value
    for m in _SCRIPT_SOURCE.finditer(html_text):
        value = _clean(m.group(1))
        if not value or "".join(value.split()) not in visible:
            continue
        if not value.isascii() or value[:1].isupper():  # not a code such as "pc"
            return value
    return byline_outlet(byline)


def labelled_source(text: str) -> str | None:
    """The first ``来源：X`` in ``text`` that names an outlet (not ``网络``)."""
    text = " ".join(text.split())
    for m in _SOURCE.finditer(text):
        value = _clean(m.group("v"))
        if value:
            return value
    for m in _SOURCE_SPACED.finditer(text):  # 来源 CSDN | 0 条评论
        value = _clean(m.group("v"))
        if value:
            return value
    return None


def dateline_source(text: str) -> str | None:
    """``中国网5月11日讯`` in the first lines of a text -> ``中国网``."""
    for line in [ln for ln in text.split("\n") if ln.strip()][:6]:
        m = DATELINE.match(line)
        if m:
            return _clean(strip_city(m["source"]))
    return None


def strip_city(source: str) -> str:
    """``新华社北京`` -> ``新华社``: drop a place name written after the publisher."""
    m = _CITY_SUFFIX.search(source)
    return source[: m.end()] if m else source


def byline_outlet(byline: str) -> str | None:
    """``石佳/中国青年报`` or ``新华社 2020-01-03``: the outlet printed in the byline slot."""
    slashed = slash_byline(byline)
    if slashed:
        return slashed[1]
    for pattern in (_NAME_BEFORE_DATE, _NAME_AFTER_DATE):
        m = pattern.match(byline)
        if m and not is_person_name(m["outlet"]) and not is_placeholder(m["outlet"]):
            return _clean(m["outlet"])
    return None


def slash_byline(byline: str) -> tuple[str, str] | None:
    """(author, outlet) of a byline that starts ``石佳/中国青年报``, else None."""
    m = _NAME_SLASH_OUTLET.match(byline)
    if m and is_person_name(m["name"]):
        return m["name"], m["outlet"]
    return None


def _class_elements(doc: HtmlElement) -> list[HtmlElement]:
    wanted = set(_SOURCE_CLASSES)
    return [
        el
        for el in doc.xpath(
            "//body//*[contains(@class, 'source') or contains(@class, 'name')"
            " or contains(@class, 'media-user')]"
        )
        if wanted.intersection((el.get("class") or "").split())
    ]


def _clean(value: str) -> str | None:
    value = " ".join(value.split()).lstrip("@").strip("“”\"'《》·- ")
    value = re.sub(r"^" + _LABEL + r"\s*[:：]?\s*", "", value)
    if not value or value in _GENERIC or is_placeholder(value) or len(value) < 2:
        return None
    return value
