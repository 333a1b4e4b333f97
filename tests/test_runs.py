"""Crawl runs have one owner (``archive.runs``): a run is opened, gets figures while it is
open, and is closed once; a closed run's row is never written again. The database itself
is made to refuse any write to a closed run (a trigger), so a nightly that reopened its
run after the crawl, or wrote the workers' totals after closing it, fails here. Times are
shown in China time (``archive.times.show_time``)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from archive import Archive
from archive.models import CrawlRun, JobLock
from tests.sites.build import generate_many
from tests.sites.harness import MANY, REPO, copy_www, env, fanzha_args, fixture_server, write_sites

SQLITE_FINAL = """
CREATE TRIGGER closed_run_is_final BEFORE UPDATE ON crawl_run
WHEN OLD.finished_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a closed crawl run was written'); END
"""

PG_FINAL = [
    """
    CREATE FUNCTION closed_run_is_final() RETURNS trigger AS $$
    BEGIN
        IF OLD.finished_at IS NOT NULL THEN
            RAISE EXCEPTION 'a closed crawl run was written';
        END IF;
        RETURN NEW;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER closed_run_is_final BEFORE UPDATE ON crawl_run
    FOR EACH ROW EXECUTE FUNCTION closed_run_is_final()
    """,
]


def _row(archive: Archive, run_id: int) -> dict:
    with archive.session() as s:
        run = s.get(CrawlRun, run_id)
        return {c.name: getattr(run, c.name) for c in CrawlRun.__table__.columns}


def test_a_closed_run_is_never_written_again(sqlite_archive):
    from archive import runs

    run_id = runs.open_run(sqlite_archive, "crawl", sites=["b", "a"], log_name="crawl-{id}.log")
    runs.record(
        sqlite_archive,
        run_id,
        totals={"pages": 3, "new": 2, "updated": 0, "unchanged": 1, "errors": 1},
        sites=["c"],
        figures={"sites": {"c": {"pages": 3}}},
    )
    runs.add_error(sqlite_archive, run_id, "HTTP 404", site="c", url="https://c.example/x")
    closed = runs.close_run(sqlite_archive, run_id, "ok", figures={"stages": {}})
    assert closed["status"] == "ok" and closed["pages"] == 3 and closed["errors"] == 1
    assert closed["sites"] == ["a", "b", "c"]
    assert list(closed["figures"]) == ["host", "sites", "stages"]
    assert closed["log"].endswith(f"crawl-{run_id}.log")
    before = _row(sqlite_archive, run_id)
    with pytest.raises(runs.RunClosed):
        runs.record(sqlite_archive, run_id, totals={"pages": 99})
    with pytest.raises(runs.RunClosed):
        runs.close_run(sqlite_archive, run_id, "failed")
    with pytest.raises(runs.RunClosed):
        runs.add_error(sqlite_archive, run_id, "late")
    assert _row(sqlite_archive, run_id) == before
    with sqlite_archive.session() as s:
        assert runs.get_run(s, run_id)["error_list"] == [
            {"site": "c", "url": "https://c.example/x", "status": None, "error": "HTTP 404"}
        ]


def test_runs_are_shown_in_china_time(sqlite_archive, cli):
    """``fanzha runs``, ``/api/runs`` and the runs pages read ``archive.runs``, which shows
    a run's times as every time is shown: China time, ISO 8601 with its offset."""
    from archive import runs
    from tests.conftest import run

    with sqlite_archive.session() as s:
        s.add(
            CrawlRun(
                kind="crawl",
                status="ok",
                started_at=datetime(2026, 12, 6, 18, 30, tzinfo=UTC),
                finished_at=datetime(2026, 12, 6, 18, 45, tzinfo=UTC),
            )
        )
    with sqlite_archive.session() as s:
        shown = runs.list_runs(s)[0]
    assert shown["started"] == "2026-12-07T02:30:00+08:00"
    assert shown["finished"] == "2026-12-07T02:45:00+08:00"
    result = run(cli, "runs", "--json", "--home", str(sqlite_archive.home))
    assert json.loads(result.stdout)[0]["started"] == "2026-12-07T02:30:00+08:00"
    result = run(cli, "runs", "1", "--json", "--home", str(sqlite_archive.home))
    assert json.loads(result.stdout)["finished"] == "2026-12-07T02:45:00+08:00"


def test_a_held_lock_names_its_time_in_china_time(sqlite_archive):
    from fanzha.errors import LockHeld
    from fanzha.jobs.lock import WriterLock, me

    holder, host, pid = me()  # this process: alive, so the lock is not stale
    taken = datetime(2026, 12, 6, 23, 15, 7, 123456, tzinfo=UTC)
    with sqlite_archive.session() as s:
        s.add(
            JobLock(
                name="writer",
                holder=holder,
                pid=pid,
                host=host,
                acquired_at=taken,
                heartbeat_at=taken,
            )
        )
    with pytest.raises(LockHeld) as err:
        WriterLock(sqlite_archive, "test").acquire()
    assert "since 2026-12-07T07:15:07+08:00)" in str(err.value)
    assert "UTC" not in str(err.value)


@pytest.fixture(scope="module")
def small_site(tmp_path_factory):
    root = copy_www(tmp_path_factory.mktemp("srv") / "www")
    generate_many(root, "/many/", 12, per_page=5)
    with fixture_server(root) as base:
        yield base


@pytest.mark.slow
def test_a_nightly_closes_its_run_once_with_crawl_dedup_and_index_figures(small_site, tmp_path):
    """The crawl records its figures into the nightly's open run; the nightly closes it
    with the stages' figures. Before, the crawl closed the run and the nightly reopened
    it (status back to running, end time cleared): the trigger refuses that."""
    home = tmp_path / "home"
    Archive.open(home).close()
    with sqlite3.connect(home / "fanzha.db") as db:
        db.execute(SQLITE_FINAL)
    sites = write_sites(tmp_path / "sites.toml", small_site, MANY)
    proc = subprocess.run(
        fanzha_args("nightly", "--sites", sites, "--home", home, "--json"),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "ok" and report["new"] == 12 and report["errors"] == 0
    assert report["finished"].endswith("+08:00") and report["started"].endswith("+08:00")
    figures = report["figures"]
    assert list(figures) == ["host", "pid_start", "sites", "stages"]
    assert figures["sites"]["many"]["new"] == 12  # the crawl's, written into the open run
    assert set(figures["stages"]) == {"crawl", "dedup", "index"}
    assert figures["stages"]["index"]["indexed"] == 12
    assert report["log"].endswith("run-00001.log")
    arc = Archive.open(home)
    with arc.session() as s:
        (row,) = s.scalars(select(CrawlRun)).all()
        assert (row.kind, row.status, row.pages, row.new) == ("nightly", "ok", report["pages"], 12)
        assert row.finished_at is not None
    arc.close()


@pytest.mark.slow
@pytest.mark.postgres
def test_a_distributed_nightly_closes_its_run_once(small_site, pg_url, tmp_path):
    """The distributed nightly closes its run with the workers' totals and figures in
    one go (before, it closed the run, then wrote them into the closed run)."""
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis answers on 127.0.0.1:6379 ({exc})")
    home = tmp_path / "home"
    Archive.open(home, pg_url).close()
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for statement in PG_FINAL:
            conn.execute(text(statement))
    engine.dispose()
    sites = write_sites(tmp_path / "sites.toml", small_site, MANY)
    env_ = env(FANZHA_REDIS=url, FANZHA_DB=pg_url, FANZHA_HOME=str(home))
    try:
        proc = subprocess.run(  # no worker: the frontier does not drain, the run is partial
            fanzha_args("nightly", "--distributed", "--sites", sites, "--deadline", "1", "--json"),
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env_,
            timeout=300,
        )
    finally:
        from crawler.frontier import Frontier

        frontier = Frontier.open(url, pg_url)
        server = redis.Redis.from_url(url)
        for key in server.scan_iter(frontier.prefix + "*"):
            server.delete(key)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert report["status"] == "partial" and report["finished"].endswith("+08:00")
    figures = report["figures"]
    assert list(figures) == ["host", "pid_start", "stages", "sites", "workers", "distributed"]
    assert figures["stages"]["crawl"]["drained"] is False
    assert set(figures["stages"]) == {"crawl", "dedup", "index"}


def test_the_crawl_run_row_has_one_writer():
    """Only archive/runs.py builds or changes a CrawlRun (tests aside)."""
    import ast

    writers = []
    for path in sorted(Path(REPO).glob("*/**/*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith((".venv/", "tests/", "archive/migrations/")) or rel in (
            "archive/runs.py",
            "archive/models.py",
        ):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name) and node.id == "CrawlRun":
                writers.append(rel)
            if isinstance(node, ast.alias) and node.name == "CrawlRun":
                writers.append(rel)
    assert sorted(set(writers)) == [], writers
