"""Distributed crawling: ``fanzha enqueue`` into a Redis frontier, ``fanzha worker``
processes crawling from it into one PostgreSQL archive (real Redis on 127.0.0.1:6379,
real PostgreSQL, the fixture sites on a counting server)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import urlopen

import pytest
from sqlalchemy import create_engine, text

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

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REDIS = "redis://127.0.0.1:6379/0"


def _redis() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers on 127.0.0.1:6379 ({exc})")
    return client


@pytest.fixture(autouse=True)
def _forget_frontier(request) -> Iterator[None]:
    """After each test, its archive's keys leave the shared Redis."""
    yield
    db = request.node.funcargs.get("pg_url")
    if db:
        import redis

        with suppress(redis.RedisError):
            server = redis.Redis.from_url(REDIS, socket_connect_timeout=2)
            for key in server.scan_iter(frontier_keys(db)):
                server.delete(key)


@contextmanager
def counting_server(root: Path, log: Path, delay: float) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.sites.counting", str(root)],
        stdout=subprocess.PIPE,
        cwd=REPO,
        env=env(REQUEST_LOG=str(log), RESPONSE_DELAY=str(delay)),
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield f"http://127.0.0.1:{int(proc.stdout.readline())}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path, Path]]:
    """The fixture sites plus a 60-article portal (at most 2 requests at once), served
    with 20 ms latency; every request logged. Yields (base, sites file, request log)."""
    tmp = tmp_path_factory.mktemp("dist")
    root = copy_www(tmp / "www")
    generate_many(root, "/many/", 60, per_page=10)
    log = tmp / "requests.log"
    with counting_server(root, log, 0.02) as base:
        sites = write_sites(tmp / "sites.toml", base, SITES + MANY)
        yield base, sites, log


@pytest.fixture(scope="module")
def single(served, tmp_path_factory) -> dict[str, str]:
    """One ``fanzha crawl`` of the same sites (SQLite): {url: content hash}; how often
    it fetched each article is in ONCE (a redirect's target is fetched twice)."""
    _, sites, log = served
    home = tmp_path_factory.mktemp("single") / "home"
    mark = log_size(log)
    proc = subprocess.run(
        fanzha_args("crawl", "--sites", sites, "--home", home, "--json"),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(SCRAPY_SETTINGS_MODULE=SETTINGS),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    ONCE.update(fetches(log, mark))
    return signature(f"sqlite:///{home / 'fanzha.db'}")


ONCE: Counter[str] = Counter()
# the fixture server's moved article (tests/sites/server.py): a 301 to another article
MOVED = {"/portal/2024-03/20/content_9301.html": "/portal/2024-03/18/content_1002.html"}


def run_cli(*args: Any, db: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        fanzha_args(*args),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(
            FANZHA_REDIS=REDIS, FANZHA_DB=db, FANZHA_HOME=str(home), SCRAPY_SETTINGS_MODULE=SETTINGS
        ),
        timeout=timeout,
    )


def start_worker(db: str, home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        fanzha_args("worker", "--until-idle", "--json", *args),
        cwd=REPO,
        env=env(
            FANZHA_REDIS=REDIS, FANZHA_DB=db, FANZHA_HOME=str(home), SCRAPY_SETTINGS_MODULE=SETTINGS
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(procs: list[subprocess.Popen], timeout: float = 300) -> list[int]:
    codes = []
    for p in procs:
        _, err = p.communicate(timeout=timeout)
        assert p.returncode in (0, -signal.SIGKILL), err[-2000:]
        codes.append(p.returncode)
    return codes


def fetches(log: Path, since: int) -> Counter[str]:
    lines = log.read_text(encoding="utf-8").splitlines()[since:]
    return Counter(lines)


def log_size(log: Path) -> int:
    return len(log.read_text(encoding="utf-8").splitlines()) if log.exists() else 0


def enqueue(db: str, home: Path, sites: Path) -> dict[str, int]:
    proc = run_cli("enqueue", "--sites", sites, "--json", db=db, home=home)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def frontier_keys(db: str) -> str:
    from crawler.frontier import archive_prefix

    return archive_prefix(db) + ":*"


def test_three_workers_build_the_same_archive_as_one_crawl(served, single, pg_url, tmp_path):
    _redis()
    _, sites, log = served
    home = tmp_path / "home"
    assert enqueue(pg_url, home, sites) == {"sites": 6, "requests": 6}
    mark = log_size(log)
    procs = [start_worker(pg_url, home) for _ in range(3)]
    assert finish(procs) == [0, 0, 0]
    assert signature(pg_url) == single
    counts = fetches(log, mark)
    paths = [urlsplit(u).path for u in single]
    # never more often than one crawl fetches it (1, or 2-3 for a redirect's target)
    assert [p for p in paths if not 1 <= counts[p] <= ONCE[p]] == []
    status = json.loads(run_cli("status", "--json", db=pg_url, home=home).stdout)
    assert all(f["queued"] == 0 and f["leased"] == 0 for f in status["sites"].values())
    assert status["sites"]["many"]["done"] >= 60


def test_sigkilled_worker_loses_nothing(served, single, pg_url, tmp_path):
    client = _redis()
    _, sites, log = served
    home = tmp_path / "home"
    enqueue(pg_url, home, sites)
    mark = log_size(log)
    procs = [start_worker(pg_url, home, "--lease-seconds", "10") for _ in range(3)]
    victim = procs[0]
    engine = create_engine(pg_url)
    deadline = time.monotonic() + 120
    stored = 0
    while time.monotonic() < deadline and victim.poll() is None:
        with engine.connect() as conn:
            stored = conn.execute(text("select count(*) from article")).scalar_one()
        if stored >= 15:
            break
        time.sleep(0.1)
    engine.dispose()
    assert victim.poll() is None and stored < len(single), "too late to kill a worker"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    dead = f"{os.uname().nodename}:{victim.pid}".encode()
    held: set[str] = set()
    prefix = frontier_keys(pg_url)[:-1]
    for key in client.scan_iter(prefix + "owner:*"):
        for data, owner in client.hgetall(key).items():
            if owner == dead:
                from scrapy_redis import picklecompat

                held.add(urlsplit(picklecompat.loads(data)["url"]).path)
    finish(procs[1:])
    stored = signature(pg_url)
    assert stored == single  # nothing robots.txt forbids (crawler.middlewares)
    counts = fetches(log, mark)
    # a page the victim held may be fetched once more, and so may a held redirect's target
    again = Counter(held) + Counter(MOVED[p] for p in held if p in MOVED)
    for url in single:
        path = urlsplit(url).path
        assert 1 <= counts[path] <= ONCE[path] + again[path], (path, counts[path])


def test_a_site_never_gets_more_than_its_concurrency(pg_url, tmp_path):
    _redis()
    root = tmp_path / "www"
    generate_many(root, "/many/", 40, per_page=10)
    with counting_server(root, tmp_path / "log", 0.1) as base:
        sites = write_sites(tmp_path / "sites.toml", base, MANY)
        home = tmp_path / "home"
        enqueue(pg_url, home, sites)
        assert finish([start_worker(pg_url, home) for _ in range(3)]) == [0, 0, 0]
        with urlopen(f"{base}/_stats") as resp:
            most = json.load(resp)["most_at_once"]
    assert most["many"] == 2  # reached, never passed


def test_redis_flushed_mid_crawl_then_enqueue_again(served, single, pg_url, tmp_path):
    client = _redis()
    _, sites, _ = served
    home = tmp_path / "home"
    enqueue(pg_url, home, sites)
    procs = [start_worker(pg_url, home) for _ in range(2)]
    engine = create_engine(pg_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.execute(text("select count(*) from article")).scalar_one() >= 10:
                break
        time.sleep(0.1)
    engine.dispose()
    for key in client.scan_iter(frontier_keys(pg_url)):  # this archive's whole frontier
        client.delete(key)
    enqueue(pg_url, home, sites)
    finish(procs)
    if signature(pg_url) != single:  # workers that had given up: one more drains it
        finish([start_worker(pg_url, home)])
    assert signature(pg_url) == single


def test_sqlite_archive_refuses_distributed_mode(tmp_path, served):
    _, sites, _ = served
    home = tmp_path / "home"
    for args in (("enqueue", "--sites", sites), ("worker", "--until-idle")):
        proc = run_cli(*args, db=f"sqlite:///{tmp_path / 'a.db'}", home=home)
        assert proc.returncode == 2
        assert "PostgreSQL" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_worker_without_redis_is_a_one_line_error(tmp_path, pg_url):
    proc = subprocess.run(
        fanzha_args("worker", "--until-idle", "--redis", "redis://127.0.0.1:1/0"),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(FANZHA_DB=pg_url, FANZHA_HOME=str(tmp_path)),
        timeout=60,
    )
    assert proc.returncode == 2 and "does not answer" in proc.stderr


def wait_for_articles(db: str, n: int, timeout: float = 120) -> None:
    engine = create_engine(db)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(text("select count(*) from article")).scalar_one() >= n:
                    return
            time.sleep(0.1)
    finally:
        engine.dispose()


def dedup_state(db: str) -> list[tuple[int, bool, bool]]:
    """(article id, still flagged, has a signature) for every article."""
    engine = create_engine(db)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "select a.id, a.needs_dedup, s.article_id is not null from article a "
                "left join signature s on s.article_id = a.id order by a.id"
            )
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_dedup_while_workers_write_and_two_dedups_at_once(served, single, pg_url, tmp_path):
    _redis()
    _, sites, _ = served
    home = tmp_path / "home"
    enqueue(pg_url, home, sites)
    procs = [start_worker(pg_url, home) for _ in range(2)]
    wait_for_articles(pg_url, 10)
    # a second dedup while one holds the stage: exit 3 (the holder is this test, so the
    # race of two processes starting at once cannot decide it)
    from archive import Archive
    from fanzha.jobs.lock import WriterLock

    arc = Archive.open(home, pg_url)
    try:
        with WriterLock(arc, "dedup"):
            second = run_cli("dedup", "--json", db=pg_url, home=home)
    finally:
        arc.close()
    assert second.returncode == 3, second.stderr
    # a dedup while the workers write
    first = run_cli("dedup", "--json", db=pg_url, home=home)
    assert first.returncode == 0, first.stderr
    finish(procs)
    # what the dedup took is done, whole; what came after it is still flagged
    state = dedup_state(pg_url)
    assert all(flagged != signed for _, flagged, signed in state), state
    assert any(not flagged for _, flagged, _ in state)
    assert run_cli("dedup", "--json", db=pg_url, home=home).returncode == 0
    assert all(not flagged and signed for _, flagged, signed in dedup_state(pg_url))
    assert signature(pg_url) == single


def test_distributed_nightly_waits_for_the_workers(served, single, pg_url, tmp_path):
    client = _redis()
    _, sites, _ = served
    home = tmp_path / "home"
    env_ = env(FANZHA_REDIS=REDIS, FANZHA_DB=pg_url, FANZHA_HOME=str(home))
    nightly = subprocess.Popen(
        fanzha_args("nightly", "--distributed", "--sites", sites, "--deadline", "300", "--json"),
        cwd=REPO,
        env=env_,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    prefix = frontier_keys(pg_url)[:-1]
    deadline = time.monotonic() + 120
    while not client.exists(prefix + "q:many") and time.monotonic() < deadline:
        time.sleep(0.2)
    procs = [start_worker(pg_url, home) for _ in range(2)]
    finish(procs)
    out, err = nightly.communicate(timeout=300)
    assert nightly.returncode == 0, err
    summary = json.loads(out)
    figures = summary["figures"]
    assert figures["distributed"] and len(figures["workers"]) == 2
    assert summary["new"] == len(single) == sum(f["new"] for f in figures["sites"].values())
    assert set(figures["stages"]) == {"crawl", "dedup", "index"}
    assert "error" not in figures["stages"]["dedup"]
    assert signature(pg_url) == single


def test_status_and_runs_page_show_the_frontier(served, pg_url, tmp_path, monkeypatch):
    _redis()
    from fastapi.testclient import TestClient

    from fanzha.config import Settings
    from fanzha.web import create_app

    _, sites, _ = served
    home = tmp_path / "home"
    enqueue(pg_url, home, sites)
    status = json.loads(run_cli("status", "--json", db=pg_url, home=home).stdout)
    assert status["sites"]["many"] == {"queued": 1, "leased": 0, "done": 0, "failed": 0}
    assert status["workers"] == [] and status["leases"] == []
    monkeypatch.setenv("FANZHA_REDIS", REDIS)
    with TestClient(create_app(Settings.load(home, pg_url))) as client:
        page = client.get("/runs").text
    assert "Frontier" in page and "<td>many</td><td>1</td><td>0</td>" in page


def test_profile_concurrency_is_validated(tmp_path):
    from crawler.errors import ProfileError
    from crawler.profiles import parse_profiles

    text_ = MANY.replace("{base}", "http://127.0.0.1:1")
    assert parse_profiles(text_, "x.toml")[0].concurrency == 2
    with pytest.raises(ProfileError, match="concurrency must be a positive integer"):
        parse_profiles(text_.replace("concurrency = 2", "concurrency = 0"), "x.toml")


def test_crawls_write_at_once_on_postgresql_while_dedup_takes_the_writer_lock(archive):
    from fanzha.errors import LockHeld
    from fanzha.jobs.lock import WriterLock, crawl_lock

    with crawl_lock(archive):
        if archive.is_sqlite:  # one writer at a time, as before
            with pytest.raises(LockHeld):
                WriterLock(archive, "dedup").acquire()
            return
        other = subprocess.run(  # a second crawl, another process: it gets its own lease
            [
                sys.executable,
                "-c",
                "import sys; from archive import Archive; from fanzha.jobs.lock import crawl_lock\n"
                "with crawl_lock(Archive.open(sys.argv[1], sys.argv[2])): print('ok')",
                str(archive.home),
                archive.engine.url.render_as_string(False),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env(),
            timeout=120,
        )
        assert other.stdout.strip() == "ok", other.stderr
        with WriterLock(archive, "dedup"):  # dedup runs beside the crawls
            pass


def test_a_released_lease_of_a_robots_forbidden_page_is_never_fetched(served, pg_url, tmp_path):
    """A killed worker's lease of a page robots.txt forbids runs out; a fresh worker
    takes it in its first burst of the site's requests, all waiting for robots.txt
    (Scrapy gave the parser only to the first waiter: the others went through)."""
    from scrapy import Request

    from crawler.frontier import Frontier, archive_prefix
    from crawler.spiders.site import ARTICLE
    from crawler.worker import DistributedSpider

    client = _redis()
    base, sites, log = served
    home = tmp_path / "home"
    enqueue(pg_url, home, sites)
    frontier = Frontier(client, archive_prefix(pg_url))
    spider = DistributedSpider(profile=next(p for p in frontier.profiles() if p.key == "portal"))
    queue = frontier.queue(spider)

    def encoded(path: str) -> bytes:
        request = Request(
            base + path,
            callback=spider.parse_page,
            errback=spider.on_error,
            meta={"hint": ARTICLE},
            priority=1,
            dont_filter=True,
        )
        return queue._encode_request(request)

    private = "/portal/private/2024-03/15/content_7777.html"
    data = encoded(private)
    client.zadd(frontier.key("lease", "portal"), {data: time.time() - 1})  # ran out
    client.hset(frontier.key("owner", "portal"), data, b"killed:1")
    # the fresh worker pops these first (a better score), the private page right after
    first = ["/portal/2024-03/15/content_1001.html", "/portal/2024-03/16/content_1003.html"]
    client.zadd(frontier.key("q", "portal"), {encoded(p): -2000 for p in first})
    mark = log_size(log)
    assert finish([start_worker(pg_url, home)]) == [0]
    counts = fetches(log, mark)
    assert counts[first[0]] >= 1
    assert counts[private] == 0
    assert not [u for u in signature(pg_url) if "/private/" in u]
