"""Who published an article and where it was found: ``source`` and ``site``.

A researcher cites the publisher the page names (``来源：厦门日报``, the dateline's
``中国网``, a WeChat account), so that is an article's source; the site profile it was
crawled from is its ``site``. A page that names no publisher is credited to the site's
display name, through the site's own Source row (key = the profile key), as before.
"""

from __future__ import annotations

from .document import Document


def attribute(
    doc: Document,
    *,
    site_key: str,
    site_name: str,
    site_kind: str | None = None,
    site_domain: str | None = None,
) -> Document:
    """Set ``doc``'s site and its source: the publisher in ``doc.extra["publisher"]``
    (what the extractor read from the page), else the site itself."""
    doc.site = site_key
    doc.source_kind = site_kind
    publisher = (doc.extra.get("publisher") or "").strip()
    if publisher and publisher not in (site_name, site_key):
        doc.source_key = doc.source_name = publisher
        doc.source_domain = None
    else:
        doc.source_key, doc.source_name, doc.source_domain = site_key, site_name, site_domain
    return doc
