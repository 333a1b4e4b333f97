"""Undoing what libxml2's HTML parser does with unclosed embedding elements.

libxml2 knows HTML 4, not HTML 5's parsing rules: an ``<embed>`` (void in HTML 5) or
an unclosed ``<object>``/``<video>`` takes everything after it, up to the end of its
parent, as its children, and an unclosed ``<iframe>``/``<noembed>``/``<textarea>``
takes the rest of the page as raw text. The cleaner drops those elements whole, so
the article vanished with them ("no article text found"). Here the swallowed content
is put back after the element, which is left empty for the cleaner to drop.
"""

from __future__ import annotations

import logging

from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlElement

log = logging.getLogger(__name__)

#: void in HTML 5 (never has content) but a container to libxml2
VOID = frozenset(["embed", "source", "track", "wbr", "keygen", "bgsound"])
#: whose content is fallback shown when the media cannot be: short when genuine
FALLBACK = frozenset(["object", "applet", "video", "audio", "canvas", "picture"])
#: read as raw text by libxml2: an unclosed one holds the rest of the page as text
RAW_TEXT = frozenset(["iframe", "noembed", "textarea"])
#: fallback content or raw text this long (non-blank characters) is swallowed page
SWALLOWED_CHARS = 50
#: bound on the re-parses of raw text holding further unclosed elements
MAX_REPARSES = 20


def repair_swallowed(root: HtmlElement) -> None:
    """Move content swallowed by unclosed embedding elements back into the page (in place)."""
    for el in list(root.iter(*VOID, *FALLBACK)):
        if el.tag in VOID or _chars(el.text_content()) >= SWALLOWED_CHARS:
            _unwrap_after(el)
    for _ in range(MAX_REPARSES):
        swallowed = [
            el
            for el in root.iter(*RAW_TEXT)
            if len(el) == 0 and "<" in (el.text or "") and _chars(el.text) >= SWALLOWED_CHARS
        ]
        if not swallowed:
            return
        for el in swallowed:
            _reparse_after(el)


def _chars(text: str | None) -> int:
    return sum(1 for c in text or "" if not c.isspace())


def _unwrap_after(el: HtmlElement) -> None:
    """Make ``el``'s text and children its following siblings; ``el`` is left empty."""
    parent = el.getparent()
    if parent is None:
        return
    children = list(el)
    tail = el.tail or ""
    el.tail, el.text = el.text, None
    pos = parent.index(el)
    for i, child in enumerate(children, 1):
        parent.insert(pos + i, child)  # moves the child, its tail with it
    last = children[-1] if children else el
    last.tail = (last.tail or "") + tail or None


def _reparse_after(el: HtmlElement) -> None:
    """Parse ``el``'s raw text as HTML and put the result after ``el``."""
    parent = el.getparent()
    text, el.text = el.text or "", None
    if parent is None:
        return
    try:
        holder = lxml_html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        log.debug("swallowed text of <%s> does not parse: %s", el.tag, exc)
        return
    holder.tail, el.tail = el.tail, None
    parent.insert(parent.index(el) + 1, holder)
