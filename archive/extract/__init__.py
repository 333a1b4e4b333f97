"""Extraction: from raw bytes (HTML, text) to the fields of a Document.

A pure library (no Scrapy): ``decode_html`` turns bytes into text, ``extract``
turns a page into an ``Extracted`` (title, text, dates, source, author, images,
canonical URL), ``canonical_url`` gives a page one address, and ``classify``
decides whether an article is about telecom / online fraud and of which kinds.
``archive.extract.page.page_document`` puts them together for one fetched page: the
one way the crawler, ``fanzha crawl --try`` and the WARC importer read a page.
"""

from .encoding import decode_html, decode_text
from .html import Extracted, extract, is_article
from .relevance import Relevance, classify, taxonomy
from .urls import canonical_url

__all__ = [
    "Extracted",
    "Relevance",
    "canonical_url",
    "classify",
    "decode_html",
    "decode_text",
    "extract",
    "is_article",
    "taxonomy",
]
