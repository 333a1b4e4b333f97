"""Crawl throughput: a full ``fanzha crawl`` of a generated local site next to
``scrapy bench``, measured in the same run.

    .venv/bin/python bench/crawl.py [--pages 2000] [--keep DIR]

Generates a news portal of N article pages (realistic Chinese bulletin bodies, list
pages of 20 links with pagination), serves it from a separate process on 127.0.0.1,
and crawls it with extraction, relevance, WARC files and batched storage all on,
with the politeness delays off (as for any local site). Pages/min is pages divided by
the seconds from spider open to close, the same measure as ``scrapy bench``'s
``elapsed_time_seconds`` (process start-up excluded in both). Prints both rates and
their ratio; the goal is a ratio of at least 0.5. ``scrapy bench`` runs once before
and once after the crawl (20 s each), as the load of a shared machine drifts.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sites.build import generate_many  # noqa: E402

SITE = """
[[site]]
key = "bench"
name = "平安资讯网"
kind = "news"
start_urls = ["{base}/bench/index.html"]
article_pattern = '/bench/\\d{{4}}-\\d{{2}}/\\d{{2}}/content_\\d+\\.html$'
follow_pattern = '/bench/index(_\\d+)?\\.html$'
relevance = "keywords"
max_pages = 100000
"""

FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "0",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}


def serve(root: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanzha.demo_server", str(root)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    return proc, f"http://127.0.0.1:{int(proc.stdout.readline())}"


def fanzha_crawl(base: str, work: Path) -> dict:
    sites = work / "sites.toml"
    sites.write_text(SITE.format(base=base), encoding="utf-8")
    args = [sys.executable, "-m", "fanzha", "crawl", "--sites", str(sites)]
    args += ["--home", str(work / "home"), "--json"]
    for k, v in FAST.items():
        args += ["-s", f"{k}={v}"]
    started = time.monotonic()
    proc = subprocess.run(args, capture_output=True, text=True, cwd=REPO)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"fanzha crawl failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    fig = report["sites"]["bench"]
    return {
        "pages": fig["pages"],
        "stored": fig["new"],
        "seconds": fig["seconds"],
        "wall": round(wall, 1),
        "pages_per_min": round(fig["pages"] / fig["seconds"] * 60),
    }


def scrapy_bench(seconds: int) -> dict:
    """``scrapy bench`` (its own local server, link following, no processing)."""
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}"],
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),  # outside the project: scrapy's defaults only
    )
    log = proc.stderr
    stats = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", log, re.S)
    if not stats:
        sys.exit(f"could not read scrapy bench's stats:\n{log[-2000:]}")
    raw = re.sub(r"datetime\.datetime\([^)]*\)", "None", stats.group(1))
    data = ast.literal_eval(raw)
    pages = data.get("response_received_count", 0)
    elapsed = data.get("elapsed_time_seconds") or seconds
    return {
        "pages": pages,
        "seconds": round(elapsed, 1),
        "pages_per_min": round(pages / elapsed * 60),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="keep the site and archive here")
    parser.add_argument("--bench-seconds", type=int, default=20, help="each scrapy bench run")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="fanzha-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    generate_many(work / "www", "/bench/", args.pages, per_page=20)
    # the machine is shared and its load drifts: scrapy bench runs before and after
    before = scrapy_bench(args.bench_seconds)
    server, base = serve(work / "www")
    try:
        ours = fanzha_crawl(base, work)
    finally:
        server.terminate()
        server.wait()
    after = scrapy_bench(args.bench_seconds)
    theirs = {
        "pages": before["pages"] + after["pages"],
        "seconds": before["seconds"] + after["seconds"],
    }
    theirs["pages_per_min"] = round(theirs["pages"] / theirs["seconds"] * 60)
    ratio = ours["pages_per_min"] / theirs["pages_per_min"]
    print(
        f"site: {args.pages} article pages + {args.pages // 20} list pages, cpus: {os.cpu_count()}"
    )
    print(
        f"fanzha crawl : {ours['pages']:6d} pages in {ours['seconds']:6.1f}s = "
        f"{ours['pages_per_min']:6d} pages/min  ({ours['stored']} stored; "
        f"extraction, relevance, WARC, batched storage on; {ours['wall']}s wall)"
    )
    print(
        f"scrapy bench : {theirs['pages']:6d} pages in {theirs['seconds']:6.1f}s = "
        f"{theirs['pages_per_min']:6d} pages/min  (before: {before['pages_per_min']}, "
        f"after: {after['pages_per_min']})"
    )
    print(f"ratio        : {ratio:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()
