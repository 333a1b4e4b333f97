"""The check page: paste a text or a URL, see the near-duplicates already archived."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from archive.models import Article

from ...checking import run_check
from ..pages import render
from ..sidebyside import side_by_side
from ..state import archive_of, fetcher_of
from ..viewcap import capped

router = APIRouter(include_in_schema=False)
INLINE_DIFFS = 5


@router.get("/check", response_class=HTMLResponse)
def check_form(request: Request) -> HTMLResponse:
    return render(request, "check.html", {"result": None, "form": {}})


@router.post("/check", response_class=HTMLResponse)
def check_submit(
    request: Request,
    text: str = Form(""),
    url: str = Form(""),
    title: str = Form(""),
) -> HTMLResponse:
    archive = archive_of(request)
    result = run_check(archive, fetcher_of(request), text=text, url=url, title=title)
    matches = result["matches"]
    views = {}
    ids = [m["id"] for m in matches[:INLINE_DIFFS]]
    if ids:
        with archive.session() as s:
            texts = dict(
                s.execute(select(Article.id, Article.text).where(Article.id.in_(ids))).all()
            )
        checked = result["input"]["text"]
        views = {i: capped(side_by_side(texts.get(i, ""), checked)) for i in ids}
    form = {"text": text, "url": url, "title": title}
    return render(request, "check.html", {"result": result, "views": views, "form": form})
