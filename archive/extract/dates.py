"""Dates as Chinese pages write them, read into time-zone aware datetimes.

Handles ISO 8601, ``2022-05-11 10:23:45``, ``2022/5/11``, ``2022.05.11``,
``2022年05月11日 10时23分``, Unix epochs (WeChat's ``var ct = "1652236800"``), and
month/day without a year (``5月11日``), whose year ``infer_year`` takes from the
text around it, and dates in URL paths (``/t20220511_``, ``/2022-05/11/``, ``/220511/``).
Times without a zone are China Standard Time (UTC+8). Dates relative to the moment a
page was fetched (``昨天 09:30``, ``前天``, ``3小时前``, ``2天前``, a byline's ``10-08 12:00``
without a year) are read by ``parse_relative`` against that moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from ..times import CST

_SEP_DATE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})\s*分?"
    r"(?:\s*[:：]\s*(?P<S>\d{1,2})\s*秒?)?(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_MONTH_DAY = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_YEAR_MONTH = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?:(?P<m>\d{1,2})\s*月)?")
_URL_DATE = re.compile(
    r"(?<!\d)(?P<y>20\d{2})[-/_]?(?P<m>[01]\d)[-/_]?(?P<d>[0-3]\d)(?!\d)"
    r"|(?<!\d)(?P<y2>20\d{2})[-/](?P<m2>[01]\d)/(?P<d2>[0-3]\d)(?!\d)"
    r"|/(?P<yy>\d{2})(?P<mm>[01]\d)(?P<dd>[0-3]\d)/"
)
_EPOCH = re.compile(r"^\s*(?P<e>1\d{9})(?:\d{3})?\s*$")


@dataclass(frozen=True)
class ParsedDate:
    """A date found in text; ``precision`` is ``datetime``, ``date`` or ``month-day``."""

    value: datetime | None
    precision: str
    month: int | None = None
    day: int | None = None


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return 1990 <= y <= 2100


def _zone(tz: str | None) -> timezone:
    if not tz:
        return CST
    if tz == "Z":
        return UTC
    sign = 1 if tz[0] == "+" else -1
    digits = tz[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_date(text: str | None) -> ParsedDate | None:
    """The first full date in ``text`` (with its time when given), or None."""
    if not text:
        return None
    m = _EPOCH.match(text)
    if m:
        return ParsedDate(datetime.fromtimestamp(int(m.group("e")), CST), "datetime")
    for m in _SEP_DATE.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        if not _valid(y, mo, d):
            continue
        if m["H"] is not None and int(m["H"]) < 24 and int(m["M"]) < 60:
            sec = int(m["S"]) if m["S"] and int(m["S"]) < 60 else 0
            dt = datetime(y, mo, d, int(m["H"]), int(m["M"]), sec, tzinfo=_zone(m["tz"]))
            return ParsedDate(dt, "datetime")
        return ParsedDate(datetime(y, mo, d, tzinfo=CST), "date")
    for m in _COMPACT.finditer(text):
        y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        if _valid(y, mo, d):
            return ParsedDate(datetime(y, mo, d, tzinfo=CST), "date")
    return None


def parse_month_day(text: str) -> ParsedDate | None:
    """A ``5月11日`` style date without a year (the year left for ``infer_year``)."""
    m = _MONTH_DAY.search(text)
    if not m:
        return None
    mo, d = int(m["m"]), int(m["d"])
    if not _valid(2000, mo, d) and not (mo == 2 and d == 29):
        return None
    return ParsedDate(None, "month-day", mo, d)


def infer_year(month: int, day: int, context: str) -> int | None:
    """The year of a month/day dateline, from the dates the article itself mentions.

    A news lead is written after the events it reports: the year is the first one in
    which month/day falls on or after the latest year (and month) mentioned in the text.
    ``5月11日`` in a text that mentions 2021年12月 is 2022-05-11. None when the text
    names no year.
    """
    latest: tuple[int, int] | None = None
    for m in _YEAR_MONTH.finditer(context):
        y = int(m["y"])
        mo = int(m["m"]) if m["m"] and 1 <= int(m["m"]) <= 12 else 1
        if 1990 <= y <= 2100 and (latest is None or (y, mo) > latest):
            latest = (y, mo)
    if latest is None:
        return None
    year = latest[0]
    if (month, day) < (latest[1], 1):
        year += 1
    return year


def url_date(url: str) -> ParsedDate | None:
    """A date in the URL path (``/t20220511_``, ``/2022-05/11/``, ``/20220511/``)."""
    path = url.split("?", 1)[0]
    for m in _URL_DATE.finditer(path):
        if m["y"]:
            y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
        elif m["y2"]:
            y, mo, d = int(m["y2"]), int(m["m2"]), int(m["d2"])
        else:
            y, mo, d = 2000 + int(m["yy"]), int(m["mm"]), int(m["dd"])
        try:
            date(y, mo, d)
        except ValueError:
            continue
        return ParsedDate(datetime(y, mo, d, tzinfo=CST), "date")
    m = re.search(r"(?<!\d)(20\d{2})-([01]\d)/([0-3]\d)(?!\d)", path)
    if m:
        return parse_date(f"{m[1]}-{m[2]}-{m[3]}")
    return None


_CLOCK = r"(?:\s*(?P<H>[01]?\d|2[0-3])\s*[:：]\s*(?P<M>[0-5]\d))?"
_DAY_WORD = re.compile(r"(?P<w>今天|今日|昨天|昨日|前天)" + _CLOCK)
_AGO = re.compile(r"(?P<n>\d{1,3})\s*(?P<u>秒|分钟|分|小时|个小时|天|日|周|星期)\s*前")
_JUST_NOW = re.compile(r"刚刚|刚才")
# a month/day stamp with a time and no year: ``10-08 12:00``, ``5月11日 10:23``
_BARE_MONTH_DAY = re.compile(
    r"(?<![\d\-/.年])(?:(?P<m>[01]?\d)\s*月\s*(?P<d>[0-3]?\d)\s*日|(?P<m2>[01]\d)[-/](?P<d2>[0-3]\d))"
    r"\s*(?P<H>[01]?\d|2[0-3])\s*[:：]\s*(?P<M>[0-5]\d)(?![\d\-/.])"
)
_DAYS_BACK = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}
_UNIT_SECONDS = {
    "秒": 1, "分钟": 60, "分": 60, "小时": 3600, "个小时": 3600,
    "天": 86400, "日": 86400, "周": 7 * 86400, "星期": 7 * 86400,
}  # fmt: skip


def parse_relative(text: str | None, now: datetime) -> ParsedDate | None:
    """A date written relative to ``now`` (the fetch time), read in China time.

    ``今天/昨天/前天`` with or without a time, ``N秒/分钟/小时/天/周前``, ``刚刚``, and a
    month/day stamp without a year (``10-08 12:00``, ``5月11日 10:23``): the latest such
    moment not after ``now``. Stamps, minutes and hours ago, and day words with a time are
    exact (``datetime``); days and weeks ago, and day words alone, are a day (``date``).
    """
    if not text:
        return None
    local = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(CST)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    found: list[tuple[int, ParsedDate]] = []
    m = _DAY_WORD.search(text)
    if m:
        day = midnight - timedelta(days=_DAYS_BACK[m["w"]])
        if m["H"] is not None:
            value = day.replace(hour=int(m["H"]), minute=int(m["M"]))
            found.append((m.start(), ParsedDate(value, "datetime")))
        else:
            found.append((m.start(), ParsedDate(day, "date")))
    m = _AGO.search(text)
    if m:
        seconds = int(m["n"]) * _UNIT_SECONDS[m["u"]]
        if seconds < 86400:
            value = (local - timedelta(seconds=seconds)).replace(second=0, microsecond=0)
            found.append((m.start(), ParsedDate(value, "datetime")))
        else:
            found.append((m.start(), ParsedDate(midnight - timedelta(seconds=seconds), "date")))
    m = _JUST_NOW.search(text)
    if m:
        found.append((m.start(), ParsedDate(local.replace(second=0, microsecond=0), "datetime")))
    m = _BARE_MONTH_DAY.search(text)
    if m:
        month, day = (m["m"], m["d"]) if m["m"] else (m["m2"], m["d2"])
        parsed = _month_day_before(int(month), int(day), m["H"], m["M"], local)
        if parsed:
            found.append((m.start(), parsed))
    return min(found, key=lambda f: f[0])[1] if found else None


def _month_day_before(
    month: int, day: int, hour: str | None, minute: str | None, local: datetime
) -> ParsedDate | None:
    """``month``/``day`` in the latest year in which it is not after ``local``."""
    for year in (local.year, local.year - 1):
        if not _valid(year, month, day):
            continue
        value = datetime(year, month, day, tzinfo=CST)
        if hour is not None:
            value = value.replace(hour=int(hour), minute=int(minute or 0))
        if value <= local:
            return ParsedDate(value, "datetime")
    return None
