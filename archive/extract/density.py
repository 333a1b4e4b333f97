"""The generic main-text extractor: paragraph scores flow to their containers.

How it works (a Readability-style method tuned for Chinese news pages):

1. Clean the tree: scripts, styles, forms' controls, ``nav``/``aside``, hidden
   elements and blocks whose class or id names a boilerplate role (share, related,
   comment, footer, breadcrumb, ...) are removed.
2. Every paragraph-like block (``p``, ``pre``, ``blockquote``, a ``div``/``td`` holding
   text directly, text split by ``<br>``) scores its characters that are not link
   text, plus a bonus per Chinese sentence punctuation mark, times
   ``(1 - link density)²``. The score goes to the block's parent in full and to
   its grandparent by half (and to the block itself when it holds text directly).
3. The container with the highest score, discounted by its own link density,
   wins; siblings that score at least a fifth as much (or are long, link-poor
   paragraphs) join it, as the body of an article is sometimes split.
4. The winner's text is written out block by block, skipping link-dense boxes,
   boilerplate blocks and lines (``责任编辑：``, ``上一篇``, share prompts, copyright).

Why not only trafilatura: on Chinese portals it keeps related-link lists and
drops ``<br>``-separated bodies; this method scores ``bench/extraction.py``'s real
pages higher (see docs/extraction.md, Extraction).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "iframe",
        "svg",
        "canvas",
        "object",
        "embed",
        "button",
        "input",
        "select",
        "textarea",
        "nav",
        "aside",
        "template",
        "link",
        "meta",
        "head",
        "map",
        "area",
        "audio",
        "video",
        "source",
        "track",
        "dialog",
    ]
)
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "li",
        "ul",
        "ol",
        "td",
        "th",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "br",
        "dd",
        "dt",
        "dl",
        "figure",
        "figcaption",
        "center",
        "form",
        "header",
        "footer",
        "hr",
        "address",
        "details",
        "summary",
        "caption",
    ]
)
_PARA_TAGS = frozenset({"p", "pre", "blockquote", "h2", "h3", "h4", "h5", "h6", "li", "dd"})
_CONTAINER_TAGS = frozenset(
    {"div", "section", "article", "main", "td", "body", "center", "form", "span", "font"}
)

# class/id tokens that name a boilerplate role; matched against whole tokens split at
# '-', '_' and spaces, so "share-box" and "relatedNews" match but "shareholder" does not
_BAD_TOKENS = re.compile(
    r"^(?:share|sharing|bdshare|social|related|relate|recommend|recommended|recom|"
    r"comment|comments|reply|footer|foot|copyright|breadcrumb|breadcrumbs|crumb|crumbs|"
    r"nav|navbar|navigation|menu|sidebar|side|aside|sidebox|ad|ads|advert|advertisement|"
    r"banner|sponsor|popup|modal|login|signin|toolbar|tool|tools|pager|pagination|"
    r"hot|hotnews|rank|ranking|tags|tag|keyword|keywords|qrcode|erweima|ewm|weixin|"
    r"player|subscribe|newsletter|print|cookie|gotop|backtop|totop|fixed|float|next|prev|"
    r"pre|more|extra|widget|promo|statement|disclaimer|corrigendum|jiucuo|zrbj)$",
    re.IGNORECASE,
)
_GOOD_TOKENS = re.compile(
    r"^(?:content|article|artical|main|body|text|post|entry|story|detail|zw|"
    r"zhengwen|con|cont|txt|rich|news_txt|js_content)$",
    re.IGNORECASE,
)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
# ``visibility: hidden`` is not here: WeChat and others reveal the article by script
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none", re.IGNORECASE)

PUNCT = frozenset("，。；：！？、,.;!?：“”")
_SENT_PUNCT = frozenset("，。；！？、")

# lines that are page furniture, not article text
BOILERPLATE_LINE = re.compile(
    r"^\s*(?:[【\[(（]?\s*(?:责任编辑|责编|编辑|审核|校对|审校|值班编辑|本文编辑|"
    r"特别声明|发布时间|发布日期|发稿时间|实习编辑|监制|统筹|策划|终审|初审|复审|纠错|打印|关闭|收藏|返回顶部|分享到|分享至|"
    r"扫一扫|扫描二维码|点击进入|相关阅读|相关新闻|相关链接|延伸阅读|推荐阅读|热点推荐|"
    r"热门推荐|上一篇|下一篇|上一页|下一页|版权所有|版权声明|免责声明|Copyright|©|"
    r"举报|我要纠错|字号|小\s*中\s*大|本文来源|文章来源|信息来源|内容来源|素材来源|来源|转自|转载自)"
    r"\s*[】\]）)]?\s*[:：]?)",
    re.IGNORECASE,
)
# disclaimers and reprint notices, wherever they stand in a line
DISCLAIMER = re.compile(
    r"仅提供信息存储服务|不代表本(?:站|网|平台|号)?(?:的)?(?:观点|立场)|如有侵权|如涉及侵权|"
    r"转载请注明|未经(?:本网)?(?:书面)?(?:授权|许可)[^。]{0,12}不得(?:转载|使用)|"
    r"版权归原作者|联系(?:我们)?删除|is uploaded and posted by a user"
)
# a WeChat account's sign-off: "点击上方蓝字关注我们" above the text, "- END -" below it
FOLLOW_PROMPT = re.compile(
    r"^[\s▲△↑☝👆]*(?:点击|点)[^，。]{0,6}(?:上方|下方|蓝字|标题下)[^。]{0,12}关注[^。]{0,12}$"
    r"|^[\s▲△↑☝]*(?:关注我们|长按(?:识别)?二维码[^。]{0,8}关注.*|扫码关注.*)$"
)
END_MARK = re.compile(r"^[\s\-—–_=·•~～*#]*(?:END|End|end|完|结束)[\s\-—–_=·•~～*#]*$")
_SHORT_FURNITURE = re.compile(
    r"^(?:分享|分享到[:：]?.*|打印|关闭|收藏|返回|顶部|\[?打印本页\]?|\[?关闭窗口\]?|"
    r"扫一扫.*|微信扫一扫.*|点击.*查看.*|.*ICP备.*|.*版权所有.*|.*公网安备.*)$"
)


@dataclass
class MainText:
    """The main block of a page: its text, the element, and how link-heavy it is."""

    text: str
    element: HtmlElement | None
    link_density: float
    score: float
    #: the winning container and the siblings that joined it, in page order
    parts: list[HtmlElement] = field(default_factory=list)


def clean_tree(root: HtmlElement) -> None:
    """Remove what is never main text (in place).

    Hidden elements go too, unless one holds most of the page's text (pages that
    show their article by script start with it hidden).
    """
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el)
    hidden = []
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if el.tag in DROP_TAGS:
            _drop(el)
        elif el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style") or ""):
            hidden.append(el)
    if hidden:
        total = _chars(root.text_content())
        for el in hidden:
            if _chars(el.text_content()) < total / 2:
                _drop(el)


def is_boilerplate_block(el: HtmlElement) -> bool:
    """A block whose class or id names a boilerplate role (share box, related list...)."""
    if el.tag in ("body", "html"):
        return False
    if el.tag in ("footer",):
        return True
    tokens = []
    for attr in ("class", "id"):
        v = el.get(attr)
        if v:
            tokens.extend(t for t in _TOKEN_SPLIT.split(v) if t)
    if not tokens:
        return False
    if any(_GOOD_TOKENS.match(t) for t in tokens):
        return False
    return any(_BAD_TOKENS.match(t) for t in tokens)


def remove_boilerplate_blocks(root: HtmlElement, keep_chars: int) -> None:
    """Drop boilerplate-named blocks unless one holds most of the page's text."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if is_boilerplate_block(el):
            n = _chars(el.text_content())
            if n < keep_chars:
                _drop(el)


def _drop(el: HtmlElement) -> None:
    """Remove an element but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _chars(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


def _link_chars(el: HtmlElement) -> int:
    return sum(_chars(a.text_content()) for a in el.iter("a"))


def _direct_text(el: HtmlElement) -> str:
    """Text held directly by ``el``: its text, inline children's text, and tails."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in BLOCK_TAGS:
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts)


def _direct_link_chars(el: HtmlElement) -> int:
    n = 0
    for child in el:
        if child.tag == "a":
            n += _chars(child.text_content())
        elif isinstance(child.tag, str) and child.tag not in BLOCK_TAGS:
            n += _link_chars(child)
    return n


def _unit_score(text: str, link_chars: int) -> float:
    n = _chars(text)
    if n == 0:
        return 0.0
    own = max(n - link_chars, 0)
    punct = sum(1 for c in text if c in _SENT_PUNCT)
    if own < 8 and punct == 0:
        return 0.0
    ld = link_chars / n
    return (own + 8 * punct) * (1 - ld) ** 2


#: the share of a paragraph's score its container and the container's ancestors get
ANCESTOR_WEIGHTS = (1.0, 0.5)


def score_tree(root: HtmlElement) -> dict[HtmlElement, float]:
    """Container scores from their paragraph-like descendants."""
    scores: dict[HtmlElement, float] = {}

    def add(el: HtmlElement | None, value: float) -> None:
        if el is not None:
            scores[el] = scores.get(el, 0.0) + value

    def spread(el: HtmlElement | None, value: float) -> None:
        for weight in ANCESTOR_WEIGHTS:
            if el is None:
                break
            add(el, value * weight)
            el = el.getparent()

    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in _PARA_TAGS:
            s = _unit_score(el.text_content(), _link_chars(el))
            if s:
                spread(el.getparent(), s)
        elif el.tag in _CONTAINER_TAGS:
            text = _direct_text(el)
            if _chars(text) >= 8:
                s = _unit_score(text, _direct_link_chars(el))
                if s:
                    spread(el, s)
    return scores


#: how far above the headline the search for a nearby body goes, and how strong a
#: nearby candidate must be, relative to the page's best, to be preferred
NEAR_TITLE_LEVELS = 6
NEAR_TITLE_SHARE = 0.1
NEAR_TITLE_MIN = 60.0


def best_container(
    root: HtmlElement, headline: HtmlElement | None = None
) -> tuple[HtmlElement | None, float]:
    """The highest-scoring container, preferring one close to the headline.

    Teaser streams ("more stories") can hold more text than a short article; the
    article's own body sits next to its headline. Walking up from the headline, the
    first ancestor holding a candidate worth at least ``NEAR_TITLE_SHARE`` of the
    page's best wins.
    """
    scores = score_tree(root)
    final: dict[HtmlElement, float] = {}
    for el, s in scores.items():
        n = _chars(el.text_content())
        ld = _link_chars(el) / n if n else 1.0
        final[el] = s * (1 - ld) * (TEASER_PENALTY if is_teaser_list(el) else 1.0)
    if not final:
        return None, 0.0
    best = max(final, key=final.__getitem__)
    best_score = final[best]
    if headline is not None:
        floor = max(NEAR_TITLE_MIN, NEAR_TITLE_SHARE * best_score)
        anc = headline.getparent()
        for _ in range(NEAR_TITLE_LEVELS):
            if anc is None:
                break
            if anc is best or best in set(anc.iterancestors()):
                break  # the global best is already near the headline
            inside = [
                (v, el)
                for el, v in final.items()
                if v >= floor and el is not headline and _is_within(el, anc)
            ]
            if inside:
                v, el = max(inside, key=lambda t: t[0])
                return el, v
            anc = anc.getparent()
    return best, best_score


TEASER_PENALTY = 0.3


def is_teaser_list(el: HtmlElement) -> bool:
    """A column of teasers: at least 3 children, each led by a headline link, holding
    most of the text ("more stories", search results, a list page's items)."""
    items = 0
    item_chars = 0
    for child in el:
        if not isinstance(child.tag, str):
            continue
        links = [a for a in child.iter("a") if _chars(a.text_content()) >= 6]
        if links:
            items += 1
            item_chars += _chars(child.text_content())
    if items < 3:
        return False
    return item_chars >= 0.6 * _chars(el.text_content())


def _is_within(el: HtmlElement, anc: HtmlElement) -> bool:
    return el is anc or any(a is anc for a in el.iterancestors())


def find_headline(root: HtmlElement, title: str) -> HtmlElement | None:
    """The ``h1``-``h3`` (or other short block) whose text is the title."""
    t = _squash(title)
    if len(t) < 4:
        return None
    for el in root.iter("h1", "h2", "h3"):
        if _squash(el.text_content()) == t:
            return el
    for el in root.iter("h1"):
        sq = _squash(el.text_content())
        if sq and (t in sq or sq in t) and len(sq) >= 4:
            return el
    return None


def main_text(
    root: HtmlElement, *, title: str = "", headline: HtmlElement | None = None
) -> MainText:
    """Find the main text of a cleaned page (``clean_tree`` first)."""
    body_chars = _chars(root.text_content())
    if headline is None:
        headline = find_headline(root, title)
    remove_boilerplate_blocks(root, keep_chars=max(200, body_chars // 2))
    if headline is not None and not _is_within(headline, root):
        headline = None  # removed with a boilerplate block
    best, score = best_container(root, headline)
    if best is None:
        return MainText("", None, 1.0, 0.0)
    parts = [best]
    parent = best.getparent()
    if parent is not None:
        scores = score_tree(parent)
        threshold = max(10.0, 0.2 * scores.get(best, score))
        parts = []
        for sib in parent:
            if not isinstance(sib.tag, str):
                continue
            if sib is best:
                parts.append(sib)
                continue
            n = _chars(sib.text_content())
            ld = _link_chars(sib) / n if n else 1.0
            if (scores.get(sib, 0.0) * (1 - ld) >= threshold and ld < 0.3) or (
                sib.tag == "p" and n >= 40 and ld < 0.2
            ):
                parts.append(sib)
        parts = _with_adjacent_figures(parent, parts)
    lines: list[str] = []
    for part in parts:
        lines.extend(block_lines(part))
    lines = filter_lines(lines, title)
    text = "\n".join(lines)
    n = _chars(text)
    ld = sum(_link_chars(p) for p in parts) / max(1, sum(_chars(p.text_content()) for p in parts))
    return MainText(text, best if n else None, ld, score, parts if n else [])


def _with_adjacent_figures(parent: HtmlElement, parts: list[HtmlElement]) -> list[HtmlElement]:
    """Add image-only siblings (figures, image paragraphs) next to chosen parts."""
    chosen = set(parts)
    kids = [k for k in parent if isinstance(k.tag, str)]
    out = []
    for i, k in enumerate(kids):
        if k in chosen:
            out.append(k)
            continue
        near = (i > 0 and kids[i - 1] in chosen) or (i + 1 < len(kids) and kids[i + 1] in chosen)
        if near and _chars(k.text_content()) < 20 and next(k.iter("img"), None) is not None:
            out.append(k)
    return out


def block_lines(el: HtmlElement) -> list[str]:
    """The text of ``el`` as lines, one per block, skipping link-dense boxes."""
    buf: list[str] = []
    lines: list[str] = []

    def flush() -> None:
        line = " ".join("".join(buf).split())
        if line:
            lines.append(line)
        buf.clear()

    def walk(node: HtmlElement) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        block = tag in BLOCK_TAGS
        if block and node is not el and _is_link_box(node):
            flush()
            return
        if block:
            flush()
        if tag == "br":
            flush()
        elif node.text:
            buf.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                buf.append(child.tail)
        if block:
            flush()

    walk(el)
    flush()
    return lines


def _is_link_box(el: HtmlElement) -> bool:
    """A block that is mostly links: a related-articles list, a tag cloud, a pager."""
    n = _chars(el.text_content())
    if n == 0:
        return False
    links = list(el.iter("a"))
    if not links:
        return False
    lc = sum(_chars(a.text_content()) for a in links)
    if el.tag == "a":
        return False
    ld = lc / n
    if len(links) >= 2 and ld > 0.5:
        return True
    return ld > 0.8 and n < 60


#: a run of this many short lines without punctuation is interface chrome (player
#: controls, menus, button labels), not article text; headings come one at a time
CHROME_RUN = 3
CHROME_LINE_CHARS = 12


def _drop_chrome_runs(lines: list[str]) -> list[str]:
    def chrome(line: str) -> bool:
        sq = _squash(line)
        return len(sq) <= CHROME_LINE_CHARS and not any(c in _SENT_PUNCT for c in sq)

    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and chrome(lines[j]):
            j += 1
        if j - i >= CHROME_RUN:
            i = j
            continue
        out.extend(lines[i : max(j, i + 1)])
        i = max(j, i + 1)
    return out


def filter_lines(lines: list[str], title: str = "") -> list[str]:
    """Drop furniture lines, interface chrome and the headline repeated at the top."""
    lines = _cut_after_end_mark(_drop_chrome_runs(lines))
    out = []
    t = _squash(title)
    for i, line in enumerate(lines):
        sq = _squash(line)
        if not sq:
            continue
        if BOILERPLATE_LINE.match(line) and len(sq) < 80:
            continue
        if len(sq) < 40 and (_SHORT_FURNITURE.match(sq) or FOLLOW_PROMPT.match(sq)):
            continue
        if len(sq) < 300 and DISCLAIMER.search(line):
            continue
        if t and i < 3 and sq == t:
            continue
        out.append(line)
    return out


def _cut_after_end_mark(lines: list[str]) -> list[str]:
    """Drop a ``- END -`` line in the second half of the text and all that follows it
    (a WeChat account's sign-off: source, editor, 往期推荐, QR codes)."""
    for i in range(len(lines) - 1, len(lines) // 2 - 1, -1):
        if END_MARK.match(lines[i]):
            return lines[:i]
    return lines


def _squash(s: str) -> str:
    return "".join(s.split())


def iter_images(el: HtmlElement) -> Iterator[str]:
    for img in el.iter("img"):
        src = img.get("data-src") or img.get("data-original") or img.get("src")
        if src and not src.startswith("data:"):
            yield src.strip()
