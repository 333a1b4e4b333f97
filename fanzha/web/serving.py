"""N uvicorn worker processes on one port, each with its own ``SO_REUSEPORT`` socket.

``uvicorn.run(workers=N)`` has every worker ``accept()`` on one shared socket: whichever
process is awake takes the new connections, so pooled keep-alive clients end up mostly
on one worker and the second core barely helps (issue 18). Here each worker binds its
own listening socket on ``host:port`` with ``SO_REUSEADDR`` + ``SO_REUSEPORT``, and the
kernel spreads incoming connections over the listeners by a hash of the connection.

``serve_workers`` is the supervisor, in the parent: it holds one bound (never listening)
``SO_REUSEPORT`` socket on the port for its whole life (port 0 is resolved there, once,
and the workers are given the real port; the port stays ours while a worker restarts),
starts the workers (spawned, fresh interpreters; each builds its app from the factory
``fanzha.web.app:app_from_env``), forwards SIGINT/SIGTERM as SIGTERM to them, restarts
a worker that dies unexpectedly, and stops when a worker fails to start (uvicorn's exit
code 3: the app or the bind is broken and would fail the same way again), as uvicorn's
own supervisor does. It returns 0 after a stop by signal, 3 after a startup failure.

Joining a port that another process listens on is not this module's business: the
caller checks first, with a bind that does not set ``SO_REUSEPORT`` (``fanzha serve``'s
``_check_bindable``), which a port with any listener refuses.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from typing import Any

APP = "fanzha.web.app:app_from_env"
STARTUP_FAILURE = 3  # uvicorn's exit code for an app or socket that cannot start
STOP_GRACE = 25.0  # seconds a worker has to finish its requests once told to stop
RESTART_PAUSE = 1.0  # at most one restart of a slot per this many seconds

log = logging.getLogger("uvicorn.error")  # the log uvicorn's own supervisor writes to


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEADDR`` and ``SO_REUSEPORT``.

    Not listening yet: a worker's uvicorn calls ``listen()`` when it starts; the
    supervisor's own socket never listens, so the kernel never hands it a connection.
    The address family is chosen as uvicorn chooses it (IPv6 when the host has a colon).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _die_with_parent() -> None:
    """Linux: SIGTERM this process when the supervisor dies, even by SIGKILL."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux, no libc: the supervisor's stop still works
        pass


def _worker(host: str, port: int, parent: int, options: dict[str, Any]) -> None:
    """One worker process: its own listening socket on the port, one uvicorn server."""
    _die_with_parent()
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        return
    import uvicorn

    config = uvicorn.Config(APP, factory=True, host=host, port=port, **options)
    try:
        sock = reuseport_socket(host, port)
    except OSError as exc:
        log.error("cannot bind %s:%d: %s", host, port, exc.strerror or exc)
        sys.exit(STARTUP_FAILURE)
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):  # a terminal's Ctrl-C reaches them all
        server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Starts ``workers`` processes on ``host:port`` and keeps them running until told."""

    def __init__(self, host: str, port: int, workers: int, options: dict[str, Any]) -> None:
        self.host, self.workers, self.options = host, workers, options
        self.stopping = False
        self.code = 0
        self.context = multiprocessing.get_context("spawn")
        self.anchor = reuseport_socket(host, port)  # holds the port; resolves port 0
        self.port: int = self.anchor.getsockname()[1]
        self.procs: list[BaseProcess] = []
        self.started_at: list[float] = []

    def _spawn(self) -> BaseProcess:
        proc = self.context.Process(
            target=_worker,
            args=(self.host, self.port, os.getpid(), self.options),
            name="fanzha-web-worker",
        )
        proc.start()
        return proc

    def _on_signal(self, signum: int, _frame: object) -> None:
        if not self.stopping:
            log.info("Received %s, stopping the workers.", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM (0) or until a worker fails to start (3)."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            log.info(
                "Started parent process [%d], %d workers on %s:%d (SO_REUSEPORT)",
                os.getpid(),
                self.workers,
                self.host,
                self.port,
            )
            for _ in range(self.workers):
                if self.stopping:
                    break
                self.procs.append(self._spawn())
                self.started_at.append(time.monotonic())
            while not self.stopping:
                wait([p.sentinel for p in self.procs], timeout=0.5)
                self._replace_dead()
            self._stop_all()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.anchor.close()
        log.info("Stopping parent process [%d]", os.getpid())
        return self.code

    def _replace_dead(self) -> None:
        for slot, proc in enumerate(self.procs):
            if self.stopping or proc.is_alive():
                continue
            proc.join()
            if proc.exitcode == STARTUP_FAILURE:
                log.error("Worker process [%s] failed to start; stopping.", proc.pid)
                self.code = STARTUP_FAILURE
                self.stopping = True
                return
            log.warning(
                "Worker process [%s] died (exit code %s); starting another.",
                proc.pid,
                proc.exitcode,
            )
            pause = self.started_at[slot] + RESTART_PAUSE - time.monotonic()
            if pause > 0:  # a worker dying at once, again and again, does not spin
                time.sleep(pause)
            if self.stopping:
                return
            self.procs[slot] = self._spawn()
            self.started_at[slot] = time.monotonic()

    def _stop_all(self) -> None:
        for proc in self.procs:
            if proc.is_alive() and proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc in self.procs:
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                log.warning("Worker process [%s] did not stop in time; killing it.", proc.pid)
                proc.kill()
                proc.join()


def serve_workers(host: str, port: int, workers: int, **options: Any) -> int:
    """Run ``workers`` uvicorn processes of the fanzha app on ``host:port``; the exit code.

    ``options`` go to each worker's ``uvicorn.Config`` (e.g. ``log_level``).
    """
    import uvicorn

    uvicorn.Config(APP, factory=True, host=host, port=port, **options)  # the parent's logging
    return Supervisor(host, port, workers, options).run()
