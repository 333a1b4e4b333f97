"""``fanzha serve``: the web UI and JSON API."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from .app import DbOpt, HomeOpt, app, cli_errors, err_console, fail, settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind (loopback by default; 0.0.0.0 exposes it).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8000,
    home: HomeOpt = None,
    db: DbOpt = None,
) -> None:
    """Serve the web UI and the JSON API (OpenAPI description at /openapi.json).

    Binds 127.0.0.1 unless told otherwise. FANZHA_ALLOW_PRIVATE_FETCH=1 lets the
    check page fetch private and loopback addresses (off by default).

    Example: fanzha serve --port 8000
    """
    with cli_errors():
        if not 0 <= port <= 65535:
            fail(f"--port must be between 0 and 65535, not {port}")
        import uvicorn

        from ..web import create_app

        conf = settings(home, db)
        conf.open_archive().close()  # a bad --db or home fails here, in one line
        if not _is_loopback(host):
            err_console.print(
                f"fanzha: warning: serving on {host}, reachable from other machines", markup=False
            )
        uvicorn.run(create_app(conf), host=host, port=port, log_level="info")
