"""``fanzha nightly`` end to end: fixture sites on 127.0.0.1 (one of them down), every
run in its own process, killed with SIGKILL mid-crawl and mid-index and run again, two
nightlies at once, and the record each run leaves."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from archive import Archive
from tests.sites.build import generate_many
from tests.sites.harness import MANY, REPO, copy_www, env, fanzha_args, fixture_server, write_sites

pytestmark = pytest.mark.slow


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DOWN = """
[[site]]
key = "refused"
name = "拒绝连接"
start_urls = ["http://127.0.0.1:{port}/"]
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = copy_www(tmp_path_factory.mktemp("srv") / "www")
    generate_many(root, "/many/", 120, per_page=10)
    with fixture_server(root, MANY_DELAY="0.03") as base:
        yield base


def nightly(home: Path, sites: Path, *args: str, timeout: float = 300):
    proc = subprocess.run(
        fanzha_args("nightly", "--sites", sites, "--home", home, "--json", *args),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        timeout=timeout,
    )
    report = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, report, proc.stderr


def start_nightly(home: Path, sites: Path) -> subprocess.Popen:
    return subprocess.Popen(
        fanzha_args("nightly", "--sites", sites, "--home", home, "--json"),
        cwd=REPO,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def state(home: Path) -> dict[str, object]:
    """What a finished run must leave: articles, their clusters, and the index's documents."""
    from search.indexer import open_index

    with sqlite3.connect(home / "fanzha.db") as db:
        arts = dict(db.execute("select url, content_hash from article").fetchall())
        pending = db.execute(
            "select count(*) from article where needs_dedup or needs_index"
        ).fetchone()[0]
        members = db.execute("select count(*) from member").fetchone()[0]
    arc = Archive.open(home)
    with open_index(arc).searcher() as s:
        indexed = sorted(int(f["id"]) for f in s.all_stored_fields())
    with sqlite3.connect(home / "fanzha.db") as db:
        ids = sorted(r[0] for r in db.execute("select id from article"))
    arc.close()
    return {
        "articles": arts,
        "pending": pending,
        "members": members,
        "index_matches": indexed == ids,
        "n": len(ids),
    }


def _wait_for(predicate, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the nightly finished before it could be killed"


def _count(home: Path) -> int:
    try:
        with sqlite3.connect(home / "fanzha.db", timeout=5) as db:
            return db.execute("select count(*) from article").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory):
    """An uninterrupted nightly over the 'many' site: what interrupted runs must equal."""
    tmp = tmp_path_factory.mktemp("ref")
    sites = write_sites(tmp / "sites.toml", site, MANY)
    code, report, err = nightly(tmp / "home", sites)
    assert code == 0, err
    return sites, state(tmp / "home"), report


def test_uninterrupted_nightly_records_everything(reference):
    _, st, report = reference
    assert report["status"] == "ok" and report["new"] == 120 == st["n"]
    assert st["pending"] == 0 and st["index_matches"]
    assert set(report["figures"]["stages"]) == {"crawl", "dedup", "index"}
    assert report["figures"]["stages"]["index"]["indexed"] == 120
    assert Path(report["log"]).is_file() and "stage index: done" in Path(report["log"]).read_text()


def test_one_site_down_leaves_the_others_crawled(site, tmp_path):
    sites = write_sites(tmp_path / "sites.toml", site, MANY + DOWN.format(port=closed_port()))
    report_file = tmp_path / "last.json"
    code, report, err = nightly(tmp_path / "home", sites, "--report", str(report_file))
    assert code == 1, err
    assert report["status"] == "partial" and report["new"] == 120
    assert json.loads(report_file.read_text(encoding="utf-8")) == report
    st = state(tmp_path / "home")
    assert st["pending"] == 0 and st["index_matches"]
    runs = subprocess.run(
        fanzha_args("runs", report["run"], "--home", tmp_path / "home", "--json"),
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env(),
        check=True,
    )
    detail = json.loads(runs.stdout)
    assert detail["kind"] == "nightly" and detail["status"] == "partial"
    assert any(e["site"] == "refused" for e in detail["error_list"])


def test_killed_mid_crawl_then_rerun_matches_uninterrupted(reference, tmp_path):
    sites, expected, _ = reference
    home = tmp_path / "home"
    proc = start_nightly(home, sites)
    _wait_for(lambda: _count(home) >= 20, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert 20 <= _count(home) < 120
    code, _, err = nightly(home, sites)
    assert code == 0, err  # the dead run's lock is taken over, not waited for
    st = state(home)
    assert st["articles"] == expected["articles"]
    assert st["pending"] == 0 and st["index_matches"] and st["members"] == expected["members"]
    runs = json.loads(
        subprocess.run(
            fanzha_args("runs", "--home", home, "--json"),
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env(),
            check=True,
        ).stdout
    )
    assert [r["status"] for r in runs] == ["ok", "killed"]


def test_killed_mid_index_then_rerun_matches_uninterrupted(reference, tmp_path):
    sites, expected, _ = reference
    home = tmp_path / "home"
    proc = start_nightly(home, sites)
    logs = home / "logs"

    def indexing() -> bool:
        return (
            any(
                "stage index: started" in p.read_text(errors="replace")
                for p in logs.glob("run-*.log")
            )
            if logs.is_dir()
            else False
        )

    _wait_for(indexing, proc, 180)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    code, _, err = nightly(home, sites)
    assert code == 0, err
    st = state(home)
    assert st["articles"] == expected["articles"]
    assert st["pending"] == 0 and st["index_matches"]


def test_two_nightlies_at_once_one_exits_3(reference, tmp_path):
    sites, _, _ = reference
    home = tmp_path / "home"
    Archive.open(home).close()  # both find a migrated database
    procs = [start_nightly(home, sites) for _ in range(2)]
    results = [(p.wait(timeout=300), p.communicate()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 3]
    loser = next(out for code, out in results if code == 3)
    assert loser[0] == "" and "another fanzha writer is running" in loser[1]
    assert len(loser[1].strip().splitlines()) == 1


def test_progress_bars_on_a_terminal_log_lines_otherwise(reference, tmp_path):
    """Under a pseudo-terminal (util-linux ``script``) the run shows Rich bars; piped, log lines."""
    import shlex
    import shutil

    if shutil.which("script") is None:
        pytest.skip("util-linux 'script' is not installed: no pseudo-terminal to test with")
    sites, _, _ = reference
    cmd = shlex.join(fanzha_args("nightly", "--sites", sites, "--home", tmp_path / "tty"))
    tty = subprocess.run(
        ["script", "-qec", cmd, "/dev/null"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env(), "COLUMNS": "120", "TERM": "xterm"},
        timeout=300,
    )
    assert tty.returncode == 0, tty.stdout
    assert "━" in tty.stdout and "index" in tty.stdout
    code, _, err = nightly(tmp_path / "piped", sites)
    assert code == 0 and "━" not in err
    assert any(" INFO " in line and "index" in line for line in err.splitlines())


def test_no_site_reached_is_failed(tmp_path):
    sites = write_sites(tmp_path / "sites.toml", "", DOWN.format(port=closed_port()))
    code, report, err = nightly(tmp_path / "home", sites)
    assert code == 1, err
    assert report["status"] == "failed" and report["new"] == 0
    assert set(report["figures"]["stages"]) == {"crawl", "dedup", "index"}  # later stages ran
