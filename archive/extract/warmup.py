"""Load the extractor's dictionaries and models before a crawl starts fetching.

jieba's tagger (bylines), OpenCC (Traditional folding), the relevance model and cn2an
load on first use, which takes seconds. Inside a running crawl that first use blocks
Scrapy's reactor: responses pile up unread and download timeouts fire late or not at
all. A crawl calls ``warm_up()`` once before its reactor starts.
"""

from __future__ import annotations


def warm_up() -> None:
    """Load everything extraction loads lazily (idempotent; cheap the second time)."""
    from ..normalize import to_simplified
    from .indicators import extract_indicators
    from .names import is_person_name
    from .relevance import load_model

    is_person_name("张三")
    to_simplified("測試")
    load_model()
    extract_indicators("被骗八万六千元")
