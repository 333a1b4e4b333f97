"""Distributed crawl throughput: 1, 2 and 4 ``fanzha worker``s beside one ``fanzha crawl``.

    .venv/bin/python bench/distributed.py [--sites 20] [--articles 100] [--delay 0.1]

Serves N generated sites of M articles each from one counting server on 127.0.0.1 with
``--delay`` seconds of latency on every response (a remote site's), profiles allowing
2 requests at once per site. Each mode crawls everything into a fresh PostgreSQL schema
(and a fresh Redis frontier for the workers); pages/min is pages fetched over the wall
time from the first worker's start (or the crawl's) to the last one's exit, process
start-up included. Checks that every mode stores the same archive (URLs and content
hashes). Needs PostgreSQL (``FANZHA_TEST_PG`` or the tests' default) and Redis.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sites.build import generate_many  # noqa: E402
from tests.sites.harness import env, fanzha_args  # noqa: E402

PG = os.environ.get("FANZHA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("FANZHA_REDIS", "redis://127.0.0.1:6379/0")

SITE = """
[[site]]
key = "s{n:02d}"
name = "平安资讯网{n}"
kind = "news"
start_urls = ["{base}/s{n:02d}/index.html"]
article_pattern = '/s{n:02d}/.*/content_\\d+\\.html$'
follow_pattern = '/s{n:02d}/index(_\\d+)?\\.html$'
relevance = "all"
concurrency = 2
"""


def schema() -> tuple[str, str]:
    import psycopg

    name = f"fzbench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name, f"{PG}?options=-csearch_path%3D{name}"


def drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def archive(db: str) -> dict[str, str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(text("select url, content_hash from article")).all()
    engine.dispose()
    return dict(rows)


def run_mode(workers: int, sites: Path, tmp: Path) -> tuple[float, int, dict[str, str]]:
    """(seconds, pages, archive) of one mode: 0 workers = one ``fanzha crawl``."""
    name, db = schema()
    home = tmp / f"home-{workers}"
    e = env(
        FANZHA_DB=db,
        FANZHA_HOME=str(home),
        FANZHA_REDIS=REDIS,
        SCRAPY_SETTINGS_MODULE="tests.sites.dist_settings",  # 20 s timeout: no lost pages
    )
    try:
        if workers == 0:
            t0 = time.monotonic()
            out = subprocess.run(
                fanzha_args("crawl", "--sites", sites, "--json"),
                env=e,
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            seconds = time.monotonic() - t0
            pages = json.loads(out)["pages"]
        else:
            subprocess.run(
                fanzha_args("enqueue", "--sites", sites, "--json"),
                env=e,
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            )
            t0 = time.monotonic()
            procs = [
                subprocess.Popen(
                    fanzha_args("worker", "--until-idle", "--json"),
                    env=e,
                    cwd=REPO,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
                for _ in range(workers)
            ]
            outs = [p.communicate()[0] for p in procs]
            seconds = time.monotonic() - t0
            pages = sum(json.loads(o)["pages"] for o in outs)
        return seconds, pages, archive(db)
    finally:
        drop(name)
        forget_frontier(db)


def forget_frontier(db: str) -> None:
    """Delete this archive's keys from Redis (the bench's frontier only)."""
    import redis

    from crawler.frontier import archive_prefix

    server = redis.Redis.from_url(REDIS)
    for key in server.scan_iter(archive_prefix(db) + ":*"):
        server.delete(key)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--workers", default="1,2,4")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="fz-dist-bench-") as d:
        tmp = Path(d)
        root = tmp / "www"
        for n in range(args.sites):
            generate_many(root, f"/s{n:02d}/", args.articles, per_page=20)
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.sites.counting", str(root)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env(RESPONSE_DELAY=str(args.delay)),
        )
        try:
            assert server.stdout is not None
            base = f"http://127.0.0.1:{int(server.stdout.readline())}"
            sites = tmp / "sites.toml"
            sites.write_text(
                "".join(SITE.format(n=n, base=base) for n in range(args.sites)), encoding="utf-8"
            )
            print(
                f"{args.sites} sites x {args.articles} articles, {args.delay * 1000:.0f} ms "
                f"a response, 2 requests at once per site; cores: {os.cpu_count()}"
            )
            rates: dict[int, float] = {}
            reference: dict[str, str] | None = None
            for workers in [0, *map(int, args.workers.split(","))]:
                seconds, pages, stored = run_mode(workers, sites, tmp)
                rates[workers] = pages / seconds * 60
                same = reference is None or stored == reference
                reference = reference or stored
                label = "fanzha crawl (one process)" if not workers else f"{workers} worker(s)"
                print(
                    f"{label:28s} {pages:5d} pages {seconds:6.1f} s {rates[workers]:8.0f} pages/min "
                    f"{len(stored)} articles{'' if same else '  ARCHIVE DIFFERS'}",
                    flush=True,
                )
            if 1 in rates:
                print(f"1 worker / one crawl: {rates[1] / rates[0]:.2f}x")
                for w in rates:
                    if w > 1:
                        print(f"{w} workers / 1 worker: {rates[w] / rates[1]:.2f}x")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
