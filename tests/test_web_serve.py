"""``fanzha serve``: a real process on 127.0.0.1 by default; bad options fail in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from .conftest import run
from .webutil import free_port


def test_serve_binds_loopback_and_answers(tmp_path):
    port = free_port()
    env = {**os.environ, "FANZHA_HOME": str(tmp_path / "home")}
    env.pop("FANZHA_DB", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "fanzha", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                resp = httpx.get(f"http://127.0.0.1:{port}/api/runs", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "fanzha serve did not answer"
                time.sleep(0.2)
        assert resp.status_code == 200 and resp.json() == []
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
