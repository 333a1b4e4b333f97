"""Emulated hosts on one machine, for the multi-host test and the distributed bench.

- ``emulated_hosts(n)``: ``n`` network namespaces ("hosts"), each with a veth pair
  whose other end is on a fresh bridge in the root namespace. The bridge has the
  address ``Hosts.server`` (10.x.y.1/24, x and y random and unused here); host ``i``
  is 10.x.y.(i+2). Services the hosts share (Redis, PostgreSQL, the fixture sites)
  listen on ``Hosts.server``. ``Hosts.command(i, argv)`` runs ``argv`` in host ``i``'s
  namespace with its own host name (``unshare --uts``), so a worker's id names its host.
- ``redis_server(address)``: a private ``redis-server`` on that address, nothing on disk.
- ``forwarder(address, target)``: a TCP forwarder (asyncio, in a thread) from
  ``address``:port to ``target`` -- how PostgreSQL, listening on 127.0.0.1 only here,
  is reached on the bridge address without touching its configuration.
- ``CpuBudgets``: cgroup v1 ``cpu``/``cpuacct`` children, one per process group, each
  with a CFS quota (``cpu.cfs_quota_us``) of N CPUs, and their CPU seconds used.

Everything is made with unique names per use and removed on exit, also on failure.
Needs root and iproute2 (``netns_problem()`` / ``cgroup_problem()`` say why not).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def netns_problem() -> str | None:
    """Why network namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "unshare"):
        if shutil.which(tool) is None:
            return f"no '{tool}' command (iproute2, util-linux)"
    probe = f"fzprobe{uuid.uuid4().hex[:6]}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"'ip netns add' fails: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def _free_subnet() -> ipaddress.IPv4Network:
    used = [
        ipaddress.ip_interface(word).network
        for line in _ip("-4", "-o", "addr").stdout.splitlines()
        for word in line.split()[3:4]
    ]
    for _ in range(100):
        net = ipaddress.ip_network(f"10.{random.randrange(100, 250)}.{random.randrange(256)}.0/24")
        if not any(net.overlaps(u) for u in used):
            return net
    raise RuntimeError("no free 10.x.y.0/24 subnet")


@dataclass
class Hosts:
    server: str  # the root namespace's address on the bridge
    names: list[str]  # network namespace of each host
    addresses: list[str]  # each host's address
    hostnames: list[str] = field(default_factory=list)

    def command(self, i: int, argv: list[str]) -> list[str]:
        """``argv`` run in host ``i``'s namespace, under its own host name."""
        return [
            "ip",
            "netns",
            "exec",
            self.names[i],
            "unshare",
            "--uts",
            "--",
            "sh",
            "-c",
            'hostname "$0" && exec "$@"',
            self.hostnames[i],
            *argv,
        ]


def _kill_namespace_processes(name: str) -> None:
    pids = _ip("netns", "pids", name, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


@contextlib.contextmanager
def emulated_hosts(n: int) -> Iterator[Hosts]:
    tag = uuid.uuid4().hex[:6]
    bridge = f"fzb{tag}"
    names = [f"fz{tag}h{i}" for i in range(n)]
    made: list[str] = []
    links: list[str] = []
    try:
        net = _free_subnet()
        first = net.network_address + 1
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{first}/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        addresses = []
        for i, name in enumerate(names):
            _ip("netns", "add", name)
            made.append(name)
            outer, inner = f"fz{tag}v{i}", f"fz{tag}p{i}"
            _ip("link", "add", outer, "type", "veth", "peer", "name", inner, "netns", name)
            links.append(outer)
            _ip("link", "set", outer, "master", bridge, "up")
            address = str(first + 1 + i)
            _ip("-n", name, "addr", "add", f"{address}/24", "dev", inner)
            _ip("-n", name, "link", "set", inner, "up")
            _ip("-n", name, "link", "set", "lo", "up")
            addresses.append(address)
        hosts = Hosts(str(first), names, addresses, [f"host{i + 1}-{tag}" for i in range(n)])
        _wait_reachable(hosts)
        yield hosts
    finally:
        for name in made:
            _kill_namespace_processes(name)
        for link in links:  # the pair goes at once (a namespace's own end goes later)
            _ip("link", "del", link, check=False)
        for name in made:
            _ip("netns", "del", name, check=False)
        _ip("link", "del", bridge, check=False)


def _wait_reachable(hosts: Hosts, timeout: float = 10) -> None:
    """Until every host can open a TCP connection to the bridge address."""
    with socket.socket() as probe:
        probe.bind((hosts.server, 0))
        probe.listen(16)
        port = probe.getsockname()[1]
        code = f"import socket; socket.create_connection(('{hosts.server}', {port}), 1).close()"
        deadline = time.monotonic() + timeout
        for i in range(len(hosts.names)):
            while True:
                ok = subprocess.run(
                    ["ip", "netns", "exec", hosts.names[i], sys.executable, "-c", code],
                    capture_output=True,
                    timeout=30,
                )
                if ok.returncode == 0:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"host {i} cannot reach {hosts.server}")
                time.sleep(0.2)


def free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server(address: str) -> Iterator[str]:
    """A private redis-server on ``address`` (nothing on disk) with a password, as a
    Redis that other hosts reach needs (without one, its protected mode refuses every
    client not on loopback); yields its URL."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("no redis-server")
    port = free_port(address)
    password = uuid.uuid4().hex
    argv = [exe, "--bind", address, "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(
        [*argv, "--requirepass", password],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((address, port), 0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on {address}:{port} did not start") from None
                time.sleep(0.1)
        yield f"redis://:{password}@{address}:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextlib.contextmanager
def forwarder(address: str, target: tuple[str, int]) -> Iterator[int]:
    """Forward TCP connections to ``address``:port to ``target``; yields the port."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def serve() -> None:
        server = await asyncio.start_server(handle, address, 0)
        box["server"] = server
        box["port"] = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await server.serve_forever()

    def run() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(serve())

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError(f"no forwarder on {address}")
    try:
        yield int(box["port"])  # type: ignore[call-overload]
    finally:
        loop.call_soon_threadsafe(box["server"].close)  # type: ignore[attr-defined]
        for task in asyncio.all_tasks(loop):
            loop.call_soon_threadsafe(task.cancel)
        thread.join(10)


def cgroup_problem() -> str | None:
    """Why per-process CPU budgets cannot be set here, or None."""
    if os.geteuid() != 0:
        return "CPU budgets need root (cgroup v1)"
    for controller, name in (("cpu", "cpu.cfs_quota_us"), ("cpuacct", "cpuacct.usage")):
        if not (CGROUP / controller / name).exists():
            return f"no cgroup v1 {controller} controller at {CGROUP / controller}"
    return None


class CpuBudgets:
    """cgroup v1 children with a CPU quota each; ``preexec(name)`` puts a new process
    (and so its children) into group ``name``; ``seconds(name)`` is its CPU time."""

    PERIOD_US = 100_000

    def __init__(self) -> None:
        self.root = f"fzbench-{uuid.uuid4().hex[:8]}"
        self.groups: list[str] = []

    def _dir(self, controller: str, name: str = "") -> Path:
        return CGROUP / controller / self.root / name

    def add(self, name: str, cpus: float | None) -> None:
        for controller in ("cpu", "cpuacct"):
            self._dir(controller, name).mkdir(parents=True, exist_ok=True)
        if cpus:
            (self._dir("cpu", name) / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (self._dir("cpu", name) / "cpu.cfs_quota_us").write_text(
                str(int(cpus * self.PERIOD_US))
            )
        self.groups.append(name)

    def weigh(self, processes: int, weight: float = 1.0) -> None:
        """The groups' CFS weight: ``processes`` plain processes' worth (times ``weight``).
        Every other process here is in the root group, where a child group weighs as one
        process: without this, 4 budgeted workers would share one process's turn."""
        self._dir("cpu").mkdir(parents=True, exist_ok=True)
        self._dir("cpuacct").mkdir(parents=True, exist_ok=True)
        shares = max(2, int(1024 * processes * weight))
        (self._dir("cpu") / "cpu.shares").write_text(str(shares))

    def preexec(self, name: str) -> Callable[[], None]:
        procs = [self._dir(c, name) / "cgroup.procs" for c in ("cpu", "cpuacct")]

        def enter() -> None:
            for path in procs:
                with open(path, "w") as fh:
                    fh.write(str(os.getpid()))

        return enter

    def seconds(self, name: str) -> float:
        return int((self._dir("cpuacct", name) / "cpuacct.usage").read_text()) / 1e9

    def throttled(self, name: str) -> float:
        """Seconds the group waited because its quota was spent."""
        for line in (self._dir("cpu", name) / "cpu.stat").read_text().splitlines():
            key, value = line.split()
            if key == "throttled_time":
                return int(value) / 1e9
        return 0.0

    def close(self) -> None:
        for controller in ("cpu", "cpuacct"):
            for name in self.groups:
                path = self._dir(controller, name)
                for _ in range(50):  # processes leave a group a moment after they exit
                    try:
                        path.rmdir()
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.1)
            with contextlib.suppress(OSError):
                self._dir(controller).rmdir()

    def __enter__(self) -> CpuBudgets:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
