"""A small threaded HTTP server for static sample sites on 127.0.0.1.

``fanzha demo`` serves the bundled sample sites with it; tests and the crawl benchmark
serve their fixture sites the same way. Run as a process, it prints its port on the
first line of stdout (``python -m fanzha.demo_server ROOT [--port 0]``), the way
Scrapy's own test servers do, so callers can start it on port 0 and read the port back.

Pages are sent as they are on disk: ``.html`` with ``Content-Type: text/html`` and no
charset (a GBK page's charset is only in its meta tag, as on many real sites).
``__BASE__`` in feeds, sitemaps and robots.txt becomes the server's own base URL.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".shtml": "text/html",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".gz": "application/gzip",
}


class StaticHandler(SimpleHTTPRequestHandler):
    """Serves ``directory``; folder URLs give their index.html; quiet logs."""

    protocol_version = "HTTP/1.1"

    def guess_type(self, path: Any) -> str:
        suffix = Path(str(path)).suffix.lower()
        return TYPES.get(suffix) or super().guess_type(path)

    def base_url(self) -> str:
        return f"http://{self.headers.get('Host') or '127.0.0.1'}"

    def send_head(self) -> Any:
        """Text files with ``__BASE__`` (feeds, sitemaps, robots.txt) get the real URL."""
        path = self.translate_path(self.path)
        if os.path.isfile(path) and Path(path).suffix.lower() in (".xml", ".txt", ".atom", ".rss"):
            data = Path(path).read_bytes().replace(b"__BASE__", self.base_url().encode())
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            return BytesIO(data)
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up mid-response (a crawler's timeout) is routine


def make_server(
    root: Path, port: int = 0, handler: type[StaticHandler] = StaticHandler
) -> QuietServer:
    return QuietServer(("127.0.0.1", port), partial(handler, directory=str(root)))


@contextmanager
def serving(root: Path, port: int = 0) -> Iterator[str]:
    """Serve ``root`` in a background thread; yields the base URL (``http://127.0.0.1:N``)."""
    server = make_server(Path(root), port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = make_server(args.root, args.port)
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()


SAMPLE_SITES = """# The bundled sample sites, served by ``fanzha demo`` on {base}
[[site]]
key = "demo-news"
name = "平安新闻网"
kind = "news"
start_urls = ["{base}/news/index.html"]
article_pattern = '/news/\\d{{4}}-\\d{{2}}/\\d{{2}}/content_\\d+\\.html$'
follow_pattern = '/news/index(_\\d+)?\\.html$'
relevance = "keywords"

[[site]]
key = "demo-police"
name = "平安市公安局"
kind = "police"
start_urls = ["{base}/police/index.html"]
relevance = "all"
max_pages = 50

[[site]]
key = "demo-wxblog"
name = "反诈情报站（公众号文章镜像）"
kind = "wechat"
start_urls = []
feeds = ["{base}/wxblog/feed.xml"]
relevance = "keywords"
"""


def write_sample_sites(base: str, path: Path) -> Path:
    """A sites TOML for the bundled sample sites served at ``base``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SAMPLE_SITES.format(base=base), encoding="utf-8")
    return path
