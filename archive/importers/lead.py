"""Metadata that Chinese articles write into their own text.

- the news dateline lead: ``中国网5月11日讯（记者 张艳玲）``, ``新华社北京5月11日电``;
- attribution lines near the top: ``来源：…``, ``转载：…``, ``作者：…``, ``记者 …``;
- a title when none is given: the first heading, else the first sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..extract.names import is_person_name
from ..extract.publisher import DATELINE, strip_city
from ..normalize import split_sentences

_CREDIT_AUTHOR = re.compile(
    r"(?:记者|作者|通讯员|文|撰稿)[\s:：]*([\u4e00-\u9fff·]{2,4}(?:[\s、,，][\u4e00-\u9fff·]{2,4})*)"
)
_ATTR = re.compile(
    r"^\s*(?P<key>来源|转载自|转载|转自|出处|作者|记者|编辑|责任编辑|责编)\s*[:：]\s*(?P<value>[^\s|｜]{1,40})"
)
_GENERIC_SOURCES = {"微信公众号", "公众号", "网络", "互联网", "网络转载", "本站", "原创"}
_NOT_AUTHORS = {"转载", "佚名", "匿名", "admin", "编辑", "本站"}


@dataclass
class LeadInfo:
    source: str | None = None
    author: str | None = None
    month: int | None = None
    day: int | None = None
    year: int | None = None
    wechat: bool = False
    lead: str | None = None  # the matched dateline text


def read_lead(text: str) -> LeadInfo:
    """Source, author and dateline from the first lines of ``text``."""
    info = LeadInfo()
    head_lines = [ln for ln in text.split("\n")[:12] if ln.strip()]
    for line in head_lines[:6]:
        m = DATELINE.match(line)
        if m:
            info.source = strip_city(m["source"])
            info.month, info.day = int(m["m"]), int(m["d"])
            info.year = int(m["y"]) if m["y"] else None
            info.lead = m.group(0)
            if m["credit"]:
                a = _CREDIT_AUTHOR.search(m["credit"])
                name = re.split(r"[\s、,，]", a.group(1))[0] if a else ""
                if is_person_name(name):  # 记者调查发现 names nobody
                    info.author = name
            break
    for line in head_lines:
        for part in re.split(r"\s{2,}|[|｜]", line):
            a = _ATTR.match(part)
            if not a:
                continue
            key, value = a["key"], a["value"].strip("。，,")
            if key in ("来源", "转载自", "转载", "转自", "出处"):
                if value in _GENERIC_SOURCES:
                    info.wechat = info.wechat or "公众号" in value
                elif info.source is None:
                    info.source = value
            elif key in ("作者", "记者") and info.author is None and value not in _NOT_AUTHORS:
                info.author = value
    return info


def guess_title(text: str, lead: str | None = None, limit: int = 40) -> str:
    """A title for a text that has none: its first sentence, without the dateline lead."""
    # attribution lines (来源：平安日报, 作者：…) are metadata, not the title
    lines = text.split("\n")
    while lines and (not lines[0].strip() or _ATTR.match(lines[0])):
        lines.pop(0)
    body = "\n".join(lines)
    if lead and body.lstrip().startswith(lead):
        body = body.lstrip()[len(lead) :]
    body = re.sub(r"^\s*记者从[^，,。]{1,20}获悉[，,]", "", body)
    for sentence in split_sentences(body):
        sentence = sentence.strip("。！？!? ")
        if len(sentence) >= 4:
            return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
    return ""
