"""The statistics page: articles per month by source, fraud types per year (SVG charts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ..charts import stacked_bars
from ..pages import render
from ..state import archive_of
from ..stats import figures as stats_figures

router = APIRouter(include_in_schema=False)


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request) -> HTMLResponse:
    with archive_of(request).session() as s:
        figures = stats_figures(s)
    charts = {
        "by_source": stacked_bars(
            figures["months"], figures["by_source"], title="Articles per month by source"
        ),
        "by_fraud_type": stacked_bars(
            figures["years"], figures["by_fraud_type"], title="Fraud types per year"
        ),
    }
    return render(request, "stats.html", {"figures": figures, "charts": charts})
