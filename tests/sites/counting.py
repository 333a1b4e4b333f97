"""The fixture server, counting: every request's path appended to ``REQUEST_LOG``
(and ``CLIENT_ADDRESS PATH`` to ``CLIENT_LOG``: which host asked), the most requests
in flight at once per site (first path segment) at ``/_stats``, and
``RESPONSE_DELAY`` seconds of latency on every page (a remote site's).

``python -m tests.sites.counting ROOT [--bind ADDRESS]`` (default 127.0.0.1) prints
its port on the first line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path

from fanzha.demo_server import QuietServer
from tests.sites.server import FixtureHandler

_lock = threading.Lock()
_now: Counter[str] = Counter()
_most: Counter[str] = Counter()


class CountingHandler(FixtureHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_stats":
            body = json.dumps({"most_at_once": dict(_most)}).encode()
            return self._send(200, body, "application/json")
        site = path.strip("/").split("/", 1)[0]
        with _lock:
            _now[site] += 1
            _most[site] = max(_most[site], _now[site])
            if os.environ.get("REQUEST_LOG"):
                with open(os.environ["REQUEST_LOG"], "a", encoding="utf-8") as fh:
                    fh.write(path + "\n")
            if os.environ.get("CLIENT_LOG"):
                with open(os.environ["CLIENT_LOG"], "a", encoding="utf-8") as fh:
                    fh.write(f"{self.client_address[0]} {path}\n")
        try:
            delay = float(os.environ.get("RESPONSE_DELAY", "0"))
            if delay:
                time.sleep(delay)
            super().do_GET()
        finally:
            with _lock:
                _now[site] -= 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--bind", default="127.0.0.1")
    args = ap.parse_args()
    server = QuietServer((args.bind, 0), partial(CountingHandler, directory=str(args.root)))
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
