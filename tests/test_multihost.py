"""Workers on separate hosts, emulated on one machine (issue 13, "better still").

Three network namespaces are the worker hosts (tests/sites/hosts.py): each has a veth
pair whose other end is on a fresh bridge in the root namespace, and its own host name
(``unshare --uts``). On the bridge address listen, as on a real LAN:

- the fixture sites: the counting server bound to that address, logging every
  request's client address (``CLIENT_LOG``);
- Redis: a private ``redis-server --bind ADDRESS --port P --save ''`` with a password
  (the system one listens on 127.0.0.1 only; and without a password Redis's protected
  mode refuses every client that is not on loopback);
- PostgreSQL: it listens on 127.0.0.1 only here, so a TCP forwarder (asyncio, in this
  test's process, not socat) listens on the bridge address and passes connections to
  127.0.0.1:5432; PostgreSQL's configuration is not touched.

Each host runs ``fanzha worker --until-idle`` (``ip netns exec``) with its own
FANZHA_HOME and no sites file; the coordinator (the root namespace) runs ``fanzha
enqueue`` with the very FANZHA_DB URL the workers use (the frontier's keys are a hash of
it). Skips with a one-line reason when not root, without ``ip netns`` or redis-server.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest

from tests.sites.build import generate_many
from tests.sites.harness import (
    DIST_SETTINGS as SETTINGS,
)
from tests.sites.harness import (
    MANY_DISTRIBUTED as MANY,
)
from tests.sites.harness import (
    REPO,
    SITES,
    copy_www,
    env,
    fanzha_args,
    signature,
    write_sites,
)
from tests.sites.hosts import emulated_hosts, forwarder, netns_problem, redis_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _problem() -> str | None:
    if problem := netns_problem():
        return problem
    if shutil.which("redis-server") is None:
        return "no redis-server to run on the hosts' network"
    return None


@contextmanager
def counting_server(root: Path, address: str, log: Path, clients: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.sites.counting", str(root), "--bind", address],
        stdout=subprocess.PIPE,
        cwd=REPO,
        env=env(REQUEST_LOG=str(log), CLIENT_LOG=str(clients), RESPONSE_DELAY="0.05"),
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield f"http://{address}:{int(proc.stdout.readline())}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def on_address(pg_url: str, address: str, port: int) -> str:
    """``pg_url`` (its schema kept) reached at ``address``:``port``."""
    from sqlalchemy.engine import make_url

    return make_url(pg_url).set(host=address, port=port).render_as_string(hide_password=False)


def test_workers_on_three_hosts_build_the_same_archive_as_one_crawl(pg_url, tmp_path):
    if problem := _problem():
        pytest.skip(problem)
    root = copy_www(tmp_path / "www")
    generate_many(root, "/many/", 100, per_page=10)
    log, clients = tmp_path / "requests.log", tmp_path / "clients.log"
    with (
        emulated_hosts(3) as hosts,
        redis_server(hosts.server) as redis,
        forwarder(hosts.server, ("127.0.0.1", 5432)) as pg_port,
        counting_server(root, hosts.server, log, clients) as base,
    ):
        sites = write_sites(tmp_path / "sites.toml", base, SITES + MANY)
        db = on_address(pg_url, hosts.server, pg_port)  # every host spells it the same
        shared = {"FANZHA_DB": db, "FANZHA_REDIS": redis, "SCRAPY_SETTINGS_MODULE": SETTINGS}
        enqueued = subprocess.run(
            fanzha_args("enqueue", "--sites", sites, "--json"),
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env(FANZHA_HOME=str(tmp_path / "coordinator"), **shared),
            timeout=120,
        )
        assert enqueued.returncode == 0, enqueued.stderr[-2000:]
        assert json.loads(enqueued.stdout) == {"sites": 6, "requests": 6}
        procs = [
            subprocess.Popen(
                hosts.command(i, fanzha_args("worker", "--until-idle", "--json")),
                cwd=REPO,
                env=env(FANZHA_HOME=str(tmp_path / f"host{i}"), **shared),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(3)
        ]
        reports = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err[-2000:]
            reports.append(json.loads(out))
        with urlopen(f"{base}/_stats") as resp:
            most = json.load(resp)["most_at_once"]
        asked = [line.split(" ", 1) for line in lines(clients)]
        # the reference, after the workers: one `fanzha crawl` (SQLite) on the coordinator
        # (it is not held to a profile's concurrency on the fixture settings: 11 at once)
        mark = len(lines(log))
        home = tmp_path / "single"
        single = subprocess.run(
            fanzha_args("crawl", "--sites", sites, "--home", home, "--json"),
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env(SCRAPY_SETTINGS_MODULE=SETTINGS),
            timeout=300,
        )
        assert single.returncode == 0, single.stderr[-2000:]
        reference = signature(f"sqlite:///{home / 'fanzha.db'}")
        once = Counter(lines(log)[mark:])

    # the same archive as one crawl: URL set, content hashes, no row twice
    assert signature(pg_url) == reference
    # every worker ran on its own host, and every request came from a worker host
    assert [r["worker"].split(":")[0] for r in reports] == hosts.hostnames
    by_host = Counter(address for address, _ in asked)
    assert set(by_host) == set(hosts.addresses), by_host
    # no article fetched more often than one crawl fetches it (a redirect's target twice)
    counts = Counter(path for _, path in asked)
    paths = [urlsplit(u).path for u in reference]
    assert [p for p in paths if not 1 <= counts[p] <= once[p]] == []
    assert most["many"] <= 2  # the site's concurrency, over all hosts


def test_emulated_hosts_are_removed_even_on_failure():
    if problem := netns_problem():
        pytest.skip(problem)
    with pytest.raises(RuntimeError, match="boom"), emulated_hosts(2) as hosts:
        names = list(hosts.names)
        raise RuntimeError("boom")
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not [n for n in names if n in left]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert names[0][2:8] not in links  # the bridge and the veth pairs (their names carry it)
