"""The article page and the raw snapshot, the latter served in a CSP sandbox.

``/raw/{id}`` returns the bytes exactly as they were fetched or imported, with
``Content-Security-Policy: sandbox; default-src 'none'``: a crawled page's scripts
run nowhere (the sandbox gives it an opaque origin and no script), its styles,
images and frames are not loaded, and the article page shows it in an
``<iframe sandbox>`` as a second fence.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from archive.errors import NotFound
from archive.extract.encoding import decode_text
from archive.rawstore import RawStore

from .. import queries
from ..inputs import Id
from ..pages import render
from ..state import archive_of

router = APIRouter(include_in_schema=False)

RAW_CSP = "sandbox; default-src 'none'; frame-ancestors 'self'"


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: Id) -> HTMLResponse:
    with archive_of(request).session() as s:
        article = queries.get_article(s, article_id)
        info = queries.article_json(s, article)
    return render(request, "article.html", {"a": info})


def looks_html(body: bytes) -> bool:
    head = body[:2048].lstrip().lower()
    return (
        head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in body[:65536].lower()
    )


@router.get("/raw/{article_id}")
def raw_snapshot(request: Request, article_id: Id, as_text: bool = False) -> Response:
    archive = archive_of(request)
    with archive.session() as s:
        article = queries.get_article(s, article_id)
        ref = article.raw_ref
    if not ref:
        raise NotFound(f"article {article_id} has no raw snapshot")
    body = RawStore(archive.raw_dir).get(ref)
    try:
        _, encoding = decode_text(body, ref)
    except Exception:  # undecidable: let the browser show it as bytes
        encoding = "utf-8"
    kind = "text/html" if looks_html(body) and not as_text else "text/plain"
    return Response(
        body,
        media_type=f"{kind}; charset={encoding}",
        headers={
            "Content-Security-Policy": RAW_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "private, max-age=3600",
        },
    )
