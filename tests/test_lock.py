"""The writer lock: one writer at a time, stale locks taken over, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from archive.models import JobLock, utcnow
from archive.runs import process_start
from fanzha.errors import LockHeld
from fanzha.jobs.lock import WriterLock, current_holder


def _plant(archive, pid: int, host: str | None = None, start: str | None = None, age_min=0):
    host = host or socket.gethostname()
    start = start if start is not None else (process_start(pid) or "-")
    with archive.session() as s:
        s.add(
            JobLock(
                name="writer",
                holder=f"{host}:{pid}:{start}",
                pid=pid,
                host=host,
                acquired_at=utcnow() - timedelta(minutes=age_min),
                heartbeat_at=utcnow() - timedelta(minutes=age_min),
            )
        )


@pytest.fixture
def sleeper():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def test_acquire_and_release(archive):
    with WriterLock(archive, "test"):
        assert current_holder(archive).pid == os.getpid()
    assert current_holder(archive) is None


def test_live_holder_blocks_with_clear_message(archive, sleeper):
    _plant(archive, sleeper.pid)
    with pytest.raises(LockHeld, match=f"pid {sleeper.pid}") as err:
        WriterLock(archive, "test").acquire()
    assert err.value.exit_code == 3
    assert current_holder(archive).pid == sleeper.pid


def test_lock_of_killed_process_is_taken_over(archive, sleeper):
    _plant(archive, sleeper.pid)
    sleeper.kill()
    sleeper.wait()
    lock = WriterLock(archive, "test")
    lock.acquire()
    try:
        assert lock.took_over is not None and lock.took_over.pid == sleeper.pid
        assert current_holder(archive).pid == os.getpid()
    finally:
        lock.release()


def test_reused_pid_is_not_mistaken_for_the_holder(archive, sleeper):
    _plant(archive, sleeper.pid, start="1")  # same pid, different process start time
    with WriterLock(archive, "test") as lock:
        assert lock.took_over is not None


def test_other_host_lock_is_stale_only_after_heartbeat_timeout(archive):
    _plant(archive, 4242, host="elsewhere", start="7", age_min=1)
    with pytest.raises(LockHeld):
        WriterLock(archive, "test").acquire()
    with archive.session() as s:
        s.get(JobLock, "writer").heartbeat_at = utcnow() - timedelta(hours=1)
    with WriterLock(archive, "test") as lock:
        assert lock.took_over.host == "elsewhere"


def test_two_processes_racing_only_one_wins(home):
    from archive import Archive

    Archive.open(home).close()
    script = textwrap.dedent(f"""
        import sys, time
        from archive import Archive
        from fanzha.errors import LockHeld
        from fanzha.jobs.lock import WriterLock
        arc = Archive.open({str(home)!r})
        try:
            with WriterLock(arc, "race"):
                print("won", flush=True)
                time.sleep(3)
        except LockHeld:
            print("held", flush=True)
    """)
    procs = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outs = sorted(p.communicate(timeout=60)[0].strip() for p in procs)
    assert outs == ["held", "held", "won"]


def test_a_heartbeat_on_a_busy_database_logs_one_line_and_beats_again(home, caplog):
    """Another writer holding SQLite's lock makes a beat miss: one warning line, no
    traceback, and the next beat goes through once the lock is free."""
    import logging
    import sqlite3
    import time

    from archive import Archive

    arc = Archive.open(home, busy_timeout=0.05)
    lock = WriterLock(arc, "test", heartbeat_every=0.1)
    lock.acquire()
    other = sqlite3.connect(home / "fanzha.db", timeout=5)
    try:
        with caplog.at_level(logging.WARNING, logger="fanzha.jobs.lock"):
            other.execute("BEGIN IMMEDIATE")
            time.sleep(0.5)
            other.rollback()
            before = current_holder(arc).heartbeat_at
            time.sleep(0.5)
        missed = [r for r in caplog.records if "heartbeat missed" in r.getMessage()]
        assert missed and all(r.exc_info is None for r in missed)
        assert "locked" in missed[0].getMessage()
        assert current_holder(arc).heartbeat_at > before
    finally:
        other.close()
        lock.release()
        arc.close()
