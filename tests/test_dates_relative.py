"""Relative dates read against the fetch time, and the markup places a date is found in."""

from datetime import UTC, datetime

import pytest

from archive.extract.dates import parse_relative
from archive.extract.html import extract
from archive.extract.page import page_document
from archive.times import CST

# fetched 2024-05-20 15:00 China time
FETCHED = datetime(2024, 5, 20, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected", "precision"),
    [
        ("昨天 09:30", datetime(2024, 5, 19, 9, 30, tzinfo=CST), "datetime"),
        ("前天", datetime(2024, 5, 18, tzinfo=CST), "date"),
        ("今天", datetime(2024, 5, 20, tzinfo=CST), "date"),
        ("今天 08:05", datetime(2024, 5, 20, 8, 5, tzinfo=CST), "datetime"),
        ("3小时前", datetime(2024, 5, 20, 12, 0, tzinfo=CST), "datetime"),
        ("25分钟前", datetime(2024, 5, 20, 14, 35, tzinfo=CST), "datetime"),
        ("2天前", datetime(2024, 5, 18, tzinfo=CST), "date"),
        ("1周前", datetime(2024, 5, 13, tzinfo=CST), "date"),
        ("刚刚", datetime(2024, 5, 20, 15, 0, tzinfo=CST), "datetime"),
        # a month/day stamp without a year: the latest one not after the fetch
        ("发布时间：05-19 22:46", datetime(2024, 5, 19, 22, 46, tzinfo=CST), "datetime"),
        ("10-08 12:00", datetime(2023, 10, 8, 12, 0, tzinfo=CST), "datetime"),
    ],
)
def test_relative_dates_against_the_fetch_time(text, expected, precision):
    parsed = parse_relative(text, FETCHED)
    assert parsed is not None
    assert (parsed.value, parsed.precision) == (expected, precision)


@pytest.mark.parametrize("text", ["", "增长了12.5%", "没有日期", "第3天", None])
def test_no_relative_date(text):
    assert parse_relative(text, FETCHED) is None


PAGE = """<html><head><title>警方提醒：谨防刷单诈骗</title></head><body>
<h1>警方提醒：谨防刷单诈骗</h1>
<div class="info"><span>平安北京</span> <span>{when}</span></div>
<div class="content">{body}</div></body></html>"""
BODY = "<p>" + "近日，市民王女士在网上看到刷单兼职广告，按对方要求垫付资金后被骗。" * 6 + "</p>"


def test_extract_reads_a_relative_byline_date_against_the_fetch_time():
    page = PAGE.format(when="昨天 09:30", body=BODY)
    ex = extract(page, "https://example.org/a/1.html", fetched_at=FETCHED)
    assert ex.published is not None
    assert ex.published.value == datetime(2024, 5, 19, 9, 30, tzinfo=CST)
    # without a fetch time there is no "yesterday" to read
    assert extract(page, "https://example.org/a/1.html").published is None


def test_a_crawled_page_gets_its_relative_date_from_its_fetch_time():
    page = PAGE.format(when="3小时前", body=BODY).encode("utf-8")
    result = page_document(page, "https://example.org/a/2.html", fetched_at=FETCHED)
    assert result.document is not None
    assert result.document.published_at == datetime(2024, 5, 20, 12, 0, tzinfo=CST)
    assert result.document.published_precision == "datetime"


def test_absolute_dates_win_over_relative_ones():
    page = PAGE.format(when="2024-05-01 10:00 昨天", body=BODY)
    ex = extract(page, None, fetched_at=FETCHED)
    assert ex.published.value == datetime(2024, 5, 1, 10, 0, tzinfo=CST)


@pytest.mark.parametrize(
    ("head", "script", "expected"),
    [
        # JSON-LD pubDate (Baidu's structured data)
        (
            '<script type="application/ld+json">{"pubDate": "2019-09-05T11:10:52"}</script>',
            "",
            datetime(2019, 9, 5, 11, 10, 52, tzinfo=CST),
        ),
        # an updated-time meta when the page names nothing else
        (
            '<meta itemprop="dateUpdate" content="2019-10-08 12:00:57">',
            "",
            datetime(2019, 10, 8, 12, 0, 57, tzinfo=CST),
        ),
        # a script variable, even far down a long page
        ("", "x" * 400_000 + '<script>var ct = "1581517074";</script>', None),
        ("", '<script>var d = {"pubtime": "2019-09-07 19:02:26"};</script>', None),
    ],
)
def test_dates_in_markup_and_scripts(head, script, expected):
    page = (
        f"<html><head><title>标题文字很长的一篇</title>{head}</head><body>"
        f"<h1>标题文字很长的一篇</h1><div>{BODY}</div>{script}</body></html>"
    )
    ex = extract(page, None)
    assert ex.published is not None
    if expected is not None:
        assert ex.published.value == expected
    elif "ct =" in script:
        assert ex.published.value == datetime(2020, 2, 12, 22, 17, 54, tzinfo=CST)
    else:
        assert ex.published.value == datetime(2019, 9, 7, 19, 2, 26, tzinfo=CST)


def test_first_date_and_time_in_the_visible_text():
    page = (
        "<html><head><title>某某评论</title></head><body><div class=top>"
        "<span>2019-09-07 09:25:09</span> <span>来源：观察者网</span></div>"
        f"<div>{BODY}</div></body></html>"
    )
    ex = extract(page, None)
    assert ex.published.value == datetime(2019, 9, 7, 9, 25, 9, tzinfo=CST)
