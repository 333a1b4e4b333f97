"""The HTML pages: the templates (with their filters), the static files, rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader

from .filters import FILTERS, without_bidi

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, finalize=without_bidi
    )
    env.filters.update(FILTERS)
    return Jinja2Templates(env=env)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    def url_with(**changes: Any) -> str:
        params = dict(request.query_params)
        for key, value in changes.items():
            if value in (None, "", False):
                params.pop(key, None)
            else:
                params[key] = str(value)
        return request.url.path + ("?" + urlencode(params) if params else "")

    ctx = {"request": request, "url_with": url_with, **context}
    return request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status)
