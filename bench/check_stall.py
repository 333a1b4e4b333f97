"""Does "check a URL" stall the rest of the web app? (issue 16, item 1)

    .venv/bin/python bench/check_stall.py [--checks 45] [--deadline 15]

Serves the app under a real uvicorn on 127.0.0.1 over an empty archive, sends
``--checks`` ``POST /api/check`` at once for a URL of a server that sends its headers
a byte every 0.05 s, then times ``GET /api/stats``. Runs twice: with the concurrency
cap off (``max_fetches`` = the number of checks) and with the default cap. Prints the
time ``/api/stats`` took in each and how the checks were answered.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from fanzha.config import Settings  # noqa: E402
from fanzha.web import create_app  # noqa: E402
from tests.check_servers import slow_header_server  # noqa: E402
from tests.webutil import uvicorn_server  # noqa: E402


def one_round(checks: int, deadline: float, max_fetches: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="fanzha-stall-")) / "home"
    settings = Settings(
        home=home, allow_private_fetch=True, fetch_timeout=deadline, max_fetches=max_fetches
    )
    answers: Counter[int] = Counter()
    with (
        uvicorn_server(create_app(settings)) as base,
        slow_header_server() as slow,
        httpx.Client(limits=httpx.Limits(max_connections=checks + 10), timeout=120) as client,
    ):
        client.get(f"{base}/api/stats")  # the archive created and opened

        def check() -> None:
            try:
                resp = client.post(f"{base}/api/check", json={"url": slow.url})
                answers[resp.status_code] += 1
            except httpx.HTTPError:
                answers[0] += 1

        threads = [threading.Thread(target=check, daemon=True) for _ in range(checks)]
        for t in threads:
            t.start()
        time.sleep(2)
        started = time.monotonic()
        status = client.get(f"{base}/api/stats").status_code
        took = time.monotonic() - started
        hanging = slow.open_connections
        for t in threads:
            t.join(deadline + 30)
    print(
        f"max_fetches={max_fetches:>3}: /api/stats {status} in {took:5.2f} s "
        f"({hanging} fetches hanging meanwhile); checks answered {dict(sorted(answers.items()))}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=45)
    parser.add_argument("--deadline", type=float, default=15.0)
    args = parser.parse_args()
    print(f"{args.checks} slow URL checks at once, fetch deadline {args.deadline:g} s")
    one_round(args.checks, args.deadline, max_fetches=args.checks)
    one_round(args.checks, args.deadline, max_fetches=Settings().max_fetches)


if __name__ == "__main__":
    main()
