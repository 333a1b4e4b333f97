from datetime import datetime

import pytest

from archive.errors import InputError
from archive.extract.dates import CST, infer_year, parse_date, parse_month_day
from archive.importers.frontmatter import split_front_matter
from archive.importers.lead import guess_title, read_lead


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("2022-05-11 10:23:45", datetime(2022, 5, 11, 10, 23, 45, tzinfo=CST), "datetime"),
        ("发布时间：2022年05月11日 10:23", datetime(2022, 5, 11, 10, 23, tzinfo=CST), "datetime"),
        ("2022年5月11日", datetime(2022, 5, 11, tzinfo=CST), "date"),
        ("2022/5/11", datetime(2022, 5, 11, tzinfo=CST), "date"),
        ("1652236800", datetime(2022, 5, 11, 10, 40, tzinfo=CST), "datetime"),
        ("2022-05-11T02:23:45Z", datetime(2022, 5, 11, 10, 23, 45, tzinfo=CST), "datetime"),
        ("/content_20220511.htm", datetime(2022, 5, 11, tzinfo=CST), "date"),
    ],
)
def test_parse_date_forms(text, expected, precision):
    parsed = parse_date(text)
    assert parsed is not None and parsed.value == expected and parsed.precision == precision


@pytest.mark.parametrize("text", ["", "2022-13-45", "no date here", "0000-00-00", None])
def test_parse_date_rejects(text):
    assert parse_date(text) is None


def test_month_day_and_year_inference():
    md = parse_month_day("中国网5月11日讯")
    assert (md.month, md.day) == (5, 11)
    assert infer_year(5, 11, "2021年3月15日上线……2021年12月，试点") == 2022
    assert infer_year(5, 11, "2022年3月起") == 2022
    assert infer_year(5, 11, "没有年份") is None


def test_read_lead_of_news_dateline():
    info = read_lead("中国网5月11日讯（记者 张艳玲）记者从公安部获悉，近年来……")
    assert (info.source, info.author, info.month, info.day) == ("中国网", "张艳玲", 5, 11)
    assert read_lead("新华社北京5月11日电（记者王明）今天").source == "新华社"


def test_read_lead_attribution_lines():
    info = read_lead("转载：吉林市昌邑公安分局反诈骗中心\n来源：微信公众号\n正文")
    assert info.source == "吉林市昌邑公安分局反诈骗中心" and info.wechat


def test_guess_title_skips_the_lead():
    title = guess_title(
        "中国网5月11日讯（记者 张艳玲）记者从公安部获悉，近年来诈骗多发。",
        "中国网5月11日讯（记者 张艳玲）",
    )
    assert title == "近年来诈骗多发"


def test_front_matter_with_tabs():
    meta, body = split_front_matter("---\ntitle:\t标题\ntags:\n\t-\t案例\n---\n正文", "x")
    assert meta["title"] == "标题" and meta["tags"] == ["案例"] and body == "正文"


@pytest.mark.parametrize("text", ["---\ntitle: 未闭合\n正文", "---\ntitle: [坏的\n: :\n---\n正文"])
def test_broken_front_matter(text):
    with pytest.raises(InputError, match="broken front matter"):
        split_front_matter(text, "x.md")
