"""Distributed crawl throughput: 1, 2 and 4 ``fanzha worker``s beside one ``fanzha crawl``.

    .venv/bin/python bench/distributed.py [--sites 20] [--articles 100] [--delay 0.1]
        [--workers 1,2,4] [--cpu-per-worker 0.4] [--netns]

Serves N generated sites of M articles each from one counting server on 127.0.0.1 with
``--delay`` seconds of latency on every response (a remote site's), profiles allowing
2 requests at once per site. Each mode crawls everything into a fresh PostgreSQL schema
(and a fresh Redis frontier for the workers); pages/min is pages fetched over the wall
time from the first worker's start (or the crawl's) to the last one's exit, process
start-up included; "steady" is articles/min from the first article stored to the last
(start-up and the idle wait before a worker exits left out: what a long-running worker
keeps up). Checks that every mode stores the same archive (URLs and content
hashes). Needs PostgreSQL (``FANZHA_TEST_PG`` or the tests' default) and Redis.

Emulated hosts (root; tests/sites/hosts.py): ``--cpu-per-worker N`` gives every worker,
and the single crawl, a CPU budget of its own, a cgroup v1 CFS quota of N CPUs, as a
host brings its own cores (4 workers of 0.4 CPU fit in 2 cores; without budgets, more
workers on one machine's cores only share them). ``--netns`` also runs each worker (and
the crawl) in a network namespace of its own, reaching the sites, a private Redis and
PostgreSQL (through a TCP forwarder) on a bridge address. CPU seconds per page are
measured from cgroup cpuacct (without budgets: the children's rusage); "got" is the
share of its budget a process used over the run (below 1.0 with no throttling: it
waited for the network or for the machine's busy cores, not its budget). A budget is a
cap, not a promise: on a machine busy with other work a process gets its CFS turn
(``--cpu-weight``: 1 = a plain process's), and "got" shows what it had.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.sites.build import generate_many  # noqa: E402
from tests.sites.harness import env, fanzha_args, signature  # noqa: E402
from tests.sites.hosts import (  # noqa: E402
    CpuBudgets,
    Hosts,
    cgroup_problem,
    emulated_hosts,
    forwarder,
    netns_problem,
    redis_server,
)

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


def schema(pg: str) -> tuple[str, str]:
    """A fresh schema; (its name, the URL of ``pg`` (the address workers use) in it)."""
    import psycopg

    name = f"fzbench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    return name, f"{pg}?options=-csearch_path%3D{name}"


def drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {name} CASCADE")


def fetch_span(db: str) -> float:
    """Seconds from the first article stored to the last (the crawl's steady part:
    process start-up and the idle wait before exit left out)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    with engine.connect() as conn:
        first, last = conn.execute(
            text("select min(fetched_at), max(fetched_at) from article")
        ).one()
    engine.dispose()
    return (last - first).total_seconds() if first and last else 0.0


class Setup:
    """Where the services are and how a worker (or the crawl) process is started."""

    def __init__(
        self, pg: str, redis: str, cpu: float | None, hosts: Hosts | None, weight: float = 1.0
    ) -> None:
        self.pg, self.redis, self.cpu, self.hosts, self.weight = pg, redis, cpu, hosts, weight
        self.budgets = CpuBudgets() if cpu else None
        self.rusage = 0.0

    def start(self, i: int, group: str, argv: list[str], e: dict[str, str]) -> subprocess.Popen:
        preexec = None
        if self.budgets is not None:
            self.budgets.add(group, self.cpu)
            preexec = self.budgets.preexec(group)
        if self.hosts is not None:
            argv = self.hosts.command(i, argv)
        return subprocess.Popen(
            argv,
            env=e,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            preexec_fn=preexec,
        )

    def children_seconds(self) -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def cpu_used(self, groups: list[str], before: float) -> tuple[float, float]:
        """(CPU seconds, throttled seconds) of these processes."""
        if self.budgets is None:
            return self.children_seconds() - before, 0.0
        return (
            sum(self.budgets.seconds(g) for g in groups),
            sum(self.budgets.throttled(g) for g in groups),
        )


def run_mode(workers: int, sites: Path, tmp: Path, setup: Setup) -> dict:
    """Figures and archive of one mode: 0 workers = one ``fanzha crawl``."""
    name, db = schema(setup.pg)
    home = tmp / f"home-{workers}"
    e = env(
        FANZHA_DB=db,
        FANZHA_HOME=str(home),
        FANZHA_REDIS=setup.redis,
        SCRAPY_SETTINGS_MODULE="tests.sites.dist_settings",  # 20 s timeout: no lost pages
    )
    tag = f"m{workers}-{uuid.uuid4().hex[:4]}"
    try:
        if workers:
            subprocess.run(
                fanzha_args("enqueue", "--sites", sites, "--json"),
                env=e,
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
            )
            argv = fanzha_args("worker", "--until-idle", "--json")
        else:
            argv = fanzha_args("crawl", "--sites", sites, "--json")
        groups = [f"{tag}-{i}" for i in range(max(workers, 1))]
        if setup.budgets is not None:
            setup.budgets.weigh(len(groups), setup.weight)
        before = setup.children_seconds()
        t0 = time.monotonic()
        procs = [setup.start(i, g, argv, e) for i, g in enumerate(groups)]
        outs = [p.communicate()[0] for p in procs]
        seconds = time.monotonic() - t0
        for p, out in zip(procs, outs, strict=True):
            if p.returncode != 0:
                raise SystemExit(f"{argv[3]} exited {p.returncode}: {out[-500:]}")
        pages = sum(json.loads(o)["pages"] for o in outs)
        cpu, throttled = setup.cpu_used(groups, before)
        return {
            "seconds": seconds,
            "pages": pages,
            "cpu": cpu,
            "throttled": throttled,
            "archive": signature(db),
            "span": fetch_span(db),
        }
    finally:
        drop(name)
        forget_frontier(db, setup.redis)


def forget_frontier(db: str, url: str) -> None:
    """Delete this archive's keys from Redis (the bench's frontier only)."""
    import redis

    from crawler.frontier import archive_prefix

    server = redis.Redis.from_url(url)
    for key in server.scan_iter(archive_prefix(db) + ":*"):
        server.delete(key)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=20)
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument(
        "--cpu-per-worker",
        type=float,
        default=None,
        help="CPUs each worker (and the single crawl) may use: a host's own cores",
    )
    ap.add_argument(
        "--cpu-weight",
        type=float,
        default=1.0,
        help="CFS weight of a budgeted process, in plain processes (1: the same turn)",
    )
    ap.add_argument("--netns", action="store_true", help="each worker in its own netns")
    args = ap.parse_args()
    if args.cpu_per_worker and (problem := cgroup_problem()):
        raise SystemExit(f"--cpu-per-worker: {problem}")
    if args.netns and (problem := netns_problem()):
        raise SystemExit(f"--netns: {problem}")
    counts = [int(w) for w in args.workers.split(",")]
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="fz-dist-bench-") as d:
        tmp = Path(d)
        root = tmp / "www"
        for n in range(args.sites):
            generate_many(root, f"/s{n:02d}/", args.articles, per_page=20)
        hosts = stack.enter_context(emulated_hosts(max(counts))) if args.netns else None
        address = hosts.server if hosts else "127.0.0.1"
        pg, redis = PG, REDIS
        if hosts:
            from sqlalchemy.engine import make_url

            local = make_url(PG)
            port = stack.enter_context(forwarder(address, (local.host, local.port or 5432)))
            pg = local.set(host=address, port=port).render_as_string(hide_password=False)
            redis = stack.enter_context(redis_server(address))
        setup = Setup(pg, redis, args.cpu_per_worker, hosts, args.cpu_weight)
        if setup.budgets is not None:
            stack.callback(setup.budgets.close)
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.sites.counting", str(root), "--bind", address],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env(RESPONSE_DELAY=str(args.delay)),
        )
        try:
            assert server.stdout is not None
            base = f"http://{address}:{int(server.stdout.readline())}"
            sites = tmp / "sites.toml"
            sites.write_text(
                "".join(SITE.format(n=n, base=base) for n in range(args.sites)), encoding="utf-8"
            )
            budget = f"{args.cpu_per_worker} CPU each" if args.cpu_per_worker else "no budgets"
            print(
                f"{args.sites} sites x {args.articles} articles, {args.delay * 1000:.0f} ms "
                f"a response, 2 requests at once per site; cores: {os.cpu_count()}; "
                f"{budget}; {'a network namespace each' if hosts else 'one network'}"
            )
            rates: dict[int, float] = {}
            steady: dict[int, float] = {}  # articles/min from the first stored to the last
            reference: dict[str, str] | None = None
            for workers in [0, *counts]:
                fig = run_mode(workers, sites, tmp, setup)
                stored = fig["archive"]
                rates[workers] = fig["pages"] / fig["seconds"] * 60
                steady[workers] = len(fig["archive"]) / max(fig["span"], 1e-9) * 60
                same = reference is None or stored == reference
                reference = reference or stored
                label = "fanzha crawl (one process)" if not workers else f"{workers} worker(s)"
                got = ""
                if args.cpu_per_worker:
                    share = fig["cpu"] / (fig["seconds"] * args.cpu_per_worker * max(workers, 1))
                    got = f" got {share:.2f} throttled {fig['throttled']:5.1f} s"
                print(
                    f"{label:28s} {fig['pages']:5d} pages {fig['seconds']:6.1f} s "
                    f"{rates[workers]:8.0f} pages/min  CPU {fig['cpu']:6.1f} s "
                    f"{fig['cpu'] / max(fig['pages'], 1) * 1000:5.1f} ms/page{got}  "
                    f"{len(stored)} articles{'' if same else '  ARCHIVE DIFFERS'}; "
                    f"steady {steady[workers]:5.0f} articles/min",
                    flush=True,
                )
            if 1 in rates:
                print("ratios: wall (start-up and idle exit included) | steady (stored span)")
                print(
                    f"1 worker / one crawl: {rates[1] / rates[0]:.2f}x | {steady[1] / steady[0]:.2f}x"
                )
                for w in rates:
                    if w > 1:
                        print(
                            f"{w} workers / 1 worker: {rates[w] / rates[1]:.2f}x"
                            f" | {steady[w] / steady[1]:.2f}x"
                        )
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
