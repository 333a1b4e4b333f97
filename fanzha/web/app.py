"""The web application: ``create_app(settings) -> FastAPI``.

``app_from_env`` is the factory ``fanzha serve`` hands uvicorn (``--factory``): each
worker process builds its app from the settings in the environment (``FANZHA_HOME``,
``FANZHA_DB``), since worker processes cannot be handed an app object.

HTML pages (search, articles, clusters and diffs, check, runs, statistics) and
the JSON API under ``/api`` (described at ``/openapi.json``). Archived pages are
hostile input: templates autoescape everything, every page carries a strict
Content-Security-Policy (no script at all), and raw snapshots are served by
their own route inside a CSP sandbox (see ``routes/articles.py``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from archive.errors import ArchiveError, DatabaseUnavailable, DiskFull, HomeNotWritable, NotFound

from ..checking import FetchBusy, fetcher_for
from ..config import Settings
from . import api
from .inputs import MAX_BODY, BodyLimit, refuse_bad_text
from .origin import same_origin
from .pages import STATIC, make_templates, render
from .routes import articles, check, clusters, indicators, runs, search, stats
from .state import ArchiveHolder
from .stats import warm as warm_stats

log = logging.getLogger(__name__)

APP_CSP = (
    "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no referrer leaves the site; own forms keep Origin
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def status_for(exc: Exception) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, DatabaseUnavailable | DiskFull | HomeNotWritable | FetchBusy):
        return 503
    return 400


WORKER_HEADER = "X-Fanzha-Worker"


def _warm_stats(holder: ArchiveHolder) -> None:
    """The statistics page's figures, computed at the start (``web.stats``)."""
    try:
        with holder.get().session() as s:
            warm_stats(s)
    except Exception as exc:  # the page computes them itself when asked
        log.warning(
            "statistics not computed at start: %s", str(exc).splitlines()[0] if str(exc) else exc
        )


def app_from_env() -> FastAPI:
    """The app for the settings in the environment (uvicorn's factory in each worker)."""
    return create_app(Settings.load())


def create_app(settings: Settings | None = None) -> FastAPI:
    """The FastAPI app serving the archive that ``settings`` names."""
    settings = settings or Settings.load()
    holder = ArchiveHolder(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # the threads running the (synchronous) routes: each keeps a searcher of its
        # own, so their number bounds a process's memory (Starlette's default is 40)
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        # the statistics take seconds at a million articles: computed before a visitor asks
        threading.Thread(
            target=_warm_stats, args=(holder,), name="fanzha-stats", daemon=True
        ).start()
        yield
        holder.close()

    app = FastAPI(
        title="fanzha",
        summary="Archive of Chinese anti-fraud bulletins: search, near-duplicates, diffs.",
        version="0.1.0",
        docs_url=None,  # Swagger UI loads scripts from a CDN: not here
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
        redirect_slashes=False,  # Starlette's would send the client to the Host header's name
        # same_origin: a POST from another site's page is 403; refuse_bad_text: NUL, surrogates
        dependencies=[Depends(same_origin), Depends(refuse_bad_text)],
    )
    app.state.settings = settings
    app.state.fetcher = fetcher_for(settings)  # shared: its concurrency cap is the app's
    app.state.archive = holder
    app.state.templates = make_templates()

    # Larger bodies: 413, never parsed. Added first, so it runs inside the middleware
    # below, whose task group would wrap the 413 into an ExceptionGroup.
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers[WORKER_HEADER] = str(os.getpid())  # which worker process answered
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if "content-security-policy" not in response.headers:
            response.headers["Content-Security-Policy"] = APP_CSP
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    def error(request: Request, status: int, message: str) -> Response:
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse({"error": message}, status_code=status)
        return render(request, "error.html", {"status": status, "message": message}, status)

    @app.exception_handler(ArchiveError)
    async def archive_error(request: Request, exc: ArchiveError) -> Response:
        status = status_for(exc)
        if status == 503:
            log.warning("%s: %s", request.url.path, exc)
        return error(request, status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "path", "body"))
            msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}" if where else msg)
        return error(request, 400, "; ".join(parts) or "bad request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404 and message == "Not Found":
            target = without_slash(request)
            if target:
                return RedirectResponse(target, status_code=307)
            message = f"no page at {request.url.path}"
        if exc.status_code == 413:
            message = f"request body too large (at most {MAX_BODY // (1024 * 1024)} MB)"
        return error(request, exc.status_code, message)

    def without_slash(request: Request) -> str | None:
        """A relative URL for ``/page/`` when ``/page`` exists (never one naming a host)."""
        path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
        target = "/" + path.strip("/")
        if not path.endswith("/") or target == "/" or target.startswith(("//", "/\\")):
            return None
        scope = {**request.scope, "path": request.url.path.rstrip("/")}
        if not any(r.matches(scope)[0] == Match.FULL for r in app.router.routes):
            return None
        query = request.scope.get("query_string", b"").decode("latin-1")
        return target + ("?" + query if query else "")

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        # Runs outside the middleware stack: set the security headers here too.
        log.exception("%s %s failed", request.method, request.url.path)
        response = error(request, 500, f"internal error ({type(exc).__name__}); see the server log")
        response.headers.update(SECURITY_HEADERS)
        response.headers["Content-Security-Policy"] = APP_CSP
        return response

    app.include_router(api.router)
    for module in (search, articles, clusters, check, runs, stats, indicators):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
