"""``fanzha serve``: the web UI and JSON API."""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated

import typer

from .app import DbOpt, HomeOpt, app, cli_errors, err_console, fail, read_archive, settings


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_bindable(host: str, port: int) -> None:
    """Exit 2 with one line when ``host:port`` cannot be listened on (taken, no such address).

    Uvicorn would log the error and exit 3, which in fanzha's exit-code table means
    "another writer holds the lock". The probe sets SO_REUSEADDR but never SO_REUSEPORT,
    so a port that any process listens on is refused, also one where another ``fanzha
    serve --workers N`` listens with SO_REUSEPORT (whose group we would otherwise join).
    """
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            sock.bind(address)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc} (pick another --port)")


def default_workers() -> int:
    """One worker process per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind (loopback by default; 0.0.0.0 exposes it).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            envvar="FANZHA_SERVE_WORKERS",
            help="Worker processes [default: one per core].",
            show_default=False,
        ),
    ] = None,
    home: HomeOpt = None,
    db: DbOpt = None,
) -> None:
    """Serve the web UI and the JSON API (OpenAPI description at /openapi.json).

    Binds 127.0.0.1 unless told otherwise. --workers N runs N processes, each with its
    own SO_REUSEPORT socket on the port, among which the kernel spreads connections
    (each header X-Fanzha-Worker names the process that answered).
    FANZHA_ALLOW_PRIVATE_FETCH=1 lets the check page fetch private and loopback
    addresses (off by default).

    Example: fanzha serve --port 8000 --workers 2
    """
    with cli_errors():
        if not 0 <= port <= 65535:
            fail(f"--port must be between 0 and 65535, not {port}")
        if workers is None:
            workers = default_workers()
        if workers < 1:
            fail(f"--workers must be 1 or more, not {workers}")
        import uvicorn

        conf = settings(home, db)
        read_archive(conf).close()  # a bad --db or home fails here, in one line
        _check_bindable(host, port)
        if not _is_loopback(host):
            err_console.print(
                f"fanzha: warning: serving on {host}, reachable from other machines", markup=False
            )
        # Worker processes build their own app (web.app.app_from_env) from these.
        os.environ["FANZHA_HOME"] = str(conf.home.resolve())
        if conf.db_url:
            os.environ["FANZHA_DB"] = conf.db_url
        if workers == 1:
            try:
                uvicorn.run(
                    "fanzha.web.app:app_from_env",
                    factory=True,
                    host=host,
                    port=port,
                    log_level="info",
                )
            except SystemExit as exc:  # uvicorn's startup failure is 3: fanzha's lock code
                if exc.code == 3:
                    fail(f"the server on {host}:{port} did not start (see the log above)")
                raise
            return
        from ..web.serving import STARTUP_FAILURE, serve_workers

        try:
            code = serve_workers(host, port, workers, log_level="info")
        except OSError as exc:  # the port was taken since the check
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc} (pick another --port)")
        if code == STARTUP_FAILURE:
            fail(f"the server on {host}:{port} did not start (see the log above)")
        if code:
            raise typer.Exit(code)
