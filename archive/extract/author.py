"""The author of a page: a named writer or reporter, never the editor or the outlet.

A byline needs a name. ``记者 张三``, ``记者张三 报道``, ``作者：李四``, ``文/赵刚``,
``执笔/…``, ``采写：南都记者 余毅菁 向雪妮`` name authors; ``记者调查发现`` and
``记者从市公安局获悉`` do not (``names.is_person_name`` tells a name from a verb
phrase). ``责任编辑``/``编辑`` is never read as an author. Several names are joined
with ``、``.

Looked for in the byline under the headline, then in the page's visible text, then in
the author meta tags (only a personal name or a handle that is not the outlet), and last
in the newspaper convention of a name in brackets at the end of the text (``（张巨峰）``).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .metadata import json_ld
from .names import has_verb, is_person_name, is_placeholder
from .publisher import slash_byline

_CJK = r"\u4e00-\u9fff·"
# a label with a strong separator: what follows is the author, whatever it reads like
_STRONG = re.compile(
    r"(?:(?<![\u4e00-\u9fff])(?:作者|撰稿|撰文|执笔|采写|文|图文|Author|By)|(?<=[^\u4e00-\u9fff])作者)"
    r"\s*[:：/|｜]\s*"
    r"(?:[^\s:：/，,。]{0,12}?(?:记者|作者|通讯员)\s*)?"
)
# a label followed by a name without a colon: the name must read as a personal name
_WEAK = re.compile(r"(?:(?:见习|实习|特约)?记者|通讯员|作者)\s*")
_NAME_RUN = re.compile(rf"[{_CJK}]{{2,12}}|[A-Za-z][A-Za-z0-9_.\- ]{{1,30}}[A-Za-z0-9]")
_LIST_SEP = re.compile(r"\s*(?:[、,，&＆]|和)\s*|\s+")
_TAIL_WORDS = ("报道", "摄影", "摄", "整理", "编译", "综合", "供稿", "通讯员", "实习生", "编辑")
_END_BRACKET = re.compile(
    rf"[（(]\s*([{_CJK}]{{2,4}}(?:\s*[、 ]\s*[{_CJK}]{{2,4}}){{0,3}})\s*[）)]\s*$"
)
_NOT_AFTER = re.compile(r"^\s*(?:摄|供图|图)")
# labels that end an author's run when a page prints fields without spaces
_LABEL_STOP = re.compile(r"时间|日期|来源|出处|编辑|责编|发布|字号|浏览|阅读|点击")


def author_of(
    doc: HtmlElement, byline: str, page_text: str, main_text: str, publisher: str | None
) -> str | None:
    """The author the page names, or None (see the module docstring)."""
    slashed = slash_byline(byline)
    if slashed:
        return slashed[0]
    for text in (byline, page_text):
        found = labelled_author(text)
        if found:
            return found
    for obj in json_ld(doc):
        a = obj.get("author")
        a = a[0] if isinstance(a, list) and a else a
        a = a.get("name") if isinstance(a, dict) else a
        if isinstance(a, str) and a.strip() and a.strip() != publisher:
            return a.strip()
    meta = _meta_author(doc, publisher)
    if meta:
        return meta
    return closing_bracket_author(main_text)


def labelled_author(text: str) -> str | None:
    """The first author named after a byline label in ``text``."""
    text = " ".join(text.split())
    hits = [(m.end(), True) for m in _STRONG.finditer(text)]
    hits += [(m.end(), False) for m in _WEAK.finditer(text)]
    for end, strong in sorted(hits):
        names = _names_at(text, end, strong)
        if names:
            return "、".join(names)
    return None


def closing_bracket_author(main_text: str) -> str | None:
    """``……举行。（张巨峰）``: the newspaper's author credit closing the text."""
    lines = [ln for ln in main_text.split("\n") if ln.strip()]
    for line in lines[-2:][::-1]:
        m = _END_BRACKET.search(line.strip())
        if m:
            names = [n for n in re.split(r"[、\s]+", m.group(1)) if n]
            if names and all(is_person_name(n) for n in names):
                return "、".join(names)
    return None


def _names_at(text: str, pos: int, strong: bool) -> list[str]:
    names: list[str] = []
    while True:
        m = _NAME_RUN.match(text, pos)
        if not m:
            break
        name, ok = _one_name(m.group(0), text, m.end(), strong)
        if not ok:
            break
        names.append(name)
        pos = m.start() + len(name)
        if _NOT_AFTER.match(text[pos:]):  # 记者黎旭阳、李妍摄: a photo credit
            return []
        sep = _LIST_SEP.match(text, pos)
        if not sep:
            break
        explicit = bool(sep.group(0).strip())
        nxt = _NAME_RUN.match(text, sep.end())
        if not nxt:
            break
        # a list goes on after 、 or &, or after a space when the next word is a name
        if not explicit and not is_person_name(_head_name(nxt.group(0))):
            break
        pos = sep.end()
        strong = strong and explicit
    return names


def _one_name(run: str, text: str, run_end: int, strong: bool) -> tuple[str, bool]:
    if run.isascii():
        run = run.strip()
        ok = strong and not is_placeholder(run) and "@" not in run
        return run, ok and len(run) <= 30
    run = _LABEL_STOP.split(run, maxsplit=1)[0]
    for word in _TAIL_WORDS:  # 张三报道, 李四摄
        if run.endswith(word) and len(run) - len(word) >= 2:
            run = run[: -len(word)]
            break
    if strong and 2 <= len(run) <= 12 and not is_placeholder(run):
        if _NOT_AFTER.match(text[run_end:]) and len(run) <= 4:
            return run, False  # 文/图 张三摄: a photo credit
        if len(run) <= 4 or (not is_person_name(_head_name(run)) and not has_verb(run)):
            return run, True
    name = _head_name(run)
    rest = run[len(name) :]
    # without a colon the name must stand alone: 记者张三 报道, not 记者向龙湖集团…
    delimited = not rest or rest.startswith(_TAIL_WORDS)
    return name, delimited and is_person_name(name) and not _NOT_AFTER.match(text[run_end:])


def _head_name(run: str) -> str:
    """The personal name at the start of a run of characters (``陈智整合`` -> ``陈智``)."""
    for size in (3, 2, 4):
        if len(run) >= size and is_person_name(run[:size]):
            if size == 2 and len(run) >= 3 and is_person_name(run[:3]):
                return run[:3]
            return run[:size]
    return run[:4]


def _meta_author(doc: HtmlElement, publisher: str | None) -> str | None:
    title = " ".join((doc.findtext(".//title") or "").split())
    for m in doc.iter("meta"):
        key = (m.get("property") or m.get("name") or "").strip().lower()
        if key not in ("author", "article:author", "og:article:author"):
            continue
        value = " ".join((m.get("content") or "").split())
        if not value or value == publisher or is_placeholder(value) or value in title:
            continue
        if is_person_name(value):
            return value
        if re.fullmatch(r"[a-z][a-z0-9_]{2,30}", value):  # a handle such as kingname
            return value
    return None
