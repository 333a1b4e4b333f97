"""WeChat (mp.weixin.qq.com) article pages: the account that published them.

The account name is the publisher a researcher cites. WeChat pages print it in
``#js_name`` (``.profile_nickname`` in the profile card) and in the script variable
``var nickname = "…"``; copies saved or mirrored elsewhere may keep only one of them.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_NICKNAME_VAR = re.compile(r"""var\s+nickname\s*=\s*(?:htmlDecode\()?\s*["']([^"'\n]{1,40})["']""")
# (a marker the page's source must contain, the XPath that finds the account there)
_ACCOUNT_XPATH = (
    ("", "//*[@id='js_name']"),  # cheap, and far down a page (past the inline CSS)
    (
        "profile_nickname",
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' profile_nickname ')]",
    ),
    (
        "rich_media_meta_nickname",
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' rich_media_meta_nickname ')]",
    ),
)


def account_name(doc: HtmlElement, html_text: str) -> str | None:
    """The WeChat account that published the page, or None for other pages."""
    for marker, xpath in _ACCOUNT_XPATH:
        if marker not in html_text:
            continue
        for el in doc.xpath(xpath):
            name = " ".join(el.text_content().split())
            if 1 <= len(name) <= 40:
                return name
    m = _NICKNAME_VAR.search(html_text)
    if m and m.group(1).strip():
        return m.group(1).strip()
    return None
