"""``fanzha serve``: the web UI and JSON API."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import DbOpt, HomeOpt, app, cli_errors, not_built


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    home: HomeOpt = None,
    db: DbOpt = None,
) -> None:
    """Serve the web UI and the JSON API.

    Example: fanzha serve --port 8000
    """
    with cli_errors():
        not_built("serve", "issue 6")
