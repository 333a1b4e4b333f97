"""The indicators pages: every value with its counts, and one value with its bulletins.

``/indicators`` filters by kind and role (a plain GET form, no script);
``/indicators/{kind}/{value}`` lists the bulletins naming the value, each linking to
its article page. The same dicts as ``/api/indicators`` (``fanzha.web.intel``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .. import intel
from ..inputs import int_param
from ..pages import render
from ..state import archive_of

router = APIRouter(include_in_schema=False)
DEFAULT_LIMIT = 200


@router.get("/indicators", response_class=HTMLResponse)
def indicators_page(request: Request) -> HTMLResponse:
    qp = request.query_params
    kind, role = qp.get("kind") or None, qp.get("role") or None
    limit = int_param(qp.get("limit"), "limit", DEFAULT_LIMIT, 1, 1000)
    with archive_of(request).session() as s:
        rows = intel.indicator_rows(s, kind=kind, role=role, value=None, limit=limit)
    context = {"rows": rows, "kind": kind, "role": role, "kinds": intel.KINDS, "roles": intel.ROLES}
    return render(request, "indicators.html", context)


@router.get("/indicators/{kind}/{value:path}", response_class=HTMLResponse)
def indicator_page(request: Request, kind: str, value: str) -> HTMLResponse:
    with archive_of(request).session() as s:
        detail = intel.indicator_detail(s, kind, value)
    return render(request, "indicator.html", detail)
