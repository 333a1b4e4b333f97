"""The fixture-site server: static files of ``www`` plus the error cases.

Run as a subprocess on port 0; it prints its port on the first line of stdout:
``python -m tests.sites.server [ROOT]``. ``SLOW_SECONDS`` (env) is how long the slow
page waits, longer than the tests' DOWNLOAD_TIMEOUT.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from fanzha.demo_server import StaticHandler, make_server

WWW = Path(__file__).parent / "www"
ERR = "/portal/2024-03/20/"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


class FixtureHandler(StaticHandler):
    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/many/") and os.environ.get("MANY_DELAY"):
            time.sleep(float(os.environ["MANY_DELAY"]))
        if path.startswith("/down/"):
            return self._send(500, b"<html><body>Internal Server Error</body></html>")
        if path == f"{ERR}content_9500.html":
            return self._send(500, b"<html><body>500</body></html>")
        if path == f"{ERR}content_9408.html":
            time.sleep(float(os.environ.get("SLOW_SECONDS", "4")))
            return self._send(200, b"<html><body><p>too late</p></body></html>")
        if path == f"{ERR}content_9302.html":
            return self._send(302, b"", headers={"Location": f"{ERR}content_9303.html"})
        if path == f"{ERR}content_9303.html":
            return self._send(302, b"", headers={"Location": f"{ERR}content_9302.html"})
        if path == f"{ERR}content_9301.html":  # a moved article
            return self._send(
                301, b"", headers={"Location": "/portal/2024-03/18/content_1002.html"}
            )
        if path == f"{ERR}content_9003.html":
            return self._send(200, PDF, "application/pdf")
        if path == f"{ERR}content_9999.html":
            filler = "<p>" + "这是一个非常大的页面，" * 40 + "</p>\n"
            body = ("<html><body>" + filler * 3000 + "</body></html>").encode()
            return self._send(200, body)
        return super().do_GET()


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else WWW
    server = make_server(root, 0, FixtureHandler)
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
