"""Whether a short string reads as a person's name (for bylines: 记者 张三, 作者：李四).

A byline label is often followed by running text, not a name: ``记者调查发现`` or
``记者从市公安局获悉``. jieba's part-of-speech tagger tells a personal name (``nr``)
from a verb phrase, so a candidate counts as a name when the tagger finds a personal
name in it and no verb, preposition or adverb.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import jieba
import jieba.posseg

jieba.setLogLevel(logging.WARNING)

#: what sites print in the author slot when there is no author
NOT_NAMES = frozenset(
    {
        "未知",
        "佚名",
        "匿名",
        "网络",
        "网络整理",
        "互联网",
        "本站",
        "本站原创",
        "原创",
        "转载",
        "整理",
        "综合",
        "小编",
        "编辑",
        "admin",
        "administrator",
        "管理员",
        "系统管理员",
    }
)
_CJK_NAME = re.compile(r"[\u4e00-\u9fff·]{2,4}")
_NOT_NAME_FLAGS = ("v", "p", "d", "c", "u", "r", "m", "t", "f")


@lru_cache(maxsize=4096)
def is_person_name(text: str) -> bool:
    """True when ``text`` (2-4 Chinese characters) is tagged as a personal name."""
    if not _CJK_NAME.fullmatch(text) or text in NOT_NAMES:
        return False
    tags = [(w.word, w.flag) for w in jieba.posseg.cut(text)]
    if any(flag.startswith(_NOT_NAME_FLAGS) for _, flag in tags):
        return False
    return any(flag.startswith("nr") for _, flag in tags)


def is_placeholder(text: str) -> bool:
    """``未知``, ``网络整理``, ``admin``: an author slot's filler, not an author."""
    return text.strip().lower() in NOT_NAMES


@lru_cache(maxsize=4096)
def has_verb(text: str) -> bool:
    """Whether jieba tags a verb in ``text`` (``转载请注明``: a phrase, not a name)."""
    return any(w.flag.startswith("v") for w in jieba.posseg.cut(text))
