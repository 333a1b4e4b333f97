"""Refusing cross-site form posts: a POST must come from a page of this site.

A page on another site can make a visitor's browser POST to ``/check`` (a form needs
no script), making this server fetch URLs of that page's choosing. Browsers send
``Origin`` with every POST (``Referer`` too, unless told not to); a POST whose
Origin, or when it has none its Referer, names another origin is refused with 403.
A POST with neither (curl, scripts, the tests' clients) is not a browser's cross-site
request and is let through.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a URL; None for "null" or anything unparsable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def same_origin(request: Request) -> None:
    """Raise 403 for an unsafe request sent by a page of another origin."""
    if request.method in SAFE_METHODS:
        return
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return
    own = _origin(str(request.base_url))
    if _origin(claimed) != own:
        raise HTTPException(
            403, f"refused: this {request.method} came from another site ({claimed[:100]})"
        )
