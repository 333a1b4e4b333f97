"""``fanzha serve``: a real process on 127.0.0.1 by default; bad options fail in one line."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import run
from .webutil import free_port


def _start_serve(tmp_path, *args: str) -> tuple[subprocess.Popen, int, httpx.Response]:
    """``fanzha serve`` on a free loopback port, once it answers /api/runs."""
    from archive import Archive

    Archive.open(tmp_path / "home").close()  # serve reads an archive; it creates none
    port = free_port()
    env = {**os.environ, "FANZHA_HOME": str(tmp_path / "home")}
    env.pop("FANZHA_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanzha", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            return proc, port, httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=2)
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                err = proc.communicate()[1]
                raise AssertionError(f"fanzha serve did not answer: {err}") from None
            time.sleep(0.2)


def _children(pid: int) -> set[int]:
    return {
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and (p / "stat").exists() and _ppid(p) == pid
    }


def _ppid(proc_dir: Path) -> int | None:
    try:
        return int((proc_dir / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


async def _answering_pids(port: int, want: int, at_most: int = 400) -> set[str]:
    """Pids named by X-Fanzha-Worker over concurrent requests on fresh connections."""
    seen: set[str] = set()
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as c:
        for _ in range(at_most // 20):
            replies = await asyncio.gather(
                *(c.get(f"http://127.0.0.1:{port}/api/runs") for _ in range(20))
            )
            assert all(r.status_code == 200 for r in replies)
            seen |= {r.headers["x-fanzha-worker"] for r in replies}
            if len(seen) >= want:
                break
    return seen


def test_serve_workers_answer_from_two_processes(tmp_path):
    proc, port, resp = _start_serve(tmp_path, "--workers", "2")
    try:
        assert resp.status_code == 200
        pids = asyncio.run(_answering_pids(port, want=2))
        assert len(pids) == 2, pids
        workers = {int(p) for p in pids}
        assert proc.pid not in workers
        assert workers <= _children(proc.pid)  # both are worker processes of this serve
    finally:
        proc.terminate()
        proc.wait(20)
    assert all(not Path(f"/proc/{p}").exists() for p in workers)  # stopped with it


def test_serve_binds_loopback_and_answers(tmp_path):
    proc, port, resp = _start_serve(tmp_path, "--workers", "1")
    try:
        assert resp.status_code == 200
        assert resp.headers["x-fanzha-worker"] == str(proc.pid) and resp.json() == []
        assert (
            "script-src 'none'"
            in httpx.get(f"http://127.0.0.1:{port}/").headers["content-security-policy"]
        )
        conns = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
        if conns:  # where ss exists, the socket is on loopback only
            assert f"127.0.0.1:{port}" in conns and f"0.0.0.0:{port}" not in conns
    finally:
        proc.terminate()
        proc.wait(10)


def test_serve_bad_options_are_one_line(cli, tmp_path):
    bad_db = run(cli, "serve", "--home", tmp_path, "--db", "postgresql+psycopg://x@127.0.0.1:1/n")
    assert bad_db.exit_code == 2
    assert bad_db.stderr.startswith("fanzha: error: cannot connect to database")
    assert len(bad_db.stderr.strip().splitlines()) == 1
    bad_port = run(cli, "serve", "--home", tmp_path, "--port", "70000")
    assert bad_port.exit_code == 2 and "--port must be between 0 and 65535" in bad_port.stderr
    no_workers = run(cli, "serve", "--home", tmp_path, "--workers", "0")
    assert no_workers.exit_code == 2 and "--workers must be 1 or more" in no_workers.stderr
