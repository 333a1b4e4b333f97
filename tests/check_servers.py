"""Real socket servers on loopback for the tests of "check a URL".

``slow_header_server``: answers every request with a status line and headers sent one
byte at a time, forever (until stopped), the stall of issue 16.
``recording_server``: serves a few routes and records every request's path and
headers, to tell which requests reached it (and with which Host / Authorization).
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import ClassVar

from .webutil import _Handler


@dataclass
class SlowHeaders:
    url: str
    open_connections: int = 0
    served: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def slow_header_server(delay: float = 0.05) -> Iterator[SlowHeaders]:
    """A server on 127.0.0.1 that sends its headers a byte every ``delay`` seconds."""
    listener = socket.create_server(("127.0.0.1", 0))
    state = SlowHeaders(f"http://127.0.0.1:{listener.getsockname()[1]}")
    clients: list[socket.socket] = []

    def trickle(conn: socket.socket) -> None:
        with state.lock:
            state.open_connections += 1
            state.served += 1
        try:
            conn.recv(65536)  # the request
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Pad: "
            n = 0
            while not state.stop.is_set():
                byte = head[n : n + 1] if n < len(head) else b"a"
                conn.sendall(byte)
                n += 1
                state.stop.wait(delay)
        except OSError:
            pass
        finally:
            with state.lock:
                state.open_connections -= 1
            conn.close()

    def accept() -> None:
        while not state.stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            clients.append(conn)
            threading.Thread(target=trickle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield state
    finally:
        state.stop.set()
        listener.close()
        for conn in clients:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


@dataclass
class Recorded:
    url: str
    requests: list[tuple[str, dict[str, str]]]  # (path, headers with lower-case names)

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]


class _Recorder(_Handler):
    log: ClassVar[list[tuple[str, dict[str, str]]]] = []

    def do_GET(self) -> None:
        self.log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        super().do_GET()


@contextmanager
def recording_server(
    routes: dict[str, tuple[int, dict[str, str], bytes]],
    host: str = "127.0.0.1",
    port: int = 0,
    tls: ssl.SSLContext | None = None,
) -> Iterator[Recorded]:
    """``routes`` (path -> status, headers, body) served on ``host`` (over TLS with
    ``tls``, a server context); requests recorded."""
    log: list[tuple[str, dict[str, str]]] = []
    handler = type("R", (_Recorder,), {"routes": routes, "log": log})
    httpd = http.server.ThreadingHTTPServer((host, port), handler)
    httpd.daemon_threads = True
    scheme = "http"
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Recorded(f"{scheme}://{host}:{httpd.server_address[1]}", log)
    finally:
        httpd.shutdown()
        httpd.server_close()
