"""Publisher, author and title: what a researcher cites (issue 15, items 1, 3 and 4).

Hand-written pages: the publisher the page names (来源, a dateline, a WeChat account)
is the source; a byline needs a name (记者调查发现 names nobody); the editor is never
the author; a text import's ``来源：`` first line is metadata, not its title.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.extract.html import extract
from archive.extract.names import is_person_name
from archive.importers.files import read_document

PARAS = (
    "<p>近日，市民王女士在网上看到兼职刷单广告，添加对方好友后被拉进任务群，先后转账三万余元。</p>"
    "<p>民警提醒：所有要求先垫付资金的刷单都是诈骗，请下载国家反诈中心APP，遇到可疑情况拨打96110。</p>"
)


def page(byline: str, body: str = PARAS, head: str = "") -> str:
    return (
        f"<html><head><title>警惕刷单返利诈骗</title>{head}</head><body>"
        f"<h1>警惕刷单返利诈骗</h1><div class='info'>{byline}</div>"
        f"<div class='content'>{body}</div></body></html>"
    )


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("2022-05-11 10:00 记者调查发现，刷单骗局又有新变种", None),
        ("2022-05-11 10:00 记者从市公安局获悉", None),
        ("2022-05-11 10:00 记者 张三", "张三"),
        ("2022-05-11 10:00 记者张三 报道", "张三"),
        ("2022-05-11 10:00 作者：李四 责任编辑：王五", "李四"),
        ("2022-05-11 10:00 责任编辑：王五", None),
        ("2022-05-11 10:00 文/赵刚", "赵刚"),
        ("2022-05-11 10:00 记者 段彦超 廖艳 通讯员 陈晨", "段彦超、廖艳"),
        ("2022-05-11 10:00 图片记者黎明、李妍摄", None),
    ],
)
def test_byline_needs_a_name(byline, author):
    assert extract(page(byline)).author == author


def test_reporter_verb_phrase_in_body_is_no_author():
    body = (
        "<p>记者调查发现，刷单骗局又有新变种，受害人多为在校学生和宝妈，损失从数千元到数万元不等。</p>"
        + PARAS
    )
    assert extract(page("2022-05-11 10:00", body)).author is None


def test_name_tagger():
    assert is_person_name("张三") and is_person_name("陆一夫")
    assert not is_person_name("调查发现") and not is_person_name("获悉")


@pytest.mark.parametrize(
    ("byline", "body", "source"),
    [
        ("2022-05-11 10:00 来源：厦门日报 作者：李四", PARAS, "厦门日报"),
        ("2022-05-11 10:00", "<p>中国网5月11日讯（记者 张艳玲）" + PARAS[3:], "中国网"),
        ("2022-05-11 10:00 来源：网络", PARAS, None),
        ("石佳/中国青年报 2022-05-11 10:00", PARAS, "中国青年报"),
    ],
)
def test_publisher_the_page_names(byline, body, source):
    assert extract(page(byline, body)).source == source


def test_site_name_is_not_the_publisher():
    head = '<meta property="og:site_name" content="某某网">'
    assert extract(page("2022-05-11 10:00", head=head)).source is None


def test_wechat_account_from_script_variable_alone():
    html = page("2022-05-11 10:00").replace(
        "</body>", '<script>var nickname = "平安海沧";</script></body>'
    )
    assert extract(html).source == "平安海沧"


def test_text_import_source_line_is_not_the_title(tmp_path: Path):
    text = (
        "来源：平安日报\n\n警惕刷单返利诈骗新套路。近日，市民王女士在网上做兼职刷单被骗三万余元。\n"
    )
    path = tmp_path / "a.txt"
    path.write_text(text, "utf-8")
    doc = read_document(path, path.read_bytes())
    assert doc.title == "警惕刷单返利诈骗新套路"
    assert doc.source_name == "平安日报"
