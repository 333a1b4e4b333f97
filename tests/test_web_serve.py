"""``fanzha serve``: a real process on 127.0.0.1 by default; bad options fail in one line."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from .conftest import run
from .webutil import build_archive, free_port


def _start_serve(
    tmp_path, *args: str, port: int | None = None, home: Path | None = None
) -> tuple[subprocess.Popen, int, httpx.Response]:
    """``fanzha serve`` on a free loopback port (or ``port``; 0 is read from its log),
    once it answers /api/runs. Its log goes to ``tmp_path / "serve.log"``."""
    from archive import Archive

    if home is None:
        home = tmp_path / "home"
        Archive.open(home).close()  # serve reads an archive; it creates none
    port = free_port() if port is None else port
    env = {**os.environ, "FANZHA_HOME": str(home)}
    env.pop("FANZHA_DB", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as err:  # a file, not a pipe: the access log never blocks the server
        proc = subprocess.Popen(
            [sys.executable, "-m", "fanzha", "serve", "--port", str(port), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    deadline = time.monotonic() + 60
    while True:
        if port == 0:  # the supervisor names the port it picked
            found = re.search(r"on 127\.0\.0\.1:(\d+) \(SO_REUSEPORT\)", log.read_text())
            port = int(found[1]) if found else 0
        try:
            if port:
                return proc, port, httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=2)
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError(f"fanzha serve did not answer: {log.read_text()}")
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


async def _until_answering(port: int, want: int, timeout: float = 60) -> set[str]:
    """Once ``want`` worker pids answer fresh connections: those pids (the kernel hashes
    each new connection to one listening worker, so a worker still starting is missed)."""
    deadline = time.monotonic() + timeout
    while True:
        seen = await _answering_pids(port, want, at_most=100)
        if len(seen) >= want or time.monotonic() > deadline:
            return seen
        await asyncio.sleep(0.3)


async def _keepalive_workers(url: str, clients: int, requests: int) -> list[str]:
    """The worker that answered each of ``clients`` concurrent keep-alive clients, every
    one with its own connection (pooled, as a browser or the bench's clients keep it)."""

    async def one() -> str:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=30, limits=limits) as c:
            replies = [await c.get(url) for _ in range(requests)]
        assert all(r.status_code == 200 for r in replies)
        answered = {r.headers["x-fanzha-worker"] for r in replies}
        assert len(answered) == 1, answered  # one connection, one worker
        return answered.pop()

    return await asyncio.gather(*(one() for _ in range(clients)))


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _refused_in_one_line(port: int, home: Path, *args: str) -> None:
    """``fanzha serve`` on ``port`` exits 2 with one line (bounded: it must not serve)."""
    env = {**os.environ, "FANZHA_HOME": str(home)}
    env.pop("FANZHA_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "fanzha", "serve", "--port", str(port), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot listen on 127.0.0.1:{port}" in lines[0], lines


def test_serve_workers_share_keepalive_clients_and_stop_on_sigterm(cli, tmp_path):
    """Each worker listens on its own SO_REUSEPORT socket: 40 keep-alive clients at once
    are spread over both (the shared socket of uvicorn's workers gave whichever process
    was awake most of them); a second serve on the port is refused; SIGTERM stops all."""
    home = tmp_path / "home"
    build_archive(cli, home, None, tmp_path)
    proc, port, resp = _start_serve(tmp_path, "--workers", "2", home=home)
    try:
        assert resp.status_code == 200
        pids = asyncio.run(_until_answering(port, want=2))
        assert len(pids) == 2, pids
        workers = {int(p) for p in pids}
        assert proc.pid not in workers
        assert workers <= _children(proc.pid)  # both are worker processes of this serve

        url = f"http://127.0.0.1:{port}/api/search?q={quote('诈骗')}"
        answered = asyncio.run(_keepalive_workers(url, clients=40, requests=3))
        share = {pid: answered.count(pid) for pid in pids}
        assert min(share.values()) >= 8, share  # each worker, at least 20% of the clients

        # The workers' sockets accept SO_REUSEPORT from this user: a second serve must
        # not join them.
        _refused_in_one_line(port, home, "--workers", "2")
        children = _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(40) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert workers <= children
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{p}").exists() for p in children) and time.monotonic() < deadline:
        time.sleep(0.2)  # an orphan would outlive the deadline (a zombie is reaped by init)
    assert not [p for p in children if Path(f"/proc/{p}").exists()]
    assert _port_is_free(port)


def test_serve_workers_replace_a_killed_worker_on_port_0(tmp_path):
    proc, port, resp = _start_serve(tmp_path, "--workers", "2", port=0)
    try:
        assert resp.status_code == 200 and port != 0
        first = asyncio.run(_until_answering(port, want=2))
        assert len(first) == 2, first
        killed, kept = sorted(first)
        os.kill(int(killed), signal.SIGKILL)
        deadline = time.monotonic() + 60
        now: set[str] = set()
        while time.monotonic() < deadline:
            now = asyncio.run(_until_answering(port, want=2, timeout=5))
            if len(now) == 2:
                break
        assert kept in now and killed not in now and len(now) == 2, (first, now)
        new = int((now - {kept}).pop())
        assert new in _children(proc.pid)  # the supervisor started it
        assert "died (exit code -9); starting another" in (tmp_path / "serve.log").read_text()
    finally:
        proc.terminate()
        proc.wait(40)
    assert proc.returncode == 0


def test_serve_workers_refuse_a_port_with_a_reuseport_listener(tmp_path):
    """A listener of this user with SO_REUSEPORT would let our workers bind beside it and
    take half its connections: the check refuses the port instead."""
    from archive import Archive

    Archive.open(tmp_path / "home").close()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        _refused_in_one_line(port, tmp_path / "home", "--workers", "2")


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
