"""One writer at a time: a lock row in the archive's own database.

The lock lives in the ``job_lock`` table, so it works the same on SQLite and on a
PostgreSQL shared by several machines. Taking it is one INSERT (the primary key makes
two simultaneous takers fail but one). A lock left behind by a killed process is
recognised and taken over:

- on the same host, when the holder's process is gone (or its PID now belongs to a
  different process: the process start time is part of the holder's name);
- from another host, when its heartbeat is older than ``stale_after`` (a holder renews
  the heartbeat every ``heartbeat_every`` seconds from a background thread).

Takeover is a compare-and-swap (``UPDATE … WHERE holder = <the stale holder>``), so two
processes that both find the same stale lock cannot both take it.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from archive import Archive
from archive.models import JobLock, utcnow
from archive.runs import process_alive, process_start
from archive.times import show_time

from ..errors import LockHeld

log = logging.getLogger(__name__)

WRITER = "writer"


def me() -> tuple[str, str, int]:
    host, pid = socket.gethostname(), os.getpid()
    return f"{host}:{pid}:{process_start(pid) or '-'}", host, pid


@dataclass
class LockInfo:
    holder: str
    host: str
    pid: int
    acquired_at: str  # archive.times.show_time, to the second


def since(row: JobLock) -> str:
    """When the lock ``row`` was taken, as every time is shown (China time, with its offset)."""
    return show_time(row.acquired_at.replace(microsecond=0)) or ""


class WriterLock:
    """``with WriterLock(archive, "nightly"):`` — raises LockHeld if another writer runs."""

    def __init__(
        self,
        archive: Archive,
        purpose: str,
        *,
        name: str = WRITER,
        stale_after: timedelta = timedelta(minutes=10),
        heartbeat_every: float = 30.0,
    ) -> None:
        self.archive = archive
        self.purpose = purpose
        self.name = name
        self.stale_after = stale_after
        self.heartbeat_every = heartbeat_every
        self.holder, self.host, self.pid = me()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.took_over: LockInfo | None = None

    # -- taking and giving back -------------------------------------------------------
    def acquire(self) -> None:
        row = JobLock(name=self.name, holder=self.holder, pid=self.pid, host=self.host)
        try:
            with self.archive.session() as s:
                s.add(row)
        except IntegrityError:
            self._take_over_if_stale()
        self._thread = threading.Thread(target=self._beat, name="fanzha-lock", daemon=True)
        self._thread.start()
        log.info("lock %s taken by %s for %s", self.name, self.holder, self.purpose)

    def _take_over_if_stale(self) -> None:
        with self.archive.session() as s:
            current = s.get(JobLock, self.name)
            if current is None:  # released in between: try once more from the top
                s.add(JobLock(name=self.name, holder=self.holder, pid=self.pid, host=self.host))
                return
            info = LockInfo(current.holder, current.host, current.pid, since(current))
            if not self._is_stale(current):
                raise LockHeld(
                    f"another fanzha writer is running (pid {current.pid} on {current.host}, "
                    f"since {info.acquired_at}); try again when it ends"
                )
            now = utcnow()
            taken = s.execute(
                update(JobLock)
                .where(JobLock.name == self.name, JobLock.holder == current.holder)
                .values(
                    holder=self.holder,
                    pid=self.pid,
                    host=self.host,
                    acquired_at=now,
                    heartbeat_at=now,
                )
            ).rowcount
            if taken != 1:
                raise LockHeld("another fanzha writer took the stale lock first")
        self.took_over = info
        log.warning("took over a stale lock left by %s (since %s)", info.holder, info.acquired_at)

    def _is_stale(self, row: JobLock) -> bool:
        if row.host == self.host:
            parts = row.holder.split(":")
            start = parts[2] if len(parts) > 2 and parts[2] != "-" else None
            return not process_alive(row.pid, start)
        return utcnow() - row.heartbeat_at > self.stale_after

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_every):
            try:
                with self.archive.session() as s:
                    s.execute(
                        update(JobLock)
                        .where(JobLock.name == self.name, JobLock.holder == self.holder)
                        .values(heartbeat_at=utcnow())
                    )
            except OperationalError as exc:  # busy database: the next beat tries again
                # (a missed beat only risks a takeover after stale_after)
                reason = str(exc.orig or exc).splitlines()[0]
                log.warning(
                    "lock heartbeat missed (%s); next try in %gs", reason, self.heartbeat_every
                )
            except Exception:
                log.exception("lock heartbeat failed")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.archive.session() as s:
            s.execute(
                delete(JobLock).where(JobLock.name == self.name, JobLock.holder == self.holder)
            )
        log.info("lock %s released by %s", self.name, self.holder)

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def current_holder(archive: Archive, name: str = WRITER) -> JobLock | None:
    with archive.session() as s:
        return s.scalar(select(JobLock).where(JobLock.name == name))


def crawl_lock(archive: Archive, purpose: str = "crawl") -> WriterLock:
    """The lock a crawl takes. On SQLite the archive's one writer lock, as every writer.
    On PostgreSQL a lease of this process's own (``crawl:<host>:<pid>:<start>``): any
    number of crawls write at once (and ``fanzha worker``s, which take none), while
    dedup and index keep the writer lock, one at a time."""
    if archive.is_sqlite:
        return WriterLock(archive, purpose)
    return WriterLock(archive, purpose, name=f"crawl:{me()[0]}"[:100])
