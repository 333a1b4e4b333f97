"""Chinese text: normalisation, Traditional folding, matching keys, sentences.

The one home of these rules: dedup, the diff, search, extraction and labels import them
from here (this module imports nothing of the archive's).

Two forms of an article's text are kept:

- the **clean text** (``clean_markup`` + ``join_broken_lines``): the main text as a reader
  sees it, markup removed, paragraphs separated by ``\\n``, lines broken inside a sentence
  joined. This is what export and the diff show.
- the **normalised text** (``normalize``): NFKC, one punctuation set, no whitespace
  between Chinese characters, one paragraph a line. This is what dedup and search see.

Image links are taken out of the text and returned apart (``Cleaned.images``).

For comparing, never for storing, Traditional characters are folded to Simplified
(OpenCC ``t2s``): ``to_simplified`` (phrase-aware, length kept, for matching),
``fold`` (character by character and lower case, so that a substring folds to a
substring: for the search index), and ``word_key`` gives the matching key (letters,
digits and Chinese characters only, lower case).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import html as lxml_html

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")

# Punctuation that ends a sentence (after NFKC, full-width ！？ are ASCII).
SENTENCE_END = "。！？!?…；;"
CLOSERS = "”’」』）)】》"
# Characters that cannot start a line in Chinese typesetting: a line starting with one
# continues the previous line.
NO_LINE_START = "，,。、！？!?；;：:）)】》」』”’…%％"
# A date or number split at a line end: "2019年11月8" / "日".
_DATE_UNIT = "年月日号时分秒点万亿元"

_PUNCT_MAP = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‘": "'",
        "’": "'",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "〝": '"',
        "〞": '"',
        "【": "[",
        "】": "]",
        "〔": "(",
        "〕": ")",
        "《": "<",
        "》": ">",
        "〈": "<",
        "〉": ">",
        "—": "-",
        "–": "-",
        "―": "-",
        "─": "-",
        "－": "-",
        "﹣": "-",
        "·": "·",
        "•": "·",
        "・": "·",
        "．": ".",
        "｡": "。",
        "､": "、",
        "～": "~",
        "\u00a0": " ",
        "\u3000": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
    }
)

_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\(\s*[^)]*\)")
_HTML_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?([^\"'\s>]+)[^>]*>", re.I)
_LIQUID = re.compile(r"\{\{[^}]*\}\}|\{%[^%]*%\}")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BLOCK_TAG = re.compile(r"<\s*(br|/p|/div|/h\d|/li|/blockquote|/tr)\b[^>]*>", re.I)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|~~)")
_MD_QUOTE = re.compile(r"^\s*>\s?")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_MD_RULE = re.compile(r"^\s*([-*_=#])(?:\s*\1){2,}\s*$|^\s*#+\s*$")
_WS_BETWEEN_CJK = re.compile(
    f"(?<=[{CJK}，。、；：！？“”‘’（）《》【】…—])[ \\t]+(?=[{CJK}，。、；：！？“”‘’（）《》【】…—])"
)


@dataclass
class Cleaned:
    """Text with markup removed, and the images that were in it."""

    text: str
    images: list[str] = field(default_factory=list)


def clean_markup(raw: str) -> Cleaned:
    """Strip Markdown, HTML tags and template tags; keep image URLs apart."""
    images: list[str] = []

    def _keep_md_image(m: re.Match[str]) -> str:
        images.append(_LIQUID.sub("", m.group(2)).strip())
        return "\n"

    def _keep_html_image(m: re.Match[str]) -> str:
        images.append(m.group(1))
        return "\n"

    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    text = _MD_IMAGE.sub(_keep_md_image, text)
    text = _HTML_IMG.sub(_keep_html_image, text)
    text = _MD_LINK.sub(r"\1", text)
    text = _LIQUID.sub("", text)
    if _HTML_TAG.search(text):
        text = _BLOCK_TAG.sub("\n", text)
        text = _HTML_TAG.sub("", text)
        text = _unescape(text)
    lines = []
    for line in text.split("\n"):
        if _MD_RULE.match(line):
            lines.append("")
            continue
        line = _MD_QUOTE.sub("", line)
        line = _MD_HEADING.sub("", line)
        line = _MD_LIST.sub("", line)
        line = _MD_EMPHASIS.sub("", line)
        lines.append(line.strip())
    return Cleaned(text=join_broken_lines("\n".join(lines)), images=[i for i in images if i])


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    try:
        return lxml_html.fromstring(f"<div>{text}</div>").text_content()
    except Exception:  # lxml raises several types on odd input; the text stays as it was
        return text


def join_broken_lines(text: str) -> str:
    """Join lines that were broken inside a sentence; one paragraph per line.

    A break is joined when the next line cannot start a line (it opens with a comma or a
    closing mark), when a date or number is split ("2019年11月8" / "日"), or when the
    line ends with a comma or an opening mark. Blank lines alone never end a sentence
    that has not ended. Headings (short lines without end punctuation followed by a new
    sentence) are kept as they are.
    """
    paras: list[str] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if not line:
            continue
        if paras and _continues(paras[-1], line):
            paras[-1] = _glue(paras[-1], line)
        else:
            paras.append(line)
    return "\n".join(paras)


def _continues(prev: str, line: str) -> bool:
    last, first = prev[-1], line[0]
    if first in NO_LINE_START:
        return True
    if last in "，,、：:（(“‘《【—":
        return True
    if last.isdigit() and first in _DATE_UNIT:
        return True
    return bool(
        last not in SENTENCE_END
        and last not in CLOSERS
        and len(prev) >= 40
        and _CJK_RE.match(last)
        and _CJK_RE.match(first)
    )


def _glue(prev: str, line: str) -> str:
    if prev[-1].isascii() and line[0].isascii() and prev[-1].isalnum() and line[0].isalpha():
        return f"{prev} {line}"
    return prev + line


def normalize(text: str) -> str:
    """The matching form: NFKC, one punctuation set, no spaces between Chinese characters."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP)
    out = []
    for line in text.split("\n"):
        line = re.sub(r"[ \t\f\v]+", " ", line).strip()
        line = _WS_BETWEEN_CJK.sub("", line)
        line = re.sub(f"(?<=[{CJK}]) (?=[A-Za-z0-9])|(?<=[A-Za-z0-9]) (?=[{CJK}])", "", line)
        if line:
            out.append(line)
    return "\n".join(out)


_SENTENCE = re.compile(r"[^。！？!?；;\n]+(?:[。！？!?；;]+[”’\"'」』）)]*)?|[。！？!?；;]+")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences at Chinese and Latin end punctuation and line breaks.

    A closing quote or bracket right after the end mark stays with its sentence.
    """
    return [s for s in (m.group(0).strip() for m in _SENTENCE.finditer(text)) if s]


# -- sentences ------------------------------------------------------------------------

#: runs of sentence-ending marks and line breaks: where dedup and passage search cut
SENTENCE_BREAKS = re.compile(r"[。！？!?；;…\n]+")
#: one sentence-ending mark or line break (a sentence's bounds around a position)
SENTENCE_MARK = re.compile(r"[。！？!?；;\n]")
#: a sentence with its end marks and closing quotes (a whole run of marks alone is one):
#: the units the diff aligns
SENTENCE_SPAN = re.compile(r"[^。！？!?；;\n]+[。！？!?；;…]*[”’\"'」』）)]*|[。！？!?；;]+")


# -- Traditional folding and matching keys ----------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")
# the CJK blocks OpenCC converts (the compatibility block included: NFKC keeps a few)
_T2S_RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))


@lru_cache(maxsize=1)
def _converter():  # -> opencc.OpenCC
    import opencc  # here: loading its dictionaries takes a while, and few callers fold

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def t2s_table() -> dict[int, str]:
    """A ``str.translate`` table: each Traditional character to its Simplified form.

    Built once from OpenCC ``t2s``, one character at a time (a line each, so no phrase
    reaches across two); only one-character results are kept, so it never changes a
    text's length.
    """
    chars = [chr(c) for lo, hi in _T2S_RANGES for c in range(lo, hi)]
    out = _converter().convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):  # a conversion joined lines: one call a character
        out = [_converter().convert(c) for c in chars]
    return {ord(a): b for a, b in zip(chars, out, strict=True) if a != b and len(b) == 1}


@lru_cache(maxsize=1)
def _traditional() -> re.Pattern[str]:
    """A character class of every Traditional character (a regex scan is C-speed and
    about ten times faster than ``frozenset.isdisjoint`` over a long text)."""
    return re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(t2s_table())) + "]")


def to_simplified(text: str) -> str:
    """Traditional characters to Simplified, keeping the length (for matching only).

    OpenCC converts by phrase (瞭解 -> 了解); where that would change the length, the
    character table is used instead, so positions in the text stay valid.
    """
    if _traditional().search(text) is None:  # most texts: one C-speed scan, no copy
        return text
    converted = _converter().convert(text)
    if len(converted) == len(text):
        return converted
    return text.translate(t2s_table())


def fold(text: str) -> str:
    """Traditional to Simplified character by character, and lower case (the index's form).

    Character by character so that any substring of a text folds to a substring of the
    folded text, which phrase-level conversion does not promise. Expects NFKC text
    (``normalize``); keeps its length except for the rare characters whose lower case
    is longer (``İ``).
    """
    return text.translate(t2s_table()).lower()


def word_key(text: str) -> str:
    """Letters, digits and Chinese characters only, lower-cased: what matching compares."""
    return _NON_WORD.sub("", text).lower()


def match_key(text: str, *, normalized: bool = True) -> str:
    """The matching key of a text: Simplified, words only (normalised first unless it is)."""
    if not normalized:
        text = normalize(text)
    return word_key(to_simplified(text))
