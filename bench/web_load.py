"""Load test of ``fanzha serve``: 20 clients on ``/api/search`` while a nightly writes.

For each worker count (default: 1, then the default of ``fanzha serve``, one per core)
the bench copies the archive (into which ``--write`` new generated bulletins were
imported beforehand, not yet deduplicated nor indexed), starts ``fanzha serve
--workers N`` on 127.0.0.1, warms each worker up, then for ``--seconds`` runs
``--clients`` concurrent clients that send search requests back to back while a real
``fanzha nightly`` writes into the same archive (it crawls the bundled sample sites,
served on 127.0.0.1 under a new port, so their 22 bulletins are new; then dedups and
indexes those and the imported ones), followed, until the phase ends, by ``fanzha
import`` of further batches of ``--batch`` generated bulletins.
It prints req/s, p50/p95/max latency and errors per phase, and the ratio of the
default to one worker (same archive, same writer, same run).

``--no-writer`` leaves the writer out: what remains is the server's own scaling
from 1 to N workers (on 2 cores, a writer busy all phase takes a core the second worker
would use).

Traffic goes to 127.0.0.1 only; every loop is bounded by ``--seconds`` and
``--max-requests`` and the bench stops by itself (about 2-3 minutes in all).

    .venv/bin/python bench/web_load.py                      # builds a demo archive first
    .venv/bin/python bench/web_load.py --home /tmp/demo/home --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the corpus generator lives with the tests

from fanzha.cli.web import default_workers  # noqa: E402
from fanzha.demo_server import write_sample_sites  # noqa: E402
from tests.search_corpus import generate  # noqa: E402

FANZHA = [sys.executable, "-m", "fanzha"]
SAMPLE_SITES = ROOT / "fanzha" / "samples" / "sites"
QUERIES = [
    "反诈",
    "刷单返利",
    "冒充客服",
    "游戏装备",
    "96110",
    "冒充领导",
    "投资理财",
    "公安机关",
    "诈骗 NOT 刷单",
    '"一证通查"',
    "退款",
    "贷款",
    "警方提醒",
    "电信网络诈骗",
    "转账 OR 汇款",
]
EXTRA = ["", "&all_copies=true", "&sort=date", "&limit=5"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def url_for(base: str, i: int) -> str:
    return f"{base}/api/search?q={quote(QUERIES[i % len(QUERIES)])}{EXTRA[i % len(EXTRA)]}"


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    workers_seen: Counter[str] = field(default_factory=Counter)  # pid -> requests answered
    seconds: float = 0.0


async def load(base: str, clients: int, seconds: float, max_requests: int) -> LoadResult:
    """``clients`` clients sending searches back to back for ``seconds`` (bounded)."""
    out = LoadResult()
    sent = 0
    t_end = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(k: int, http: httpx.AsyncClient) -> None:
        nonlocal sent
        i = k
        while time.monotonic() < t_end and sent < max_requests:
            sent += 1
            t0 = time.perf_counter()
            try:
                r = await http.get(url_for(base, i))
                if r.status_code != 200:
                    out.errors.append(f"{r.status_code} {r.text[:120]}")
                else:
                    out.workers_seen[r.headers.get("x-fanzha-worker", "?")] += 1
            except httpx.HTTPError as exc:
                out.errors.append(f"{type(exc).__name__}: {exc}")
            out.latencies.append(time.perf_counter() - t0)
            i += clients

    t0 = time.monotonic()
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(k, http) for k in range(clients)))
    out.seconds = time.monotonic() - t0
    return out


class Writer(threading.Thread):
    """``fanzha nightly``, then ``fanzha import`` of further batches until stopped."""

    def __init__(self, home: Path, sites: Path, batches: list[Path], log: Path) -> None:
        super().__init__(daemon=True)
        self.home, self.sites, self.batches, self.log = home, sites, batches, log
        self.steps: list[tuple[str, int, float]] = []  # (command, exit code, seconds)
        self.proc: subprocess.Popen[bytes] | None = None
        self.stopped = threading.Event()
        self.interrupted = False  # still writing when the phase ended: stopped by SIGINT

    def run(self) -> None:
        commands = [["nightly", "--sites", str(self.sites), "--home", str(self.home)]]
        commands += [["import", str(b), "--home", str(self.home)] for b in self.batches]
        # The sample sites are ours, on 127.0.0.1: no politeness delays (LOCAL_SITES).
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "tests.sites.settings"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with self.log.open("ab") as log:
            for cmd in commands:
                if self.stopped.is_set():
                    return
                t0 = time.monotonic()
                self.proc = subprocess.Popen(FANZHA + cmd, stdout=log, stderr=log, env=env)
                code = self.proc.wait()
                self.steps.append((cmd[0], code, time.monotonic() - t0))

    def stop(self, timeout: float) -> None:
        """Let the current command finish within ``timeout`` s, else end it."""
        self.stopped.set()
        self.join(timeout)
        if self.is_alive() and self.proc is not None:
            self.interrupted = True
            self.proc.send_signal(signal.SIGINT)  # a nightly flushes and records on SIGINT
            self.join(15)
            if self.is_alive():
                self.proc.kill()
                self.join()


def write_batch(folder: Path, n: int, seed: int) -> Path:
    """``n`` generated bulletins as Markdown files with front matter."""
    folder.mkdir(parents=True, exist_ok=True)
    for k, a in enumerate(generate(n, seed=seed)):
        title = a.title.replace('"', "'")
        url = a.url.replace(".html", f"-s{seed}.html")  # a batch's own URLs: new articles
        (folder / f"b{k:04d}.md").write_text(
            f'---\ntitle: "{title}"\nsource: {a.source}\nurl: {url}\n'
            f"date: {a.published.isoformat()}\n---\n{a.text}\n",
            encoding="utf-8",
        )
    return folder


def start_server(home: Path, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [*FANZHA, "serve", "--home", str(home), "--port", str(port), "--workers", str(workers)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"fanzha serve exited {proc.returncode}; see {log}")
        try:
            if httpx.get(f"{base}/api/runs", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"fanzha serve did not answer within 90 s; see {log}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def phase(
    args: argparse.Namespace,
    workers: int,
    base_home: Path,
    work: Path,
    sites: Path,
    batches: list[Path],
) -> tuple[LoadResult, Writer]:
    home = work / f"w{workers}" / "home"
    shutil.copytree(base_home, home)
    proc, base = start_server(home, workers, work / f"w{workers}" / "serve.log")
    try:
        # Warm-up (not counted): each worker opens the archive and index, loads jieba.
        asyncio.run(load(base, args.clients, args.warmup, args.max_requests))
        writer = Writer(home, sites, batches, work / f"w{workers}" / "writer.log")
        if not args.no_writer:
            writer.start()
        result = asyncio.run(load(base, args.clients, args.seconds, args.max_requests))
        if not args.no_writer:
            writer.stop(timeout=args.writer_grace)
    finally:
        stop_server(proc)
    return result, writer


def report(workers: int, r: LoadResult, writer: Writer) -> float:
    n = len(r.latencies)
    rate = n / r.seconds if r.seconds else 0.0
    steps = ", ".join(f"{c} exit {code} in {s:.1f} s" for c, code, s in writer.steps)
    answered = sum(r.workers_seen.values()) or 1
    shares = "/".join(f"{100 * k / answered:.0f}%" for _, k in r.workers_seen.most_common())
    if writer.ident is None:  # never started
        steps = "none (--no-writer)"
    if writer.interrupted:
        steps += " (still writing when the phase ended: interrupted)"
    print(
        f"workers {workers}: {n} requests in {r.seconds:.1f} s = {rate:.1f} req/s, "
        f"p50 {pct(r.latencies, 50) * 1000:.0f} ms, p95 {pct(r.latencies, 95) * 1000:.0f} ms, "
        f"max {max(r.latencies) * 1000:.0f} ms, errors {len(r.errors)}, "
        f"answered by {len(r.workers_seen)} process(es) ({shares}); "
        f"writer: {steps or 'did not finish'}",
        flush=True,
    )
    for err in r.errors[:5]:
        print(f"  error: {err}")
    if any(code for _, code, _ in writer.steps) and not writer.interrupted:
        tail = writer.log.read_text(encoding="utf-8", errors="replace").splitlines()[-5:]
        print("  writer log:", *tail, sep="\n    ")
    return rate


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", type=Path, help="archive to copy (default: build a demo one)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase")
    ap.add_argument("--warmup", type=float, default=4.0)
    ap.add_argument("--max-requests", type=int, default=20_000, help="per phase, a bound")
    ap.add_argument("--write", type=int, default=100, help="new bulletins the nightly takes")
    ap.add_argument("--batch", type=int, default=30, help="bulletins per import after it")
    ap.add_argument(
        "--writer-grace", type=float, default=8.0, help="s a nightly may run past a phase"
    )
    ap.add_argument(
        "--no-writer",
        action="store_true",
        help="no nightly nor imports during the phases: the server's own scaling",
    )
    ap.add_argument(
        "--workers", type=int, nargs="+", help="worker counts to compare (default: 1 and cores)"
    )
    args = ap.parse_args(argv)
    counts = args.workers or [1, default_workers()]
    random.seed(1)
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fanzha-load-") as tmp:
        work = Path(tmp)
        base_home = work / "base" / "home"
        if args.home is None:
            print("building the demo archive (fanzha demo) ...", flush=True)
            subprocess.run(
                [*FANZHA, "demo", "--home", str(base_home)],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=300,
            )
        else:
            shutil.copytree(args.home, base_home)
        batches = [write_batch(work / f"batch{k}", args.batch, seed=20 + k) for k in range(1, 6)]
        if args.write:
            batch = write_batch(work / "batch", args.write, seed=11)
            subprocess.run(
                [*FANZHA, "import", str(batch), "--home", str(base_home)],
                check=True,
                stdout=subprocess.DEVNULL,
                timeout=300,
            )
        sites_server = subprocess.Popen(
            [sys.executable, "-m", "fanzha.demo_server", str(SAMPLE_SITES)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            port = int(sites_server.stdout.readline())  # type: ignore[union-attr]
            sites = write_sample_sites(f"http://127.0.0.1:{port}", work / "sites.toml")
            what = (
                "none"
                if args.no_writer
                else f"fanzha nightly (sample sites, {args.write} new bulletins), then "
                f"imports of {args.batch}"
            )
            print(
                f"{args.clients} clients on /api/search for {args.seconds:.0f} s per phase, "
                f"writer: {what}; "
                f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            rates = {}
            errors = 0
            for workers in counts:
                result, writer = phase(args, workers, base_home, work, sites, batches)
                rates[workers] = report(workers, result, writer)
                errors += len(result.errors)
        finally:
            sites_server.terminate()
            sites_server.wait(10)
    if len(counts) > 1 and rates[counts[0]]:
        print(
            f"ratio {counts[-1]} workers / {counts[0]}: {rates[counts[-1]] / rates[counts[0]]:.2f}"
        )
    print(
        f"total {time.monotonic() - t_start:.0f} s; errors {errors}; "
        f"load average at the end {os.getloadavg()[0]:.1f}"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
