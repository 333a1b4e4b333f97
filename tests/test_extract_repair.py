"""Unclosed embedding elements (``<embed>``, ``<object>``, ``<iframe>`` ...) no longer
swallow the article: libxml2 nests the rest of the page in them and the cleaner used
to drop it with them."""

from __future__ import annotations

import json

import pytest

from archive.extract.html import extract

from .conftest import run

TITLE = "刷单诈骗提醒"
PARAS = "".join(
    f"<p>第{i}段：民警提醒，谨防刷单返利诈骗，不要轻信陌生人的兼职邀请。</p>" for i in range(8)
)


def _page(opening: str) -> str:
    return (
        f"<html><head><title>{TITLE}</title></head><body><h1>{TITLE}</h1>"
        f"<div class='content'>{opening}{PARAS}</div><div>页脚</div></body></html>"
    )


@pytest.mark.parametrize(
    "opening",
    [
        '<embed src="player.swf" type="application/x-shockwave-flash">',
        '<object data="movie.swf">',
        '<iframe src="https://player.test/v">',
        "<video controls>",
        "<audio>",
        "<canvas>",
        "<noembed>",
        "<source src=a.mp4>",
        '<object data="x"><embed src="x.swf">',
    ],
)
def test_unclosed_element_keeps_the_article(opening):
    ex = extract(_page(opening), "http://a.test/1.html")
    assert ex.text.count("民警提醒") == 8, ex.text
    assert ex.text.startswith("第0段")


def test_genuine_fallback_content_stays_out():
    page = _page(
        '<object data="v.swf"><param name="movie" value="v.swf">'
        "<embed src='v.swf'></embed>您的浏览器不支持 Flash</object>"
        "<video src='a.mp4'>您的浏览器不支持 video</video>"
    )
    ex = extract(page, "http://a.test/1.html")
    assert ex.text.count("民警提醒") == 8 and "不支持" not in ex.text


def test_import_of_a_page_with_an_unclosed_embed(cli, tmp_path):
    page = tmp_path / "flash.html"
    page.write_text(_page('<embed src="x.swf">'), encoding="utf-8")
    result = run(cli, "import", page, "--home", tmp_path / "h", "--json")
    out = json.loads(result.stdout)
    assert result.exit_code == 0, out  # was: "no article text found"
    assert out["imported"][0]["title"] == TITLE
