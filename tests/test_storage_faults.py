"""Damaged and missing storage: a corrupt search index (CLI, web app, a served app whose
segment is truncated under it), a corrupt SQLite file (bad header, a malformed page),
read commands on a home without an archive, and concurrent writers on one SQLite file."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from archive import Archive

from .conftest import run
from .search_corpus import generate, load
from .sites.harness import REPO, copy_www, env, fanzha_args, fixture_server, write_sites
from .webutil import free_port


def one_line_error(result, *words: str) -> str:
    """The single ``fanzha: error:`` line of a failed command (exit 2), checked."""
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fanzha: error: "), result.stderr
    assert "Traceback" not in result.stderr and "Aborted" not in result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Path:
    """A home with 40 articles and their search index (copied by each test)."""
    from search import update_index

    home = tmp_path_factory.mktemp("indexed") / "home"
    arc = Archive.open(home)
    load(arc, generate(40, seed=11))
    update_index(arc)
    arc.close()
    return home


@pytest.fixture
def home(indexed, tmp_path) -> Path:
    dest = tmp_path / "home"
    shutil.copytree(indexed, dest)
    return dest


def segment_of(home: Path) -> Path:
    gen = home / "index" / (home / "index" / "CURRENT").read_text().strip()
    (seg,) = gen.glob("*.seg")
    return seg


def toc_of(home: Path) -> Path:
    (toc,) = segment_of(home).parent.glob("_MAIN_*.toc")
    return toc


def truncate(path: Path) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def garble(path: Path, offset: int = 0, size: int = 64) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xa5" * size)


# -- a damaged search index ----------------------------------------------------------

DAMAGE = {
    "segment truncated": lambda home: truncate(segment_of(home)),
    "garbage over a segment's header": lambda home: garble(segment_of(home)),
    "garbage in the index's TOC": lambda home: garble(toc_of(home), 0, 16),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_cli_search_on_a_damaged_index_says_rebuild_and_rebuild_mends_it(cli, home, damage):
    DAMAGE[damage](home)  # (a CLI search is a new process: nothing of the index is open)
    line = one_line_error(run(cli, "search", "诈骗", "--home", home), "fanzha index --rebuild")
    assert "damaged" in line and str(home) in line
    # an update of the damaged index says the same; nothing in the archive is lost
    one_line_error(run(cli, "index", "--home", home), "fanzha index --rebuild")
    rebuilt = run(cli, "index", "--rebuild", "--home", home, "--json")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert json.loads(rebuilt.stdout)["total"] == 40
    res = run(cli, "search", "诈骗", "--home", home, "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["total"] > 0


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_web_app_reports_search_unavailable_and_serves_the_rest(home, damage):
    from fanzha.config import Settings
    from fanzha.web import create_app

    DAMAGE[damage](home)
    client = TestClient(create_app(Settings(home=home)))
    api = client.get("/api/search", params={"q": "诈骗"})
    assert api.status_code == 503
    body = api.json()
    assert set(body) == {"error"} and "\n" not in body["error"]
    assert "unavailable" in body["error"] and "fanzha index --rebuild" in body["error"]
    page = client.get("/", params={"q": "诈骗"})
    assert page.status_code == 503
    assert "fanzha index --rebuild" in page.text and 'name="q"' in page.text  # the form stays
    assert client.get("/api/runs").status_code == 200
    assert client.get("/api/articles/1").status_code == 200
    assert client.get("/clusters").status_code == 200


def _wait_answering(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=2)
            return
        except httpx.TransportError:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "fanzha serve did not answer"
            time.sleep(0.2)


def test_served_app_survives_a_segment_truncated_under_it(home):
    """A real ``fanzha serve``: its searchers map the segment; truncating the file must
    give 503s, not a SIGBUS that kills the server."""
    port = free_port()
    proc = subprocess.Popen(
        fanzha_args("serve", "--home", home, "--port", port, "--workers", "1"),
        cwd=REPO,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_answering(proc, port)
        with httpx.Client(base_url=url, timeout=30) as http:
            for _ in range(12):  # searchers opened and kept in the server's threads
                assert http.get("/api/search", params={"q": "诈骗"}).status_code == 200
            with open(segment_of(home), "r+b") as fh:
                fh.truncate(4096)
            for _ in range(12):
                resp = http.get("/api/search", params={"q": "诈骗 OR 公安"})
                assert resp.status_code == 503, resp.text
                assert "fanzha index --rebuild" in resp.json()["error"]
            assert proc.poll() is None
            assert http.get("/api/runs").status_code == 200
            assert http.get("/", params={"q": "诈骗"}).status_code == 503
            rebuilt = subprocess.run(
                fanzha_args("index", "--rebuild", "--home", home),
                cwd=REPO,
                env=env(),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert rebuilt.returncode == 0, rebuilt.stderr
            assert http.get("/api/search", params={"q": "诈骗"}).status_code == 200
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)


# -- a damaged SQLite file -----------------------------------------------------------


def damaged_archive_commands(home: Path) -> list[tuple[str, ...]]:
    return [
        ("dups", "--home", str(home)),
        ("export", "--home", str(home)),
        ("search", "诈骗", "--home", str(home)),
        ("runs", "--home", str(home)),
        ("import", str(REPO / "tests" / "data" / "seeds"), "--home", str(home)),
    ]


def assert_says_damaged(result, db: Path) -> None:
    line = one_line_error(result, str(db), "damaged", ".recover", "backup")
    assert "malformed" in line or "not a database" in line


def test_sqlite_file_with_a_bad_header_is_one_line_exit_2(cli, home):
    db = home / "fanzha.db"
    garble(db, 0, 100)  # the header: "SQLite format 3" and the page size are gone
    for args in damaged_archive_commands(home):
        assert_says_damaged(run(cli, *args), db)


def test_web_app_on_a_damaged_sqlite_file_answers_503(home):
    from fanzha.config import Settings
    from fanzha.web import create_app

    garble(home / "fanzha.db", 0, 100)
    client = TestClient(create_app(Settings(home=home)))
    for path in ("/api/articles/1", "/api/search?q=x", "/api/runs"):
        resp = client.get(path)
        assert resp.status_code == 503, resp.text
        assert "damaged" in resp.json()["error"] and ".recover" in resp.json()["error"]


def test_sqlite_file_with_a_malformed_page_is_one_line_exit_2(cli, tmp_path):
    home = tmp_path / "home"
    arc = Archive.open(home)
    load(arc, generate(300, seed=5))  # the article table spans many pages
    arc.close()
    db = home / "fanzha.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    assert pages > 50
    garble(db, (pages // 2) * page_size, page_size)  # one page in the middle
    result = run(cli, "export", "--home", home)  # reads every article
    assert_says_damaged(result, db)


# -- a home without an archive -------------------------------------------------------

READ_COMMANDS = [
    ("search", "诈骗"),
    ("export",),
    ("dups",),
    ("diff", "1", "2"),
    ("check", "-"),
    ("runs",),
    ("index",),
    ("dedup",),
    ("serve", "--port", "0"),
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: a[0])
def test_read_commands_on_a_missing_home_create_nothing(cli, tmp_path, args):
    missing = tmp_path / "typo-home"
    result = run(cli, *args, "--home", missing, input="一段文字")
    one_line_error(result, "no archive in", str(missing), "--home")
    assert not missing.exists()


def test_read_command_on_a_missing_sqlite_db_url_creates_nothing(cli, tmp_path):
    db = tmp_path / "nowhere" / "x.db"
    result = run(cli, "dups", "--home", tmp_path / "h", "--db", f"sqlite:///{db}")
    one_line_error(result, "no archive at", str(db))
    assert not db.exists() and not (tmp_path / "h").exists()


def test_write_commands_still_create_the_archive(cli, tmp_path):
    home = tmp_path / "new-home"
    assert run(cli, "import", REPO / "tests" / "data" / "seeds", "--home", home).exit_code == 0
    assert (home / "fanzha.db").exists()
    assert run(cli, "dups", "--home", home).exit_code == 0


# -- concurrent writers --------------------------------------------------------------


def test_processes_opening_a_new_archive_at_once_migrate_it_once(tmp_path, db_url):
    """Each would create the tables; the migration lock lets one, the others find them."""
    home = tmp_path / "home"
    code = "import sys; from archive import Archive; Archive.open(sys.argv[1], sys.argv[2] or None)"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(home), db_url or ""],
            cwd=REPO,
            env=env(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for proc in procs:
        assert proc.wait(120) == 0, proc.communicate()[1]
    arc = Archive.open(home, db_url)
    with arc.engine.connect() as conn:
        assert len(conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()) == 1
    arc.close()


def _write_files(folder: Path, prefix: str, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        body = "".join(
            f"第{i}条提醒：冒充{prefix}客服诈骗，{j}号案例，警方提醒不要转账。" for j in range(40)
        )
        (folder / f"{prefix}{i:02d}.txt").write_text(f"{prefix}反诈提醒第{i}号\n\n{body}\n")


@pytest.mark.slow
def test_two_imports_and_a_crawl_at_once_store_every_article_once(tmp_path):
    """Three writers start together on a home that does not exist yet: the archive is
    created and migrated once, every writer waits for the others' SQLite locks, and
    every article is stored exactly once."""
    _write_files(tmp_path / "a", "银行", 12)
    _write_files(tmp_path / "b", "快递", 12)
    root = copy_www(tmp_path / "www")
    home = tmp_path / "home"
    with fixture_server(root) as base:
        sites = write_sites(tmp_path / "sites.toml", base)
        opts = {"cwd": REPO, "env": env(), "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        procs = [
            subprocess.Popen(
                fanzha_args("import", tmp_path / "a", "--home", home, "--json"), **opts
            ),
            subprocess.Popen(
                fanzha_args("import", tmp_path / "b", "--home", home, "--json"), **opts
            ),
            subprocess.Popen(
                fanzha_args("crawl", "--sites", sites, "--home", home, "--json"), **opts
            ),
        ]
        outs = [p.communicate(timeout=600) for p in procs]
    for proc, (_, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err.decode()
    imported = [json.loads(out) for out, _ in outs[:2]]
    assert [len(r["imported"]) for r in imported] == [12, 12]
    assert all(not r["errors"] for r in imported)
    crawled = json.loads(outs[2][0])
    assert crawled["status"] == "ok" and crawled["new"] > 0
    with sqlite3.connect(home / "fanzha.db") as db:
        urls = [u for (u,) in db.execute("SELECT url FROM article")]
    assert len(urls) == len(set(urls)) == 24 + crawled["new"]
    assert sum(u.startswith("file://") for u in urls) == 24


def test_a_writer_kept_waiting_past_the_busy_timeout_is_one_line_exit_3(cli, home, monkeypatch):
    monkeypatch.setenv("FANZHA_BUSY_TIMEOUT", "1")
    holder = sqlite3.connect(home / "fanzha.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        result = run(cli, "dedup", "--home", home)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "database is locked" in lines[0] and "try again" in lines[0]


@pytest.mark.parametrize("value", ["soon", "0", "-5", "nan"])
def test_a_busy_timeout_that_is_not_seconds_is_a_usage_error(cli, home, monkeypatch, value):
    monkeypatch.setenv("FANZHA_BUSY_TIMEOUT", value)
    result = run(cli, "dedup", "--home", home)
    assert result.exit_code == 2, result.stderr
    assert "FANZHA_BUSY_TIMEOUT" in result.stderr and "seconds" in result.stderr


def test_two_imports_of_the_same_files_at_once_store_each_once(tmp_path):
    """Both find every file absent at first: the second of each pair waits for the
    first's write lock, then finds its row and skips the file (no UNIQUE error)."""
    _write_files(tmp_path / "a", "网购", 16)
    home = tmp_path / "home"
    Archive.open(home).close()
    opts = {"cwd": REPO, "env": env(), "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    procs = [
        subprocess.Popen(fanzha_args("import", tmp_path / "a", "--home", home, "--json"), **opts)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    reports = []
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0, err.decode()
        reports.append(json.loads(out))
    assert all(not r["errors"] for r in reports)
    assert sum(len(r["imported"]) for r in reports) == 16
    assert sum(len(r["skipped"]) for r in reports) == 16
    with sqlite3.connect(home / "fanzha.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT url) FROM article").fetchone() == (
            16,
            16,
        )
